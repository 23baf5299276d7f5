"""What the home pages show, each part in a fixed number of queries (never one per row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..db import db
from ..follow.services import watched_steps_condition
from ..orgs.models import Department
from ..plans.listing import Page, rows_page
from ..plans.models import Measure, Plan, PlanStatus, Step, Weakness
from ..plans.queries import _due_soon

#: How many watched steps the manager's home lists (the rest: a link to งานของฉัน)
WATCHED_SHOWN = 10
#: How many measures without steps the admin's home names
NAMED = 10


def _active_steps(organization_id: int) -> sa.Select:
    return (
        sa.select(Step)
        .join(Step.measure)
        .join(Measure.weakness)
        .join(Weakness.plan)
        .where(Plan.organization_id == organization_id, Plan.status == PlanStatus.active)
    )


@dataclass(frozen=True)
class DepartmentLoad:
    department_id: int
    name: str
    overdue: int
    due_soon: int


def late_by_department(organization_id: int, day: date) -> list[DepartmentLoad]:
    """Open steps of the active plans past due and due soon, per department (most overdue first);
    departments with neither are left out. One query."""
    rows = db.session.execute(
        sa.select(
            Department.id,
            Department.name,
            sa.func.sum(sa.case((Step.is_overdue(day), 1), else_=0)),
            sa.func.sum(sa.case((_due_soon(day), 1), else_=0)),
        )
        .select_from(Step)
        .join(Step.measure)
        .join(Measure.weakness)
        .join(Weakness.plan)
        .join(Department, Department.id == Step.owner_department_id)
        .where(Plan.organization_id == organization_id, Plan.status == PlanStatus.active, Step.is_open)
        .group_by(Department.id, Department.name)
    )
    loads = [DepartmentLoad(d, name, int(o or 0), int(s or 0)) for d, name, o, s in rows]
    return sorted((x for x in loads if x.overdue or x.due_soon), key=lambda x: (-x.overdue, -x.due_soon, x.name))


def watched_steps(user: User, day: date) -> Page:
    """The open steps of the active plans the user watches, overdue first then soonest due
    (the first WATCHED_SHOWN of them as StepRows, and how many there are: one statement)."""
    stmt = (
        _active_steps(user.organization_id)
        .where(Step.is_open, watched_steps_condition(user))
        .order_by(Step.due_date, Weakness.order, Measure.order, Step.order)
    )
    return rows_page(stmt, 1, WATCHED_SHOWN)


@dataclass(frozen=True)
class PlanHealth:
    plan: Plan
    steps: int
    overdue: int
    #: Steps of departments where no active user works: nobody receives them or their reminders
    unstaffed: int
    #: (department id, name, steps) of those departments
    unstaffed_departments: list[tuple[int, str, int]]
    #: Measures without a step: nothing dated to follow
    stepless: list[Measure]
    stepless_count: int


def plan_health(organization_id: int, day: date) -> list[PlanHealth]:
    """The health of each active plan of the organization (draft plans too: they are being
    prepared), newest first. Four queries whatever the number of plans and steps."""
    plans = list(
        db.session.scalars(
            sa.select(Plan)
            .where(Plan.organization_id == organization_id, Plan.status.in_((PlanStatus.active, PlanStatus.draft)))
            .order_by(Plan.fiscal_year.desc(), Plan.id.desc())
        )
    )
    if not plans:
        return []
    plan_ids = [p.id for p in plans]
    staffed = sa.select(User.department_id).where(
        User.organization_id == organization_id, User.active.is_(True), User.department_id.is_not(None)
    )
    unstaffed = Step.owner_department_id.not_in(staffed)
    counts = {
        plan_id: (int(total), int(overdue or 0))
        for plan_id, total, overdue in db.session.execute(
            sa.select(
                Weakness.plan_id, sa.func.count(Step.id), sa.func.sum(sa.case((Step.is_overdue(day), 1), else_=0))
            )
            .select_from(Step)
            .join(Step.measure)
            .join(Measure.weakness)
            .where(Weakness.plan_id.in_(plan_ids))
            .group_by(Weakness.plan_id)
        )
    }
    by_department: dict[int, list[tuple[int, str, int]]] = {}
    for plan_id, dept_id, name, n in db.session.execute(
        sa.select(Weakness.plan_id, Department.id, Department.name, sa.func.count(Step.id))
        .select_from(Step)
        .join(Step.measure)
        .join(Measure.weakness)
        .join(Department, Department.id == Step.owner_department_id)
        .where(Weakness.plan_id.in_(plan_ids), unstaffed)
        .group_by(Weakness.plan_id, Department.id, Department.name)
        .order_by(Department.name)
    ):
        by_department.setdefault(plan_id, []).append((dept_id, name, int(n)))
    stepless_rows = list(
        db.session.scalars(
            sa.select(Measure)
            .join(Measure.weakness)
            .where(Weakness.plan_id.in_(plan_ids), ~sa.exists().where(Step.measure_id == Measure.id))
            .order_by(Weakness.order, Measure.order)
            .options(joinedload(Measure.weakness).selectinload(Weakness.measures))
        ).unique()
    )
    health = []
    for plan in plans:
        steps, overdue = counts.get(plan.id, (0, 0))
        departments = by_department.get(plan.id, [])
        stepless = [m for m in stepless_rows if m.weakness.plan_id == plan.id]
        health.append(
            PlanHealth(
                plan=plan,
                steps=steps,
                overdue=overdue,
                unstaffed=sum(n for _i, _n, n in departments),
                unstaffed_departments=departments,
                stepless=stepless[:NAMED],
                stepless_count=len(stepless),
            )
        )
    return health
