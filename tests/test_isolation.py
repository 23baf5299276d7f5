"""Organizations are isolated: no read and no write across organizations through
any route, API call, command, report, notification or calendar feed.

Three organizations are fully populated — plans, steps with notes and
evidence (files and links, public and internal), follow-up results, outbox
messages, ITA scores, the analysis memo, a sign-off submission, a published
report, calendar and API tokens. A and B are in ขอนแก่น, C in อุดรธานี.
Every text of an organization carries its marker (AQXA, ZQXB, ZQXC), so a
leak shows as another organization's marker in a response.

The route walks take every rule of `app.url_map`, so a route added later is
walked too. Each request with another organization's ids must answer exactly
as the same request with ids that exist nowhere (no oracle), and the other
organization's rows must be byte-for-byte the same afterwards.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, PASSWORD, Prebuilt, make_user
from tracker import clock
from tracker.api import tokens
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.ita.demo import load_demo_scores
from tracker.notify.digests import queue_digests
from tracker.notify.models import OutboxItem, OutboxMessage
from tracker.notify.outbox import enqueue
from tracker.notify.reminders import queue_reminders
from tracker.notify.tokens import new_calendar_token
from tracker.orgs.models import Department, Organization
from tracker.plans import results, services, trash
from tracker.plans.models import Measure, Plan, Step, StepStatus, Weakness
from tracker.public.services import publish_report
from tracker.reports.followup import build_report
from tracker.reports.memo_saved import save_memo
from tracker.reports.signoff import submit_report
from tracker.reports.views import render_report

MARKS = {"A": "AQXA", "B": "ZQXB", "C": "ZQXC"}
#: An id that exists nowhere (the largest the URL converter accepts).
NOWHERE = 2**31 - 1
#: Route variables naming a record; the rest (slug, year, format…) are not ids.
RECORD_ARGS = (
    "plan_id",
    "measure_id",
    "weakness_id",
    "step_id",
    "evidence_id",
    "department_id",
    "user_id",
    "message_id",
    "submission_id",
    "organization_id",
    "published_id",
    "report_id",
    "token_id",
    "item_id",
)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@dataclass
class Org:
    """One populated organization, as the tests see it."""

    key: str
    org: Organization
    plan: Plan
    palad: Department
    m1: Measure
    steps: list[Step]
    users: dict[str, User]
    ids: dict[str, object] = field(default_factory=dict)
    api_secret: str = ""

    @property
    def mark(self) -> str:
        return MARKS[self.key]


def populate(key: str, slug: str, province: str, upload_dir: str) -> Org:
    mark = MARKS[key]
    low = mark.lower()
    org = Organization(name=f"เทศบาลตำบล{mark}", slug=slug, province=province)
    palad = Department(organization=org, name=f"สำนักปลัด {mark}", email=f"palad@{low}.go.th")
    strategy = Department(organization=org, name=f"กองยุทธศาสตร์ {mark}", email=f"strategy@{low}.go.th")
    plan = Plan(organization=org, fiscal_year=2566, title=f"แผนมาตรการ {mark}")
    weakness = Weakness(plan=plan, order=1, title=f"ประเด็น {mark}")
    m1 = Measure(
        weakness=weakness,
        order=1,
        title=f"มาตรการที่หนึ่ง {mark}",
        owner_department=palad,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
        follow_up=f"ติดตาม {mark}",
    )
    m2 = Measure(
        weakness=weakness,
        order=2,
        title=f"มาตรการที่สอง {mark}",
        owner_department=strategy,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
        follow_up=f"สถิติ {mark}",
    )
    steps = [
        Step(
            measure=m,
            order=i,
            title=f"ขั้นตอน {mark} {m.order}.{i}",
            owner_department=m.owner_department,
            start_date=date(2023, 1, 2),
            due_date=due,
        )
        for m, i, due in (
            (m1, 1, date(2023, 7, 3)),
            (m1, 2, date(2023, 8, 2)),
            (m1, 3, date(2023, 9, 29)),
            (m2, 1, date(2023, 7, 10)),
            (m2, 2, date(2023, 8, 3)),
        )
    ]
    db.session.add_all([org, palad, strategy, plan, *steps])
    users = {
        role: make_user(
            org,
            f"{role}@{low}.go.th",
            Role(role.split("_")[0]),
            {"owner_palad": palad, "owner_strategy": strategy}.get(role),
            name=f"{role} {mark}",
        )
        for role in ("admin", "manager", "owner_palad", "owner_strategy", "viewer")
    }
    palad.head = users["manager"]
    for user in users.values():
        user.calendar_token = new_calendar_token()
    palad.calendar_token = new_calendar_token()
    db.session.commit()

    owner, admin = users["owner_palad"], users["admin"]
    earlier = NOW - timedelta(days=10)
    services.change_status(steps[0], StepStatus.in_progress, owner, earlier, note=f"บันทึกภายใน {mark}")
    services.add_comment(steps[1], owner, f"ความเห็น {mark}", earlier)
    link = services.add_link_evidence(steps[0], owner, f"https://{low}.go.th/announcement", f"ประกาศ {mark}", earlier)
    link.public = True
    file_ev = services.add_file_evidence(
        steps[0],
        owner,
        f"หลักฐาน-{low}.pdf",
        io.BytesIO(b"%PDF-1.4\n" + mark.encode() + b"\n%%EOF\n"),
        upload_dir,
        10 * 1024 * 1024,
        earlier,
    )
    results.set_result(m1, owner, earlier, value="12", unit="ครั้ง", note=f"ผลการติดตาม {mark}")
    result_ev = results.add_result_link(m1, owner, f"https://{low}.go.th/result", f"สถิติ {mark}", earlier)
    message = enqueue(
        organization_id=org.id,
        about=f"org:{org.id}",
        kind="reminder",
        for_date=date(2023, 7, 3),
        recipient=palad.email,
        subject=f"แจ้งเตือน {mark}",
        body_text=f"ข้อความ {mark}",
        body_html=f"<p>ข้อความ {mark}</p>",
        now=earlier,
    )
    load_demo_scores(org, earlier)
    save_memo(plan, admin, earlier, office=f"สำนักปลัด {mark}", reference=f"ที่ {mark}/2566", addressee=f"นายก {mark}")
    submission = submit_report(plan, admin, earlier, kind="followup", chain=[users["manager"]], as_of=date(2023, 7, 21))
    published = publish_report(
        plan, admin, earlier, kind="followup", formats=["xlsx"], upload_dir=upload_dir, as_of=date(2023, 7, 20)
    )[0]
    token, secret = tokens.create_token(admin, f"สคริปต์ {mark}", earlier)
    # The organization's own ITA framework (a draft for a year without a national one).
    from tracker.ita.framework import copy_as_draft, ensure_framework

    framework = copy_as_draft(ensure_framework(2565, org), 2571, now=earlier, organization_id=org.id, actor=admin)
    # A deleted step waiting in the organization's trash.
    spare = Step(
        measure=m2,
        order=3,
        title=f"ขั้นตอนที่ลบ {mark}",
        owner_department=strategy,
        start_date=date(2023, 1, 2),
        due_date=date(2023, 9, 1),
    )
    db.session.add(spare)
    db.session.flush()
    trashed = trash.trash_step(spare, admin, earlier)
    db.session.commit()
    ids = {
        "plan_id": plan.id,
        "measure_id": m1.id,
        "weakness_id": weakness.id,
        "step_id": steps[0].id,
        "evidence_id": file_ev.id,
        "result_evidence_id": result_ev.id,
        "department_id": palad.id,
        "user_id": users["viewer"].id,
        "message_id": message.id,
        "submission_id": submission.id,
        "organization_id": org.id,
        "published_id": published.id,
        "report_id": published.id,
        "token_id": token.id,
        "slug": slug,
        "framework_id": framework.id,
        "item_id": trashed.id,
    }
    return Org(key, org, plan, palad, m1, steps, users, ids, secret)


#: The three organizations as the first test of each worker builds them (0.8 s a test)
_ORGS = Prebuilt()


@pytest.fixture
def orgs(app, ctx) -> dict[str, Org]:
    """Organizations A and B in ขอนแก่น and C in อุดรธานี, each populated with every kind of
    record; built once per worker and put back after that."""

    def build() -> dict[str, Org]:
        upload_dir = app.config["TRACKER_UPLOAD_DIR"]
        Path(upload_dir).mkdir(parents=True, exist_ok=True)
        return {
            "A": populate("A", "aqxa-town", "ขอนแก่น", upload_dir),
            "B": populate("B", "zqxb-town", "ขอนแก่น", upload_dir),
            "C": populate("C", "zqxc-town", "อุดรธานี", upload_dir),
        }

    return _ORGS.get(
        app,
        build,
        keep=lambda built: {key: ids_of(org) for key, org in built.items()},
        reload=lambda kept: {key: reload(*ids) for key, ids in kept.items()},
    )


def ids_of(org: Org) -> tuple:
    return (
        org.key,
        org.org.id,
        org.plan.id,
        org.palad.id,
        org.m1.id,
        [step.id for step in org.steps],
        {role: user.id for role, user in org.users.items()},
        dict(org.ids),
        org.api_secret,
    )


def reload(key, org_id, plan_id, palad_id, m1_id, step_ids, user_ids, ids, api_secret) -> Org:
    """An organization `ids_of` saved, its records loaded again in this test's session."""
    get = db.session.get
    return Org(
        key,
        get(Organization, org_id),
        get(Plan, plan_id),
        get(Department, palad_id),
        get(Measure, m1_id),
        [get(Step, id_) for id_ in step_ids],
        {role: get(User, id_) for role, id_ in user_ids.items()},
        dict(ids),
        api_secret,
    )


