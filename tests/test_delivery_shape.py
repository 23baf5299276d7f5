"""The shape of a delivery pass, not its clock: the bookkeeping is batched (a few
statements per claim of CLAIM_BATCH emails, none per email), and an email goes out
as exactly the bytes `build_email` gives (built once, ahead of the send)."""

from __future__ import annotations

import sqlalchemy as sa
from conftest import NOW
from outbox_factory import queue

from tracker.db import db
from tracker.notify import claims
from tracker.notify.claims import CLAIM_BATCH
from tracker.notify.delivery import deliver
from tracker.notify.mail import build_email
from tracker.notify.models import OutboxMessage, OutboxStatus


def test_the_statements_of_a_pass_do_not_grow_with_the_messages(ctx, mail_config, smtp_sink, monkeypatch):
    # The marks' timer out of the way (a loaded machine sends slowly, and each 50 ms tick would
    # mark what waited): what is counted is the shape, MARK_BATCH messages to a mark at most.
    monkeypatch.setattr(claims, "MARK_INTERVAL", 60.0)
    # Nor the 2 s socket timeout of the other tests: a stall of a loaded machine is not the shape.
    mail_config["MAIL_TIMEOUT"] = 30
    count = CLAIM_BATCH + CLAIM_BATCH // 2  # two claims
    rows = queue(count)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    # Every connection of the engine: the sender's and its threads' (lease, sent marks).
    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        report = deliver(NOW, limit=count)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)

    assert report.stopped is None
    assert sorted(report.sent) == sorted(r.id for r in rows)
    assert smtp_sink.message_ids() == {r.message_id: 1 for r in rows}
    # The sent marks: one UPDATE for every MARK_BATCH emails waiting, one for the rest at the end.
    # Everything else: per claim the claim
    # and one read of its rows, plus the sweep and the last, empty claims, whatever the count.
    # (PostgreSQL: each transaction's SET LOCAL synchronous_commit is not counted.)
    counted = [s for s in statements if not s.startswith("SET LOCAL")]
    marks = [s for s in counted if "sent_at=" in s]
    others = [s for s in counted if "sent_at=" not in s]
    assert 1 <= len(marks) <= -(-count // claims.MARK_BATCH), marks
    assert len(others) <= 1 + 2 * 2 + 2, others
    states = db.session.scalars(sa.select(OutboxMessage.status).distinct()).all()
    assert states == [OutboxStatus.sent]


def test_the_server_receives_the_bytes_build_email_gives(ctx, mail_config, smtp_sink):
    rows = queue(3)

    deliver(NOW)

    db.session.expire_all()
    by_id = {m.message_id: m.raw for m in smtp_sink.received}
    for row in rows:
        assert by_id[row.message_id] == build_email(db.session.get(OutboxMessage, row.id)).as_bytes()
