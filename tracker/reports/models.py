"""Report sign-off and the analysis memo's editable text."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..db import Model, UTCDateTime


class ReportKind(str, enum.Enum):
    followup = "followup"  #: O43: การดำเนินการตามมาตรการ (the follow-up results report)
    analysis = "analysis"  #: O42: the analysis memo and its measures


class SubmissionStatus(str, enum.Enum):
    pending = "pending"  #: waiting for acknowledgements
    acknowledged = "acknowledged"  #: every level has acknowledged
    withdrawn = "withdrawn"


class ReportSubmission(Model):
    """A report sent up the chain for acknowledgement (the routing the paper memo went through)."""

    __tablename__ = "report_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReportKind] = mapped_column(sa.Enum(ReportKind, native_enum=False, length=16))
    #: The report's "as of" date (follow-up) or the memo's date (analysis)
    as_of: Mapped[date]
    #: 6 or 12 for the half-year and year rounds; None for another date
    round: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[SubmissionStatus] = mapped_column(
        sa.Enum(SubmissionStatus, native_enum=False, length=16), default=SubmissionStatus.pending
    )
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Shown on the public page (issue 5) once acknowledged
    published: Mapped[bool] = mapped_column(default=False)

    submitted_by: Mapped[User | None] = relationship()
    acknowledgements: Mapped[list[ReportAcknowledgement]] = relationship(
        back_populates="submission", order_by="ReportAcknowledgement.order", cascade="all, delete-orphan"
    )


class ReportAcknowledgement(Model):
    """One level of the chain: who must acknowledge, in which order, and what they wrote."""

    __tablename__ = "report_acknowledgements"
    __table_args__ = (sa.UniqueConstraint("submission_id", "order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("report_submissions.id", ondelete="CASCADE"), index=True)
    order: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: e.g. "ทราบ/ดำเนินการ", "ดำเนินการตามระเบียบ"
    comment: Mapped[str | None] = mapped_column(sa.Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the signer was reminded that the report still waits for them (once per level:
    #: the level is one waiting period), None until then (tracker/follow/signoff_reminders.py)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submission: Mapped[ReportSubmission] = relationship(back_populates="acknowledgements")
    user: Mapped[User] = relationship()


class AnalysisMemo(Model):
    """The O42 memo's header and the officer's own findings, per plan."""

    __tablename__ = "analysis_memos"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), unique=True)
    #: ส่วนราชการ line, e.g. งานบริการและเผยแพร่วิชาการ ฝ่ายแผนงานและงบประมาณ กองยุทธศาสตร์และงบประมาณ
    office: Mapped[str] = mapped_column(sa.Text, default="")
    #: ที่, e.g. กยง ๔๙๔/๒๕๖๕
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    memo_date: Mapped[date | None]
    #: เรียน, e.g. นายกเทศมนตรีตำบลบ้านเป็ด
    addressee: Mapped[str] = mapped_column(sa.String(200), default="")
    #: JSON object: tool code → the officer's findings for that tool (editable text)
    findings_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SigningCertificate(Model):
    """An organization's certificate for signing published PDFs (PAdES), one per
    organization. The PKCS#12 file and its password are kept only encrypted with a
    key derived from TRACKER_SECRET_KEY (reports/signing.py)."""

    __tablename__ = "signing_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), unique=True)
    #: Fernet token of the PKCS#12 file and its password
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: The certificate's subject and issuer as shown to the admin, e.g. "CN=เทศบาลตำบลบ้านเป็ด"
    subject: Mapped[str] = mapped_column(sa.String(500))
    issuer: Mapped[str] = mapped_column(sa.String(500))
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()