@pytest.fixture
def oversight(orgs) -> dict[str, User]:
    """The provincial office of ขอนแก่น (reads A and B), of อุดรธานี (reads C), and the national department."""
    made = {}
    for key, province, role in (
        ("khonkaen", "ขอนแก่น", Role.provincial),
        ("udon", "อุดรธานี", Role.provincial),
        ("national", "", Role.national),
    ):
        office = Organization(name=f"สำนักงาน {key}", slug=f"office-{key}", province=province)
        db.session.add(office)
        made[key] = make_user(office, f"{key}@office.go.th", role, name=f"เจ้าหน้าที่ {key}")
    db.session.commit()
    return made


# -- what belongs to an organization -------------------------------------------------------


def owned_rows(organization_id: int) -> dict[str, list[tuple]]:
    """Every row of every table that belongs to the organization: its own row, and any
    row that references (through a foreign key) a row already found — so a row of one
    organization pointing at another's record counts as the other's, and shows up."""
    owned_keys: dict[tuple[str, str], set] = {}
    found: dict[str, list[tuple]] = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table)).mappings().all()
        mine = []
        for row in rows:
            belongs = table.name == "organizations" and row["id"] == organization_id
            for fk in table.foreign_keys:
                ref = owned_keys.get((fk.column.table.name, fk.column.name), set())
                if row[fk.parent.name] is not None and row[fk.parent.name] in ref:
                    belongs = True
            if belongs:
                mine.append(row)
        for row in mine:
            for column in table.columns:
                value = row[column.name]
                if isinstance(value, dict | list):  # a JSON column (the trash's payload): no key of anything
                    continue
                owned_keys.setdefault((table.name, column.name), set()).add(value)
        found[table.name] = sorted(tuple(str(v) for v in row.values()) for row in mine)
    return found


