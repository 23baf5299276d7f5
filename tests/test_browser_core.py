"""Issue 2 in a real browser: the demo served over HTTP, an owner on a phone
ticks a step off with a note and a file, the dashboard shows the progress;
an admin edits nothing it should not; screenshots are kept as artifacts.
"""

from __future__ import annotations

import re

import pytest
from conftest import photograph

from tests.conftest import NOW
from tracker.db import db
from tracker.demo import DEMO_PASSWORD, load_demo

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def demo(app, ctx):
    result = load_demo(NOW)
    db.session.commit()
    return result


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("อีเมล").fill(email)
    page.get_by_label("รหัสผ่าน").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_an_owner_on_a_phone_ticks_a_step_off_and_the_dashboard_shows_it(browser_page, demo, artifacts_dir):
    page = browser_page(phone=True, enforce_csp=True)
    log_in(page, "strategy.owner@banpet.example")  # an owner lands on งานของฉัน; the plan is one menu item away
    page.goto("/plans/current")
    photograph(page, artifacts_dir / "dashboard-phone.png", full_page=True)
    assert "0/26" in page.locator(".stat").first.inner_text()

    page.get_by_role("button", name="เมนู").click()  # on a phone the menu folds behind one button
    page.get_by_role("link", name="งานของฉัน").click()
    photograph(page, artifacts_dir / "my-steps-phone.png", full_page=True)
    page.get_by_role("link", name=re.compile("การกำหนดและเลือกสรรระบบที่ต้องการพัฒนา")).first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("ขั้นตอน 2.1")

    # One form, one submit: the status, the note and the file together.
    page.get_by_role("radio", name="ดำเนินการแล้ว").check()
    page.locator("#status-note").fill("เลือกระบบรับคำร้องออนไลน์ตามมติที่ประชุม")
    page.locator("#evidence-file").set_input_files(
        {"name": "บันทึกการประชุม.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="บันทึกความคืบหน้า").click()
    assert "บันทึกสถานะ “ดำเนินการแล้ว” แล้ว · แนบหลักฐาน 1 รายการแล้ว" in page.locator(".flashes").inner_text()
    photograph(page, artifacts_dir / "step-phone.png", full_page=True)
    body = page.locator("main").inner_text()
    assert "บันทึกการประชุม.pdf" in body
    assert "เลือกระบบรับคำร้องออนไลน์ตามมติที่ประชุม" in body  # the journal shows the note
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling at 360 px"

    page.get_by_role("button", name="เมนู").click()
    page.get_by_role("link", name="ภาพรวม", exact=True).click()
    assert "1/26" in page.locator(".stat").first.inner_text()
    bar = page.get_by_role("progressbar", name=re.compile("มาตรการที่ 2")).first
    assert bar.get_attribute("aria-valuenow") in ("12", "13", "12.5")


def test_a_manager_sees_progress_but_no_forms(browser_page, demo, artifacts_dir):
    page = browser_page(enforce_csp=True)
    log_in(page, "manager@banpet.example")
    page.get_by_role("link", name="ภาพรวม", exact=True).click()
    photograph(page, artifacts_dir / "dashboard-desktop.png", full_page=True)
    page.get_by_role("link", name=re.compile("จัดทำประกาศแนวทางปฏิบัติ")).first.click()
    assert page.get_by_role("button", name="บันทึกความคืบหน้า").count() == 0
    photograph(page, artifacts_dir / "step-desktop-readonly.png", full_page=True)
