"""People who log in."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utcnow
from ..db import Model, UTCDateTime
from ..i18n import _l
from ..orgs.models import Department, Organization


def password_hash_method() -> str:
    """The configured werkzeug hash method (scrypt unless configured otherwise)."""
    if has_app_context():
        return current_app.config.get("TRACKER_PASSWORD_HASH_METHOD") or "scrypt"
    return "scrypt"


class Role(str, enum.Enum):
    admin = "admin"  #: does everything in its organization
    manager = "manager"  #: reads everything, receives digests, acknowledges reports
    owner = "owner"  #: changes the steps of its own department
    viewer = "viewer"  #: reads
    #: A provincial office's user: reads every organization of its office's province, changes nothing
    provincial = "provincial"
    #: The national department's user: reads every organization, changes nothing
    national = "national"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def oversees(self) -> bool:
        return self in OVERSIGHT_ROLES


ROLE_LABELS = {
    Role.admin: _l("ผู้ดูแลระบบ"),
    Role.manager: _l("ผู้บริหาร"),
    Role.owner: _l("เจ้าหน้าที่ผู้รับผิดชอบ"),
    Role.viewer: _l("ผู้ดูข้อมูล"),
    Role.provincial: _l("สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด"),
    Role.national: _l("กรมส่งเสริมการปกครองท้องถิ่น"),
}
#: Roles an organization's admin may give: the working roles of a local government.
ORG_ROLES = (Role.admin, Role.manager, Role.owner, Role.viewer)
#: Read-only roles across organizations, given only on the command line (`tracker user create`).
OVERSIGHT_ROLES = frozenset({Role.provincial, Role.national})


#: In-app events a person may also get by email (tracker/follow); the profile page names them
EMAIL_EVENTS = ("remark", "status", "signoff")
#: Events that come by email unless the person turns them off on the profile page
DEFAULT_EMAIL_EVENTS = ",".join(EMAIL_EVENTS)


class User(UserMixin, Model):
    __tablename__ = "users"
    #: The oversight offices (organizations with a provincial or national user) by index.
    __table_args__ = (sa.Index("ix_users_role_organization", "role", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    #: Stored lower-case; the login name.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    #: Position shown under a signature, e.g. นักวิชาการคอมพิวเตอร์ปฏิบัติการ
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=16))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    #: Show ๐-๙ instead of 0-9 in dates and numbers.
    thai_digits: Mapped[bool] = mapped_column(default=False)
    #: Weekly digest and monthly summary wanted (managers and heads)
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: The user's own digest weekday (0 = Monday); None: the organization's
    digest_weekday: Mapped[int | None]
    #: Secret of the user's iCalendar feed URL; regenerate to revoke
    calendar_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: Which in-app events also come by email: comma-separated kinds ("remark,status,signoff")
    email_events: Mapped[str] = mapped_column(
        sa.String(64), default=DEFAULT_EMAIL_EVENTS, server_default=DEFAULT_EMAIL_EVENTS
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Edit counter: each saved edit adds one; a change made from an older version is refused (tracker/versions.py)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    #: Unread in-app notifications, loaded with the logged-in user in the same statement
    #: (tracker/web.py's user loader, `with_expression`); None when the user was loaded otherwise.
    unread_count: Mapped[int | None] = query_expression()

    organization: Mapped[Organization] = relationship()
    department: Mapped[Department | None] = relationship(back_populates="members", foreign_keys=[department_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def wants_email(self, kind: str) -> bool:
        return kind in (self.email_events or "").split(",")

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"
