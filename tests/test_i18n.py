"""The English switch on Flask-Babel: Thai is the source language, `?lang=en`
(or the `lang` cookie it sets) shows the interface in English from the
catalogue tracker/translations/en/LC_MESSAGES/messages.po; a page is Thai only
or English only; emails and printed documents stay Thai; dates keep
Buddhist-Era years.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from click.testing import CliRunner
from conftest import NOW
from outbox_factory import queue

from tracker import i18n, thaidate
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.i18n import catalog
from tracker.ita.demo import load_demo_scores
from tracker.ita.models import ItaContextScore, ItaFramework, ItaIndicator, ItaTool
from tracker.notify.models import OutboxMessage
from tracker.orgs.models import Department, Organization
from tracker.plans.models import Measure, Plan, Step, Weakness

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import split_bilingual  # noqa: E402

THAI = re.compile("[\u0e00-\u0e7f]")
#: Thai letters and marks, not Thai digits ("Thai digits (๐–๙)" is English).
THAI_LETTERS = re.compile("[\u0e01-\u0e4f\u0e5a\u0e5b]")


# -- the catalogue ------------------------------------------------------------------------------


def test_the_catalogue_is_complete_and_compiled():
    """What CI runs: `tracker translate check` on the tree."""
    result = CliRunner().invoke(catalog.translate_command, ["check"])
    assert result.exit_code == 0, result.output
    assert len(catalog.read()) > 1000, "the templates and the code translate their text"


@pytest.fixture(scope="module")
def extracted():
    """The tree's strings as `catalog.extract()` finds them (1.2 s), once for the tests below;
    each takes a copy to change."""
    return catalog.extract()


def test_check_fails_on_an_untranslated_string_a_fuzzy_entry_and_a_stale_mo(tmp_path, extracted):
    template = copy.deepcopy(extracted)
    template.add("ข้อความใหม่ที่ยังไม่มีคำแปล", None, [("tracker/new.py", 1)])
    po, mo = tmp_path / "messages.po", tmp_path / "messages.mo"
    shutil.copy(catalog.PO, po)
    shutil.copy(catalog.MO, mo)
    problems = catalog.check(template, po=po, mo=mo)
    assert "'ข้อความใหม่ที่ยังไม่มีคำแปล' (tracker/new.py:1)" in problems.untranslated
    assert problems and not problems.unused and not problems.stale_mo

    edited = catalog.read(po)
    edited.get("ภาพรวม").flags.add("fuzzy")
    edited.get("ออกจากระบบ").string = "Sign out"
    catalog.write(edited, po)
    problems = catalog.check(copy.deepcopy(extracted), po=po, mo=mo)
    assert "'ภาพรวม'" in [p.split(" (")[0] for p in problems.fuzzy]
    assert "'ออกจากระบบ'" in problems.stale_mo, "the .mo still says Log out"
    assert "translate compile" in "\n".join(problems.lines())


def test_labels_shown_through_lookups_have_english_entries(app):
    """Labels kept in tables (marked N_) and translated where they are shown."""
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
    with app.test_request_context("/?lang=en"):
        missing = sorted(
            {str(label) for label in labels if THAI_LETTERS.search(i18n._(str(label)))}
            | {a for a in journal_actions if THAI_LETTERS.search(i18n.pgettext("journal", a))}
        )
    assert not missing, missing


def test_check_command_exits_1_listing_what_is_missing(tmp_path, monkeypatch, extracted):
    planted = tmp_path / "tracker" / "planted.py"
    planted.parent.mkdir()
    planted.write_text('from tracker.i18n import _\n\nMESSAGE = _("ข้อความที่ไม่มีคำแปล")\n', encoding="utf-8")
    real_extract = catalog.extract
    monkeypatch.setattr(catalog, "extract", lambda root=ROOT: _merged(copy.deepcopy(extracted), real_extract(tmp_path)))
    result = CliRunner().invoke(catalog.translate_command, ["check"])
    assert result.exit_code == 1
    assert "ข้อความที่ไม่มีคำแปล" in result.output and "no English" in result.output


def _merged(a, b):
    for message in b:
        if message.id:
            a.add(message.id, None, message.locations, context=message.context)
    return a


def test_catalogue_entries_keep_their_placeholders_and_msgids_are_thai():
    placeholder = re.compile(r"%\((\w+)\)[sdr]")
    with catalog.PO.open("rb") as f:
        entries = [m for m in read_po(f) if m.id]
    for m in entries:
        assert m.string.strip(), m.id
        assert THAI.search(m.id), f"a msgid is the Thai source text: {m.id!r}"
        assert split_bilingual.split(m.id) is None, f"a msgid carries its English: {m.id!r}"
        # The English may name more than the Thai (a detail the code passes to both): all must format.
        names = dict.fromkeys(placeholder.findall(m.id) + placeholder.findall(m.string), 1)
        if names:
            assert m.string % names, m.id  # a stray % raises here, not on a page


def test_no_bilingual_literal_is_left_for_the_codemod(tmp_path):
    """scripts/split_bilingual.py finds nothing more to convert in the tree."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "split_bilingual.py"), "--dry-run"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert result.stdout.startswith("0 files changed"), result.stdout[:2000]


