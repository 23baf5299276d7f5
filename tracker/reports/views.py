"""Report pages: the O43 follow-up report (page and downloads) and the
follow-up result of a measure.

Readable by every user of the organization; another organization's records
answer 404. Results are changed by the measure's department and admins (403
for others).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from .. import access, clock, drafts, i18n, thaidate, versions
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..i18n import _, thai_only
from ..plans import results
from ..plans import services as plan_services
from ..plans.forms import EvidenceKindForm, FileEvidenceForm, LinkEvidenceForm
from ..plans.forms import evidence_forms as new_evidence_forms
from ..plans.models import Evidence, EvidenceKind, Measure, MeasureResult, Plan, Weakness
from ..plans.trash_views import delete_evidence_page
from .continuation import html_to_pdf_with_markers
from .followup import build_report, load_plan, render_html, report_filename, resolve_as_of, round_date
from .followup_document import ROUNDS, FollowupReport, Formatter
from .followup_docx import followup_docx
from .followup_xlsx import followup_xlsx
from .forms import CoverForm, ReportQueryForm, ResultForm
from .signoff import followup_chain

bp = Blueprint("reports", __name__)

FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def _me() -> User:
    return current_user._get_current_object()


def _readable(organization_id: int) -> None:
    if not access.can_read_org(current_user, organization_id):
        abort(404)


def content_disposition(filename: str, fallback: str) -> str:
    """attachment with an ASCII name and the real (Thai) one per RFC 5987."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# -- the follow-up report ------------------------------------------------------------


def _plan(plan_id: int) -> Plan:
    # Read with the report's tree, which build_report then reuses (no second read of the plan).
    plan = load_plan(plan_id)
    if plan is None:
        abort(404)
    _readable(plan.organization_id)
    return plan


def _report(plan: Plan, form: ReportQueryForm | CoverForm) -> FollowupReport:
    """The report the form asks for; `ServiceError` (400) with the form's messages when it cannot be read."""
    if not form.validate():
        raise ServiceError(form.problems())
    as_of, _unused = resolve_as_of(plan.fiscal_year, form.as_of.data, form.round.data, clock.today())
    digits = form.thai_digits.data
    return build_report(
        plan,
        as_of,
        thai_digits=bool(plan.organization.official_thai_digits) if digits is None else digits,
        signoff=followup_chain(plan, as_of),
        reporter_name=form.reporter_name.data or None,
        reporter_position=form.reporter_position.data or None,
        reviewer_name=form.reviewer_name.data or None,
        reviewer_position=form.reviewer_position.data or None,
    )


def _params(report: FollowupReport, form: ReportQueryForm, **override) -> dict:
    """The query string that reproduces this report (for presets and downloads)."""
    params: dict = {"as_of": report.as_of.isoformat(), "thai_digits": "1" if report.thai_digits else "0"}
    params.update({name: value for name, value in form.signers().items() if value})
    params.update(override)
    return {k: v for k, v in params.items() if v is not None}


@bp.get("/plans/<int:plan_id>/report")
@login_required
def followup(plan_id: int):
    plan = _plan(plan_id)
    form = ReportQueryForm.sent()
    try:
        report = _report(plan, form)
        error = None
    except ServiceError as exc:
        # Show the page for the default date, with the message, as a 400.
        error = str(exc)
        report = build_report(
            plan,
            resolve_as_of(plan.fiscal_year, None, None, clock.today())[0],
            thai_digits=bool(plan.organization.official_thai_digits),
        )
    lang = i18n.current_language()
    presets = [
        (
            f"{i18n.translate(label)} ({thaidate.format_date(round_date(plan.fiscal_year, r), lang=lang)})",
            url_for("reports.followup", plan_id=plan.id, **_params(report, form, as_of=None, round=r)),
        )
        for r, label in ROUNDS.items()
    ]
    presets.append(
        (
            i18n.translate("วันนี้"),
            url_for("reports.followup", plan_id=plan.id, **_params(report, form, as_of=clock.today().isoformat())),
        )
    )
    downloads = [
        (label, url_for("reports.download", plan_id=plan.id, fmt=fmt, **_params(report, form)))
        for fmt, label in (("pdf", "PDF"), ("docx", "Word (DOCX)"), ("xlsx", "Excel (XLSX)"))
    ]
    controls = {
        "action": url_for("reports.followup", plan_id=plan.id),
        "as_of_text": thaidate.format_date(report.as_of, style="short"),
        "presets": presets,
        "downloads": downloads,
        "back_url": url_for("plans.dashboard", plan_id=plan.id),
        "signers_changed": any(form.signers().values()),
    }
    controls["error"] = error
    controls["cover_url"] = url_for("reports.cover", plan_id=plan.id)
    controls["cover_params"] = _params(report, form)
    controls["cover_error"] = None
    if access.is_org_admin(current_user, plan.organization_id):
        controls["emblem_missing"] = not plan.organization.emblem_stored_name
        controls["publish_url"] = url_for("public.publish_page", plan_id=plan.id, as_of=report.as_of.isoformat())
    if error:
        controls["as_of_text"] = form.as_of._value()[:40]
    return render_html(report, standalone=False, controls=controls), 400 if error else 200


