"""Saved filters of งานของฉัน: a person names the filters they use often and finds them
again as links. Each person sees and deletes only their own.

Services flush, never commit: the view owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..auth.models import User
from ..clock import utcnow
from ..db import Model, UTCDateTime, db
from ..errors import ServiceError
from ..i18n import _

#: The longest name of a saved filter
NAME_MAX = 100
#: The longest query string kept
QUERY_MAX = 500
#: How many filters one person may keep
PER_USER_MAX = 20


class SavedFilter(Model):
    """A person's named set of งานของฉัน filters, kept as the list's query string."""

    __tablename__ = "saved_filters"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    #: The filters as a query string of /my-steps ("status=done&due=overdue"), defaults left out
    query: Mapped[str] = mapped_column(sa.String(QUERY_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def query_string(args: dict[str, object]) -> str:
    """A list's filters as the query string a saved filter keeps (sorted: the same filters, the same text)."""
    return urlencode(sorted((k, str(v)) for k, v in args.items()))


def of_user(user: User) -> list[SavedFilter]:
    """The person's saved filters, by name."""
    return list(
        db.session.scalars(sa.select(SavedFilter).where(SavedFilter.user_id == user.id).order_by(SavedFilter.name))
    )


def save(user: User, name: str, args: dict[str, object]) -> SavedFilter:
    """Keep `args` (the list's checked filters) under `name`; a name the person already uses is replaced."""
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("โปรดตั้งชื่อตัวกรอง"), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("ชื่อตัวกรองยาวเกิน %(max)s ตัวอักษร", max=NAME_MAX), field="name")
    query = query_string(args)
    if len(query) > QUERY_MAX:
        raise ServiceError(_("ตัวกรองยาวเกินกว่าจะบันทึกได้"))
    row = db.session.scalar(sa.select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.name == name))
    if row is None:
        count = db.session.scalar(sa.select(sa.func.count()).where(SavedFilter.user_id == user.id)) or 0
        if count >= PER_USER_MAX:
            raise ServiceError(_("บันทึกตัวกรองได้ไม่เกิน %(max)s รายการ โปรดลบรายการที่ไม่ใช้แล้ว", max=PER_USER_MAX))
        row = SavedFilter(user_id=user.id, name=name)
        db.session.add(row)
    row.query = query
    db.session.flush()
    return row


def delete(user: User, filter_id: int) -> SavedFilter | None:
    """Delete the person's own filter `filter_id`; None when they have no such filter
    (another person's filter is not theirs to see)."""
    row = db.session.scalar(sa.select(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == user.id))
    if row is not None:
        db.session.delete(row)
        db.session.flush()
    return row
