"""Delivering the outbox: the claim, retries and back-off, failures, the sweeper,
captured mode, resending, and the `tracker outbox` / `tracker deliver` commands.
All against the real database and a real SMTP server.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import NOW
from flask import current_app
from outbox_factory import queue

from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import PermissionDenied, ServiceError
from tracker.notify.delivery import LEASE, MAX_ATTEMPTS, backoff, claim, deliver, resend, sweep
from tracker.notify.mail import build_email
from tracker.notify.models import OutboxMessage, OutboxStatus
from tracker.plans.models import JournalEntry


def fresh(row: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, row.id)


def all_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def no_mail_server(app):
    saved = app.config.get("MAIL_SERVER")
    app.config["MAIL_SERVER"] = None
    yield
    app.config["MAIL_SERVER"] = saved


# -- the claim ------------------------------------------------------------------


def test_a_row_is_claimed_by_exactly_one_sender(ctx):
    first, second = queue(2)
    before = utcnow()

    assert claim(NOW, "sender-a") == first.id
    assert claim(NOW, "sender-b") == second.id
    assert claim(NOW, "sender-c") is None  # nothing pending is left to take
    rows = all_rows()
    assert [(r.status, r.claimed_by) for r in rows] == [
        (OutboxStatus.sending, "sender-a"),
        (OutboxStatus.sending, "sender-b"),
    ]
    # The lease starts at the real time of the claim, not at the pass's (simulated) `now`.
    assert all(before <= r.claimed_at <= utcnow() for r in rows)


def test_only_due_rows_are_claimed(ctx):
    [row] = queue(1)
    row.next_attempt_at = NOW + timedelta(minutes=5)
    db.session.commit()

    assert claim(NOW, "sender-a") is None
    assert claim(NOW + timedelta(minutes=5), "sender-a") == row.id


def test_a_batch_sends_each_due_message_once_and_records_it(ctx, mail_config, smtp_sink):
    rows = queue(3)

    report = deliver(NOW, sender_id="host:1")

    assert report.sent == [r.id for r in rows]
    assert [(r.status, r.attempts, r.sent_at, r.claimed_by, r.last_error) for r in all_rows()] == [
        (OutboxStatus.sent, 1, NOW, "host:1", None)
    ] * 3
    assert smtp_sink.message_ids() == {r.message_id: 1 for r in rows}
    assert deliver(NOW + timedelta(hours=1)).sent == []  # nothing is sent twice
    assert len(smtp_sink.received) == 3


def test_limit_bounds_one_batch(ctx, mail_config, smtp_sink):
    queue(5)

    assert len(deliver(NOW, limit=2).sent) == 2
    assert [r.status for r in all_rows()].count(OutboxStatus.pending) == 3


# -- answers of the server --------------------------------------------------------


def test_backoff_doubles_from_two_minutes_and_stops_at_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 8)] == [timedelta(minutes=m) for m in (2, 4, 8, 256)]
    assert backoff(9) == backoff(50) == timedelta(hours=6)


def test_a_4xx_answer_puts_the_message_back_and_the_batch_goes_on(ctx, mail_config, smtp_sink):
    smtp_sink.rule = lambda n, envelope: "451 4.7.1 greylisted, try again later" if n == 1 else None
    first, second, third = queue(3)

    report = deliver(NOW)

    assert report.retried == [first.id] and report.sent == [second.id, third.id] and report.stopped is None
    row = fresh(first)
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.pending, 1, NOW + timedelta(minutes=2))
    assert row.last_error == "451 4.7.1 greylisted, try again later"
    assert deliver(NOW + timedelta(minutes=1)).sent == []  # still backing off
    assert deliver(NOW + timedelta(minutes=2)).sent == [first.id]
    row = fresh(first)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.sent, 2, None)
    assert sorted(smtp_sink.message_ids().values()) == [1, 1, 1]


def test_a_message_always_answered_4xx_is_given_up_after_max_attempts(ctx, mail_config, smtp_sink):
    smtp_sink.answer("452 4.2.2 mailbox full")
    [row] = queue(1)
    when, waits = NOW, []

    for _ in range(MAX_ATTEMPTS):
        deliver(when)
        row = fresh(row)
        if row.status is OutboxStatus.failed:
            break
        waits.append(row.next_attempt_at - when)
        when = row.next_attempt_at

    assert row.status is OutboxStatus.failed and row.attempts == MAX_ATTEMPTS
    assert row.last_error == f"452 4.2.2 mailbox full (gave up after {MAX_ATTEMPTS} attempts)"
    assert waits == [backoff(n) for n in range(1, MAX_ATTEMPTS)]
    assert smtp_sink.received == []
    assert deliver(when + timedelta(days=1)).sent == []  # failed stays failed


def test_a_5xx_answer_fails_the_message_at_once_and_keeps_the_answer(ctx, mail_config, smtp_sink):
    smtp_sink.rule = lambda n, env: "550 5.1.1 user unknown" if env.rcpt_tos == ["user1@example.go.th"] else None
    rows = queue(3)

    report = deliver(NOW)

    assert report.failed == [rows[1].id] and report.sent == [rows[0].id, rows[2].id]
    bad = fresh(rows[1])
    assert (bad.status, bad.attempts, bad.last_error, bad.sent_at) == (
        OutboxStatus.failed,
        1,
        "550 5.1.1 user unknown",
        None,
    )
    assert deliver(NOW + timedelta(days=1)).failed == []  # never retried by itself


def test_421_closing_channel_stops_the_batch(ctx, mail_config, smtp_sink):
    smtp_sink.answer("421 4.3.2 shutting down")
    first, second = queue(2)

    report = deliver(NOW)

    assert report.retried == [first.id] and report.stopped == "421 4.3.2 shutting down"
    assert [(r.status, r.attempts) for r in all_rows()] == [(OutboxStatus.pending, 1), (OutboxStatus.pending, 0)]


def test_an_unsendable_row_fails_without_touching_the_server(ctx, mail_config, smtp_sink):
    [bad] = queue(1, subject="บรรทัดแรก\nBcc: victim@example.com")
    [good] = queue(1, start=1)

    report = deliver(NOW)

    assert report.failed == [bad.id] and report.sent == [good.id]
    assert fresh(bad).last_error.startswith("cannot build the message")
    assert list(smtp_sink.message_ids()) == [good.message_id]


# -- the sweeper --------------------------------------------------------------------


def claimed_ago(row: OutboxMessage, age: timedelta) -> None:
    """Make the row's claim `age` old by the real clock, as if its sender stopped renewing then."""
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == row.id).values(claimed_at=utcnow() - age))
    db.session.commit()


