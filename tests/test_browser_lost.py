"""Work is never lost, in a real browser (issue 11), on a desktop and a 360 px phone:

- two tabs: tab A marks a step done, tab B (still showing "ยังไม่เริ่ม") saves
  another status with a note → a conflict page that says who changed what and
  keeps the note → one click saves it (screenshots: conflict-<size>.png; axe-core
  finds no serious problem there);
- logged out in tab B, a note sent from tab A → the login → back on the step
  with the note in the form;
- a file over the limit is refused in the page, before anything is sent;
- reloading a page that showed a form error does not send the form again.
"""

from __future__ import annotations

import re

import pytest
from conftest import REFUSED_IMPACTS, axe_violations, photograph
from test_browser_ui import demo, log_in  # noqa: F401  (fixtures)

from tracker.db import db
from tracker.demo import DEMO_PASSWORD
from tracker.plans.models import JournalEntry, Step, StepStatus

SIZES = (False, True)


def open_step(demo, index: int) -> Step:  # noqa: F811
    """A step of the demo plan that is still to be done, different for each test."""
    steps = [s for s in demo.plan.steps if s.status is StepStatus.not_started]
    assert len(steps) > index
    return steps[index]


def fresh(step: Step) -> Step:
    db.session.rollback()
    return db.session.get(Step, step.id)


def posts(page) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    return sent


@pytest.mark.parametrize("phone", SIZES, ids=["desktop", "phone"])
def test_two_tabs_a_conflict_page_keeps_the_note_and_one_click_saves_it(browser_page, demo, artifacts_dir, phone):  # noqa: F811
    step = open_step(demo, 0 if not phone else 1)
    tab_b = browser_page(phone=phone)
    log_in(tab_b, "admin@banpet.example")
    tab_a = tab_b.context.new_page()
    tab_b.goto(f"/steps/{step.id}")
    tab_a.goto(f"/steps/{step.id}")

    tab_a.locator("input[name=status][value=done]").check()
    tab_a.locator("#status-note").fill("ลงนามประกาศแล้ว")
    tab_a.locator("form:has(#status-note) button[type=submit]").click()
    tab_a.wait_for_load_state()
    assert fresh(step).status is StepStatus.done

    note = "เริ่มร่างคู่มือแล้ว รอหัวหน้าสำนักปลัดตรวจ"
    tab_b.locator("input[name=status][value=in_progress]").check()
    tab_b.locator("#status-note").fill(note)
    with tab_b.expect_response(lambda r: r.request.method == "POST") as answer:
        tab_b.locator("form:has(#status-note) button[type=submit]").click()
    assert answer.value.status == 409
    tab_b.wait_for_load_state()
    box = tab_b.locator("#conflict")
    assert box.is_visible()
    text = box.inner_text()
    assert "มีผู้บันทึกข้อมูลนี้ก่อนคุณ" in text and "ยังไม่เริ่ม" in text and "ดำเนินการแล้ว" in text
    assert "ลงนามประกาศแล้ว" in text
    assert tab_b.locator("#status-note").input_value() == note
    assert tab_b.locator("input[name=status][value=in_progress]").is_checked()
    size = "phone" if phone else "desktop"
    photograph(tab_b, artifacts_dir / f"conflict-{size}.png", full_page=True)
    if phone:
        assert tab_b.evaluate("document.documentElement.scrollWidth") <= 360
    refused = [v for v in axe_violations(tab_b) if v["impact"] in REFUSED_IMPACTS]
    assert not refused, refused

    tab_b.locator("form:has(#status-note) button[type=submit]").click()
    tab_b.wait_for_url(re.compile(rf".*/steps/{step.id}$"))
    assert tab_b.locator(".flash-success").count() == 1
    step = fresh(step)
    assert step.status is StepStatus.in_progress
    last = db.session.query(JournalEntry).filter_by(step_id=step.id).order_by(JournalEntry.id.desc()).first()
    assert last.note == note and last.new_value == "in_progress"


