"""Publishing reports: an admin renders a report now and freezes the file.

The O43 follow-up report (PDF, DOCX or XLSX, as of a date or round) and the
O42 analysis memo (PDF or DOCX) are rendered at the moment of publishing and
stored under TRACKER_UPLOAD_DIR with a random name, their size and sha256:
the public copy never changes afterwards, whatever happens to the plan. A PDF is
PDF/A-2b and, when the organization has stored a certificate, signed (PAdES)
before its hash is taken (reports/signing.py).
Withdrawing hides a report from the public page and keeps it on record.

Only admins of the plan's organization publish or withdraw; a draft plan's
reports are not published. Both are journaled (entity "published_report").
Services flush, never commit; files written by a call that fails are removed
again, and the caller removes them if its commit fails (see the views).
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .. import thaidate
from ..access import require_admin
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..i18n import N_, _, translate
from ..journal import record
from ..plans.models import Plan, PlanStatus
from ..plans.services import store_upload
from ..reports.models import ReportKind, ReportSubmission, SubmissionStatus
from .models import PublishedReport

__all__ = [
    "KIND_LABELS",
    "CONTENT_TYPES",
    "Rendered",
    "analysis_available",
    "formats_for",
    "render_for_publishing",
    "publish_report",
    "withdraw_report",
    "published_reports",
    "published_path",
    "ascii_name",
]

#: The OIT item's code comes from the plan's framework (`ita.items`), never from here.
KIND_LABELS = {
    "followup": N_("รายงานผลการดำเนินการตามมาตรการ"),
    "analysis": N_("รายงานการวิเคราะห์ผลการประเมิน ITA และมาตรการ"),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMATS = {"followup": ("pdf", "xlsx", "docx"), "analysis": ("pdf", "docx")}
#: A rendered report is far below this; the limit only guards the disk.
MAX_BYTES = 200 * 1024 * 1024


def analysis_available() -> bool:
    """The O42 memo can be published where its builder is installed."""
    return importlib.util.find_spec("tracker.reports.memo") is not None


def formats_for(kind: str) -> tuple[str, ...]:
    if kind == "analysis" and not analysis_available():
        return ()
    return _FORMATS.get(kind, ())


@dataclass(frozen=True)
class Rendered:
    body: bytes
    title: str
    download_name: str
    as_of: date


def _followup(plan: Plan, fmt: str, as_of: date, thai_digits: bool, base_url: str | None, now: datetime) -> Rendered:
    from ..reports.followup import build_report, report_filename
    from ..reports.views import render_report

    report = build_report(plan, as_of, thai_digits=thai_digits, base_url=base_url, now=now)
    round_part = f" {report.round_label}" if report.round_label else ""
    title = (
        f"{report.title} ประจำปีงบประมาณ พ.ศ. {plan.fiscal_year}{round_part}"
        f" ข้อมูล ณ วันที่ {thaidate.format_date(as_of, style='full')}"
    )
    return Rendered(render_report(report, fmt), title, report_filename(report, fmt)[0], as_of)


def _analysis(plan: Plan, fmt: str, today: date, now: datetime) -> Rendered:
    from ..reports.memo import build_memo
    from ..reports.memo_cli import render_memo
    from ..reports.memo_document import memo_filename, require_date

    doc = build_memo(plan, now=now)
    memo_date = require_date(doc.header)  # published as dated on the web page, never today's date by default
    return Rendered(render_memo(doc, fmt), doc.title, memo_filename(doc, fmt)[0], memo_date)


def render_for_publishing(
    plan: Plan,
    kind: str,
    fmt: str,
    *,
    as_of: date | None,
    now: datetime,
    thai_digits: bool = False,
    base_url: str | None = None,
) -> Rendered:
    """The report's file as it is now."""
    if fmt not in formats_for(kind):
        allowed = ", ".join(formats_for(kind)) or "–"
        raise ServiceError(
            _(
                "เผยแพร่%(value1)sเป็นไฟล์ %(fmt)s ไม่ได้ (ได้เฉพาะ %(allowed)s)",
                value1=translate(KIND_LABELS.get(kind, kind)),
                fmt=fmt,
                allowed=allowed,
            )
        )
    if kind == "followup":
        if as_of is None:
            raise ServiceError(_("โปรดระบุวันที่ของรายงาน"))
        rendered = _followup(plan, fmt, as_of, thai_digits, base_url, now)
    else:
        rendered = _analysis(plan, fmt, now.astimezone(thaidate.BANGKOK).date(), now)
    if fmt == "pdf":  # the organization's PAdES signature, when it has stored a certificate
        from ..reports.signing import sign_pdf

        org = plan.organization
        place = org.name + (f" จังหวัด{org.province}" if org.province else "")
        body = sign_pdf(rendered.body, org, reason=f"เผยแพร่{rendered.title}", location=place)
        rendered = replace(rendered, body=body)
    return rendered


def _acknowledged_submission(plan: Plan, kind: str, as_of: date) -> ReportSubmission | None:
    """The newest fully acknowledged sign-off of this report, to link it."""
    query = sa.select(ReportSubmission).where(
        ReportSubmission.plan_id == plan.id,
        ReportSubmission.kind == ReportKind(kind),
        ReportSubmission.status == SubmissionStatus.acknowledged,
    )
    if kind == "followup":
        query = query.where(ReportSubmission.as_of == as_of)
    return db.session.scalar(query.order_by(ReportSubmission.submitted_at.desc(), ReportSubmission.id.desc()).limit(1))


def published_path(report: PublishedReport, upload_dir: str) -> Path:
    return Path(upload_dir) / report.stored_name


