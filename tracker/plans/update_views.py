"""Updating a step from its page (issue 11): one form, one submit — a new status,
a note, the completion date, files and links together, all or nothing
(plans/update.py). Registered on the plans blueprint of `views`.

The step's older single-purpose addresses (/status, /comment, /evidence) still
answer (scripts, kept drafts and bookmarks post to them) and go through the same
service, so the same rules apply; a refusal shows the one form with what was sent.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from flask import current_app, flash, redirect, url_for
from flask_login import login_required

from .. import clock, versions
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from . import services, update
from .forms import CommentForm, FileEvidenceForm, LinkEvidenceForm, StepUpdateForm
from .models import EvidenceKind, Step
from .update import StepUpdate, Updated, Upload
from .views import _editable_step, _max_upload, _me, _next_statuses, _render_step, bp


def upload_dir() -> str:
    return str(Path(current_app.config["TRACKER_UPLOAD_DIR"]).resolve())


def save(step: Step, change: StepUpdate) -> Updated:
    """Apply the update and commit it, leaving no file without a row and no row without its file.

    The service stores the files in a staging folder of this request; they move to
    their final names (an atomic rename: same filesystem) just before the commit and
    are removed again if the commit fails. Whatever is left in staging goes with it."""
    final = Path(upload_dir())
    final.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=final))
    moved: list[Path] = []
    try:
        done = update.update_step(step, _me(), clock.now(), change, upload_dir=str(staging), max_bytes=_max_upload())
        for ev in done.files:
            target = services.evidence_path(ev, str(final))
            os.replace(staging / target.name, target)
            moved.append(target)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for path in moved:
            path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return done


def _saved_message(done: Updated) -> str:
    parts = []
    if done.status is not None:
        parts.append(_("บันทึกสถานะ “%(label)s” แล้ว", label=_(done.status.label)))
    if done.evidence:
        parts.append(_("แนบหลักฐาน %(count)s รายการแล้ว", count=len(done.evidence)))
    return " · ".join(parts) or _("บันทึกความคืบหน้าแล้ว")


def _submit(step: Step, form: StepUpdateForm, change: StepUpdate | None = None):
    """Save a validated form's update, or show the page again with the refusal and what was typed."""
    if change is None:
        change = StepUpdate(
            status=form.status.data or None,
            note=form.note.data or "",
            completed_on=form.completed_on.data,
            cancel_reason=form.cancel_reason.data or "",
            files=[Upload(f.filename, f.stream) for f in form.uploads()],
            links=form.link_pairs(),
            public=bool(form.public.data),
            version=form.version.data,
        )
    try:
        done = save(step, change)
    except versions.Stale as stale:
        # Sent again, the form saves what was typed over the version now shown.
        form.version.data = stale.current
        _files_not_kept(form, change.files)
        return _render_step(step.id, form=form, conflict=stale)
    except ServiceError as exc:
        form.refuse(exc)
        _files_not_kept(form, change.files)
        return _render_step(step.id, form=form)
    flash(_saved_message(done), "success")
    return redirect(url_for("plans.step", step_id=step.id))


def _blank(step: Step) -> StepUpdateForm:
    """The update form, to show what an older form sent (filled in by the caller)."""
    return StepUpdateForm(formdata=None, current=step.status, next_statuses=_next_statuses(step))


def _files_not_kept(form: StepUpdateForm, files) -> None:
    """A browser cannot put chosen files back into the form: say they were not attached."""
    if files:
        names = ", ".join(services.clean_filename(u.filename) for u in files)
        form.files.errors = [
            *form.files.errors,
            _("ยังไม่ได้แนบ %(names)s โปรดเลือกไฟล์อีกครั้ง", names=names),
        ]


@bp.post("/steps/<int:step_id>/update")
@login_required
def update_step(step_id: int):
    return _update(step_id)


@bp.post("/steps/<int:step_id>/status")
@login_required
def change_status(step_id: int):
    """The older status form: a new status is required here."""
    return _update(step_id, status_required=True)


def _update(step_id: int, status_required: bool = False):
    step = _editable_step(step_id)
    form = StepUpdateForm(current=step.status, next_statuses=_next_statuses(step), status_required=status_required)
    if not form.validate():
        _files_not_kept(form, form.uploads())
        return _render_step(step_id, form=form)
    return _submit(step, form)


@bp.post("/steps/<int:step_id>/comment")
@login_required
def comment(step_id: int):
    """The older progress-note form: a note alone."""
    step = _editable_step(step_id)
    sent = CommentForm()
    form = _blank(step)
    form.note.data = sent.comment.data or ""
    if not sent.validate() or not form.note.data.strip():
        form.form_errors.extend(sent.form_errors)
        form.note.errors = [str(e) for e in sent.comment.errors]
        if not form.note.data.strip():
            form.note.errors.append(_("โปรดพิมพ์บันทึก"))
        return _render_step(step_id, form=form)
    return _submit(step, form, StepUpdate(note=form.note.data))


@bp.post("/steps/<int:step_id>/evidence")
@login_required
def add_evidence(step_id: int):
    """The older evidence forms: one file or one link (kind=file|link)."""
    step = _editable_step(step_id)
    form = _blank(step)
    file_form = FileEvidenceForm()
    if file_form.kind.data == EvidenceKind.file.value:
        if not file_form.validate():
            form.files.errors = [str(e) for e in (*file_form.form_errors, *file_form.file.errors)]
            return _render_step(step_id, form=form)
        upload = file_form.file.data
        change = StepUpdate(files=[Upload(upload.filename, upload.stream)], public=bool(file_form.public.data))
        return _submit(step, form, change)
    link_form = LinkEvidenceForm()
    if link_form.kind.data != EvidenceKind.link.value:
        form.form_errors.append(_("โปรดแนบไฟล์หรือใส่ลิงก์"))
        return _render_step(step_id, form=form)
    form.links.data = " ".join(x for x in (link_form.url.data, link_form.title.data) if x)
    form.public.data = bool(link_form.public.data)
    if not link_form.validate():
        form.links.errors = [str(e) for errors in link_form.errors.values() for e in errors]
        return _render_step(step_id, form=form)
    return _submit(step, form, StepUpdate(links=form.link_pairs(), public=form.public.data))
