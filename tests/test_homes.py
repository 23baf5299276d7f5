"""Each role lands where its work is ("/"): an owner on งานของฉัน (overdue first, with the
days late), a manager or a department's head on what needs them (reports to sign, late
work per department linking to the filtered lists, watched steps), an organization's
admin on the health of its plans with import/publish shortcuts; a viewer keeps the plan
dashboard, which stays at /plans/<id> for everyone who reads it.

The world's clock is 1 ส.ค. 2566: step 1.1 (สำนักปลัด) is 1 day late, 2.1 (กองยุทธฯ)
123 days late, 2.2 is due on 15 ส.ค. (within 14 days), 1.2 and 1.3 later.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, make_user, statements_for
from tests.test_my_steps import add_plan
from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.follow import services as follow
from tracker.follow.models import StepWatch
from tracker.orgs.models import Department, Organization
from tracker.plans import services
from tracker.plans.models import Measure, PlanStatus, Step, StepStatus, Weakness
from tracker.reports.signoff import submit_report


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 Aug 2566


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def listed(page: str) -> list[str]:
    return re.findall(r'<a href="/steps/\d+">([^<]+)</a>', page)


def section(page: str, heading_id: str) -> str:
    return re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.S)[0]


# -- owner ------------------------------------------------------------------------------------------


def test_an_owners_home_is_their_steps_overdue_first_with_days_late(world, login):
    page = text(login(world.owner_strategy).get("/"))
    assert "<h1>งานของฉัน</h1>" in page
    assert listed(page) == ["กำหนดระบบที่ต้องการพัฒนา", "ทดสอบการใช้งานระบบ"]
    groups = re.findall(r'<tr class="group group-(\w+)"><th[^>]*>([^<]+)</th>', page)
    assert groups == [("overdue", "เลยกำหนด"), ("soon", "ครบกำหนดภายใน 14 วัน")]
    late_row = re.search(r'<tr class="row-overdue">.*?</tr>', page, re.S)[0]
    assert "กำหนดระบบที่ต้องการพัฒนา" in late_row and "ช้า 123 วัน" in late_row


def test_an_overdue_step_comes_before_one_due_sooner_that_is_not_late(world, login):
    # 1.3 (29 ก.ย.) made late by moving its due date before 1.1's: still after every overdue step? No:
    # the overdue part is ordered by due date, the due-soon part follows, then the rest.
    world.step(world.m1, 3).due_date = date(2023, 8, 10)  # now due within 14 days
    db.session.commit()
    page = text(login(world.owner_palad).get("/"))
    assert listed(page) == ["จัดทำประกาศแนวทางปฏิบัติ", "รายงานผลการดำเนินงาน", "จัดทำคู่มือ"]
    groups = re.findall(r'<tr class="group group-(\w+)">', page)
    assert groups == ["overdue", "soon", "later"]


def test_the_plan_dashboard_stays_reachable_for_every_reader(world, login):
    for who in ("owner_palad", "manager", "admin", "viewer"):
        page = text(login(getattr(world, who)).get(f"/plans/{world.plan.id}"))
        assert "ความคืบหน้ารายมาตรการ" in page, who


def test_the_menus_overview_opens_the_current_plan_whatever_the_home(world, login):
    for who in ("owner_palad", "manager", "admin", "viewer"):
        client = login(getattr(world, who))
        assert 'href="/plans/current">ภาพรวม</a>' in text(client.get("/"))
        response = client.get("/plans/current")
        assert response.status_code == 302 and response.headers["Location"] == f"/plans/{world.plan.id}", who


def test_a_viewer_keeps_the_plan_dashboard(world, login):
    page = text(login(world.viewer).get("/"))
    assert "ความคืบหน้ารายมาตรการ" in page and "งานที่รอคุณ" not in page


# -- manager ----------------------------------------------------------------------------------------


def test_a_managers_home_lists_the_reports_waiting_for_their_signoff(world, login):
    submission = submit_report(
        world.plan, world.admin, NOW, kind="followup", chain=[world.manager], as_of=date(2023, 8, 1)
    )
    db.session.commit()
    page = text(login(world.manager).get("/"))
    assert "<h1>งานที่รอคุณ</h1>" in page
    waiting = section(page, "signoff-h")
    assert f'href="/reports/submissions/{submission.id}"' in waiting
    assert "ปีงบประมาณ 2566" in waiting and "เสนอโดย ผู้ดูแล" in waiting


def test_a_managers_home_counts_late_work_per_department_linking_to_the_lists(world, login):
    client = login(world.manager)
    late = section(text(client.get("/")), "late-h")
    rows = re.findall(r'<tr>\s*<th scope="row">([^<]+)</th>(.*?)</tr>', late, re.S)
    assert [name for name, _cells in rows] == ["กองยุทธศาสตร์และงบประมาณ", "สำนักปลัดเทศบาล"]
    counts = {name: re.findall(r"<td>(?:<a[^>]*>)?(\d+)", cells) for name, cells in rows}
    assert counts == {"กองยุทธศาสตร์และงบประมาณ": ["1", "1"], "สำนักปลัดเทศบาล": ["1", "0"]}

    link = re.search(r'<a class="overdue" href="([^"]+)"[^>]*>1</a>', rows[0][1])[1].replace("&amp;", "&")
    assert f"department={world.strategy.id}" in link and "due=overdue" in link
    assert listed(text(client.get(link))) == ["กำหนดระบบที่ต้องการพัฒนา"]
    soon = re.search(r'<a href="([^"]+)"[^>]*>1</a>', rows[0][1])[1].replace("&amp;", "&")
    assert listed(text(client.get(soon))) == ["ทดสอบการใช้งานระบบ"]


def test_a_managers_home_lists_the_steps_they_watch(world, login):
    step = world.step(world.m2, 2)
    follow.add_remark(step, world.manager, "ขอให้เร่งทดสอบ", NOW)  # commenting watches by default
    db.session.add(StepWatch(step_id=world.step(world.m1, 3).id, user_id=world.manager.id, watching=True))
    db.session.commit()
    watched = section(text(login(world.manager).get("/")), "watched-h")
    assert re.findall(r'<a href="/steps/\d+">([^<]+)</a>', watched) == [
        "ขั้นตอนที่ 2.2 ทดสอบการใช้งานระบบ",
        "ขั้นตอนที่ 1.3 รายงานผลการดำเนินงาน",
    ]
    # Stopping watching takes a step off.
    db.session.add(StepWatch(step_id=step.id, user_id=world.manager.id, watching=False))
    db.session.commit()
    watched = section(text(login(world.manager).get("/")), "watched-h")
    assert "ทดสอบการใช้งานระบบ" not in watched and "รายงานผลการดำเนินงาน" in watched


def test_a_department_head_lands_on_the_managers_home_watching_their_department(world, login):
    world.strategy.head = world.owner_strategy
    db.session.commit()
    page = text(login(world.owner_strategy).get("/"))
    assert "<h1>งานที่รอคุณ</h1>" in page
    watched = section(page, "watched-h")
    assert "กำหนดระบบที่ต้องการพัฒนา" in watched and "ช้า 123 วัน" in watched
    assert "จัดทำคู่มือ" not in watched  # another department's


def test_a_manager_sees_nothing_of_another_organization(world, login):
    other = Organization(name="อบต.อื่น", slug="other", province="ขอนแก่น")
    dept = Department(organization=other, name="กองอื่นที่ล่าช้า")
    add_plan(other, dept, 2566, PlanStatus.active, "ขั้นตอนอื่น", date(2023, 2, 1))
    page = text(login(world.manager).get("/"))
    assert "กองอื่นที่ล่าช้า" not in page and "ขั้นตอนอื่น" not in page


# -- admin ------------------------------------------------------------------------------------------


def test_an_admins_home_shows_plan_health_and_shortcuts(world, login):
    works = Department(organization=world.org, name="กองช่าง")  # nobody works here yet
    db.session.add(
        Step(
            measure=world.m2,
            order=3,
            title="ซ่อมระบบ",
            owner_department=works,
            start_date=date(2023, 1, 1),
            due_date=date(2023, 9, 1),
        )
    )
    stepless = Measure(
        weakness=world.m1.weakness,
        order=2,
        title="มาตรการที่ยังไม่มีขั้นตอน",
        owner_department=world.palad,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
    )
    db.session.add(stepless)
    db.session.commit()
    page = text(login(world.admin).get("/"))
    assert "<h1>สถานะของแผน</h1>" in page
    stats = re.findall(r"<span>([^<]+)</span><b>(\d+)</b>", page)
    assert stats == [("เลยกำหนด", "2"), ("ไม่มีผู้รับผิดชอบ", "1"), ("ยังไม่มีกำหนดการ", "1")]
    assert f'href="/plans/{world.plan.id}?due=overdue#steps"' in page
    assert f'href="/plans/{world.plan.id}?department={works.id}#steps">กองช่าง</a>' in page
    assert "มาตรการที่ 1.2 มาตรการที่ยังไม่มีขั้นตอน" in page
    assert 'href="/admin/plans/import"' in page and f'href="/plans/{world.plan.id}/publish"' in page


def test_a_healthy_plan_says_so(world, login):
    for step in (world.step(world.m1, 1), world.step(world.m2, 1)):
        services.change_status(step, StepStatus.done, world.admin, NOW)
    db.session.commit()
    page = text(login(world.admin).get("/"))
    assert "แผนนี้ไม่มีเรื่องที่ต้องแก้ไข" in page


# -- no query per row -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_palad", "manager", "admin"])
def test_a_home_runs_the_same_number_of_statements_for_a_bigger_organization(world, login, who):
    world.palad.head = world.manager  # the manager watches สำนักปลัด's steps too
    # One of each thing the pages list is there from the start: a measure without steps, too.
    empty = Measure(
        weakness=world.m1.weakness,
        order=2,
        title="ว่าง",
        owner_department=world.palad,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
    )
    db.session.add(empty)
    for n in range(2):
        submit_report(world.plan, world.admin, NOW, kind="followup", chain=[world.manager], as_of=date(2023, 7, n + 1))
    db.session.commit()
    client = login(getattr(world, who))
    before = statements_for(client, "/")
    for w_order in range(3, 6):
        weakness = Weakness(plan=world.plan, order=w_order, title=f"ประเด็น {w_order}")
        dept = Department(organization=world.org, name=f"กองที่ {w_order}")
        for m_order in (1, 2):
            m = Measure(
                weakness=weakness,
                order=m_order,
                title=f"มาตรการ {w_order}.{m_order}",
                owner_department=world.palad,
                period_start=date(2023, 1, 1),
                period_end=date(2023, 9, 30),
            )
            for order, due in enumerate((date(2023, 7, 1), date(2023, 8, 5), date(2023, 9, 20)), start=1):
                Step(
                    measure=m,
                    order=order,
                    title=f"ขั้นตอน {order}",
                    owner_department=world.palad if order != 3 else dept,
                    start_date=date(2023, 1, 1),
                    due_date=due,
                )
        Measure(
            weakness=weakness,
            order=3,
            title="ว่าง",
            owner_department=dept,
            period_start=date(2023, 1, 1),
            period_end=date(2023, 9, 30),
        )
        db.session.add_all([dept, weakness])
    make_user(world.org, "another.manager@test.go.th", Role.manager)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Step)) == 5 + 18
    assert statements_for(client, "/") == before


# -- in English ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, labels",
    [
        ("owner_palad", ["My steps", "Overdue", "1 days late", "Change the status of the selected steps"]),
        ("manager", ["Waiting for you", "Reports waiting for your sign-off", "Late work by department"]),
    ],
)
def test_the_homes_in_english_show_no_thai_but_the_data(world, login, who, labels):
    from tests.test_i18n import THAI_LETTERS, data_strings, interface_text, page

    submit_report(world.plan, world.admin, NOW, kind="followup", chain=[world.manager], as_of=date(2023, 8, 1))
    db.session.commit()
    client = login(getattr(world, who))
    client.get("/profile?lang=en")  # the language cookie (and the login's Thai welcome shown)
    html = page(client.get("/"))
    for label in labels:
        assert label in html, label
    # The report's name is its official Thai title (a printed document's), as on the submissions page.
    left = interface_text(html, data_strings(), None)
    thai = [line for line in left.splitlines() if THAI_LETTERS.search(line) and "ปีงบประมาณ" not in line]
    assert not thai, "\n".join(thai)
