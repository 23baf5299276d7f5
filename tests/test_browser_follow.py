"""Issue 11 in a real browser: a manager comments on a step, the owner sees the
unread count in the header and the notification, on a desktop and a 360 px
phone; axe-core finds no serious violation on /notifications."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import PASSWORD, REFUSED_IMPACTS, axe_violations, photograph, sign_in

HERE = Path(__file__).resolve().parent


def log_in(page, email: str) -> None:
    sign_in(page, email, PASSWORD)


def open_menu(page) -> None:
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def check_page(page, name: str, phone: bool, artifacts_dir) -> None:
    """A screenshot to look at, nothing wider than the screen, no serious axe-core violation."""
    size = "phone" if phone else "desktop"
    photograph(page, artifacts_dir / f"{name}-{size}.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= (360 if phone else 1280), f"the page is {width} px wide"
    found = axe_violations(page)
    for v in found:
        print(f"axe {name} {size}: {v['impact']} {v['id']}: {v['help']} {v['nodes']}")
    assert [v["id"] for v in found if v["impact"] in REFUSED_IMPACTS] == []


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_managers_remark_reaches_the_owner(phone, world, browser_page, artifacts_dir):
    step = world.step(world.m1, 1)
    size = "phone" if phone else "desktop"

    manager = browser_page(phone)
    log_in(manager, world.manager.email)
    manager.goto(f"/steps/{step.id}")
    manager.get_by_label("ความเห็นหรือข้อสั่งการ").fill("ขอให้แนบประกาศที่ลงนามแล้วภายในวันศุกร์")
    manager.get_by_role("button", name="ส่งความเห็น").click()
    manager.wait_for_url(re.compile(rf".*/steps/{step.id}(#.*)?$"))
    remarks = manager.locator("section[aria-labelledby=remarks-h]")
    assert "ขอให้แนบประกาศที่ลงนามแล้วภายในวันศุกร์" in remarks.inner_text()
    photograph(manager, artifacts_dir / f"follow-step-{size}.png", full_page=True)

    owner = browser_page(phone)
    log_in(owner, world.owner_palad.email)
    open_menu(owner)
    link = owner.locator("a.notifications-link")
    assert link.locator(".unread-count").inner_text() == "1"
    photograph(owner, artifacts_dir / f"follow-header-{size}.png")
    link.click()
    owner.wait_for_url(re.compile(r".*/notifications$"))
    body = owner.locator("main").inner_text()
    assert "ปลัด แสดงความเห็นใน" in body and "ขอให้แนบประกาศที่ลงนามแล้วภายในวันศุกร์" in body
    check_page(owner, "follow-notifications", phone, artifacts_dir)
    # Seen: the header counts nothing any more.
    owner.goto("/my-steps")
    open_menu(owner)
    assert owner.locator("a.notifications-link .unread-count").count() == 0


def test_the_plans_activity_stream_is_accessible(world, browser_page, artifacts_dir):
    from tests.conftest import NOW
    from tracker.db import db
    from tracker.follow import services

    services.add_remark(world.step(world.m1, 1), world.manager, "โปรดรายงานความคืบหน้าภายในสิ้นเดือน", NOW)
    db.session.commit()
    for phone in (False, True):
        page = browser_page(phone)
        log_in(page, world.viewer.email)
        page.goto(f"/plans/{world.plan.id}/activity")
        assert "โปรดรายงานความคืบหน้าภายในสิ้นเดือน" in page.locator("main").inner_text()
        photograph(page, artifacts_dir / f"follow-activity-{'phone' if phone else 'desktop'}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= (360 if phone else 1280)
        found = axe_violations(page)
        assert [v["id"] for v in found if v["impact"] in REFUSED_IMPACTS] == [], found


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_report_sent_for_sign_off_reaches_the_signer_at_once(phone, world, browser_page, artifacts_dir):
    """The admin sends the follow-up report to the manager (one signer); the manager sees the
    unread count, the notification and, on their home, the report waiting for them."""
    admin = browser_page(phone)
    log_in(admin, world.admin.email)
    admin.goto("/reports/submissions/new")
    admin.locator("select[name=plan_id]").select_option(str(world.plan.id))
    admin.locator("input[name=kind][value=followup]").check()
    admin.locator(f"input[name=order-{world.manager.id}]").fill("1")
    admin.locator("textarea[name=note]").fill("เสนอเพื่อโปรดทราบผลการดำเนินการ")
    admin.get_by_role("button", name="ส่งเสนอ").click()
    admin.wait_for_url(re.compile(r".*/reports/submissions/\d+$"))
    submission_url = admin.url
    assert "ส่งรายงานให้ผู้บริหารพิจารณาตามลำดับแล้ว" in admin.locator("main").inner_text()

    signer = browser_page(phone)
    log_in(signer, world.manager.email)
    waiting = signer.locator("section[aria-labelledby=signoff-h] a").first
    assert waiting.get_attribute("href") in submission_url
    open_menu(signer)
    link = signer.locator("a.notifications-link")
    assert link.locator(".unread-count").inner_text() == "1"
    link.click()
    signer.wait_for_url(re.compile(r".*/notifications$"))
    assert "ส่งรายงานให้คุณพิจารณา" in signer.locator("main").inner_text()
    check_page(signer, "signoff-notification", phone, artifacts_dir)
    signer.locator("main a[href*='/reports/submissions/']").first.click()
    signer.wait_for_url(re.compile(r".*/reports/submissions/\d+$"))
    assert signer.url == submission_url
