"""One way to update a step (issue 11), in a real browser on a desktop (1280 px)
and a 360 px phone: open a step, choose "ดำเนินการแล้ว", type a note, type the
completion date in the Buddhist Era, attach a file and a link, submit once → the
step is done, and the note, the file and the link are on the page, in one change
of the journal. axe-core finds no serious problem on the step page, before and
after; it fits the phone without sideways scrolling (screenshots:
step-update-<size>.png, step-updated-<size>.png).
"""

from __future__ import annotations

import re

import pytest
from conftest import REFUSED_IMPACTS, axe_violations, photograph
from test_browser_ui import demo, log_in  # noqa: F401  (fixtures)

from tracker import thaidate
from tracker.db import db
from tracker.plans.models import Step, StepStatus

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def assert_accessible(page) -> None:
    refused = [v for v in axe_violations(page) if v["impact"] in REFUSED_IMPACTS]
    assert not refused, refused


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_one_submit_marks_a_step_done_with_a_note_a_be_date_a_file_and_a_link(browser_page, demo, artifacts_dir, phone):  # noqa: F811
    step = [s for s in demo.plan.steps if s.status is StepStatus.not_started][0 if phone else 1]
    size = "phone" if phone else "desktop"
    page = browser_page(phone=phone)
    log_in(page, "admin@banpet.example")
    page.goto(f"/steps/{step.id}")
    assert page.locator("form[action$='/update']").count() == 1
    assert_accessible(page)

    page.get_by_role("radio", name="ดำเนินการแล้ว").check()
    page.locator("#status-note").fill("ลงนามประกาศแล้ว ติดบอร์ดหน้าสำนักงานและเว็บไซต์")
    page.locator("#completed_on").fill("28/07/2566")
    page.locator("#evidence-file").set_input_files(
        {"name": "ประกาศที่ลงนามแล้ว.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("#evidence-links").fill("https://banpet.go.th/news/ita ประกาศบนเว็บไซต์เทศบาล")
    photograph(page, artifacts_dir / f"step-update-{size}.png", full_page=True)
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_role("button", name="บันทึกความคืบหน้า").click()
    page.wait_for_url(re.compile(rf".*/steps/{step.id}$"))
    assert len(posts) == 1  # one submit

    flash = page.locator(".flashes").inner_text()
    assert "บันทึกสถานะ “ดำเนินการแล้ว” แล้ว · แนบหลักฐาน 2 รายการแล้ว" in flash
    facts = page.locator(".facts").inner_text()
    assert "ดำเนินการแล้ว" in facts and "28 ก.ค. 2566" in facts
    evidence = page.locator("section:has(#evidence-h)")
    assert evidence.get_by_role("link", name="ประกาศที่ลงนามแล้ว.pdf", exact=True).is_visible()
    assert evidence.get_by_role("link", name="ประกาศบนเว็บไซต์เทศบาล", exact=True).is_visible()
    assert evidence.get_by_role("link", name="ดาวน์โหลด ประกาศที่ลงนามแล้ว.pdf").is_visible()  # beside the PDF
    change = page.locator(".journal > li").first.inner_text()
    assert "ดำเนินการแล้ว" in change and "ลงนามประกาศแล้ว ติดบอร์ดหน้าสำนักงานและเว็บไซต์" in change
    assert "ประกาศที่ลงนามแล้ว.pdf" in change and "ประกาศบนเว็บไซต์เทศบาล" in change
    photograph(page, artifacts_dir / f"step-updated-{size}.png", full_page=True)
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)

    db.session.rollback()
    step = db.session.get(Step, step.id)
    assert step.status is StepStatus.done
    assert step.completed_at.astimezone(thaidate.BANGKOK).date().isoformat() == "2023-07-28"
    assert sorted(ev.original_name for ev in step.evidence) == ["ประกาศที่ลงนามแล้ว.pdf", "ประกาศบนเว็บไซต์เทศบาล"]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_refused_update_keeps_the_typed_text_and_changes_nothing(browser_page, demo, artifacts_dir, phone):  # noqa: F811
    step = [s for s in demo.plan.steps if s.status is StepStatus.not_started][2 if phone else 3]
    page = browser_page(phone=phone)
    log_in(page, "admin@banpet.example")
    page.goto(f"/steps/{step.id}")
    page.get_by_role("radio", name="ดำเนินการแล้ว").check()
    page.locator("#evidence-links").fill("https://banpet.go.th/news/ita")
    page.get_by_role("button", name="บันทึกความคืบหน้า").click()
    page.wait_for_load_state()
    error = page.locator("#status-note-error")
    assert "หน่วยงานของคุณกำหนดให้พิมพ์บันทึก" in error.inner_text()
    assert page.locator("#status-note").get_attribute("aria-invalid") == "true"
    assert page.locator("#evidence-links").input_value() == "https://banpet.go.th/news/ita"
    assert page.locator("input[name=status][value=done]").is_checked()
    photograph(page, artifacts_dir / f"step-update-refused-{'phone' if phone else 'desktop'}.png", full_page=True)
    assert_accessible(page)
    db.session.rollback()
    step = db.session.get(Step, step.id)
    assert step.status is StepStatus.not_started and step.evidence == []


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_admin_chooses_what_done_needs_and_the_step_page_says_it(browser_page, demo, artifacts_dir, phone):  # noqa: F811
    size = "phone" if phone else "desktop"
    page = browser_page(phone=phone)
    log_in(page, "admin@banpet.example")
    page.goto("/admin/step-rules")
    assert page.get_by_role("radio", name="ต้องพิมพ์บันทึก", exact=True).is_checked()  # the default
    assert_accessible(page)
    page.get_by_role("radio", name="ต้องพิมพ์บันทึกและมีหลักฐาน").check()
    page.get_by_role("button", name="บันทึก", exact=True).click()
    page.wait_for_load_state()
    assert "บันทึกแล้ว" in page.locator(".flashes").inner_text()
    photograph(page, artifacts_dir / f"step-rules-{size}.png", full_page=True)
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    step = [s for s in demo.plan.steps if s.status is StepStatus.not_started][4 if phone else 5]
    page.goto(f"/steps/{step.id}")
    assert "ต้องพิมพ์บันทึกและมีหลักฐาน" in page.locator("section:has(#update-h)").inner_text()
    page.get_by_role("radio", name="ดำเนินการแล้ว").check()
    page.locator("#status-note").fill("เสร็จแล้ว")
    page.get_by_role("button", name="บันทึกความคืบหน้า").click()
    page.wait_for_load_state()
    assert "หน่วยงานของคุณกำหนดให้มีหลักฐาน" in page.locator("#evidence-file-error").inner_text()
    assert page.locator("#status-note").input_value() == "เสร็จแล้ว"
    assert_accessible(page)
