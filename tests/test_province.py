"""Many organizations in one instance: the operator's commands, the provincial
and national roles, and the overview across organizations.

A provincial user belongs to its office (an organization of its own, e.g.
สถจ.ขอนแก่น) and reads every organization whose province is the office's;
a national user reads all. Both only read. The overview /province has one
row per organization for a fiscal year, computed by a fixed number of
aggregate queries however many organizations there are.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import NOW, PASSWORD, make_user, statements_for
from tracker import access, clock, thaidate
from tracker.auth.models import ORG_ROLES, Role, User
from tracker.db import db
from tracker.journal import record_step
from tracker.orgs.models import Department, Organization
from tracker.plans.models import JournalEntry, Measure, Plan, PlanStatus, Step, StepStatus, Weakness


def shown(title: str) -> str:
    """A typed title as a reader of Arabic digits (the default) sees it."""
    return thaidate.to_arabic_digits(title)


S = StepStatus


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """The pages' clock: 1 Aug 2023 (fiscal year 2566) in Bangkok."""
    monkeypatch.setattr(clock, "now", lambda: NOW)


def make_org(
    slug: str,
    name: str,
    province: str,
    *,
    statuses: list[StepStatus] | None = None,
    year: int = 2566,
    due: date = date(2023, 7, 31),
    activity: datetime | None = None,
    plan_status: PlanStatus = PlanStatus.active,
) -> Organization:
    """An organization; with `statuses`, a plan of `year` with one step per status, all due on `due`.
    `activity`: when work on its first step was last recorded (a journal entry)."""
    org = Organization(name=name, slug=slug, province=province)
    db.session.add(org)
    if statuses is not None:
        dept = Department(organization=org, name="สำนักปลัด")
        plan = Plan(organization=org, fiscal_year=year, title=f"แผน {name} {year}", status=plan_status)
        measure = Measure(
            weakness=Weakness(plan=plan, order=1, title="ประเด็น"),
            order=1,
            title="มาตรการ",
            owner_department=dept,
            period_start=date(2022, 10, 1),
            period_end=date(2023, 9, 30),
        )
        steps = [
            Step(
                measure=measure,
                order=order,
                title=f"ขั้นตอน {order}",
                owner_department=dept,
                start_date=date(2022, 10, 3),
                due_date=due,
                status=status,
                completed_at=NOW - timedelta(days=3) if status is S.done else None,
            )
            for order, status in enumerate(statuses, start=1)
        ]
        db.session.add_all([dept, plan, *steps])
        db.session.flush()
        if activity is not None:
            record_step(
                steps[0], "status", None, field="status", old="not_started", new=steps[0].status.value, at=activity
            )
    db.session.flush()
    return org


def make_office(slug: str, province: str, email: str, role: Role = Role.provincial) -> User:
    office = Organization(name=f"สำนักงาน {slug}", slug=slug, province=province)
    db.session.add(office)
    return make_user(office, email, role, name=f"เจ้าหน้าที่ {slug}")


@pytest.fixture
def province(world):
    """ขอนแก่น: testorg (world: 5 steps, none started) + three more; อุดรธานี: one; and three offices."""
    orgs = {
        "started": make_org(
            "banpet",
            "เทศบาลตำบลบ้านเป็ด",
            "ขอนแก่น",
            statuses=[S.done, S.done, S.in_progress, S.not_started],
            activity=datetime(2023, 7, 20, 4, 0, tzinfo=UTC),
        ),
        "cancelled": make_org(
            "phra-lap",
            "อบต.พระลับ",
            "ขอนแก่น",
            statuses=[S.done, S.cancelled, S.not_started],
            due=date(2023, 9, 29),
            activity=datetime(2023, 6, 1, 4, 0, tzinfo=UTC),
        ),
        "no_plan": make_org("tha-phra", "อบต.ท่าพระ", "ขอนแก่น"),
        "elsewhere": make_org("udon", "เทศบาลนครอุดรธานี", "อุดรธานี", statuses=[S.done]),
    }
    provincial = make_office("sthj-khonkaen", "ขอนแก่น", "provincial@khonkaen.go.th")
    udon_provincial = make_office("sthj-udon", "อุดรธานี", "provincial@udon.go.th")
    national = make_office("dla", "", "national@dla.go.th", Role.national)
    db.session.commit()
    return {
        **orgs,
        "world": world.org,
        "provincial": provincial,
        "udon_provincial": udon_provincial,
        "national": national,
    }


