"""Reminder rules, the mail outbox, and what each message covered."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Model, UTCDateTime
from ..i18n import N_


class NotificationRules(Model):
    """An organization's reminder and digest rules (one row; defaults as below)."""

    __tablename__ = "notification_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), unique=True)
    #: Business days before the due date on which owners are reminded, e.g. "7,1"
    days_before: Mapped[str] = mapped_column(sa.String(64), default="7,1")
    remind_on_due_date: Mapped[bool] = mapped_column(default=True)
    #: Weekday (0 = Monday) of the repeated reminder while a step is overdue; None: off
    overdue_weekday: Mapped[int | None] = mapped_column(default=0)
    #: Overdue by more than this many days: the department head is told too; None: off
    escalate_after_days: Mapped[int | None] = mapped_column(default=7)
    #: Weekday of the weekly digest to managers and heads; None: off
    digest_weekday: Mapped[int | None] = mapped_column(default=0)
    #: A monthly summary on the first business day of each month
    monthly_summary: Mapped[bool] = mapped_column(default=True)
    #: Digests list steps due within this many days
    lookahead_days: Mapped[int] = mapped_column(default=14)
    #: Local (Asia/Bangkok) time from which mail goes out, minutes after midnight
    send_after_minutes: Mapped[int] = mapped_column(default=8 * 60)
    #: A report waiting for its next signer more than this many business days reminds the signer (once)
    signoff_reminder_days: Mapped[int] = mapped_column(default=3, server_default="3")

    @property
    def days_before_list(self) -> list[int]:
        return sorted({int(x) for x in self.days_before.split(",") if x.strip()}, reverse=True)


class OutboxStatus(str, enum.Enum):
    pending = "pending"  #: waiting to be sent (maybe after a back-off)
    sending = "sending"  #: claimed by a sender; a sweeper frees it if the sender died
    sent = "sent"
    failed = "failed"  #: permanent failure; last_error says why; an admin may resend
    captured = "captured"  #: no mail server configured: kept here for reading, not sent

    @property
    def label(self) -> str:
        return {
            "pending": N_("รอส่ง"),
            "sending": N_("กำลังส่ง"),
            "sent": N_("ส่งแล้ว"),
            "failed": N_("ส่งไม่สำเร็จ"),
            "captured": N_("เก็บไว้ (ไม่ได้ตั้งค่าเมล)"),
        }[self.value]


class OutboxMessage(Model):
    """One message to one recipient on one channel (email or LINE). The unique key
    makes queueing idempotent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.UniqueConstraint("about", "kind", "for_date", "recipient", "channel"),
        # Delivery's order, id included (migration 0006): many rows share a next_attempt_at.
        sa.Index("ix_outbox_messages_due", "status", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: What the message is about, e.g. "org:3" (a day's reminders of an organization)
    about: Mapped[str] = mapped_column(sa.String(64))
    #: "reminder", "escalation", "digest_weekly", "digest_monthly", …
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: The (Bangkok) day the message is for
    for_date: Mapped[date]
    #: Lower-case address (of the person, also for their LINE messages)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    #: "email" or "line" (tracker/notify/channels.py)
    channel: Mapped[str] = mapped_column(sa.String(8), default="email", server_default="email")
    recipient_name: Mapped[str] = mapped_column(sa.String(200), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(sa.Text)
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    #: Fixed per row, so that a rare resend is recognisable as the same message
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        sa.Enum(OutboxStatus, native_enum=False, length=16), default=OutboxStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: Which sender holds the row while status is "sending", and since when (lease)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # LINE messages: subject and bodies above hold the email version, sent instead
    # when LINE cannot deliver (unlinked, blocked, the monthly cap reached).
    #: The LINE user ID the message was queued for
    line_to: Mapped[str | None] = mapped_column(sa.String(64))
    #: JSON list of LINE message objects (text or flex) this row contributes to a push
    line_messages: Mapped[str | None] = mapped_column(sa.Text)
    #: X-Line-Retry-Key of the push carrying this row, fixed (committed) before the first
    #: try, so that LINE executes the push once however often it is retried
    line_retry_key: Mapped[str | None] = mapped_column(sa.String(36), index=True)

    items: Mapped[list[OutboxItem]] = relationship(back_populates="message", cascade="all, delete-orphan")


class OutboxItem(Model):
    """One reason a step is in a message: remembers that this reminder was given.

    Unique per (recipient, step, reason, trigger date, due date), so a reminder
    is given once even when its day was missed and caught up later, and a
    moved due date gives new reminders.
    """

    __tablename__ = "outbox_items"
    __table_args__ = (sa.UniqueConstraint("recipient", "step_id", "reason", "trigger_date", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    #: "before:7", "before:1", "due", "overdue", "escalation"
    reason: Mapped[str] = mapped_column(sa.String(32))
    #: The day the rule fired for (may be earlier than the message's day after downtime)
    trigger_date: Mapped[date]
    #: The step's due date when the reminder was given
    due_date: Mapped[date]

    message: Mapped[OutboxMessage] = relationship(back_populates="items")


class SchedulerBeat(Model):
    """When each scheduler process last ran its heartbeat (for health checks)."""

    __tablename__ = "scheduler_beats"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
