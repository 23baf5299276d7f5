"""Notification pages: the organization's rules (admins), a person's digest
settings, and the one-click unsubscribe link of the digests (RFC 8058)."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from tracker.db import db
from tracker.notify.digests import queue_digests
from tracker.notify.models import NotificationRules
from tracker.notify.rules import rules_for
from tracker.notify.tokens import unsubscribe_token
from tracker.plans.models import JournalEntry
from tracker.thaidate import BANGKOK

VALID = {
    "days_before": "10, 3, 1",
    "remind_on_due_date": "on",
    "overdue_weekday": "4",
    "escalate_after_days": "14",
    "digest_weekday": "1",
    "lookahead_days": "21",
    "signoff_reminder_days": "5",
    "send_after": "07:30",
}


def page(response) -> str:
    return response.get_data(as_text=True)


# -- the organization's rules ------------------------------------------------------------------


def test_an_admin_sees_the_rules_with_their_defaults(world, login):
    response = login(world.admin).get("/admin/notifications")

    assert response.status_code == 200
    html = page(response)
    assert "กฎการแจ้งเตือนทางอีเมล" in html and "แจ้งล่วงหน้ากี่วันทำการก่อนครบกำหนด" in html
    assert 'value="7,1"' in html and 'value="08:00"' in html and 'value="14"' in html
    assert "เตือนผู้บริหารอีกครั้งเมื่อรายงานรอการพิจารณาเกินกี่วันทำการ" in html and 'value="3"' in html
    assert db.session.scalar(sa.select(NotificationRules)) is None  # reading creates nothing


def test_the_admin_page_links_to_the_rules(world, login):
    assert 'href="/admin/notifications"' in page(login(world.admin).get("/admin/"))


def test_an_admin_changes_the_rules_and_each_change_is_journaled(world, login):
    client = login(world.admin)

    response = client.post("/admin/notifications", data=VALID)

    assert response.status_code == 302
    rules = rules_for(world.org.id)
    assert (
        rules.days_before,
        rules.remind_on_due_date,
        rules.overdue_weekday,
        rules.escalate_after_days,
        rules.digest_weekday,
        rules.monthly_summary,
        rules.lookahead_days,
        rules.send_after_minutes,
        rules.signoff_reminder_days,
    ) == ("10,3,1", True, 4, 14, 1, False, 21, 7 * 60 + 30, 5)
    journal = {
        (e.field, e.old_value, e.new_value): e.actor_id
        for e in db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "notification_rules"))
    }
    assert journal == {
        ("days_before", "7,1", "10,3,1"): world.admin.id,
        ("overdue_weekday", "0", "4"): world.admin.id,
        ("escalate_after_days", "7", "14"): world.admin.id,
        ("digest_weekday", "0", "1"): world.admin.id,
        ("monthly_summary", "True", "False"): world.admin.id,
        ("lookahead_days", "14", "21"): world.admin.id,
        ("send_after_minutes", "480", "450"): world.admin.id,
        ("signoff_reminder_days", "3", "5"): world.admin.id,
    }
    assert "บันทึกกฎการแจ้งเตือนแล้ว" in page(client.get("/admin/notifications"))


def test_empty_weekdays_and_escalation_turn_those_rules_off(world, login):
    client = login(world.admin)

    client.post(
        "/admin/notifications",
        data={**VALID, "overdue_weekday": "", "escalate_after_days": "", "digest_weekday": "", "days_before": ""},
    )

    rules = rules_for(world.org.id)
    assert (rules.overdue_weekday, rules.escalate_after_days, rules.digest_weekday, rules.days_before_list) == (
        None,
        None,
        None,
        [],
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("days_before", "7,x", "ต้องเป็นจำนวนวันทำการ"),
        ("days_before", "0", "ต้องเป็นจำนวนวันทำการ"),
        ("days_before", "1,2,3,4,5,6", "ได้ไม่เกิน 5 ครั้ง"),
        ("overdue_weekday", "7", "ต้องเป็นวันในสัปดาห์"),
        ("escalate_after_days", "-1", "ไม่ใช่ตัวเลข"),
        ("escalate_after_days", "400", "ต้องเป็นจำนวนเต็ม 0–365"),
        ("lookahead_days", "", "โปรดระบุจำนวนวัน"),
        ("lookahead_days", "0", "ต้องเป็นจำนวนเต็ม 1–90"),
        ("signoff_reminder_days", "", "โปรดระบุจำนวนวันทำการ"),
        ("signoff_reminder_days", "0", "ต้องเป็นจำนวนเต็ม 1–30"),
        ("signoff_reminder_days", "สาม", "ไม่ใช่ตัวเลข"),
        ("send_after", "25:00", "ต้องเป็นเวลา เช่น 08:00"),
        ("send_after", "แปดโมง", "ต้องเป็นเวลา เช่น 08:00"),
    ],
)
def test_invalid_rules_are_refused_with_a_message_and_nothing_is_saved(world, login, field, value, message):
    client = login(world.admin)

    response = client.post("/admin/notifications", data={**VALID, field: value})

    assert response.status_code == 400
    assert message in page(response)
    if field != "overdue_weekday":  # a text box keeps what was typed (a select has no such option)
        assert f'value="{value}"' in page(response)
    assert db.session.scalar(sa.select(NotificationRules)) is None
    assert db.session.scalar(sa.select(JournalEntry).where(JournalEntry.entity == "notification_rules")) is None


def test_several_problems_are_listed_together(world, login):
    response = login(world.admin).post(
        "/admin/notifications", data={**VALID, "days_before": "abc", "lookahead_days": "999", "send_after": "x"}
    )

    assert response.status_code == 400
    html = page(response)
    assert "แจ้งล่วงหน้า" in html and "สรุปงานที่จะครบกำหนดภายใน" in html and "เวลาเริ่มส่งอีเมล" in html


def test_thai_digits_are_accepted(world, login):
    login(world.admin).post("/admin/notifications", data={**VALID, "days_before": "๕,๒", "send_after": "๙.๓๐"})

    assert rules_for(world.org.id).days_before == "5,2"
    assert rules_for(world.org.id).send_after_minutes == 9 * 60 + 30


@pytest.mark.parametrize("who", ["manager", "owner_palad", "viewer"])
def test_only_admins_may_see_or_change_the_rules(world, login, who):
    client = login(getattr(world, who))

    assert client.get("/admin/notifications").status_code == 403
    assert client.post("/admin/notifications", data=VALID).status_code == 403
    assert db.session.scalar(sa.select(NotificationRules)) is None


def test_anonymous_visitors_are_sent_to_the_login_page(world, client):
    response = client.get("/admin/notifications")

    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_rules_form_needs_its_csrf_token(world, login):
    response = login(world.admin).post("/admin/notifications", data={**VALID, "csrf_token": "bad"})

    assert response.status_code == 400
    assert db.session.scalar(sa.select(NotificationRules)) is None


# -- a person's digest settings -----------------------------------------------------------------


def test_the_profile_links_to_the_notification_settings(world, login):
    assert 'href="/profile/notifications"' in page(login(world.owner_palad).get("/profile"))


def test_a_manager_turns_digests_off_and_picks_a_day(world, login):
    client = login(world.manager)
    html = page(client.get("/profile/notifications"))
    assert "รับสรุปทางอีเมล" in html and "ตามที่องค์กรกำหนด: วันจันทร์" in html

    assert client.post("/profile/notifications", data={"digest_weekday": "3"}).status_code == 302

    assert (world.manager.digest_enabled, world.manager.digest_weekday) == (False, 3)
    entries = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "user")).all()
    assert {(e.field, e.old_value, e.new_value, e.actor_id) for e in entries} == {
        ("digest_enabled", "True", "False", world.manager.id),
        ("digest_weekday", None, "3", world.manager.id),
    }

    client.post("/profile/notifications", data={"digest_enabled": "on", "digest_weekday": ""})
    assert (world.manager.digest_enabled, world.manager.digest_weekday) == (True, None)


def test_an_unknown_weekday_is_refused(world, login):
    response = login(world.manager).post("/profile/notifications", data={"digest_enabled": "on", "digest_weekday": "9"})

    assert response.status_code == 400 and "วันรับสรุปประจำสัปดาห์ไม่ถูกต้อง" in page(response)
    assert world.manager.digest_weekday is None


def test_an_owner_is_told_digests_are_for_managers_and_heads(world, login):
    assert "สรุปส่งถึงผู้บริหารและหัวหน้าหน่วยงานเท่านั้น" in page(login(world.owner_palad).get("/profile/notifications"))


def test_the_settings_page_needs_a_login(world, client):
    assert client.get("/profile/notifications").status_code == 302


# -- one-click unsubscribe ------------------------------------------------------------------------------


def digest_link(world) -> str:
    """The unsubscribe link as it appears in a real digest."""
    [digest, *_] = [
        m
        for m in queue_digests(datetime(2023, 8, 21, 8, 5, tzinfo=BANGKOK))
        if m.kind == "digest_weekly" and m.user_id == world.manager.id
    ]
    db.session.commit()
    line = next(line for line in digest.body_text.splitlines() if "/unsubscribe/" in line)
    return "/unsubscribe/" + line.rsplit("/unsubscribe/", 1)[1]


def test_the_link_shows_a_confirmation_and_changes_nothing_on_get(world, client):
    link = digest_link(world)

    response = client.get(link)

    assert response.status_code == 200
    html = page(response)
    assert "ต้องการหยุดรับสรุป" in html and "ปลัด" in html and 'method="post"' in html
    assert world.manager.digest_enabled is True


def test_posting_the_confirmation_turns_digests_off_without_login_or_csrf_token(world, client):
    link = digest_link(world)

    response = client.post(link, csrf=False)

    assert response.status_code == 200 and "ยกเลิกการรับสรุป" in page(response)
    assert world.manager.digest_enabled is False
    entry = db.session.scalar(sa.select(JournalEntry).where(JournalEntry.field == "digest_enabled"))
    assert (entry.old_value, entry.new_value, entry.actor_id) == ("True", "False", None)
    # No more digests for this person; the head still gets theirs.
    assert all(m.user_id != world.manager.id for m in queue_digests(datetime(2023, 8, 28, 9, tzinfo=BANGKOK)))


def test_a_mail_clients_one_click_post_works(world, client):
    link = digest_link(world)

    response = client.post(
        link, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded", csrf=False
    )

    assert response.status_code == 200
    assert world.manager.digest_enabled is False
    assert (
        client.post(
            link, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded", csrf=False
        ).status_code
        == 200
    )


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoyfQ.forged-signature", "", "..."])
def test_a_forged_or_damaged_token_is_refused(world, client, token):
    for response in (client.get(f"/unsubscribe/{token}x"), client.post(f"/unsubscribe/{token}x", csrf=False)):
        assert response.status_code == 400
        assert "ลิงก์ยกเลิกการรับสรุปไม่ถูกต้อง" in page(response)
    assert world.manager.digest_enabled is True


def test_a_token_for_a_user_who_no_longer_exists_is_refused(world, client):
    token = unsubscribe_token(999_999)

    assert client.post(f"/unsubscribe/{token}", csrf=False).status_code == 400


def test_a_token_signed_with_another_key_is_refused(world, client, app):
    from itsdangerous import URLSafeSerializer

    forged = URLSafeSerializer("not-our-secret", salt="digest-unsubscribe").dumps({"u": world.manager.id})

    assert client.post(f"/unsubscribe/{forged}", csrf=False).status_code == 400
    assert world.manager.digest_enabled is True


def test_the_link_turns_off_only_its_own_persons_digests(world, client):
    world.palad.head = world.owner_palad
    db.session.commit()
    link = digest_link(world)

    client.post(link, csrf=False)

    assert world.manager.digest_enabled is False
    assert world.owner_palad.digest_enabled is True