def assert_unchanged(before: dict[str, list[tuple]], organization_id: int, what: str) -> None:
    db.session.rollback()
    db.session.expire_all()
    after = owned_rows(organization_id)
    changed = {t for t in before if before[t] != after.get(t)}
    assert not changed, f"{what} changed another organization's rows in {sorted(changed)}"


def leaked(text: str, *others: Org) -> list[str]:
    return [o.mark for o in others if o.mark.lower() in text.lower()]


# -- walking every route ----------------------------------------------------------------------


def web_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if rule.endpoint == "static" or rule.endpoint.startswith("api."):
            continue
        if rule.endpoint == "auth.logout":  # would end the walk's session; it names no record
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def fill(rule: str, endpoint: str, values: dict[str, object]) -> str:
    values = dict(values)
    if endpoint == "reports.delete_result_evidence":
        values["evidence_id"] = values["result_evidence_id"]
    url = rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
    assert "<" not in url, f"no value for a variable of {rule}: add it to populate()'s ids"
    return url


def common_values(owner: Org) -> dict[str, object]:
    """Route variables that are not records: the year, formats, secrets that match nothing."""
    return {
        "fiscal_year": 2566,
        "number": 4,
        "fmt": "xlsx",
        "ext": "xlsx",
        "token": "t" * 43,
        "slug": owner.ids["slug"],
    }


def with_ids(target: Org, home: Org) -> dict[str, object]:
    """The target organization's record ids; the slug stays the requester's own (public URLs)."""
    return {**common_values(home), **{k: v for k, v in target.ids.items() if k != "slug"}}


