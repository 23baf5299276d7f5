"""Read side of the plan pages: the clock, dashboard figures and step lists.

Every function here issues a fixed number of queries whatever the size of the
plan: the relations the templates touch are eager-loaded, so a page never runs
one query per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..db import db
from ..errors import ServiceError
from ..i18n import _
from ..orgs.models import Department, Organization
from .models import Evidence, JournalEntry, Measure, Plan, PlanStatus, Step, StepStatus, Weakness, is_overdue_on
from .progress import Progress

#: "Due soon" on the dashboard: open steps due within this many days from today.
DUE_SOON_DAYS = 14


def _step_options(with_plan: bool = False) -> list:
    """What a step row shows: its number (measure → weakness → sibling measures),
    its department and, across plans, its plan."""
    weakness = joinedload(Step.measure).joinedload(Measure.weakness)
    options = [
        weakness.selectinload(Weakness.measures),
        joinedload(Step.owner_department),
        joinedload(Step.assignee),
    ]
    if with_plan:
        options.append(joinedload(Step.measure).joinedload(Measure.weakness).joinedload(Weakness.plan))
    return options


# -- plans ------------------------------------------------------------------------


def current_plan(organization_id: int) -> Plan | None:
    """The plan "/" shows: the active plan of the highest fiscal year, else the newest plan."""
    return db.session.scalar(
        sa.select(Plan)
        .where(Plan.organization_id == organization_id)
        .order_by(
            sa.case((Plan.status == PlanStatus.active, 0), else_=1),
            Plan.fiscal_year.desc(),
            Plan.id.desc(),
        )
        .limit(1)
    )


def plan_by_slug(org_slug: str, fiscal_year: int) -> tuple[Organization, Plan]:
    """The organization with slug `org_slug` and its plan of `fiscal_year`, as the command
    line names a plan; a ServiceError says which of the two is not there."""
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == org_slug.strip()))
    if org is None:
        raise ServiceError(_("ไม่พบองค์กร “%(org_slug)s”", org_slug=org_slug))
    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == org.id, Plan.fiscal_year == fiscal_year))
    if plan is None:
        raise ServiceError(
            _(
                "%(org_name)s ไม่มีแผนปีงบประมาณ %(fiscal_year)s",
                org_name=org.name,
                fiscal_year=fiscal_year,
                org_slug=org_slug,
            )
        )
    return org, plan


def load_plan(plan_id: int) -> Plan | None:
    """A plan with its weaknesses, measures and their departments."""
    return db.session.scalar(
        sa.select(Plan)
        .where(Plan.id == plan_id)
        .options(
            joinedload(Plan.organization),
            selectinload(Plan.weaknesses).selectinload(Weakness.measures).joinedload(Measure.owner_department),
        )
    )


def other_plans(plan: Plan) -> list[Plan]:
    """The organization's plans of other fiscal years, newest first."""
    return list(
        db.session.scalars(
            sa.select(Plan)
            .where(Plan.organization_id == plan.organization_id, Plan.id != plan.id)
            .order_by(Plan.fiscal_year.desc())
        )
    )


def departments(organization_id: int) -> list[Department]:
    return list(
        db.session.scalars(
            sa.select(Department).where(Department.organization_id == organization_id).order_by(Department.name)
        )
    )


# -- progress ---------------------------------------------------------------------


def progress_by(key: sa.SQLColumnExpression[int], where: sa.ColumnExpressionArgument[bool]) -> dict[int, Progress]:
    """Progress of the steps matching `where`, grouped by `key` (a measure or plan id column), in one query."""
    rows = db.session.execute(
        sa.select(key, Step.status, sa.func.count())
        .select_from(Step)
        .join(Step.measure)
        .join(Measure.weakness)
        .where(where)
        .group_by(key, Step.status)
    )
    counts: dict[int, dict[StepStatus, int]] = {}
    for group, status, n in rows:
        counts.setdefault(group, {})[StepStatus(status)] = n
    return {group: Progress.from_counts(by_status) for group, by_status in counts.items()}


def _progress_by_measure(where: sa.ColumnElement[bool]) -> dict[int, Progress]:
    return progress_by(Step.measure_id, where)


def measure_progress(plan_id: int) -> dict[int, Progress]:
    """Progress of every measure of a plan, by measure id (one query)."""
    return _progress_by_measure(Measure.weakness_id.in_(sa.select(Weakness.id).where(Weakness.plan_id == plan_id)))


