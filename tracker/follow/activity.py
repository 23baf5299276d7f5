"""A plan's activity stream, read from the journal: who did what to which step, when."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..db import db
from ..plans.models import JournalEntry, Measure, Plan, Step, Weakness

#: Entries shown at most (the newest)
LIMIT = 200


def plan_activity(plan: Plan, department_id: int | None = None, limit: int = LIMIT) -> list[JournalEntry]:
    """The newest journal entries of the plan's steps, of one department's steps when given."""
    query = (
        sa.select(JournalEntry)
        .join(Step, JournalEntry.step_id == Step.id)
        .join(Measure, Step.measure_id == Measure.id)
        .join(Weakness, Measure.weakness_id == Weakness.id)
        .where(Weakness.plan_id == plan.id, JournalEntry.organization_id == plan.organization_id)
        .options(joinedload(JournalEntry.actor), joinedload(JournalEntry.step))
        .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
        .limit(limit)
    )
    if department_id is not None:
        query = query.where(Step.owner_department_id == department_id)
    return list(db.session.scalars(query))
