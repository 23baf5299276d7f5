"""The activity stream, read from the journal: who did what to which step, when.

One implementation, two scopes: a plan's stream (/plans/<id>/activity) and an
organization's (/organizations/<id>/activity), both filterable by the step's
department and paged, newest first. Only step entries of steps that still
exist are shown (each links to its step); entries of other organizations
never match, whatever the steps' plan says.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..plans.listing import Page, paginate
from ..plans.models import JournalEntry, Measure, Plan, Step, Weakness
from ..plans.queries import _step_options

#: Entries on one page
PER_PAGE = 50


def activity_query(organization_id: int, *, plan_id: int | None = None, department_id: int | None = None) -> sa.Select:
    """The journal entries of the organization's steps (of one plan, of one department when given), newest first."""
    query = (
        sa.select(JournalEntry)
        .join(Step, JournalEntry.step_id == Step.id)
        .join(Measure, Step.measure_id == Measure.id)
        .join(Weakness, Measure.weakness_id == Weakness.id)
        .join(Plan, Weakness.plan_id == Plan.id)
        .where(JournalEntry.organization_id == organization_id, Plan.organization_id == organization_id)
        .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
    )
    if plan_id is not None:
        query = query.where(Weakness.plan_id == plan_id)
    if department_id is not None:
        query = query.where(Step.owner_department_id == department_id)
    return query


def activity_page(
    organization_id: int,
    *,
    plan_id: int | None = None,
    department_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """One page of the stream, with what each line shows (actor, step number, plan) loaded alongside."""
    options = [joinedload(JournalEntry.actor)] + [
        joinedload(JournalEntry.step).options(option) for option in _step_options(with_plan=True)
    ]
    query = activity_query(organization_id, plan_id=plan_id, department_id=department_id)
    return paginate(query, page, per_page, options)


def plan_activity(plan: Plan, department_id: int | None = None, page: int = 1) -> Page:
    return activity_page(plan.organization_id, plan_id=plan.id, department_id=department_id, page=page)