def progress_of_measure(measure_id: int) -> Progress:
    return _progress_by_measure(Measure.id == measure_id).get(measure_id, Progress())


def total_progress(by_measure: Mapping[int, Progress]) -> Progress:
    return sum(by_measure.values(), Progress())


@dataclass(frozen=True)
class DueCounts:
    overdue: int
    due_soon: int


def _due_soon(day: date) -> sa.ColumnElement[bool]:
    return sa.and_(Step.is_open, Step.due_date >= day, Step.due_date <= day + timedelta(days=DUE_SOON_DAYS))


def due_counts(plan_id: int, day: date) -> DueCounts:
    """Open steps past due, and open steps due from today to today + 14 days."""
    overdue, soon = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((Step.is_overdue(day), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((_due_soon(day), 1), else_=0)), 0),
        )
        .select_from(Step)
        .join(Step.measure)
        .join(Measure.weakness)
        .where(Weakness.plan_id == plan_id)
    ).one()
    return DueCounts(int(overdue), int(soon))


def due_counts_of(rows: Iterable[Any], day: date) -> DueCounts:
    """`due_counts` from rows with `status` and `due_date` already read (the chart's `step_rows`)."""
    soon_end = day + timedelta(days=DUE_SOON_DAYS)
    overdue = soon = 0
    for r in rows:
        status = StepStatus(r.status)
        if is_overdue_on(status, r.due_date, day):
            overdue += 1
        elif status.is_open and day <= r.due_date <= soon_end:
            soon += 1
    return DueCounts(overdue, soon)


# -- a measure ------------------------------------------------------------------------


def load_measure(measure_id: int) -> Measure | None:
    """A measure with what its page shows: weakness and plan, departments, steps."""
    return db.session.scalar(
        sa.select(Measure)
        .where(Measure.id == measure_id)
        .options(
            joinedload(Measure.weakness).joinedload(Weakness.plan),
            joinedload(Measure.weakness).selectinload(Weakness.measures),
            joinedload(Measure.owner_department),
            selectinload(Measure.steps).joinedload(Step.owner_department),
        )
    )


def latest_notes(step_ids: list[int]) -> dict[int, JournalEntry]:
    """The newest journal entry with a note, per step (one query)."""
    if not step_ids:
        return {}
    newest = (
        sa.select(sa.func.max(JournalEntry.id))
        .where(JournalEntry.step_id.in_(step_ids), JournalEntry.note.is_not(None), JournalEntry.note != "")
        .group_by(JournalEntry.step_id)
    )
    entries = db.session.scalars(
        sa.select(JournalEntry).where(JournalEntry.id.in_(newest)).options(joinedload(JournalEntry.actor))
    )
    return {e.step_id: e for e in entries if e.step_id is not None}


def evidence_counts(step_ids: list[int]) -> dict[int, int]:
    if not step_ids:
        return {}
    rows = db.session.execute(
        sa.select(Evidence.step_id, sa.func.count()).where(Evidence.step_id.in_(step_ids)).group_by(Evidence.step_id)
    )
    return {step_id: n for step_id, n in rows if step_id is not None}  # never None: filtered by id above


def load_step(step_id: int) -> Step | None:
    """A step with what its page shows: measure and plan, people, evidence."""
    return db.session.scalar(
        sa.select(Step)
        .where(Step.id == step_id)
        .options(
            *_step_options(with_plan=True),
            joinedload(Step.completed_by),
            selectinload(Step.evidence).joinedload(Evidence.uploaded_by),
        )
    )


def step_journal(step_id: int) -> list[JournalEntry]:
    """The step's journal, newest first."""
    return list(
        db.session.scalars(
            sa.select(JournalEntry)
            .where(JournalEntry.step_id == step_id)
            .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
            .options(joinedload(JournalEntry.actor))
        )
    )


def load_evidence(evidence_id: int) -> Evidence | None:
    """An evidence row with the plan it belongs to (for the access check): through
    its step, or through its measure for evidence of a follow-up result."""
    return db.session.scalar(
        sa.select(Evidence)
        .where(Evidence.id == evidence_id)
        .options(
            joinedload(Evidence.step).options(*_step_options(with_plan=True)),
            joinedload(Evidence.measure).joinedload(Measure.weakness).joinedload(Weakness.plan),
        )
    )


def evidence_organization_id(ev: Evidence) -> int:
    measure = ev.step.measure if ev.step is not None else ev.measure
    assert measure is not None, "evidence belongs to a step or a measure"
    return measure.weakness.plan.organization_id
