"""The bodies of /api/v1 as pydantic models: what each response holds, what each
request may send. `openapi.py` builds the document's components from these
models, and the views build every answer through them, so the document and
the answers cannot drift apart.

Wire formats: English field names, ISO 8601 dates, UTC timestamps with their
offset (`2023-08-01T03:00:00+00:00`), enums by value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from ..auth.models import Role, User
from ..notify.models import OutboxMessage as OutboxRow
from ..notify.models import OutboxStatus
from ..orgs import models as orgs
from ..plans import models as plans
from ..plans.models import EvidenceKind, PlanStatus, StepStatus
from ..plans.progress import Progress as ProgressCounts
from ..plans.step_rows import StepRow
from .step_list import StepExtras

#: Ids are 32-bit in the database; larger numbers are answered 404.
MAX_ID = 2_147_483_647
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
NOTE_MAX = 10_000
CANCEL_REASON_MAX = 2_000

Id = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]
#: Aware datetimes as ISO 8601 in UTC with "+00:00" (not pydantic's "Z"), as clients always got them.
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda value: value.astimezone(UTC).isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
ORG_SLUG = "slug ขององค์กร (the organization's slug)"


class Body(BaseModel):
    """A closed JSON object: every field present (null where empty), nothing else."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Error(Body):
    """ทุกข้อผิดพลาด (every error)"""

    error: str = Field(description="ข้อความภาษาไทย ตามด้วยภาษาอังกฤษในวงเล็บ (Thai message, English in parentheses)")
    status: int = Field(description="HTTP status")


class Person(Body):
    id: Id
    display_name: str

    @classmethod
    def of(cls, user: User | None) -> Person | None:
        return cls(id=user.id, display_name=user.display_name) if user is not None else None


class DepartmentRef(Body):
    id: Id
    name: str

    @classmethod
    def of(cls, dep: orgs.Department) -> DepartmentRef:
        return cls(id=dep.id, name=dep.name)

    @classmethod
    def of_optional(cls, dep: orgs.Department | None) -> DepartmentRef | None:
        return cls.of(dep) if dep is not None else None


class Department(Body):
    id: Id
    name: str
    email: str | None


class Organization(Body):
    id: Id
    slug: str = Field(description="รหัสองค์กรในระบบ เช่น banpet (the organization's key)")
    name: str
    province: str

    @classmethod
    def of(cls, org: orgs.Organization) -> Organization:
        return cls(id=org.id, slug=org.slug, name=org.name, province=org.province or "")


class OrganizationDetail(Organization):
    departments: list[Department]

    @classmethod
    def of_detail(cls, org: orgs.Organization, departments: list[orgs.Department]) -> OrganizationDetail:
        return cls(
            **Organization.of(org).model_dump(),
            departments=[Department(id=d.id, name=d.name, email=d.email or None) for d in departments],
        )


class OrganizationList(Body):
    items: list[Organization]


class Me(Body):
    """ผู้ใช้เจ้าของโทเคน (the token's user)"""

    id: Id
    email: str
    display_name: str
    role: Role
    organization: Organization
    department: DepartmentRef | None

    @classmethod
    def of(cls, user: User) -> Me:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            organization=Organization.of(user.organization),
            department=DepartmentRef.of_optional(user.department),
        )


class Progress(Body):
    """ความก้าวหน้า: เสร็จ/ทั้งหมด ไม่นับขั้นตอนที่ยกเลิก (done/total; cancelled steps are not counted)"""

    done: Count
    total: Count
    cancelled: Count
    percent: Annotated[int, Field(ge=0, le=100)]

    @classmethod
    def of(cls, p: ProgressCounts) -> Progress:
        return cls(done=p.done, total=p.total, cancelled=p.cancelled, percent=p.percent)


