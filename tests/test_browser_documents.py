"""In Chromium, on a desktop and a 360 px phone: the admin sees that the organization's ครุฑ is
missing on the memo page, uploads it on the official-documents settings page and sees it there;
axe-core finds nothing serious on these pages."""

from __future__ import annotations

import re

import pytest
from conftest import REFUSED_IMPACTS, axe_violations, photograph

from tests.report_factory import load_demo_plan
from tests.test_official_documents import emblem_png


@pytest.fixture
def demo(app, ctx):
    from tests.report_factory import bangkok
    from tracker.db import db
    from tracker.ita.demo import load_demo_scores

    plan = load_demo_plan()
    load_demo_scores(plan.organization, bangkok(__import__("datetime").date(2022, 10, 12)))
    db.session.commit()
    return plan


def _no_serious_violations(page, name: str) -> None:
    refused = [v for v in axe_violations(page) if v["impact"] in REFUSED_IMPACTS]
    assert not refused, f"{name}: " + "\n".join(f"{v['impact']} {v['id']}: {v['help']}" for v in refused)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_admin_uploads_the_emblem(browser_page, demo, artifacts_dir, tmp_path, phone):  # noqa: F811
    from tracker.demo import DEMO_PASSWORD

    size = "phone" if phone else "desktop"
    page = browser_page(phone=phone)
    page.goto("/login")
    page.locator("#email").fill("admin@banpet.example")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/(\?.*)?$"))
    page.goto(f"/plans/{demo.id}/memo")
    notice = page.locator("#emblem-notice")
    assert "ยังไม่มีตราครุฑของหน่วยงาน" in notice.inner_text()
    photograph(page, artifacts_dir / f"memo-page-emblem-notice-{size}.png", full_page=False)
    notice.get_by_role("link", name="อัปโหลดตราครุฑ").click()
    page.wait_for_url("**/admin/documents")
    _no_serious_violations(page, "document settings")
    assert page.locator("#f-emblem").is_visible()
    emblem = tmp_path / "garuda.png"
    emblem.write_bytes(emblem_png())
    page.locator("#f-emblem").set_input_files(str(emblem))
    page.get_by_role("button", name="บันทึก").click()
    page.wait_for_url("**/admin/documents")
    assert "บันทึกตราครุฑแล้ว" in page.locator("main").inner_text()
    image = page.get_by_role("img", name="ตราครุฑของหน่วยงาน")
    assert image.evaluate("img => img.naturalWidth") == 240
    _no_serious_violations(page, "document settings with emblem")
    photograph(page, artifacts_dir / f"document-settings-{size}.png", full_page=True)
    page.goto(f"/plans/{demo.id}/memo")
    assert page.locator("#emblem-notice").count() == 0
    assert page.locator(".memo-preview img.emblem").is_visible()
