"""Administration pages: plans, weaknesses, measures, steps, departments, users,
plan import and export. Admins only, and only within their own organization.

Views are thin: read the form, resolve ids inside the organization (another
organization's id is a 404, never a leak), call a service, commit, flash and
redirect. A refused change re-renders the form with what was typed and 400.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable, TypeVar

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from .. import i18n
from ..access import admin_pages_guard
from ..auth.models import ORG_ROLES, ROLE_LABELS, Role, User
from ..auth.services import PASSWORD_RULE
from ..clock import utcnow
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..orgs.models import Department
from ..plans.models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness
from ..plans.queries import PER_PAGE, contains, page_args, paginate, search_arg
from ..thaidate import DateParseError, PeriodError, format_date, parse_date, parse_period, to_arabic_digits
from ..auth import services as user_services
from ..orgs import services as department_services
from ..plans import structure

bp = Blueprint("admin", __name__, url_prefix="/admin")

T = TypeVar("T")

#: Journal field names as people read them.
FIELD_LABELS = {
    "title": "ชื่อ", "status": "สถานะ", "detail": "รายละเอียด", "owner_department": "หน่วยงานผู้รับผิดชอบ",
    "period_start": "วันเริ่มระยะเวลา", "period_end": "วันสิ้นสุดระยะเวลา", "follow_up": "การติดตามผล",
    "assignee": "ผู้รับผิดชอบ", "start_date": "วันเริ่ม", "due_date": "วันครบกำหนด", "weakness": "ประเด็น",
    "measure": "มาตรการ", "step": "ขั้นตอน", "name": "ชื่อ", "email": "อีเมล", "head": "หัวหน้าหน่วยงาน",
    "display_name": "ชื่อที่แสดง", "position": "ตำแหน่ง", "role": "บทบาท", "department": "หน่วยงาน",
    "active": "ใช้งาน", "password": "รหัสผ่าน",
}
ENTITY_LABELS = {
    "plan": "แผน", "weakness": "ประเด็น", "measure": "มาตรการ", "step": "ขั้นตอน",
    "department": "หน่วยงาน", "user": "ผู้ใช้",
}
ACTION_LABELS = {
    "create": "เพิ่ม", "edit": "แก้ไข", "delete": "ลบ", "import": "นำเข้า", "password_reset": "ตั้งรหัสผ่านใหม่",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# Every page and form here: logged in, and an admin of one's own organization.
bp.before_request(admin_pages_guard)


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "field_label": lambda f: _label(FIELD_LABELS, f or ""),
        "entity_label": lambda e: _label(ENTITY_LABELS, e),
        "action_label": lambda a: _label(ACTION_LABELS, a, context="journal"),
        "admin_value": _journal_value,
        "plan_statuses": list(PlanStatus),
        "roles": list(ORG_ROLES),
        "role_labels": ROLE_LABELS,
        "dashboard_url": _dashboard_url,
    }


def _label(labels: dict[str, str], key: str, context: str | None = None) -> str:
    return i18n.translate(labels[key], context=context) if key in labels else key


def _journal_value(value: str | None) -> str:
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
    return i18n.translate({"True": "ใช่", "False": "ไม่ใช่"}[value]) if value in ("True", "False") else value


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
    return list(db.session.scalars(
        sa.select(Department).where(Department.organization_id == _org_id()).order_by(Department.name)
    ))


def _users(active_only: bool = False, keep: User | None = None) -> list[User]:
    """The organization's users; `keep` stays in a list of active ones even if
    deactivated, so saving a form does not silently drop a current choice."""
    query = sa.select(User).where(User.organization_id == _org_id())
    if active_only:
        wanted = User.active.is_(True)
        query = query.where(wanted | (User.id == keep.id) if keep is not None else wanted)
    return list(db.session.scalars(query.order_by(User.display_name)))


# -- reading forms --------------------------------------------------------------

def _form_department(form: MultiDict, name: str, *, required: bool = True) -> Department | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            raise ServiceError("โปรดเลือกหน่วยงาน (choose a department)")
        return None
    department = db.session.get(Department, int(raw)) if raw.isdigit() and int(raw) <= MAX_ID else None
    if department is None or department.organization_id != _org_id():
        raise ServiceError("ไม่พบหน่วยงานที่เลือก (unknown department)")
    return department


def _form_user(form: MultiDict, name: str) -> User | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    user = db.session.get(User, int(raw)) if raw.isdigit() and int(raw) <= MAX_ID else None
    if user is None or user.organization_id != _org_id():
        raise ServiceError("ไม่พบผู้ใช้ที่เลือก (unknown user)")
    return user


def _form_date(form: MultiDict, name: str, label: str) -> date:
    """A date from the BE text box `<name>_text` when filled, else the date picker `<name>`."""
    text = (form.get(f"{name}_text") or "").strip() or (form.get(name) or "").strip()
    if not text:
        raise ServiceError(f"โปรดระบุ{label} (the date is required)")
    try:
        return parse_date(text)
    except DateParseError as exc:
        raise ServiceError(f"{label}: {exc}") from None


def _form_period(form: MultiDict) -> tuple[date, date]:
    """The period as officers write it ("ม.ค. - ก.ย. ๒๕๖๖"), else the two date pickers."""
    text = (form.get("period") or "").strip()
    if text:
        try:
            return parse_period(text)
        except PeriodError as exc:
            raise ServiceError(f"ระยะเวลา: {exc}") from None
    return _form_date(form, "period_start", "วันเริ่มระยะเวลา"), _form_date(form, "period_end", "วันสิ้นสุดระยะเวลา")


def _refused(template: str, exc: ServiceError, **context: Any) -> tuple[str, int]:
    """Throw the half-done change away and show the form again with what was typed."""
    db.session.rollback()
    context.setdefault("form", request.form)
    return render_template(template, error=str(exc), **context), 400


def _saved(message: str, endpoint: str, **values: Any) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


# -- overview -------------------------------------------------------------------

@bp.route("/")
def index():
    org = current_user.organization
    plans = list(db.session.scalars(
        sa.select(Plan).where(Plan.organization_id == org.id).order_by(Plan.fiscal_year.desc())
    ))
    users = _users()
    return render_template(
        "admin/index.html", org=org, plans=plans, departments=_departments(), users=users,
        role_counts={role: sum(1 for u in users if u.role is role and u.active) for role in Role},
    )


# -- plans ----------------------------------------------------------------------

@bp.route("/plans/new", methods=["GET", "POST"])
def plan_new():
    if request.method == "GET":
        return render_template("admin/plan_new.html", form={})
    form = request.form
    try:
        year_text = to_arabic_digits((form.get("fiscal_year") or "").strip())
        if not year_text.isdigit():
            raise ServiceError("ปีงบประมาณต้องเป็นตัวเลข พ.ศ. เช่น 2566 (the fiscal year must be a BE year, e.g. 2566)")
        plan = structure.create_plan(current_user.organization, current_user, utcnow(),
                                    fiscal_year=int(year_text), title=form.get("title", ""))
    except ServiceError as exc:
        return _refused("admin/plan_new.html", exc)
    return _saved("สร้างแผนแล้ว เพิ่มประเด็น มาตรการ และขั้นตอนได้ด้านล่าง (plan created)", "admin.plan",
                  plan_id=plan.id)


@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
def plan(plan_id: int):
    plan = _plan(plan_id)
    if request.method == "POST":
        try:
            changed = structure.edit_plan(plan, current_user, utcnow(), title=request.form.get("title", ""),
                                         status=request.form.get("status") or None)
        except ServiceError as exc:
            return _refused("admin/plan.html", exc, plan=plan, history=structure.plan_history(plan),
                            labels=_history_labels(plan))
        return _saved(_changed_message(changed), "admin.plan", plan_id=plan.id)
    return render_template("admin/plan.html", plan=plan, history=structure.plan_history(plan),
                           labels=_history_labels(plan), form={"title": plan.title, "status": plan.status.value})


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
        return "ไม่มีข้อมูลเปลี่ยนแปลง (nothing changed)"
    fields = ", ".join(FIELD_LABELS.get(f, f) for f in changed)
    return f"บันทึกการแก้ไขแล้ว: {fields} (saved)"


# -- weaknesses -----------------------------------------------------------------

@bp.route("/plans/<int:plan_id>/weaknesses/new", methods=["GET", "POST"])
def weakness_new(plan_id: int):
    plan = _plan(plan_id)
    if request.method == "GET":
        return render_template("admin/weakness.html", plan=plan, weakness=None, form={})
    try:
        structure.add_weakness(plan, current_user, utcnow(), title=request.form.get("title", ""),
                              detail=request.form.get("detail", ""))
    except ServiceError as exc:
        return _refused("admin/weakness.html", exc, plan=plan, weakness=None)
    return _saved("เพิ่มประเด็นแล้ว (weakness added)", "admin.plan", plan_id=plan.id)


@bp.route("/weaknesses/<int:weakness_id>", methods=["GET", "POST"])
def weakness(weakness_id: int):
    weakness = _weakness(weakness_id)
    plan = weakness.plan
    if request.method == "POST":
        try:
            changed = structure.edit_weakness(weakness, current_user, utcnow(), title=request.form.get("title", ""),
                                             detail=request.form.get("detail", ""))
        except ServiceError as exc:
            return _refused("admin/weakness.html", exc, plan=plan, weakness=weakness)
        return _saved(_changed_message(changed), "admin.plan", plan_id=plan.id)
    return render_template("admin/weakness.html", plan=plan, weakness=weakness,
                           form={"title": weakness.title, "detail": weakness.detail})


@bp.route("/weaknesses/<int:weakness_id>/delete", methods=["POST"])
def weakness_delete(weakness_id: int):
    weakness = _weakness(weakness_id)
    plan = weakness.plan
    try:
        structure.delete_weakness(weakness, current_user, utcnow())
    except ServiceError as exc:
        return _refused("admin/weakness.html", exc, plan=plan, weakness=weakness,
                        form={"title": weakness.title, "detail": weakness.detail})
    return _saved("ลบประเด็นแล้ว (weakness deleted)", "admin.plan", plan_id=plan.id)


# -- measures -------------------------------------------------------------------

def _measure_form(measure: Measure) -> dict[str, Any]:
    return {
        "title": measure.title, "owner_department": str(measure.owner_department_id),
        "period_start": measure.period_start.isoformat(), "period_end": measure.period_end.isoformat(),
        "follow_up": measure.follow_up, "move_steps": "on",
    }


@bp.route("/weaknesses/<int:weakness_id>/measures/new", methods=["GET", "POST"])
def measure_new(weakness_id: int):
    weakness = _weakness(weakness_id)
    context = {"plan": weakness.plan, "weakness": weakness, "measure": None, "departments": _departments()}
    if request.method == "GET":
        return render_template("admin/measure.html", form={}, **context)
    form = request.form
    try:
        start, end = _form_period(form)
        measure = structure.add_measure(
            weakness, current_user, utcnow(), title=form.get("title", ""),
            owner_department=_form_department(form, "owner_department"),
            period_start=start, period_end=end, follow_up=form.get("follow_up", ""),
        )
    except ServiceError as exc:
        return _refused("admin/measure.html", exc, **context)
    return _saved("เพิ่มมาตรการแล้ว เพิ่มขั้นตอนได้ด้านล่าง (measure added)", "admin.measure", measure_id=measure.id)


@bp.route("/measures/<int:measure_id>", methods=["GET", "POST"])
def measure(measure_id: int):
    measure = _measure(measure_id)
    context = {"plan": measure.plan, "weakness": measure.weakness, "measure": measure, "departments": _departments()}
    if request.method == "POST":
        form = request.form
        try:
            start, end = _form_period(form)
            changed = structure.edit_measure(
                measure, current_user, utcnow(), title=form.get("title", ""),
                owner_department=_form_department(form, "owner_department"),
                period_start=start, period_end=end, follow_up=form.get("follow_up", ""),
                move_steps=form.get("move_steps") == "on",
            )
        except ServiceError as exc:
            return _refused("admin/measure.html", exc, **context)
        return _saved(_changed_message(changed), "admin.measure", measure_id=measure.id)
    return render_template("admin/measure.html", form=_measure_form(measure), **context)


@bp.route("/measures/<int:measure_id>/delete", methods=["POST"])
def measure_delete(measure_id: int):
    measure = _measure(measure_id)
    plan = measure.plan
    context = {"plan": plan, "weakness": measure.weakness, "measure": measure, "departments": _departments()}
    try:
        structure.delete_measure(measure, current_user, utcnow())
    except ServiceError as exc:
        return _refused("admin/measure.html", exc, form=_measure_form(measure), **context)
    return _saved("ลบมาตรการแล้ว (measure deleted)", "admin.plan", plan_id=plan.id)


# -- steps ----------------------------------------------------------------------

def _step_context(measure: Measure, step: Step | None) -> dict[str, Any]:
    return {"plan": measure.plan, "measure": measure, "step": step, "departments": _departments(),
            "users": _users(active_only=True, keep=step.assignee if step else None)}


def _step_form(step: Step) -> dict[str, Any]:
    return {
        "title": step.title, "owner_department": str(step.owner_department_id),
        "assignee": str(step.assignee_id or ""), "start_date": step.start_date.isoformat(),
        "due_date": step.due_date.isoformat(),
    }


@bp.route("/measures/<int:measure_id>/steps/new", methods=["GET", "POST"])
def step_new(measure_id: int):
    measure = _measure(measure_id)
    context = _step_context(measure, None)
    if request.method == "GET":
        defaults = {"owner_department": str(measure.owner_department_id),
                    "start_date": measure.period_start.isoformat()}
        return render_template("admin/step.html", form=defaults, **context)
    form = request.form
    try:
        structure.add_step(
            measure, current_user, utcnow(), title=form.get("title", ""),
            owner_department=_form_department(form, "owner_department", required=False),
            assignee=_form_user(form, "assignee"),
            start_date=_form_date(form, "start_date", "วันเริ่ม"), due_date=_form_date(form, "due_date", "วันครบกำหนด"),
        )
    except ServiceError as exc:
        return _refused("admin/step.html", exc, **context)
    return _saved("เพิ่มขั้นตอนแล้ว (step added)", "admin.measure", measure_id=measure.id)


@bp.route("/steps/<int:step_id>", methods=["GET", "POST"])
def step(step_id: int):
    step = _step(step_id)
    measure = step.measure
    context = _step_context(measure, step)
    if request.method == "POST":
        form = request.form
        try:
            changed = structure.update_step(
                step, current_user, utcnow(), title=form.get("title", ""),
                owner_department=_form_department(form, "owner_department"),
                assignee=_form_user(form, "assignee"),
                start_date=_form_date(form, "start_date", "วันเริ่ม"),
                due_date=_form_date(form, "due_date", "วันครบกำหนด"),
            )
        except ServiceError as exc:
            return _refused("admin/step.html", exc, **context)
        return _saved(_changed_message(changed), "admin.measure", measure_id=measure.id)
    return render_template("admin/step.html", form=_step_form(step), **context)


@bp.route("/steps/<int:step_id>/delete", methods=["POST"])
def step_delete(step_id: int):
    step = _step(step_id)
    measure = step.measure
    number = step.number
    try:
        structure.delete_step(step, current_user, utcnow())
    except ServiceError as exc:
        return _refused("admin/step.html", exc, form=_step_form(step), **_step_context(measure, step))
    return _saved(f"ลบขั้นตอน {number} แล้ว ขั้นตอนถัดไปเลื่อนลำดับขึ้นมา (step deleted)", "admin.measure",
                  measure_id=measure.id)


# -- departments ----------------------------------------------------------------

@bp.route("/departments/new", methods=["GET", "POST"])
def department_new():
    context = {"department": None, "users": _users(active_only=True), "history": []}
    if request.method == "GET":
        return render_template("admin/department.html", form={}, **context)
    form = request.form
    try:
        department_services.create_department(current_user.organization, current_user, utcnow(), name=form.get("name", ""),
                                   email=form.get("email", ""), head=_form_user(form, "head"))
    except ServiceError as exc:
        return _refused("admin/department.html", exc, **context)
    return _saved("เพิ่มหน่วยงานแล้ว (department added)", "admin.index")


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def department(department_id: int):
    department = _department_record(department_id)
    context = {
        "department": department, "users": _users(active_only=True, keep=department.head),
        "history": structure.entity_history(_org_id(), "department", department.id),
    }
    if request.method == "POST":
        form = request.form
        try:
            changed = department_services.edit_department(department, current_user, utcnow(), name=form.get("name", ""),
                                               email=form.get("email", ""), head=_form_user(form, "head"))
        except ServiceError as exc:
            return _refused("admin/department.html", exc, **context)
        return _saved(_changed_message(changed), "admin.department", department_id=department.id)
    form = {"name": department.name, "email": department.email or "", "head": str(department.head_id or "")}
    return render_template("admin/department.html", form=form, **context)


# -- users ----------------------------------------------------------------------

@bp.route("/users")
def users():
    """The organization's users, searched by name, email or position, a page at a time."""
    q = search_arg(request.args)
    page, per_page = page_args(request.args)
    role = (request.args.get("role") or "").strip()
    if role and role not in {r.value for r in ORG_ROLES}:
        raise ServiceError(f"ไม่รู้จักบทบาท {role[:30]!r} (unknown role)")
    query = sa.select(User).where(User.organization_id == _org_id())
    if q:
        query = query.where(sa.or_(*(contains(column, q) for column in (User.display_name, User.email, User.position))))
    if role:
        query = query.where(User.role == Role(role))
    found = paginate(query.order_by(User.active.desc(), User.display_name, User.id), page, per_page,
                     (joinedload(User.department),))
    list_args = {k: v for k, v in {"q": q, "role": role,
                                   "per_page": per_page if per_page != PER_PAGE else None}.items() if v}
    total = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.organization_id == _org_id())) or 0
    return render_template("admin/users.html", users=found, q=q, role=role, list_args=list_args, total=total)


