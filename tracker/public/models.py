"""Reports published for citizens and assessors: frozen files, not live renders."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..db import Model, UTCDateTime


class PublishedReport(Model):
    """A file of a report as it was when published (a later edit of the plan does not change it)."""

    __tablename__ = "published_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    #: The sign-off that approved it, when there was one
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("report_submissions.id", ondelete="SET NULL"))
    #: "followup" (O43) or "analysis" (O42)
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: The report's as-of date (follow-up) or the memo's date
    as_of: Mapped[date]
    #: "pdf", "docx", "xlsx"
    format: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.Text)
    #: Random file name under the upload folder
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: The name offered for download
    download_name: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Withdrawn reports disappear from the public page but stay on record
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    published_by: Mapped[User | None] = relationship()
