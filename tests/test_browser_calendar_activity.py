"""Issue 11 in a real browser, on a desktop (1280 px) and a 360 px phone: the
organization's activity stream reached from the menu and filtered by department,
and the month calendar of due dates (a grid on the desktop, a list by day on the
phone) with its month navigation. axe-core finds no serious violation on either."""

from __future__ import annotations

import re

import pytest
from test_browser_follow import check_page, log_in, open_menu

from tests.conftest import NOW
from tracker import clock
from tracker.db import db
from tracker.follow import services as follow
from tracker.plans import services as plan_services
from tracker.plans.models import StepStatus


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_organizations_activity_from_the_menu_filtered_by_department(phone, world, browser_page, artifacts_dir):
    follow.add_remark(world.step(world.m1, 1), world.manager, "โปรดรายงานความคืบหน้าภายในสิ้นเดือน", NOW)
    plan_services.change_status(world.step(world.m2, 2), StepStatus.in_progress, world.owner_strategy, NOW)
    db.session.commit()
    page = browser_page(phone)
    log_in(page, world.viewer.email)
    open_menu(page)
    page.get_by_role("navigation", name="เมนูหลัก").get_by_role("link", name="ความเคลื่อนไหว").click()
    page.wait_for_url(re.compile(rf".*/organizations/{world.org.id}/activity$"))
    stream = page.locator("ol.activity")
    assert stream.locator("li").count() == 2
    assert "โปรดรายงานความคืบหน้าภายในสิ้นเดือน" in stream.inner_text()
    check_page(page, "org-activity", phone, artifacts_dir)

    page.get_by_label("หน่วยงาน", exact=True).select_option(label="กองยุทธศาสตร์และงบประมาณ")
    page.get_by_role("search", name="กรองความเคลื่อนไหว").get_by_role("button", name="ค้นหา").click()
    page.wait_for_url(re.compile(rf".*department={world.strategy.id}"))
    assert stream.locator("li").count() == 1
    assert "ยังไม่เริ่ม → กำลังดำเนินการ" in stream.inner_text()
    assert "โปรดรายงานความคืบหน้า" not in stream.inner_text()
    stream.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf".*/steps/{world.step(world.m2, 2).id}$"))


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_month_calendar_of_due_dates(phone, world, browser_page, artifacts_dir, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 August 2566
    page = browser_page(phone)
    log_in(page, world.owner_palad.email)
    open_menu(page)
    page.get_by_role("navigation", name="เมนูหลัก").get_by_role("link", name="ปฏิทิน", exact=True).click()
    page.wait_for_url(re.compile(r".*/calendar$"))
    assert page.locator("#month-h").inner_text() == "สิงหาคม พ.ศ. 2566"
    grid, days = page.locator("table.month-grid"), page.locator(".month-list")
    if phone:
        # No room for seven columns: the same steps as a list by day.
        assert not grid.is_visible() and days.is_visible()
        assert days.locator("h3").all_inner_texts() == ["15 สิงหาคม 2566", "31 สิงหาคม 2566"]
        shown = days
    else:
        assert grid.is_visible() and not days.is_visible()
        assert grid.locator("th").all_inner_texts() == ["อา.", "จ.", "อ.", "พ.", "พฤ.", "ศ.", "ส."]
        shown = grid
    assert shown.get_by_role("link", name="ขั้นตอน 2.2 ทดสอบการใช้งานระบบ").is_visible()
    check_page(page, "calendar", phone, artifacts_dir)

    page.get_by_role("link", name="เดือนก่อน").click()
    page.wait_for_url(re.compile(r".*year=2566&month=7"))
    assert page.locator("#month-h").inner_text() == "กรกฎาคม พ.ศ. 2566"
    overdue = (days if phone else grid).locator("li.is-overdue")
    assert overdue.inner_text() == "ขั้นตอน 1.1 จัดทำประกาศแนวทางปฏิบัติ เลยกำหนด"
    check_page(page, "calendar-july", phone, artifacts_dir)

    # The form: another month and one department.
    page.get_by_label("เดือน", exact=True).select_option(label="สิงหาคม")
    page.get_by_label("หน่วยงาน", exact=True).select_option(label="กองยุทธศาสตร์และงบประมาณ")
    page.get_by_role("button", name="แสดง").click()
    page.wait_for_url(re.compile(rf".*department={world.strategy.id}"))
    assert page.locator("#month-h").inner_text() == "สิงหาคม พ.ศ. 2566"
    assert (days if phone else grid).get_by_role("link").all_inner_texts() == ["ขั้นตอน 2.2 ทดสอบการใช้งานระบบ"]
    page.get_by_role("link", name="เดือนถัดไป").click()
    page.wait_for_url(re.compile(rf".*year=2566&month=9&department={world.strategy.id}"))
    assert page.locator("#month-h").inner_text() == "กันยายน พ.ศ. 2566"
