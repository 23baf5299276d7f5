"""Importing a plan file on the web: upload → preview → confirm.

The upload is always previewed first: every step with its due date and owner,
marked new, changed or removed against the plan in the database, and each
department name close to an existing one with a choice (map or create). The
previewed bytes wait on the server (`plans.pending`); "นำเข้า" imports those
very bytes with the choices made, without sending the file again. The same
file again says only that nothing changes, and writes nothing.

An organization's admin imports into their own organization; a provincial or
national user chooses an organization of their scope (`access`). Registered on
the admin blueprint, whose guard lets oversight users reach these two pages.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import access
from ..auth.models import User
from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from ..orgs.models import Department, Organization
from ..plans import pending
from ..plans.import_preview import Preview, Similar, build_preview, rename_departments, similar_departments
from ..plans.models import Plan
from ..plans.planfile import MAX_FILE_BYTES, PlanFileError, PlanSpec, Problem, load_plan_bytes
from .import_forms import ConfirmForm, ImportForm, confirm_form
from .views import bp

TEMPLATE = "admin/import.html"


def _upload_form() -> ImportForm:
    form = ImportForm()
    if access.is_oversight(current_user):
        form.organization.set_records(
            access.plan_import_organizations(current_user),
            text=lambda o: f"{o.name} ({o.province})" if o.province else o.name,
            blank=_("— เลือกองค์กร —"),
        )
    else:
        del form.organization
    return form


def _page(form: ImportForm | None = None, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(TEMPLATE, form=form or _upload_form(), **context), status


def _problems(filename: str, problems: list[Problem], form: ImportForm | None = None) -> tuple[str, int]:
    db.session.rollback()
    return _page(form, 400, filename=filename, problems=problems)


def _target(form: ImportForm) -> Organization | None:
    if access.is_oversight(current_user):
        org = form.organization.record
        if org is None and not form.organization.errors:
            form.organization.errors = [_("โปรดเลือกองค์กรที่จะนำเข้าแผน")]
        return org
    return current_user.organization


def _wrong_organization(spec: PlanSpec, org: Organization) -> Problem:
    if access.is_oversight(current_user):
        message = _(
            "ไฟล์นี้เป็นแผนของรหัสองค์กร “%(slug)s” แต่เลือกนำเข้าให้ %(org)s (รหัส “%(org_slug)s”) ให้เลือกองค์กรให้ตรงกับไฟล์ หรือแก้รหัสองค์กรในไฟล์",
            slug=spec.organization.slug,
            org=org.name,
            org_slug=org.slug,
        )
    else:
        message = _(
            "ไฟล์นี้เป็นแผนของรหัสองค์กร “%(slug)s” คุณนำเข้าได้เฉพาะแผนของ %(org)s (รหัส “%(org_slug)s”) ให้แก้รหัสองค์กรในไฟล์ หรือขอให้สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดนำเข้าให้",
            slug=spec.organization.slug,
            org=org.name,
            org_slug=org.slug,
        )
    return Problem(spec.organization_place, message)


def _departments(org: Organization) -> list[Department]:
    return list(db.session.scalars(sa.select(Department).where(Department.organization_id == org.id)))


def _dry_run(
    spec: PlanSpec, org: Organization, similar: list[Similar], mapping: dict[str, str]
) -> tuple[Preview, bool]:
    """The preview, and whether importing would change anything: the real import, thrown away."""
    from ..plans.importer import import_plan as run_import

    plan = db.session.scalar(
        sa.select(Plan).where(Plan.organization_id == org.id, Plan.fiscal_year == spec.fiscal_year)
    )
    users = {u.email: u for u in db.session.scalars(sa.select(User).where(User.organization_id == org.id))}
    preview = build_preview(spec, plan, users, mapping)
    rename_departments(spec, mapping)
    result = run_import(spec, current_user, utcnow())
    changed = result.created or bool(result.changes)
    db.session.rollback()
    return preview, changed


@bp.route("/plans/import", methods=["GET", "POST"])
def import_plan():
    form = _upload_form()
    if not form.is_submitted():
        chosen = request.args.get("organization", "")
        if form.organization is not None and chosen.isdigit():  # from an organization's page
            form.organization.data = int(chosen)
        return _page(form)
    upload = form.file.data
    filename = (getattr(upload, "filename", None) or "") if upload else ""
    valid = form.validate()
    org = _target(form)
    if not filename:
        form.file.errors = [_("โปรดเลือกไฟล์แผน")]
    if not valid or org is None or not filename:
        return _page(form, 400)
    data = upload.read(MAX_FILE_BYTES + 1)
    try:
        spec = load_plan_bytes(data, filename)
        if spec.organization.slug != org.slug:
            raise PlanFileError([_wrong_organization(spec, org)])
        similar = similar_departments(spec, _departments(org))
        preview, changed = _dry_run(spec, org, similar, {s.name: s.existing for s in similar})
    except PlanFileError as exc:
        return _problems(filename, exc.problems, form)
    context: dict[str, Any] = {"filename": filename, "preview": preview, "org": org, "spec": spec, "similar": similar}
    if not changed:
        return _page(form, unchanged=True, **context)
    token = pending.keep(data, filename, user_id=current_user.id, organization_id=org.id, now=utcnow())
    db.session.commit()
    confirm = confirm_form(similar, data={"token": token, "organization": str(org.id)})
    return _page(form, confirm=confirm, **context)


@bp.post("/plans/import/confirm")
def import_confirm():
    from ..plans.importer import import_plan as run_import

    base = ConfirmForm()
    org_id = int(base.organization.data) if (base.organization.data or "").isdigit() else 0
    org = db.session.get(Organization, org_id) if 0 < org_id <= 2**31 - 1 else None
    if not base.validate() or org is None or not access.may_import_plan_for(current_user, org.id):
        return _refused(_("ยืนยันการนำเข้าไม่ได้ โปรดอัปโหลดไฟล์แผนและตรวจสอบอีกครั้ง"))
    try:
        kept = pending.take(base.token.data or "", user_id=current_user.id, organization_id=org.id, now=utcnow())
    except ServiceError as exc:
        return _refused(str(exc))
    try:
        spec = load_plan_bytes(kept.data, kept.filename)
        similar = similar_departments(spec, _departments(org))
        form = confirm_form(similar)
        if not form.validate():
            return _refused(_("เลือกการจับคู่หน่วยงานไม่ถูกต้อง โปรดตรวจสอบอีกครั้ง"))
        rename_departments(spec, form.mapping(similar))
        result = run_import(spec, current_user, utcnow())
    except PlanFileError as exc:
        return _problems(kept.filename, exc.problems)
    if not result.created and not result.changes:
        db.session.rollback()
        flash(_("ไม่มีการเปลี่ยนแปลง"), "info")
        return redirect(url_for("admin.import_plan"))
    plan = result.plan
    db.session.commit()
    if result.created:
        message = _("นำเข้าแผนปีงบประมาณ %(year)s ของ %(org)s แล้ว", year=plan.fiscal_year, org=org.name)
    else:
        message = _(
            "ปรับปรุงแผนปีงบประมาณ %(year)s ของ %(org)s ตามไฟล์แล้ว %(n)s รายการ",
            year=plan.fiscal_year,
            org=org.name,
            n=len(result.changes),
        )
    flash(message, "success")
    if access.is_org_admin(current_user, org.id):
        return redirect(url_for("admin.plan", plan_id=plan.id))
    return redirect(url_for("plans.dashboard", plan_id=plan.id))


def _refused(message: str) -> tuple[str, int]:
    db.session.rollback()
    return _page(None, 400, refused=message)