def table_names(page: str) -> list[str]:
    body = page.split('<table class="orgs">', 1)[1].split("</table>", 1)[0] if '<table class="orgs">' in page else ""
    return re.findall(r'<a href="/province/organizations/\d+">([^<]+)</a>', body)


def row_cells(page: str, name: str) -> list[str]:
    """The text of each cell of the organization's row."""
    row = re.search(
        rf"<tr[^>]*>\s*<td><a href=\"/province/organizations/\d+\">{re.escape(name)}</a>.*?</tr>", page, re.S
    )
    assert row, f"no row for {name}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def stat(page: str, heading: str) -> str:
    m = re.search(rf"<span>{re.escape(heading)}</span><b>([^<]+)</b>", page)
    assert m, f"no figure {heading!r}"
    return m.group(1)


# -- the roles -------------------------------------------------------------------------


def test_the_oversight_roles_have_thai_labels_and_are_not_an_organizations_to_give():
    assert Role.provincial.label == "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด"
    assert Role.national.label == "กรมส่งเสริมการปกครองท้องถิ่น"
    assert Role.provincial not in ORG_ROLES and Role.national not in ORG_ROLES
    assert Role.provincial.oversees and not Role.admin.oversees


def test_readable_organizations_per_role(province, world):
    kk = {
        world.org.id,
        province["started"].id,
        province["cancelled"].id,
        province["no_plan"].id,
        province["provincial"].organization_id,
    }
    assert access.readable_organization_ids(world.admin) == {world.org.id}
    assert access.readable_organization_ids(world.owner_palad) == {world.org.id}
    assert access.readable_organization_ids(province["provincial"]) == kk
    assert access.readable_organization_ids(province["udon_provincial"]) == {
        province["elsewhere"].id,
        province["udon_provincial"].organization_id,
    }
    assert access.readable_organization_ids(province["national"]) is None
    for org_id in kk:
        assert access.can_read_org(province["provincial"], org_id)
    assert not access.can_read_org(province["provincial"], province["elsewhere"].id)
    assert access.can_read_org(province["national"], province["elsewhere"].id)
    # Reading is not writing: no step, no admin right anywhere.
    step = world.step(world.m1, 1)
    for user in (province["provincial"], province["national"]):
        assert not access.can_edit_step(user, step)
        assert not access.is_org_admin(user, world.org.id)
        assert not access.is_org_admin(user, user.organization_id)
        assert not access.may_write(user)

    world.viewer.active = False
    province["provincial"].active = False
    db.session.commit()
    assert access.readable_organization_ids(world.viewer) == set()
    assert access.readable_organization_ids(province["provincial"]) == set()
    assert not access.can_read_org(province["provincial"], world.org.id)


def test_a_provincial_office_without_a_province_reads_only_itself(world):
    # Organizations left without a province must not all become one "province".
    make_org("no-province", "อบต.ไม่ระบุจังหวัด", "", statuses=[S.done])
    user = make_office("office-blank", "", "blank@office.go.th")
    db.session.commit()
    assert access.readable_organization_ids(user) == {user.organization_id}


def test_province_names_match_without_stray_spaces(world):
    make_org("spaced", "อบต.เว้นวรรค", " ขอนแก่น ", statuses=[S.done])
    user = make_office("sthj-kk", "ขอนแก่น", "p@kk.go.th")
    db.session.commit()
    spaced = db.session.scalar(sa.select(Organization).where(Organization.slug == "spaced"))
    assert spaced.id in access.readable_organization_ids(user)
    assert access.can_read_org(user, spaced.id)


