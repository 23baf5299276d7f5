"""The demo's ITA scores: Ban Pet's FY 2564 and 2565 results with the national and
Khon Kaen context rows (the seed memo's tables 1–3), so the demo can produce
the analysis memo at once.

The data is an ordinary import file (`tracker/demo/banpet-ita.csv`), which
doubles as an example of the format.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..clock import utcnow
from ..orgs.models import Organization
from .importer import ImportResult, import_scores
from .scorefile import read_score_file

__all__ = ["DEMO_SCORES", "load_demo_scores"]

DEMO_SCORES = Path(__file__).resolve().parent.parent / "demo" / "banpet-ita.csv"


def load_demo_scores(organization: Organization, now: datetime | None = None) -> ImportResult:
    """Load the seed's scores into `organization`; idempotent (a second run changes nothing).

    Flushes, never commits. Scores someone changed since are set back to the seed's.
    """
    return import_scores(read_score_file(DEMO_SCORES), None, now or utcnow(), into=organization)
