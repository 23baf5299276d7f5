"""/api/v1/steps reads its page as plain rows: the columns of `plans.step_rows` and the API's
own (the organization's slug, the people, the completion), in one statement, with no ORM
objects built. `schemas.Step` is made from the same two parts for a loaded Step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..orgs.models import Organization
from ..plans import step_rows
from ..plans.models import Plan, Step
from ..plans.step_rows import StepRow


@dataclass(slots=True)
class StepExtras:
    """What a step's JSON says beyond its list row."""

    organization: str
    assignee_name: str | None
    completed_at: datetime | None
    completed_by_id: int | None
    completed_by_name: str | None
    cancel_reason: str | None
    updated_at: datetime

    @classmethod
    def of_step(cls, s: Step) -> StepExtras:
        """The extras of a loaded Step (with its plan's organization and its people)."""
        return cls(
            s.measure.weakness.plan.organization.slug,
            s.assignee.display_name if s.assignee is not None else None,
            s.completed_at,
            s.completed_by_id if s.completed_by is not None else None,
            s.completed_by.display_name if s.completed_by is not None else None,
            s.cancel_reason,
            s.updated_at,
        )


_assignee = aliased(User)
_completer = aliased(User)
EXTRA_COLUMNS: tuple[Any, ...] = (
    Organization.slug,
    _assignee.display_name,
    Step.completed_at,
    _completer.id,
    _completer.display_name,
    Step.cancel_reason,
    Step.updated_at,
)


def select_page(base: sa.Select, order: tuple[Any, ...], offset: int, limit: int) -> sa.Select:
    """One page of `base` (a select of steps joined to measure, weakness and plan) in `order`,
    reading a StepRow's columns and the extras."""
    return (
        step_rows.select_rows(base)
        .add_columns(*EXTRA_COLUMNS)
        .outerjoin(Organization, Organization.id == Plan.organization_id)  # outer: steps lead (step_rows)
        .outerjoin(_assignee, _assignee.id == Step.assignee_id)
        .outerjoin(_completer, _completer.id == Step.completed_by_id)
        .order_by(*order)
        .offset(offset or None)
        .limit(limit)
    )


def rows_of(result: sa.Result) -> list[tuple[StepRow, StepExtras]]:
    n = len(step_rows.COLUMNS)
    return [(StepRow.of(row), StepExtras(*row[n : n + len(EXTRA_COLUMNS)])) for row in result]


def cursor_key(row: StepRow) -> list[int]:
    """The list's sort key of a row (organization, fiscal year, weakness, measure, step, id)."""
    return [row.organization_id, row.fiscal_year, row.weakness_order, row.measure_order, row.order, row.id]
