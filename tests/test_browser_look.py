"""Issue 11, look and feel: the same Thai font on every PC, badges whose borders keep clear of
tone marks, one kind of digits per page, and on a 360 px phone a folded menu, admin tables as
cards, chart labels that do not overlap and the first task of งานของฉัน without scrolling.
"""

from __future__ import annotations

import sqlalchemy as sa
from conftest import photograph
from test_browser_ui import demo, log_in  # noqa: F401 - fixtures

from tracker import thaidate
from tracker.auth.models import User
from tracker.db import db

PALAD_OWNER = "palad.owner@banpet.example"
ADMIN = "admin@banpet.example"


# -- digits: the reader's setting holds for typed text too ----------------------------------------


def test_typed_text_follows_the_readers_digits():
    assert thaidate.text_digits("ประจำปีงบประมาณ พ.ศ. ๒๕๖๖", thai_digits=False) == "ประจำปีงบประมาณ พ.ศ. 2566"
    assert thaidate.text_digits("ขั้นตอน 2.1 ปี 2566", thai_digits=True) == "ขั้นตอน ๒.๑ ปี ๒๕๖๖"
    # Codes keep their digits: O43 is an item of the assessment, not a number to localize.
    assert thaidate.text_digits("รายงาน O43 ITA-2566", thai_digits=True) == "รายงาน O43 ITA-2566"


def test_a_page_shows_one_kind_of_digits(demo, client, login):  # noqa: F811
    owner = db.session.scalar(sa.select(User).where(User.email == PALAD_OWNER))
    login(owner, "banpet2566")
    url = f"/plans/{demo.plan.id}"
    text = client.get(url).get_data(as_text=True)
    assert "พ.ศ. 2566" in text and "๒๕๖๖" not in text  # the seed's title is typed with Thai digits
    owner.thai_digits = True
    db.session.commit()
    text = client.get(url).get_data(as_text=True)
    assert "พ.ศ. ๒๕๖๖" in text and "พ.ศ. 2566" not in text
    assert db.session.get(type(demo.plan), demo.plan.id).title.endswith("๒๕๖๖")  # stored as typed


# -- the browser ------------------------------------------------------------------------------------


def test_pages_use_the_bundled_sarabun_and_badges_clear_their_tone_marks(browser_page, demo):  # noqa: F811
    page = browser_page()
    log_in(page, PALAD_OWNER)
    page.goto("/")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px Sarabun', 'ดำเนินการ')")
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any("Sarabun" in family for family in loaded)
    badge = page.locator(".badge").first
    style = badge.evaluate(
        "b => { const s = getComputedStyle(b); return [parseFloat(s.paddingTop), parseFloat(s.lineHeight),"
        " parseFloat(s.fontSize)] }"
    )
    padding_top, line_height, font_size = style
    # Thai marks reach about 0.35 em above and below the line box's text; the border keeps that clear.
    assert padding_top >= 3 and line_height >= 1.7 * font_size


def test_on_a_phone_the_menu_folds_and_the_first_task_shows_without_scrolling(browser_page, demo, artifacts_dir):  # noqa: F811
    page = browser_page(phone=True)
    log_in(page, PALAD_OWNER)
    page.goto("/my-steps")
    menu = page.locator("#main-menu")
    toggle = page.locator(".menu-toggle")
    assert toggle.is_visible() and not menu.is_visible()
    header = page.locator(".topbar").bounding_box()
    assert header["height"] < 780 / 8  # the bar took a quarter of the first screen
    first_task = page.locator("table.steps tbody tr").first.bounding_box()
    assert first_task["y"] < 780 - 60  # at least its first lines are on the first screen
    photograph(page, str(artifacts_dir / "my-steps-menu-closed-phone.png"))
    toggle.click()
    assert menu.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="งานของฉัน").is_visible()
    photograph(page, str(artifacts_dir / "my-steps-menu-open-phone.png"))
    toggle.click()
    assert not menu.is_visible() and toggle.get_attribute("aria-expanded") == "false"


def test_the_menu_stays_open_on_a_desktop(browser_page, demo):  # noqa: F811
    page = browser_page()
    log_in(page, PALAD_OWNER)
    assert page.locator("#main-menu").is_visible() and not page.locator(".menu-toggle").is_visible()


def test_on_a_phone_admin_tables_become_cards_and_emails_stay_whole(browser_page, demo, artifacts_dir):  # noqa: F811
    page = browser_page(phone=True)
    log_in(page, ADMIN)
    page.goto("/admin/users")
    email = page.locator("table.cards td.email").first
    assert email.get_attribute("data-label") == "อีเมล"
    box = email.bounding_box()
    line = email.evaluate("td => parseFloat(getComputedStyle(td).lineHeight)")
    assert box["height"] < 2 * line  # one line, not a letter per line
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    photograph(page, str(artifacts_dir / "admin-users-cards-phone.png"), full_page=True)


def test_on_a_phone_the_chart_labels_do_not_overlap(browser_page, demo):  # noqa: F811
    page = browser_page(phone=True)
    log_in(page, ADMIN)
    page.goto(f"/plans/{demo.plan.id}")
    boxes = page.evaluate(
        "[...document.querySelectorAll('.chart text.tick')]"
        ".filter(t => getComputedStyle(t).display !== 'none')"
        ".map(t => { const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
    )
    assert len(boxes) > 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a, b)
