"""Organizations and their first accounts, as the national office sets them up
(the `province` CLI commands). Services flush and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..auth.models import ORG_ROLES, OVERSIGHT_ROLES, Role, User
from ..auth.services import create_user, journal_new_user
from ..db import db
from ..errors import ServiceError
from ..journal import record
from ..orgs.models import Department, Organization
from ..plans.models import Plan

SLUG_RE = re.compile(r"[a-z0-9-]{2,64}")


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def create_organization(*, slug: str, name: str, province: str, now: datetime) -> Organization:
    """A new organization (a local government, or a provincial or national office). Flushes."""
    slug = (slug or "").strip().lower()
    if not SLUG_RE.fullmatch(slug):
        raise ServiceError(
            f"รหัสองค์กร “{slug}” ต้องเป็นอักษรอังกฤษตัวเล็ก a-z ตัวเลข หรือ - ยาว 2–64 ตัว เช่น banpet "
            "(the slug must be 2-64 characters of a-z, 0-9 and -)"
        )
    name = _collapse(name)
    if not name or len(name) > 200:
        raise ServiceError("โปรดระบุชื่อองค์กร ไม่เกิน 200 ตัวอักษร (the name is required, at most 200 characters)")
    province = _collapse(province)
    if len(province) > 100:
        raise ServiceError("ชื่อจังหวัดยาวเกิน 100 ตัวอักษร (the province is longer than 100 characters)")
    if db.session.scalar(sa.select(Organization.id).where(Organization.slug == slug)) is not None:
        raise ServiceError(f"มีองค์กรรหัส “{slug}” อยู่แล้ว (an organization with this slug exists)")
    org = Organization(slug=slug, name=name, province=province)
    db.session.add(org)
    db.session.flush()
    record(
        organization_id=org.id,
        entity="organization",
        entity_id=org.id,
        action="create",
        actor=None,
        note="tracker org create",
        at=now,
    )
    db.session.flush()
    return org


def create_account(
    organization: Organization,
    *,
    email: str,
    display_name: str,
    role: Role | str,
    password: str,
    now: datetime,
    department: Department | None = None,
    position: str = "",
) -> User:
    """A user of any role, made by the operator. Offices and local governments stay
    apart: oversight users only in an organization without plans or working users,
    working users never in an office. Flushes."""
    try:
        role = Role(role)
    except ValueError:
        raise ServiceError(f"บทบาทไม่ถูกต้อง: {role!r} (role must be one of {', '.join(r.value for r in Role)})") from None
    members = sa.select(User.id).where(User.organization_id == organization.id)
    if role in OVERSIGHT_ROLES:
        if department is not None:
            raise ServiceError("ผู้ใช้ระดับจังหวัดหรือส่วนกลางไม่สังกัดกอง (provincial and national users have no department)")
        if role is Role.provincial and not organization.province.strip():
            raise ServiceError(
                f"องค์กร “{organization.slug}” ไม่ได้ระบุจังหวัด ผู้ใช้ระดับจังหวัดต้องอยู่ในสำนักงานที่มีจังหวัด "
                "(a provincial user belongs to an office with a province)"
            )
        has_plans = db.session.scalar(sa.select(Plan.id).where(Plan.organization_id == organization.id).limit(1))
        has_members = db.session.scalar(members.where(User.role.in_(list(ORG_ROLES))).limit(1))
        if has_plans is not None or has_members is not None:
            raise ServiceError(
                f"“{organization.slug}” เป็นองค์กรปกครองส่วนท้องถิ่นที่มีแผนหรือผู้ใช้แล้ว ผู้ใช้ระดับจังหวัดหรือส่วนกลาง"
                "ต้องอยู่ในองค์กรของสำนักงานเอง (oversight users belong to an office organization of their own, "
                "not to a local government)"
            )
    elif db.session.scalar(members.where(User.role.in_(sorted(OVERSIGHT_ROLES))).limit(1)) is not None:
        raise ServiceError(
            f"“{organization.slug}” เป็นสำนักงานระดับจังหวัดหรือส่วนกลาง เพิ่มได้เฉพาะผู้ใช้ระดับจังหวัดหรือส่วนกลาง "
            "(this organization is an oversight office: only provincial or national users)"
        )
    user = create_user(organization, email, display_name, password, role, department=department, position=position)
    journal_new_user(user, None, now, " · tracker user create")
    return user


@dataclass(frozen=True)
class OrganizationListing:
    organization: Organization
    users: int
    plans: int
    office: bool


def list_organizations(province: str | None = None) -> list[OrganizationListing]:
    """Every organization with its numbers of users and plans (three queries)."""
    where = [sa.func.trim(Organization.province) == _collapse(province)] if province else []
    orgs = list(
        db.session.scalars(sa.select(Organization).where(*where).order_by(Organization.province, Organization.slug))
    )
    users = dict(
        db.session.execute(
            sa.select(User.organization_id, sa.func.count()).where(User.active.is_(True)).group_by(User.organization_id)
        ).all()
    )
    plans = dict(
        db.session.execute(sa.select(Plan.organization_id, sa.func.count()).group_by(Plan.organization_id)).all()
    )
    offices = set(
        db.session.scalars(sa.select(User.organization_id).where(User.role.in_(sorted(OVERSIGHT_ROLES))).distinct())
    )
    return [OrganizationListing(o, users.get(o.id, 0), plans.get(o.id, 0), o.id in offices) for o in orgs]
