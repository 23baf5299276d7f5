"""Claiming outbox rows, holding their lease and recording what was sent: the part of
delivery every channel shares (tracker/notify/delivery.py sends email with it,
tracker/line/delivery.py pushes LINE messages). The rules are in delivery.py's docstring.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app

from ..clock import utcnow
from ..db import db, table_of
from .models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

#: The statuses of a row a sender holds.
CLAIMED = (OutboxStatus.sending,)

#: Attempts before a message is given up as failed (retries then span ~14 h).
MAX_ATTEMPTS = 10
#: A claimed row whose sender has not renewed it for this long is freed
#: (the default of TRACKER_OUTBOX_LEASE_SECONDS; see `lease()`).
LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)
#: Emails claimed by one statement and sent on one connection
CLAIM_BATCH = 100
#: `sent` is committed at least this often (seconds) while a pass runs…
MARK_INTERVAL = 0.05
#: …or as soon as this many messages wait to be marked
MARK_BATCH = 100


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


def _due(now: datetime, count: int = 1) -> sa.Select:
    return (
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(count)
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


def claim_batch(now: datetime, sender_id: str, count: int, channel: str = "email") -> list[int]:
    """Take up to `count` due pending rows of `channel` for this sender, in due order; commits.

    The same compare-and-set as `claim`, for many rows in one statement.
    """
    _commit_without_waiting_for_disk()
    # The count as a literal: a bound LIMIT inside the IN subquery of an UPDATE was taken from
    # SQLAlchemy's statement cache with the count of an earlier call (SQLAlchemy 2.1).
    # A MATERIALIZED CTE, evaluated once: as an IN subquery PostgreSQL may plan a nested-loop
    # semi-join that runs the limited, locking subquery again for each outer row, and the
    # statement then claimed every due row, not `count`.
    candidates = (
        _due(now)
        .limit(sa.literal_column(str(int(count))))
        .where(OutboxMessage.channel == channel)
        .with_for_update(skip_locked=True)
        .cte("claimable")
        .prefix_with("MATERIALIZED")
    )
    stmt = (
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(sa.select(candidates.c.id)), OutboxMessage.status == OutboxStatus.pending)
        .values(status=OutboxStatus.sending, claimed_by=sender_id, claimed_at=utcnow())
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(db.session.execute(stmt).scalars())
    db.session.commit()
    return ids


def give_back(row_ids: list[int], sender_id: str) -> None:
    """Return claimed rows that were never tried (the connection failed first); commits."""
    if not row_ids:
        return
    db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(row_ids),
            OutboxMessage.status == OutboxStatus.sending,
            OutboxMessage.claimed_by == sender_id,
        )
        .values(status=OutboxStatus.pending, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


class SentMarks:
    """Records `sent` for the messages a server accepted, from a thread with its own
    connection: one statement and one commit for all that waited, every MARK_INTERVAL
    or MARK_BATCH messages. `with SentMarks(sender_id, now, report) as marks: marks.add(id)`;
    leaving the block writes what is left.

    A mark is written whoever holds the row by then (the lease may have been lost
    meanwhile): a message the server accepted is never sent again (`lease_lost`).
    """

    def __init__(self, sender_id: str, now: datetime, report: DeliveryReport) -> None:
        self.sender_id, self.now, self.report = sender_id, now, report
        self._engine = db.engine
        self._waiting: list[int] = []
        #: Every message marked (or to be marked) sent by this pass
        self.accepted: set[int] = set()
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=f"marks-{sender_id}", daemon=True)

    def add(self, row_id: int) -> None:
        with self._cond:
            self.accepted.add(row_id)
            self._waiting.append(row_id)
            if len(self._waiting) >= MARK_BATCH:
                self._cond.notify()

    def record_lost(self, ids: list[int]) -> None:
        """Count messages whose lease was lost before their mark, once each: the sender (a row
        claimed again) and this thread (a mark that found the row freed) may both see it."""
        with self._cond:
            self.report.lease_lost += [i for i in ids if i not in self.report.lease_lost]

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closing or len(self._waiting) >= MARK_BATCH, MARK_INTERVAL)
                ids, self._waiting = self._waiting, []
                closing = self._closing
            if ids:
                self._write(ids, last_try=closing)
            if closing:
                with self._cond:
                    if not self._waiting:
                        return

    def _write(self, ids: list[int], last_try: bool) -> None:
        table = table_of(OutboxMessage)
        values = dict(status=OutboxStatus.sent, attempts=table.c.attempts + 1, sent_at=self.now, last_error=None)
        for attempt in range(5 if last_try else 1):
            try:
                with self._engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
                    held = set(
                        conn.execute(
                            table.update()
                            .where(
                                table.c.id.in_(ids),
                                table.c.status == OutboxStatus.sending,
                                table.c.claimed_by == self.sender_id,
                            )
                            .values(**values)
                            .returning(table.c.id)
                        ).scalars()
                    )
                    lost = [i for i in ids if i not in held]
                    if lost:
                        conn.execute(
                            table.update()
                            .where(table.c.id.in_(lost), table.c.status != OutboxStatus.sent)
                            .values(**values, claimed_by=self.sender_id)
                        )
                if lost:
                    log.warning("outbox %s: lease lost before sent was recorded", lost)
                    self.record_lost(lost)
                return
            except sa.exc.SQLAlchemyError:  # a busy or restarting database
                log.warning("outbox: could not record %d sent message(s) yet", len(ids), exc_info=True)
                if attempt < 4 and last_try:
                    threading.Event().wait(0.2 * (attempt + 1))
        if not last_try:
            with self._cond:  # the next round tries again
                self._waiting[:0] = ids
            return
        log.error("outbox %s: sent, but sent could not be recorded; after the lease they will be sent again", ids)

    def __enter__(self) -> SentMarks:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()


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
