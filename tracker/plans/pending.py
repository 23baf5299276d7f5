"""Plan files waiting for the person who previewed them to confirm the import.

The preview keeps the uploaded bytes here, and the confirmation imports exactly
those bytes: the officer does not upload the file again, and what is imported
is what was shown. A kept file is named by a random token the page holds; the
row stores only the token's SHA-256, the user who uploaded it, the organization
it is for and when it expires, and the file's own SHA-256 (checked again when
it is taken). A token is good for its user and organization only, once, until
it expires. Services flush, never commit: the view commits the take together
with the import, so a failed import leaves the file waiting.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, UTCDateTime, db
from ..errors import ServiceError
from ..i18n import _

#: How long a previewed file waits for its confirmation.
LIFETIME = timedelta(hours=2)


class PendingImport(Model):
    """One previewed plan file, waiting to be imported."""

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token the preview page holds (the token itself is never stored)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The organization the plan is imported into
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: SHA-256 of `data`, checked when it is taken
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class KeptFile:
    filename: str
    data: bytes


def _digest(value: bytes | str) -> str:
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).hexdigest()


def keep(data: bytes, filename: str, *, user_id: int, organization_id: int, now: datetime) -> str:
    """Keep a previewed file; the token that names it. Expired files are dropped on the way."""
    db.session.execute(sa.delete(PendingImport).where(PendingImport.expires_at < now))
    token = secrets.token_urlsafe(32)
    db.session.add(
        PendingImport(
            token_hash=_digest(token),
            user_id=user_id,
            organization_id=organization_id,
            filename=filename[:255],
            data=data,
            sha256=_digest(data),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    db.session.flush()
    return token


def take(token: str, *, user_id: int, organization_id: int, now: datetime) -> KeptFile:
    """The file `token` names, removed from the waiting files (on commit); ServiceError in
    Thai when the token is unknown, used, expired, another person's or another organization's."""
    row = db.session.scalar(sa.select(PendingImport).where(PendingImport.token_hash == _digest(token or "")))
    if row is None or row.user_id != user_id or row.organization_id != organization_id:
        raise ServiceError(_("ไม่พบไฟล์ที่ตรวจสอบไว้ (อาจนำเข้าไปแล้ว หรือไม่ใช่ไฟล์ของคุณ) โปรดอัปโหลดไฟล์แผนและตรวจสอบอีกครั้ง"))
    if row.expires_at < now or row.sha256 != _digest(row.data):
        db.session.delete(row)
        db.session.flush()
        raise ServiceError(_("ไฟล์ที่ตรวจสอบไว้หมดอายุแล้ว โปรดอัปโหลดไฟล์แผนและตรวจสอบอีกครั้ง"))
    kept = KeptFile(row.filename, row.data)
    db.session.delete(row)
    db.session.flush()
    return kept
