"""Changing steps: status, notes, evidence and edits. Services flush, never commit."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Literal
from urllib.parse import urlparse

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .. import access, versions
from ..access import require_step_editor
from ..auth.models import User
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..i18n import _, _l, translate
from ..journal import Change, apply_changes, record_step
from ..orgs.models import Department
from ..thaidate import BANGKOK, fiscal_year_bounds, format_date
from .filecheck import check_content
from .models import Evidence, EvidenceKind, JournalEntry, Measure, Plan, Step, StepStatus, Weakness
from .signals import step_status_changed

# Upload allow-list: extension → accepted leading bytes (None: any text).
ALLOWED_UPLOADS: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".ppt": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".txt": None,
    ".csv": None,
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".zip": "application/zip",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}


# Which status may follow which. Reopening a done or cancelled step is allowed
# (people tick the wrong box) but is journaled like any change.
TRANSITIONS: dict[StepStatus, set[StepStatus]] = {
    StepStatus.not_started: {StepStatus.in_progress, StepStatus.done, StepStatus.cancelled},
    StepStatus.in_progress: {StepStatus.not_started, StepStatus.done, StepStatus.cancelled},
    StepStatus.done: {StepStatus.in_progress, StepStatus.not_started},
    StepStatus.cancelled: {StepStatus.not_started, StepStatus.in_progress},
}


def change_status(
    step: Step,
    new_status: StepStatus | str,
    actor: User | None,
    now: datetime,
    note: str = "",
    completed_on: date | None = None,
    cancel_reason: str = "",
    check_permission: bool = True,
    version: int | None = None,
) -> None:
    """Move a step to another status, journaling from → to with the note.

    `version`: the step's version the change was made from; an older one is refused (versions.Stale)."""
    if actor is not None and check_permission:
        require_step_editor(actor, step)
    versions.check(step, version)
    new = allowed_status(step, new_status)
    note = (note or "").strip()
    old = step.status
    if new is StepStatus.cancelled:
        cancel_reason = (cancel_reason or note).strip()
        if not cancel_reason:
            raise ServiceError(_("โปรดระบุเหตุผลที่ยกเลิก"), field="cancel_reason")
        step.cancel_reason = cancel_reason
    else:
        step.cancel_reason = None
    if new is StepStatus.done:
        step.completed_at = completion_time(now, completed_on, step)
        step.completed_by_id = actor.id if actor else None
    else:
        step.completed_at = None
        step.completed_by_id = None
    apply_changes(
        step,
        [("status", old, new)],
        organization_id=step.measure.weakness.plan.organization_id,
        entity="step",
        action="status",
        actor=actor,
        at=now,
        note=note,
        step=step,
    )
    step_status_changed.send(step, actor=actor, old=old, new=new, now=now)


def change_status_many(
    organization_id: int,
    chosen: list[tuple[int, int | None]],
    new_status: StepStatus | str,
    actor: User,
    now: datetime,
    note: str = "",
) -> list[Step]:
    """The same change of status for several steps of the organization, with one note:
    `chosen` is (step id, the version it was shown at) per step. Each step goes through
    `change_status` (its rules, permission, version and journal); the first refusal stops
    the lot and names the step, and the caller rolls back so nothing is half-written.

    A step that is not the organization's (or not there) is refused as not found."""
    access.require_writer(actor)
    ids = [step_id for step_id, _version in chosen]
    steps = {
        s.id: s
        for s in db.session.scalars(
            sa.select(Step)
            .join(Step.measure)
            .join(Measure.weakness)
            .join(Weakness.plan)
            .where(Step.id.in_(ids), Plan.organization_id == organization_id)
            .options(joinedload(Step.measure).joinedload(Measure.weakness).joinedload(Weakness.plan))
            .order_by(Step.id)
        ).unique()
    }
    if len(steps) != len(set(ids)):
        raise PermissionDenied(_("ไม่พบขั้นตอนที่เลือกบางรายการ หรือเป็นขั้นตอนที่คุณแก้ไขไม่ได้ ไม่มีการเปลี่ยนแปลงใด ๆ"))
    for step_id, version in chosen:
        step = steps[step_id]
        try:
            change_status(step, new_status, actor, now, note=note, version=version)
        except ServiceError as exc:
            raise ServiceError(_("ขั้นตอนที่ %(number)s: %(message)s", number=step.number, message=str(exc))) from exc
        except PermissionDenied as exc:
            raise PermissionDenied(
                _("ขั้นตอนที่ %(number)s: %(message)s", number=step.number, message=str(exc.message))
            ) from exc
    return [steps[step_id] for step_id, _version in chosen]


