"""Delivering the outbox: every pending message sent once, failures kept.

A row's life: pending → sending (claimed) → sent | failed, or captured when
no mail server is configured. The rules:

- Claim by compare-and-set, CLAIM_BATCH emails at a time: `UPDATE … SET
  status='sending' WHERE id IN (due pending rows LIMIT n) AND status='pending'
  RETURNING id`. Of any number of senders (gunicorn workers, a second host)
  exactly one wins a row. On PostgreSQL the candidates are picked `FOR UPDATE
  SKIP LOCKED` so senders do not queue behind each other; SQLite serialises
  writers and the compare-and-set alone suffices. The batch goes out on one
  connection; what a failed connection leaves untried is given back at once.
  A crashed sender strands its batch until the sweeper frees it (each of its
  rows then counts the interrupted try). LINE rows are claimed one at a time
  (a push gathers the person's other pending rows itself).
- `sent` is recorded by `SentMarks`, a thread with its own connection that
  commits the messages the server accepted in one statement every
  MARK_INTERVAL (50 ms) or MARK_BATCH messages, whichever comes first, while
  the sender goes on: the bookkeeping of a batch is a few statements, not two
  commits per email, and a sender blocked in SMTP still has its earlier
  messages marked within the interval.
- SMTP 4xx: back to pending, `next_attempt_at = now + min(2^attempts min, 6 h)`.
  Connection refused, timeouts, a dropped connection or 421: the same for the
  row in flight, and the batch stops (the next beat tries again).
- 5xx, or MAX_ATTEMPTS reached: failed, with the server's answer kept.
- The lease: `claimed_at` is the real clock's time of the claim (never the
  pass's `now`, which a caller may set to any time), and a live sender renews
  it for every row it holds every third of the lease (`LeaseKeeper`, a thread
  beside the pass, so a slow server cannot outlast it). The sweeper frees only
  rows whose lease ran out by the real clock: their sender stopped renewing,
  so it is gone. A lease is TRACKER_OUTBOX_LEASE_SECONDS (600 s by default).
- A message the server accepted is recorded as sent even if its lease was lost
  meanwhile (`lease_lost` in the report): never left to be sent again.

Nothing here depends on SMTP: another channel claims, renews, finishes and
sweeps rows through the same functions.

Exactly once, and its limit: a sender killed after the server accepted DATA
but before `sent` was committed leaves the row in `sending`; the sweeper
returns it after the lease and it is sent again. That window (between the
server's 250 and the marks' commit: at most MARK_INTERVAL plus a commit,
tens of milliseconds) is the only way to a duplicate, and the fixed
Message-ID makes such a duplicate recognisable to mail clients.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_mail import BadHeaderError

from ..clock import utcnow
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..i18n import _, thai_only
from ..journal import record
from . import mail
from .claims import (
    CLAIM_BATCH,
    CLAIMED,
    LEASE,
    MAX_ATTEMPTS,
    DeliveryReport,
    LeaseKeeper,
    SentMarks,
    TransportError,
    _finish,
    backoff,
    claim,
    claim_batch,
    finish_many,
    give_back,
    lease,
    new_sender_id,
)
from .models import OutboxMessage, OutboxStatus

# Claiming and marking live in claims.py; their names stay importable from here.
__all__ = [
    "CLAIMED",
    "LEASE",
    "MAX_ATTEMPTS",
    "RESENDABLE",
    "DeliveryReport",
    "TransportError",
    "backoff",
    "channel_sender",
    "claim",
    "deliver",
    "finish_many",
    "resend",
    "sweep",
]

log = logging.getLogger(__name__)


def _retry_or_fail(row: OutboxMessage, sender_id: str, now: datetime, error: str, report: DeliveryReport) -> None:
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        if _finish(
            row.id,
            sender_id,
            report,
            status=OutboxStatus.failed,
            attempts=attempts,
            last_error=f"{error} (gave up after {attempts} attempts)",
        ):
            report.failed.append(row.id)
    elif _finish(
        row.id,
        sender_id,
        report,
        status=OutboxStatus.pending,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + backoff(attempts),
        claimed_by=None,
        claimed_at=None,
    ):
        report.retried.append(row.id)


def _smtp_answer(exc: smtplib.SMTPException) -> tuple[int | None, str]:
    """The server's code and text from an error about one message, if it answered."""
    code: int
    text: bytes | str
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, text = exc.smtp_code, exc.smtp_error
    else:
        return None, str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return code, f"{code} {text}"


