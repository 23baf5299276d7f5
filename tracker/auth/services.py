"""Users: creation, password policy."""
from __future__ import annotations

import sqlalchemy as sa

from ..db import db
from ..errors import ServiceError
from ..orgs.models import Department, Organization
from .models import Role, User

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