def allowed_status(step: Step, new_status: StepStatus | str) -> StepStatus:
    """The status `new_status` names, if the step may move to it from where it is; else raise."""
    try:
        new = StepStatus(new_status)
    except ValueError:
        raise ServiceError(_("สถานะไม่ถูกต้อง: %(new_status)r", new_status=new_status), field="status") from None
    old = step.status
    if new is old:
        raise ServiceError(
            _("ขั้นตอนนี้อยู่ในสถานะ “%(old_label)s” อยู่แล้ว", old_label=translate(old.label)),
            field="status",
        )
    if new not in TRANSITIONS[old]:
        raise ServiceError(
            _(
                "เปลี่ยนจาก “%(old_label)s” เป็น “%(new_label)s” ไม่ได้",
                old_label=translate(old.label),
                new_label=translate(new.label),
            ),
            field="status",
        )
    return new


def completion_time(now: datetime, completed_on: date | None, step: Step) -> datetime:
    """When the work was done: now, or noon (Bangkok) of a past day the officer gives."""
    today = now.astimezone(BANGKOK).date()
    if completed_on is None or completed_on == today:
        return now
    if completed_on > today:
        raise ServiceError(
            _(
                "วันที่ดำเนินการแล้วเสร็จ (%(format_date_completed_on)s) อยู่ในอนาคต",
                format_date_completed_on=format_date(completed_on),
            ),
            field="completed_on",
        )
    if completed_on < fiscal_year_bounds(step.measure.plan.fiscal_year)[0]:
        raise ServiceError(
            _(
                "วันที่ดำเนินการแล้วเสร็จ (%(format_date_completed_on)s) อยู่ก่อนปีงบประมาณของแผน",
                format_date_completed_on=format_date(completed_on),
            ),
            field="completed_on",
        )
    return datetime.combine(completed_on, time(12, 0), BANGKOK).astimezone(UTC)


def add_comment(step: Step, actor: User, note: str, now: datetime) -> JournalEntry:
    require_step_editor(actor, step)
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("โปรดพิมพ์บันทึก"))
    entry = record_step(step, "comment", actor, note=note, at=now)
    db.session.flush()
    return entry


@dataclass
class StoredFile:
    stored_name: str
    size: int
    sha256: str


def clean_filename(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:255] or "file"


def check_upload(filename: str, head: bytes) -> str:
    """Return the extension if the name and the first bytes agree; else raise."""
    ext = Path(filename).suffix.lower()
    if ext not in ALLOWED_UPLOADS:
        allowed = " ".join(sorted(ALLOWED_UPLOADS))
        raise ServiceError(
            _(
                "ไม่รับไฟล์ชนิด %(ext_or_ไม_ม_นามสก_ล)s รับเฉพาะ %(allowed)s",
                ext_or_ไม_ม_นามสก_ล=ext or "(ไม่มีนามสกุล)",
                allowed=allowed,
            )
        )
    magics = ALLOWED_UPLOADS[ext]
    if magics is None:
        if b"\x00" in head:
            raise ServiceError(_("เนื้อหาไฟล์ไม่ใช่ข้อความตามนามสกุล %(ext)s", ext=ext))
    elif not any(head.startswith(m) for m in magics):
        raise ServiceError(_("เนื้อหาไฟล์ไม่ตรงกับนามสกุล %(ext)s", ext=ext))
    return ext


