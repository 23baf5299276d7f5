"""Administration pages of the organization's departments and user accounts.

Registered on the admin blueprint (and its guard) of `views`; same rules: ids are
resolved inside the admin's organization, a refused change re-renders with 400.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from .. import i18n, versions
from ..auth import services as user_services
from ..auth.models import Role, User
from ..auth.services import PASSWORD_RULE
from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from ..orgs import services as department_services
from ..orgs.models import Department
from ..plans import structure
from ..plans.listing import PER_PAGE, contains, paginate
from .forms import (
    DepartmentForm,
    PasswordResetForm,
    UserActiveForm,
    UserEditForm,
    UserListForm,
    UserNewForm,
)
from .views import (
    _changed_message,
    _conflict,
    _department_choices,
    _department_record,
    _org_id,
    _refused,
    _saved,
    _user_choices,
    _user_record,
    bp,
)


def _department_form(department: Department | None, data: dict[str, Any] | None = None) -> DepartmentForm:
    form = DepartmentForm() if data is None else DepartmentForm(formdata=None, data=data)
    _user_choices(form.head, keep=department.head if department else None)
    return form


@bp.route("/departments/new", methods=["GET", "POST"])
def department_new():
    context: dict[str, Any] = {"department": None, "history": []}
    form = _department_form(None)
    if request.method == "GET":
        return render_template("admin/department.html", form=form, **context)
    if not form.validate():
        return _refused("admin/department.html", form, **context)
    try:
        department_services.create_department(
            current_user.organization,
            current_user,
            utcnow(),
            name=form.name.data,
            email=form.email.data,
            head=form.head.record,
        )
    except ServiceError as exc:
        return _refused("admin/department.html", form, exc, **context)
    return _saved(_("เพิ่มหน่วยงานแล้ว"), "admin.index")


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def department(department_id: int):
    department = _department_record(department_id)
    context = {"department": department, "history": structure.entity_history(_org_id(), "department", department.id)}
    if request.method == "GET":
        form = _department_form(
            department, {"name": department.name, "email": department.email or "", "head": department.head_id}
        )
        return render_template("admin/department.html", form=form, **context)
    form = _department_form(department)
    if not form.validate():
        return _refused("admin/department.html", form, **context)
    try:
        changed = department_services.edit_department(
            department, current_user, utcnow(), name=form.name.data, email=form.email.data, head=form.head.record
        )
    except ServiceError as exc:
        return _refused("admin/department.html", form, exc, **context)
    return _saved(_changed_message(changed), "admin.department", department_id=department.id)


@bp.route("/users")
def users():
    """The organization's users, searched by name, email or position, a page at a time."""
    form = UserListForm.read()
    q, role, page, per_page = form.q.data or "", form.role.data or "", form.page_number, form.rows_per_page
    query = sa.select(User).where(User.organization_id == _org_id())
    if q:
        query = query.where(sa.or_(*(contains(column, q) for column in (User.display_name, User.email, User.position))))
    if role:
        query = query.where(User.role == Role(role))
    found = paginate(
        query.order_by(User.active.desc(), User.display_name, User.id), page, per_page, (joinedload(User.department),)
    )
    list_args = {
        k: v for k, v in {"q": q, "role": role, "per_page": per_page if per_page != PER_PAGE else None}.items() if v
    }
    total = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.organization_id == _org_id())) or 0
    return render_template("admin/users.html", users=found, q=q, role=role, list_args=list_args, total=total)


def _user_context(user: User | None) -> dict[str, Any]:
    history = structure.entity_history(_org_id(), "user", user.id) if user is not None else []
    return {
        "user": user,
        "history": history,
        "password_rule": PASSWORD_RULE,
        "password_form": PasswordResetForm(formdata=None),
        "active_form": UserActiveForm(formdata=None),
    }


def _user_form(
    form_class: type[UserNewForm | UserEditForm], data: dict[str, Any] | None = None
) -> UserNewForm | UserEditForm:
    form = form_class() if data is None else form_class(formdata=None, data=data)
    _department_choices(form.department)
    form.department.choices[0] = SelectChoice("", i18n._("— ไม่สังกัด —"))
    return form


def _stored_user(user: User) -> UserEditForm:
    return _user_form(
        UserEditForm,
        {
            "display_name": user.display_name,
            "position": user.position or "",
            "role": user.role.value,
            "department": user.department_id,
            "active": user.active,
            "version": user.version,
        },
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    context = _user_context(None)
    if request.method == "GET":
        return render_template("admin/user.html", form=_user_form(UserNewForm, {"role": Role.owner.value}), **context)
    form = _user_form(UserNewForm)
    if not form.validate():
        return _refused("admin/user.html", form, **context)
    try:
        user = user_services.add_user(
            current_user.organization,
            current_user,
            utcnow(),
            email=form.email.data,
            display_name=form.display_name.data,
            password=form.password.data,
            role=form.role.data,
            department=form.department.record,
            position=form.position.data,
        )
    except ServiceError as exc:
        return _refused("admin/user.html", form, exc, **context)
    return _saved(_("เพิ่มผู้ใช้ %(user_email)s แล้ว", user_email=user.email), "admin.users")


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    user = _user_record(user_id)
    context = _user_context(user)
    if request.method == "GET":
        return render_template("admin/user.html", form=_stored_user(user), **context)
    form = _user_form(UserEditForm)
    if not form.validate():
        return _refused("admin/user.html", form, **context)
    try:
        changed = user_services.edit_user(
            user,
            current_user,
            utcnow(),
            display_name=form.display_name.data,
            position=form.position.data,
            role=form.role.data,
            department=form.department.record,
            active=form.active.data,
            version=form.version.data,
        )
    except versions.Stale as stale:
        return _conflict("admin/user.html", form, stale, **context)
    except ServiceError as exc:
        return _refused("admin/user.html", form, exc, **context)
    return _saved(_changed_message(changed), "admin.user", user_id=user.id)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def user_password(user_id: int):
    user = _user_record(user_id)
    context = _user_context(user)
    form = context["password_form"] = PasswordResetForm()
    if form.validate():
        try:
            user_services.reset_password(user, current_user, utcnow(), form.new_password.data)
        except ServiceError as exc:
            form.refuse(exc)
        else:
            return _saved(
                _("ตั้งรหัสผ่านใหม่ให้ %(user_email)s แล้ว แจ้งรหัสผ่านแก่ผู้ใช้โดยตรง", user_email=user.email),
                "admin.user",
                user_id=user.id,
            )
    return _refused("admin/user.html", _stored_user(user), **context)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def user_active(user_id: int):
    """Deactivate (or reactivate) a user. Users are never deleted: the journal names them."""
    user = _user_record(user_id)
    context = _user_context(user)
    form = context["active_form"] = UserActiveForm()
    active = form.active.data == "1"
    try:
        user_services.edit_user(user, current_user, utcnow(), active=active)
    except ServiceError as exc:
        form.refuse(exc)
        return _refused("admin/user.html", _stored_user(user), **context)
    message = _("เปิดการใช้งานแล้ว") if active else _("ปิดการใช้งานแล้ว ผู้ใช้นี้เข้าสู่ระบบไม่ได้อีก")
    return _saved(f"{user.display_name}: {message}", "admin.user", user_id=user.id)
