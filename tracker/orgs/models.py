"""Organizations (municipalities, อบต.) and their departments (กอง/สำนัก)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Model

if TYPE_CHECKING:
    from ..auth.models import User
    from ..plans.models import Plan


class Organization(Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Full Thai name, e.g. เทศบาลตำบลบ้านเป็ด
    name: Mapped[str] = mapped_column(sa.String(200))
    #: URL-safe key used by the CLI and URLs, e.g. "banpet"
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    province: Mapped[str] = mapped_column(sa.String(100), default="")
    #: The ครุฑ emblem printed on official documents: random file name in the upload folder
    #: (stored like evidence), its type and hash; None until the admin uploads it.
    emblem_stored_name: Mapped[str | None] = mapped_column(sa.String(80))
    emblem_content_type: Mapped[str | None] = mapped_column(sa.String(40))
    emblem_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    #: Thai digits (๐–๙) in official documents (memo, follow-up report, covering memo)
    official_thai_digits: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    departments: Mapped[list[Department]] = relationship(back_populates="organization", order_by="Department.name")
    plans: Mapped[list[Plan]] = relationship(back_populates="organization")

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


class Department(Model):
    __tablename__ = "departments"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Shared mailbox of the department; reminders go here and to its owners.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: The head (ผู้อำนวยการกอง / หัวหน้าสำนักปลัด), who receives escalations.
    head_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", use_alter=True, ondelete="SET NULL"))

    #: Secret of the department's iCalendar feed URL; regenerate to revoke
    calendar_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    organization: Mapped[Organization] = relationship(back_populates="departments")
    head: Mapped[User | None] = relationship(foreign_keys=[head_id], post_update=True)
    members: Mapped[list[User]] = relationship(back_populates="department", foreign_keys="User.department_id")

    def __repr__(self) -> str:
        return f"<Department {self.name}>"
