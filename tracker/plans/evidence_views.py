"""Evidence pages of a step: opening or downloading, deleting, and making it
public (files and links are added with the step's update, update_views).
Registered on the plans blueprint of `views`.
"""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from .. import access, clock
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from . import queries, services
from .forms import DownloadQuery, EvidencePublicForm
from .models import Evidence, EvidenceKind
from .update_views import upload_dir as _upload_dir
from .views import _me, _readable, bp, log


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
    # A PDF or an image opens in the browser unless ?download=1; anything else downloads.
    inline = ev.opens_inline and DownloadQuery.sent().download.data != "1"
    response = send_file(
        path,
        mimetype=ev.content_type or "application/octet-stream",
        as_attachment=not inline,
        # Werkzeug writes a non-ASCII (Thai) name as RFC 5987 filename*=UTF-8''...
        download_name=ev.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if inline:
        # Shown as a document of its own: no script, no form, no same-origin access.
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'"
    return response


@bp.route("/evidence/<int:evidence_id>/delete", methods=["GET", "POST"])
@login_required
def delete_evidence(evidence_id: int):
    """GET: the confirmation page; POST: into the trash (the file stays until purged), with an undo."""
    from .trash_views import delete_evidence_page

    ev = _get_evidence(evidence_id)
    if ev.step is None:
        # Evidence of a measure's follow-up result is managed with the report.
        raise ServiceError(services.MEASURE_EVIDENCE)
    access.require_step_editor(current_user, ev.step)
    return delete_evidence_page(
        ev,
        _("ลบหลักฐาน"),
        url_for("plans.delete_evidence", evidence_id=ev.id),
        url_for("plans.step", step_id=ev.step_id),
    )


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
        flash(_("ไม่มีการเปลี่ยนแปลง"), "info")
    elif value == "1":
        flash(_("เผยแพร่หลักฐาน “%(name)s” บนหน้าสาธารณะแล้ว", name=name), "success")
    else:
        flash(_("หลักฐาน “%(name)s” เป็นข้อมูลภายในแล้ว ไม่แสดงบนหน้าสาธารณะ", name=name), "success")
    return redirect(back)
