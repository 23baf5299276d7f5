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
from flask import current_app
from flask.cli import AppGroup

from ..auth.models import ROLE_LABELS, Role
from ..clock import utcnow
from ..db import SchemaOutdated, db, prepare_database
from ..errors import ServiceError
from ..orgs.models import Department, Organization
from .accounts import create_account, create_organization, list_organizations

org_group = AppGroup("org", help="องค์กรในระบบ (organizations of this instance).")
user_group = AppGroup("user", help="ผู้ใช้ที่สร้างโดยผู้ดูแลเครื่อง (users made by the operator).")


def _prepare_database() -> None:
    try:
        # _get_current_object is LocalProxy's; the stubs type current_app as Flask itself.
        prepare_database(current_app._get_current_object())  # type: ignore[attr-defined]
    except SchemaOutdated as exc:
        raise click.ClickException(str(exc)) from None


def _fail(message: str) -> NoReturn:
    db.session.rollback()
    click.echo(message, err=True)
    raise SystemExit(1)


@org_group.command("create")
@click.option("--slug", required=True, help="รหัสองค์กร a-z 0-9 - (the organization's slug), e.g. banpet")
@click.option("--name", required=True, help="ชื่อเต็ม (full name), e.g. เทศบาลตำบลบ้านเป็ด")
@click.option(
    "--province", required=True, help="จังหวัด (province), e.g. ขอนแก่น; a provincial office sees every organization of it"
)
def org_create(slug: str, name: str, province: str) -> None:
    """Create an organization: a local government, or a provincial or national office."""
    _prepare_database()
    try:
        org = create_organization(slug=slug, name=name, province=province, now=utcnow())
        db.session.commit()
    except ServiceError as exc:
        _fail(str(exc))
    where = f" จังหวัด{org.province}" if org.province else ""
    click.echo(f"สร้างองค์กร {org.name} ({org.slug}){where} แล้ว (organization created, id {org.id})")


@org_group.command("list")
@click.option("--province", default=None, help="เฉพาะจังหวัดนี้ (only this province)")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='พิมพ์ JSON [{"id", "slug", "name", "province", "users", "plans", "office"}] (JSON for scripts)',
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
        click.echo("ยังไม่มีองค์กร (no organizations)")
        return
    for r in rows:
        o = r.organization
        office = " · สำนักงาน (office)" if r.office else ""
        click.echo(f"{o.slug}\t{o.name}\t{o.province or '-'}\tผู้ใช้ {r.users}\tแผน {r.plans}{office}")


@user_group.command("create")
@click.option("--org", "slug", required=True, help="รหัสองค์กร (organization slug)")
@click.option("--email", required=True, help="อีเมล ใช้เข้าสู่ระบบ (the login)")
@click.option("--name", "display_name", required=True, help="ชื่อที่แสดง (display name)")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="; ".join(f"{r.value}: {ROLE_LABELS[r]}" for r in Role),
)
@click.option("--department", default=None, help="ชื่อหน่วยงานในองค์กร (department name; owners need one)")
@click.option("--position", default="", help="ตำแหน่ง (position)")
@click.option("--password", default=None, help="รหัสผ่าน; ถ้าไม่ระบุจะถามโดยไม่แสดงบนจอ (asked for, hidden, when not given)")
def user_create(
    slug: str, email: str, display_name: str, role: str, department: str | None, position: str, password: str | None
) -> None:
    """Create a user of any role in an organization (the only way to make provincial and national users)."""
    _prepare_database()
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug.strip().lower()))
    if org is None:
        _fail(f"ไม่พบองค์กรรหัส “{slug}” (no organization with slug '{slug}'): tracker org list")
    dept = None
    if department:
        dept = db.session.scalar(
            sa.select(Department).where(
                Department.organization_id == org.id, Department.name == " ".join(department.split())
            )
        )
        if dept is None:
            names = ", ".join(d.name for d in org.departments) or "-"
            _fail(f"{org.name} ไม่มีหน่วยงาน “{department}” มี: {names} (no such department)")
    if password is None:
        password = click.prompt("รหัสผ่าน (password)", hide_input=True, confirmation_prompt=True)
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
    click.echo(f"สร้างผู้ใช้ {user.email} ({ROLE_LABELS[user.role]}) ใน {org.name} แล้ว (user created)")


province_commands = [org_group, user_group]
