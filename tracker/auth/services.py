"""Users: creation, password policy, and the edits an organization's admin makes
(journaled; services flush, never commit)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from .. import access, versions
from ..db import db
from ..errors import ServiceError, clean_text
from ..journal import Change, apply_changes, changed, record
from ..orgs.models import Department, Organization
from .models import ORG_ROLES, Role, User

PASSWORD_RULE = "อย่างน้อย 8 ตัวอักษร มีทั้งตัวอักษรและตัวเลข (at least 8 characters with letters and digits)"


def check_password_policy(password: str) -> str | None:
    """The reason a password is refused, or None."""
    if len(password) < 8 or not any(c.isdigit() for c in password) or not any(c.isalpha() for c in password):
        return f"รหัสผ่านต้องมี{PASSWORD_RULE}"
    return None


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or " " in email or email.startswith("@") or email.endswith("@"):
        raise ServiceError(f"อีเมลไม่ถูกต้อง: {email!r} (invalid email address)")
    return email


def create_user(
    organization: Organization,
    email: str,
    display_name: str,
    password: str,
    role: Role | str,
    department: Department | None = None,
    position: str = "",
) -> User:
    email = normalize_email(email)
    try:
        role = Role(role)
    except ValueError:
        raise ServiceError(f"บทบาทไม่ถูกต้อง: {role!r} (role must be admin, manager, owner or viewer)") from None
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ServiceError(f"มีผู้ใช้อีเมล {email} อยู่แล้ว (a user with this email exists)")
    if not (display_name or "").strip():
        raise ServiceError("โปรดระบุชื่อที่แสดง (the display name is empty)")
    if problem := check_password_policy(password):
        raise ServiceError(problem)
    if role is Role.owner and department is None:
        raise ServiceError("เจ้าหน้าที่ผู้รับผิดชอบต้องสังกัดหน่วยงาน (an owner needs a department)")
    if department is not None and department.organization_id != organization.id:
        raise ServiceError("หน่วยงานไม่อยู่ในองค์กรนี้ (department of another organization)")
    user = User(
        organization=organization,
        email=email,
        display_name=display_name.strip(),
        position=(position or "").strip(),
        role=role,
        department=department,
        active=True,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


# -- users ----------------------------------------------------------------------


def _role(role: Role | str) -> Role:
    """One of the roles an organization's admin may give. Provincial and national
    users read other organizations: only an operator makes them (`tracker user create`)."""
    try:
        value = Role(role)
    except ValueError:
        value = None
    if value not in ORG_ROLES:
        raise ServiceError(f"บทบาทไม่ถูกต้อง: {role!r} (role must be admin, manager, owner or viewer)")
    return value


def add_user(
    organization: Organization,
    actor: User | None,
    now: datetime,
    *,
    email: str,
    display_name: str,
    password: str,
    role: Role | str,
    department: Department | None = None,
    position: str = "",
) -> User:
    """Create a user (auth.services.create_user checks email, role and password) and journal it."""
    role = _role(role)
    user = create_user(organization, email, display_name, password, role, department=department, position=position)
    journal_new_user(user, actor, now, f" · {department.name}" if department else "")
    return user


def journal_new_user(user: User, actor: User | None, now: datetime, note_tail: str) -> None:
    """Journal a created account: its email, and name · role followed by `note_tail`."""
    record(
        organization_id=user.organization_id,
        entity="user",
        entity_id=user.id,
        action="create",
        actor=actor,
        field="email",
        new=user.email,
        note=f"{user.display_name} · {user.role.value}{note_tail}",
        at=now,
    )
    db.session.flush()


def _other_active_admins(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(User.id)).where(
                User.organization_id == user.organization_id,
                User.role == Role.admin,
                User.active.is_(True),
                User.id != user.id,
            )
        )
        or 0
    )


def edit_user(
    user: User,
    actor: User | None,
    now: datetime,
    *,
    display_name: str | None = None,
    position: str | None = None,
    role: Role | str | None = None,
    department: Department | None | Literal[False] = False,
    active: bool | None = None,
    version: int | None = None,
) -> list[str]:
    """Edit a user; `department=None` clears it, `False` leaves it; an edit made
    from an older `version` is refused (versions.Stale).

    An organization never loses its last active admin: nobody could manage it
    from the web any more."""
    access.require_manageable_user(user)
    versions.check(user, version)
    changes: list[Change] = []
    if display_name is not None:
        new_name = clean_text(display_name, "ชื่อที่แสดง", "display name", limit=200)
        changed(changes, "display_name", user.display_name, new_name)
    if position is not None:
        new_position = clean_text(position, "ตำแหน่ง", "position", required=False, limit=200)
        changed(changes, "position", user.position or "", new_position)
    new_role = _role(role) if role is not None else user.role
    changed(changes, "role", user.role, new_role)
    new_department = user.department if department is False else department
    if department is not False:
        if new_department is not None and new_department.organization_id != user.organization_id:
            raise ServiceError("หน่วยงานไม่อยู่ในองค์กรนี้ (department of another organization)")
        if (new_department.id if new_department else None) != user.department_id:
            changes.append(("department", user.department, new_department))
    if new_role is Role.owner and new_department is None:
        raise ServiceError("เจ้าหน้าที่ผู้รับผิดชอบต้องสังกัดหน่วยงาน (an owner needs a department)")
    new_active = user.active if active is None else bool(active)
    changed(changes, "active", user.active, new_active)
    losing_admin = user.role is Role.admin and user.active and (new_role is not Role.admin or not new_active)
    if losing_admin and _other_active_admins(user) == 0:
        who = "ตนเอง" if actor is not None and actor.id == user.id else user.display_name
        raise ServiceError(
            f"เปลี่ยนบทบาทหรือปิดการใช้งาน{who}ไม่ได้ เพราะเป็นผู้ดูแลระบบคนสุดท้ายที่ใช้งานอยู่ขององค์กร "
            "โปรดแต่งตั้งผู้ดูแลระบบคนอื่นก่อน "
            "(this is the organization's last active admin: appoint another admin first)"
        )
    return apply_changes(user, changes, organization_id=user.organization_id, entity="user", actor=actor, at=now)


def reset_password(user: User, actor: User | None, now: datetime, password: str) -> None:
    """Set a new password; the journal says that it changed, never what to."""
    access.require_manageable_user(user)
    set_password(user, actor, now, password)


def set_password(user: User, actor: User | None, now: datetime, password: str, note: str = "") -> None:
    """The password policy, the new password, and a journal entry that says it changed (never
    what to). Whether `actor` may do this is the caller's business: an admin may reset only
    the accounts `access.require_manageable_user` allows, the operator's command anyone."""
    if problem := check_password_policy(password or ""):
        raise ServiceError(problem)
    user.set_password(password)
    record(
        organization_id=user.organization_id,
        entity="user",
        entity_id=user.id,
        action="password_reset",
        actor=actor,
        field="password",
        note=note,
        at=now,
    )
    db.session.flush()
