"""Deleting in a real browser, on a desktop and a 360 px phone: the delete button
leads to a confirmation page naming what goes with the item (no JavaScript
needed), the delete flashes an "เลิกทำ" button, and undoing puts the step back at
its place. No serious accessibility problem on the confirmation page
(screenshots: trash-confirm-<size>.png, trash-undo-<size>.png).
"""

from __future__ import annotations

import re

from conftest import REFUSED_IMPACTS, axe_violations, photograph
from test_browser_ui import demo, log_in  # noqa: F401  (fixtures)

from tracker.db import db
from tracker.plans import structure
from tracker.plans.models import Step, TrashItem


def deletable_step(demo) -> Step:
    return next(s for w in demo.plan.weaknesses for m in w.measures for s in m.steps if not structure.step_progress(s))


def test_delete_asks_first_then_undo_brings_the_step_back(browser_page, demo, artifacts_dir):  # noqa: F811
    for phone in (False, True):
        size = "phone" if phone else "desktop"
        step = deletable_step(demo)
        step_id, number, title, measure_id = step.id, step.number, step.title, step.measure_id
        page = browser_page(phone=phone)
        log_in(page, "admin@banpet.example")
        page.goto(f"/admin/steps/{step_id}")
        page.locator(f"form[action$='/admin/steps/{step_id}/delete'] button").click()
        page.wait_for_url(re.compile(rf".*/admin/steps/{step_id}/delete\??$"))
        main = page.locator("main").inner_text()
        assert "ต้องการลบ" in main and title in main
        photograph(page, artifacts_dir / f"trash-confirm-{size}.png", full_page=True)
        if phone:
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
        refused = [v for v in axe_violations(page) if v["impact"] in REFUSED_IMPACTS]
        assert not refused, refused

        page.get_by_role("button", name="ยืนยันการลบ").click()
        page.wait_for_url(re.compile(rf".*/admin/measures/{measure_id}$"))
        assert f"ลบขั้นตอน {number} แล้ว" in page.locator(".flashes").first.inner_text()
        db.session.expire_all()
        assert db.session.get(Step, step_id) is None
        undo = page.get_by_role("button", name="เลิกทำ")
        photograph(page, artifacts_dir / f"trash-undo-{size}.png", full_page=True)
        refused = [v for v in axe_violations(page) if v["impact"] in REFUSED_IMPACTS]
        assert not refused, refused
        undo.click()
        page.wait_for_url(re.compile(rf".*/admin/measures/{measure_id}$"))
        assert "กู้คืน" in page.locator(".flashes").first.inner_text()
        db.session.expire_all()
        restored = db.session.get(Step, step_id)
        assert restored is not None and restored.number == number and restored.title == title
        assert db.session.query(TrashItem).count() == 0
        assert title in page.locator("main").inner_text()