def test_the_sweeper_frees_a_row_whose_sender_died(ctx, mail_config, smtp_sink):
    [row] = queue(1)
    assert claim(NOW, "dead-sender") == row.id  # …and the sender never finished

    claimed_ago(row, LEASE - timedelta(seconds=5))
    assert sweep(NOW) == []  # the lease has not run out yet
    assert deliver(NOW).sent == []  # nor does anyone else take it
    claimed_ago(row, LEASE + timedelta(seconds=1))
    assert sweep(NOW) == [row.id]
    swept = fresh(row)
    assert (swept.status, swept.attempts, swept.claimed_by, swept.next_attempt_at) == (
        OutboxStatus.pending,
        1,
        None,
        NOW,
    )
    assert "lease expired" in swept.last_error

    assert deliver(NOW).sent == [row.id]
    assert smtp_sink.message_ids() == {row.message_id: 1}


def test_a_pass_dated_later_does_not_free_a_live_claim(ctx, mail_config, smtp_sink):
    """A pass run with --now past the lease frees nothing a live sender just claimed:
    leases run on the real clock (the double sends of issue 9)."""
    [row] = queue(1)
    claim(NOW, "live-sender")

    report = deliver(NOW + LEASE + timedelta(minutes=2))

    assert report.swept == [] and report.sent == []
    assert (fresh(row).status, fresh(row).claimed_by) == (OutboxStatus.sending, "live-sender")


