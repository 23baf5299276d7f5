"""Evidence pages of a step: adding a file or a link, downloading, deleting, and
making it public. Registered on the plans blueprint of `views`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from .. import access, clock, i18n
from ..db import db
from ..errors import ServiceError
from ..forms import ConfirmForm
from . import queries, services
from .forms import EvidencePublicForm, FileEvidenceForm
from .forms import evidence_forms as new_evidence_forms
from .models import Evidence, EvidenceKind, Step
from .views import _editable_step, _max_upload, _me, _readable, _render_step, bp, log


def _upload_dir() -> str:
    return str(Path(current_app.config["TRACKER_UPLOAD_DIR"]).resolve())


def _refused(step_id: int, exc: ServiceError, failed: str):
    db.session.rollback()
    return _render_step(step_id, error=str(exc), failed=failed)


@bp.post("/steps/<int:step_id>/evidence")
@login_required
def add_evidence(step_id: int):
    step = _editable_step(step_id)
    kind = request.form.get("kind", "")
    if kind not in (EvidenceKind.file.value, EvidenceKind.link.value):
        return _refused(step_id, ServiceError("โปรดแนบไฟล์หรือใส่ลิงก์ (attach a file or give a link)"), "evidence")
    file_form, link_form = new_evidence_forms(kind)
    form = file_form if kind == EvidenceKind.file.value else link_form
    if form.validate():
        try:
            if form is file_form:
                _add_file(step, file_form)
            else:
                ev = services.add_link_evidence(step, _me(), link_form.url.data, link_form.title.data, clock.now())
                if link_form.public.data:
                    services.set_evidence_public(ev, _me(), True, clock.now())
                db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            form.refuse(exc)
        else:
            flash("แนบหลักฐานแล้ว (evidence added)", "success")
            return redirect(url_for("plans.step", step_id=step_id))
    return _render_step(step_id, evidence_forms=(file_form, link_form))


def _add_file(step: Step, form: FileEvidenceForm) -> None:
    """Store the upload and commit its row, leaving no file without a row.

    The service writes into a staging folder of this request; the file moves
    to its final name before the commit and is removed again if the commit
    fails. Whatever is left in staging (the service's flush failed) goes with
    the folder. Same filesystem, so the move is an atomic rename.
    """
    upload = form.file.data
    upload_dir = Path(_upload_dir())
    upload_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=upload_dir))
    moved: Path | None = None
    try:
        ev = services.add_file_evidence(
            step, _me(), upload.filename, upload.stream, str(staging), _max_upload(), clock.now()
        )
        if form.public.data:
            services.set_evidence_public(ev, _me(), True, clock.now())
        moved = services.evidence_path(ev, str(upload_dir))
        os.replace(staging / moved.name, moved)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if moved is not None:
            moved.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _get_evidence(evidence_id: int) -> Evidence:
    ev = queries.load_evidence(evidence_id)
    if ev is None:
        abort(404)
    _readable(queries.evidence_organization_id(ev))
    return ev


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int):
    ev = _get_evidence(evidence_id)
    if ev.kind is EvidenceKind.link:
        if not ev.url:
            abort(404)
        return redirect(ev.url)
    path = services.evidence_path(ev, _upload_dir())
    if not path.is_file():
        log.warning("evidence %s: file %s is missing", ev.id, path)
        abort(404)
    response = send_file(
        path,
        mimetype=ev.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=ev.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/evidence/<int:evidence_id>/delete")
@login_required
def delete_evidence(evidence_id: int):
    ev = _get_evidence(evidence_id)
    if ev.step is None:
        # Evidence of a measure's follow-up result is managed with the report.
        raise ServiceError(services.MEASURE_EVIDENCE)
    access.require_step_editor(current_user, ev.step)
    if not ConfirmForm().validate_on_submit():
        raise ServiceError(i18n._("แบบฟอร์มหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"))
    step_id, name = ev.step_id, ev.original_name
    path = services.evidence_path(ev, _upload_dir()) if ev.stored_name else None
    services.remove_evidence(ev, _me(), clock.now(), _upload_dir())
    db.session.commit()
    # Only now is the row gone for good; a failed commit keeps the file.
    if path is not None:
        path.unlink(missing_ok=True)
    flash(f"ลบหลักฐาน “{name}” แล้ว (evidence removed)", "success")
    return redirect(url_for("plans.step", step_id=step_id))


@bp.post("/evidence/<int:evidence_id>/public")
@login_required
def set_evidence_public(evidence_id: int):
    """Show an evidence item on the public progress page (public=1) or keep it internal (public=0)."""
    ev = _get_evidence(evidence_id)
    # Refuse outsiders of the step (or of the measure's result) before reading the form.
    if ev.step is not None:
        access.require_step_editor(current_user, ev.step)
        back = url_for("plans.step", step_id=ev.step_id)
    else:
        assert ev.measure is not None
        access.require_result_editor(current_user, ev.measure)
        back = url_for("reports.result", measure_id=ev.measure_id)
    form = EvidencePublicForm()
    if not form.validate_on_submit():
        raise ServiceError(" ".join(map(str, form.public.errors)) or "ข้อมูลไม่ถูกต้อง")
    value = form.public.data
    name = ev.original_name
    changed = services.set_evidence_public(ev, _me(), value == "1", clock.now())
    db.session.commit()
    if not changed:
        flash("ไม่มีการเปลี่ยนแปลง (nothing changed)", "info")
    elif value == "1":
        flash(f"เผยแพร่หลักฐาน “{name}” บนหน้าสาธารณะแล้ว (now public)", "success")
    else:
        flash(f"หลักฐาน “{name}” เป็นข้อมูลภายในแล้ว ไม่แสดงบนหน้าสาธารณะ (now internal)", "success")
    return redirect(back)
