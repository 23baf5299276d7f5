"""Plan structure edits: plans, weaknesses, measures and steps, and their history.

Each function takes plain values (records already loaded and checked to belong
to the actor's organization), validates them, changes the session, journals
every change with its old and new value, flushes, and never commits: the view
or command that calls it owns the transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from .. import versions
from ..auth.models import User
from ..db import db
from ..errors import ServiceError, clean_text
from ..journal import Change, apply_changes, changed, record, record_step
from ..orgs.models import Department, Organization
from ..thaidate import MAX_BE_YEAR, MIN_BE_YEAR, fiscal_year_bounds, format_date
from .models import PROGRESS_ACTIONS, Evidence, JournalEntry, Measure, Plan, PlanStatus, Step, StepStatus, Weakness
from .services import edit_step, validate_step_dates


def renumber(siblings: list[Any]) -> None:
    """Close the gap left by a removed item: 1, 2, 3 … in the current order.

    One flush per row, lowest first, so the (parent, order) unique constraint
    never sees two rows with the same number on any backend.
    """
    for position, item in enumerate(sorted(siblings, key=lambda x: x.order), start=1):
        if item.order != position:
            item.order = position
            db.session.flush()


# -- plans --------------------------------------------------------------------


def _created(
    item: Weakness | Measure, entity: str, label: str, organization_id: int, actor: User | None, now: datetime
) -> None:
    """Journal a new weakness or measure by its number and title."""
    record(
        organization_id=organization_id,
        entity=entity,
        entity_id=item.id,
        action="create",
        actor=actor,
        field="title",
        new=label,
        at=now,
    )
    db.session.flush()


def _remove(
    parent: Plan | Weakness | Measure,
    entity: str,
    siblings: list[Any],
    item: Weakness | Measure | Step,
    label: str,
    organization_id: int,
    actor: User | None,
    now: datetime,
) -> None:
    """Take a weakness, measure or step out of its parent and number the rest again. The
    deletion is journaled on the parent (field: the item's kind), since the item's own
    entries lose their link to it."""
    record(
        organization_id=organization_id,
        entity=entity,
        entity_id=parent.id,
        action="delete",
        actor=actor,
        field=type(item).__name__.lower(),
        old=label,
        at=now,
    )
    siblings.remove(item)
    db.session.flush()
    renumber(siblings)


def create_plan(organization: Organization, actor: User | None, now: datetime, *, fiscal_year: int, title: str) -> Plan:
    """An empty plan for a fiscal year (importing a file is the usual way)."""
    if not MIN_BE_YEAR <= fiscal_year <= MAX_BE_YEAR:
        raise ServiceError("ปีงบประมาณต้องเป็นปี พ.ศ. เช่น 2566 (the fiscal year must be a Buddhist-Era year, e.g. 2566)")
    title = clean_text(title, "ชื่อแผน", "title")
    exists = db.session.scalar(
        sa.select(Plan.id).where(Plan.organization_id == organization.id, Plan.fiscal_year == fiscal_year)
    )
    if exists is not None:
        raise ServiceError(
            f"มีแผนของปีงบประมาณ {fiscal_year} อยู่แล้ว (a plan for fiscal year {fiscal_year} already exists)"
        )
    plan = Plan(organization=organization, fiscal_year=fiscal_year, title=title, status=PlanStatus.draft)
    db.session.add(plan)
    db.session.flush()
    record(
        organization_id=organization.id,
        entity="plan",
        entity_id=plan.id,
        action="create",
        actor=actor,
        field="title",
        new=title,
        note=f"ปีงบประมาณ {fiscal_year}",
        at=now,
    )
    db.session.flush()
    return plan


def edit_plan(
    plan: Plan,
    actor: User | None,
    now: datetime,
    *,
    title: str | None = None,
    status: PlanStatus | str | None = None,
    version: int | None = None,
) -> list[str]:
    versions.check(plan, version)
    changes: list[Change] = []
    if title is not None:
        changed(changes, "title", plan.title, clean_text(title, "ชื่อแผน", "title"))
    if status is not None:
        try:
            status = PlanStatus(status)
        except ValueError:
            raise ServiceError(f"สถานะแผนไม่ถูกต้อง: {status!r} (status must be draft, active or closed)") from None
        changed(changes, "status", plan.status, status)
    return apply_changes(plan, changes, organization_id=plan.organization_id, entity="plan", actor=actor, at=now)


# -- weaknesses -----------------------------------------------------------------


def add_weakness(plan: Plan, actor: User | None, now: datetime, *, title: str, detail: str = "") -> Weakness:
    title = clean_text(title, "ประเด็นจุดอ่อน", "title")
    order = max((w.order for w in plan.weaknesses), default=0) + 1
    weakness = Weakness(plan=plan, order=order, title=title, detail=(detail or "").strip())
    db.session.add(weakness)
    db.session.flush()
    _created(weakness, "weakness", f"{order}. {title}", plan.organization_id, actor, now)
    return weakness


def edit_weakness(
    weakness: Weakness, actor: User | None, now: datetime, *, title: str | None = None, detail: str | None = None
) -> list[str]:
    changes: list[Change] = []
    if title is not None:
        changed(changes, "title", weakness.title, clean_text(title, "ประเด็นจุดอ่อน", "title"))
    if detail is not None:
        changed(changes, "detail", weakness.detail or "", detail.strip())
    return apply_changes(
        weakness, changes, organization_id=weakness.plan.organization_id, entity="weakness", actor=actor, at=now
    )


def delete_weakness(weakness: Weakness, actor: User | None, now: datetime) -> None:
    """Remove a weakness with its measures and steps, only if no step has progress."""
    busy = [s for m in weakness.measures for s in m.steps if step_progress(s)]
    if busy:
        raise ServiceError(
            f"ลบประเด็นนี้ไม่ได้ เพราะมีขั้นตอนที่มีความคืบหน้าหรือหลักฐานแล้ว: {_step_list(busy)} "
            "(cannot delete: some steps have progress or evidence)"
        )
    plan = weakness.plan
    _remove(
        plan, "plan", plan.weaknesses, weakness, f"{weakness.order}. {weakness.title}", plan.organization_id, actor, now
    )


# -- measures -------------------------------------------------------------------


def _check_period(plan: Plan, start: date, end: date) -> None:
    if start > end:
        raise ServiceError(
            f"วันเริ่ม ({format_date(start)}) อยู่หลังวันสิ้นสุด ({format_date(end)}) (the period ends before it starts)"
        )
    fy_start, fy_end = fiscal_year_bounds(plan.fiscal_year)
    if start < fy_start or end > fy_end:
        raise ServiceError(
            f"ระยะเวลา {format_date(start)} – {format_date(end)} อยู่นอกปีงบประมาณ {plan.fiscal_year} "
            f"({format_date(fy_start)} – {format_date(fy_end)}) (the period is outside the plan's fiscal year)"
        )


def _check_department(department: Department | None, organization_id: int, what: str = "หน่วยงาน") -> Department:
    if department is None:
        raise ServiceError(f"โปรดเลือก{what} (a department is required)")
    if department.organization_id != organization_id:
        raise ServiceError("หน่วยงานนี้ไม่อยู่ในองค์กรเดียวกัน (department of another organization)")
    return department


def add_measure(
    weakness: Weakness,
    actor: User | None,
    now: datetime,
    *,
    title: str,
    owner_department: Department | None,
    period_start: date,
    period_end: date,
    follow_up: str = "",
) -> Measure:
    plan = weakness.plan
    title = clean_text(title, "ชื่อมาตรการ", "title")
    _check_department(owner_department, plan.organization_id, "หน่วยงานผู้รับผิดชอบ")
    _check_period(plan, period_start, period_end)
    order = max((m.order for m in weakness.measures), default=0) + 1
    measure = Measure(
        weakness=weakness,
        order=order,
        title=title,
        owner_department=owner_department,
        period_start=period_start,
        period_end=period_end,
        follow_up=(follow_up or "").strip(),
    )
    db.session.add(measure)
    db.session.flush()
    _created(measure, "measure", f"{measure.number} {title}", plan.organization_id, actor, now)
    return measure


def edit_measure(
    measure: Measure,
    actor: User | None,
    now: datetime,
    *,
    title: str | None = None,
    owner_department: Department | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    follow_up: str | None = None,
    move_steps: bool = False,
    version: int | None = None,
) -> list[str]:
    """Edit a measure. A new period must still hold every step's due date;
    step start dates before the new start move up to it (journaled).
    With `move_steps`, steps owned by the old department follow a new owner."""
    versions.check(measure, version)
    plan = measure.plan
    org_id = plan.organization_id
    changes: list[Change] = []
    if title is not None:
        changed(changes, "title", measure.title, clean_text(title, "ชื่อมาตรการ", "title"))
    if follow_up is not None:
        changed(changes, "follow_up", measure.follow_up or "", follow_up.strip())
    old_department = measure.owner_department
    if owner_department is not None:
        _check_department(owner_department, org_id, "หน่วยงานผู้รับผิดชอบ")
        if owner_department.id != measure.owner_department_id:
            changes.append(("owner_department", old_department, owner_department))
    start = period_start or measure.period_start
    end = period_end or measure.period_end
    if (start, end) != (measure.period_start, measure.period_end):
        _check_period(plan, start, end)
        stranded = [s for s in measure.steps if not start <= s.due_date <= end]
        if stranded:
            listed = "; ".join(f"{s.number} {s.title} (ครบกำหนด {format_date(s.due_date)})" for s in stranded)
            raise ServiceError(
                f"เปลี่ยนระยะเวลาเป็น {format_date(start)} – {format_date(end)} ไม่ได้ เพราะวันครบกำหนดของขั้นตอน "
                f"{listed} จะอยู่นอกระยะเวลา โปรดแก้วันครบกำหนดของขั้นตอนเหล่านี้ก่อน "
                "(the new period would leave these steps' due dates outside it: change them first)"
            )
        changed(changes, "period_start", measure.period_start, start)
        changed(changes, "period_end", measure.period_end, end)
    fields = apply_changes(measure, changes, organization_id=org_id, entity="measure", actor=actor, at=now)
    for step in measure.steps:
        if step.start_date < measure.period_start:
            edit_step(
                step,
                actor,
                now,
                start_date=measure.period_start,
                note="เลื่อนวันเริ่มตามระยะเวลามาตรการ (start moved with the measure's period)",
            )
        if move_steps and "owner_department" in fields and step.owner_department_id == old_department.id:
            edit_step(
                step,
                actor,
                now,
                owner_department=measure.owner_department,
                note="ย้ายตามหน่วยงานผู้รับผิดชอบมาตรการ (moved with the measure's owner)",
            )
    return fields


def delete_measure(measure: Measure, actor: User | None, now: datetime) -> None:
    busy = [s for s in measure.steps if step_progress(s)]
    if busy:
        raise ServiceError(
            f"ลบมาตรการนี้ไม่ได้ เพราะมีขั้นตอนที่มีความคืบหน้าหรือหลักฐานแล้ว: {_step_list(busy)} "
            "(cannot delete: some steps have progress or evidence)"
        )
    weakness = measure.weakness
    _remove(
        weakness,
        "weakness",
        weakness.measures,
        measure,
        f"{measure.number} {measure.title}",
        weakness.plan.organization_id,
        actor,
        now,
    )


# -- steps ----------------------------------------------------------------------


def step_progress(step: Step) -> list[str]:
    """Why a step may not be deleted: its status, evidence, or recorded work."""
    reasons: list[str] = []
    if step.status is not StepStatus.not_started:
        reasons.append(f"อยู่ในสถานะ “{step.status.label}”")
    evidence = db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(Evidence.step_id == step.id)) or 0
    if evidence:
        reasons.append(f"มีหลักฐาน {evidence} รายการ")
    if not reasons:
        worked = db.session.scalar(
            sa.select(sa.func.count(JournalEntry.id)).where(
                JournalEntry.step_id == step.id, JournalEntry.action.in_(PROGRESS_ACTIONS)
            )
        )
        if worked:
            reasons.append("มีบันทึกการดำเนินงานแล้ว")
    return reasons


def _step_list(steps: list[Step]) -> str:
    return "; ".join(f"{s.number} {s.title}" for s in steps)


def _check_assignee(assignee: User | None, organization_id: int) -> None:
    if assignee is None:
        return
    if assignee.organization_id != organization_id:
        raise ServiceError("ผู้รับผิดชอบไม่อยู่ในองค์กรเดียวกัน (assignee of another organization)")
    if not assignee.active:
        raise ServiceError(f"ผู้ใช้ {assignee.display_name} ถูกปิดการใช้งานแล้ว (the assignee is deactivated)")


def add_step(
    measure: Measure,
    actor: User | None,
    now: datetime,
    *,
    title: str,
    start_date: date,
    due_date: date,
    owner_department: Department | None = None,
    assignee: User | None = None,
) -> Step:
    """Append a step at the end of the measure; the owner is the measure's unless given."""
    org_id = measure.plan.organization_id
    title = clean_text(title, "ชื่อขั้นตอน", "title")
    department = _check_department(owner_department or measure.owner_department, org_id)
    _check_assignee(assignee, org_id)
    validate_step_dates(measure, start_date, due_date)
    order = max((s.order for s in measure.steps), default=0) + 1
    step = Step(
        measure=measure,
        order=order,
        title=title,
        owner_department=department,
        assignee=assignee,
        start_date=start_date,
        due_date=due_date,
        status=StepStatus.not_started,
    )
    db.session.add(step)
    db.session.flush()
    record_step(
        step,
        "create",
        actor,
        field="title",
        new=f"{step.number} {title}",
        note=f"ครบกำหนด {format_date(due_date)} · {department.name}",
        at=now,
    )
    db.session.flush()
    return step


def update_step(
    step: Step,
    actor: User | None,
    now: datetime,
    *,
    title: str,
    owner_department: Department | None,
    assignee: User | None,
    start_date: date,
    due_date: date,
    version: int | None = None,
) -> list[str]:
    """The admin form's edit: checks the assignee, then `plans.services.edit_step` journals."""
    versions.check(step, version)
    org_id = step.measure.plan.organization_id
    _check_department(owner_department, org_id)
    if assignee is not None and assignee.id != step.assignee_id:
        _check_assignee(assignee, org_id)
    return edit_step(
        step,
        actor,
        now,
        title=title,
        owner_department=owner_department,
        assignee=assignee,
        start_date=start_date,
        due_date=due_date,
    )


def delete_step(step: Step, actor: User | None, now: datetime) -> None:
    """Delete a step that nobody has worked on yet and renumber the ones after it.

    The deletion is journaled on the measure, since the step's own entries lose
    their link to it."""
    reasons = step_progress(step)
    if reasons:
        raise ServiceError(
            f"ลบขั้นตอน {step.number} ไม่ได้ เพราะ{' และ'.join(reasons)} "
            "หากไม่ทำขั้นตอนนี้แล้วให้เปลี่ยนสถานะเป็น “ยกเลิก” แทน "
            "(cannot delete a step with progress or evidence: cancel it instead)"
        )
    measure = step.measure
    _remove(
        measure, "measure", measure.steps, step, f"{step.number} {step.title}", measure.plan.organization_id, actor, now
    )


# -- history --------------------------------------------------------------------


def plan_history(plan: Plan, limit: int = 50) -> list[JournalEntry]:
    """Edits of the plan and everything in it, newest first (not the owners' progress)."""
    weakness_ids = [w.id for w in plan.weaknesses]
    measure_ids = [m.id for m in plan.measures]
    step_ids = [s.id for s in plan.steps]
    J = JournalEntry
    conditions = [sa.and_(J.entity == "plan", J.entity_id == plan.id)]
    if weakness_ids:
        conditions.append(sa.and_(J.entity == "weakness", J.entity_id.in_(weakness_ids)))
    if measure_ids:
        conditions.append(sa.and_(J.entity == "measure", J.entity_id.in_(measure_ids)))
    if step_ids:
        conditions.append(sa.and_(J.step_id.in_(step_ids), J.action.not_in(PROGRESS_ACTIONS)))
    return list(
        db.session.scalars(
            sa.select(J)
            .where(J.organization_id == plan.organization_id, sa.or_(*conditions))
            .order_by(J.created_at.desc(), J.id.desc())
            .limit(limit)
        )
    )


def entity_history(organization_id: int, entity: str, entity_id: int, limit: int = 50) -> list[JournalEntry]:
    J = JournalEntry
    return list(
        db.session.scalars(
            sa.select(J)
            .where(J.organization_id == organization_id, J.entity == entity, J.entity_id == entity_id)
            .order_by(J.created_at.desc(), J.id.desc())
            .limit(limit)
        )
    )