# -- the operator's commands -------------------------------------------------------------


def test_org_create_and_list(runner, app):
    result = runner.invoke(
        args=["org", "create", "--slug", "sthj-khonkaen", "--name", "สถจ.ขอนแก่น", "--province", "ขอนแก่น"]
    )
    assert result.exit_code == 0, result.output
    assert "สร้างองค์กร สถจ.ขอนแก่น (sthj-khonkaen) จังหวัดขอนแก่น แล้ว" in result.output
    assert (
        runner.invoke(
            args=["org", "create", "--slug", "banpet", "--name", "  เทศบาลตำบล   บ้านเป็ด ", "--province", "ขอนแก่น"]
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(
            args=["org", "create", "--slug", "udon", "--name", "เทศบาลนครอุดรธานี", "--province", "อุดรธานี"]
        ).exit_code
        == 0
    )

    listing = runner.invoke(args=["org", "list", "--json"])
    assert listing.exit_code == 0, listing.output
    rows = json.loads(listing.stdout)
    assert [(r["slug"], r["name"], r["province"], r["users"], r["plans"], r["office"]) for r in rows] == [
        ("banpet", "เทศบาลตำบล บ้านเป็ด", "ขอนแก่น", 0, 0, False),
        ("sthj-khonkaen", "สถจ.ขอนแก่น", "ขอนแก่น", 0, 0, False),
        ("udon", "เทศบาลนครอุดรธานี", "อุดรธานี", 0, 0, False),
    ]
    only = runner.invoke(args=["org", "list", "--province", "อุดรธานี"])
    assert only.exit_code == 0 and "udon" in only.output and "banpet" not in only.output
    with app.app_context():
        entry = db.session.scalar(sa.select(JournalEntry).where(JournalEntry.entity == "organization"))
        assert entry.action == "create" and entry.note == "tracker org create"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--slug", "Bad Slug", "--name", "x", "--province", "ขอนแก่น"], "ยาว 2–64 ตัว"),
        (["--slug", "ok-slug", "--name", "   ", "--province", "ขอนแก่น"], "โปรดระบุชื่อองค์กร"),
        (["--slug", "ok-slug", "--name", "x", "--province", "ข" * 101], "ยาวเกิน 100 ตัวอักษร"),
    ],
)
def test_org_create_refuses_bad_input(runner, app, args, message):
    result = runner.invoke(args=["org", "create", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0


def test_org_create_refuses_a_slug_in_use(runner, app, world):
    result = runner.invoke(args=["org", "create", "--slug", "testorg", "--name", "อื่น", "--province", "ขอนแก่น"])
    assert result.exit_code == 1 and "อยู่แล้ว" in result.output


def test_user_create_makes_users_of_every_kind(runner, app, world):
    assert (
        runner.invoke(
            args=["org", "create", "--slug", "sthj-kk", "--name", "สถจ.ขอนแก่น", "--province", "ขอนแก่น"]
        ).exit_code
        == 0
    )
    made = runner.invoke(
        args=[
            "user",
            "create",
            "--org",
            "sthj-kk",
            "--email",
            "P.Officer@KK.go.th",
            "--name",
            "นายจังหวัด",
            "--role",
            "provincial",
            "--password",
            "secret-2566",
        ]
    )
    assert made.exit_code == 0, made.output
    assert "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด" in made.output
    owner = runner.invoke(
        args=[
            "user",
            "create",
            "--org",
            "testorg",
            "--email",
            "new.owner@test.go.th",
            "--name",
            "เจ้าหน้าที่ใหม่",
            "--role",
            "owner",
            "--department",
            "สำนักปลัดเทศบาล",
        ],
        input="secret-2566\nsecret-2566\n",
    )
    assert owner.exit_code == 0, owner.output
    with app.app_context():
        p = db.session.scalar(sa.select(User).where(User.email == "p.officer@kk.go.th"))
        assert p.role is Role.provincial and p.organization.slug == "sthj-kk" and p.department is None
        assert p.check_password("secret-2566")
        o = db.session.scalar(sa.select(User).where(User.email == "new.owner@test.go.th"))
        assert o.role is Role.owner and o.department.name == "สำนักปลัดเทศบาล" and o.check_password("secret-2566")
        journal = db.session.scalar(
            sa.select(JournalEntry).where(JournalEntry.entity == "user", JournalEntry.entity_id == o.id)
        )
        assert journal.action == "create" and journal.new_value == "new.owner@test.go.th"
    # and the provincial user logs in, straight to its overview
    client = app.test_client()
    assert client.post("/login", data={"email": "p.officer@kk.go.th", "password": "secret-2566"}).status_code == 302
    assert client.get("/").headers["Location"].endswith("/province")
    assert "ภาพรวมจังหวัดขอนแก่น" in client.get("/province").get_data(as_text=True)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--org", "nowhere", "--role", "viewer"], "ไม่พบองค์กรรหัส “nowhere”"),
        (["--org", "testorg", "--role", "owner", "--department", "กองช่าง"], "ไม่มีหน่วยงาน “กองช่าง”"),
        (["--org", "testorg", "--role", "owner"], "เจ้าหน้าที่ผู้รับผิดชอบต้องสังกัดหน่วยงาน"),
        (["--org", "testorg", "--role", "provincial"], "เป็นองค์กรปกครองส่วนท้องถิ่นที่มีแผนหรือผู้ใช้แล้ว"),
        (["--org", "testorg", "--role", "viewer", "--password", "short"], "อย่างน้อย 8 ตัวอักษร"),
        (["--org", "testorg", "--role", "viewer", "--email", "admin@test.go.th"], "อยู่แล้ว"),
        (["--org", "testorg", "--role", "viewer", "--email", "not-an-email"], "อีเมลไม่ถูกต้อง"),
        (["--org", "sthj", "--role", "admin"], "เป็นสำนักงานระดับจังหวัดหรือส่วนกลาง"),
        (["--org", "blank-office", "--role", "provincial"], "ไม่ได้ระบุจังหวัด"),
        (["--org", "sthj", "--role", "national", "--department", "สำนักปลัด"], "ไม่มีหน่วยงาน “สำนักปลัด”"),
    ],
)
def test_user_create_refuses_with_a_message_and_writes_nothing(runner, app, world, args, message):
    make_office("sthj", "ขอนแก่น", "p@sthj.go.th")
    db.session.add(Organization(name="สำนักงานว่าง", slug="blank-office", province=""))
    db.session.commit()
    users_before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    base = {"--email": "someone@x.go.th", "--name": "ใครสักคน", "--password": "secret-2566"}
    given = dict(zip(args[::2], args[1::2]))
    full = [*args] + [x for k, v in base.items() if k not in given for x in (k, v)]
    result = runner.invoke(args=["user", "create", *full])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users_before


