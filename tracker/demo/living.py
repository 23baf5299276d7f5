"""The demo's living plan: the FY 2566 plan rolled over to the fiscal year of the day
`tracker demo` runs, with the progress an agency would have by then.

The FY 2566 plan stays as it was (history: its progress to the end of that year and
its follow-up results). The copy's schedule is laid over the current fiscal year from
1 October: over the whole year once today is past 45 % of it, else over a shorter
stretch in which today sits at 45 %, so a demo run in December is not a plan with
nothing due until spring. Then, as of today: steps due before today are done (by
their department's owner, a business day early), every fifth of them is still in
progress and so overdue; each measure's next step is in progress; at least one open
step is due within the week. Nothing is made twice: a second run finds the plan.
Flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from ..auth.models import Role, User
from ..db import db
from ..plans.models import Plan, PlanStatus, StepStatus
from ..plans.rollover import rollover_plan
from ..plans.services import change_status
from ..thaidate import BANGKOK, fiscal_year, fiscal_year_bounds, next_business_day, previous_business_day

__all__ = ["LivingPlan", "load_living_plan", "HISTORY_END", "TODAY_AT"]

#: The FY 2566 plan is history up to the end of its year.
HISTORY_END = date(2023, 9, 30)
#: Where today sits in the living plan's schedule, early in a fiscal year.
TODAY_AT = 0.45
#: The shortest stretch a living plan is laid over.
MIN_DAYS = 75


@dataclass
class LivingPlan:
    plan: Plan
    created: bool
    steps_changed: int = 0


def _utc(day: date, now: datetime) -> datetime:
    """10:00 Bangkok on `day` (never later than `now`), as aware UTC."""
    return min(datetime.combine(day, time(10, 0), BANGKOK), now).astimezone(UTC)


def _stretch(today: date) -> tuple[date, date]:
    start, end = fiscal_year_bounds(fiscal_year(today))
    days = (end - start).days
    elapsed = (today - start).days
    if elapsed >= TODAY_AT * days:
        return start, end
    return start, min(end, start + timedelta(days=max(MIN_DAYS, round(elapsed / TODAY_AT))))


def _retime(plan: Plan, source: Plan, today: date) -> None:
    """Lay the source's schedule over this year's stretch, keeping its proportions."""
    first = min(m.period_start for m in source.measures)
    last = max(m.period_end for m in source.measures)
    span = max((last - first).days, 1)
    start, end = _stretch(today)
    length = (end - start).days

    def place(day: date) -> date:
        return start + timedelta(days=round((day - first).days * length / span))

    for new, old in zip(plan.measures, source.measures, strict=True):
        new.period_start, new.period_end = place(old.period_start), place(old.period_end)
        for step, was in zip(new.steps, old.steps, strict=True):
            due = min(max(previous_business_day(place(was.due_date)), new.period_start), new.period_end)
            step.start_date = min(max(place(was.start_date), new.period_start), due)
            step.due_date = due


def _progress(plan: Plan, today: date, now: datetime) -> int:
    users = list(db.session.scalars(sa.select(User).where(User.organization_id == plan.organization_id)))
    owners = {u.department_id: u for u in users if u.role is Role.owner and u.department_id}
    admin = next((u for u in users if u.role is Role.admin), None)
    changed = 0
    for m_index, measure in enumerate(plan.measures):
        started = False
        for s_index, step in enumerate(measure.steps):
            actor = owners.get(step.owner_department_id) or admin
            if step.due_date < today:
                if (m_index + s_index) % 5 == 4:
                    when = max(step.start_date, step.due_date - timedelta(days=14))
                    change_status(
                        step, StepStatus.in_progress, actor, _utc(when, now), note="อยู่ระหว่างดำเนินการ รอเอกสารประกอบ"
                    )
                else:
                    when = max(step.start_date, previous_business_day(step.due_date, include_self=False))
                    change_status(step, StepStatus.done, actor, _utc(when, now), note="ดำเนินการเรียบร้อยแล้ว")
                changed += 1
            elif not started:
                when = max(step.start_date, today - timedelta(days=3))
                if when <= today:
                    change_status(step, StepStatus.in_progress, actor, _utc(when, now), note="เริ่มดำเนินการแล้ว")
                    changed += 1
                started = True
    if not any(s.status is StepStatus.done for s in plan.steps):
        # The very first days of a year: the first step that has begun is already done.
        begun = [s for s in plan.steps if s.is_open and s.start_date < today]
        if begun:
            step = min(begun, key=lambda s: (s.start_date, s.id))
            actor = owners.get(step.owner_department_id) or admin
            change_status(step, StepStatus.done, actor, _utc(today - timedelta(days=1), now), note="ดำเนินการเรียบร้อยแล้ว")
            changed += 1
    open_steps = sorted((s for s in plan.steps if s.is_open), key=lambda s: (s.due_date, s.id))
    week = today + timedelta(days=7)
    fy_end = fiscal_year_bounds(fiscal_year(today))[1]
    if open_steps and not any(today <= s.due_date < week for s in open_steps):
        # Something is always due this week: the next open step is brought forward.
        step = next((s for s in open_steps if s.due_date >= today), open_steps[-1])
        due = next_business_day(today + timedelta(days=2))
        if due <= fy_end:
            step.start_date = min(step.start_date, due)
            step.due_date = due
            measure = step.measure
            measure.period_start = min(measure.period_start, step.start_date)
            measure.period_end = max(measure.period_end, due)
    db.session.flush()
    return changed


def load_living_plan(source: Plan, now: datetime) -> LivingPlan:
    """The demo plan of the fiscal year of `now` (Bangkok), made from `source` when missing."""
    today = now.astimezone(BANGKOK).date()
    year = fiscal_year(today)
    existing = db.session.scalar(
        sa.select(Plan).where(Plan.organization_id == source.organization_id, Plan.fiscal_year == year)
    )
    if existing is not None or year <= source.fiscal_year:
        return LivingPlan(plan=existing or source, created=False)
    admin = db.session.scalar(
        sa.select(User).where(User.organization_id == source.organization_id, User.role == Role.admin).limit(1)
    )
    plan = rollover_plan(source, year, admin, now, any_later_year=True)
    _retime(plan, source, today)
    plan.status = PlanStatus.active
    # The seed's year is history now: closed, so its last open step neither waits on the
    # owners' homes ("ช้า 1,160 วัน") nor draws reminders.
    source.status = PlanStatus.closed
    db.session.flush()
    return LivingPlan(plan=plan, created=True, steps_changed=_progress(plan, today, now))
