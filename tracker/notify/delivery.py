"""Delivering the outbox: every pending message sent once, failures kept.

A row's life: pending → sending (claimed) → sent | failed, or captured when
no mail server is configured. The rules:

- Claim by compare-and-set, one row at a time: `UPDATE … SET status='sending'
  WHERE id = (a due pending row) AND status='pending' RETURNING id`. Of any
  number of senders (gunicorn workers, a second host) exactly one wins a row.
  On PostgreSQL the candidate is picked `FOR UPDATE SKIP LOCKED` so senders
  do not queue behind each other; SQLite serialises writers and the
  compare-and-set alone suffices. One row at a time keeps `sending` equal to
  "in flight", so a crashed sender strands one row, not a batch.
- Commit `sent` right after each message.
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
but before it committed `sent` leaves the row in `sending`; the sweeper
returns it after the lease and it is sent again. That window (between the server's 250 and
our commit, milliseconds) is the only way to a duplicate, and the fixed
Message-ID makes such a duplicate recognisable to mail clients.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from flask_mail import BadHeaderError

from ..clock import utcnow
from ..db import db, table_of
from ..errors import PermissionDenied, ServiceError
from ..journal import record
from . import mail
from .models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

#: Attempts before a message is given up as failed (retries then span ~14 h).
MAX_ATTEMPTS = 10
#: A claimed row whose sender has not renewed it for this long is freed
#: (the default of TRACKER_OUTBOX_LEASE_SECONDS; see `lease()`).
LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    captured: list[int] = field(default_factory=list)
    #: Given back to pending with a back-off
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    #: Rows freed by the sweeper
    swept: list[int] = field(default_factory=list)
    #: LINE rows failed and queued again as email (unlinked, capped, refused: tracker/line/delivery.py)
    fell_back: list[int] = field(default_factory=list)
    #: Rows whose lease was lost before their outcome was recorded (the sweeper
    #: freed them meanwhile): a sent one is still recorded and counted as sent;
    #: any other outcome is left to the row's new holder and counted nowhere else
    lease_lost: list[int] = field(default_factory=list)
    #: Why the batch stopped early (the server could not be reached), if it did
    stopped: str | None = None


class TransportError(Exception):
    """The server could not be reached or stopped answering: stop the batch."""


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 2, 4, 8 … minutes, at most 6 h."""
    return min(timedelta(minutes=2 ** min(attempts, 20)), MAX_BACKOFF)


def new_sender_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def lease() -> timedelta:
    """How long a claim lives without renewal (TRACKER_OUTBOX_LEASE_SECONDS)."""
    seconds = current_app.config.get("TRACKER_OUTBOX_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else LEASE


class LeaseKeeper:
    """Renews, by the real clock, the claims of one sender while its pass runs.

    A thread with its own connection: a pass blocked in a slow SMTP (or any
    channel's) call keeps its claims, a killed process stops renewing and its
    claims run out. `with LeaseKeeper(sender_id): …`
    """

    def __init__(self, sender_id: str) -> None:
        self.sender_id = sender_id
        self.interval = lease().total_seconds() / 3
        self._engine = db.engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{sender_id}", daemon=True)

    def _run(self) -> None:
        table = table_of(OutboxMessage)
        while not self._stop.wait(self.interval):
            try:
                with self._engine.begin() as conn:
                    conn.execute(
                        table.update()
                        .where(table.c.claimed_by == self.sender_id, table.c.status.in_(CLAIMED))
                        .values(claimed_at=utcnow())
                    )
            except sa.exc.SQLAlchemyError:  # a busy or restarting database: try again next beat
                log.warning("outbox: could not renew the lease of %s", self.sender_id, exc_info=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _due(now: datetime) -> sa.Select:
    return (
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk.

    Delivery commits twice per email; waiting for two fsyncs, not SMTP, set its
    pace. A database server crash can then forget the last fraction of a second
    of claims (those rows are simply sent later) and of "sent" marks (those
    emails are sent again, with the same Message-ID: the window described above,
    a little wider). SQLite in WAL mode with synchronous=NORMAL behaves the same.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))


def claim(now: datetime, sender_id: str, status: OutboxStatus = OutboxStatus.sending) -> int | None:
    """Take one due pending row for this sender; None when none is left.

    One statement, so SQLite takes its write lock before reading the
    candidate (a read-then-write transaction could not upgrade in WAL mode).
    Commits, so other senders see the claim at once.
    """
    _commit_without_waiting_for_disk()
    candidate = _due(now).with_for_update(skip_locked=True).scalar_subquery()
    stmt = (
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == candidate, OutboxMessage.status == OutboxStatus.pending)
        .values(status=status, claimed_by=sender_id, claimed_at=utcnow())
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    row_id = db.session.execute(stmt).scalar()
    db.session.commit()
    return row_id


def _finish(row_id: int, sender_id: str, report: DeliveryReport | None = None, **values) -> bool:
    """Record the outcome if the row is still ours; commit. False: the lease was lost.

    A lost lease does not lose a delivery: `sent` is recorded whoever holds
    the row now (unless it is sent already), so it is never sent again; any
    other outcome is left to the row's new holder.
    """
    _commit_without_waiting_for_disk()
    mine = sa.and_(OutboxMessage.status == OutboxStatus.sending, OutboxMessage.claimed_by == sender_id)
    stmt = (
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == row_id, mine)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    held = cast(sa.CursorResult, db.session.execute(stmt)).rowcount == 1  # an UPDATE: a cursor result
    if not held and values.get("status") is OutboxStatus.sent:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status != OutboxStatus.sent)
            .values(**values, claimed_by=sender_id)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    if not held:
        log.warning("outbox %s: lease lost before its outcome was recorded (%s)", row_id, values.get("status"))
        if report is not None:
            report.lease_lost.append(row_id)
    return held


