"""Connecting an organization's LINE Official Account, linking people's LINE
accounts, and their channel choices. Services flush and never commit.

Account linking (LINE's documented flow, developers.line.biz "Linking user
accounts"):

1. The person sends any message to the Official Account (their profile page
   opens the chat with a ready-made text), or adds it as a friend.
2. The webhook asks LINE for a link token for that LINE user and replies
   with a link to /line/link?linkToken=… (replies cost no quota).
3. Logged in to the tracker, the person confirms; the tracker stores a nonce
   for them and sends the browser to LINE's accountLink dialog with the link
   token and the nonce.
4. LINE sends an `accountLink` event with the nonce; the tracker binds that
   LINE user ID to the person who holds the nonce.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app

from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..journal import record
from ..notify.channels import CHOICE_CHANNELS, EVENT_KINDS
from . import client as line_client
from .crypto import encrypt
from .models import LineChannel, LineLink, LineLinkNonce, NotificationChoice

#: LINE's link tokens live 10 minutes; a nonce need not outlive them by much.
NONCE_TTL = timedelta(minutes=15)
_CHANNEL_ID = re.compile(r"^\d{6,20}$")
_SECRET = re.compile(r"^[0-9a-fA-F]{32}$")


class LineError(ServiceError):
    """Problems with submitted LINE settings, all of them at once."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def channel_of(organization_id: int) -> LineChannel | None:
    return db.session.scalar(sa.select(LineChannel).where(LineChannel.organization_id == organization_id))


def link_of(user: User) -> LineLink | None:
    return db.session.scalar(sa.select(LineLink).where(LineLink.user_id == user.id))


def _parse_choices(raw: dict[str, str], allow_default: bool) -> tuple[dict[str, str], list[str]]:
    choices, problems = {}, []
    for key in EVENT_KINDS:
        value = (raw.get(key) or "").strip()
        if value == "" and allow_default:
            continue
        if value not in CHOICE_CHANNELS:
            problems.append(f"ช่องทางของ “{EVENT_KINDS[key].label}” ไม่ถูกต้อง")
            continue
        choices[key] = value
    return choices, problems


def save_channel(
    organization_id: int,
    actor: User,
    now: datetime,
    *,
    channel_id: str,
    channel_secret: str,
    access_token: str,
    monthly_cap: str,
    defaults: dict[str, str],
) -> LineChannel:
    """Connect (or update) the organization's account. A blank secret or token keeps the
    stored one. The token is checked with LINE (bot info) before anything is saved."""
    channel = channel_of(organization_id)
    channel_id, channel_secret, access_token = channel_id.strip(), channel_secret.strip(), access_token.strip()
    problems = []
    if not _CHANNEL_ID.match(channel_id):
        problems.append("Channel ID ต้องเป็นตัวเลข (ดูได้ที่แท็บ Basic settings ใน LINE Developers console)")
    if channel_secret and not _SECRET.match(channel_secret):
        problems.append("Channel secret ต้องเป็นเลขฐานสิบหก 32 ตัว (แท็บ Basic settings)")
    if channel is None and not channel_secret:
        problems.append("โปรดกรอก Channel secret")
    if channel is None and not access_token:
        problems.append("โปรดกรอก Channel access token (แท็บ Messaging API → Channel access token (long-lived))")
    if access_token and (len(access_token) < 20 or any(c.isspace() for c in access_token)):
        problems.append("Channel access token ไม่ถูกต้อง (คัดลอกจากแท็บ Messaging API ให้ครบ)")
    cap = monthly_cap.strip()
    if not cap.isdigit() or not 1 <= int(cap) <= 10_000_000:
        problems.append("เพดานจำนวนการส่งต่อเดือนต้องเป็นจำนวนเต็มบวก")
    choices, choice_problems = _parse_choices(defaults, allow_default=False)
    problems += choice_problems
    if problems:
        raise LineError(problems)
    info = None
    if access_token:
        try:
            with line_client.api_for_token(access_token) as api:
                info = line_client.bot_info(api)
        except line_client.ApiException as exc:
            raise LineError(
                [f"LINE ไม่ยอมรับ Channel access token นี้ (HTTP {exc.status}) โปรดตรวจสอบแล้วลองอีกครั้ง"]
            ) from exc
        except OSError as exc:
            raise LineError([f"ติดต่อ LINE ไม่ได้ ({type(exc).__name__}) โปรดลองอีกครั้ง"]) from exc
        except Exception as exc:  # urllib3's errors do not all derive from OSError
            if exc.__class__.__module__.startswith("urllib3"):
                raise LineError([f"ติดต่อ LINE ไม่ได้ ({type(exc).__name__}) โปรดลองอีกครั้ง"]) from exc
            raise
    created = channel is None
    if channel is None:
        channel = LineChannel(organization_id=organization_id, connected_at=now)
        db.session.add(channel)
    channel.channel_id = channel_id
    if channel_secret:
        channel.secret_encrypted = encrypt(channel_secret)
    if access_token:
        channel.token_encrypted = encrypt(access_token)
    if info is not None:
        channel.basic_id = info.basic_id or ""
        channel.display_name = info.display_name or ""
    channel.monthly_cap = int(cap)
    channel.default_choices = choices
    channel.updated_at = now
    db.session.flush()
    record(
        organization_id=organization_id,
        entity="line_channel",
        entity_id=channel.id,
        action="connect" if created else "update",
        actor=actor,
        field="channel_id",
        new=channel_id,
        note="secret/token replaced" if (channel_secret or access_token) and not created else None,
        at=now,
    )
    return channel