def nowhere_ids(home: Org) -> dict[str, object]:
    return {**common_values(home), **{k: NOWHERE for k in home.ids if k != "slug"}}


def smuggled_form(target: Org) -> dict[str, str]:
    """A form whose fields name the target's records, for every POST (a form is read after the URL)."""
    u = target.users
    return {
        "plan_id": str(target.plan.id),
        "department": str(target.palad.id),
        "owner_department": str(target.palad.id),
        "assignee": str(u["viewer"].id),
        "head": str(u["manager"].id),
        "token_id": str(target.ids["token_id"]),
        "status": "done",
        "note": "x",
        "comment": "x",
        "text": "x",
        "watch": "1",
        "title": "x",
        "name": "x",
        "kind": "followup",
        f"order-{u['manager'].id}": "1",
    }


def login_as(client, user: User | None):
    client.post("/logout")
    if user is not None:
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code


def has_record(rule) -> bool:
    return any(arg in RECORD_ARGS for arg in rule.arguments)


@pytest.mark.parametrize("role", ["anonymous", "admin", "manager", "owner_palad", "viewer"])
def test_no_route_reads_or_writes_another_organization(app, client, orgs, role):
    a, b, c = orgs["A"], orgs["B"], orgs["C"]
    before = {key: owned_rows(orgs[key].org.id) for key in ("B", "C")}
    login_as(client, a.users.get(role))
    problems: list[str] = []
    with_records = 0
    for rule, method in web_rules(app):
        data = smuggled_form(b) if method == "POST" else None
        # Another organization's ids: the same answer as ids that exist nowhere, and nothing of it.
        if has_record(rule):
            with_records += 1
            theirs = client.open(fill(rule.rule, rule.endpoint, with_ids(b, a)), method=method, data=data)
            none = client.open(fill(rule.rule, rule.endpoint, nowhere_ids(a)), method=method, data=data)
            where = f"{method} {rule.rule} as A's {role} with B's ids"
            if theirs.status_code != none.status_code:
                problems.append(f"{where}: {theirs.status_code}, but {none.status_code} for ids that do not exist")
            if theirs.status_code not in (302, 400, 403, 404) or (
                role != "anonymous" and theirs.status_code == 302 and "/login" in theirs.headers.get("Location", "")
            ):
                problems.append(f"{where}: {theirs.status_code}")
            if leaked(text_of(theirs), b, c):
                problems.append(f"{where}: the body shows {leaked(text_of(theirs), b, c)}")
        # One's own ids (or none): whatever the answer, never another organization's data.
        own = client.open(fill(rule.rule, rule.endpoint, with_ids(a, a)), method=method, data=data)
        if own.status_code >= 500:
            problems.append(f"{method} {rule.rule} as A's {role}: {own.status_code}")
        body = text_of(own)
        if leaked(body, b, c):
            problems.append(f"{method} {rule.rule} as A's {role} with A's ids: the body shows {leaked(body, b, c)}")
    assert with_records > 50 and problems == []
    for key in ("B", "C"):
        assert_unchanged(before[key], orgs[key].org.id, f"A's {role} walking every route")


def text_of(response) -> str:
    """What a response says, also inside a workbook or a Word file (zips of XML)."""
    data = response.get_data()
    if data.startswith(b"PK"):
        return xlsx_text(data)
    return data.decode("utf-8", "replace")


