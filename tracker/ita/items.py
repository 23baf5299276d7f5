"""The OIT items a plan's documents cite, from the framework of the year its measures answer.

The NACC renumbers OIT items between years (O42/O43 in 2565, O25/O26 on
agencies' pages for 2569), so every label, heading and file name that names
an item asks here: `plan_items(plan)` reads the framework of
`plan.assessed_year` that the plan's organization uses. When that year has
no framework or the framework names no item, labels simply carry no code —
never a code guessed from another year.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from ..errors import ServiceError
from .framework import FRAMEWORK_DIR, framework_for
from .spec import Items
from .spec_files import parse_yaml

if TYPE_CHECKING:
    from ..plans.models import Plan

__all__ = ["plan_items", "items_of_year", "with_code", "kind_code", "file_prefix"]


@lru_cache(maxsize=32)
def _shipped_items(fiscal_year: int) -> Items:
    path = FRAMEWORK_DIR / f"{fiscal_year}.yaml"
    if not path.exists():
        return Items()
    try:
        return parse_yaml(path.read_bytes(), path.name).items
    except ServiceError:
        return Items()


def items_of_year(organization_id: int, fiscal_year: int) -> Items:
    """Items of the framework the organization uses for `fiscal_year` (the shipped file's when not loaded yet)."""
    framework = framework_for(organization_id, fiscal_year, load_shipped=False)
    return framework.spec.items if framework is not None else _shipped_items(fiscal_year)


def plan_items(plan: Plan) -> Items:
    return items_of_year(plan.organization_id, plan.assessed_year)


def kind_code(items: Items, kind: str) -> str:
    """ "O43" for the follow-up report, "O42" for the analysis memo and its measures; "" when not known."""
    ref = items.followup if kind == "followup" else items.measures
    return ref.code if ref is not None else ""


def with_code(label: str, code: str) -> str:
    """ "รายงานผลการดำเนินการตามมาตรการ (O43)"; the label alone when the code is not known."""
    return f"{label} ({code})" if code else label


def file_prefix(items: Items, kind: str) -> str:
    """The ASCII file name's prefix: "O43-followup", "O42-analysis"; "ITA-followup" without a code."""
    code = kind_code(items, kind)
    return f"{code or 'ITA'}-{kind}"