def test_a_row_that_keeps_killing_its_sender_ends_as_failed(ctx):
    [row] = queue(1)
    row.attempts = MAX_ATTEMPTS - 1
    db.session.commit()
    claim(NOW, "dead-sender")
    claimed_ago(row, LEASE + timedelta(minutes=1))

    assert sweep(NOW) == [row.id]
    assert fresh(row).status is OutboxStatus.failed


def test_deliver_sweeps_before_it_claims(ctx, mail_config, smtp_sink):
    [row] = queue(1)
    claim(NOW, "dead-sender")
    claimed_ago(row, LEASE + timedelta(minutes=1))

    report = deliver(NOW + timedelta(minutes=1))

    assert report.swept == [row.id] and report.sent == [row.id]


def test_the_lease_is_a_setting(ctx, app):
    [row] = queue(1)
    claim(NOW, "dead-sender")
    claimed_ago(row, timedelta(seconds=3))
    assert sweep(NOW) == []
    app.config["TRACKER_OUTBOX_LEASE_SECONDS"] = 2
    try:
        assert sweep(NOW) == [row.id]
    finally:
        app.config["TRACKER_OUTBOX_LEASE_SECONDS"] = 600


def test_a_message_accepted_after_its_lease_was_lost_is_recorded_as_sent(ctx, mail_config, smtp_sink):
    """The server said 250 but a sweeper had freed the row meanwhile: still sent, never resent."""
    [row] = queue(1)

    def sweep_during_data(n, envelope):
        with ctx_app.app_context():  # another sender's sweeper, in its own session
            claimed_ago(row, LEASE + timedelta(seconds=1))
            assert sweep(NOW) == [row.id]
            db.session.remove()
        return None

    ctx_app = current_app._get_current_object()
    smtp_sink.rule = sweep_during_data
    report = deliver(NOW, sender_id="slow")

    assert report.sent == [row.id] and report.lease_lost == [row.id]
    assert (fresh(row).status, fresh(row).sent_at) == (OutboxStatus.sent, NOW)
    assert deliver(NOW + timedelta(hours=1)).sent == []  # nothing left to send again
    assert smtp_sink.message_ids() == {row.message_id: 1}


# -- captured mode (no mail server) -----------------------------------------------


def test_without_a_mail_server_messages_are_captured_not_sent(ctx, no_mail_server, smtp_sink):
    rows = queue(2)

    report = deliver(NOW)

    assert report.captured == [r.id for r in rows] and report.sent == []
    assert [(r.status, r.sent_at, r.attempts) for r in all_rows()] == [(OutboxStatus.captured, None, 0)] * 2
    assert smtp_sink.received == []
    assert deliver(NOW + timedelta(days=1)).captured == []  # captured once


# -- resending ------------------------------------------------------------------------


def test_resending_a_failed_message_sends_the_same_message_once(world, mail_config, smtp_sink):
    smtp_sink.answer("554 5.7.1 rejected by policy")
    [row] = queue(1, organization_id=world.org.id)
    deliver(NOW)
    assert fresh(row).status is OutboxStatus.failed

    row = fresh(row)
    resend(row, world.admin, NOW + timedelta(hours=1))
    db.session.commit()

    row = fresh(row)
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == (
        OutboxStatus.pending,
        0,
        None,
        NOW + timedelta(hours=1),
    )
    entry = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "outbox")).one()
    assert (entry.entity_id, entry.action, entry.old_value, entry.new_value, entry.actor_id, entry.note) == (
        row.id,
        "resend",
        "failed",
        "pending",
        world.admin.id,
        "554 5.7.1 rejected by policy",
    )

    smtp_sink.accept()
    assert deliver(NOW + timedelta(hours=1)).sent == [row.id]
    [got] = smtp_sink.received
    # The fixed Message-ID, and byte for byte what build_email gives.
    assert got.message_id == row.message_id
    assert got.raw == build_email(fresh(row)).as_bytes()


@pytest.mark.parametrize("status", [OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.sent])
def test_only_failed_or_captured_messages_can_be_resent(world, status):
    [row] = queue(1, organization_id=world.org.id)
    row.status = status
    db.session.commit()

    with pytest.raises(ServiceError):
        resend(row, world.admin, NOW)