def test_user_create_refuses_a_provincial_user_with_a_department(runner, app, world):
    office = make_office("sthj", "ขอนแก่น", "p@sthj.go.th").organization
    db.session.add(Department(organization=office, name="ฝ่ายส่งเสริม"))
    db.session.commit()
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--org",
            "sthj",
            "--email",
            "x@sthj.go.th",
            "--name",
            "x",
            "--role",
            "provincial",
            "--department",
            "ฝ่ายส่งเสริม",
            "--password",
            "secret-2566",
        ]
    )
    assert result.exit_code == 1 and "ไม่สังกัดกอง" in result.output


# -- admins of an organization cannot make or take over oversight users -------------------


def test_an_admin_cannot_give_an_oversight_role(world, login):
    client = login(world.admin)
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="provincial"' not in form and 'value="national"' not in form
    for role in ("provincial", "national"):
        response = client.post(
            "/admin/users/new",
            data={
                "email": f"{role}@test.go.th",
                "display_name": role,
                "role": role,
                "password": "secret-2566",
                "password_confirm": "secret-2566",
            },
        )
        assert response.status_code == 400
        assert "ตัวเลือกไม่ถูกต้อง" in response.get_data(as_text=True)  # the role is not among the choices
        response = client.post(
            f"/admin/users/{world.viewer.id}", data={"display_name": "ผู้ดู", "role": role, "active": "on"}
        )
        assert response.status_code == 400
    db.session.rollback()
    assert db.session.scalar(sa.select(User).where(User.role.in_(["provincial", "national"]))) is None
    assert db.session.get(User, world.viewer.id).role is Role.viewer