@bp.get("/plans/<int:plan_id>/report.<fmt>")
@login_required
def download(plan_id: int, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    plan = _plan(plan_id)
    report = _report(plan, ReportQueryForm.sent())
    body = render_report(report, fmt)
    thai_name, ascii_name = report_filename(report, fmt)
    response = Response(body, content_type=FORMATS[fmt])
    response.headers["Content-Disposition"] = content_disposition(thai_name, ascii_name)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


COVER_FORMATS = ("pdf", "docx")


@bp.post("/plans/<int:plan_id>/report/cover")
@login_required
def cover(plan_id: int):
    """The covering memo (บันทึกข้อความนำส่ง) of the report as shown, as PDF or DOCX; its date is
    a required field (400 with the message when missing, never today's date by itself)."""
    from .cover import build_cover, cover_docx, cover_filename, render_cover_pdf

    plan = _plan(plan_id)
    form = CoverForm()
    fmt = form.format.data or "pdf"
    if fmt not in COVER_FORMATS:
        abort(404)
    report = _report(plan, form)
    doc = build_cover(
        plan,
        report,
        memo_date=form.memo_date.data,
        reference=form.reference.data or "",
        office=form.office.data or "",
        addressee=form.addressee.data or "",
        findings=form.findings.data or "",
    )
    body = render_cover_pdf(doc) if fmt == "pdf" else cover_docx(doc)
    thai_name, ascii_name = cover_filename(doc, fmt)
    response = Response(body, content_type=FORMATS[fmt])
    response.headers["Content-Disposition"] = content_disposition(thai_name, ascii_name)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@thai_only
def render_report(report: FollowupReport, fmt: str) -> bytes:
    """The report in one of FORMATS, as bytes (used by the downloads and the CLI)."""
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "pdf":
        return html_to_pdf_with_markers(render_html(report))
    if fmt == "docx":
        return followup_docx(report)
    if fmt == "xlsx":
        return followup_xlsx(report)
    raise ServiceError(_("ไม่รู้จักรูปแบบ %(fmt)r", fmt=fmt))


# -- a measure's follow-up result ------------------------------------------------------


@bp.app_context_processor
def _result_helpers() -> dict:
    return {"measure_result": measure_result_summary}


def measure_result_summary(measure: Measure) -> str:
    """One line for the measure page: the figure, else the start of the note; "" when none."""
    result = results.get_result(measure)
    if result is None:
        return ""
    if result.value is not None:
        return _result_figure(result)
    note = " ".join(result.note.split())
    return note if len(note) <= 120 else note[:119] + "…"


def _measure(measure_id: int) -> Measure:
    measure = db.session.get(
        Measure,
        measure_id,
        options=[joinedload(Measure.weakness).joinedload(Weakness.plan), joinedload(Measure.owner_department)],
    )
    if measure is None:
        abort(404)
    _readable(measure.plan.organization_id)
    return measure


def _upload_dir() -> str:
    return str(Path(current_app.config["TRACKER_UPLOAD_DIR"]).resolve())


RESULT_FIELD_LABELS = {"value": "ค่า", "unit": "หน่วย", "note": "หมายเหตุ", "evidence": "หลักฐาน"}


def _result_value(result: MeasureResult | None) -> str:
    """The stored figure as the form shows it again: "1250", "87.5"."""
    if result is None or result.value is None:
        return ""
    return format(result.value.normalize(), "f")


def _result_figure(result: MeasureResult) -> str:
    f = Formatter(i18n.thai_digits())  # the page's digits: Thai only on Thai pages
    return f"{f.number(result.value)} {f.t(result.unit)}".strip()


def _render_result(
    measure: Measure,
    *,
    form: ResultForm | None = None,
    evidence_forms: tuple[FileEvidenceForm, LinkEvidenceForm] | None = None,
    conflict: versions.Stale | None = None,
):
    result = results.get_result(measure)
    if form is None and (typed := drafts.restored(url_for("reports.save_result", measure_id=measure.id))):
        # Text kept when the session or the form had expired (tracker/drafts.py) comes back here.
        form = ResultForm(formdata=typed)
    if form is None:
        form = ResultForm(
            formdata=None,
            data={
                "value": _result_value(result),
                "unit": result.unit if result else "",
                "note": result.note if result else "",
                # 0: no result yet, so one saved meanwhile by someone else is not overwritten unseen
                "version": result.version if result else 0,
            },
        )
    page = render_template(
        "reports/result.html",
        result_value=_result_value,
        result_figure=_result_figure,
        result_field_labels=RESULT_FIELD_LABELS,
        measure=measure,
        plan=measure.plan,
        result=result,
        evidence=results.result_evidence(measure),
        journal=results.result_journal(measure),
        can_edit=access.can_edit_result(current_user, measure),
        allowed_types=" ".join(sorted(plan_services.ALLOWED_UPLOADS)),
        max_upload_mb=int(current_app.config["MAX_CONTENT_LENGTH"]) // (1024 * 1024),
        form=form,
        conflict=conflict,
        evidence_pair=evidence_forms or new_evidence_forms(),
    )
    if conflict is not None:
        return page, 409
    refused = any(f.has_errors for f in (form, *(evidence_forms or ())))
    return page, 400 if refused else 200


@bp.get("/measures/<int:measure_id>/result")
@login_required
def result(measure_id: int):
    return _render_result(_measure(measure_id))


@bp.post("/measures/<int:measure_id>/result")
@login_required
def save_result(measure_id: int):
    measure = _measure(measure_id)
    access.require_result_editor(current_user, measure)
    form = ResultForm()
    if form.validate():
        try:
            changed = results.set_result(
                measure,
                _me(),
                clock.now(),
                value=form.value.data,
                unit=form.unit.data,
                note=form.note.data,
                version=form.version.data,
            )
            db.session.commit()
        except versions.Stale as stale:
            db.session.rollback()
            form.version.data = stale.current
            return _render_result(_measure(measure_id), form=form, conflict=stale)
        except ServiceError as exc:
            db.session.rollback()
            form.refuse(exc)
        else:
            flash(
                _("บันทึกผลการติดตามแล้ว") if changed else _("ไม่มีการเปลี่ยนแปลง"),
                "success" if changed else "info",
            )
            return redirect(url_for("reports.result", measure_id=measure_id))
    return _render_result(_measure(measure_id), form=form)


@bp.post("/measures/<int:measure_id>/result/evidence")
@login_required
def add_result_evidence(measure_id: int):
    measure = _measure(measure_id)
    access.require_result_editor(current_user, measure)
    kind = EvidenceKindForm().chosen
    file_form, link_form = new_evidence_forms(kind)
    form = file_form if kind == EvidenceKind.file.value else link_form
    if kind not in (EvidenceKind.file.value, EvidenceKind.link.value):
        form.form_errors.append(_("โปรดแนบไฟล์หรือใส่ลิงก์"))
        return _render_result(measure, evidence_forms=(file_form, link_form))
    if not form.validate():
        return _render_result(measure, evidence_forms=(file_form, link_form))
    upload_dir = _upload_dir()
    stored: list[Path] = []
    try:
        if form is file_form:
            upload = file_form.file.data
            ev = results.add_result_file(
                measure,
                _me(),
                upload.filename,
                upload.stream,
                upload_dir,
                int(current_app.config["MAX_CONTENT_LENGTH"]),
                clock.now(),
            )
            stored.append(plan_services.evidence_path(ev, upload_dir))
        else:
            ev = results.add_result_link(measure, _me(), link_form.url.data, link_form.title.data, clock.now())
        if form.public.data:
            plan_services.set_evidence_public(ev, _me(), True, clock.now())
        db.session.commit()
    except BaseException as exc:
        # A stored file whose row is not committed would be an orphan: remove it.
        stored += [
            plan_services.evidence_path(o, upload_dir)
            for o in db.session.new
            if isinstance(o, Evidence) and o.stored_name
        ]
        db.session.rollback()
        for path in stored:
            path.unlink(missing_ok=True)
        if isinstance(exc, ServiceError):
            form.refuse(exc)
            return _render_result(_measure(measure_id), evidence_forms=(file_form, link_form))
        raise
    flash(_("แนบหลักฐานแล้ว"), "success")
    return redirect(url_for("reports.result", measure_id=measure_id))


def _result_evidence(measure_id: int, evidence_id: int) -> tuple[Measure, Evidence]:
    measure = _measure(measure_id)
    ev = db.session.get(Evidence, evidence_id)
    if ev is None or ev.measure_id != measure.id:
        abort(404)
    return measure, ev


@bp.route("/measures/<int:measure_id>/result/evidence/<int:evidence_id>/delete", methods=["GET", "POST"])
@login_required
def delete_result_evidence(measure_id: int, evidence_id: int):
    """GET: the confirmation page; POST: into the trash (the file stays until purged), with an undo."""
    measure, ev = _result_evidence(measure_id, evidence_id)
    access.require_result_editor(current_user, measure)
    return delete_evidence_page(
        ev,
        _("ลบหลักฐานผลการติดตาม"),
        url_for("reports.delete_result_evidence", measure_id=measure_id, evidence_id=evidence_id),
        url_for("reports.result", measure_id=measure_id),
    )
