"""Personal API tokens: the secret is shown once; only its hash is stored."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..db import Model, UTCDateTime


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: What the user called it, e.g. "สคริปต์รายงานรายเดือน"
    name: Mapped[str] = mapped_column(sa.String(100))
    #: SHA-256 (hex) of the secret; the secret itself is never stored
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The first characters of the secret, to recognise it in lists
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