def test_an_admin_cannot_edit_or_reset_an_oversight_user_of_its_organization(world, login):
    # Misplaced by an operator into a municipality: the municipality's admin still may not take it over.
    misplaced = make_user(world.org, "p@test.go.th", Role.provincial)
    db.session.commit()
    client = login(world.admin)
    assert (
        client.post(
            f"/admin/users/{misplaced.id}/password",
            data={"new_password": "taken-over-1", "new_password_confirm": "taken-over-1"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/admin/users/{misplaced.id}", data={"display_name": "x", "role": "admin", "active": "on"}
        ).status_code
        == 403
    )
    assert client.post(f"/admin/users/{misplaced.id}/active", data={"active": "0"}).status_code == 403
    db.session.rollback()
    user = db.session.get(User, misplaced.id)
    assert user.check_password(PASSWORD) and user.role is Role.provincial and user.active


# -- the overview -------------------------------------------------------------------------


def test_the_provincial_home_is_the_overview_of_its_province(province, login):
    client = login(province["provincial"])
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/province")
    page = client.get("/province").get_data(as_text=True)
    assert "ภาพรวมจังหวัดขอนแก่น" in page
    assert 'href="/province">ภาพรวมจังหวัด</a>' in page  # the nav link
    assert "ปีงบประมาณ พ.ศ. 2566" in page  # the current fiscal year by default
    assert sorted(table_names(page)) == sorted(["เทศบาลตำบลทดสอบ", "เทศบาลตำบลบ้านเป็ด", "อบต.พระลับ", "อบต.ท่าพระ"])
    assert "อุดรธานี" not in page and "สำนักงาน sthj-khonkaen" not in page  # other province; the office itself

    assert row_cells(page, "เทศบาลตำบลบ้านเป็ด") == [
        "เทศบาลตำบลบ้านเป็ด แผน · รายงาน",
        "เริ่มดำเนินการแล้ว",
        "2",
        "4",
        "50%",
        "2",
        "20 ก.ค. 2566",
    ]
    # cancelled steps are not counted; the open one is not yet due
    assert row_cells(page, "อบต.พระลับ")[1:] == ["เริ่มดำเนินการแล้ว", "1", "2", "50%", "0", "1 มิ.ย. 2566"]
    # world: five steps, none started, two overdue on 1 Aug 2023
    assert row_cells(page, "เทศบาลตำบลทดสอบ")[1:] == ["ยังไม่เริ่ม", "0", "5", "0%", "2", "–"]
    assert row_cells(page, "อบต.ท่าพระ")[1:] == ["ยังไม่มีแผน", "–", "–", "–", "–", "–"]

    assert stat(page, "ยังไม่มีแผนปีนี้") == "1"
    assert stat(page, "มีแผนแต่ยังไม่เริ่ม") == "1"
    assert stat(page, "มีขั้นตอนเลยกำหนด") == "2"
    assert stat(page, "ความคืบหน้ารวม") == "3/11"
    assert "มีแผน 3 แห่ง" in page


def test_the_overview_drills_down_read_only(province, world, login):
    client = login(province["provincial"])
    page = client.get("/province").get_data(as_text=True)
    assert f'href="/plans/{world.plan.id}"' in page and f'href="/plans/{world.plan.id}/report"' in page
    step = world.step(world.m1, 1)
    for url in (
        f"/plans/{world.plan.id}",
        f"/measures/{world.m1.id}",
        f"/steps/{step.id}",
        f"/plans/{world.plan.id}/report",
        f"/measures/{world.m1.id}/result",
        f"/province/organizations/{world.org.id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        # no form to change anything: the only POST form is the log-out button (the report has no nav)
        assert response.get_data(as_text=True).count('method="post"') <= 1, url
    org_page = client.get(f"/province/organizations/{world.org.id}").get_data(as_text=True)
    assert shown(world.plan.title) in org_page and "จังหวัดขอนแก่น" in org_page
    assert client.post(f"/steps/{step.id}/status", data={"status": "done", "note": "x"}).status_code == 403
    assert client.post(f"/steps/{step.id}/comment", data={"comment": "x"}).status_code == 403
    db.session.rollback()
    assert db.session.get(Step, step.id).status is S.not_started


def test_other_provinces_do_not_exist_for_a_provincial_user(province, login):
    client = login(province["udon_provincial"])
    page = client.get("/province").get_data(as_text=True)
    assert table_names(page) == ["เทศบาลนครอุดรธานี"]
    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == province["started"].id))
    for url in (
        f"/plans/{plan.id}",
        f"/plans/{plan.id}/report",
        f"/province/organizations/{province['started'].id}",
        f"/measures/{plan.weaknesses[0].measures[0].id}",
    ):
        assert client.get(url).status_code == 404, url


