"""Administration pages: plans, weaknesses, measures, steps, departments, users,
plan import and export. Admins only, and only within their own organization.

Views are thin: read the form, resolve ids inside the organization (another
organization's id is a 404, never a leak), call a service, commit, flash and
redirect. A refused change re-renders the form with what was typed and 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import extras, i18n, versions
from ..access import admin_pages_guard, plan_import_guard
from ..auth.models import ORG_ROLES, ROLE_LABELS, Role, User
from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..forms import Form, RecordField
from ..i18n import N_, _
from ..orgs.models import Department
from ..plans import structure
from ..plans.models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness
from ..thaidate import format_date
from .forms import (
    PlanForm,
    PlanNewForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


T = TypeVar("T")


#: Journal field names as people read them.
FIELD_LABELS = {
    "title": "ชื่อ",
    "status": "สถานะ",
    "detail": "รายละเอียด",
    "owner_department": "หน่วยงานผู้รับผิดชอบ",
    "period_start": "วันเริ่มระยะเวลา",
    "period_end": "วันสิ้นสุดระยะเวลา",
    "follow_up": "การติดตามผล",
    "assignee": "ผู้รับผิดชอบ",
    "start_date": "วันเริ่ม",
    "due_date": "วันครบกำหนด",
    "weakness": N_("ประเด็น"),
    "measure": "มาตรการ",
    "step": "ขั้นตอน",
    "name": "ชื่อ",
    "email": "อีเมล",
    "head": "หัวหน้าหน่วยงาน",
    "display_name": "ชื่อที่แสดง",
    "position": "ตำแหน่ง",
    "role": "บทบาท",
    "department": "หน่วยงาน",
    "active": "ใช้งาน",
    "password": "รหัสผ่าน",
}


ENTITY_LABELS = {
    "plan": "แผน",
    "weakness": N_("ประเด็น"),
    "measure": "มาตรการ",
    "step": "ขั้นตอน",
    "department": "หน่วยงาน",
    "user": "ผู้ใช้",
}


ACTION_LABELS = {
    "create": N_("เพิ่ม"),
    "edit": "แก้ไข",
    "delete": "ลบ",
    "restore": N_("กู้คืน"),
    "purge": N_("ลบถาวร"),
    "import": "นำเข้า",
    "password_reset": "ตั้งรหัสผ่านใหม่",
}


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@bp.before_request
def guard():
    """Every page and form here: logged in, and an admin of one's own organization; the plan
    import also lets provincial and national users in (for the organizations of their scope)."""
    if request.endpoint in PLAN_IMPORT_ENDPOINTS:
        return plan_import_guard()
    return admin_pages_guard()


#: The plan import's pages (`import_views`), open to oversight users too.
PLAN_IMPORT_ENDPOINTS = ("admin.import_plan", "admin.import_confirm", "admin.plan_template")


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "field_label": lambda f: _label(FIELD_LABELS, f or ""),
        "entity_label": lambda e: _label(ENTITY_LABELS, e),
        "action_label": lambda a: _label(ACTION_LABELS, a, context="journal"),
        "admin_value": journal_text,
        "roles": list(ORG_ROLES),
        "role_labels": ROLE_LABELS,
        "dashboard_url": _dashboard_url,
    }


def _label(labels: dict[str, str], key: str, context: str | None = None) -> str:
    return i18n.translate(labels[key], context=context) if key in labels else key


def journal_text(value: str | None) -> str:
    """Journal values are text; show ISO dates in BE and booleans in words."""
    if value is None or value == "":
        return "–"
    if _ISO_DATE.fullmatch(value):
        return format_date(date.fromisoformat(value), thai_digits=i18n.thai_digits(), lang=i18n.current_language())
    for enum in (PlanStatus, StepStatus, Role):
        try:
            return i18n.translate(enum(value).label)
        except ValueError:
            pass
    return i18n.translate({"True": N_("ใช่"), "False": N_("ไม่ใช่")}[value]) if value in ("True", "False") else value


def _dashboard_url(plan: Plan) -> str:
    return url_for("plans.dashboard", plan_id=plan.id)


# -- loading records of the admin's own organization ----------------------------


def _org_id() -> int:
    return current_user.organization_id


#: Ids are 32-bit integers in the database; a larger one in a URL or form is simply not there.
MAX_ID = 2**31 - 1


def _load(model: type[T], ident: int, org_of: Callable[[T], int]) -> T:
    obj = db.session.get(model, ident) if ident <= MAX_ID else None
    if obj is None or org_of(obj) != _org_id():
        abort(404)
    return obj


def _plan(plan_id: int) -> Plan:
    return _load(Plan, plan_id, lambda p: p.organization_id)


def _weakness(weakness_id: int) -> Weakness:
    return _load(Weakness, weakness_id, lambda w: w.plan.organization_id)


def _measure(measure_id: int) -> Measure:
    return _load(Measure, measure_id, lambda m: m.weakness.plan.organization_id)


def _step(step_id: int) -> Step:
    return _load(Step, step_id, lambda s: s.measure.weakness.plan.organization_id)


def _department_record(department_id: int) -> Department:
    return _load(Department, department_id, lambda d: d.organization_id)


def _user_record(user_id: int) -> User:
    return _load(User, user_id, lambda u: u.organization_id)


def _departments() -> list[Department]:
    return list(
        db.session.scalars(
            sa.select(Department).where(Department.organization_id == _org_id()).order_by(Department.name)
        )
    )


def _users() -> list[User]:
    query = sa.select(User).where(User.organization_id == _org_id())
    return list(db.session.scalars(query.order_by(User.display_name)))


# -- forms ----------------------------------------------------------------------


def _department_choices(field: RecordField, blank: bool = True) -> None:
    field.set_records(_departments(), text=lambda d: d.name, blank=i18n._("— เลือกหน่วยงาน —") if blank else None)


def _user_choices(field: RecordField, keep: User | None = None) -> None:
    """Active users are offered (and `keep`, the current choice, even if deactivated since)."""
    field.set_records(
        _users(),
        text=lambda u: u.display_name,
        blank=i18n._("— ไม่ระบุ —"),
        offer=lambda u: u.active or (keep is not None and u.id == keep.id),
    )


def _refused(template: str, form: Form, exc: ServiceError | None = None, /, **context: Any) -> tuple[str, int]:
    """Throw the half-done change away and show the form again with what was typed."""
    db.session.rollback()
    if exc is not None:
        form.refuse(exc)
    return render_template(template, form=form, **context), 400


def _conflict(template: str, form: Form, stale: versions.Stale, **context: Any) -> tuple[str, int]:
    """The record changed since the form was shown: what changed, and the form as typed
    with the version now stored, so that sending it again saves it (HTTP 409)."""
    db.session.rollback()
    form.version.data = stale.current
    return render_template(template, form=form, conflict=stale, **context), 409


def _saved(message: str, endpoint: str, **values: Any) -> BaseResponse:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


# -- overview -------------------------------------------------------------------


@bp.route("/")
def index():
    org = current_user.organization
    plans = list(
        db.session.scalars(sa.select(Plan).where(Plan.organization_id == org.id).order_by(Plan.fiscal_year.desc()))
    )
    users = _users()
    return render_template(
        "admin/index.html",
        org=org,
        plans=plans,
        departments=_departments(),
        users=users,
        role_counts={role: sum(1 for u in users if u.role is role and u.active) for role in Role},
    )


@bp.route("/plans/new", methods=["GET", "POST"])
def plan_new():
    form = PlanNewForm()
    if not form.validate_on_submit():
        return render_template("admin/plan_new.html", form=form), 400 if form.is_submitted() else 200
    try:
        plan = structure.create_plan(
            current_user.organization, current_user, utcnow(), fiscal_year=form.fiscal_year.data, title=form.title.data
        )
    except ServiceError as exc:
        return _refused("admin/plan_new.html", form, exc)
    return _saved(_("สร้างแผนแล้ว เพิ่มประเด็น มาตรการ และขั้นตอนได้ด้านล่าง"), "admin.plan", plan_id=plan.id)


@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
def plan(plan_id: int):
    plan = _plan(plan_id)
    context = {"plan": plan, "history": structure.plan_history(plan), "labels": _history_labels(plan)}
    if request.method == "GET":
        form = PlanForm(data={"title": plan.title, "status": plan.status.value, "version": plan.version})
        return render_template("admin/plan.html", form=form, **context)
    form = PlanForm()
    if not form.validate():
        return _refused("admin/plan.html", form, **context)
    try:
        changed = structure.edit_plan(
            plan, current_user, utcnow(), title=form.title.data, status=form.status.data, version=form.version.data
        )
    except versions.Stale as stale:
        return _conflict("admin/plan.html", form, stale, **context)
    except ServiceError as exc:
        return _refused("admin/plan.html", form, exc, **context)
    return _saved(_changed_message(changed), "admin.plan", plan_id=plan.id)


def _history_labels(plan: Plan) -> dict[tuple[str, int], str]:
    """Which weakness or measure a journal entry is about, by its number."""
    labels: dict[tuple[str, int], str] = {}
    for weakness in plan.weaknesses:
        labels[("weakness", weakness.id)] = str(weakness.order)
        for measure in weakness.measures:
            labels[("measure", measure.id)] = measure.number
    return labels


def _changed_message(changed: list[str]) -> str:
    if not changed:
        return _("ไม่มีข้อมูลเปลี่ยนแปลง")
    fields = ", ".join(FIELD_LABELS.get(f, f) for f in changed)
    return _("บันทึกการแก้ไขแล้ว: %(fields)s", fields=fields)


# -- plan files -----------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/export.yaml")
def export_plan(plan_id: int):
    plan = _plan(plan_id)
    from ..plans.exporter import export_plan_yaml

    body = export_plan_yaml(plan)
    name = f"plan-{plan.organization.slug}-{plan.fiscal_year}.yaml"
    return Response(
        body,
        mimetype="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/plans/template.xlsx")
def plan_template():
    from ..plans.exporter import plan_template_xlsx

    return Response(
        plan_template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="plan-template.xlsx"'},
    )


# -- the organization's signing certificate (PAdES) --------------------------------


@bp.route("/signing", methods=["GET", "POST"])
def signing():
    try:
        from ..reports import signing as certificates
    except ImportError:  # pyHanko and cryptography come with the [pdf] extra
        flash(str(extras.MissingExtra("pdf")), "error")
        return redirect(url_for("admin.index"))
    org = current_user.organization
    context: dict[str, Any] = {"certificate": certificates.certificate_of(org), "form": {}}
    if request.method == "GET":
        return render_template("admin/signing.html", **context)
    upload = request.files.get("p12")
    try:
        data = upload.read(certificates.MAX_P12_BYTES + 1) if upload else b""
        info = certificates.store_certificate(org, current_user, data, request.form.get("password", ""), utcnow())
    except ServiceError as exc:
        db.session.rollback()
        return render_template("admin/signing.html", error=str(exc), **context), 400
    return _saved(_("บันทึกใบรับรองแล้ว: %(info_subject)s", info_subject=info.subject), "admin.signing")


@bp.post("/signing/remove")
def signing_remove():
    from ..reports import signing as certificates

    certificates.remove_certificate(current_user.organization, current_user, utcnow())
    return _saved(_("ลบใบรับรองแล้ว เอกสารที่เผยแพร่ต่อจากนี้จะไม่มีลายมือชื่ออิเล็กทรอนิกส์"), "admin.signing")
