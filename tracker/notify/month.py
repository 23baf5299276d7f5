"""The month calendar of due dates (/calendar): a month's weeks and the steps due on each day.

Weeks start on Sunday, as Thai calendars print them (the wall calendars and the
government's ปฏิทินหลวง put อาทิตย์ first, in red), so the page looks like the
calendar on the office wall. Steps are those of the organization's active plans,
cancelled ones left out — what the ICS feed publishes, for the whole organization
or one department.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .. import thaidate
from ..db import db
from ..plans.models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness

#: calendar.SUNDAY: the first column, as on Thai calendars
FIRST_WEEKDAY = calendar.SUNDAY
#: Sunday-first indexes (0 = Sunday) of the weekend, shown apart
WEEKEND_COLUMNS = (0, 6)


@dataclass
class Day:
    day: date
    #: False for the previous and next months' days that fill the first and last weeks
    in_month: bool
    today: bool
    #: Not a business day (weekend or Thai public holiday)
    holiday: bool
    steps: list[Step] = field(default_factory=list)


@dataclass
class Month:
    year: int  #: CE
    month: int
    weeks: list[list[Day]]

    @property
    def be_year(self) -> int:
        return self.year + thaidate.BE_OFFSET

    @property
    def previous(self) -> tuple[int, int]:
        """(BE year, month) of the month before."""
        return (self.be_year - 1, 12) if self.month == 1 else (self.be_year, self.month - 1)

    @property
    def next(self) -> tuple[int, int]:
        return (self.be_year + 1, 1) if self.month == 12 else (self.be_year, self.month + 1)

    @property
    def days_with_steps(self) -> list[Day]:
        """The month's days that have steps due (the phone's list by day)."""
        return [d for week in self.weeks for d in week if d.in_month and d.steps]

    @property
    def count(self) -> int:
        return sum(len(d.steps) for d in self.days_with_steps)


def due_steps(organization_id: int, first: date, last: date, department_id: int | None = None) -> list[Step]:
    """Steps of the organization's active plans due in [first, last], not cancelled, by due date."""
    query = (
        sa.select(Step)
        .join(Step.measure)
        .join(Measure.weakness)
        .join(Weakness.plan)
        .where(
            Plan.organization_id == organization_id,
            Plan.status == PlanStatus.active,
            Step.status != StepStatus.cancelled,
            Step.due_date.between(first, last),
        )
        .options(
            joinedload(Step.measure).joinedload(Measure.weakness).selectinload(Weakness.measures),
            joinedload(Step.owner_department),
        )
        .order_by(Step.due_date, Weakness.order, Measure.order, Step.order, Step.id)
    )
    if department_id is not None:
        query = query.where(Step.owner_department_id == department_id)
    return list(db.session.scalars(query).unique())


def month_of(organization_id: int, year_ce: int, month: int, today: date, department_id: int | None = None) -> Month:
    """The month's weeks (Sunday first), each day with the steps due on it."""
    weeks = calendar.Calendar(FIRST_WEEKDAY).monthdatescalendar(year_ce, month)
    by_day: dict[date, list[Step]] = defaultdict(list)
    for step in due_steps(organization_id, weeks[0][0], weeks[-1][-1], department_id):
        by_day[step.due_date].append(step)
    return Month(
        year_ce,
        month,
        [
            [Day(d, d.month == month, d == today, not thaidate.is_business_day(d), by_day.get(d, [])) for d in week]
            for week in weeks
        ],
    )
