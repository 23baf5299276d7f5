"""Issue 12 in a real browser: a national user uploads a framework, reads its preview with a
worked example, publishes it, copies it as next year's draft and edits it; an organization's ITA
page then shows the rating the rules give. axe-core finds no serious or critical violation on the
framework pages, which fit a 360 px phone; screenshots are kept as artifacts.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
import yaml
from conftest import NOW, PASSWORD, REFUSED_IMPACTS, axe_violations, make_user, photograph, sign_in
from test_browser_ui import log_in
from test_ita_frameworks import AUDIT_LIKE, rated_2569

from tracker.auth.models import Role
from tracker.db import db
from tracker.ita.models import FrameworkStatus, ItaFramework
from tracker.ita.services import save_scores
from tracker.orgs.models import Organization
from tracker.thaidate import to_arabic_digits


@pytest.fixture
def people(world):
    office = Organization(name="กรมส่งเสริมการปกครองท้องถิ่น", slug="dla", province="")
    national = make_user(office, "national@dla.go.th", Role.national, name="ส่วนกลาง")
    db.session.commit()
    return world, national


def _check(page, name: str, artifacts_dir, phone: bool = False) -> None:
    size = "phone" if phone else "desktop"
    photograph(page, artifacts_dir / f"{name}-{size}.png", full_page=True)
    if phone:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{name} scrolls sideways on a 360 px phone ({width} px)"
    refused = [v for v in axe_violations(page) if v["impact"] in REFUSED_IMPACTS]
    assert not refused, f"{name} ({size}): " + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in refused
    )


def test_upload_preview_publish_and_copy_a_framework(browser_page, people, artifacts_dir, tmp_path):
    world, national = people
    file = tmp_path / "ita-2569.yaml"
    file.write_text(yaml.safe_dump(rated_2569(), allow_unicode=True), encoding="utf-8")

    page = browser_page()
    sign_in(page, national.email, PASSWORD)  # a national user lands on the overview
    page.get_by_role("link", name="กรอบ ITA").click()
    page.locator("#f-file").set_input_files(str(file))
    page.get_by_role("button", name="อัปโหลดเป็นฉบับร่าง").click()
    main = page.locator("main")
    assert "อัปโหลดกรอบปีงบประมาณ 2569 เป็นฉบับร่างแล้ว" in main.inner_text()
    assert "ฉบับร่าง" in main.inner_text() and "O25 การนำผลการประเมิน ITA ไปสู่การพัฒนาองค์กร" in main.inner_text()
    # The worked example shows the rule at work, and recalculates with other scores.
    assert page.get_by_test_id("example-rating").inner_text() == "ผ่าน"
    for number, value in AUDIT_LIKE.items():
        page.locator(f"#s{number}").fill(value)
    page.get_by_role("button", name="คำนวณใหม่").click()
    assert page.get_by_test_id("example-overall").inner_text() == "94.64"
    assert "ถึงเกณฑ์ “ผ่านดี” แต่ไม่เป็นไปตามเงื่อนไข EIT ≥ 85" in page.locator("main").inner_text()
    _check(page, "framework-preview", artifacts_dir)

    page.get_by_role("button", name="เผยแพร่กรอบนี้").click()
    assert "เผยแพร่กรอบปีงบประมาณ 2569 ฉบับที่ 1 แล้ว" in page.locator("main").inner_text()
    framework = db.session.scalar(sa.select(ItaFramework).where(ItaFramework.fiscal_year == 2569))
    assert framework.status is FrameworkStatus.published

    page.locator("#f-year").fill("2570")
    page.get_by_role("button", name="คัดลอกเป็นฉบับร่าง").click()
    page.wait_for_url(re.compile(r".*/edit$"))
    text = page.locator("#f-yaml").input_value()
    assert "fiscal_year: 2570" in text and "คัดลอกจากกรอบปีงบประมาณ 2569" in text
    page.locator("#f-yaml").fill(text.replace("code: O26", "code: O27"))
    _check(page, "framework-edit", artifacts_dir)
    page.get_by_role("button", name="บันทึก").click()
    assert "บันทึกการแก้ไขแล้ว" in page.locator("main").inner_text()
    assert "O27 รายงานผลการดำเนินการ" in page.locator("main").inner_text()
    db.session.expire_all()
    draft = db.session.scalar(sa.select(ItaFramework).where(ItaFramework.fiscal_year == 2570))
    assert draft.status is FrameworkStatus.draft and draft.spec.items.followup.code == "O27"

    page.get_by_role("link", name="กรอบการประเมิน ITA").first.click()
    listing = to_arabic_digits(page.locator("main").inner_text())  # digits follow the user's preference
    assert "2569" in listing and "2570" in listing and "เผยแพร่แล้ว" in listing
    _check(page, "frameworks", artifacts_dir)
    phone = browser_page(phone=True)
    sign_in(phone, national.email, PASSWORD)
    phone.goto(f"/ita/frameworks/{framework.id}")
    _check(phone, "framework-preview", artifacts_dir, phone=True)
    phone.goto("/ita/frameworks/")
    _check(phone, "frameworks", artifacts_dir, phone=True)

    # The organization's ITA page now rates its 2569 result by the published rules.
    save_scores(world.org, 2569, actor=None, now=NOW, scores=AUDIT_LIKE)
    db.session.commit()
    org_page = browser_page()
    log_in(org_page, world.admin.email, PASSWORD)
    org_page.goto("/ita/2569")
    text = to_arabic_digits(org_page.locator("main").inner_text())
    assert "ผลตามเกณฑ์: ผ่าน" in text
    assert "คะแนนถึงเกณฑ์ “ผ่านดี” แต่ไม่เป็นไปตามเงื่อนไข EIT ≥ 85" in text
    assert "ไม่มีผลการประเมินของปี 2568 ให้เปรียบเทียบ" in text
    _check(org_page, "ita-rated", artifacts_dir)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_score_mistakes_show_at_their_boxes(browser_page, world, artifacts_dir, phone):
    page = browser_page(phone=phone)
    sign_in(page, world.admin.email, PASSWORD)
    page.goto("/ita/2565")
    page.locator("#f-score-2").fill("101")
    page.locator("#f-score-3").fill("abc")
    page.get_by_role("button", name="บันทึกคะแนน").click()
    error = page.locator("#f-score-3-error")
    assert "ไม่ใช่ตัวเลข" in error.inner_text()
    assert page.locator("#f-score-3").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-score-3").input_value() == "abc"
    assert "อยู่นอกช่วง 0–100" in page.locator("#f-score-2-error").inner_text()
    error.scroll_into_view_if_needed()
    _check(page, "ita-score-mistakes", artifacts_dir, phone=phone)
