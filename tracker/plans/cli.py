"""Plan commands: import-plan, export-plan, plan-template, status, demo."""
from __future__ import annotations

plan_commands: list = []