@pytest.mark.parametrize("phone", SIZES, ids=["desktop", "phone"])
def test_logged_out_in_another_tab_the_note_comes_back_after_the_login(browser_page, demo, phone):  # noqa: F811
    step = open_step(demo, 2 if not phone else 3)
    tab_a = browser_page(phone=phone)
    log_in(tab_a, "admin@banpet.example")
    tab_a.goto(f"/steps/{step.id}")
    note = "ประชุมคณะทำงานครั้งที่ 2 แล้ว สรุปร่างได้ร้อยละ 80"
    tab_a.locator("#status-note").fill(note)

    tab_b = tab_a.context.new_page()
    tab_b.goto("/")
    if phone:
        tab_b.locator(".menu-toggle").click()  # the menu folds on a phone
    tab_b.locator("form[action='/logout'] button").click()
    tab_b.wait_for_url(re.compile(r".*/login"))

    tab_a.locator("form:has(#status-note) button[type=submit]").click()
    tab_a.wait_for_url(re.compile(r".*/login\?next="))
    assert "หมดเวลาการเข้าสู่ระบบ" in tab_a.locator(".flashes").inner_text()
    tab_a.locator("#email").fill("admin@banpet.example")
    tab_a.locator("#password").fill(DEMO_PASSWORD)
    tab_a.locator("form button[type=submit]").click()
    tab_a.wait_for_url(re.compile(rf".*/steps/{step.id}$"))
    assert tab_a.locator("#status-note").input_value() == note
    assert "405" not in tab_a.content()
    tab_a.locator("form:has(#status-note) button[type=submit]").click()
    tab_a.wait_for_url(re.compile(rf".*/steps/{step.id}$"))
    db.session.rollback()
    notes = [e.note for e in db.session.query(JournalEntry).filter_by(step_id=step.id, action="comment")]
    assert notes == [note]


@pytest.mark.parametrize("phone", SIZES, ids=["desktop", "phone"])
def test_a_file_over_the_limit_is_refused_in_the_page(browser_page, demo, app, monkeypatch, phone):  # noqa: F811
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    step = open_step(demo, 4)
    page = browser_page(phone=phone)
    log_in(page, "admin@banpet.example")
    page.goto(f"/steps/{step.id}")
    sent = posts(page)
    page.locator("#evidence-file").set_input_files(
        {"name": "รูปงานประชุม.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)}
    )
    message = page.locator("#evidence-file-size-error")
    assert message.is_visible()
    assert "รูปงานประชุม.pdf" in message.inner_text() and "เกินกำหนด 1 MB" in message.inner_text()
    assert page.locator("#evidence-file").get_attribute("aria-invalid") == "true"
    page.locator("form:has(#evidence-file) button[type=submit]").click()
    page.wait_for_timeout(300)
    assert sent == []  # nothing was uploaded
    assert page.url.endswith(f"/steps/{step.id}")
    # A file within the limit clears the message.
    page.locator("#evidence-file").set_input_files(
        {"name": "เล็ก.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    )
    assert page.locator("#evidence-file-size-error").count() == 0


@pytest.mark.parametrize("phone", SIZES, ids=["desktop", "phone"])
def test_reloading_a_page_with_a_form_error_does_not_send_the_form_again(browser_page, demo, phone):  # noqa: F811
    step = open_step(demo, 5)
    page = browser_page(phone=phone)
    log_in(page, "admin@banpet.example")
    page.goto(f"/steps/{step.id}")
    page.locator("input[name=status][value=done]").check()
    note = "ส่งรายงานแล้ว แต่พิมพ์วันที่ผิด"
    page.locator("#status-note").fill(note)
    page.locator("#completed_on").fill("31/02/2566")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("form:has(#status-note) button[type=submit]").click()
    page.wait_for_load_state()
    assert answer.value.status == 400
    assert "ไม่มีวันที่ 31 กุมภาพันธ์ 2566" in page.locator("#completed_on-error").inner_text()

    sent = posts(page)
    page.reload()
    page.wait_for_load_state()
    assert sent == []  # the reload asked for the page, it did not post the form again
    assert page.url.endswith(f"/steps/{step.id}")
    assert page.locator("#status-note").input_value() == note  # and what was typed is still there
    assert page.locator("#completed_on").input_value() == "31/02/2566"
    assert page.locator("input[name=status][value=done]").is_checked()
    assert fresh(step).status is StepStatus.not_started