def test_translate_returns_thai_unless_english_is_asked_for(app):
    assert i18n.translate("ภาพรวม") == "ภาพรวม"  # outside a request: Thai (emails, the CLI)
    with app.test_request_context("/?lang=en"):
        assert i18n._("ภาพรวม") == "Dashboard"
        assert i18n._("มาตรการที่ %(number)s", number="3.2") == "Measure 3.2"
        assert i18n._("ข้อความที่ไม่มีในแคตตาล็อก") == "ข้อความที่ไม่มีในแคตตาล็อก"
        assert i18n._("หน่วยงาน") == "Department"
        assert i18n.pgettext("heading", "หน่วยงาน") == "Departments"
        assert i18n.translate("ภาพรวม", lang="th") == "ภาพรวม"
        with i18n.in_thai():
            assert i18n._("ภาพรวม") == "ภาพรวม"
        assert str(i18n._l("ภาพรวม")) == "Dashboard"
    with app.test_request_context("/"):
        assert i18n._("มาตรการที่ %(number)s", number="3.2") == "มาตรการที่ 3.2"
        assert str(i18n._l("ภาพรวม")) == "ภาพรวม"


def test_the_cli_speaks_thai_unless_tracker_language_says_english(app, monkeypatch):
    with app.app_context():
        assert i18n._("ภาพรวม") == "ภาพรวม"
    monkeypatch.setenv("TRACKER_LANGUAGE", "en")
    with app.app_context():
        assert i18n._("ภาพรวม") == "Dashboard"


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


def test_flash_messages_and_errors_show_in_the_page_language(world, login):
    client = login(world.owner_palad)
    client.get("/?lang=en")
    step = world.step(world.m1, 1)
    response = client.post(
        f"/steps/{step.id}/status", data={"status": "in_progress", "note": "เริ่มแล้ว"}, follow_redirects=True
    )
    text = page(response)
    assert '<p class="flash flash-success">Status saved</p>' in text
    assert "Update the step" in text and "Status: from “In progress” to" in text

    refused = client.post(f"/steps/{step.id}/status", data={"status": ""})
    assert refused.status_code == 400
    assert "Choose the new status" in page(refused) and "โปรดเลือกสถานะใหม่" not in page(refused)

    missing = client.get("/steps/999999")
    assert missing.status_code == 404
    assert "<h1>Not found</h1>" in page(missing) and "Page not found" in page(missing)


