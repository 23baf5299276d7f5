"""Writing a plan file's items into the database, for the importer (`importer`):
the import's state, field changes journaled through one helper, the organization,
departments, owners, and new weaknesses, measures and steps. Flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..auth.models import User
from ..db import db
from ..journal import apply_changes, record, record_step
from ..orgs.models import Department, Organization
from .models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness
from .planfile import MeasureSpec, PlanSpec, StepSpec

NOTE = "import"


@dataclass
class ImportResult:
    plan: Plan
    #: True when the plan did not exist before this import.
    created: bool
    #: What was done, one human-readable Thai line per change; empty when nothing changed.
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _has_progress(step: Step) -> bool:
    return step.status is not StepStatus.not_started or bool(step.evidence)


class _PlanWriter:
    def __init__(self, spec: PlanSpec, actor: User | None, now: datetime):
        self.spec = spec
        self.actor = actor
        self.now = now
        self.changes: list[str] = []
        self.org: Organization | None = None
        self.departments: dict[str, Department] = {}
        self.users: dict[str, User] = {}

    @property
    def org_id(self) -> int:
        """The organization written to (set by run() before any change)."""
        assert self.org is not None
        return self.org.id

    def apply(self, obj: Any, entity: str, field: str, new: Any) -> None:
        assert self.org is not None
        apply_changes(
            obj,
            [(field, getattr(obj, field), new)],
            organization_id=self.org.id,
            entity=entity,
            actor=self.actor,
            at=self.now,
            note=NOTE,
        )

    def organization(self, org: Organization | None) -> Organization:
        o = self.spec.organization
        if org is None:
            org = Organization(name=o.name, slug=o.slug, province=o.province)
            db.session.add(org)
            db.session.flush()
            self.changes.append(f"สร้างองค์กร {o.name} ({o.slug})")
            record(
                organization_id=org.id,
                entity="organization",
                entity_id=org.id,
                action="create",
                actor=self.actor,
                note=NOTE,
                at=self.now,
            )
            return org
        self.org = org  # renaming or moving province is journaled against it
        for attr, label in (("name", "ชื่อองค์กร"), ("province", "จังหวัด")):
            old, new = getattr(org, attr), getattr(o, attr)
            if old != new:
                self.changes.append(f"{label}: {_quote(old)} → {_quote(new)}")
                self.apply(org, "organization", attr, new)
        return org

    def sync_departments(self, org: Organization) -> None:
        existing = db.session.scalars(sa.select(Department).where(Department.organization_id == org.id))
        self.departments = {d.name: d for d in existing}
        emails = {d.name: d.email for d in self.spec.departments}
        for name in self.spec.owner_names():
            dept = self.departments.get(name)
            email = emails.get(name)
            if dept is None:
                dept = Department(organization=org, name=name, email=email)
                db.session.add(dept)
                db.session.flush()
                self.departments[name] = dept
                self.changes.append(f"สร้างหน่วยงาน {_quote(name)}" + (f" อีเมล {email}" if email else ""))
                record(
                    organization_id=org.id,
                    entity="department",
                    entity_id=dept.id,
                    action="create",
                    actor=self.actor,
                    new=name,
                    note=NOTE,
                    at=self.now,
                )
            elif email is not None and dept.email != email:
                self.changes.append(f"หน่วยงาน {_quote(name)}: อีเมล {dept.email or '-'} → {email}")
                self.apply(dept, "department", "email", email)

    def create_plan(self, org: Organization) -> Plan:
        spec = self.spec
        plan = Plan(
            organization=org,
            fiscal_year=spec.fiscal_year,
            title=spec.title,
            status=spec.status or PlanStatus.active,
            created_at=self.now,
        )
        db.session.add(plan)
        for wi, w_spec in enumerate(spec.weaknesses, start=1):
            weakness = Weakness(plan=plan, order=wi, title=w_spec.title, detail=w_spec.detail)
            db.session.add(weakness)
            for mi, m_spec in enumerate(w_spec.measures, start=1):
                self.new_measure(weakness, mi, m_spec)
        db.session.flush()
        counts = f"{len(spec.weaknesses)} ประเด็น {len(spec.measures)} มาตรการ {len(spec.steps)} ขั้นตอน"
        self.changes.append(f"สร้างแผนปีงบประมาณ {spec.fiscal_year}: {counts}")
        self.journal_import(plan, counts)
        return plan

    def new_measure(self, weakness: Weakness, order: int, m_spec: MeasureSpec) -> Measure:
        measure = Measure(
            weakness=weakness,
            order=order,
            title=m_spec.title,
            owner_department=self.departments[m_spec.owner],
            period_start=m_spec.period_start,
            period_end=m_spec.period_end,
            follow_up=m_spec.follow_up,
        )
        # SQLAlchemy 2 no longer cascades objects into the session through backrefs.
        db.session.add(measure)
        for si, s_spec in enumerate(m_spec.steps, start=1):
            self.new_step(measure, si, s_spec)
        return measure

    def new_step(self, measure: Measure, order: int, s_spec: StepSpec) -> Step:
        step = Step(
            measure=measure,
            order=order,
            title=s_spec.title,
            owner_department=self.departments[s_spec.owner or measure.owner_department.name],
            assignee=self.users[s_spec.assignee] if s_spec.assignee else None,
            start_date=s_spec.start,
            due_date=s_spec.due,
            status=StepStatus.not_started,
        )
        db.session.add(step)
        return step

    def journal_import(self, plan: Plan, what: str) -> None:
        """One entry on the plan for the whole import: the file, and what it brought."""
        assert self.org is not None
        record(
            organization_id=self.org.id,
            entity="plan",
            entity_id=plan.id,
            action=NOTE,
            actor=self.actor,
            note=f"นำเข้าไฟล์แผน {self.spec.source}: {what} (plan file import)",
            at=self.now,
        )

    def journal_new_steps(self, steps: list[Step]) -> None:
        for step in steps:
            record_step(step, "create", self.actor, new=step.title, note=NOTE, at=self.now)

    def journal_deleted(self, entity: str, item: Weakness | Measure | Step) -> None:
        """The deletion of a weakness, measure or step, journaled with its title. Not linked
        to the row, which is about to go; entity_id keeps the trace."""
        assert self.org is not None
        record(
            organization_id=self.org.id,
            entity=entity,
            entity_id=item.id,
            action="delete",
            actor=self.actor,
            old=item.title,
            note=NOTE,
            at=self.now,
        )