def xlsx_text(data: bytes) -> str:
    """The shared strings and sheets of a workbook, as text (enough to search for a marker)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return html.unescape(xml)  # inline strings may be written as &#3648;…


# -- provincial and national users ---------------------------------------------------------------


def test_a_provincial_user_reads_its_province_and_nothing_else(app, client, orgs, oversight):
    a, b, c = orgs["A"], orgs["B"], orgs["C"]
    before = {key: owned_rows(orgs[key].org.id) for key in "ABC"}
    login_as(client, oversight["khonkaen"])
    problems: list[str] = []
    for rule, method in web_rules(app):
        if method != "GET":
            continue
        where = f"GET {rule.rule} as ขอนแก่น's provincial user"
        if has_record(rule):
            # C is in อุดรธานี: it does not exist for this user.
            theirs = client.get(fill(rule.rule, rule.endpoint, with_ids(c, a)))
            none = client.get(fill(rule.rule, rule.endpoint, nowhere_ids(a)))
            if theirs.status_code != none.status_code or theirs.status_code not in (403, 404):
                problems.append(f"{where} with C's ids: {theirs.status_code} (ids of nothing: {none.status_code})")
            if leaked(text_of(theirs), c):
                problems.append(f"{where} with C's ids: the body shows C")
        for home in (a, b):
            response = client.get(fill(rule.rule, rule.endpoint, with_ids(home, home)))
            if response.status_code >= 500:
                problems.append(f"{where} with {home.key}'s ids: {response.status_code}")
            if leaked(text_of(response), c):
                problems.append(f"{where} with {home.key}'s ids: the body shows C")
    assert problems == []
    # The pages of its province's organizations open (read-only drill-down).
    for home in (a, b):
        for url in (
            f"/plans/{home.plan.id}",
            f"/measures/{home.m1.id}",
            f"/steps/{home.steps[0].id}",
            f"/plans/{home.plan.id}/report",
            f"/measures/{home.m1.id}/result",
            f"/plans/{home.plan.id}/memo",
            f"/reports/submissions/{home.ids['submission_id']}",
            f"/evidence/{home.ids['evidence_id']}",
            f"/province/organizations/{home.org.id}",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
    overview = client.get("/province?year=2566").get_data(as_text=True)
    assert a.org.name in overview and b.org.name in overview and not leaked(overview, c)
    export = client.get("/province.xlsx?year=2566")
    assert a.org.name in xlsx_text(export.data) and not leaked(xlsx_text(export.data), c)
    for key in "ABC":
        assert_unchanged(before[key], orgs[key].org.id, "the provincial user's reading")


@pytest.mark.parametrize("who", ["khonkaen", "national"])
def test_oversight_users_get_403_on_every_change(app, client, orgs, oversight, who):
    """Every POST of every route, with the ids of an organization they may read: 403.
    Only their own account (profile, calendar link, API tokens, logging out) is theirs to change,
    and a plan file they import for an organization of their scope (an empty form here: a 400
    that changes nothing; test_admin_import_flow imports one)."""
    from tracker.province.views import PLAN_IMPORT_ENDPOINTS, SELF_SERVICE_ENDPOINTS

    a = orgs["A"]
    before = {key: owned_rows(orgs[key].org.id) for key in "ABC"}
    login_as(client, oversight[who])
    problems = []
    posts = 0
    for rule, method in web_rules(app):
        if method == "GET" or rule.endpoint in SELF_SERVICE_ENDPOINTS:
            continue
        if who == "national" and rule.endpoint.startswith("frameworks."):
            continue  # the national department publishes ITA frameworks (test_ita_frameworks); rows checked below
        if rule.endpoint in PLAN_IMPORT_ENDPOINTS:
            response = client.open(rule.rule, method=method, data=smuggled_form(a))
            assert response.status_code == 400, f"{rule.rule}: {response.status_code}"
            continue
        posts += 1
        response = client.open(fill(rule.rule, rule.endpoint, with_ids(a, a)), method=method, data=smuggled_form(a))
        if response.status_code != 403:
            problems.append(f"{method} {rule.rule}: {response.status_code}")
    assert posts > 30 and problems == []
    for key in "ABC":
        assert_unchanged(before[key], orgs[key].org.id, f"the {who} user's POSTs")
    # their own account stays theirs
    assert client.post("/profile", data={"action": "prefs", "thai_digits": "on"}).status_code == 302


def test_the_national_user_reads_every_province(client, orgs, oversight):
    login_as(client, oversight["national"])
    for home in orgs.values():
        assert client.get(f"/plans/{home.plan.id}").status_code == 200
        assert client.get(f"/steps/{home.steps[0].id}").status_code == 200
    page = client.get("/province?year=2566").get_data(as_text=True)
    assert all(o.org.name in page for o in orgs.values())


# -- the JSON API ----------------------------------------------------------------------------------


def api_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method


def api_values(target: Org, home: Org, slug_of: Org) -> dict[str, object]:
    return {**with_ids(target, home), "slug": slug_of.ids["slug"]}


def test_no_api_call_reads_or_writes_another_organization(app, client, orgs, oversight):
    a, b, c = orgs["A"], orgs["B"], orgs["C"]
    before = {key: owned_rows(orgs[key].org.id) for key in ("B", "C")}
    viewer_secret = tokens.create_token(a.users["owner_palad"], "อ่าน", NOW)[1]
    db.session.commit()
    problems: list[str] = []
    rules = list(api_rules(app))
    assert rules, "the API has routes"
    for secret, who in ((a.api_secret, "A's admin"), (viewer_secret, "A's owner")):
        headers = {"Authorization": f"Bearer {secret}"}
        for rule, method in rules:
            body = {"status": "done", "note": "x", "comment": "x"} if method == "POST" else None
            where = f"{method} {rule.rule} as {who}"
            if has_record(rule) or "<slug>" in rule.rule:
                theirs = client.open(
                    fill(rule.rule, rule.endpoint, api_values(b, a, b)),
                    method=method,
                    headers=headers,
                    json=body,
                    csrf=False,
                )
                none = client.open(
                    fill(rule.rule, rule.endpoint, {**nowhere_ids(a), "slug": "no-such-org"}),
                    method=method,
                    headers=headers,
                    json=body,
                    csrf=False,
                )
                if theirs.status_code != none.status_code or theirs.status_code != 404:
                    problems.append(f"{where} with B's ids: {theirs.status_code} (nothing: {none.status_code})")
                if leaked(theirs.get_data(as_text=True), b, c):
                    problems.append(f"{where} with B's ids: the body shows B")
            own = client.open(
                fill(rule.rule, rule.endpoint, api_values(a, a, a)),
                method=method,
                headers=headers,
                json=body,
                csrf=False,
            )
            if own.status_code >= 500 or leaked(own.get_data(as_text=True), b, c):
                problems.append(f"{where} with A's ids: {own.status_code} {leaked(own.get_data(as_text=True), b, c)}")
        # Filters naming another organization's records are refused like their URLs.
        for query in (
            f"organization={b.ids['slug']}",
            f"plan={b.plan.id}",
            f"measure={b.m1.id}",
            f"department={b.palad.id}",
        ):
            response = client.get(f"/api/v1/steps?{query}", headers=headers)
            if response.status_code == 200:
                items = response.get_json()["items"]
                if items:
                    problems.append(f"/api/v1/steps?{query} as {who}: {len(items)} of B's steps")
            elif response.status_code != 404:
                problems.append(f"/api/v1/steps?{query} as {who}: {response.status_code}")
    assert problems == []
    for key in ("B", "C"):
        assert_unchanged(before[key], orgs[key].org.id, "A's API calls")

    # A provincial token reads its province, not another; and changes nothing.
    secret = tokens.create_token(oversight["khonkaen"], "จังหวัด", NOW)[1]
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    listed = client.get("/api/v1/organizations", headers=headers).get_json()["items"]
    slugs = {o["slug"] for o in listed}
    assert {a.ids["slug"], b.ids["slug"]} <= slugs and c.ids["slug"] not in slugs
    assert client.get(f"/api/v1/plans/{b.plan.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/plans/{c.plan.id}", headers=headers).status_code == 404
    everything = client.get("/api/v1/steps?limit=200", headers=headers).get_data(as_text=True)
    assert "AQXA" in everything and "ZQXB" in everything and not leaked(everything, c)
    response = client.post(
        f"/api/v1/steps/{a.steps[1].id}/status", headers=headers, json={"status": "done", "note": "x"}, csrf=False
    )
    assert response.status_code == 403
    assert (
        client.post(
            f"/api/v1/steps/{a.steps[1].id}/comments", headers=headers, json={"comment": "x"}, csrf=False
        ).status_code
        == 403
    )


# -- the command line ------------------------------------------------------------------------------


def org_commands(app):
    """Every command (also inside groups) with an --org option, by its full name."""
    import click

    def walk(group, prefix):
        for name, command in group.commands.items():
            full = f"{prefix}{name}"
            if isinstance(command, click.Group):
                yield from walk(command, f"{full} ")
            elif any("--org" in p.opts for p in command.params if isinstance(p, click.Option)):
                yield full

    return sorted(walk(app.cli, ""))


def test_commands_with_org_touch_only_that_organization(app, runner, orgs, tmp_path):
    from tests.memo_factory import memo_text

    a, b, c = orgs["A"], orgs["B"], orgs["C"]
    memo = tmp_path / "memo.txt"
    memo.write_text(memo_text(), encoding="utf-8")
    slug = a.ids["slug"]
    args = {
        "export-plan": ["--year", "2566", "-o", "-"],
        "status": ["--year", "2566", "--json"],
        "ita show": ["--year", "2565", "--json"],
        "report": ["--year", "2566", "--as-of", "2023-08-01", "--format", "xlsx", "-o", str(tmp_path / "r.xlsx")],
        "analysis": ["--year", "2566", "--format", "docx", "-o", str(tmp_path / "memo.docx"), "--date", "12/10/2565"],
        "rollover": ["--from", "2566"],
        "user create": ["--email", "new@aqxa.go.th", "--name", "ใหม่", "--role", "viewer", "--password", "secret-2566"],
        "import-plan": [str(memo), "--dry-run"],
    }
    commands = org_commands(app)
    assert set(commands) == set(args), f"add arguments for these commands with --org: {set(commands) ^ set(args)}"
    before = {key: owned_rows(orgs[key].org.id) for key in ("B", "C")}
    for name in commands:
        result = runner.invoke(args=[*name.split(), "--org", slug, *args[name]])
        assert result.exit_code == 0, f"{name}: {result.output}"
        assert not leaked(result.output, b, c), name
    for written in tmp_path.iterdir():
        if written.suffix == ".txt":
            continue
        text = xlsx_text(written.read_bytes())  # XLSX and DOCX are zips of XML
        assert "AQXA" in text and not leaked(text, b, c), written.name
    with app.app_context():
        for key in ("B", "C"):
            assert_unchanged(before[key], orgs[key].org.id, "the commands run with --org A")


# -- reports, notification jobs, calendar feeds -------------------------------------------------


def test_reports_of_an_organization_hold_only_its_own_steps(orgs):
    a, b, c = orgs["A"], orgs["B"], orgs["C"]
    report = build_report(a.plan, date(2023, 8, 1))
    for fmt in ("html", "xlsx", "docx"):
        body = render_report(report, fmt)
        text = body.decode("utf-8") if fmt == "html" else xlsx_text(body)
        assert "AQXA" in text and not leaked(text, b, c), fmt


def test_notification_jobs_write_to_each_organization_about_its_own_steps(orgs):
    # Thursday 3 Aug 2023, 10:00 in Bangkok: the first business day after the Buddhist holidays.
    when = datetime(2023, 8, 3, 3, 0, tzinfo=UTC)
    queue_reminders(when)
    queue_digests(when)
    db.session.commit()
    messages = list(db.session.scalars(sa.select(OutboxMessage)))
    queued = {(m.organization_id, m.kind) for m in messages if m.for_date >= date(2023, 7, 31)}
    for home in orgs.values():  # reminders to owners (escalations to the head), digests to the manager
        assert {(home.org.id, kind) for kind in ("reminder", "digest_weekly", "digest_monthly")} <= queued
    for home in orgs.values():
        others = [o for o in orgs.values() if o is not home]
        addresses = {u.email for u in home.users.values()} | {d.email for d in home.org.departments}
        step_ids = {s.id for s in home.steps}
        for m in (m for m in messages if m.organization_id == home.org.id):
            assert m.recipient in addresses, (home.key, m.recipient)
            assert not leaked(m.subject + m.body_text + m.body_html, *others), (home.key, m.kind)
            items = db.session.scalars(sa.select(OutboxItem).where(OutboxItem.message_id == m.id))
            assert {i.step_id for i in items if i.step_id} <= step_ids


def test_calendar_feeds_hold_only_the_organizations_steps(client, orgs):
    a, b, c = orgs["A"], orgs["B"], orgs["C"]
    for token in (a.users["owner_palad"].calendar_token, a.users["admin"].calendar_token, a.palad.calendar_token):
        feed = client.get(f"/calendar/{token}.ics")
        assert feed.status_code == 200
        text = feed.get_data(as_text=True)
        assert not leaked(text, b, c)
    assert "AQXA" in client.get(f"/calendar/{a.palad.calendar_token}.ics").get_data(as_text=True)


def test_public_pages_of_an_organization_show_only_its_own_public_records(client, orgs):
    a, b, c = orgs["A"], orgs["B"], orgs["C"]
    page = client.get(f"/p/{a.ids['slug']}/2566").get_data(as_text=True)
    assert "ประกาศ AQXA" in page and not leaked(page, b, c)
    assert "บันทึกภายใน AQXA" not in page  # internal notes stay internal
    # B's public evidence and published report are not reachable under A's address.
    assert client.get(f"/p/{a.ids['slug']}/2566/evidence/{b.ids['evidence_id']}").status_code == 404
    assert client.get(f"/p/{a.ids['slug']}/2566/reports/{b.ids['report_id']}.xlsx").status_code == 404
