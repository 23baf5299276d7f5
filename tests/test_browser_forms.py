"""Forms in a real browser: a wrong Buddhist-Era date typed into the admin step
form comes back with one message beside the field, tied to it for screen
readers, with no serious accessibility problem, on a desktop and on a 360 px
phone (screenshots: form-date-error-<size>.png). The date box is a text box:
no Christian-era picker ever opens.
"""

from __future__ import annotations

from conftest import REFUSED_IMPACTS, axe_violations, photograph
from test_browser_ui import demo, log_in  # noqa: F401  (fixtures)

from tracker.db import db
from tracker.plans.models import Step


def test_a_wrong_date_is_one_message_beside_its_field(browser_page, demo, artifacts_dir):  # noqa: F811
    step = demo.plan.measures[1].steps[0]
    before = (step.title, step.due_date)
    for phone in (False, True):
        page = browser_page(phone=phone)
        log_in(page, "admin@banpet.example")
        page.goto(f"/admin/steps/{step.id}")
        due = page.locator("#due_date")
        assert due.get_attribute("type") == "text"
        due.fill("31/02/2566")
        page.locator("form:has(#due_date) button[type=submit]").click()
        page.wait_for_load_state()
        error = page.locator("#due_date-error")
        assert error.count() == 1 and "ไม่มีวันที่ 31 กุมภาพันธ์ 2566" in error.inner_text()
        assert page.get_by_text("ไม่มีวันที่ 31 กุมภาพันธ์ 2566").count() == 1
        assert due.get_attribute("aria-invalid") == "true"
        assert "due_date-error" in due.get_attribute("aria-describedby")
        assert due.input_value() == "31/02/2566"
        size = "phone" if phone else "desktop"
        photograph(page, artifacts_dir / f"form-date-error-{size}.png", full_page=True)
        if phone:
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
        refused = [v for v in axe_violations(page) if v["impact"] in REFUSED_IMPACTS]
        assert not refused, refused
    db.session.expire_all()
    assert (db.session.get(Step, step.id).title, db.session.get(Step, step.id).due_date) == before