def disconnect(organization_id: int, actor: User, now: datetime) -> None:
    channel = channel_of(organization_id)
    if channel is None:
        raise ServiceError("ยังไม่ได้เชื่อมต่อบัญชี LINE")
    db.session.execute(sa.delete(LineLink).where(LineLink.organization_id == organization_id))
    db.session.delete(channel)
    record(
        organization_id=organization_id,
        entity="line_channel",
        entity_id=channel.id,
        action="disconnect",
        actor=actor,
        at=now,
    )
    db.session.flush()


# -- linking ---------------------------------------------------------------------------------


def link_url(link_token: str) -> str:
    """Where the Official Account's reply sends the person to confirm (our page)."""
    base = current_app.config["TRACKER_BASE_URL"].rstrip("/")
    return f"{base}/line/link?{urlencode({'linkToken': link_token})}"


def start_linking(user: User, link_token: str, now: datetime) -> str:
    """The logged-in person confirmed: a fresh nonce for them, and LINE's dialog URL."""
    if channel_of(user.organization_id) is None:
        raise ServiceError("องค์กรของคุณยังไม่ได้เชื่อมต่อบัญชี LINE Official Account")
    if not link_token or len(link_token) > 200 or not re.match(r"^[A-Za-z0-9_\-]+$", link_token):
        raise ServiceError("ลิงก์เชื่อมบัญชี LINE ไม่ถูกต้องหรือไม่ครบ โปรดส่งข้อความหาบัญชีทางการอีกครั้งเพื่อรับลิงก์ใหม่")
    nonce = secrets.token_urlsafe(24)  # LINE: 10–255 characters, unpredictable
    db.session.add(LineLinkNonce(nonce=nonce, user_id=user.id, organization_id=user.organization_id, created_at=now))
    db.session.flush()
    access = current_app.config["TRACKER_LINE_ACCESS_URL"].rstrip("/")
    return f"{access}/dialog/bot/accountLink?{urlencode({'linkToken': link_token, 'nonce': nonce})}"


def bind(organization_id: int, nonce: str, line_user_id: str, now: datetime) -> LineLink | None:
    """The accountLink event: bind the LINE user to the nonce's person. None if the
    nonce is unknown, used, expired or of another organization."""
    held = db.session.get(LineLinkNonce, nonce)
    if (
        held is None
        or held.used_at is not None
        or held.organization_id != organization_id
        or held.created_at < now - NONCE_TTL
    ):
        return None
    held.used_at = now
    user = db.session.get(User, held.user_id)
    if user is None or not user.active:
        return None
    # One LINE account per person and one person per LINE account in an organization.
    db.session.execute(
        sa.delete(LineLink).where(
            sa.or_(
                LineLink.user_id == user.id,
                (LineLink.organization_id == organization_id) & (LineLink.line_user_id == line_user_id),
            )
        )
    )
    link = LineLink(user_id=user.id, organization_id=organization_id, line_user_id=line_user_id, linked_at=now)
    db.session.add(link)
    record(organization_id=organization_id, entity="line_link", entity_id=user.id, action="link", actor=user, at=now)
    db.session.flush()
    return link


def unlink(user: User, actor: User | None, now: datetime, why: str = "unlinked in the profile") -> bool:
    link = link_of(user)
    if link is None:
        return False
    db.session.delete(link)
    record(
        organization_id=user.organization_id,
        entity="line_link",
        entity_id=user.id,
        action="unlink",
        actor=actor,
        note=why,
        at=now,
    )
    db.session.flush()
    return True


def unfollowed(organization_id: int, line_user_id: str, now: datetime) -> bool:
    """The person blocked the Official Account: LINE stops for them at once (email instead)."""
    link = db.session.scalar(
        sa.select(LineLink).where(LineLink.organization_id == organization_id, LineLink.line_user_id == line_user_id)
    )
    if link is None:
        return False
    user = db.session.get(User, link.user_id)
    assert user is not None
    return unlink(user, None, now, why="blocked the LINE Official Account (unfollow)")


# -- choices ----------------------------------------------------------------------------------


def own_choices(user: User) -> dict[str, str]:
    return {
        c.event_kind: c.choice
        for c in db.session.scalars(sa.select(NotificationChoice).where(NotificationChoice.user_id == user.id))
    }


def set_choices(user: User, raw: dict[str, str], now: datetime) -> bool:
    """The person's channel per event kind; "" means the organization's default. Flushes."""
    choices, problems = _parse_choices(raw, allow_default=True)
    if problems:
        raise LineError(problems)
    before = own_choices(user)
    if before == choices:
        return False
    db.session.execute(sa.delete(NotificationChoice).where(NotificationChoice.user_id == user.id))
    db.session.add_all(NotificationChoice(user_id=user.id, event_kind=k, choice=v) for k, v in choices.items())
    record(
        organization_id=user.organization_id,
        entity="user",
        entity_id=user.id,
        action="channels",
        actor=user,
        field="channels",
        old=",".join(f"{k}={v}" for k, v in sorted(before.items())),
        new=",".join(f"{k}={v}" for k, v in sorted(choices.items())),
        at=now,
    )
    db.session.flush()
    return True
