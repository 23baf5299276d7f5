"""The webhook LINE calls for an organization: /line/webhook/<organization slug>.

Only a body signed with the organization's channel secret is read
(`X-Line-Signature`: base64 HMAC-SHA256 of the body, checked by the SDK's
WebhookParser); anything else is refused before a single row is written.
Each event is handled once: its webhookEventId is recorded with the changes
it caused, in one transaction, so a redelivered event changes nothing.
Replies (the link to confirm, a confirmation) go out after the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..auth.models import User
from ..db import db
from ..notify.outbox import _insert
from ..orgs.models import Organization
from . import client as line_client
from . import services
from .crypto import SecretUnreadable, decrypt
from .models import LineChannel, LineLink, LineWebhookEvent

log = logging.getLogger(__name__)


class Refused(Exception):
    """The request is not a webhook call from LINE for this organization."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class Reply:
    reply_token: str
    text: str = ""
    #: Issue a link token for this LINE user and reply with the link to confirm
    link_for: str | None = None


def parse(organization: Organization | None, body: str, signature: str | None) -> tuple[LineChannel, list]:
    """The events of a signed body, or Refused (nothing is written before this succeeds)."""
    channel = services.channel_of(organization.id) if organization is not None else None
    if channel is None:
        raise Refused(404, "no LINE account is connected for this organization")
    if not signature:
        raise Refused(400, "missing X-Line-Signature")
    try:
        secret = decrypt(channel.secret_encrypted)
    except SecretUnreadable as exc:
        raise Refused(503, str(exc)) from exc
    from linebot.v3 import WebhookParser  # the SDK's webhook models: loaded at the first event
    from linebot.v3.exceptions import InvalidSignatureError

    try:
        events = WebhookParser(secret).parse(body, signature)
    except InvalidSignatureError as exc:
        raise Refused(401, "invalid X-Line-Signature") from exc
    except (ValueError, KeyError, TypeError) as exc:  # signed, but not a webhook body
        raise Refused(400, f"not a webhook body: {type(exc).__name__}") from exc
    return channel, events


def _first_time(organization_id: int, event, now: datetime) -> bool:
    """Record the event's id; False when it was handled before (a redelivery)."""
    stmt = (
        _insert(LineWebhookEvent.__table__)
        .values(
            organization_id=organization_id,
            webhook_event_id=event.webhook_event_id,
            event_type=str(event.type)[:32],
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["organization_id", "webhook_event_id"])
        .returning(LineWebhookEvent.__table__.c.id)
    )
    return db.session.execute(stmt).scalar() is not None


def handle(channel: LineChannel, events: list, now: datetime) -> list[Reply]:
    """Apply the events (flushes; the caller commits) and say what to reply."""
    replies: list[Reply] = []
    org_id = channel.organization_id
    for event in events:
        if not getattr(event, "webhook_event_id", None) or not _first_time(org_id, event, now):
            continue
        source = getattr(event, "source", None)
        line_user_id = getattr(source, "user_id", None)
        reply_token = getattr(event, "reply_token", None)
        kind = getattr(event, "type", "")
        if not line_user_id:
            continue  # groups and rooms: the tracker talks to people only
        if kind == "accountLink":
            link = services.bind(org_id, event.link.nonce, line_user_id, now) if event.link.result == "ok" else None
            if reply_token:
                if link is not None:
                    user = db.session.get_one(User, link.user_id)  # the link cascades with its user
                    replies.append(
                        Reply(
                            reply_token,
                            f"เชื่อมบัญชี LINE กับ {user.display_name} แล้ว "
                            "ตั้งค่าว่าจะรับการแจ้งเตือนใดทาง LINE ได้ที่หน้าตั้งค่าการแจ้งเตือน",
                        )
                    )
                else:
                    replies.append(
                        Reply(reply_token, "เชื่อมบัญชีไม่สำเร็จ (ลิงก์หมดอายุหรือใช้ไปแล้ว) โปรดส่งข้อความใดก็ได้มาอีกครั้งเพื่อรับลิงก์ใหม่")
                    )
        elif kind == "unfollow":
            services.unfollowed(org_id, line_user_id, now)
        elif kind in ("follow", "message") and reply_token:
            linked = db.session.scalar(
                sa.select(LineLink).where(LineLink.organization_id == org_id, LineLink.line_user_id == line_user_id)
            )
            if linked is None:
                replies.append(Reply(reply_token, link_for=line_user_id))
            elif kind == "message":
                user = db.session.get_one(User, linked.user_id)
                replies.append(
                    Reply(reply_token, f"บัญชี LINE นี้เชื่อมกับ {user.display_name} แล้ว ยกเลิกได้ที่หน้าข้อมูลของฉันในระบบ")
                )
    db.session.flush()
    return replies


def send_replies(channel: LineChannel, replies: list[Reply]) -> None:
    """After the commit; a failure is logged (the person can simply write again)."""
    if not replies:
        return
    try:
        with line_client.api(channel) as api:
            for reply in replies:
                text = reply.text
                if reply.link_for is not None:
                    token = line_client.issue_link_token(api, reply.link_for)
                    text = (
                        "เชื่อมบัญชี LINE กับระบบติดตามมาตรการ ITA เพื่อรับการแจ้งเตือนทาง LINE: "
                        f"เปิดลิงก์นี้ เข้าสู่ระบบ แล้วกดยืนยัน (ลิงก์ใช้ได้ 10 นาที)\n{services.link_url(token)}"
                    )
                line_client.reply_text(api, reply.reply_token, text)
    except (line_client.ApiException, SecretUnreadable, OSError) as exc:
        log.warning("LINE reply failed: %s", exc)
    except Exception as exc:  # urllib3's transport errors
        if not exc.__class__.__module__.startswith("urllib3"):
            raise
        log.warning("LINE reply failed: %s", exc)
