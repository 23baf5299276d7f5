"""Who watches which step, and the notifications people read in the app."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..db import Model, UTCDateTime
from ..plans.models import Step


class EventKind(str, enum.Enum):
    remark = "remark"  #: someone commented on (or gave an instruction about) a watched step
    status = "status"  #: a watched step changed status
    signoff = "signoff"  #: a report waits for the recipient's sign-off
    #: a report has waited for the recipient's sign-off more than N business days (told once)
    signoff_reminder = "signoff_reminder"


class StepWatch(Model):
    """A person's own choice about a step: watch it, or stop watching it.

    Without a row the default holds (the owner department's members, the
    assignee and those who commented watch); a row overrides the default.
    """

    __tablename__ = "step_watches"
    __table_args__ = (sa.UniqueConstraint("step_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: False: the person unwatched a step they would watch by default
    watching: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Model):
    """One event told to one person in the app; read once seen on /notifications."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The header's unread count on every page: the person's unread rows.
        sa.Index("ix_notifications_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(sa.Enum(EventKind, native_enum=False, length=16))
    step_id: Mapped[int | None] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    #: The report submission a sign-off notification is about
    submission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("report_submissions.id", ondelete="CASCADE"), index=True
    )
    #: Who caused the event (None: the system)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: What happened, in the words of the event: the remark, the new status's value, the report's name
    text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    step: Mapped[Step | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