class Plan(Body):
    id: Id
    organization: str = Field(description=ORG_SLUG)
    fiscal_year: int = Field(description="ปีงบประมาณ พ.ศ. เช่น 2566 (Buddhist-Era fiscal year)")
    title: str
    status: PlanStatus
    progress: Progress

    @classmethod
    def of(cls, p: plans.Plan, total: ProgressCounts) -> Plan:
        return cls(
            id=p.id,
            organization=p.organization.slug,
            fiscal_year=p.fiscal_year,
            title=p.title,
            status=p.status,
            progress=Progress.of(total),
        )


class PlanList(Body):
    items: list[Plan]


class Measure(Body):
    id: Id
    plan_id: Id
    weakness_id: Id
    number: str = Field(description='เลขมาตรการตามแผน เช่น "1" หรือ "3.2" (number in the plan)')
    order: Id
    title: str
    owner_department: DepartmentRef
    period_start: date
    period_end: date
    follow_up: str = Field(description="การติดตามผล (how the result is judged)")
    progress: Progress

    @classmethod
    def of(cls, m: plans.Measure, p: ProgressCounts) -> Measure:
        return cls(
            id=m.id,
            plan_id=m.weakness.plan_id,
            weakness_id=m.weakness_id,
            number=m.number,
            order=m.order,
            title=m.title,
            owner_department=DepartmentRef.of(m.owner_department),
            period_start=m.period_start,
            period_end=m.period_end,
            follow_up=m.follow_up or "",
            progress=Progress.of(p),
        )


class Weakness(Body):
    """ประเด็นที่เป็นจุดอ่อน (a weakness found in the ITA result)"""

    id: Id
    order: Id
    title: str
    detail: str
    measures: list[Measure]

    @classmethod
    def of(cls, w: plans.Weakness, by_measure: dict[int, ProgressCounts]) -> Weakness:
        return cls(
            id=w.id,
            order=w.order,
            title=w.title,
            detail=w.detail or "",
            measures=[Measure.of(m, by_measure.get(m.id, ProgressCounts())) for m in w.measures],
        )


class PlanDetail(Plan):
    weaknesses: list[Weakness]


class Step(Body):
    """ขั้นตอนการดำเนินการ (a step people tick off)"""

    id: Id
    number: str = Field(description='เลขขั้นตอน เช่น "3.2.1" (number in the plan)')
    order: Id
    title: str
    status: StepStatus
    status_label: str = Field(description="ชื่อสถานะภาษาไทย (Thai label of the status)")
    organization: str = Field(description=ORG_SLUG)
    plan_id: Id
    fiscal_year: int
    measure_id: Id
    owner_department: DepartmentRef
    assignee: Person | None
    start_date: date
    due_date: date
    overdue: bool = Field(description="ยังไม่เสร็จและเลยวันครบกำหนด ณ วันนี้ (เวลาไทย) (open and past due, Bangkok today)")
    completed_at: Timestamp | None = Field(description="เวลาที่ดำเนินการแล้วเสร็จ UTC (when done, UTC)")
    completed_by: Person | None
    cancel_reason: str | None
    updated_at: Timestamp
    version: Id = Field(
        description="รุ่นของข้อมูล เพิ่มทีละหนึ่งทุกครั้งที่แก้ไข ส่งกลับใน version หรือ If-Match "
        "(the step's edit version, also its ETag: send it back as `version` or `If-Match`)"
    )

    @classmethod
    def fields_of(cls, s: plans.Step, today: date) -> dict[str, Any]:
        return cls.fields_of_row(StepRow.of_step(s), StepExtras.of_step(s), today)

    @classmethod
    def fields_of_row(cls, r: StepRow, x: StepExtras, today: date) -> dict[str, Any]:
        """The fields of a step read as a row (`api.step_list`), or of a loaded Step."""
        return dict(
            id=r.id,
            number=r.number,
            order=r.order,
            title=r.title,
            status=r.status,
            status_label=r.status.label,
            organization=x.organization,
            plan_id=r.plan_id,
            fiscal_year=r.fiscal_year,
            measure_id=r.measure_id,
            owner_department=DepartmentRef(id=r.owner_department_id, name=r.department_name),
            assignee=Person(id=r.assignee_id, display_name=x.assignee_name)
            if r.assignee_id is not None and x.assignee_name is not None
            else None,
            start_date=r.start_date,
            due_date=r.due_date,
            overdue=r.is_overdue(today),
            completed_at=x.completed_at,
            completed_by=Person(id=x.completed_by_id, display_name=x.completed_by_name)
            if x.completed_by_id is not None and x.completed_by_name is not None
            else None,
            cancel_reason=x.cancel_reason or None,
            updated_at=x.updated_at,
            version=r.version or 1,
        )

    @classmethod
    def of(cls, s: plans.Step, today: date) -> Step:
        return cls(**cls.fields_of(s, today))


