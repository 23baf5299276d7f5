"""The English switch: Thai is the source language, `?lang=en` (or the `lang`
cookie it sets) shows the interface in English, service messages written
"ไทย (English)" show their English part, dates keep Buddhist-Era years.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import NOW
from outbox_factory import queue

from tracker import i18n, thaidate
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.i18n.en import EN
from tracker.ita.demo import load_demo_scores
from tracker.ita.models import ItaContextScore, ItaFramework, ItaIndicator, ItaTool
from tracker.notify.models import OutboxMessage
from tracker.orgs.models import Department, Organization
from tracker.plans.models import Measure, Plan, Step, Weakness

ROOT = Path(__file__).resolve().parent.parent
THAI = re.compile("[\u0e00-\u0e7f]")
#: Thai letters and marks, not Thai digits ("Thai digits (๐–๙)" is English).
THAI_LETTERS = re.compile("[\u0e01-\u0e4f\u0e5a\u0e5b]")
#: `_("…")`, `bi('…')`, `translate("…", context="…")` with a literal first argument.
CALL = re.compile(
    r"""(?<![\w.])(?:_l|_|bi|translate)\(\s*(?P<q>["'])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
    r"""(?:\s*,\s*context=(?P<q2>["'])(?P<context>\w+)(?P=q2))?""",
    re.S,
)


def translated_strings() -> list[tuple[str, str]]:
    """(file, catalogue key) of every literal the templates and the code translate."""
    found = []
    files = sorted((ROOT / "templates").rglob("*.html")) + sorted((ROOT / "tracker").rglob("*.py"))
    for path in files:
        if path.parent.name == "i18n":
            continue
        for m in CALL.finditer(path.read_text(encoding="utf-8")):
            text = ast.literal_eval(m["q"] + m["text"] + m["q"]) if path.suffix == ".py" else m["text"]
            key = f"{m['context']}|{text}" if m["context"] else text
            found.append((str(path.relative_to(ROOT)), key))
    return found


# -- the catalogue ------------------------------------------------------------------------------


def test_every_string_the_interface_translates_has_an_english_entry():
    used = translated_strings()
    assert len(used) > 500, "the templates translate their text through _() and bi()"
    missing = sorted({f"{where}: {key!r}" for where, key in used if key not in EN})
    assert not missing, "no English for:\n" + "\n".join(missing)


def test_labels_shown_through_lookups_have_english_entries():
    from tracker.admin import views as admin_views
    from tracker.ita import scores as ita_scores
    from tracker.ita import views as ita_views
    from tracker.notify import outbox_views
    from tracker.notify.models import OutboxStatus
    from tracker.plans import listing
    from tracker.plans import views as plan_views
    from tracker.plans.models import PlanStatus, StepStatus
    from tracker.reports import followup_document, signoff
    from tracker.reports import views as report_views

    labels = [
        *(s.label for s in StepStatus),
        *(s.label for s in PlanStatus),
        *(r.label for r in Role),
        *(s.label for s in OutboxStatus),
        *plan_views.FIELD_LABELS.values(),
        *plan_views.VISIBILITY_LABELS.values(),
        *admin_views.FIELD_LABELS.values(),
        *admin_views.ENTITY_LABELS.values(),
        *listing.STATUS_FILTERS.values(),
        *listing.DUE_FILTERS.values(),
        *outbox_views.KIND_LABELS.values(),
        *outbox_views.REASON_LABELS.values(),
        *ita_views.SCOPE_LABELS.values(),
        ita_scores.WORD_UP,
        ita_scores.WORD_DOWN,
        ita_scores.WORD_EQUAL,
        *followup_document.ROUNDS.values(),
        *report_views.RESULT_FIELD_LABELS.values(),
        *signoff.KIND_LABELS.values(),
        *signoff.STATUS_LABELS.values(),
    ]
    journal_actions = [*plan_views.ACTION_LABELS.values(), *admin_views.ACTION_LABELS.values()]
    # A label shown through localize() may carry its English in parentheses instead.
    missing = sorted(
        {label for label in labels if label not in EN and not i18n.english_part(label)}
        | {a for a in journal_actions if f"journal|{a}" not in EN and a not in EN}
    )
    assert not missing, missing


def test_catalogue_keys_are_unique_and_entries_keep_their_placeholders():
    source = (ROOT / "tracker" / "i18n" / "en.py").read_text(encoding="utf-8")
    [assignment] = [node for node in ast.parse(source).body if isinstance(node, ast.AnnAssign)]
    keys = [ast.literal_eval(k) for k in assignment.value.keys]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, duplicates
    placeholder = re.compile(r"%\((\w+)\)s")
    for thai, english in EN.items():
        assert english.strip(), thai
        assert THAI.search(thai.split("|", 1)[-1]), f"a key is the Thai source text: {thai!r}"
        assert sorted(placeholder.findall(thai)) == sorted(placeholder.findall(english)), thai
        names = dict.fromkeys(placeholder.findall(thai), "x")
        if names:
            assert english % names, thai  # a stray % raises here, not on a page


def test_translate_returns_thai_unless_english_is_asked_for():
    assert i18n.translate("ภาพรวม") == "ภาพรวม"  # outside a request: Thai (emails, the CLI)
    assert i18n.translate("ภาพรวม", lang="en") == "Dashboard"
    assert i18n.translate("มาตรการที่ %(number)s", lang="en", number="3.2") == "Measure 3.2"
    assert i18n.translate("มาตรการที่ %(number)s", number="3.2") == "มาตรการที่ 3.2"
    assert i18n.translate("ข้อความที่ไม่มีในแคตตาล็อก", lang="en") == "ข้อความที่ไม่มีในแคตตาล็อก"
    assert i18n.translate("หน่วยงาน", lang="en") == "Department"
    assert i18n.translate("หน่วยงาน", lang="en", context="heading") == "Departments"


@pytest.mark.parametrize(
    "message, english",
    [
        ("บันทึกสถานะ “ดำเนินการแล้ว” แล้ว (status saved)", "Status saved"),
        (
            (
                "ปี 2023 น่าจะเป็นปี ค.ศ. กรุณาใช้ปี พ.ศ. เช่น 2566 (year 2023 looks like a Gregorian (CE) year; "
                "use the Buddhist Era year, e.g. 2566)"
            ),
            "Year 2023 looks like a Gregorian (CE) year; use the Buddhist Era year, e.g. 2566",
        ),
        ("ลบหลักฐาน “บันทึก (ฉบับที่ 2).pdf” แล้ว (evidence removed)", "Evidence removed"),
    ],
)
def test_the_english_of_a_bilingual_message_is_its_final_parentheses(message, english):
    assert i18n.english_part(message) == english


@pytest.mark.parametrize(
    "message",
    [
        "ยังไม่ได้สร้างลิงก์ของหน่วยงานนี้ (ผู้ดูแลระบบเป็นผู้สร้าง)",  # a Thai aside, not a translation
        "ไม่มีวงเล็บ",
        "(only parentheses)",
        "ไม่ปิดวงเล็บ (broken",
    ],
)
def test_a_message_without_an_english_part_has_none(message):
    assert i18n.english_part(message) is None


# -- dates -------------------------------------------------------------------------------------


def test_english_dates_name_the_month_in_english_and_keep_the_buddhist_era_year():
    day = date(2023, 8, 15)
    assert thaidate.format_date(day, lang="en") == "15 Aug 2566"
    assert thaidate.format_date(day, "full", lang="en") == "15 August 2566"
    assert thaidate.format_date(day, "short", lang="en") == "15/08/2566"
    assert thaidate.format_date(day) == "15 ส.ค. 2566"
    moment = datetime(2023, 8, 15, 7, 5, tzinfo=UTC)  # 14:05 in Bangkok
    assert thaidate.format_datetime(moment, lang="en") == "15 Aug 2566 14:05"
    assert thaidate.format_datetime(moment) == "15 ส.ค. 2566 14:05 น."
    assert (
        thaidate.format_period(date(2022, 10, 1), date(2023, 3, 31), thai_digits=False, lang="en")
        == "Oct 2565 – Mar 2566"
    )
    assert thaidate.format_period(date(2023, 1, 1), date(2023, 9, 30), lang="en") == "Jan – Sep ๒๕๖๖"
    assert len(thaidate.MONTHS_ABBR_EN) == len(thaidate.MONTHS_FULL_EN) == 12


# -- switching in the app ---------------------------------------------------------------------------


def page(response) -> str:
    return response.get_data(as_text=True)


def test_everyone_can_switch_and_the_choice_is_kept_in_a_cookie(client):
    thai = page(client.get("/login"))
    assert '<html lang="th">' in thai and "เข้าสู่ระบบ" in thai
    assert re.search(r'<a class="lang-switch" href="/login\?lang=en" lang="en" hreflang="en">English</a>', thai)

    response = client.get("/login?lang=en")
    english = page(response)
    assert '<html lang="en">' in english
    assert "<h1>Log in</h1>" in english and ">Email</label>" in english and ">Password</label>" in english
    assert not THAI.search(english.replace(">ไทย</a>", ""))
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie

    assert '<html lang="en">' in page(client.get("/login")), "the cookie keeps English"
    assert '<html lang="th">' in page(client.get("/login?lang=th"))
    assert '<html lang="th">' in page(client.get("/login"))
    assert '<html lang="th">' in page(client.get("/login?lang=xx")), "an unknown language is ignored"


def test_the_switch_keeps_the_page_and_its_filters(world, login):
    client = login(world.admin)
    text = page(client.get(f"/plans/{world.plan.id}?status=open&q=คู่มือ"))
    link = re.search(r'class="lang-switch" href="([^"]+)"', text)[1]
    assert link.startswith(f"/plans/{world.plan.id}?") and "status=open" in link and link.endswith("lang=en")
    english = page(client.get(link.replace("&amp;", "&")))
    assert "Showing 1–1 of 1 steps" in english and "จัดทำคู่มือ" in english


def test_flash_messages_and_errors_show_their_english_part(world, login):
    client = login(world.owner_palad)
    client.get("/?lang=en")
    step = world.step(world.m1, 1)
    response = client.post(
        f"/steps/{step.id}/status", data={"status": "in_progress", "note": "เริ่มแล้ว"}, follow_redirects=True
    )
    text = page(response)
    assert '<p class="flash flash-success">Status saved</p>' in text
    assert "Change status" in text and "From “In progress” to" in text

    refused = client.post(f"/steps/{step.id}/status", data={"status": ""})
    assert refused.status_code == 400
    assert "Choose the new status" in page(refused) and "โปรดเลือกสถานะใหม่" not in page(refused)

    missing = client.get("/steps/999999")
    assert missing.status_code == 404
    assert "<h1>Not found</h1>" in page(missing) and "Page not found" in page(missing)


def test_json_errors_stay_bilingual_whatever_the_language(world, login):
    client = login(world.admin)
    client.get("/?lang=en")
    response = client.get("/steps/999999", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "ไม่พบหน้าที่ต้องการ (page not found)"


def test_english_pages_show_dates_in_english_with_be_years_and_arabic_digits(world, login):
    world.owner_palad.thai_digits = True
    db.session.commit()
    client = login(world.owner_palad)
    step = world.step(world.m1, 2)
    assert "๓๑ ส.ค. ๒๕๖๖" in page(client.get(f"/steps/{step.id}")), "Thai pages follow the Thai-digits choice"
    english = page(client.get(f"/steps/{step.id}?lang=en"))
    assert "31 Aug 2566" in english and "๒๕๖๖" not in english


# -- the main pages in English --------------------------------------------------------------------


class VisibleText(HTMLParser):
    """Text a reader meets: text nodes and the attributes read aloud, outside
    scripts, styles and anything marked lang="th" (the switch back to Thai)."""

    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    )
    READ = ("aria-label", "title", "placeholder", "alt", "aria-valuetext")

    def __init__(self, only_class: str | None = None):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.chunks: list[str] = []
        self.only_class = only_class

    def _hidden(self) -> bool:
        return any(skip for _, skip in self.stack)

    def _inside(self) -> bool:
        return self.only_class is None or any(tag == "+" for tag, _ in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in ("script", "style") or attrs.get("lang") == "th"
        if not skip and not self._hidden() and self._inside():
            self.chunks += [attrs[name] for name in self.READ if attrs.get(name)]
        if tag not in self.VOID:
            marker = "+" if self.only_class and self.only_class in (attrs.get("class") or "").split() else tag
            self.stack.append((marker, skip))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if data.strip() and not self._hidden() and self._inside():
            self.chunks.append(data)


def interface_text(html: str, data: list[str], only_class: str | None = None) -> str:
    parser = VisibleText(only_class)
    parser.feed(html)
    text = "\n".join(parser.chunks)
    for value in data:  # longest first, so a title goes before a name inside it
        text = text.replace(value, "")
    return text


def data_strings() -> list[str]:
    """What people typed or imported: it stays as written in either language."""
    values: list[str] = []
    for column in (
        Organization.name,
        Organization.province,
        Department.name,
        User.display_name,
        User.position,
        Plan.title,
        Weakness.title,
        Weakness.detail,
        Measure.title,
        Measure.follow_up,
        Step.title,
        ItaIndicator.name,
        ItaTool.name,
        ItaContextScore.label,
        OutboxMessage.subject,
        OutboxMessage.recipient_name,
    ):  # emails are written in Thai
        # Pages show typed digits in the reader's digits (Arabic in English mode).
        values += [w for v in db.session.scalars(sa.select(column)) if v for w in (v, thaidate.to_arabic_digits(v))]
    for framework in db.session.scalars(sa.select(ItaFramework)):  # the items a framework names are its data
        items = framework.spec.items
        values += [ref.label for ref in (items.measures, items.followup) if ref is not None] + [framework.name]
    return sorted(set(values), key=len, reverse=True)


@pytest.fixture
def english_admin(world, login):
    load_demo_scores(world.org, NOW)
    queue(2, organization_id=world.org.id)
    db.session.commit()
    client = login(world.admin)
    client.get("/?lang=en")
    return client


def main_pages(world) -> list[tuple[str, str, list[str], str | None]]:
    """(name, url, English labels the page must show, class of the part that is interface)."""
    step = world.step(world.m1, 1)
    return [
        (
            "dashboard",
            f"/plans/{world.plan.id}",
            ["Overall progress", "Progress against the plan", "Progress by measure", "Search", "Due"],
            None,
        ),
        ("measure", f"/measures/{world.m1.id}", ["Owner department", "Period", "Latest note"], None),
        ("step", f"/steps/{step.id}", ["Change status", "Evidence", "Upload a file", "Journal"], None),
        ("my steps", "/my-steps", ["My steps", "Search"], None),
        ("profile", "/profile", ["My settings", "Change password", "Thai digits"], None),
        ("admin", "/admin/", ["Administration", "Plans", "Departments", "All users"], None),
        ("admin plan", f"/admin/plans/{world.plan.id}", ["Title and status", "Add a weakness", "Edit history"], None),
        ("admin users", "/admin/users", ["Users", "Add a user", "Showing 1–5 of 5 users"], None),
        ("report", f"/plans/{world.plan.id}/report", ["As of", "Show the report", "Download:"], "controls"),
        ("ITA", "/ita/2565", ["ITA result", "Overall score", "Indicators ranked"], None),
        ("outbox", "/admin/outbox", ["Outbox", "Recipient", "Showing 1–2 of 2 messages"], None),
        ("publish", f"/plans/{world.plan.id}/publish", ["Publish a report", "Published reports"], None),
        (
            "public page",
            f"/p/{world.org.slug}/{world.plan.fiscal_year}",
            ["Overall progress", "Measures and steps", "Permanent link:"],
            None,
        ),
    ]


def test_the_main_pages_in_english_show_no_thai_but_the_data(world, english_admin):
    data = data_strings()
    for name, url, labels, only_class in main_pages(world):
        response = english_admin.get(url)
        assert response.status_code == 200, (name, url)
        html = page(response)
        for label in labels:
            assert label in html, f"{name}: {label!r} missing"
        left = interface_text(html, data, only_class)
        thai = [line for line in left.splitlines() if THAI_LETTERS.search(line)]
        assert not thai, f"{name} ({url}) shows Thai interface text in English:\n" + "\n".join(thai)


def test_the_thai_pages_stay_thai(world, login):
    client = login(world.admin)
    text = page(client.get(f"/plans/{world.plan.id}"))
    assert '<html lang="th">' in text
    assert "ความคืบหน้ารายมาตรการ <small>Progress by measure</small>" in text
    assert "Progress against the plan" in text  # the small English hint under a Thai heading
    assert ">English</a>" in text