def test_the_national_user_sees_every_province_and_can_filter_one(province, login):
    client = login(province["national"])
    page = client.get("/province").get_data(as_text=True)
    assert "ภาพรวมทุกจังหวัด" in page
    assert len(table_names(page)) == 5 and "เทศบาลนครอุดรธานี" in table_names(page)
    assert "สำนักงาน" not in " ".join(table_names(page))  # offices are not organizations with plans
    assert '<option value="อุดรธานี"' in page
    udon = client.get("/province?province=อุดรธานี").get_data(as_text=True)
    assert table_names(udon) == ["เทศบาลนครอุดรธานี"]


def test_members_of_an_organization_do_not_get_the_overview(world, login, client):
    assert client.get("/province").status_code == 302  # to the login page
    for user in (world.admin, world.manager, world.owner_palad, world.viewer):
        c = login(user)
        assert c.get("/province").status_code == 403
        assert c.get("/province.xlsx").status_code == 403
        assert c.get(f"/province/organizations/{world.org.id}").status_code == 403
        assert "ภาพรวมจังหวัด" not in c.get("/my-steps").get_data(as_text=True)


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["อบต.ท่าพระ", "อบต.พระลับ", "เทศบาลตำบลทดสอบ", "เทศบาลตำบลบ้านเป็ด"]),
        ("-name", ["เทศบาลตำบลบ้านเป็ด", "เทศบาลตำบลทดสอบ", "อบต.พระลับ", "อบต.ท่าพระ"]),
        ("state", ["อบต.ท่าพระ", "เทศบาลตำบลทดสอบ", "อบต.พระลับ", "เทศบาลตำบลบ้านเป็ด"]),
        ("-done", ["เทศบาลตำบลบ้านเป็ด", "อบต.พระลับ", "เทศบาลตำบลทดสอบ", "อบต.ท่าพระ"]),
        ("total", ["อบต.พระลับ", "เทศบาลตำบลบ้านเป็ด", "เทศบาลตำบลทดสอบ", "อบต.ท่าพระ"]),
        ("percent", ["เทศบาลตำบลทดสอบ", "อบต.พระลับ", "เทศบาลตำบลบ้านเป็ด", "อบต.ท่าพระ"]),
        ("-percent", ["อบต.พระลับ", "เทศบาลตำบลบ้านเป็ด", "เทศบาลตำบลทดสอบ", "อบต.ท่าพระ"]),
        ("-overdue", ["เทศบาลตำบลทดสอบ", "เทศบาลตำบลบ้านเป็ด", "อบต.พระลับ", "อบต.ท่าพระ"]),
        ("-activity", ["เทศบาลตำบลบ้านเป็ด", "อบต.พระลับ", "อบต.ท่าพระ", "เทศบาลตำบลทดสอบ"]),
        ("activity", ["อบต.พระลับ", "เทศบาลตำบลบ้านเป็ด", "อบต.ท่าพระ", "เทศบาลตำบลทดสอบ"]),
    ],
)
def test_the_overview_sorts_by_any_column_in_the_database(province, login, sort, expected):
    # Ties keep name order; organizations without the figure (no plan, no activity) come last either way.
    page = login(province["provincial"]).get(f"/province?sort={sort}").get_data(as_text=True)
    assert table_names(page) == expected