def store_upload(stream: IO[bytes], upload_dir: str, ext: str, max_bytes: int) -> StoredFile:
    """Copy the stream to a random name under upload_dir, hashing as it goes."""
    folder = Path(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + ext
    target = folder / stored_name
    digest = hashlib.sha256()
    size = 0
    try:
        with open(target, "xb") as out:
            while chunk := stream.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise ServiceError(
                        _("ไฟล์ใหญ่เกิน %(max_bytes_1024_1024)s MB", max_bytes_1024_1024=max_bytes // (1024 * 1024))
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if size == 0:
        target.unlink(missing_ok=True)
        raise ServiceError(_("ไฟล์ว่างเปล่า"))
    return StoredFile(stored_name, size, digest.hexdigest())


def new_file_evidence(
    actor: User, filename: str, stream: IO[bytes], upload_dir: str, max_bytes: int, now: datetime
) -> Evidence:
    """Check and store an upload; the returned Evidence is not yet attached or added."""
    filename = clean_filename(filename)
    ext = check_upload(filename, stream.read(512))
    stream.seek(0)
    stored = store_upload(stream, upload_dir, ext, max_bytes)
    path = Path(upload_dir) / stored.stored_name
    try:
        check_content(path, ext)  # the whole file, not only its first bytes
    except ServiceError:
        path.unlink(missing_ok=True)
        raise
    return Evidence(
        kind=EvidenceKind.file,
        stored_name=stored.stored_name,
        original_name=filename,
        content_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=actor.id,
        created_at=now,
    )


def new_link_evidence(actor: User, url: str, title: str, now: datetime) -> Evidence:
    """Check a link; the returned Evidence is not yet attached or added."""
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
        raise ServiceError(_("ลิงก์ต้องขึ้นต้นด้วย http:// หรือ https://"))
    title = (title or "").strip()[:255] or url[:255]
    return Evidence(
        kind=EvidenceKind.link, url=url, original_name=title, size=0, uploaded_by_id=actor.id, created_at=now
    )


def add_file_evidence(
    step: Step, actor: User, filename: str, stream: IO[bytes], upload_dir: str, max_bytes: int, now: datetime
) -> Evidence:
    require_step_editor(actor, step)
    return attach(step, new_file_evidence(actor, filename, stream, upload_dir, max_bytes, now), actor, now)


def add_link_evidence(step: Step, actor: User, url: str, title: str, now: datetime) -> Evidence:
    require_step_editor(actor, step)
    return attach(step, new_link_evidence(actor, url, title, now), actor, now)


def attach(step: Step, ev: Evidence, actor: User, now: datetime) -> Evidence:
    ev.step = step
    db.session.add(ev)
    record_step(step, "evidence_add", actor, field="evidence", new=ev.original_name, at=now)
    db.session.flush()
    return ev


MEASURE_EVIDENCE = _l("หลักฐานนี้เป็นของผลการติดตามมาตรการ ไม่ใช่ของขั้นตอน")


def remove_evidence(ev: Evidence, actor: User, now: datetime, upload_dir: str) -> None:
    """Delete an evidence row; the file goes only after the caller commits (see views)."""
    step = ev.step
    if step is None:
        raise ServiceError(MEASURE_EVIDENCE)
    require_step_editor(actor, step)
    record_step(step, "evidence_remove", actor, field="evidence", old=ev.original_name, at=now)
    db.session.delete(ev)
    db.session.flush()


#: How the journal names an evidence item's visibility (old → new).
VISIBILITY = {False: "internal", True: "public"}


def set_evidence_public(ev: Evidence, actor: User, public: bool, now: datetime) -> bool:
    """Show an evidence item on the public progress page, or make it internal
    again; journaled (action "evidence_public", internal → public). Step
    evidence is changed by the step's editors, follow-up result evidence by
    the measure's result editors. Returns whether anything changed."""
    if ev.step is not None:
        require_step_editor(actor, ev.step)
        measure = ev.step.measure
    else:
        if ev.measure is None:
            raise ServiceError(_("หลักฐานนี้ไม่มีขั้นตอนหรือมาตรการ"))
        access.require_result_editor(actor, ev.measure)
        measure = ev.measure
    public = bool(public)
    if ev.public is public:
        return False
    apply_changes(
        ev,
        [("public", ev.public, public)],
        organization_id=measure.weakness.plan.organization_id,
        entity="evidence",
        action="evidence_public",
        actor=actor,
        at=now,
        step=ev.step,
        journal_as=lambda _field, value: VISIBILITY[bool(value)],
    )
    return True


def evidence_path(ev: Evidence, upload_dir: str) -> Path:
    assert ev.stored_name
    return Path(upload_dir) / ev.stored_name


# -- edits (admins) -----------------------------------------------------------


def validate_step_dates(measure: Measure, start: date, due: date) -> None:
    if start > due:
        raise ServiceError(
            _(
                "วันเริ่ม (%(format_date_start)s) อยู่หลังวันครบกำหนด (%(format_date_due)s)",
                format_date_start=format_date(start),
                format_date_due=format_date(due),
            )
        )
    if not (measure.period_start <= due <= measure.period_end):
        raise ServiceError(
            _(
                "วันครบกำหนด %(format_date_due)s อยู่นอกระยะเวลาของมาตรการ (%(format_date_period_0)s – %(format_date_period_1)s)",
                format_date_due=format_date(due),
                format_date_period_0=format_date(measure.period_start),
                format_date_period_1=format_date(measure.period_end),
            )
        )
    if start < measure.period_start:
        raise ServiceError(
            _("วันเริ่ม %(format_date_start)s อยู่ก่อนระยะเวลาของมาตรการ", format_date_start=format_date(start))
        )


def edit_step(
    step: Step,
    actor: User | None,
    now: datetime,
    *,
    title: str | None = None,
    owner_department: Department | None = None,
    assignee: User | None | Literal[False] = False,
    start_date: date | None = None,
    due_date: date | None = None,
    note: str = "",
    version: int | None = None,
) -> list[str]:
    """Apply the given fields; journal each change; return the names of changed fields.

    `version`: the step's version the edit was made from; an older one is refused (versions.Stale)."""
    versions.check(step, version)
    changes: list[Change] = []
    if title is not None:
        title = title.strip()
        if not title:
            raise ServiceError(_("ชื่อขั้นตอนต้องไม่ว่าง"))
        if title != step.title:
            changes.append(("title", step.title, title))
    org_id = step.measure.plan.organization_id
    if owner_department is not None and owner_department.id != step.owner_department_id:
        if owner_department.organization_id != org_id:
            raise ServiceError(_("หน่วยงานนี้ไม่อยู่ในองค์กรเดียวกัน"))
        changes.append(("owner_department", step.owner_department, owner_department))
    if assignee is not False:
        if assignee is not None and assignee.organization_id != org_id:
            raise ServiceError(_("ผู้รับผิดชอบไม่อยู่ในองค์กรเดียวกัน"))
        if (assignee.id if assignee else None) != step.assignee_id:
            changes.append(("assignee", step.assignee, assignee))
    new_start = start_date or step.start_date
    new_due = due_date or step.due_date
    if new_start != step.start_date or new_due != step.due_date:
        validate_step_dates(step.measure, new_start, new_due)
        if new_start != step.start_date:
            changes.append(("start_date", step.start_date, new_start))
        if new_due != step.due_date:
            changes.append(("due_date", step.due_date, new_due))
    return apply_changes(
        step, changes, organization_id=org_id, entity="step", actor=actor, at=now, note=note, step=step
    )