def test_json_errors_follow_the_language(world, login):
    client = login(world.admin)
    response = client.get("/steps/999999", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "ไม่พบหน้าที่ต้องการ"
    client.get("/?lang=en")
    response = client.get("/steps/999999", headers={"Accept": "application/json"})
    assert response.get_json()["error"] == "Page not found"


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
        ("step", f"/steps/{step.id}", ["Update the step", "Evidence", "Upload a file", "Journal"], None),
        ("my steps", "/my-steps", ["My steps", "Search and filter", "Save the filters"], None),
        ("admin home", "/", ["Plan health", "Import a plan file", "Nobody responsible"], None),
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
    assert "ความคืบหน้ารายมาตรการ" in text
    assert "Progress by measure" not in text and "<small>Progress" not in text, "no English hint under a heading"
    assert ">English</a>" in text


# -- every page, every role: one language at a time ----------------------------------------------

#: Names and acronyms that stand in parentheses in Thai text: not translations.
NAMES_IN_PARENTHESES = re.compile(
    r"^(?:[A-Z0-9][A-Z0-9\-./+ ]*|[A-Za-z]+-?[A-Z][\w\-]*|[A-Z][a-z]+ [A-Z][a-z]+|\.?[a-z]{3,4}|"
    r"Excel|Outlook|Google|Word|Chromium|e-mail|email|[a-z]+@[\w.]+|https?://\S+|[\w.-]+\.(?:yaml|csv|xlsx|docx|pdf))$"
)
ENGLISH_IN_PARENTHESES = re.compile(r"\(([A-Za-z][^()\u0e00-\u0e7f]*)\)")
#: Parts of a page that are its interface in English mode (data typed in Thai may sit beside them).
CHROME = ("nav", "h1", "h2", "h3", "label", "button", "th", "legend", "summary")


def english_in_parentheses(text: str) -> list[str]:
    return [
        m[0]
        for m in ENGLISH_IN_PARENTHESES.finditer(text)
        if re.search(r"[a-z]{2}", m[1]) and not NAMES_IN_PARENTHESES.match(m[1].strip())
    ]


class Chrome(HTMLParser):
    """Text inside navigation, headings, labels, buttons and table headings."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in CHROME:
            self.depth += 1
        if tag in ("script", "style") or dict(attrs).get("lang") == "th":
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in CHROME and self.depth:
            self.depth -= 1
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip and data.strip():
            self.chunks.append(data.strip())


def chrome_text(html: str) -> list[str]:
    parser = Chrome()
    parser.feed(html.replace('lang="th" hreflang="th">ไทย</a>', ">TH</a>"))
    return parser.chunks


def report_titles() -> list[str]:
    """Official titles of submitted reports ("รายงาน… (O43) ปีงบประมาณ 2566 ณ …"): a document's name."""
    from tracker.reports.models import ReportSubmission
    from tracker.reports.signoff import report_label

    return [report_label(s, db.session.get(Plan, s.plan_id)) for s in db.session.scalars(sa.select(ReportSubmission))]


ROLES = ["anonymous", "admin", "manager", "owner_palad", "viewer"]


@pytest.fixture
def walk_org(app, ctx, monkeypatch):
    """One organization with a record behind every route variable (tests/test_isolation.py)."""
    from test_isolation import populate

    from tracker import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    upload_dir = app.config["TRACKER_UPLOAD_DIR"]
    Path(upload_dir).mkdir(parents=True, exist_ok=True)
    return populate("A", "aqxa-town", "ขอนแก่น", upload_dir)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_thai_shows_no_english_in_parentheses_and_in_english_no_thai_chrome(app, client, walk_org, role):
    from test_isolation import fill, login_as, web_rules, with_ids

    a = walk_org
    login_as(client, None if role == "anonymous" else a.users[role])
    data = [v for v in data_strings() if v] + report_titles()
    seen, problems = 0, []
    for rule, method in web_rules(app):
        if method != "GET":
            continue
        url = fill(rule.rule, rule.endpoint, with_ids(a, a))
        for lang in ("th", "en"):
            response = client.get(url, query_string={"lang": lang})
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            seen += lang == "th"
            html = page(response)
            if lang == "th":
                left = interface_text(html, data)
                for found in english_in_parentheses(left):
                    problems.append(f"{url} (th): {found}")
            else:
                for chunk in chrome_text(html):
                    for value in data:
                        chunk = chunk.replace(value, "")
                    # "Office (ส่วนราชการ)": an English label may quote the Thai term of an official form.
                    chunk = re.sub(r"\([^()a-zA-Z]*\)", "", chunk)
                    if THAI_LETTERS.search(chunk):
                        problems.append(f"{url} (en): {chunk[:80]}")
    client.get("/?lang=th")
    assert seen > (20 if role == "admin" else 10 if role != "anonymous" else 2), f"{role} saw {seen} pages"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems)))


def test_emails_and_documents_made_in_an_english_request_are_thai(app, world, login, tmp_path):
    from tracker.notify.reminders import queue_reminders
    from tracker.reports.views import render_report

    client = login(world.admin)
    client.get("/?lang=en")
    with app.test_request_context("/?lang=en"):
        assert i18n.is_english()
        messages = queue_reminders(datetime(2023, 7, 24, 8, 5, tzinfo=thaidate.BANGKOK))
        db.session.commit()
        assert messages
        for message in messages:
            assert THAI_LETTERS.search(message.subject), message.subject
            assert "Due" not in message.body_text and "Step" not in message.body_text
        assert i18n.is_english(), "the page language is back after the email"

    response = client.get(f"/plans/{world.plan.id}/report.html")
    assert response.status_code == 200
    html = page(response)
    assert "ความคืบหน้า" in html and "Overall progress" not in html

    if shutil.which("pdftotext"):
        pdf = client.get(f"/plans/{world.plan.id}/report.pdf")
        if pdf.status_code == 200:
            path = tmp_path / "report.pdf"
            path.write_bytes(pdf.data)
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True).stdout
            assert "ความคืบหน้า" in text.replace("\n", "") or THAI_LETTERS.search(text)
            assert "Overall progress" not in text
    docx = client.get(f"/plans/{world.plan.id}/report.docx")
    assert docx.status_code == 200
    with app.test_request_context("/?lang=en"):
        assert render_report is not None
