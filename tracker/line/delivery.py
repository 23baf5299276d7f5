"""Delivering the outbox's LINE rows; claiming, leases and the sweeper stay shared
(tracker/notify/delivery.py), this module only sends a row it was handed.

- Rows to one person due in one pass go out as one push (up to five message
  objects count as one message against the account's monthly quota). The
  group is formed once: its members share an X-Line-Retry-Key, committed
  before the first try, so a retry (after 5xx, a timeout, or a crash and the
  sweeper) resends the same push with the same key and LINE executes it
  once; a 409 answer means "already accepted" and counts as sent.
- A push is sent only by the sender that holds every unfinished member of its
  group; a sender that holds part of one (two senders after a sweep) gives
  its part back and the group goes out later, whole.
- 429 (Retry-After honoured), 5xx and no answer: back to pending with the
  shared back-off; 429 and no answer also stop this pass. Other 4xx: failed.
- LINE impossible (the person unlinked or blocked the account, the
  organization disconnected, the month's cap reached, the credentials
  unreadable) or given up: the row is failed with the reason and its email
  version is queued instead, so nothing is lost.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime

import sqlalchemy as sa

from .. import thaidate
from ..clock import utcnow
from ..db import db
from ..notify import delivery as shared
from ..notify.channels import LINE
from ..notify.models import OutboxItem, OutboxMessage, OutboxStatus
from ..notify.outbox import enqueue
from ..notify.render import mail_domain
from . import client as line_client
from .crypto import SecretUnreadable
from .models import LineChannel, LineLink

log = logging.getLogger(__name__)

#: LINE accepts at most five message objects per push.
MAX_PER_PUSH = 5

UNLINKED = "ผู้รับยกเลิกการเชื่อมต่อ LINE หรือบล็อกบัญชีทางการ จึงส่งทางอีเมลแทน"
DISCONNECTED = "องค์กรยังไม่ได้เชื่อมต่อบัญชี LINE Official Account จึงส่งทางอีเมลแทน"
CAPPED = "ส่ง LINE ครบเพดานของเดือนนี้ (%(cap)s ครั้ง) จึงส่งทางอีเมลแทน"
UNREADABLE = "ถอดรหัสข้อมูลบัญชี LINE ไม่ได้ (กุญแจเข้ารหัสเปลี่ยน) โปรดบันทึกข้อมูลบัญชีใหม่ จึงส่งทางอีเมลแทน"
GAVE_UP = "ส่ง LINE ไม่สำเร็จ (%(error)s) จึงส่งทางอีเมลแทน"


def month_start(now: datetime) -> datetime:
    """The start of `now`'s Bangkok calendar month, as an aware datetime."""
    local = now.astimezone(thaidate.BANGKOK)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def pushes_this_month(organization_id: int, now: datetime) -> tuple[int, int]:
    """(pushes, messages) the organization sent by LINE this (Bangkok) month."""
    t = OutboxMessage
    pushes, messages = db.session.execute(
        sa.select(sa.func.count(sa.distinct(t.line_retry_key)), sa.func.count(t.id)).where(
            t.organization_id == organization_id,
            t.channel == LINE,
            t.status == OutboxStatus.sent,
            t.sent_at >= month_start(now),
        )
    ).one()
    return int(pushes), int(messages)


