"""Issue 11 in a real browser, on a desktop and a 360 px phone: each role lands on its
home at "/" — an owner on งานของฉัน with the first (overdue) step visible without
scrolling and a bulk change of two steps, a manager on what needs them with counts
that open the filtered list, an admin on plan health — and axe-core finds no serious
violation on any of them (screenshots: home-<role>-<size>.png)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import REFUSED_IMPACTS, axe_violations, photograph
from test_browser_follow import log_in

from tests.conftest import NOW
from tracker import clock
from tracker.db import db
from tracker.plans.models import JournalEntry, StepStatus
from tracker.reports.signoff import submit_report


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 ส.ค. 2566, for the live server too


SIZES = [pytest.param(False, id="desktop"), pytest.param(True, id="phone")]


def on_first_screen(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] + box["height"] <= page.viewport_size["height"]


def no_serious_violations(page, name: str) -> None:
    found = axe_violations(page)
    for v in found:
        print(f"axe {name}: {v['impact']} {v['id']}: {v['help']} {v['nodes']}")
    assert [v["id"] for v in found if v["impact"] in REFUSED_IMPACTS] == []


@pytest.mark.parametrize("phone", SIZES)
def test_an_owner_lands_on_their_steps_and_changes_two_at_once(phone, world, browser_page, artifacts_dir):
    size = "phone" if phone else "desktop"
    page = browser_page(phone)
    log_in(page, world.owner_palad.email)
    assert page.get_by_role("heading", level=1).inner_text() == "งานของฉัน"
    first = page.locator("table.steps a[href^='/steps/']").first
    assert first.inner_text() == "จัดทำประกาศแนวทางปฏิบัติ"
    assert on_first_screen(page, first)  # the first task is on the first screen, even on a phone
    assert "ช้า" in page.locator("tr.row-overdue").first.inner_text()
    photograph(page, artifacts_dir / f"home-owner-{size}.png", full_page=True)
    no_serious_violations(page, f"owner home {size}")

    s2, s3 = world.step(world.m1, 2), world.step(world.m1, 3)
    page.get_by_label("เลือกขั้นตอนที่ 1.2").check()
    page.get_by_label("เลือกขั้นตอนที่ 1.3").check()
    page.get_by_label("เปลี่ยนสถานะเป็น").select_option("in_progress")
    page.get_by_label("บันทึก", exact=True).fill("เริ่มทั้งสองขั้นตอนตามมติที่ประชุม")
    page.get_by_role("button", name="บันทึกสถานะขั้นตอนที่เลือก").click()
    assert "เปลี่ยนสถานะ 2 ขั้นตอนเป็น “กำลังดำเนินการ” แล้ว" in page.locator(".flashes").inner_text()
    db.session.expire_all()
    assert (s2.status, s3.status) == (StepStatus.in_progress, StepStatus.in_progress)
    notes = db.session.scalars(db.select(JournalEntry.note).where(JournalEntry.action == "status")).all()
    assert notes == ["เริ่มทั้งสองขั้นตอนตามมติที่ประชุม"] * 2


@pytest.mark.parametrize("phone", SIZES)
def test_a_manager_lands_on_what_needs_them(phone, world, browser_page, artifacts_dir):
    size = "phone" if phone else "desktop"
    submit_report(world.plan, world.admin, NOW, kind="followup", chain=[world.manager], as_of=date(2023, 8, 1))
    db.session.commit()
    page = browser_page(phone)
    log_in(page, world.manager.email)
    assert page.get_by_role("heading", level=1).inner_text() == "งานที่รอคุณ"
    signoff = page.locator("section[aria-labelledby=signoff-h] a").first
    assert "ปีงบประมาณ 2566" in signoff.inner_text() and on_first_screen(page, signoff)
    photograph(page, artifacts_dir / f"home-manager-{size}.png", full_page=True)
    no_serious_violations(page, f"manager home {size}")

    page.get_by_role("link", name="กองยุทธศาสตร์และงบประมาณ เลยกำหนด 1 ขั้นตอน").click()
    page.wait_for_url(re.compile(r".*/my-steps\?.*due=overdue"))
    titles = page.locator("table.steps a[href^='/steps/']").all_inner_texts()
    assert titles == ["กำหนดระบบที่ต้องการพัฒนา"]


@pytest.mark.parametrize("phone", SIZES)
def test_an_admin_lands_on_plan_health(phone, world, browser_page, artifacts_dir):
    size = "phone" if phone else "desktop"
    page = browser_page(phone)
    log_in(page, world.admin.email)
    assert page.get_by_role("heading", level=1).inner_text() == "สถานะของแผน"
    overdue = page.locator("a.stat-link").first
    assert overdue.locator("b").inner_text() == "2" and on_first_screen(page, overdue)
    photograph(page, artifacts_dir / f"home-admin-{size}.png", full_page=True)
    no_serious_violations(page, f"admin home {size}")
    overdue.click()
    page.wait_for_url(re.compile(rf".*/plans/{world.plan.id}\?due=overdue#steps"))
    assert page.locator("#steps table.steps a[href^='/steps/']").count() == 2