@dataclass
class Prepared:
    """An email ready to go: its envelope and bytes, or why it cannot be built."""

    envelope_from: str = ""
    recipients: list[str] = field(default_factory=list)
    data: bytes = b""
    error: str | None = None


def prepare(row: OutboxMessage) -> Prepared:
    """Write and check the email of a row, once (the bytes are what is sent)."""
    try:
        # Checked here (not half-way through the SMTP dialogue), sent as they are.
        envelope_from, recipients, data = mail.compose(row)
    except (BadHeaderError, ValueError) as exc:
        return Prepared(error=str(exc))
    return Prepared(envelope_from, recipients, data)


def _send_one(
    connection: mail.TimeoutConnection,
    row: OutboxMessage,
    sender_id: str,
    now: datetime,
    report: DeliveryReport,
    marks: SentMarks | None = None,
) -> None:
    """Send one claimed row and record the outcome; TransportError stops the batch."""
    prepared = prepare(row)
    if prepared.error is not None:
        # The row itself is unsendable (say, a line break in the subject): retrying cannot help.
        if _finish(
            row.id,
            sender_id,
            report,
            status=OutboxStatus.failed,
            attempts=row.attempts + 1,
            last_error=f"cannot build the message: {prepared.error}",
        ):
            report.failed.append(row.id)
        return
    try:
        connection.send_bytes(prepared.envelope_from, prepared.recipients, prepared.data)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        code, error = _smtp_answer(exc)
        if code == 421:  # "service not available, closing channel": a transport problem
            _retry_or_fail(row, sender_id, now, error, report)
            raise TransportError(error) from exc
        if code is not None and 400 <= code < 500:
            _retry_or_fail(row, sender_id, now, error, report)
        else:
            if _finish(
                row.id, sender_id, report, status=OutboxStatus.failed, attempts=row.attempts + 1, last_error=error
            ):
                report.failed.append(row.id)
        return
    except (smtplib.SMTPException, OSError) as exc:
        # Refused, timed out, dropped, TLS or login trouble: not this message's fault.
        error = mail.describe_error(exc)
        _retry_or_fail(row, sender_id, now, error, report)
        raise TransportError(error) from exc
    # Sent is sent, lease or not: recorded either way, and counted.
    if marks is not None:
        marks.add(row.id)
    else:
        _finish(
            row.id, sender_id, report, status=OutboxStatus.sent, attempts=row.attempts + 1, sent_at=now, last_error=None
        )
    report.sent.append(row.id)


def channel_sender(channel: str):
    """The sender a feature registered for `channel` (``app.extensions["tracker.channel_senders"]``).

    The outbox only claims; each channel's feature (LINE: tracker/line) brings its
    sender, so the outbox imports none of them.
    """

    return current_app.extensions["tracker.channel_senders"][channel]


@thai_only
def deliver(now: datetime | None = None, *, sender_id: str | None = None, limit: int = 100) -> DeliveryReport:
    """Send (or capture) up to `limit` due messages of every channel. A job: commits as it goes.

    Claiming is the same for every channel; each claimed row goes to its
    channel's sender (email here, LINE in tracker/line/delivery.py). Without
    a mail server, email rows are captured and LINE rows still go to LINE.
    """
    now = now or utcnow()
    sender_id = sender_id or new_sender_id()
    report = DeliveryReport(swept=sweep(now))
    capture = not mail.server_configured()
    line_sender = channel_sender("line")
    remaining = limit
    with (
        LeaseKeeper(sender_id),
        mail.connect() as connection,
        line_sender(now, sender_id, report) as line,
        SentMarks(sender_id, now, report) as marks,
    ):
        while remaining > 0 and report.stopped is None:
            # Emails in batches; then whatever else is due (LINE), one row at a time.
            batch = claim_batch(now, sender_id, min(CLAIM_BATCH, remaining))
            if not batch:
                row_id = claim(now, sender_id)
                if row_id is None:
                    break
                batch = [row_id]
            remaining -= len(batch)
            rows = _load(batch)
            captured: list[int] = []
            for n, row in enumerate(rows):
                if row.id in marks.accepted:
                    # Swept while we sent it (lease lost), claimed again before its mark was
                    # written: it went out already, and the waiting mark records it.
                    log.warning("outbox %s: lease lost before sent was recorded", row.id)
                    marks.record_lost([row.id])
                    continue
                try:
                    if row.channel == "line":
                        line.send(row)
                    elif capture:
                        captured.append(row.id)
                    else:
                        _send_one(connection, row, sender_id, now, report, marks)
                except TransportError as exc:
                    report.stopped = str(exc)
                    connection.close(broken=True)
                    give_back([r.id for r in rows[n + 1 :]], sender_id)
                    break
            if captured:
                report.captured += finish_many(captured, sender_id, status=OutboxStatus.captured)
    if report.stopped:
        log.warning("delivery stopped: %s", report.stopped)
    _log_pass(report)
    return report


