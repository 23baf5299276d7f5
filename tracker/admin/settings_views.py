"""The organization's settings (admin only, via the admin blueprint's guard): its
official documents (the ครุฑ emblem and Thai digits) and the rules for its steps
(what "done" needs)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..forms import ConfirmForm
from ..i18n import _
from ..orgs import documents, settings
from .forms import DocumentsForm, StepRulesForm
from .views import bp


def _org():
    return current_user.organization


def _page(form: DocumentsForm | None = None):
    org = _org()
    if form is None:
        form = DocumentsForm(formdata=None, thai_digits=org.official_thai_digits)
    return render_template(
        "admin/documents.html",
        org=org,
        form=form,
        confirm_form=ConfirmForm(),
        max_mb=documents.EMBLEM_MAX_BYTES // (1024 * 1024),
    ), 400 if form.has_errors else 200


@bp.route("/documents", methods=["GET", "POST"])
def documents_settings():
    if request.method == "GET":
        return _page()
    form = DocumentsForm()
    if not form.validate_on_submit():
        return _page(form)
    org, now = _org(), utcnow()
    messages: list[str] = []
    upload = form.emblem.data
    try:
        if upload is not None and upload.filename:
            try:
                documents.set_emblem(org, current_user._get_current_object(), upload.filename, upload.stream, now)
            except ServiceError as exc:
                form.emblem.errors = [*form.emblem.errors, str(exc)]  # the file's problem, at the file box
                raise
            messages.append(_("บันทึกตราครุฑแล้ว"))
        wanted = bool(form.thai_digits.data)
        if documents.set_thai_digits(org, current_user._get_current_object(), wanted, now):
            messages.append(_("ใช้เลขไทยในเอกสารราชการ") if wanted else _("ใช้เลขอารบิกในเอกสารราชการ"))
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        if not form.emblem.errors:
            form.refuse(exc)
        return _page(form)
    flash(" · ".join(messages) if messages else _("ไม่มีการเปลี่ยนแปลง"), "success" if messages else "info")
    return redirect(url_for("admin.documents_settings"))


@bp.post("/documents/emblem/delete")
def emblem_delete():
    if not ConfirmForm().validate_on_submit():
        raise ServiceError(_("แบบฟอร์มหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"))
    old = documents.remove_emblem(_org(), current_user._get_current_object(), utcnow())
    db.session.commit()
    if old:
        (Path(current_app.config["TRACKER_UPLOAD_DIR"]) / old).unlink(missing_ok=True)
    flash(_("ลบตราครุฑแล้ว เอกสารจะพิมพ์โดยไม่มีตรา"), "success")
    return redirect(url_for("admin.documents_settings"))


@bp.get("/documents/emblem")
def emblem_image():
    found = documents.emblem_bytes(_org())
    if found is None:
        abort(404)
    data, content_type = found
    response = Response(data, content_type=content_type)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- the rules for steps ---------------------------------------------------------------------


def _rules_page(form: StepRulesForm | None = None):
    if form is None:
        form = StepRulesForm(formdata=None, done_requires=_org().done_requires.value)
    return render_template("admin/step_rules.html", form=form), 400 if form.has_errors else 200


@bp.route("/step-rules", methods=["GET", "POST"])
def step_rules():
    """What a step needs before it is marked done: nothing, a note (the default), evidence, or both."""
    if request.method == "GET":
        return _rules_page()
    form = StepRulesForm()
    if not form.validate_on_submit():
        return _rules_page(form)
    try:
        changed = settings.set_done_rule(_org(), current_user._get_current_object(), form.done_requires.data, utcnow())
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        form.refuse(exc)
        return _rules_page(form)
    if changed:
        flash(_("บันทึกแล้ว: ก่อนเปลี่ยนเป็น “ดำเนินการแล้ว” %(rule)s", rule=_(_org().done_requires.label)), "success")
    else:
        flash(_("ไม่มีการเปลี่ยนแปลง"), "info")
    return redirect(url_for("admin.step_rules"))