def test_column_headings_toggle_the_sort_and_keep_the_filters(province, login):
    client = login(province["provincial"])
    page = client.get("/province?q=อบต&sort=-percent").get_data(as_text=True)
    assert 'aria-sort="descending"' in page
    assert re.search(r'href="/province\?[^"]*q=%E0%B8%AD%E0%B8%9A%E0%B8%95[^"]*sort=percent[^"]*#orgs"', page)
    assert re.search(r'href="/province\?[^"]*sort=-overdue', page)  # figures: largest first on the first click


def test_the_overview_filters_by_name_and_by_state(province, login):
    client = login(province["provincial"])
    assert table_names(client.get("/province?q=อบต").get_data(as_text=True)) == ["อบต.ท่าพระ", "อบต.พระลับ"]
    assert table_names(client.get("/province?q=BANPET").get_data(as_text=True)) == ["เทศบาลตำบลบ้านเป็ด"]  # slug too
    assert table_names(client.get("/province?q=%25").get_data(as_text=True)) == []  # LIKE wildcards are literal
    assert table_names(client.get("/province?show=not_started").get_data(as_text=True)) == [
        "อบต.ท่าพระ",
        "เทศบาลตำบลทดสอบ",
    ]
    assert table_names(client.get("/province?show=no_plan").get_data(as_text=True)) == ["อบต.ท่าพระ"]
    assert table_names(client.get("/province?show=overdue").get_data(as_text=True)) == [
        "เทศบาลตำบลทดสอบ",
        "เทศบาลตำบลบ้านเป็ด",
    ]
    empty = client.get("/province?q=ไม่มีชื่อนี้").get_data(as_text=True)
    assert "ไม่มีองค์กรตามเงื่อนไขที่เลือก" in empty


def test_the_fiscal_year_is_selectable(province, world, login):
    make_org("next-year", "อบต.ปีหน้า", "ขอนแก่น", statuses=[S.not_started], year=2567)
    db.session.commit()
    client = login(province["provincial"])
    page = client.get("/province").get_data(as_text=True)
    assert '<option value="2567">' in page and '<option value="2566" selected>' in page
    later = client.get("/province?year=๒๕๖๗").get_data(as_text=True)
    assert "ปีงบประมาณ พ.ศ. 2567" in later
    assert row_cells(later, "อบต.ปีหน้า")[1:4] == ["ยังไม่เริ่ม", "0", "1"]
    assert row_cells(later, "เทศบาลตำบลทดสอบ")[1] == "ยังไม่มีแผน"


@pytest.mark.parametrize(
    "query, message",
    [
        ("year=abc", "ปีงบประมาณต้องเป็นปี พ.ศ. เช่น 2566: “abc”"),
        ("year=1999", "ปีงบประมาณต้องเป็นปี พ.ศ. เช่น 2566: “1999”"),
        ("sort=password", "เรียงตาม “password” ไม่ได้"),
        ("sort=--name", "เรียงตาม “--name” ไม่ได้"),
        ("show=everything", "ไม่รู้จักตัวกรอง “everything”"),
        ("page=x", "หน้าต้องเป็นตัวเลข: “x”"),
        ("page=" + "9" * 5000, "หน้าต้องเป็นตัวเลข"),
    ],
)
@pytest.mark.parametrize("path", ["/province", "/province.xlsx"])
def test_bad_overview_parameters_are_a_400_with_a_message(province, login, query, message, path):
    response = login(province["provincial"]).get(f"{path}?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "ข้อมูลไม่ถูกต้อง" in page and message in page


HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "9" * 5000,
    "๒๕๖๖",
    "%",
    "_",
    "' OR 1=1 --",
    "<script>x</script>",
    "ก" * 5000,
    "\x00",
    '=HYPERLINK("x")',
    "-",
    "--name",
    "-" * 50,
]