def _user_context(user: User | None) -> dict[str, Any]:
    history = structure.entity_history(_org_id(), "user", user.id) if user is not None else []
    return {"user": user, "departments": _departments(), "history": history, "password_rule": PASSWORD_RULE}


def _user_form(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name, "position": user.position or "", "role": user.role.value,
        "department": str(user.department_id or ""), "active": "on" if user.active else "",
    }


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    context = _user_context(None)
    if request.method == "GET":
        return render_template("admin/user.html", form={"role": Role.owner.value}, **context)
    form = request.form
    try:
        if form.get("password", "") != form.get("password_confirm", ""):
            raise ServiceError("รหัสผ่านทั้งสองช่องไม่ตรงกัน (the passwords differ)")
        user = user_services.add_user(
            current_user.organization, current_user, utcnow(), email=form.get("email", ""),
            display_name=form.get("display_name", ""), password=form.get("password", ""),
            role=form.get("role", ""), department=_form_department(form, "department", required=False),
            position=form.get("position", ""),
        )
    except ServiceError as exc:
        return _refused("admin/user.html", exc, **context)
    return _saved(f"เพิ่มผู้ใช้ {user.email} แล้ว (user created)", "admin.users")


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    user = _user_record(user_id)
    context = _user_context(user)
    if request.method == "POST":
        form = request.form
        try:
            changed = user_services.edit_user(
                user, current_user, utcnow(), display_name=form.get("display_name", ""),
                position=form.get("position", ""), role=form.get("role", ""),
                department=_form_department(form, "department", required=False),
                active=form.get("active") == "on",
            )
        except ServiceError as exc:
            return _refused("admin/user.html", exc, **context)
        return _saved(_changed_message(changed), "admin.user", user_id=user.id)
    return render_template("admin/user.html", form=_user_form(user), **context)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def user_password(user_id: int):
    user = _user_record(user_id)
    form = request.form
    try:
        if form.get("new_password", "") != form.get("new_password_confirm", ""):
            raise ServiceError("รหัสผ่านทั้งสองช่องไม่ตรงกัน (the passwords differ)")
        user_services.reset_password(user, current_user, utcnow(), form.get("new_password", ""))
    except ServiceError as exc:
        return _refused("admin/user.html", exc, form=_user_form(user), **_user_context(user))
    return _saved(f"ตั้งรหัสผ่านใหม่ให้ {user.email} แล้ว แจ้งรหัสผ่านแก่ผู้ใช้โดยตรง (password reset)",
                  "admin.user", user_id=user.id)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def user_active(user_id: int):
    """Deactivate (or reactivate) a user. Users are never deleted: the journal names them."""
    user = _user_record(user_id)
    active = request.form.get("active") == "1"
    try:
        user_services.edit_user(user, current_user, utcnow(), active=active)
    except ServiceError as exc:
        return _refused("admin/user.html", exc, form=_user_form(user), **_user_context(user))
    message = ("เปิดการใช้งานแล้ว (reactivated)" if active
               else "ปิดการใช้งานแล้ว ผู้ใช้นี้เข้าสู่ระบบไม่ได้อีก (deactivated)")
    return _saved(f"{user.display_name}: {message}", "admin.user", user_id=user.id)


