"""The operator's commands for an instance of many organizations:

    tracker org create --slug khonkaen-pao --name "อบจ.ขอนแก่น" --province ขอนแก่น
    tracker org list [--province ขอนแก่น] [--json]
    tracker user create --org SLUG --email E --name N --role ROLE [--department D] [--password P]

The operator (whoever runs the command line on the server) is the only
super-administrator: the web has none. Organization admins then manage their
own users and plans in the web. Provincial and national users — read-only
across organizations — are made only here. Problems go to stderr with exit
code 1 and nothing is written.
"""

from __future__ import annotations

import json
from typing import NoReturn

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel.speaklater import LazyString

from ..auth.models import ROLE_LABELS, Role
from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..i18n import _, _l, option
from ..orgs.models import Department, Organization
from ..plans.cli import _prepare_database
from .accounts import create_account, create_organization, list_organizations

org_group = AppGroup("org", help=_l("องค์กรในระบบ"))
user_group = AppGroup("user", help=_l("ผู้ใช้ที่สร้างโดยผู้ดูแลเครื่อง"))


def _fail(message: str) -> NoReturn:
    db.session.rollback()
    click.echo(message, err=True)
    raise SystemExit(1)


@org_group.command("create", help=_l("สร้างองค์กร: องค์กรปกครองส่วนท้องถิ่น หรือสำนักงานระดับจังหวัดหรือส่วนกลาง"))
@option("--slug", required=True, help=_l("รหัสองค์กร a-z 0-9 - เช่น banpet"))
@option("--name", required=True, help=_l("ชื่อเต็ม เช่น เทศบาลตำบลบ้านเป็ด"))
@option("--province", required=True, help=_l("จังหวัด เช่น ขอนแก่น สำนักงานจังหวัดเห็นทุกองค์กรของจังหวัดนั้น"))
def org_create(slug: str, name: str, province: str) -> None:
    """Create an organization: a local government, or a provincial or national office."""
    _prepare_database()
    try:
        org = create_organization(slug=slug, name=name, province=province, now=utcnow())
        db.session.commit()
    except ServiceError as exc:
        _fail(str(exc))
    if org.province:
        done = _(
            "สร้างองค์กร %(name)s (%(slug)s) จังหวัด%(province)s แล้ว (#%(id)s)",
            name=org.name,
            slug=org.slug,
            province=org.province,
            id=org.id,
        )
    else:
        done = _("สร้างองค์กร %(name)s (%(slug)s) แล้ว (#%(id)s)", name=org.name, slug=org.slug, id=org.id)
    click.echo(done)


@org_group.command("list", help=_l("ทุกองค์กร พร้อมจำนวนผู้ใช้ที่ใช้งานอยู่และจำนวนแผน"))
@option("--province", default=None, help=_l("เฉพาะจังหวัดนี้"))
@option(
    "--json",
    "as_json",
    is_flag=True,
    help=_l('พิมพ์ JSON [{"id", "slug", "name", "province", "users", "plans", "office"}] สำหรับสคริปต์'),
)
def org_list(province: str | None, as_json: bool) -> None:
    """Every organization with its number of active users and of plans."""
    _prepare_database()
    rows = list_organizations(province)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.organization.id,
                        "slug": r.organization.slug,
                        "name": r.organization.name,
                        "province": r.organization.province,
                        "users": r.users,
                        "plans": r.plans,
                        "office": r.office,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not rows:
        click.echo(_("ยังไม่มีองค์กร"))
        return
    for r in rows:
        o = r.organization
        office = _(" · สำนักงาน") if r.office else ""
        counts = _("ผู้ใช้ %(users)s\tแผน %(plans)s", users=r.users, plans=r.plans)
        click.echo(f"{o.slug}\t{o.name}\t{o.province or '-'}\t{counts}{office}")


def _roles_help() -> str:
    return "; ".join(f"{r.value}: {ROLE_LABELS[r]}" for r in Role)


@user_group.command(
    "create",
    help=_l("สร้างผู้ใช้ทุกบทบาทในองค์กร (ผู้ใช้ระดับจังหวัดและส่วนกลางสร้างได้ที่นี่เท่านั้น)"),
)
@option("--org", "slug", required=True, help=_l("รหัสองค์กร"))
@option("--email", required=True, help=_l("อีเมล ใช้เข้าสู่ระบบ"))
@option("--name", "display_name", required=True, help=_l("ชื่อที่แสดง"))
@option("--role", required=True, type=click.Choice([r.value for r in Role]), help=LazyString(_roles_help))
@option("--department", default=None, help=_l("ชื่อหน่วยงานในองค์กร ผู้รับผิดชอบต้องมีหน่วยงาน"))
@option("--position", default="", help=_l("ตำแหน่ง"))
@option("--password", default=None, help=_l("รหัสผ่าน ถ้าไม่ระบุจะถามโดยไม่แสดงบนจอ"))
def user_create(
    slug: str, email: str, display_name: str, role: str, department: str | None, position: str, password: str | None
) -> None:
    """Create a user of any role in an organization (the only way to make provincial and national users)."""
    _prepare_database()
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug.strip().lower()))
    if org is None:
        _fail(_("ไม่พบองค์กรรหัส “%(slug)s” ดูรายการด้วย tracker org list", slug=slug))
    dept = None
    if department:
        dept = db.session.scalar(
            sa.select(Department).where(
                Department.organization_id == org.id, Department.name == " ".join(department.split())
            )
        )
        if dept is None:
            names = ", ".join(d.name for d in org.departments) or "-"
            _fail(
                _("%(org)s ไม่มีหน่วยงาน “%(department)s” มี: %(names)s", org=org.name, department=department, names=names)
            )
    if password is None:
        password = click.prompt(_("รหัสผ่าน"), hide_input=True, confirmation_prompt=True)
    try:
        user = create_account(
            org,
            email=email,
            display_name=display_name,
            role=role,
            password=password,
            now=utcnow(),
            department=dept,
            position=position,
        )
        db.session.commit()
    except ServiceError as exc:
        _fail(str(exc))
    click.echo(
        _(
            "สร้างผู้ใช้ %(email)s (%(role)s) ใน %(org)s แล้ว",
            email=user.email,
            role=ROLE_LABELS[user.role],
            org=org.name,
        )
    )


province_commands = [org_group, user_group]
