"""The O42 analysis memo in the web interface: the page (a preview of the memo,
with the header and findings form for admins) and the DOCX/ODT/PDF downloads.

Every user of the organization reads; admins edit (403 for others); another
organization's plan answers 404. A memo that cannot be built (scores
missing) is a 400 with the message, on the page and for the downloads.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import access, clock
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from ..ita.framework import framework_for
from ..plans.models import Plan
from .fonts import FONT_FAMILY, font_faces
from .forms import MemoForm, memo_form
from .memo import build_memo
from .memo_cli import render_memo
from .memo_document import MEASURE_HEADERS, memo_filename, require_date, th
from .memo_saved import default_addressee, default_office, findings_of, get_memo, save_memo
from .models import ReportKind
from .odt import ODT_MIMETYPE
from .signoff import chain_of, latest_submission
from .views import content_disposition

bp = Blueprint("memo", __name__)

FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": ODT_MIMETYPE,
}


def _plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or not access.can_read_org(current_user, plan.organization_id):
        abort(404)
    return plan


def _tools(plan: Plan) -> list[tuple[str, str]]:
    """(code, name) of the assessed year's tools: the findings fields."""
    framework = framework_for(plan.organization_id, plan.assessed_year, load_shipped=False)
    return [(t.code, t.name) for t in framework.tools] if framework is not None else []


def _stored_form(plan: Plan) -> MemoForm:
    memo = get_memo(plan)
    data: dict[str, object] = {
        "office": memo.office if memo else "",
        "reference": memo.reference if memo else "",
        "memo_date": memo.memo_date if memo else None,
        "addressee": memo.addressee if memo else "",
    }
    for code, text in findings_of(memo).items():
        data[f"findings-{code}"] = text
    return memo_form(_tools(plan), formdata=None, data=data)


def _render(plan: Plan, *, form: MemoForm | None = None):
    try:
        doc = build_memo(plan)
        problem = None
    except ServiceError as exc:
        doc, problem = None, str(exc)
    submission = latest_submission(plan, ReportKind.analysis)
    page = render_template(
        "reports/memo_page.html",
        plan=plan,
        d=doc,
        problem=problem,
        form=form if form is not None else _stored_form(plan),
        defaults={"office": default_office(plan), "addressee": default_addressee(plan.organization)},
        is_admin=access.is_org_admin(current_user, plan.organization_id),
        emblem_missing=not plan.organization.emblem_stored_name,
        chain=chain_of(submission) if submission is not None else None,
        fonts=font_faces(embed=False),
        font_family=FONT_FAMILY,
        measure_headers=MEASURE_HEADERS,
        th=th,
    )
    db.session.rollback()  # the page only reads (a shipped framework loaded on the way is not kept)
    return page, 400 if (problem or (form is not None and form.has_errors)) else 200


@bp.get("/plans/<int:plan_id>/memo")
@login_required
def page(plan_id: int):
    return _render(_plan(plan_id))


@bp.post("/plans/<int:plan_id>/memo")
@login_required
def save(plan_id: int):
    plan = _plan(plan_id)
    access.require_admin(current_user, plan.organization_id)
    form = memo_form(_tools(plan))
    if not form.validate():
        return _render(plan, form=form)
    try:
        changed = save_memo(
            plan,
            current_user._get_current_object(),
            clock.now(),
            office=form.office.data,
            reference=form.reference.data,
            memo_date=form.memo_date.data,
            addressee=form.addressee.data,
            findings=form.findings(),
        )
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        form.refuse(exc)
        return _render(_plan(plan_id), form=form)
    flash(_("บันทึกแล้ว") if changed else _("ไม่มีการเปลี่ยนแปลง"), "success" if changed else "info")
    return redirect(url_for("memo.page", plan_id=plan_id))


@bp.get("/plans/<int:plan_id>/memo.docx", defaults={"fmt": "docx"})
@bp.get("/plans/<int:plan_id>/memo.odt", defaults={"fmt": "odt"})
@bp.get("/plans/<int:plan_id>/memo.pdf", defaults={"fmt": "pdf"})
@login_required
def download(plan_id: int, fmt: str):
    plan = _plan(plan_id)
    doc = build_memo(plan, now=clock.utcnow())
    require_date(doc.header)
    body = render_memo(doc, fmt)
    db.session.rollback()
    thai_name, ascii_name = memo_filename(doc, fmt)
    response = Response(body, content_type=FORMATS[fmt])
    response.headers["Content-Disposition"] = content_disposition(thai_name, ascii_name)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
