"""An organization's LINE Official Account, its people's linked LINE accounts,
and what the webhook has already handled."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Model, UTCDateTime

#: LINE's free plan in Thailand: 300 messages a month. The cap stops LINE sends
#: (they fall back to email) when this many pushes went out this month.
DEFAULT_MONTHLY_CAP = 300


class LineChannel(Model):
    """An organization's Messaging API channel. The secret and the token are stored
    encrypted (tracker/line/crypto.py) and never shown again after saving."""

    __tablename__ = "line_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), unique=True)
    #: The channel ID shown in the LINE Developers console (digits)
    channel_id: Mapped[str] = mapped_column(sa.String(32))
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    token_encrypted: Mapped[str] = mapped_column(sa.Text)
    #: From LINE's bot info when the account was connected: @basic-id and name
    basic_id: Mapped[str] = mapped_column(sa.String(64), default="")
    display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Pushes a month after which LINE sends fall back to email (below the plan's quota)
    monthly_cap: Mapped[int] = mapped_column(default=DEFAULT_MONTHLY_CAP)
    #: The organization's default channel choice per event kind (tracker/notify/channels.py)
    default_choices: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LineLink(Model):
    """A person's LINE account, bound by an accountLink event. Deleted on unlink or block."""

    __tablename__ = "line_links"
    __table_args__ = (sa.UniqueConstraint("organization_id", "line_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    #: LINE's user ID for this channel's provider ("U" + 32 hex digits), not the LINE ID people type
    line_user_id: Mapped[str] = mapped_column(sa.String(64))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LineLinkNonce(Model):
    """A nonce given to LINE when a logged-in person confirms linking; the accountLink
    event brings it back. Used once, valid for NONCE_TTL."""

    __tablename__ = "line_link_nonces"

    nonce: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LineWebhookEvent(Model):
    """A webhook event already handled: LINE redelivers, each event counts once."""

    __tablename__ = "line_webhook_events"
    __table_args__ = (sa.UniqueConstraint("organization_id", "webhook_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    webhook_event_id: Mapped[str] = mapped_column(sa.String(64))
    event_type: Mapped[str] = mapped_column(sa.String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationChoice(Model):
    """A person's own channel choice for one event kind; absent: the organization's default."""

    __tablename__ = "notification_choices"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    #: A key of tracker.notify.channels.EVENT_KINDS
    event_kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: "email", "line", "both" or "none"
    choice: Mapped[str] = mapped_column(sa.String(8))