def _load(row_ids: list[int]) -> list[OutboxMessage]:
    """The claimed rows in due order, read in one statement."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def _log_pass(report: DeliveryReport) -> None:
    """One line per delivery pass, with its counts (DEBUG when there was nothing to do)."""
    counts = {
        "sent": len(report.sent),
        "captured": len(report.captured),
        "retried": len(report.retried),
        "failed": len(report.failed),
        "swept": len(report.swept),
        "fell_back": len(report.fell_back),
        "lease_lost": len(report.lease_lost),
    }
    log.log(logging.INFO if any(counts.values()) else logging.DEBUG, "outbox delivery", extra=counts)


def sweep(now: datetime | None = None) -> list[int]:
    """Free rows whose sender died while sending them; commits.

    Dead means: the claim was not renewed for a whole lease by the real clock
    (`now`, which may be a simulated time, only dates the retry). The
    interrupted try counts as an attempt, so a message that kills its sender
    every time ends as failed instead of looping forever.
    """
    now = now or utcnow()
    expired = utcnow() - lease()
    error = "the sender stopped while sending (lease expired); it may have been delivered once already"
    attempts = OutboxMessage.attempts + 1
    status_type = OutboxMessage.__table__.c.status.type
    stmt = (
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.sending, OutboxMessage.claimed_at < expired)
        .values(
            status=sa.case(
                (attempts >= MAX_ATTEMPTS, sa.literal(OutboxStatus.failed, status_type)),
                else_=sa.literal(OutboxStatus.pending, status_type),
            ),
            attempts=attempts,
            last_error=error,
            next_attempt_at=now,
            claimed_by=None,
            claimed_at=None,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(db.session.execute(stmt).scalars())
    db.session.commit()
    if ids:
        log.warning("outbox: freed %d message(s) stuck in sending: %s", len(ids), ids)
    return ids


#: States in which a row is held by a sender (and its lease renewed)
RESENDABLE = (OutboxStatus.failed, OutboxStatus.captured)


def resend(row: OutboxMessage, actor, now: datetime) -> None:
    """Put a failed (or captured) message back in the queue; journaled. Flushes only."""
    if row.status not in RESENDABLE:
        raise ServiceError(
            _(
                "ส่งซ้ำได้เฉพาะข้อความที่ส่งไม่สำเร็จหรือที่เก็บไว้ สถานะตอนนี้คือ %(row_status_label)s",
                row_status_label=row.status.label,
                row_status_value=row.status.value,
            )
        )
    if row.status is OutboxStatus.captured and row.channel == "email" and not mail.server_configured():
        raise ServiceError(_("ยังไม่ได้ตั้งค่าเซิร์ฟเวอร์อีเมล (TRACKER_MAIL_SERVER) ข้อความจะถูกเก็บไว้อีกครั้งโดยไม่ได้ส่ง"))
    if row.organization_id is None:
        raise PermissionDenied()  # a resend is journaled in, and asked for by, the message's organization
    old_status, old_error = row.status, row.last_error
    row.status = OutboxStatus.pending
    row.attempts = 0
    row.next_attempt_at = now
    row.last_error = None
    row.claimed_by = None
    row.claimed_at = None
    row.line_retry_key = None  # a resend asked for by a person is a new LINE push
    record(
        organization_id=row.organization_id,
        entity="outbox",
        entity_id=row.id,
        action="resend",
        actor=actor,
        field="status",
        old=old_status,
        new=OutboxStatus.pending,
        note=old_error,
        at=now,
    )
    db.session.flush()