#: Records a list counts before it stops (past offset + limit): a nationwide list of
#: hundreds of thousands of steps is never counted in full on every page.
COUNT_CAP = 1000


class Page(Body):
    total: Count = Field(
        description=(
            "จำนวนที่ตรงเงื่อนไข นับได้ไม่เกิน offset + limit + 1000 ถ้า total_exact เป็น false แปลว่ามีมากกว่านี้ "
            "(matching records, counted up to offset + limit + 1000; when total_exact is false there are more)"
        )
    )
    total_exact: bool = Field(
        description="total คือจำนวนทั้งหมดจริง (true) หรือนับถึงเพดานแล้ว (false) (whether total is the full count)"
    )
    limit: Id = Field(description="จำนวนต่อหน้าที่ใช้ (page size used)")
    offset: Count = Field(description="ข้ามไปกี่รายการ (records skipped)")
    next_offset: Count | None = Field(
        description="offset ของหน้าถัดไป หรือ null ถ้าเป็นหน้าสุดท้าย (offset of the next page; null on the last page)"
    )
    next_after: str | None = Field(
        None,
        description="ส่งเป็น after เพื่ออ่านหน้าถัดไป หรือ null ถ้าเป็นหน้าสุดท้าย "
        "(pass as after for the next page, read by its key, not by offset; null on the last page)",
    )

    @staticmethod
    def cap(limit: int, offset: int) -> int:
        """How many matching records a page counts at most (see `counts`)."""
        return offset + limit + COUNT_CAP

    @staticmethod
    def counts(counted: int, limit: int, offset: int, next_after: str | None = None) -> dict[str, Any]:
        """The paging fields from a count capped at `cap(limit, offset)`; with a
        cursor (`after`) the count and offsets are of the records after it."""
        exact = counted < Page.cap(limit, offset)
        more = offset + limit < counted
        return dict(
            total=counted,
            total_exact=exact,
            limit=limit,
            offset=offset,
            next_offset=offset + limit if more else None,
            next_after=next_after if more else None,
        )


class StepPage(Page):
    """หนึ่งหน้าของรายการขั้นตอน (one page of steps)"""

    items: list[Step]


class WeaknessRef(Body):
    id: Id
    order: Id
    title: str


class MeasureDetail(Measure):
    weakness: WeaknessRef
    steps: list[Step]


class Evidence(Body):
    id: Id
    kind: EvidenceKind
    name: str = Field(description="ชื่อไฟล์หรือชื่อลิงก์ (file name or link title)")
    url: str | None = Field(description="ลิงก์ (for links); null for files")
    content_type: str | None
    size: Count
    sha256: str | None
    public: bool = Field(description="แสดงในหน้าเผยแพร่สาธารณะ (shown on the public page)")
    uploaded_by: Person | None
    created_at: Timestamp

    @classmethod
    def of(cls, ev: plans.Evidence) -> Evidence:
        return cls(
            id=ev.id,
            kind=ev.kind,
            name=ev.original_name,
            url=ev.url or None,
            content_type=ev.content_type or None,
            size=ev.size or 0,
            sha256=ev.sha256 or None,
            public=bool(ev.public),
            uploaded_by=Person.of(ev.uploaded_by),
            created_at=ev.created_at,
        )


class MeasureRef(Body):
    id: Id
    number: str
    title: str