def ascii_name(report: PublishedReport, plan: Plan) -> str:
    """An ASCII file name for clients that cannot read the Thai one: "O43-followup-banpet-2566-…" with
    the item code of the plan's framework."""
    from ..ita.items import file_prefix, plan_items

    prefix = file_prefix(plan_items(plan), report.kind)
    return f"{prefix}-{plan.organization.slug}-{plan.fiscal_year}-{report.as_of.isoformat()}.{report.format}"


def publish_report(
    plan: Plan,
    actor: User,
    now: datetime,
    *,
    kind: str,
    formats: list[str],
    upload_dir: str,
    as_of: date | None = None,
    thai_digits: bool = False,
    base_url: str | None = None,
) -> list[PublishedReport]:
    """Render the report in each format now, store the files and record them as published."""
    require_admin(actor, plan.organization_id)
    if kind not in KIND_LABELS:
        raise ServiceError(_("ไม่รู้จักชนิดรายงาน “%(kind_20)s”", kind_20=kind[:20]))
    if kind == "analysis" and not analysis_available():
        raise ServiceError(_("ระบบนี้ยังสร้างรายงานการวิเคราะห์ไม่ได้"))
    if plan.status is PlanStatus.draft:
        raise ServiceError(_("แผนนี้ยังเป็นฉบับร่าง จึงยังเผยแพร่รายงานไม่ได้ เปลี่ยนสถานะแผนเป็น “ดำเนินการ” ก่อน"))
    formats = list(dict.fromkeys(f for f in formats if f))
    if not formats:
        raise ServiceError(_("โปรดเลือกรูปแบบไฟล์อย่างน้อยหนึ่งแบบ"))
    if kind == "followup" and as_of is not None:
        for fmt in formats:  # before the slow rendering; the memo's date is known only after it
            _refuse_duplicate(plan, kind, fmt, as_of)
    written: list[Path] = []
    published: list[PublishedReport] = []
    try:
        for fmt in formats:
            rendered = render_for_publishing(
                plan, kind, fmt, as_of=as_of, now=now, thai_digits=thai_digits, base_url=base_url
            )
            _refuse_duplicate(plan, kind, fmt, rendered.as_of)
            stored = store_upload(io.BytesIO(rendered.body), upload_dir, f".{fmt}", MAX_BYTES)
            written.append(Path(upload_dir) / stored.stored_name)
            submission = _acknowledged_submission(plan, kind, rendered.as_of)
            report = PublishedReport(
                organization_id=plan.organization_id,
                plan_id=plan.id,
                submission_id=submission.id if submission else None,
                kind=kind,
                as_of=rendered.as_of,
                format=fmt,
                title=rendered.title,
                stored_name=stored.stored_name,
                download_name=rendered.download_name[:255],
                size=stored.size,
                sha256=stored.sha256,
                published_by_id=actor.id,
                published_at=now,
            )
            db.session.add(report)
            if submission is not None:
                submission.published = True
            db.session.flush()
            record(
                organization_id=plan.organization_id,
                entity="published_report",
                entity_id=report.id,
                action="publish",
                actor=actor,
                field="format",
                new=fmt,
                note=f"{rendered.title} · sha256 {stored.sha256[:12]}",
                at=now,
            )
            published.append(report)
        db.session.flush()
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return published


def _refuse_duplicate(plan: Plan, kind: str, fmt: str, as_of: date) -> None:
    existing = db.session.scalar(
        sa.select(PublishedReport.id)
        .where(
            PublishedReport.plan_id == plan.id,
            PublishedReport.kind == kind,
            PublishedReport.format == fmt,
            PublishedReport.as_of == as_of,
            PublishedReport.withdrawn_at.is_(None),
        )
        .limit(1)
    )
    if existing is not None:
        raise ServiceError(
            _(
                "%(kind_labels_kind)s ณ วันที่ %(value2)s ไฟล์ %(fmt_upper)s เผยแพร่อยู่แล้ว ถ้าต้องการเผยแพร่ฉบับใหม่ ให้ถอนฉบับเดิมก่อน",
                kind_labels_kind=KIND_LABELS[kind],
                value2=thaidate.format_date(as_of),
                fmt_upper=fmt.upper(),
            )
        )


def withdraw_report(report: PublishedReport, actor: User, now: datetime, reason: str = "") -> None:
    """Take a report off the public page; the file and the row stay on record."""
    require_admin(actor, report.organization_id)
    if report.withdrawn_at is not None:
        raise ServiceError(_("รายงานนี้ถอนการเผยแพร่แล้ว"))
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ServiceError(_("เหตุผลยาวเกิน 1000 ตัวอักษร"))
    report.withdrawn_at = now
    if report.submission_id is not None:
        still = db.session.scalar(
            sa.select(sa.func.count(PublishedReport.id)).where(
                PublishedReport.submission_id == report.submission_id,
                PublishedReport.withdrawn_at.is_(None),
                PublishedReport.id != report.id,
            )
        )
        if not still:
            submission = db.session.get(ReportSubmission, report.submission_id)
            if submission is not None:
                submission.published = False
    record(
        organization_id=report.organization_id,
        entity="published_report",
        entity_id=report.id,
        action="withdraw",
        actor=actor,
        field="withdrawn_at",
        new=now,
        note=reason or report.title,
        at=now,
    )
    db.session.flush()


def published_reports(plan: Plan) -> list[PublishedReport]:
    """Every report published for the plan, withdrawn ones too, newest first."""
    return list(
        db.session.scalars(
            sa.select(PublishedReport)
            .where(PublishedReport.plan_id == plan.id)
            .order_by(PublishedReport.published_at.desc(), PublishedReport.id.desc())
            .options(joinedload(PublishedReport.published_by))
        )
    )
