"""The improvement plan: plan → weakness → measure → step, with evidence and a journal."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..db import Model, UTCDateTime
from ..i18n import N_
from ..orgs.models import Department, Organization


class PlanStatus(str, enum.Enum):
    draft = "draft"
    active = "active"
    closed = "closed"

    @property
    def label(self) -> str:
        return {"draft": N_("ร่าง"), "active": N_("ดำเนินการ"), "closed": N_("ปิดแล้ว")}[self.value]


class StepStatus(str, enum.Enum):
    not_started = "not_started"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return STEP_STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        """Still to be done: not started or in progress (done and cancelled steps are closed)."""
        return self in OPEN_STATUSES


#: The statuses of a step that is still to be done. The one definition of "open".
OPEN_STATUSES = (StepStatus.not_started, StepStatus.in_progress)


def is_overdue_on(status: StepStatus, due_date: date, day: date) -> bool:
    """The one definition of "overdue": still open after its due date (on `day`, a Bangkok date)."""
    return status.is_open and due_date < day


def measure_number(weakness_order: int, measure_order: int, several: bool) -> str:
    """The one numbering rule of a measure: "1" when its weakness has one measure, "3.2" when
    it has `several`."""
    return f"{weakness_order}.{measure_order}" if several else str(weakness_order)


def step_number(measure_number: str, step_order: int) -> str:
    """A step's number: its measure's number and its own order ("3.2.1")."""
    return f"{measure_number}.{step_order}"


STEP_STATUS_LABELS = {
    StepStatus.not_started: N_("ยังไม่เริ่ม"),
    StepStatus.in_progress: N_("กำลังดำเนินการ"),
    StepStatus.done: "ดำเนินการแล้ว",
    StepStatus.cancelled: "ยกเลิก",
}


class Plan(Model):
    __tablename__ = "plans"
    __table_args__ = (sa.UniqueConstraint("organization_id", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    #: Buddhist-Era fiscal year, e.g. 2566 (1 Oct 2022 .. 30 Sep 2023)
    # Indexed: the overview lists the years with a plan by one index probe per year (bulk.distinct_values).
    fiscal_year: Mapped[int] = mapped_column(index=True)
    #: The ITA year whose result the measures answer and whose framework's items (O42/O43 in
    #: 2565) the memo and the follow-up report cite; the year before `fiscal_year` unless set
    assessed_year: Mapped[int] = mapped_column(default=lambda ctx: ctx.get_current_parameters()["fiscal_year"] - 1)
    title: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[PlanStatus] = mapped_column(
        sa.Enum(PlanStatus, native_enum=False, length=16), default=PlanStatus.active
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Edit counter: each saved edit adds one; a change made from an older version is refused (tracker/versions.py)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    organization: Mapped[Organization] = relationship(back_populates="plans")
    weaknesses: Mapped[list[Weakness]] = relationship(
        back_populates="plan", order_by="Weakness.order", cascade="all, delete-orphan"
    )

    @property
    def measures(self) -> list[Measure]:
        return [m for w in self.weaknesses for m in w.measures]

    @property
    def steps(self) -> list[Step]:
        return [s for m in self.measures for s in m.steps]


class Weakness(Model):
    """ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อน: a weak point found in the ITA result."""

    __tablename__ = "weaknesses"
    __table_args__ = (sa.UniqueConstraint("plan_id", "order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    #: 1-based position in the plan
    order: Mapped[int]
    title: Mapped[str] = mapped_column(sa.Text)
    detail: Mapped[str] = mapped_column(sa.Text, default="")

    plan: Mapped[Plan] = relationship(back_populates="weaknesses")
    measures: Mapped[list[Measure]] = relationship(
        back_populates="weakness", order_by="Measure.order", cascade="all, delete-orphan"
    )


class Measure(Model):
    """มาตรการ/แนวทาง: a project that answers a weakness."""

    __tablename__ = "measures"
    __table_args__ = (
        sa.UniqueConstraint("weakness_id", "order"),
        sa.CheckConstraint("period_start <= period_end", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    weakness_id: Mapped[int] = mapped_column(sa.ForeignKey("weaknesses.id", ondelete="CASCADE"), index=True)
    #: 1-based position within its weakness
    order: Mapped[int]
    title: Mapped[str] = mapped_column(sa.Text)
    owner_department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    #: การติดตามผล: how the result will be judged
    follow_up: Mapped[str] = mapped_column(sa.Text, default="")
    #: Edit counter: each saved edit adds one; a change made from an older version is refused (tracker/versions.py)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    weakness: Mapped[Weakness] = relationship(back_populates="measures")
    owner_department: Mapped[Department] = relationship()
    steps: Mapped[list[Step]] = relationship(
        back_populates="measure", order_by="Step.order", cascade="all, delete-orphan"
    )

    @property
    def number(self) -> str:
        """ "1" when the weakness has one measure, "3.2" when it has several."""
        w = self.weakness
        return measure_number(w.order, self.order, len(w.measures) > 1)

    @property
    def plan(self) -> Plan:
        return self.weakness.plan


class Step(Model):
    """วิธีการดำเนินการ: one numbered step of a measure, the unit people tick off."""

    __tablename__ = "steps"
    __table_args__ = (
        sa.UniqueConstraint("measure_id", "order"),
        sa.Index("ix_steps_owner_status_due", "owner_department_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measures.id", ondelete="CASCADE"), index=True)
    order: Mapped[int]
    title: Mapped[str] = mapped_column(sa.Text)
    #: The measure's department unless the plan names another
    owner_department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    start_date: Mapped[date]
    due_date: Mapped[date] = mapped_column(index=True)
    status: Mapped[StepStatus] = mapped_column(
        sa.Enum(StepStatus, native_enum=False, length=16), default=StepStatus.not_started
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Edit counter: each saved edit adds one; a change made from an older version is refused (tracker/versions.py)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    measure: Mapped[Measure] = relationship(back_populates="steps")
    owner_department: Mapped[Department] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="step", order_by="Evidence.created_at", cascade="all, delete-orphan"
    )
    journal: Mapped[list[JournalEntry]] = relationship(
        back_populates="step", order_by="JournalEntry.id", passive_deletes=True
    )

    @hybrid_property
    def is_open(self) -> bool:
        """Not started or in progress; in SQL `Step.is_open` is the same test."""
        return self.status.is_open

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> sa.ColumnElement[bool]:
        return cls.status.in_(OPEN_STATUSES)

    @hybrid_method
    def is_overdue(self, day: date) -> bool:
        """Open and due before `day`; `Step.is_overdue(day)` is the same test in SQL."""
        return is_overdue_on(self.status, self.due_date, day)

    # hybrid_method.expression mutates in place already (no `.inplace` needed, and the stubs lack it).
    @is_overdue.expression
    @classmethod
    def _is_overdue_expression(cls, day: date) -> sa.ColumnElement[bool]:
        return sa.and_(cls.status.in_(OPEN_STATUSES), cls.due_date < day)

    @property
    def number(self) -> str:
        return step_number(self.measure.number, self.order) if self.measure else str(self.order)


class MeasureResult(Model):
    """The recorded result of a measure's follow-up indicator (การติดตามผล)."""

    __tablename__ = "measure_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measures.id", ondelete="CASCADE"), unique=True)
    #: A figure where the indicator is one (requests served, satisfaction %), else None
    value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    #: Unit of the figure, e.g. "ครั้ง", "%"
    unit: Mapped[str] = mapped_column(sa.String(50), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Edit counter: each saved edit adds one; a change made from an older version is refused (tracker/versions.py)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    updated_by: Mapped[User | None] = relationship()


class EvidenceKind(str, enum.Enum):
    file = "file"
    link = "link"


class Evidence(Model):
    """หลักฐาน: an uploaded file or a link that shows a step was done."""

    __tablename__ = "evidence"
    __table_args__ = (sa.CheckConstraint("(step_id IS NULL) <> (measure_id IS NULL)", name="step_or_measure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The step it proves — or, for evidence of a follow-up result, None and measure_id set
    step_id: Mapped[int | None] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    measure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("measures.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(sa.Enum(EvidenceKind, native_enum=False, length=8))
    #: For a link: the URL. For a file: empty.
    url: Mapped[str | None] = mapped_column(sa.Text)
    #: Random name of the file inside the upload folder (never the user's name).
    stored_name: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    #: The name the user uploaded, or a title for a link
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Shown on the public progress page; internal (False) unless the owner chooses otherwise
    public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    step: Mapped[Step | None] = relationship(back_populates="evidence")
    measure: Mapped[Measure | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def opens_inline(self) -> bool:
        """A PDF or an image: shown in the browser (sandboxed), with a download link beside it."""
        return self.kind is EvidenceKind.file and (self.content_type or "") in INLINE_TYPES


#: Evidence types the browser may show itself, served as exactly these types
#: (never what the upload claimed) under `X-Content-Type-Options: nosniff` and a
#: `sandbox` Content-Security-Policy; every other file is a download.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})


#: Journal actions that record work on a step (as opposed to edits of the plan).
PROGRESS_ACTIONS = ("status", "comment", "evidence_add", "evidence_remove")


class JournalEntry(Model):
    """One change, by whom and when: status changes, edits, evidence, imports.

    Step entries carry `step_id`; edits of other records (plan, measure, user)
    name the record in `entity`/`entity_id`. Entries outlive deleted steps.
    """

    __tablename__ = "journal_entries"
    __table_args__ = (sa.Index("ix_journal_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int | None] = mapped_column(sa.ForeignKey("steps.id", ondelete="SET NULL"), index=True)
    #: "step", "measure", "weakness", "plan", "user", "department"
    entity: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[int | None]
    #: "status", "edit", "create", "delete", "evidence_add", "evidence_remove", "import"
    action: Mapped[str] = mapped_column(sa.String(32))
    #: For edits and status changes: which field, and its value before and after
    field: Mapped[str | None] = mapped_column(sa.String(64))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    #: The version of the record (step, measure, plan, user, result) this entry left it at
    entity_version: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: None when the change came from the command line or the system
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    step: Mapped[Step | None] = relationship(back_populates="journal")
    actor: Mapped[User | None] = relationship()


class PlanCounter(Model):
    """A plan's step figures, kept by `plans.counters` in the flush that changes a step,
    so the overview across 7,850 organizations reads one row per plan instead of
    aggregating the year's 200,000 steps and their journal on every request.

    A plan without steps or recorded work has no row (read it as zeros)."""

    __tablename__ = "plan_counters"

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    #: Steps not cancelled
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    #: Steps in progress or done
    started: Mapped[int] = mapped_column(default=0)
    #: When a progress action (PROGRESS_ACTIONS) was last journaled on one of its steps
    last_activity: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Open steps due before `overdue_on`: the overdue count of that day, kept so the
    #: national overview need not sum `plan_due_counts` per plan. Written by every recount
    #: (for the day it runs) and by the scheduler at each day's first beat
    #: (`counters.refresh_overdue`); a reader asking about another day sums the due counts.
    overdue: Mapped[int] = mapped_column(default=0, server_default="0")
    overdue_on: Mapped[date | None]


class PlanDueCount(Model):
    """Open steps of a plan per due date. "Overdue" depends on the day, so it is not
    stored: a plan's overdue steps on a day are the sum of its rows due before it,
    read through the primary key (plan_id, due_date)."""

    __tablename__ = "plan_due_counts"

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    due_date: Mapped[date] = mapped_column(primary_key=True)
    #: Steps not started or in progress with this due date (never 0: such rows are deleted)
    open_steps: Mapped[int]


class TrashItem(Model):
    """ถังขยะ: a deleted weakness, measure, step or evidence item, kept for a while.

    The rows themselves are deleted (so every page, list, count, report, API,
    reminder and digest is correct without a filter anywhere); `payload` holds
    them serialized, parent first, with the journal links that the deletion
    cut, so `plans.trash.restore` can put everything back. Files of deleted
    evidence stay in the upload folder until the item is purged.
    """

    __tablename__ = "trash_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    #: "weakness", "measure", "step", "evidence", "result_evidence"
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: What was deleted, as people read it ("ขั้นตอน 1.1.2 ประชุมคณะทำงาน")
    label: Mapped[str] = mapped_column(sa.Text)
    #: What went with it ("3 ขั้นตอน, หลักฐาน 2 รายการ"), may be empty
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    payload: Mapped[dict] = mapped_column(sa.JSON)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    deleted_by: Mapped[User | None] = relationship()