def finish_many(row_ids: list[int], sender_id: str, **values) -> list[int]:
    """`_finish` for rows that went out together (one LINE push): one statement, one commit."""
    _commit_without_waiting_for_disk()
    stmt = (
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(row_ids),
            OutboxMessage.status == OutboxStatus.sending,
            OutboxMessage.claimed_by == sender_id,
        )
        .values(**values)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    held = list(db.session.execute(stmt).scalars())
    db.session.commit()
    if len(held) != len(row_ids):
        log.warning(
            "outbox %s: lease lost before the outcome was recorded (%s)",
            sorted(set(row_ids) - set(held)),
            values.get("status"),
        )
    return held


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


def _send_one(
    connection: mail.TimeoutConnection, row: OutboxMessage, sender_id: str, now: datetime, report: DeliveryReport
) -> None:
    """Send one claimed row and record the outcome; TransportError stops the batch."""
    try:
        message = mail.build_email(row)
        if message.has_bad_headers():
            raise BadHeaderError("a line break in the subject or an address")
        message.as_bytes()  # fail here, not half-way through the SMTP dialogue
    except (BadHeaderError, ValueError) as exc:
        # The row itself is unsendable (say, a line break in the subject): retrying cannot help.
        if _finish(
            row.id,
            sender_id,
            report,
            status=OutboxStatus.failed,
            attempts=row.attempts + 1,
            last_error=f"cannot build the message: {exc}",
        ):
            report.failed.append(row.id)
        return
    try:
        connection.send(message)
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
    _finish(
        row.id, sender_id, report, status=OutboxStatus.sent, attempts=row.attempts + 1, sent_at=now, last_error=None
    )
    report.sent.append(row.id)


def channel_sender(channel: str):
    """The sender a feature registered for `channel` (``app.extensions["tracker.channel_senders"]``).

    The outbox only claims; each channel's feature (LINE: tracker/line) brings its
    sender, so the outbox imports none of them.
    """
    from flask import current_app

    return current_app.extensions["tracker.channel_senders"][channel]


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
    with LeaseKeeper(sender_id), mail.connect() as connection, line_sender(now, sender_id, report) as line:
        for _ in range(limit):
            row_id = claim(now, sender_id)
            if row_id is None:
                break
            row = db.session.get_one(OutboxMessage, row_id)  # claimed just now
            try:
                if row.channel == "line":
                    line.send(row)
                elif capture:
                    if _finish(row.id, sender_id, report, status=OutboxStatus.captured):
                        report.captured.append(row.id)
                else:
                    _send_one(connection, row, sender_id, now, report)
            except TransportError as exc:
                report.stopped = str(exc)
                connection.close(broken=True)
                break
    if report.stopped:
        log.warning("delivery stopped: %s", report.stopped)
    _log_pass(report)
    return report


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
CLAIMED = (OutboxStatus.sending,)
RESENDABLE = (OutboxStatus.failed, OutboxStatus.captured)


def resend(row: OutboxMessage, actor, now: datetime) -> None:
    """Put a failed (or captured) message back in the queue; journaled. Flushes only."""
    if row.status not in RESENDABLE:
        raise ServiceError(
            f"ส่งซ้ำได้เฉพาะข้อความที่ส่งไม่สำเร็จหรือที่เก็บไว้ สถานะตอนนี้คือ {row.status.label} "
            f"(only failed or captured messages can be resent; this one is {row.status.value})"
        )
    if row.status is OutboxStatus.captured and row.channel == "email" and not mail.server_configured():
        raise ServiceError(
            "ยังไม่ได้ตั้งค่าเซิร์ฟเวอร์อีเมล (TRACKER_MAIL_SERVER) ข้อความจะถูกเก็บไว้อีกครั้งโดยไม่ได้ส่ง "
            "(no mail server is configured: the message would only be captured again)"
        )
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
