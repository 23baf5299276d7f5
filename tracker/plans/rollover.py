"""Rollover: start next fiscal year's plan as a copy of this year's.

The copy keeps the structure — weaknesses, measures, steps, owners,
assignees who are still active — and moves every measure period and step
start/due date by exactly one year (29 Feb becomes 28 Feb). Nothing of the
year's work comes along: every step is "not started", with no evidence, no
follow-up results and no journal; the new plan is a draft and carries one
journal entry, "rollover", naming its source. The admin then edits the draft
to the new ITA analysis and activates it.

Like every service this flushes and never commits.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..journal import record
from ..thaidate import to_thai_digits
from .models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness

__all__ = ["shift_year", "next_title", "rollover_plan"]


def shift_year(day: date, years: int = 1) -> date:
    """The same day `years` later; 29 Feb becomes 28 Feb in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def next_title(title: str, source_year: int, target_year: int) -> str:
    """The title with its year replaced, in the digits it was written with."""
    replaced = title.replace(str(source_year), str(target_year)).replace(
        to_thai_digits(str(source_year)), to_thai_digits(str(target_year))
    )
    if replaced == title:
        return f"{title} (ปีงบประมาณ พ.ศ. {to_thai_digits(str(target_year))})"
    return replaced


def _load(plan_id: int) -> Plan:
    plan = db.session.scalar(
        sa.select(Plan)
        .where(Plan.id == plan_id)
        .options(
            selectinload(Plan.weaknesses)
            .selectinload(Weakness.measures)
            .selectinload(Measure.steps)
            .joinedload(Step.assignee)
        )
    )
    assert plan is not None
    return plan


def rollover_plan(
    source: Plan, target_year: int, actor: User | None, now: datetime, *, any_later_year: bool = False
) -> Plan:
    """Copy `source` into a new draft plan of `target_year` (which must be the next fiscal
    year; any later one with `any_later_year`, as the demo does to reach the current year)."""
    years = target_year - source.fiscal_year
    if years != 1 and not (any_later_year and years > 1):
        raise ServiceError(
            f"คัดลอกแผนปีงบประมาณ {source.fiscal_year} ได้เฉพาะไปยังปีถัดไป ({source.fiscal_year + 1}) "
            f"ไม่ใช่ {target_year} (a plan rolls over to the next fiscal year only)"
        )
    existing = db.session.scalar(
        sa.select(Plan).where(Plan.organization_id == source.organization_id, Plan.fiscal_year == target_year)
    )
    if existing is not None:
        raise ServiceError(
            f"มีแผนของปีงบประมาณ {target_year} อยู่แล้ว (“{existing.title}”) คัดลอกทับไม่ได้ "
            f"(a plan for fiscal year {target_year} already exists; it is never overwritten)"
        )
    source = _load(source.id)
    plan = Plan(
        organization_id=source.organization_id,
        fiscal_year=target_year,
        title=next_title(source.title, source.fiscal_year, target_year),
        status=PlanStatus.draft,
        created_at=now,
    )
    counts = {"weaknesses": 0, "measures": 0, "steps": 0}
    for weakness in source.weaknesses:
        new_weakness = Weakness(order=weakness.order, title=weakness.title, detail=weakness.detail or "")
        plan.weaknesses.append(new_weakness)
        counts["weaknesses"] += 1
        for measure in weakness.measures:
            new_measure = Measure(
                order=measure.order,
                title=measure.title,
                owner_department_id=measure.owner_department_id,
                period_start=shift_year(measure.period_start, years),
                period_end=shift_year(measure.period_end, years),
                follow_up=measure.follow_up or "",
            )
            new_weakness.measures.append(new_measure)
            counts["measures"] += 1
            for step in measure.steps:
                assignee = step.assignee
                kept = (
                    assignee
                    if assignee is not None and assignee.active and assignee.organization_id == source.organization_id
                    else None
                )
                new_measure.steps.append(
                    Step(
                        order=step.order,
                        title=step.title,
                        owner_department_id=step.owner_department_id,
                        assignee_id=kept.id if kept else None,
                        start_date=shift_year(step.start_date, years),
                        due_date=shift_year(step.due_date, years),
                        status=StepStatus.not_started,
                        updated_at=now,
                    )
                )
                counts["steps"] += 1
    db.session.add(plan)
    db.session.flush()
    record(
        organization_id=plan.organization_id,
        entity="plan",
        entity_id=plan.id,
        action="rollover",
        actor=actor,
        field="fiscal_year",
        old=source.fiscal_year,
        new=target_year,
        note=(
            f"คัดลอกจากแผนปีงบประมาณ {source.fiscal_year} (แผน #{source.id}): "
            f"{counts['weaknesses']} ประเด็น {counts['measures']} มาตรการ {counts['steps']} ขั้นตอน "
            f"เลื่อนระยะเวลาไป {years} ปี ทุกขั้นตอนเริ่มใหม่เป็น “ยังไม่เริ่ม” "
            f"(rolled over from fiscal year {source.fiscal_year}: dates moved by {years} year(s), statuses reset)"
        ),
        at=now,
    )
    db.session.flush()
    return plan