# -- plan files -----------------------------------------------------------------

@bp.route("/plans/import", methods=["GET", "POST"])
def import_plan():
    if request.method == "GET":
        return render_template("admin/import.html")
    # The plan-file modules are imported here so this blueprint loads without them.
    from ..plans.importer import import_plan as run_import
    from ..plans.planfile import PlanFileError, load_plan_bytes

    upload = request.files.get("file")
    dry_run = request.form.get("mode") != "import"
    filename = (upload.filename or "") if upload else ""
    if not filename:
        return render_template("admin/import.html", error="โปรดเลือกไฟล์แผน (choose a plan file)"), 400
    data = upload.read()
    try:
        spec = load_plan_bytes(data, filename)
        slug = spec.organization.slug
        if slug != current_user.organization.slug:
            raise PermissionDenied(
                f"ไฟล์นี้เป็นแผนขององค์กร “{slug}” คุณนำเข้าได้เฉพาะแผนขององค์กรตนเอง "
                f"(“{current_user.organization.slug}”); องค์กรใหม่ต้องสร้างด้วยคำสั่ง tracker import-plan "
                f"(this file is for organization “{slug}”; you may import plans of your own organization only)"
            )
        result = run_import(spec, current_user, utcnow())
    except PlanFileError as exc:
        db.session.rollback()
        return render_template("admin/import.html", filename=filename, problems=exc.problems, dry_run=dry_run), 400
    changes = [str(change) for change in result.changes]
    if dry_run:
        # A preview runs the real import and throws it away, so it shows exactly what would happen.
        db.session.rollback()
        return render_template("admin/import.html", filename=filename, changes=changes, dry_run=True,
                               created=result.created)
    plan = result.plan
    db.session.commit()
    flash(
        (f"นำเข้าแผนปีงบประมาณ {plan.fiscal_year} แล้ว (plan imported)" if result.created
         else f"ปรับปรุงแผนปีงบประมาณ {plan.fiscal_year} ตามไฟล์แล้ว (plan updated)"),
        "success",
    )
    return render_template("admin/import.html", filename=filename, changes=changes, dry_run=False,
                           created=result.created, plan=plan)


@bp.route("/plans/<int:plan_id>/export.yaml")
def export_plan(plan_id: int):
    plan = _plan(plan_id)
    from ..plans.exporter import export_plan_yaml

    body = export_plan_yaml(plan)
    name = f"plan-{plan.organization.slug}-{plan.fiscal_year}.yaml"
    return Response(body, mimetype="application/x-yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/plans/template.xlsx")
def plan_template():
    from ..plans.exporter import plan_template_xlsx

    return Response(
        plan_template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="plan-template.xlsx"'},
    )