def test_a_captured_message_is_resent_only_once_a_server_is_configured(world, app, no_mail_server):
    [row] = queue(1, organization_id=world.org.id)
    deliver(NOW)
    row = fresh(row)

    with pytest.raises(ServiceError, match="TRACKER_MAIL_SERVER"):
        resend(row, world.admin, NOW)
    app.config["MAIL_SERVER"] = "mail.example.go.th"
    resend(row, world.admin, NOW)
    assert row.status is OutboxStatus.pending


# -- the commands ---------------------------------------------------------------------


def test_outbox_json_lists_the_messages(ctx, runner, mail_config, smtp_sink):
    smtp_sink.rule = lambda n, env: "550 5.1.1 user unknown" if n == 1 else None
    rows = queue(3)
    deliver(NOW)

    result = runner.invoke(args=["outbox", "--json"])

    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert sorted(m["id"] for m in listed) == [r.id for r in rows]
    first = next(m for m in listed if m["id"] == rows[0].id)
    assert first == {
        "id": rows[0].id,
        "kind": "reminder",
        "for_date": "2023-08-01",
        "recipient": "user0@example.go.th",
        "subject": fresh(rows[0]).subject,
        "status": "failed",
        "attempts": 1,
        "last_error": "550 5.1.1 user unknown",
        "created_at": "2023-08-01T01:00:00+00:00",
        "sent_at": None,
        "message_id": rows[0].message_id,
    }
    failed = json.loads(runner.invoke(args=["outbox", "--json", "--status", "failed"]).stdout)
    assert [m["id"] for m in failed] == [rows[0].id]
    assert len(json.loads(runner.invoke(args=["outbox", "--json", "--limit", "2"]).stdout)) == 2


def test_outbox_rejects_an_unknown_status(runner):
    result = runner.invoke(args=["outbox", "--status", "lost"])
    assert result.exit_code == 2 and "lost" in result.output


def test_deliver_command_sends_as_of_now(ctx, runner, mail_config, smtp_sink):
    rows = queue(2)

    # 07:59 UTC+7 is before the queue time (08:00 Bangkok): nothing is due yet.
    early = runner.invoke(args=["deliver", "--now", "2023-08-01T07:59"])
    assert early.exit_code == 0 and "ส่งแล้ว 0 ·" in early.output
    result = runner.invoke(args=["deliver", "--now", "2023-08-01T08:00+07:00"])

    assert result.exit_code == 0, result.output
    assert "ส่งแล้ว 2 ·" in result.output
    assert [r.status for r in all_rows()] == [OutboxStatus.sent] * 2
    assert smtp_sink.message_ids() == {r.message_id: 1 for r in rows}


def test_deliver_command_fails_when_the_server_cannot_be_reached(app, ctx, runner, mail_config):
    from smtp_sink import refused_port

    app.config["MAIL_PORT"] = refused_port()
    queue(1)

    result = runner.invoke(args=["deliver", "--now", "2023-08-01T09:00"])

    assert result.exit_code == 1
    assert "ติดต่อเซิร์ฟเวอร์อีเมลไม่ได้ จะลองใหม่ภายหลัง" in result.output
    assert "Traceback" not in result.output


def test_deliver_command_rejects_a_bad_time(runner):
    result = runner.invoke(args=["deliver", "--now", "พรุ่งนี้"])
    assert result.exit_code == 2 and "ISO 8601" in result.output


def test_a_message_of_no_organization_is_not_resent(world, mail_config, smtp_sink):
    """Found by mypy: a resend is journaled in the message's organization; with none the
    journal row could not be written (an IntegrityError, a 500)."""
    smtp_sink.answer("554 5.7.1 rejected by policy")
    [row] = queue(1)
    deliver(NOW)
    row = fresh(row)
    assert row.status is OutboxStatus.failed and row.organization_id is None
    with pytest.raises(PermissionDenied):
        resend(row, world.admin, NOW + timedelta(hours=1))
    db.session.rollback()
    assert fresh(row).status is OutboxStatus.failed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == 0
