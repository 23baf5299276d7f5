"""What a reminder pass reads: plain rows (people, departments, candidate steps), never ORM
objects, in a fixed number of queries per chunk of ids (tracker/notify/reminders.py uses them)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm

from ..auth.models import Role, User
from ..bulk import among
from ..db import db
from ..orgs.models import Department
from ..plans.models import Measure, Plan, PlanStatus, Step, Weakness
from .models import OutboxItem, OutboxMessage

#: The outbox kind of a reminder.
KIND = "reminder"


# -- what a pass reads: plain rows, not ORM objects ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """A user as a reminder needs them."""

    id: int
    email: str | None
    display_name: str
    active: bool
    thai_digits: bool


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    id: int
    name: str
    email: str | None
    head_id: int | None


@dataclass(frozen=True, slots=True)
class StepRow:
    """A candidate step with what its email line shows and sorts by."""

    id: int
    order: int
    title: str
    due_date: date
    owner_department_id: int
    assignee_id: int | None
    measure_number: str
    #: step_sort_key after the due date: plan, weakness, measure, step order
    plan_order: tuple[int, int, int, int]


def _candidate_steps(horizon: date) -> list[tuple[StepRow, int]]:
    """Open steps of active plans due by `horizon`, with their organization id: one query
    of plain columns (no ORM objects), whatever the number of organizations."""
    sibling = sa.orm.aliased(Measure)
    measures_of_weakness = (
        sa.select(sa.func.count(sibling.id)).where(sibling.weakness_id == Measure.weakness_id).scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            Step.id,
            Step.order,
            Step.title,
            Step.due_date,
            Step.owner_department_id,
            Step.assignee_id,
            Measure.order,
            Weakness.order,
            Weakness.plan_id,
            measures_of_weakness,
            Plan.organization_id,
        )
        .join(Step.measure)
        .join(Measure.weakness)
        .join(Weakness.plan)
        .where(Plan.status == PlanStatus.active, Step.is_open, Step.due_date <= horizon)
        .order_by(Step.id)
    )
    found = []
    for step_id, order, title, due, dept_id, assignee_id, m_order, w_order, plan_id, siblings, org_id in rows:
        number = f"{w_order}.{m_order}" if siblings > 1 else str(w_order)
        found.append(
            (
                StepRow(step_id, order, title, due, dept_id, assignee_id, number, (plan_id, w_order, m_order, order)),
                org_id,
            )
        )
    return found


_PERSON_COLUMNS = (User.id, User.email, User.display_name, User.active, User.thai_digits)


def _owners_by_department(department_ids: set[int]) -> dict[int, list[Person]]:
    """Active owner users of each department, in id order."""
    owners: dict[int, list[Person]] = defaultdict(list)
    for *person, department_id in db.session.execute(
        sa.select(*_PERSON_COLUMNS, User.department_id)
        .where(User.role == Role.owner, User.active.is_(True), among(User.department_id, sorted(department_ids)))
        .order_by(User.id)
    ):
        owners[department_id].append(Person(*person))  # type: ignore[arg-type,index]  # rows of _PERSON_COLUMNS
    return owners


def _people(user_ids: set[int]) -> dict[int, Person]:
    rows = db.session.execute(sa.select(*_PERSON_COLUMNS).where(among(User.id, sorted(user_ids))))
    return {row[0]: Person(*row) for row in rows}


def _departments(department_ids: set[int]) -> dict[int, DepartmentRow]:
    columns = (Department.id, Department.name, Department.email, Department.head_id)
    rows = db.session.execute(sa.select(*columns).where(among(Department.id, sorted(department_ids))))
    return {row[0]: DepartmentRow(*row) for row in rows}


def _given(step_ids: list[int], since: date) -> set[tuple[str, int, str, date, date]]:
    """The reminders already given for these steps, as OutboxItem keys, triggered on or
    after `since` (the earliest trigger the caller looks up: older history, months of
    Mondays for a long-overdue step, cannot match and is not read into Python)."""
    rows = db.session.execute(
        sa.select(
            OutboxItem.recipient,
            OutboxItem.step_id,
            OutboxItem.reason,
            OutboxItem.trigger_date,
            OutboxItem.due_date,
        ).where(among(OutboxItem.step_id, sorted(step_ids)), OutboxItem.trigger_date >= since)
    )
    return {(recipient, step, reason, trigger, due) for recipient, step, reason, trigger, due in rows}


def _written_today(abouts: list[str], day: date) -> set[tuple[str, str]]:
    """(about, recipient) of the reminder messages already written for `day`."""
    rows = db.session.execute(
        sa.select(OutboxMessage.about, OutboxMessage.recipient).where(
            among(OutboxMessage.about, sorted(abouts)), OutboxMessage.kind == KIND, OutboxMessage.for_date == day
        )
    )
    return {(about, recipient) for about, recipient in rows}
