"""One update of a step (issue 11), as Redmine's issue update: a new status, a
note, the completion date, files and links, sent together — all or nothing.

Everything is checked before anything is written: the version the form was
made from, the status transition, the completion date, the organization's
rule for "done" (`Organization.done_requires`), each link and each file (its
type, its first bytes, its whole content, its size). A file is stored (in the
folder the caller gives, a staging folder on the web) only after every other
check passed; if one of them fails, the files stored so far are removed. Only
then is the step changed and journaled: one status entry carrying the note
(or one "comment" entry when the status stays), and one "evidence_add" entry
per file or link, all with the same time, actor and step version, so the step
page shows them as one change (`group_journal`).

The web page, the step's older single-purpose forms and the API all go through
`update_step`, so one rule applies everywhere. `services.change_status` stays
the primitive that imports, the demo and the system use (no organization rule).
Flushes, never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from .. import versions
from ..access import require_step_editor
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..i18n import _, _l
from ..journal import record_step
from ..orgs.models import DoneRule
from . import services
from .models import Evidence, JournalEntry, Step, StepStatus


@dataclass
class Upload:
    """A file sent with an update: its name as the person's computer called it, and its bytes."""

    filename: str
    stream: IO[bytes]


@dataclass
class StepUpdate:
    """What a person sends in one update of a step; every part is optional, not all at once."""

    status: StepStatus | str | None = None
    note: str = ""
    completed_on: date | None = None
    cancel_reason: str = ""
    files: Sequence[Upload] = ()
    #: (address, title shown); an empty title shows the address
    links: Sequence[tuple[str, str]] = ()
    #: the files and links of this update are shown on the public progress page
    public: bool = False
    #: the step's version the update was made from (None: not checked)
    version: int | None = None


@dataclass
class Updated:
    """What an update did: the status it moved to (None: kept), the evidence it added."""

    status: StepStatus | None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def files(self) -> list[Evidence]:
        return [ev for ev in self.evidence if ev.stored_name]


NOTHING = _l("ไม่มีอะไรให้บันทึก โปรดเลือกสถานะใหม่ พิมพ์บันทึก หรือแนบไฟล์หรือลิงก์")


def done_rule(step: Step) -> DoneRule:
    return step.measure.weakness.plan.organization.done_requires or DoneRule.note


def check_done_rule(step: Step, note: str, adding_evidence: bool) -> None:
    """Refuse "done" without what the step's organization asks for (a note, evidence, or both)."""
    rule = done_rule(step)
    if rule.needs_note and not note.strip():
        raise ServiceError(
            _("หน่วยงานของคุณกำหนดให้พิมพ์บันทึกทุกครั้งที่เปลี่ยนเป็น “ดำเนินการแล้ว” โปรดบอกว่าทำอะไรไปแล้ว"),
            field="note",
        )
    if rule.needs_evidence and not adding_evidence and not step.evidence:
        raise ServiceError(
            _("หน่วยงานของคุณกำหนดให้มีหลักฐานก่อนเปลี่ยนเป็น “ดำเนินการแล้ว” โปรดแนบไฟล์หรือลิงก์อย่างน้อยหนึ่งรายการ"),
            field="files",
        )


def _links(actor: User, links: Iterable[tuple[str, str]], now: datetime) -> list[Evidence]:
    found = []
    for url, title in links:
        try:
            found.append(services.new_link_evidence(actor, url, title, now))
        except ServiceError as exc:
            raise ServiceError(_("ลิงก์ “%(url)s”: %(reason)s", url=url[:200], reason=str(exc)), field="links") from None
    return found


def _files(actor: User, uploads: Iterable[Upload], upload_dir: str, max_bytes: int, now: datetime) -> list[Evidence]:
    """Check and store each file; on any refusal remove those stored before and raise."""
    stored: list[Evidence] = []
    try:
        for upload in uploads:
            try:
                stored.append(
                    services.new_file_evidence(actor, upload.filename, upload.stream, upload_dir, max_bytes, now)
                )
            except ServiceError as exc:
                name = services.clean_filename(upload.filename)
                raise ServiceError(_("ไฟล์ “%(name)s”: %(reason)s", name=name, reason=str(exc)), field="files") from None
    except BaseException:
        _remove(stored, upload_dir)
        raise
    return stored


def _remove(files: Iterable[Evidence], upload_dir: str) -> None:
    for ev in files:
        if ev.stored_name:
            (Path(upload_dir) / ev.stored_name).unlink(missing_ok=True)


def update_step(
    step: Step,
    actor: User,
    now: datetime,
    update: StepUpdate,
    *,
    upload_dir: str,
    max_bytes: int,
) -> Updated:
    """Apply one update of a step, all or nothing (see the module's text).

    Raises PermissionDenied, versions.Stale (the step moved on since `update.version`)
    or ServiceError (with the form field it is about); then nothing was written and
    no file is left in `upload_dir`. Files are stored in `upload_dir`."""
    require_step_editor(actor, step)
    versions.check(step, update.version)
    note = (update.note or "").strip()
    files = [u for u in update.files if u.filename]
    wanted = update.status or None
    if wanted is None and not note and not files and not update.links:
        raise ServiceError(str(NOTHING))
    new = services.allowed_status(step, wanted) if wanted is not None else None
    if new is StepStatus.done:
        services.completion_time(now, update.completed_on, step)  # refuses a future date or one before the plan
        check_done_rule(step, note, adding_evidence=bool(files or update.links))
    if new is StepStatus.cancelled and not (update.cancel_reason or note).strip():
        raise ServiceError(_("โปรดระบุเหตุผลที่ยกเลิก"), field="cancel_reason")
    links = _links(actor, update.links, now)
    stored = _files(actor, files, upload_dir, max_bytes, now)
    try:
        if new is not None:
            services.change_status(
                step,
                new,
                actor,
                now,
                note=note,
                completed_on=update.completed_on,
                cancel_reason=update.cancel_reason,
                check_permission=False,
            )
        elif note:
            record_step(step, "comment", actor, note=note, at=now)
        for ev in [*stored, *links]:
            ev.public = bool(update.public)
            services.attach(step, ev, actor, now)
        db.session.flush()
    except BaseException:
        _remove(stored, upload_dir)
        raise
    return Updated(new, [*stored, *links])


def group_journal(entries: Sequence[JournalEntry]) -> list[list[JournalEntry]]:
    """The step's journal (newest first) as changes: entries one update wrote together
    (same time, actor and step version, next to each other) make one change, its
    entries in the order they were written."""
    groups: list[list[JournalEntry]] = []
    for entry in entries:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and entry.step_id == last.step_id
            and (entry.created_at, entry.actor_id, entry.entity_version)
            == (last.created_at, last.actor_id, last.entity_version)
        ):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return [group[::-1] for group in groups]  # within a change, in the order it was written: the status first
