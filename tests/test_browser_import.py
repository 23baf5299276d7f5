"""The plan import in a browser (issue 11), on a desktop and a 360 px phone: upload →
preview in words with new / changed / removed marks and a close department name →
"นำเข้า" without uploading again; axe-core finds no serious violation."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, REFUSED_IMPACTS, axe_violations, photograph
from test_browser_ui import log_in

from tracker.db import db
from tracker.plans.exporter import export_plan_yaml


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_upload_preview_in_words_then_confirm(phone, browser_page, world, artifacts_dir, tmp_path):  # noqa: F811
    exported = export_plan_yaml(world.plan)
    edited = exported.replace("จัดทำคู่มือ", "จัดทำคู่มือการใช้ทรัพย์สิน").replace("owner: สำนักปลัดเทศบาล", "owner: สำนักปลัด", 1)
    broken = edited.replace("due: 2023-08-15", "due: 2023-02-30")
    size = "phone" if phone else "desktop"
    page = browser_page(phone=phone)
    log_in(page, world.admin.email, PASSWORD)
    page.goto("/admin/plans/import")

    (tmp_path / "broken.yaml").write_text(broken, encoding="utf-8")
    page.locator("#f-file").set_input_files(str(tmp_path / "broken.yaml"))
    page.get_by_role("button", name="ตรวจสอบไฟล์").click()
    problems = page.get_by_role("alert").inner_text()
    assert "ประเด็นที่ 2 › มาตรการที่ 1 › ขั้นตอนที่ 2 › วันครบกำหนด" in problems and "weaknesses[" not in problems

    (tmp_path / "plan.yaml").write_text(edited, encoding="utf-8")
    page.locator("#f-file").set_input_files(str(tmp_path / "plan.yaml"))
    page.get_by_role("button", name="ตรวจสอบไฟล์").click()
    main = page.locator("main").inner_text()
    assert "ตรวจสอบก่อนนำเข้า: plan.yaml" in main
    assert "ชื่อ: จัดทำคู่มือ → จัดทำคู่มือการใช้ทรัพย์สิน" in main
    assert "ใช้หน่วยงานที่มีอยู่ “สำนักปลัดเทศบาล”" in main
    assert page.locator(".import-step .mark-changed").count() == 1
    photograph(page, artifacts_dir / f"import-preview-{size}.png", full_page=True)
    refused = [v for v in axe_violations(page) if v["impact"] in REFUSED_IMPACTS]
    assert not refused, refused
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1

    page.get_by_role("button", name="นำเข้า", exact=True).click()
    assert "ปรับปรุงแผนปีงบประมาณ 2566 ของ เทศบาลตำบลทดสอบ ตามไฟล์แล้ว" in page.locator("main").inner_text()
    db.session.expire_all()
    assert world.step(world.m1, 2).title == "จัดทำคู่มือการใช้ทรัพย์สิน"
