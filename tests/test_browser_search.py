"""Issue 11 in a real browser: a Thai word from a step's note, typed in the
header's search box on a desktop and a 360 px phone, lists the step, and its
link opens it; axe-core finds no serious violation on the search page."""

from __future__ import annotations

import re

import pytest
from conftest import NOW, REFUSED_IMPACTS, axe_violations, photograph
from test_browser_follow import log_in, open_menu

NOTE = "ได้ประสานงานกับสำนักงานที่ดินจังหวัดเพื่อขอข้อมูลแนวเขตเรียบร้อยแล้ว"


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_thai_word_typed_in_the_header_finds_the_step_of_its_note(phone, world, browser_page, artifacts_dir):
    from tracker.db import db
    from tracker.plans import services

    step = world.step(world.m1, 2)
    services.add_comment(step, world.owner_palad, NOTE, NOW)
    services.add_link_evidence(step, world.owner_palad, "https://a.go.th/map", "แผนที่ดินแปลงสาธารณะ", NOW)
    db.session.commit()
    size = "phone" if phone else "desktop"

    page = browser_page(phone)
    log_in(page, world.viewer.email)
    box = page.locator("#site-q")
    if phone:
        assert not box.is_visible()  # folded away with the menu until it is opened
        photograph(page, artifacts_dir / f"search-header-closed-{size}.png")
    open_menu(page)
    assert box.is_visible()
    photograph(page, artifacts_dir / f"search-header-{size}.png")
    box.fill("ที่ดิน")
    box.press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q=.*"))

    notes = page.locator("section[aria-labelledby=g-notes]")
    assert "ขั้นตอน 1.2 จัดทำคู่มือ" in notes.inner_text()
    assert notes.locator("mark").first.inner_text() == "ที่ดิน"
    evidence = page.locator("section[aria-labelledby=g-evidence]")
    assert "แผนที่ดินแปลงสาธารณะ" in evidence.inner_text()
    photograph(page, artifacts_dir / f"search-results-{size}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= (360 if phone else 1280)
    found = axe_violations(page)
    for v in found:
        print(f"axe search {size}: {v['impact']} {v['id']}: {v['help']} {v['nodes']}")
    assert [v["id"] for v in found if v["impact"] in REFUSED_IMPACTS] == []

    notes.get_by_role("link", name=re.compile("จัดทำคู่มือ")).click()
    page.wait_for_url(re.compile(rf".*/steps/{step.id}(#.*)?$"))
    assert page.locator("h1").inner_text().count("จัดทำคู่มือ") == 1
    assert NOTE in page.locator("section[aria-labelledby=journal-h]").inner_text()


def test_the_search_page_messages_are_accessible(world, browser_page, artifacts_dir):
    for phone in (False, True):
        page = browser_page(phone)
        log_in(page, world.viewer.email)
        for query, name in (("", "empty"), ("ก", "short")):
            page.goto(f"/search?q={query}")
            photograph(page, artifacts_dir / f"search-{name}-{'phone' if phone else 'desktop'}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= (360 if phone else 1280)
            found = axe_violations(page)
            assert [v["id"] for v in found if v["impact"] in REFUSED_IMPACTS] == [], found
