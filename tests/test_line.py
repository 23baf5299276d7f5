"""LINE as a channel (issue 15), against the LINE API emulator on 127.0.0.1.

An admin connects the Official Account (secrets encrypted, never shown again);
the webhook refuses what LINE did not sign and handles each event once; a
person links LINE through the account-linking flow, chooses LINE per event
kind, and reminders and digests arrive at the emulator as short Thai texts,
combined into one push per person and pass; faults are retried with the same
X-Line-Retry-Key; blocking the account, the monthly cap or a refusal send the
email instead.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from conftest import NOW, connect_line, link_line

from tracker.db import db
from tracker.line.models import LineChannel, LineLink, LineLinkNonce, LineWebhookEvent, NotificationChoice
from tracker.notify.delivery import deliver
from tracker.notify.digests import queue_digests
from tracker.notify.models import OutboxItem, OutboxMessage, OutboxStatus
from tracker.notify.reminders import queue_reminders
from tracker.thaidate import BANGKOK

#: Tue 25 Jul 2023 08:30 Bangkok: step 1.1 of the world (due Mon 31 Jul) gets its 7-days-before... no:
#: 4 business days before. Mon 7 Aug 08:30: 1.1 overdue, 2.2 (due 15 Aug) 6 business days ahead.
MONDAY = datetime(2023, 8, 7, 8, 30, tzinfo=BANGKOK)


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def choose(user, **choices) -> None:
    for kind, choice in choices.items():
        db.session.add(NotificationChoice(user_id=user.id, event_kind=kind, choice=choice))
    db.session.commit()


# -- connecting the account ----------------------------------------------------------------------------


def test_an_admin_connects_the_account_and_the_secrets_are_stored_encrypted(world, login, line_emulator):
    client = login(world.admin)
    page = client.get("/admin/line").get_data(as_text=True)
    assert "ยังไม่ได้เชื่อมต่อ" in page and "/line/webhook/testorg" in page

    response = client.post(
        "/admin/line",
        data={
            "channel_id": "1657000000",
            "channel_secret": line_emulator.secret,
            "access_token": line_emulator.token,
            "monthly_cap": "250",
            "default_reminder": "line",
            "default_overdue": "both",
            "default_digest": "email",
        },
    )
    assert response.status_code == 302
    page = client.get("/admin/line").get_data(as_text=True)
    assert "ITA เทศบาลตำบลบ้านเป็ด" in page and "@ita-banpet" in page  # from LINE's bot info
    assert "ใช้ไป 0 จาก 300 ข้อความ" in page  # LINE's own quota, read live
    # Never shown again, and not stored in the clear.
    assert line_emulator.secret not in page and line_emulator.token not in page
    with db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT secret_encrypted, token_encrypted, monthly_cap FROM line_channels")).one()
    assert line_emulator.secret not in stored[0] and line_emulator.token not in stored[1] and stored[2] == 250
    channel = db.session.scalar(sa.select(LineChannel))
    assert channel.default_choices == {"reminder": "line", "overdue": "both", "digest": "email"}

    # Saving again with blank secret and token keeps them.
    response = client.post(
        "/admin/line",
        data={
            "channel_id": "1657000000",
            "channel_secret": "",
            "access_token": "",
            "monthly_cap": "200",
            "default_reminder": "line",
            "default_overdue": "line",
            "default_digest": "none",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    again = db.session.scalar(sa.select(LineChannel))
    assert (again.secret_encrypted, again.token_encrypted, again.monthly_cap) == (stored[0], stored[1], 200)


def test_a_token_line_refuses_is_not_saved_and_the_admin_is_told_in_thai(world, login, line_emulator):
    client = login(world.admin)
    response = client.post(
        "/admin/line",
        data={
            "channel_id": "1657000000",
            "channel_secret": line_emulator.secret,
            "access_token": "a-token-that-line-does-not-know-at-all",
            "monthly_cap": "300",
            "default_reminder": "email",
            "default_overdue": "email",
            "default_digest": "email",
        },
    )
    assert response.status_code == 400
    assert "LINE ไม่ยอมรับ Channel access token นี้ (HTTP 401)" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineChannel)) == 0

    response = client.post(
        "/admin/line",
        data={
            "channel_id": "abc",
            "channel_secret": "short",
            "access_token": "",
            "monthly_cap": "-1",
            "default_reminder": "pigeon",
            "default_overdue": "email",
            "default_digest": "email",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for problem in (
        "Channel ID ต้องเป็นตัวเลข",
        "Channel secret ต้องเป็นเลขฐานสิบหก 32 ตัว",
        "โปรดกรอก Channel access token",
        "เพดานจำนวนการส่งต่อเดือนต้องเป็นจำนวนเต็มบวก",
        "ช่องทางของ “แจ้งเตือนก่อนครบกำหนดและในวันครบกำหนด” ไม่ถูกต้อง",
    ):
        assert problem in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineChannel)) == 0


@pytest.mark.parametrize("who", ["manager", "owner_palad", "viewer"])
def test_only_admins_see_the_line_settings(world, login, line_emulator, who):
    client = login(getattr(world, who))
    assert client.get("/admin/line").status_code == 403
    assert client.post("/admin/line", data={"channel_id": "1"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineChannel)) == 0


def test_the_test_message_reaches_the_admins_own_line(world, login, line_emulator):
    connect_line(world.org, world.admin, line_emulator)
    client = login(world.admin)
    response = client.post("/admin/line/test", follow_redirects=True)
    assert response.status_code == 400 and "เชื่อมบัญชี LINE ของคุณเองก่อน" in response.get_data(as_text=True)
    line_user = link_line(world.admin, line_emulator)
    page = client.post("/admin/line/test", follow_redirects=True).get_data(as_text=True)
    assert "ส่งข้อความทดสอบไปยัง LINE ของคุณแล้ว" in page
    [push] = line_emulator.delivered
    assert push.to == line_user and "ข้อความทดสอบ" in push.texts[0] and push.retry_key


# -- the webhook -----------------------------------------------------------------------------------------


def test_a_forged_webhook_is_refused_and_nothing_is_written(world, line_emulator, live_server):
    connect_line(world.org, world.admin, line_emulator)
    nonce = LineLinkNonce(nonce="n" * 32, user_id=world.owner_palad.id, organization_id=world.org.id, created_at=NOW)
    db.session.add(nonce)
    db.session.commit()
    url = f"{live_server}/line/webhook/testorg"
    intruder = line_emulator.new_user_id()
    event = line_emulator.event("accountLink", intruder, link={"result": "ok", "nonce": "n" * 32})

    # Signed with another secret, no signature at all, a signature of another body.
    assert line_emulator.send_events(url, [event], secret="f" * 32)[0] == 401
    assert line_emulator.send_events(url, [event], signature="")[0] == 400
    assert line_emulator.send_events(url, [event], signature=line_emulator.sign(b"{}"))[0] == 401
    # An organization without LINE, or none at all.
    assert line_emulator.send_events(f"{live_server}/line/webhook/nowhere", [event])[0] == 404
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineLink)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineWebhookEvent)) == 0
    assert db.session.get(LineLinkNonce, "n" * 32).used_at is None
    assert line_emulator.replies == []


def test_linking_end_to_end_and_a_redelivered_event_counts_once(world, login, line_emulator, live_server, app):
    connect_line(world.org, world.admin, line_emulator)
    url = f"{live_server}/line/webhook/testorg"
    line_emulator.webhook_url = url
    line_user = line_emulator.new_user_id()
    app.config["TRACKER_BASE_URL"], saved = live_server, app.config["TRACKER_BASE_URL"]
    try:
        # 1. The person writes to the Official Account; it replies with a link to confirm.
        line_emulator.friends.add(line_user)
        assert line_emulator.send_events(url, [line_emulator.event("message", line_user)])[0] == 200
        [reply] = line_emulator.replies
        text = reply["messages"][0]["text"]
        link = re.search(r"(http\S+/line/link\?linkToken=\S+)", text).group(1)
        assert link.startswith(f"{live_server}/line/link?linkToken=")
        # 2. Logged in, they confirm; the tracker sends them to LINE's dialog with a nonce.
        client = login(world.owner_palad)
        path = link[len(live_server) :]
        page = client.get(path).get_data(as_text=True)
        assert "ยืนยันการเชื่อมบัญชี" in page and world.owner_palad.display_name in page
        token = parse_qs(urlparse(link).query)["linkToken"][0]
        response = client.post("/line/link", data={"linkToken": token})
        dialog = urlparse(response.headers["Location"])
        assert response.status_code == 302 and dialog.path == "/dialog/bot/accountLink"
        nonce = parse_qs(dialog.query)["nonce"][0]
        assert parse_qs(dialog.query)["linkToken"] == [token]
        # 3. LINE sends the accountLink event with the nonce: the accounts are bound.
        import urllib.request

        with urllib.request.urlopen(f"{line_emulator.url}{dialog.path}?{dialog.query}", timeout=30) as r:
            assert r.status == 200
        assert line_emulator.webhook_answers == [200]
    finally:
        app.config["TRACKER_BASE_URL"] = saved
    db.session.expire_all()
    [link_row] = db.session.scalars(sa.select(LineLink)).all()
    assert (link_row.user_id, link_row.line_user_id) == (world.owner_palad.id, line_user)
    assert db.session.get(LineLinkNonce, nonce).used_at is not None
    assert "เชื่อมบัญชี LINE กับ" in line_emulator.replies[-1]["messages"][0]["text"]

    # The same nonce again (a replayed or redelivered link event) binds nobody else.
    other = line_emulator.new_user_id()
    event = line_emulator.event("accountLink", other, link={"result": "ok", "nonce": nonce})
    before = len(line_emulator.replies)
    assert line_emulator.send_events(url, [event])[0] == 200
    # A redelivery of one event (same webhookEventId) is handled once: one reply only.
    message = line_emulator.event("message", other)
    redelivered = dict(message, deliveryContext={"isRedelivery": True})
    assert line_emulator.send_events(url, [message])[0] == 200
    assert line_emulator.send_events(url, [redelivered])[0] == 200
    assert len(line_emulator.replies) == before + 2  # the failed link notice, then one link offer
    db.session.expire_all()
    assert [(link.user_id, link.line_user_id) for link in db.session.scalars(sa.select(LineLink))] == [
        (world.owner_palad.id, line_user)
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineWebhookEvent)) == 4

    # The profile shows the link; unlinking there stops LINE at once.
    page = client.get("/profile/line").get_data(as_text=True)
    assert "เชื่อมบัญชี LINE แล้ว" in page
    page = client.post("/profile/line/unlink", follow_redirects=True).get_data(as_text=True)
    assert "ยกเลิกการเชื่อมบัญชี LINE แล้ว" in page and "ยังไม่ได้เชื่อมบัญชี LINE" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineLink)) == 0


def test_an_expired_nonce_binds_nobody(world, line_emulator, live_server):
    connect_line(world.org, world.admin, line_emulator)
    old = datetime.now(UTC) - timedelta(hours=1)
    db.session.add(
        LineLinkNonce(nonce="e" * 32, user_id=world.owner_palad.id, organization_id=world.org.id, created_at=old)
    )
    db.session.commit()
    event = line_emulator.event("accountLink", line_emulator.new_user_id(), link={"result": "ok", "nonce": "e" * 32})
    assert line_emulator.send_events(f"{live_server}/line/webhook/testorg", [event])[0] == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineLink)) == 0


# -- choosing channels and delivering -----------------------------------------------------------------------


def test_reminders_by_line_arrive_as_short_thai_text_with_due_date_and_link(world, line_emulator):
    connect_line(world.org, world.admin, line_emulator)
    palad = link_line(world.owner_palad, line_emulator)
    choose(world.owner_palad, reminder="line", overdue="line")
    queue_reminders(MONDAY)
    db.session.commit()
    report = deliver(MONDAY)
    assert report.stopped is None and not report.failed

    by_recipient = {(r.recipient, r.channel): r for r in rows()}
    line_row = by_recipient[("palad.owner@test.go.th", "line")]
    assert ("palad.owner@test.go.th", "email") not in by_recipient  # LINE instead of email
    # The department mailbox still by email (captured here: no mail server in this test).
    assert by_recipient[("palad@example.go.th", "email")].status is OutboxStatus.captured
    assert line_row.status is OutboxStatus.sent and line_row.line_retry_key
    [push] = line_emulator.delivered_to(palad)
    [text] = push.texts
    step = world.step(world.m1, 1)
    assert f"มาตรการ {world.m1.number} ขั้นตอนที่ 1: {step.title}" in text
    assert "ครบกำหนด 31 ก.ค. 2566" in text and "เลยมา 7 วัน" in text
    assert f"/steps/{step.id}" in text and len(text) < 1000
    # The reminder is recorded as given, with the LINE message.
    items = db.session.scalars(sa.select(OutboxItem).where(OutboxItem.message_id == line_row.id)).all()
    assert {i.step_id for i in items} == {s.id for s in world.m1.steps if s.due_date <= date(2023, 8, 7)} | {
        i.step_id for i in items
    }


def test_a_person_chooses_per_event_kind_and_without_a_link_gets_email(world, login, line_emulator):
    connect_line(world.org, world.admin, line_emulator, reminder="line", overdue="line")
    client = login(world.owner_palad)
    page = client.get("/profile/line").get_data(as_text=True)
    assert "ยังไม่ได้เชื่อมบัญชี LINE" in page and "ตามค่าเริ่มต้นขององค์กร: LINE" in page
    response = client.post(
        "/profile/line", data={"choice_reminder": "both", "choice_overdue": "none", "choice_digest": ""}
    )
    assert response.status_code == 302
    assert {(c.event_kind, c.choice) for c in db.session.scalars(sa.select(NotificationChoice))} == {
        ("reminder", "both"),
        ("overdue", "none"),
    }
    bad = client.post("/profile/line", data={"choice_reminder": "fax"})
    assert bad.status_code == 400 and "ไม่ถูกต้อง" in bad.get_data(as_text=True)

    # Overdue "none": on Monday palad's only step to mention is overdue (1.1): nothing for them.
    queue_reminders(MONDAY)
    db.session.commit()
    assert [r for r in rows() if r.recipient == "palad.owner@test.go.th"] == []
    # Tue 22 Aug: 1.2 is 7 business days ahead. Not linked yet, so "both" means email only,
    # and the still-overdue 1.1 stays out of it.
    queue_reminders(datetime(2023, 8, 22, 8, 30, tzinfo=BANGKOK))
    db.session.commit()
    [mine] = [r for r in rows() if r.recipient == "palad.owner@test.go.th"]
    assert mine.channel == "email"
    assert world.step(world.m1, 2).title in mine.body_text and world.step(world.m1, 1).title not in mine.body_text
    # The department mailbox (no person) still hears about 1.1 by email.
    box = next(r for r in rows() if r.recipient == "palad@example.go.th" and r.for_date == date(2023, 8, 22))
    assert world.step(world.m1, 1).title in box.body_text


def test_two_messages_to_one_person_in_one_pass_go_as_one_push(world, line_emulator):
    connect_line(world.org, world.admin, line_emulator, reminder="line", overdue="line", digest="line")
    from tracker.orgs.models import Department

    world.palad.head = world.owner_palad  # heads get digests
    db.session.commit()
    palad = link_line(world.owner_palad, line_emulator)
    queue_reminders(MONDAY)
    queue_digests(MONDAY)
    db.session.commit()
    line_rows = [r for r in rows() if r.channel == "line"]
    assert sorted(r.kind for r in line_rows) == ["digest_monthly", "digest_weekly", "reminder"]
    deliver(MONDAY)
    [push] = line_emulator.delivered_to(palad)
    assert len(push.messages) == 3 and {m["type"] for m in push.messages} == {"text", "flex"}
    flex = next(m for m in push.messages if m["type"] == "flex")
    assert flex["contents"]["header"]["contents"][0]["text"].startswith("สรุปงาน ITA")
    sent = [r for r in rows() if r.channel == "line"]
    assert {r.status for r in sent} == {OutboxStatus.sent} and len({r.line_retry_key for r in sent}) == 1
    assert Department  # imported for the head relation


def test_faults_are_retried_with_the_same_retry_key_and_nothing_doubles(world, line_emulator):
    connect_line(world.org, world.admin, line_emulator, reminder="line", overdue="line")
    palad = link_line(world.owner_palad, line_emulator)
    queue_reminders(MONDAY)
    db.session.commit()
    [line_row] = [r for r in rows() if r.channel == "line"]

    # 429 with Retry-After: back to pending, not before LINE's wait, and the pass stops.
    line_emulator.rule = lambda n, body: ("status", 429, {"Retry-After": "3600"}) if n == 1 else None
    report = deliver(MONDAY)
    assert report.stopped and "429" in report.stopped
    row = db.session.get(OutboxMessage, line_row.id)
    db.session.refresh(row)
    key = row.line_retry_key
    assert row.status is OutboxStatus.pending and row.next_attempt_at >= MONDAY + timedelta(seconds=3600)
    assert "rate limit" in row.last_error

    # 500, then a timeout after LINE accepted it: retried with the same key, the 409 means "sent".
    line_emulator.rule = lambda n, body: {2: ("status", 500, {}), 3: "timeout-after-accept"}.get(n)
    later = MONDAY + timedelta(hours=2)
    deliver(later)
    deliver(later + timedelta(hours=1))
    assert line_emulator.delivered_to(palad) and len(line_emulator.delivered_to(palad)) == 1
    deliver(later + timedelta(hours=2))
    row = rows()[[r.id for r in rows()].index(line_row.id)]
    assert row.status is OutboxStatus.sent and row.line_retry_key == key and row.attempts == 4
    assert line_emulator.pushes_seen == 4 and len(line_emulator.delivered_to(palad)) == 1
    assert {p.retry_key for p in line_emulator.delivered} == {key}


def test_blocking_the_account_switches_the_person_back_to_email(
    world, line_emulator, live_server, mail_config, smtp_sink
):
    connect_line(world.org, world.admin, line_emulator, reminder="line", overdue="line")
    palad = link_line(world.owner_palad, line_emulator)
    queue_reminders(MONDAY)
    db.session.commit()
    # Blocked before the pass delivered: LINE stops at once, the email goes instead.
    assert line_emulator.block(f"{live_server}/line/webhook/testorg", palad)[0] == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineLink)) == 0
    report = deliver(MONDAY)
    line_row = next(r for r in rows() if r.channel == "line")
    assert line_row.status is OutboxStatus.failed and "บล็อกบัญชี" in line_row.last_error
    assert report.fell_back == [line_row.id]
    twin = next(r for r in rows() if r.channel == "email" and r.recipient == "palad.owner@test.go.th")
    assert twin.status is OutboxStatus.sent and twin.subject == line_row.subject
    assert {
        i.message_id
        for i in db.session.scalars(sa.select(OutboxItem).where(OutboxItem.recipient == "palad.owner@test.go.th"))
    } == {twin.id}
    assert line_emulator.delivered == [] and twin.message_id in smtp_sink.message_ids()
    # The next business day the reminders are planned by email from the start.
    queue_reminders(MONDAY + timedelta(days=1))
    db.session.commit()
    assert not [r for r in rows() if r.channel == "line" and r.for_date == date(2023, 8, 8)]


def test_the_monthly_cap_sends_email_instead_and_the_outbox_page_shows_the_count(world, login, line_emulator):
    connect_line(world.org, world.admin, line_emulator, reminder="line", overdue="line", cap=1)
    palad = link_line(world.owner_palad, line_emulator)
    strategy = link_line(world.owner_strategy, line_emulator)
    queue_reminders(MONDAY)
    db.session.commit()
    deliver(datetime.now(UTC))  # the page counts the real current month
    line_rows = [r for r in rows() if r.channel == "line"]
    assert sorted(r.status.value for r in line_rows) == ["failed", "sent"]
    capped = next(r for r in line_rows if r.status is OutboxStatus.failed)
    assert "เพดานของเดือนนี้ (1 ครั้ง)" in capped.last_error
    assert any(r.channel == "email" and r.recipient == capped.recipient for r in rows())
    assert len(line_emulator.delivered) == 1 and line_emulator.delivered[0].to in (palad, strategy)
    page = login(world.admin).get("/admin/outbox").get_data(as_text=True)
    assert "LINE เดือนนี้: ส่ง 1 ครั้ง (1 ข้อความ) จากเพดาน 1 ครั้ง" in page


def test_a_refused_push_is_failed_with_linés_reason_and_sent_by_email(world, line_emulator):
    connect_line(world.org, world.admin, line_emulator, reminder="line", overdue="line")
    link_line(world.owner_palad, line_emulator)
    line_emulator.friends.clear()  # LINE no longer knows this user ID: 400
    queue_reminders(MONDAY)
    db.session.commit()
    deliver(MONDAY)
    line_row = next(r for r in rows() if r.channel == "line")
    assert line_row.status is OutboxStatus.failed
    assert line_row.last_error.startswith("ส่ง LINE ไม่สำเร็จ (LINE 400: Failed to send messages)")
    assert any(r.channel == "email" and r.recipient == line_row.recipient for r in rows())


def test_a_sender_that_dies_after_line_accepted_the_push_sends_nothing_twice(world, line_emulator, monkeypatch):
    """The crash window email cannot close: LINE executed the push, the sender died before
    recording it. The row's retry key was committed before the push, so after the lease
    the retry is answered 409 (already accepted) and recorded as sent: once, not twice."""
    import time

    from flask import current_app

    from tracker.line import client as line_client

    # Leases run on the real clock (issue 9): a short one, so the dead sender's claim runs out in the test.
    monkeypatch.setitem(current_app.config, "TRACKER_OUTBOX_LEASE_SECONDS", 2)

    connect_line(world.org, world.admin, line_emulator, reminder="line", overdue="line")
    palad = link_line(world.owner_palad, line_emulator)
    queue_reminders(MONDAY)
    db.session.commit()
    real_push = line_client.push

    def push_then_die(*args, **kwargs):
        real_push(*args, **kwargs)
        raise KeyboardInterrupt("the sender was killed")

    monkeypatch.setattr(line_client, "push", push_then_die)
    with pytest.raises(KeyboardInterrupt):
        deliver(MONDAY)
    monkeypatch.setattr(line_client, "push", real_push)
    db.session.rollback()
    line_row = next(r for r in rows() if r.channel == "line")
    assert line_row.status is OutboxStatus.sending and line_row.line_retry_key
    assert len(line_emulator.delivered_to(palad)) == 1

    deliver(MONDAY + timedelta(minutes=1))  # within the lease: left alone
    assert next(r for r in rows() if r.channel == "line").status is OutboxStatus.sending
    time.sleep(2.5)  # nobody renews a dead sender's claim
    report = deliver(MONDAY + timedelta(minutes=11))  # the sweeper frees it; LINE answers 409
    assert line_row.id in report.swept and line_row.id in report.sent
    line_row = next(r for r in rows() if r.channel == "line")
    assert line_row.status is OutboxStatus.sent and line_row.attempts == 2
    assert len(line_emulator.delivered_to(palad)) == 1 and line_emulator.pushes_seen == 2