class StepDetail(Step):
    measure: MeasureRef
    evidence: list[Evidence]

    @classmethod
    def of(cls, s: plans.Step, today: date) -> StepDetail:
        m = s.measure
        return cls(
            **Step.fields_of(s, today),
            measure=MeasureRef(id=m.id, number=m.number, title=m.title),
            evidence=[Evidence.of(ev) for ev in s.evidence],
        )


def _change_fields(e: plans.JournalEntry) -> dict[str, Any]:
    """What a journal entry and a conflict's change both say: the field, its values, who and when."""
    return {
        "field": e.field,
        "old_value": e.old_value,
        "new_value": e.new_value,
        "note": e.note,
        "actor": Person.of(e.actor),
        "created_at": e.created_at,
    }


class JournalEntry(Body):
    """หนึ่งรายการในประวัติ (one journal entry)"""

    id: Id
    step_id: Id | None
    action: str = Field(description="status, comment, evidence_add, evidence_remove, edit, create, import, …")
    field: str | None
    old_value: str | None = Field(description="ค่าเดิม (statuses by value, dates ISO)")
    new_value: str | None
    note: str | None
    actor: Person | None
    created_at: Timestamp

    @classmethod
    def of(cls, e: plans.JournalEntry) -> JournalEntry:
        return cls(id=e.id, step_id=e.step_id, action=e.action, **_change_fields(e))


class Journal(Body):
    items: list[JournalEntry]


class OutboxMessage(Body):
    id: Id
    kind: str = Field(description="reminder, escalation, digest_weekly, digest_monthly")
    for_date: date
    recipient: str
    recipient_name: str
    subject: str
    status: OutboxStatus
    attempts: Count
    last_error: str | None
    next_attempt_at: Timestamp
    sent_at: Timestamp | None
    created_at: Timestamp

    @classmethod
    def of(cls, m: OutboxRow) -> OutboxMessage:
        return cls(
            id=m.id,
            kind=m.kind,
            for_date=m.for_date,
            recipient=m.recipient,
            recipient_name=m.recipient_name or "",
            subject=m.subject,
            status=m.status,
            attempts=m.attempts or 0,
            last_error=m.last_error,
            next_attempt_at=m.next_attempt_at,
            sent_at=m.sent_at,
            created_at=m.created_at,
        )


class OutboxPage(Page):
    """หนึ่งหน้าของกล่องจดหมายออก (one page of the outbox)"""

    items: list[OutboxMessage]


#: Every response body, in the order of the document's components.
class Change(Body):
    """การเปลี่ยนแปลงหนึ่งรายการระหว่างนั้น (one change made meanwhile)"""

    field: str | None = Field(description="status, title, due_date, …")
    old_value: str | None = Field(description="ค่าเดิม (statuses by value, dates ISO)")
    new_value: str | None
    note: str | None
    actor: Person | None
    created_at: Timestamp
    version: Id = Field(description="รุ่นที่การเปลี่ยนแปลงนี้ทำให้เป็น (the version this change left the record at)")

    @classmethod
    def of(cls, e: plans.JournalEntry) -> Change:
        return cls(**_change_fields(e), version=e.entity_version or 1)


class Conflict(Error):
    """ข้อมูลถูกแก้ไขหลังรุ่นที่ส่งมา (the record changed after the version you sent)"""

    your_version: int = Field(description="รุ่นที่ส่งมา (the version you sent)")
    current_version: Id = Field(description="รุ่นปัจจุบัน (the version now stored)")
    changes: list[Change] = Field(description="สิ่งที่เปลี่ยนระหว่างนั้น เก่าก่อน (what changed since, oldest first)")


RESPONSE_MODELS: tuple[type[Body], ...] = (
    Error,
    Conflict,
    Me,
    OrganizationList,
    OrganizationDetail,
    PlanList,
    PlanDetail,
    MeasureDetail,
    StepPage,
    StepDetail,
    Journal,
    OutboxPage,
    Step,
    JournalEntry,
)
