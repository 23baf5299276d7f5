"""Issue 15 in a real browser against the LINE API emulator: an admin connects the
Official Account, an owner links LINE through the whole account-linking flow on a
phone and chooses LINE for reminders; the reminders of the day then arrive at
the emulator. The new pages pass axe-core and fit a 360 px phone.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from conftest import NOW, REFUSED_IMPACTS, axe_violations, photograph

from tracker.db import db
from tracker.demo import DEMO_PASSWORD, load_demo
from tracker.line.models import LineChannel, LineLink, NotificationChoice
from tracker.notify.delivery import deliver
from tracker.notify.reminders import queue_reminders
from tracker.thaidate import BANGKOK


@pytest.fixture
def demo(app, ctx, live_server):
    result = load_demo(NOW)
    db.session.commit()
    saved = app.config["TRACKER_BASE_URL"]
    app.config["TRACKER_BASE_URL"] = live_server  # links in LINE replies point at the served app
    yield result
    app.config["TRACKER_BASE_URL"] = saved


def log_in(page, email: str) -> None:
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()


def check_page(page, name: str, artifacts_dir, phone: bool) -> None:
    size = "phone" if phone else "desktop"
    photograph(page, artifacts_dir / f"line-{name}-{size}.png", full_page=True)
    if phone:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{name} scrolls sideways on a 360 px phone ({width} px)"
    refused = [v for v in axe_violations(page) if v["impact"] in REFUSED_IMPACTS]
    assert not refused, f"{name} ({size}): " + "\n".join(f"{v['impact']} {v['id']}: {v['help']}" for v in refused)


def test_connect_link_choose_and_receive_reminders_by_line(
    browser_page, demo, line_emulator, live_server, artifacts_dir
):
    # The admin connects the account on a desktop.
    admin = browser_page()
    admin.goto("/login")
    log_in(admin, "admin@banpet.example")
    admin.wait_for_url(re.compile(r".*/(\?.*)?$"))
    admin.goto("/admin/")
    admin.get_by_role("link", name=re.compile("การแจ้งเตือนทาง LINE")).click()
    check_page(admin, "settings-empty", artifacts_dir, phone=False)
    webhook_url = admin.locator("#webhook-url").inner_text()
    assert webhook_url == f"{live_server}/line/webhook/banpet"
    admin.get_by_label("Channel ID").fill("1657000000")
    admin.get_by_label("Channel secret").fill(line_emulator.secret)
    admin.get_by_label("Channel access token (long-lived)").fill(line_emulator.token)
    admin.get_by_role("button", name="บันทึก", exact=True).click()
    assert "บันทึกการเชื่อมต่อ LINE แล้ว" in admin.locator(".flashes").inner_text()
    assert "@ita-banpet" in admin.locator("main").inner_text()
    check_page(admin, "settings", artifacts_dir, phone=False)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineChannel)) == 1

    # The owner, on a phone, writes to the Official Account; it replies with a link.
    line_emulator.webhook_url = webhook_url
    line_user = line_emulator.new_user_id()
    assert line_emulator.follow(webhook_url, line_user)[0] == 200
    link = re.search(r"(http\S+/line/link\?linkToken=\S+)", line_emulator.replies[-1]["messages"][0]["text"]).group(1)
    owner = browser_page(phone=True)
    owner.goto(link)  # not logged in yet: the login page first, then back to the link
    log_in(owner, "palad.owner@banpet.example")
    owner.wait_for_url(re.compile(r".*/line/link\?linkToken=.*"))
    check_page(owner, "confirm", artifacts_dir, phone=True)
    owner.get_by_role("button", name="ยืนยันการเชื่อมบัญชี").click()
    owner.wait_for_url(re.compile(r".*/dialog/bot/accountLink\?.*"))
    assert "เชื่อมบัญชีเรียบร้อย" in owner.locator("h1").inner_text()
    assert line_emulator.webhook_answers == [200]
    db.session.expire_all()
    [link_row] = db.session.scalars(sa.select(LineLink)).all()
    assert link_row.line_user_id == line_user

    # Back in the tracker: the profile shows the link; they choose LINE for reminders.
    owner.goto("/profile")
    owner.get_by_role("link", name=re.compile("LINE และช่องทางการแจ้งเตือน")).click()
    assert "เชื่อมบัญชี LINE แล้ว" in owner.locator("#line-status").inner_text()
    owner.get_by_label("แจ้งเตือนก่อนครบกำหนดและในวันครบกำหนด").select_option("line")
    owner.get_by_label("แจ้งงานเลยกำหนด (รวมที่แจ้งหัวหน้าหน่วยงาน)").select_option("line")
    owner.get_by_role("button", name="บันทึก", exact=True).click()
    assert "บันทึกช่องทางการแจ้งเตือนแล้ว" in owner.locator(".flashes").inner_text()
    check_page(owner, "profile", artifacts_dir, phone=True)
    db.session.expire_all()
    assert {(c.event_kind, c.choice) for c in db.session.scalars(sa.select(NotificationChoice))} == {
        ("reminder", "line"),
        ("overdue", "line"),
    }

    # Tue 18 Jul 2023: the demo's step 1.1 (สำนักปลัด) is due; its reminder comes by LINE.
    due_day = datetime(2023, 7, 18, 8, 30, tzinfo=BANGKOK)
    queue_reminders(due_day)
    db.session.commit()
    deliver(due_day)
    [push] = line_emulator.delivered_to(line_user)
    [text] = push.texts
    assert "📌 ครบกำหนดวันนี้ มาตรการ 1 ขั้นตอนที่ 1" in text and "ครบกำหนด 18 ก.ค. 2566" in text
    assert f"{live_server}/steps/" in text

    # The admin's outbox shows the month's LINE count; the settings page on a phone is accessible too.
    admin.goto("/admin/outbox")
    assert "LINE เดือนนี้" in admin.locator("#line-month").inner_text()
    phone_admin = browser_page(phone=True)
    phone_admin.goto("/login")
    log_in(phone_admin, "admin@banpet.example")
    phone_admin.wait_for_url(re.compile(r".*/(\?.*)?$"))
    phone_admin.goto("/admin/line")
    check_page(phone_admin, "settings", artifacts_dir, phone=True)