class LineSender:
    """Sends the LINE rows of one delivery pass; one SDK client per organization."""

    def __init__(self, now: datetime, sender_id: str, report: shared.DeliveryReport) -> None:
        self.now, self.sender_id, self.report = now, sender_id, report
        self.channels: dict[int, LineChannel | None] = {}
        self.clients: dict[int, object] = {}

    def __enter__(self) -> LineSender:
        return self

    def __exit__(self, *exc_info) -> None:
        for api in self.clients.values():
            api.close()  # type: ignore[attr-defined]

    def _channel(self, organization_id: int | None) -> LineChannel | None:
        if organization_id is None:
            return None
        if organization_id not in self.channels:
            self.channels[organization_id] = db.session.scalar(
                sa.select(LineChannel).where(LineChannel.organization_id == organization_id)
            )
        return self.channels[organization_id]

    def _client(self, channel: LineChannel):
        if channel.organization_id not in self.clients:
            self.clients[channel.organization_id] = line_client.api(channel)
        return self.clients[channel.organization_id]

    def send(self, row: OutboxMessage) -> None:
        """Send a claimed LINE row (with the rest of its push); TransportError stops the pass."""
        channel = self._channel(row.organization_id)
        linked = (
            db.session.scalar(sa.select(LineLink.line_user_id).where(LineLink.user_id == row.user_id))
            if row.user_id is not None
            else None
        )
        if channel is None:
            return self._fall_back([row.id], DISCONNECTED)
        if linked is None or linked != row.line_to:
            return self._fall_back([row.id], UNLINKED)
        pushes, _messages = pushes_this_month(channel.organization_id, self.now)
        if pushes >= channel.monthly_cap:
            return self._fall_back([row.id], CAPPED % {"cap": channel.monthly_cap})
        try:
            api = self._client(channel)
        except SecretUnreadable:
            return self._fall_back([row.id], UNREADABLE)
        group = self._gather(row)
        if group is None:
            return None
        ids = [m.id for m in group]
        messages = [obj for m in group for obj in json.loads(m.line_messages or "[]")]
        outcome = line_client.push(api, row.line_to or "", messages, group[0].line_retry_key or "")
        if outcome.accepted:
            shared.finish_many(
                ids,
                self.sender_id,
                status=OutboxStatus.sent,
                attempts=OutboxMessage.attempts + 1,
                sent_at=self.now,
                last_error=None,
            )
            self.report.sent += ids
            return None
        if outcome.retry and row.attempts + 1 < shared.MAX_ATTEMPTS:
            wait = shared.backoff(row.attempts + 1)
            if outcome.retry_after is not None:
                wait = max(wait, outcome.retry_after)
            shared.finish_many(
                ids,
                self.sender_id,
                status=OutboxStatus.pending,
                attempts=OutboxMessage.attempts + 1,
                last_error=outcome.error,
                next_attempt_at=self.now + wait,
                claimed_by=None,
                claimed_at=None,
            )
            self.report.retried += ids
            if outcome.stop:
                raise shared.TransportError(outcome.error)
            return None
        # Refused for good (say, an unknown user ID) or given up: email instead.
        self._fall_back(ids, GAVE_UP % {"error": outcome.error})
        if outcome.stop:
            raise shared.TransportError(outcome.error)
        return None

    def _gather(self, row: OutboxMessage) -> list[OutboxMessage] | None:
        """The rows of row's push, all claimed by this sender, their retry key committed;
        None when another sender holds part of the group (ours are given back)."""
        t = OutboxMessage
        mine = (t.status == OutboxStatus.sending) & (t.claimed_by == self.sender_id)
        if row.line_retry_key is None:
            key = str(uuid.uuid4())
            candidates = list(
                db.session.scalars(
                    sa.select(t.id)
                    .where(
                        t.channel == LINE,
                        t.status == OutboxStatus.pending,
                        t.line_retry_key.is_(None),
                        t.organization_id == row.organization_id,
                        t.line_to == row.line_to,
                        t.user_id == row.user_id,
                        t.next_attempt_at <= self.now,
                        t.id != row.id,
                    )
                    .order_by(t.id)
                    .limit(MAX_PER_PUSH - 1)
                )
            )
            if candidates:
                db.session.execute(
                    sa.update(t)
                    .where(t.id.in_(candidates), t.status == OutboxStatus.pending, t.line_retry_key.is_(None))
                    .values(
                        status=OutboxStatus.sending, claimed_by=self.sender_id, claimed_at=utcnow(), line_retry_key=key
                    )
                    .execution_options(synchronize_session=False)
                )
            db.session.execute(
                sa.update(t)
                .where(t.id == row.id, mine)
                .values(line_retry_key=key)
                .execution_options(synchronize_session=False)
            )
        else:
            key = row.line_retry_key
            db.session.execute(
                sa.update(t)
                .where(t.line_retry_key == key, t.status == OutboxStatus.pending)
                .values(status=OutboxStatus.sending, claimed_by=self.sender_id, claimed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            others = db.session.scalar(
                sa.select(sa.func.count()).where(
                    t.line_retry_key == key, t.status.in_([OutboxStatus.pending, OutboxStatus.sending]), ~mine
                )
            )
            if others:
                # Another sender holds part of this push: neither may send it partly.
                db.session.execute(
                    sa.update(t)
                    .where(t.line_retry_key == key, mine)
                    .values(status=OutboxStatus.pending, claimed_by=None, claimed_at=None)
                    .execution_options(synchronize_session=False)
                )
                db.session.commit()
                log.info("LINE push %s is partly held by another sender: given back", key)
                return None
        # The key is in the database before LINE ever sees it (exactly once across a crash).
        db.session.commit()
        group = list(db.session.scalars(sa.select(t).where(t.line_retry_key == key, mine).order_by(t.id)))
        return group or None

    def _fall_back(self, ids: list[int], reason: str) -> None:
        """Fail these LINE rows with `reason` and queue their email version; one commit."""
        t = OutboxMessage
        held = list(
            db.session.scalars(
                sa.update(t)
                .where(t.id.in_(ids), t.status == OutboxStatus.sending, t.claimed_by == self.sender_id)
                .values(status=OutboxStatus.failed, attempts=t.attempts + 1, last_error=reason)
                .returning(t.id)
                .execution_options(synchronize_session=False)
            )
        )
        for row in db.session.scalars(sa.select(t).where(t.id.in_(held)).order_by(t.id)):
            twin = enqueue(
                organization_id=row.organization_id,
                about=row.about,
                kind=row.kind,
                for_date=row.for_date,
                recipient=row.recipient,
                subject=row.subject,
                body_text=row.body_text,
                body_html=row.body_html,
                recipient_name=row.recipient_name,
                user_id=row.user_id,
                domain=mail_domain(),
                now=self.now,
            )
            if twin is not None:
                # The steps it reminds of are now reminded of by the email.
                db.session.execute(
                    sa.update(OutboxItem)
                    .where(OutboxItem.message_id == row.id)
                    .values(message_id=twin.id)
                    .execution_options(synchronize_session=False)
                )
        db.session.commit()
        self.report.failed += held
        self.report.fell_back += held
        if held:
            log.info("LINE rows %s sent by email instead: %s", held, reason)
