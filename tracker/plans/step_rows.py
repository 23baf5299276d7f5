"""Steps read as plain rows for the long lists (งานของฉัน, the dashboard's list, the homes):
the columns a row shows, in the list's one statement, without building ORM objects and their
joined loads. The rules stay the models' (`is_overdue_on`, `measure_number`, `step_number`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..orgs.models import Department
from .models import Measure, Plan, Step, StepStatus, Weakness, is_overdue_on, measure_number, step_number


def several_measures() -> sa.ColumnElement[bool]:
    """The step's weakness has more than one measure (which numbers its measures "3.2")."""
    sibling = aliased(Measure)
    return sa.exists().where(sibling.weakness_id == Measure.weakness_id, sibling.id != Measure.id)


#: What a row reads: the step, its department's name, its measure, weakness and plan.
COLUMNS: tuple[Any, ...] = (
    Step.id,
    Step.version,
    Step.order,
    Step.title,
    Step.status,
    Step.start_date,
    Step.due_date,
    Step.assignee_id,
    Step.owner_department_id,
    Department.name,
    Step.measure_id,
    Measure.order,
    Measure.title,
    Weakness.order,
    several_measures(),
    Weakness.plan_id,
    Plan.fiscal_year,
    Plan.organization_id,
)


def select_rows(stmt: sa.Select) -> sa.Select:
    """`stmt`, a select of steps joined to their measure, weakness and plan, reading the row's
    columns instead of Step objects.

    The department is joined LEFT OUTER (every step has one): an inner join lets SQLite start
    from the departments and read a nationwide filter's steps department by department."""
    return stmt.with_only_columns(*COLUMNS).outerjoin(Department, Department.id == Step.owner_department_id)


@dataclass(slots=True)
class StepRow:
    """One step of a list, as read by `select_rows`."""

    id: int
    version: int
    order: int
    title: str
    status: StepStatus
    start_date: date
    due_date: date
    assignee_id: int | None
    owner_department_id: int
    department_name: str
    measure_id: int
    measure_title: str
    measure_number: str
    number: str
    plan_id: int
    fiscal_year: int
    organization_id: int
    #: The list order's keys (weakness, then measure)
    weakness_order: int
    measure_order: int

    @classmethod
    def of(cls, row: Any) -> StepRow:
        """The row of a `select_rows` statement (extra columns after them are ignored)."""
        (
            step_id,
            version,
            order,
            title,
            status,
            start,
            due,
            assignee_id,
            department_id,
            department_name,
            measure_id,
            m_order,
            m_title,
            w_order,
            several,
            plan_id,
            fiscal_year,
            organization_id,
        ) = row[: len(COLUMNS)]
        m_number = measure_number(w_order, m_order, bool(several))
        return cls(
            step_id,
            version,
            order,
            title,
            status,
            start,
            due,
            assignee_id,
            department_id,
            department_name,
            measure_id,
            m_title,
            m_number,
            step_number(m_number, order),
            plan_id,
            fiscal_year,
            organization_id,
            w_order,
            m_order,
        )

    @classmethod
    def of_step(cls, s: Step) -> StepRow:
        """The row of a loaded Step (with its measure, weakness, plan and department)."""
        m, w = s.measure, s.measure.weakness
        return cls.of(
            (
                *(s.id, s.version, s.order, s.title, s.status, s.start_date, s.due_date, s.assignee_id),
                *(s.owner_department_id, s.owner_department.name, m.id, m.order, m.title, w.order),
                *(len(w.measures) > 1, w.plan_id, w.plan.fiscal_year, w.plan.organization_id),
            )
        )

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def is_overdue(self, day: date) -> bool:
        return is_overdue_on(self.status, self.due_date, day)
