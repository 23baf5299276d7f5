"""In Chromium, on a desktop and a 360 px phone: an admin uploads the O42 memo they have in Word, reads
the preview (every step with its owner and due date), confirms, and lands on the imported plan; the
officer pastes the ITA table and confirms the mapping. axe-core finds nothing serious on these pages."""

from __future__ import annotations

import re

import pytest
from conftest import REFUSED_IMPACTS, axe_violations, photograph

from tests.conftest import make_user, sign_in
from tests.memo_factory import demo_plan, memo_docx
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization

PASSWORD = "memo-import-1"


@pytest.fixture
def banpet_admin(app, ctx):
    from werkzeug.security import generate_password_hash

    org = Organization(name="เทศบาลตำบลบ้านเป็ด", slug="banpet", province="ขอนแก่น")
    for d in demo_plan()["departments"]:
        db.session.add(Department(organization=org, name=d["name"], email=d["email"]))
    user = make_user(org, "admin@banpet.go.th", Role.admin, name="ผู้ดูแลแผน")
    user.password_hash = generate_password_hash(PASSWORD)
    db.session.add(org)
    db.session.commit()
    return user


def _no_serious_violations(page, name: str) -> None:
    refused = [v for v in axe_violations(page) if v["impact"] in REFUSED_IMPACTS]
    assert not refused, f"{name}: " + "\n".join(f"{v['impact']} {v['id']}: {v['help']} {v['nodes']}" for v in refused)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_an_admin_imports_the_memo_they_have(browser_page, banpet_admin, artifacts_dir, tmp_path, phone):  # noqa: F811
    size = "phone" if phone else "desktop"
    memo = tmp_path / "บันทึกข้อความ O42.docx"
    memo.write_bytes(memo_docx())
    page = browser_page(phone=phone)
    sign_in(page, "admin@banpet.go.th", PASSWORD, landing=False)
    page.goto("/admin/plans/import-memo/")
    _no_serious_violations(page, "memo import start")
    photograph(page, artifacts_dir / f"memo-import-start-{size}.png", full_page=True)
    page.locator("#memo-file").set_input_files(str(memo))
    page.get_by_role("button", name="อ่านและแสดงตัวอย่าง").click()
    page.wait_for_url("**/import-memo/")
    body = page.locator("main").inner_text()
    assert "จะสร้างแผนใหม่" in body and "26" in body.replace("๒๖", "26")
    assert "การบำรุงรักษาระบบ (System Maintenance)" in body
    photograph(page, artifacts_dir / f"memo-import-preview-{size}.png", full_page=True)
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _no_serious_violations(page, "memo import preview")
    page.get_by_role("button", name="ยืนยันนำเข้า").click()
    page.wait_for_url(re.compile(r".*/admin/plans/\d+$"))
    assert "นำเข้าแผนปีงบประมาณ" in page.locator("main").inner_text()
