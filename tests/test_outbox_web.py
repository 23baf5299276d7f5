"""The outbox pages: admins of the organization only, what was (or would be) sent,
resend of failed messages, and the .eml download."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from conftest import NOW, make_user
from outbox_factory import THAI_TEXT, queue

from tracker.auth.models import Role
from tracker.db import db
from tracker.notify.delivery import deliver
from tracker.notify.models import OutboxMessage, OutboxStatus
from tracker.notify.outbox import ItemSpec
from tracker.orgs.models import Organization
from tracker.plans.models import JournalEntry


def fresh(row: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, row.id)


@pytest.fixture
def no_mail_server(app):
    saved = app.config.get("MAIL_SERVER")
    app.config["MAIL_SERVER"] = None
    yield
    app.config["MAIL_SERVER"] = saved


@pytest.fixture
def message(world):
    [row] = queue(1, organization_id=world.org.id)
    return row


def urls(message_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/admin/outbox"),
        ("get", f"/admin/outbox/{message_id}"),
        ("get", f"/admin/outbox/{message_id}.eml"),
        ("post", f"/admin/outbox/{message_id}/resend"),
    ]


@pytest.mark.parametrize("role", ["manager", "owner_palad", "viewer"])
def test_only_admins_see_the_outbox(world, login, message, role):
    client = login(getattr(world, role))
    for method, url in urls(message.id):
        assert getattr(client, method)(url).status_code == 403, (role, url)


def test_anonymous_visitors_are_sent_to_the_login_page(world, client, message):
    for method, url in urls(message.id):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_another_organizations_messages_do_not_exist_for_an_admin(world, login):
    other = Organization(name="เทศบาลอื่น", slug="other", province="ขอนแก่น")
    db.session.add(other)
    db.session.commit()
    [foreign] = queue(1, organization_id=other.id, subject="ความลับของเทศบาลอื่น")
    client = login(world.admin)

    for method, url in urls(foreign.id)[1:]:
        assert getattr(client, method)(url).status_code == 404, url
    assert "ความลับของเทศบาลอื่น" not in client.get("/admin/outbox").get_data(as_text=True)


def test_the_admin_nav_links_to_the_outbox(world, login):
    assert "กล่องจดหมายออก" in login(world.admin).get("/my-steps").get_data(as_text=True)
    assert "กล่องจดหมายออก" not in login(world.manager).get("/my-steps").get_data(as_text=True)


def test_the_list_filters_by_status_and_pages(world, login, no_mail_server):
    rows = queue(55, organization_id=world.org.id)
    deliver(NOW, limit=3)  # three captured, the rest pending
    client = login(world.admin)

    page1 = client.get("/admin/outbox").get_data(as_text=True)
    assert "จาก 55 ข้อความ" in page1 and "หน้า 1 จาก 2" in page1
    page2 = client.get("/admin/outbox?page=2").get_data(as_text=True)
    assert page2.count('href="/admin/outbox/') == 5
    captured = client.get("/admin/outbox?status=captured").get_data(as_text=True)
    assert "จาก 3 ข้อความ" in captured
    assert all(f'/admin/outbox/{r.id}"' in captured for r in rows[:3])
    assert f'/admin/outbox/{rows[3].id}"' not in captured
    assert "TRACKER_MAIL_SERVER" in captured  # says why nothing is sent

    bad = client.get("/admin/outbox?status=lost")
    assert bad.status_code == 400 and "ไม่รู้จักสถานะ" in bad.get_data(as_text=True)


def test_a_message_page_shows_what_is_sent_and_why(world, login, mail_config, smtp_sink):
    step = world.step(world.m1, 1)
    html = '<p>เรียนเจ้าหน้าที่</p><script>alert("x")</script>'
    [row] = queue(
        1,
        organization_id=world.org.id,
        recipient_name="เจ้าหน้าที่สำนักปลัด",
        body_html=html,
        items=[ItemSpec(step.id, "before:7", date(2023, 7, 21), date(2023, 7, 31))],
    )
    smtp_sink.answer("550 5.1.1 user unknown")
    deliver(NOW, sender_id="web-1:42")

    page = login(world.admin).get(f"/admin/outbox/{row.id}").get_data(as_text=True)

    assert row.subject in page  # decoded, not =?utf-8?…
    assert "เจ้าหน้าที่สำนักปลัด &lt;user0@example.go.th&gt;" in page
    assert row.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "550 5.1.1 user unknown" in page and "web-1:42" in page
    assert "ส่งไม่สำเร็จ" in page and "ส่งอีกครั้ง" in page
    assert THAI_TEXT.splitlines()[0] in page
    assert f'href="/steps/{step.id}"' in page and "ล่วงหน้า 7 วันทำการ" in page
    # The HTML part only inside a sandboxed frame, escaped: its script never reaches this page.
    assert "<script>alert" not in page
    assert 'sandbox srcdoc="&lt;p&gt;เรียนเจ้าหน้าที่&lt;/p&gt;&lt;script&gt;alert(&#34;x&#34;)' in page


def test_resending_a_failed_message_queues_it_again_and_journals_it(world, login, mail_config, smtp_sink):
    smtp_sink.answer("550 5.1.1 user unknown")
    [row] = queue(1, organization_id=world.org.id)
    deliver(NOW)
    client = login(world.admin)

    response = client.post(f"/admin/outbox/{row.id}/resend")

    assert response.status_code == 302
    row = fresh(row)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.pending, 0, None)
    entry = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "outbox")).one()
    assert (entry.action, entry.old_value, entry.new_value, entry.actor_id) == (
        "resend",
        "failed",
        "pending",
        world.admin.id,
    )
    smtp_sink.accept()
    assert deliver().sent == [row.id]  # queued again as of the click, i.e. the real clock
    assert smtp_sink.message_ids() == {row.message_id: 1}


def test_a_forged_resend_is_refused(world, login, mail_config, smtp_sink):
    smtp_sink.answer("550 5.1.1 user unknown")
    [row] = queue(1, organization_id=world.org.id)
    deliver(NOW)
    client = login(world.admin)

    assert client.post(f"/admin/outbox/{row.id}/resend", data={"csrf_token": "bad"}).status_code == 400
    assert client.post(f"/admin/outbox/{row.id}/resend", csrf=False).status_code == 400
    assert fresh(row).status is OutboxStatus.failed


def test_a_sent_message_cannot_be_resent(world, login, mail_config, smtp_sink):
    [row] = queue(1, organization_id=world.org.id)
    deliver(NOW)

    response = login(world.admin).post(f"/admin/outbox/{row.id}/resend")

    assert response.status_code == 400 and "ส่งซ้ำได้เฉพาะข้อความที่ส่งไม่สำเร็จ" in response.get_data(as_text=True)
    assert fresh(row).status is OutboxStatus.sent
    assert len(smtp_sink.received) == 1


def test_a_captured_message_can_be_read_and_downloaded(world, login, no_mail_server):
    [row] = queue(1, organization_id=world.org.id)
    assert deliver(NOW).captured == [row.id]
    client = login(world.admin)

    page = client.get(f"/admin/outbox/{row.id}").get_data(as_text=True)
    assert "เก็บไว้ (ไม่ได้ตั้งค่าเมล)" in page and ".eml" in page
    assert "ส่งอีกครั้ง" not in page  # resending would only capture it again

    response = client.get(f"/admin/outbox/{row.id}.eml")
    assert response.status_code == 200 and response.mimetype == "message/rfc822"
    assert response.headers["Content-Disposition"] == f'attachment; filename="outbox-{row.id}.eml"'
    eml = message_from_bytes(response.data, policy=policy.default)
    assert eml["Subject"] == row.subject and eml["Message-ID"] == row.message_id
    assert eml.get_body(("plain",)).get_content() == THAI_TEXT


def test_the_eml_is_byte_for_byte_what_the_server_received(world, login, mail_config, smtp_sink):
    [row] = queue(1, organization_id=world.org.id)
    deliver(NOW)
    [got] = smtp_sink.received

    eml = login(world.admin).get(f"/admin/outbox/{row.id}.eml").data

    assert eml == got.raw


def test_admins_of_another_organization_have_their_own_outbox(world, login):
    other = Organization(name="เทศบาลอื่น", slug="other", province="ขอนแก่น")
    admin2 = make_user(other, "admin@other.go.th", Role.admin)
    db.session.add(other)
    db.session.commit()
    [mine] = queue(1, organization_id=world.org.id)
    [theirs] = queue(1, organization_id=other.id, start=1)

    page = login(admin2).get("/admin/outbox").get_data(as_text=True)

    assert f'/admin/outbox/{theirs.id}"' in page and f'/admin/outbox/{mine.id}"' not in page
