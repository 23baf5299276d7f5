"""Applying a plan file (a validated PlanSpec) to the database.

Re-importing updates in place. The plan is found by (organization slug,
fiscal year); weaknesses, measures and steps are matched by position (the
first step of the first measure of the first weakness, and so on):

* the same file again changes nothing;
* titles, owners, dates, periods, follow-ups and assignees are updated where
  they differ, and every change to an existing step is journaled;
* items beyond the old ones are added; items no longer in the file are
  removed only when none of their steps has progress (status not_started and
  no evidence) and a removed measure has no follow-up result or evidence of
  its own; otherwise the whole import is refused;
* step statuses, evidence and journals are never touched.

Departments are matched by name; an e-mail given in the file updates the
department's. Owners not yet known are created.

Like every service this flushes and never commits: the caller commits on
success and rolls back on PlanFileError.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from .. import access
from ..auth.models import User
from ..db import db
from ..errors import PermissionDenied
from ..i18n import _
from ..journal import apply_changes, record
from ..orgs.models import Organization
from ..thaidate import format_date, format_period
from .import_writer import NOTE, ImportResult, _has_progress, _PlanWriter, _quote
from .models import Evidence, Measure, MeasureResult, Plan, Step, Weakness
from .planfile import MeasureSpec, PlanFileError, PlanSpec, Problem, StepSpec, WeaknessSpec
from .structure import renumber

__all__ = ["ImportResult", "import_plan"]


def _measure_no(w_index: int, m_index: int, measure_count: int) -> str:
    return f"{w_index}.{m_index}" if measure_count > 1 else str(w_index)


class _Importer(_PlanWriter):
    # -- checks that need the database, all before any write ---------------

    def check(self) -> tuple[Organization | None, Plan | None]:
        spec = self.spec
        problems: list[Problem] = []
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == spec.organization.slug))
        if self.actor is not None:
            if not (access.may_import(self.actor) or access.is_oversight(self.actor)):
                raise PermissionDenied(_("เฉพาะผู้ดูแลระบบเท่านั้นที่นำเข้าแผนได้"))
            if org is None or not access.may_import_plan_for(self.actor, org.id):
                # Same message whether the slug exists or not: never reveal other organizations.
                raise PlanFileError(
                    [
                        Problem(
                            spec.organization_place,
                            _(
                                "นำเข้าได้เฉพาะแผนขององค์กรที่คุณดูแล รหัส “%(spec_organization_slug)s” ไม่ใช่องค์กรที่คุณนำเข้าแผนได้",
                                spec_organization_slug=spec.organization.slug,
                            ),
                        )
                    ]
                )
        plan = None
        if org is not None:
            plan = db.session.scalar(
                sa.select(Plan).where(Plan.organization_id == org.id, Plan.fiscal_year == spec.fiscal_year)
            )
            users = db.session.scalars(sa.select(User).where(User.organization_id == org.id))
            self.users = {u.email: u for u in users}
        for step in spec.steps:
            if step.assignee and step.assignee not in self.users:
                problems.append(
                    Problem(
                        step.assignee_place,
                        _("ไม่พบผู้ใช้อีเมล %(step_assignee)s ในองค์กรนี้", step_assignee=step.assignee),
                    )
                )
        if plan is not None:
            problems.extend(self.removal_problems(plan))
        if problems:
            raise PlanFileError(problems)
        return org, plan

    def removal_problems(self, plan: Plan) -> list[Problem]:
        """Steps that would disappear although someone already worked on them."""
        spec = self.spec
        doomed: list[Step] = []
        doomed_measures: list[Measure] = []
        for wi, weakness in enumerate(plan.weaknesses):
            if wi >= len(spec.weaknesses):
                doomed_measures += weakness.measures
                continue
            w_spec = spec.weaknesses[wi]
            for mi, measure in enumerate(weakness.measures):
                if mi >= len(w_spec.measures):
                    doomed_measures.append(measure)
                    continue
                doomed += measure.steps[len(w_spec.measures[mi].steps) :]
        doomed += [s for m in doomed_measures for s in m.steps]
        problems = [self.measure_progress_problem(m) for m in doomed_measures if self.measure_has_results(m)]
        for step in doomed:
            if _has_progress(step):
                evidence = f" หลักฐาน {len(step.evidence)} รายการ" if step.evidence else ""
                problems.append(
                    Problem(
                        _("ขั้นตอน %(step_number)s", step_number=step.number),
                        _(
                            "ไฟล์ไม่มีขั้นตอน %(quote_step_title)s แล้ว แต่ขั้นตอนนี้มีความคืบหน้า (สถานะ “%(step_status_label)s”%(evidence)s) จึงลบไม่ได้ ให้คงขั้นตอนนี้ไว้ในไฟล์ หรือเปลี่ยนสถานะเป็นยังไม่เริ่มและลบหลักฐานก่อน",
                            quote_step_title=_quote(step.title),
                            step_status_label=step.status.label,
                            evidence=evidence,
                            step_status_value=step.status.value,
                            len_step_evidence=len(step.evidence),
                        ),
                    )
                )
        return problems

    @staticmethod
    def measure_has_results(measure: Measure) -> bool:
        """A follow-up result or evidence of the measure itself (the O43 report's material)."""
        result = db.session.scalar(sa.select(MeasureResult.id).where(MeasureResult.measure_id == measure.id).limit(1))
        evidence = db.session.scalar(sa.select(Evidence.id).where(Evidence.measure_id == measure.id).limit(1))
        return result is not None or evidence is not None

    @staticmethod
    def measure_progress_problem(measure: Measure) -> Problem:
        return Problem(
            _("มาตรการ %(measure_number)s", measure_number=measure.number),
            _(
                "ไฟล์ไม่มีมาตรการ %(quote_measure_title)s แล้ว แต่มาตรการนี้มีผลการติดตามหรือหลักฐานบันทึกไว้ จึงลบไม่ได้ ให้คงมาตรการนี้ไว้ในไฟล์",
                quote_measure_title=_quote(measure.title),
            ),
        )

    # -- the import ------------------------------------------------------------

    def run(self) -> ImportResult:
        org, plan = self.check()
        org = self.organization(org)
        self.org = org
        self.sync_departments(org)
        if plan is None:
            plan = self.create_plan(org)
            return ImportResult(plan=plan, created=True, changes=self.changes)
        self.update_plan(plan)
        if self.changes:
            self.journal_import(plan, f"{len(self.changes)} รายการ")
        db.session.flush()
        return ImportResult(plan=plan, created=False, changes=self.changes)

    # -- an existing plan ------------------------------------------------------

    def update_plan(self, plan: Plan) -> None:
        spec = self.spec
        if plan.title != spec.title:
            self.changes.append(f"ชื่อแผน: {_quote(plan.title)} → {_quote(spec.title)}")
            self.apply(plan, "plan", "title", spec.title)
        if spec.status is not None and plan.status is not spec.status:
            self.changes.append(f"สถานะแผน: {plan.status.label} → {spec.status.label}")
            self.apply(plan, "plan", "status", spec.status)
        old_weaknesses = list(plan.weaknesses)
        renumber(old_weaknesses)
        for wi, w_spec in enumerate(spec.weaknesses, start=1):
            if wi <= len(old_weaknesses):
                self.update_weakness(old_weaknesses[wi - 1], wi, w_spec)
            else:
                weakness = Weakness(plan=plan, order=wi, title=w_spec.title, detail=w_spec.detail)
                db.session.add(weakness)
                for mi, m_spec in enumerate(w_spec.measures, start=1):
                    self.new_measure(weakness, mi, m_spec)
                db.session.flush()
                self.changes.append(f"เพิ่มประเด็นที่ {wi} {_quote(w_spec.title)}")
                self.journal_new_steps([s for m in weakness.measures for s in m.steps])
        for weakness in old_weaknesses[len(spec.weaknesses) :]:
            self.changes.append(f"ลบประเด็นที่ {weakness.order} {_quote(weakness.title)}")
            for step in [s for m in weakness.measures for s in m.steps]:
                self.journal_deleted("step", step)
            self.journal_deleted("weakness", weakness)
            plan.weaknesses.remove(weakness)
        db.session.flush()

    def update_weakness(self, weakness: Weakness, wi: int, w_spec: WeaknessSpec) -> None:
        for attr, label in (("title", "ชื่อ"), ("detail", "รายละเอียด")):
            old, new = getattr(weakness, attr), getattr(w_spec, attr)
            if old != new:
                self.changes.append(f"ประเด็นที่ {wi}: {label} {_quote(old or '-')} → {_quote(new or '-')}")
                self.apply(weakness, "weakness", attr, new)
        old_measures = list(weakness.measures)
        renumber(old_measures)
        count = len(w_spec.measures)
        for mi, m_spec in enumerate(w_spec.measures, start=1):
            number = _measure_no(wi, mi, count)
            if mi <= len(old_measures):
                self.update_measure(old_measures[mi - 1], number, m_spec)
            else:
                measure = self.new_measure(weakness, mi, m_spec)
                db.session.flush()
                self.changes.append(f"เพิ่มมาตรการ {number} {_quote(m_spec.title)}")
                self.journal_new_steps(list(measure.steps))
        for measure in old_measures[count:]:
            number = _measure_no(wi, measure.order, len(old_measures))
            self.changes.append(f"ลบมาตรการ {number} {_quote(measure.title)}")
            for step in measure.steps:
                self.journal_deleted("step", step)
            self.journal_deleted("measure", measure)
            weakness.measures.remove(measure)

    def update_measure(self, measure: Measure, number: str, m_spec: MeasureSpec) -> None:
        owner = self.departments[m_spec.owner]
        if measure.title != m_spec.title:
            self.changes.append(f"มาตรการ {number}: ชื่อ {_quote(measure.title)} → {_quote(m_spec.title)}")
            self.apply(measure, "measure", "title", m_spec.title)
        if measure.owner_department_id != owner.id:
            self.changes.append(f"มาตรการ {number}: ผู้รับผิดชอบ {measure.owner_department.name} → {owner.name}")
            self.apply(measure, "measure", "owner_department", owner)
        old_period = (measure.period_start, measure.period_end)
        new_period = (m_spec.period_start, m_spec.period_end)
        if old_period != new_period:
            self.changes.append(
                f"มาตรการ {number}: ระยะเวลา {format_period(*old_period)} → {format_period(*new_period)}"
            )
            # One journal line for the pair: the file states the period as one value.
            record(
                organization_id=self.org_id,
                entity="measure",
                entity_id=measure.id,
                action="edit",
                actor=self.actor,
                field="period",
                old="/".join(d.isoformat() for d in old_period),
                new="/".join(d.isoformat() for d in new_period),
                note=NOTE,
                at=self.now,
            )
            measure.period_start, measure.period_end = new_period
        if measure.follow_up != m_spec.follow_up:
            self.changes.append(
                f"มาตรการ {number}: การติดตามผล {_quote(measure.follow_up or '-')} → {_quote(m_spec.follow_up or '-')}"
            )
            self.apply(measure, "measure", "follow_up", m_spec.follow_up)
        old_steps = list(measure.steps)
        renumber(old_steps)
        for si, s_spec in enumerate(m_spec.steps, start=1):
            if si <= len(old_steps):
                self.update_step(old_steps[si - 1], f"{number}.{si}", s_spec, m_spec.owner)
            else:
                step = self.new_step(measure, si, s_spec)
                db.session.flush()
                self.changes.append(f"เพิ่มขั้นตอน {number}.{si} {_quote(s_spec.title)}")
                self.journal_new_steps([step])
        for step in old_steps[len(m_spec.steps) :]:
            self.changes.append(f"ลบขั้นตอน {number}.{step.order} {_quote(step.title)}")
            self.journal_deleted("step", step)
            measure.steps.remove(step)

    def update_step(self, step: Step, number: str, s_spec: StepSpec, measure_owner: str) -> None:
        owner = self.departments[s_spec.owner or measure_owner]
        assignee = self.users[s_spec.assignee] if s_spec.assignee else None
        fields: list[tuple[str, str, Any, Any, str, str]] = []
        if step.title != s_spec.title:
            fields.append(("title", "ชื่อ", step.title, s_spec.title, _quote(step.title), _quote(s_spec.title)))
        if step.owner_department_id != owner.id:
            fields.append(
                ("owner_department", "ผู้รับผิดชอบ", step.owner_department, owner, step.owner_department.name, owner.name)
            )
        if step.assignee_id != (assignee.id if assignee else None):
            fields.append(
                (
                    "assignee",
                    "ผู้ได้รับมอบหมาย",
                    step.assignee,
                    assignee,
                    step.assignee.email if step.assignee else "-",
                    assignee.email if assignee else "-",
                )
            )
        for attr, label, new in (("start_date", "วันเริ่ม", s_spec.start), ("due_date", "วันครบกำหนด", s_spec.due)):
            old: date = getattr(step, attr)
            if old != new:
                fields.append((attr, label, old, new, format_date(old), format_date(new)))
        warn = ""
        if any(f[0] == "title" for f in fields) and _has_progress(step):
            warn = f" (ขั้นตอนนี้มีสถานะ “{step.status.label}” อยู่แล้ว สถานะคงเดิม)"
        assert self.org is not None
        apply_changes(
            step,
            [(attr, old, new) for attr, _unused, old, new, _unused, _unused in fields],
            organization_id=self.org.id,
            entity="step",
            actor=self.actor,
            at=self.now,
            note=NOTE,
            step=step,
        )
        for attr, label, _unused, _unused, old_text, new_text in fields:
            self.changes.append(f"ขั้นตอน {number}: {label} {old_text} → {new_text}" + (warn if attr == "title" else ""))


def import_plan(spec: PlanSpec, actor: User | None, now: datetime) -> ImportResult:
    """Create or update the plan the spec describes (see the module docstring).

    Raises PlanFileError for problems found against the database (an unknown
    assignee, removing steps that have progress, a plan of another
    organization) before writing anything, and PermissionDenied when `actor`
    is not an administrator. `actor` None means the command line.
    """
    return _Importer(spec, actor, now).run()
