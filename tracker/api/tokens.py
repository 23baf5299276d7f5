"""Personal API tokens: create, list, revoke, and recognise a presented secret.

The secret ("trk_" + 40 URL-safe characters) is returned once by
`create_token` and never stored: the database keeps its SHA-256 and a short
prefix by which the user recognises it in the list. Services flush, never
commit; creation and revocation are journaled.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .. import access
from ..auth.models import User
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..i18n import _
from ..journal import record
from .models import ApiToken

SECRET_PREFIX = "trk_"
#: Characters of the secret kept in clear, e.g. "trk_Ab3dE9xY"
PREFIX_LENGTH = 12
NAME_MAX = 100
#: A user's active tokens; more suggests tokens are being made and forgotten.
MAX_ACTIVE_TOKENS = 20
#: last_used_at is written at most this often, so reads do not all become writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret() -> str:
    # token_urlsafe(30) gives exactly 40 characters of [A-Za-z0-9_-].
    return SECRET_PREFIX + secrets.token_urlsafe(30)


def active_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def user_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, active first, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create_token(user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the secret (shown once)."""
    if not user.active:
        raise PermissionDenied(_("บัญชีนี้ถูกปิดใช้งาน"))
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("โปรดตั้งชื่อโทเคน เช่น สคริปต์รายงานประจำเดือน"))
    if len(name) > NAME_MAX:
        raise ServiceError(_("ชื่อโทเคนยาวได้ไม่เกิน %(name_max)s ตัวอักษร", name_max=NAME_MAX))
    if len(active_tokens(user)) >= MAX_ACTIVE_TOKENS:
        raise ServiceError(
            _(
                "มีโทเคนที่ใช้งานอยู่ครบ %(max_active_tokens)s รายการแล้ว โปรดยกเลิกโทเคนที่ไม่ใช้ก่อน",
                max_active_tokens=MAX_ACTIVE_TOKENS,
            )
        )
    secret = new_secret()
    token = ApiToken(
        user=user, name=name, token_hash=hash_secret(secret), prefix=secret[:PREFIX_LENGTH], created_at=now
    )
    db.session.add(token)
    db.session.flush()
    record(
        organization_id=user.organization_id,
        entity="api_token",
        entity_id=token.id,
        action="create",
        actor=user,
        field="name",
        new=name,
        note=f"{token.prefix}…",
        at=now,
    )
    db.session.flush()
    return token, secret


def revoke_token(token: ApiToken, actor: User, now: datetime) -> None:
    """Stop a token from working. Only its owner revokes it; revoking twice is refused."""
    if not access.may_revoke_token(actor, token.user_id):
        raise PermissionDenied(_("ยกเลิกได้เฉพาะโทเคนของตนเอง"))
    if token.revoked_at is not None:
        raise ServiceError(_("โทเคน “%(token_name)s” ถูกยกเลิกไปแล้ว", token_name=token.name))
    token.revoked_at = now
    record(
        organization_id=actor.organization_id,
        entity="api_token",
        entity_id=token.id,
        action="revoke",
        actor=actor,
        field="name",
        old=token.name,
        note=f"{token.prefix}…",
        at=now,
    )
    db.session.flush()


class TokenRefused(Exception):
    """The presented secret does not authenticate; the message says why (HTTP 401)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def authenticate(secret: str, now: datetime) -> User:
    """The active user a secret belongs to, noting the use; raises TokenRefused."""
    secret = (secret or "").strip()
    if not secret:
        raise TokenRefused(_("ต้องส่งโทเคนใน Authorization: Bearer <token>"))
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)).options(joinedload(ApiToken.user))
    )
    if token is None:
        raise TokenRefused(_("โทเคนไม่ถูกต้อง"))
    if token.revoked_at is not None:
        raise TokenRefused(_("โทเคนนี้ถูกยกเลิกแล้ว"))
    if not token.user.active:
        raise TokenRefused(_("บัญชีผู้ใช้ของโทเคนนี้ถูกปิดใช้งาน"))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now  # left pending: the caller commits it (only then)
    return token.user