@pytest.mark.parametrize("name", ["year", "q", "show", "province", "sort", "page"])
def test_hostile_overview_parameters_never_cause_a_server_error(province, login, name):
    client = login(province["national"])
    for value in HOSTILE:
        for url in ("/province", "/province.xlsx"):
            response = client.get(url, query_string={name: value})
            assert response.status_code in (200, 400), (name, value[:20], response.status_code)
            assert "<script>x</script>" not in response.get_data(as_text=True) if url == "/province" else True


def test_the_overview_pages_by_fifty(province, login):
    for i in range(52):
        make_org(f"org-{i:02d}", f"อบต.ที่ {i:02d}", "ขอนแก่น")
    db.session.commit()
    client = login(province["provincial"])
    first = client.get("/province").get_data(as_text=True)
    assert len(table_names(first)) == 50 and "แสดง 1–50 จาก 56 องค์กร" in first
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(following).get_data(as_text=True)
    assert len(table_names(second)) == 6 and "หน้า 2 จาก 2" in second
    assert set(table_names(first)).isdisjoint(table_names(second))
    beyond = client.get("/province?page=99").get_data(as_text=True)
    assert "หน้า 2 จาก 2" in beyond  # a page past the end shows the last one


def test_the_overview_exports_to_xlsx_with_the_same_rows_and_guarded_text(province, login):
    make_org("evil", '=HYPERLINK("http://evil.example","x")', "ขอนแก่น", statuses=[S.done])
    db.session.commit()
    response = login(province["provincial"]).get("/province.xlsx?sort=-percent")
    assert response.status_code == 200
    assert response.content_type.startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "overview-2566.xlsx" in response.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert "จังหวัดขอนแก่น" in rows[0][0] and "2566" in rows[1][0]
    header = rows[3]
    assert header[:3] == ("องค์กร", "รหัส", "จังหวัด")
    body = {r[1]: r for r in rows[4:]}
    assert list(body) == ["evil", "phra-lap", "banpet", "testorg", "tha-phra"]  # sorted as asked
    assert body["evil"][0] == '\'=HYPERLINK("http://evil.example","x")'  # text, never a formula
    banpet = body["banpet"]
    assert banpet[5:11] == ("เริ่มดำเนินการแล้ว", 4, 2, 50, 2, "20 ก.ค. 2566")
    assert banpet[11].endswith(
        f"/plans/{db.session.scalar(sa.select(Plan.id).where(Plan.organization_id == province['started'].id))}"
    )
    assert body["tha-phra"][5:10] == ("ยังไม่มีแผน", None, None, None, None)
    assert "udon" not in body


def test_the_overview_costs_the_same_queries_for_5_and_for_40_organizations(world, login, app):
    user = make_office("sthj-kk", "ขอนแก่น", "p@kk.go.th")
    db.session.commit()
    client = login(user)

    def add_orgs(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_org(
                f"bulk-{i:03d}",
                f"อบต.จำนวน {i:03d}",
                "ขอนแก่น",
                statuses=[S.done, S.in_progress, S.not_started][: 1 + i % 3],
                activity=NOW - timedelta(days=i),
            )
        db.session.commit()

    def queries_for(url: str) -> int:
        return statements_for(client, url)

    urls = ["/province", "/province?sort=-percent&show=not_started", "/province.xlsx"]
    add_orgs(5, 0)
    small = [queries_for(u) for u in urls]
    add_orgs(35, 5)
    large = [queries_for(u) for u in urls]
    assert small == large
    assert max(large) <= 12
