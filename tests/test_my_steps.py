"""/my-steps: what is still open for me, soonest due first.

Owners see their department's open steps and the steps assigned to them, in
every active plan of their organization. Readers without a department
(admins, managers, viewers) see every open step of the organization and can
filter by department.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import NOW, make_user
from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans import services
from tracker.plans.models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 Aug 2566


def listed(page: str) -> list[str]:
    """Step titles in the page's table, in order."""
    return re.findall(r'<a href="/steps/\d+">([^<]+)</a>', page)


def add_plan(org, dept, year: int, status: PlanStatus, step_title: str, due: date) -> Step:
    plan = Plan(organization=org, fiscal_year=year, title=f"แผน {year}", status=status)
    weakness = Weakness(plan=plan, order=1, title="จุดอ่อน")
    measure = Measure(
        weakness=weakness,
        order=1,
        title=f"มาตรการปี {year}",
        owner_department=dept,
        period_start=date(due.year, 1, 1),
        period_end=date(due.year, 12, 31),
    )
    step = Step(
        measure=measure, order=1, title=step_title, owner_department=dept, start_date=date(due.year, 1, 1), due_date=due
    )
    db.session.add(plan)
    db.session.commit()
    return step


def test_an_owner_sees_the_open_steps_of_their_department_soonest_due_first(world, login):
    services.change_status(world.step(world.m1, 2), StepStatus.in_progress, world.admin, NOW)
    db.session.commit()
    page = login(world.owner_palad).get("/my-steps").get_data(as_text=True)
    assert listed(page) == ["จัดทำประกาศแนวทางปฏิบัติ", "จัดทำคู่มือ", "รายงานผลการดำเนินงาน"]
    assert "กำลังดำเนินการ" in page  # in progress is still open
    assert "กำหนดระบบที่ต้องการพัฒนา" not in page  # another department's


def test_done_and_cancelled_steps_leave_the_list(world, login):
    services.change_status(world.step(world.m1, 1), StepStatus.done, world.admin, NOW)
    services.change_status(world.step(world.m1, 3), StepStatus.cancelled, world.admin, NOW, cancel_reason="ไม่ต้องทำ")
    db.session.commit()
    assert listed(login(world.owner_palad).get("/my-steps").get_data(as_text=True)) == ["จัดทำคู่มือ"]


def test_overdue_steps_are_highlighted(world, login):
    page = login(world.owner_palad).get("/my-steps").get_data(as_text=True)
    overdue_rows = re.findall(r'<tr class="row-overdue">.*?</tr>', page, re.S)
    assert len(overdue_rows) == 1
    assert "จัดทำประกาศแนวทางปฏิบัติ" in overdue_rows[0] and "ช้า 1 วัน" in overdue_rows[0]
    assert "31 ก.ค. 2566" in overdue_rows[0]


def test_a_step_assigned_to_me_in_another_department_is_listed_and_marked(world, login):
    step = world.step(world.m2, 2)
    step.assignee = world.owner_palad
    db.session.commit()
    page = login(world.owner_palad).get("/my-steps").get_data(as_text=True)
    assert listed(page) == ["จัดทำประกาศแนวทางปฏิบัติ", "ทดสอบการใช้งานระบบ", "จัดทำคู่มือ", "รายงานผลการดำเนินงาน"]
    assert "มอบหมายให้คุณ" in page


def test_every_active_plan_counts_but_drafts_and_closed_plans_do_not(world, login):
    add_plan(world.org, world.palad, 2567, PlanStatus.active, "ขั้นตอนของแผนปี 2567", date(2024, 2, 15))
    add_plan(world.org, world.palad, 2568, PlanStatus.draft, "ขั้นตอนของแผนร่าง", date(2025, 2, 15))
    add_plan(world.org, world.palad, 2565, PlanStatus.closed, "ขั้นตอนของแผนที่ปิดแล้ว", date(2022, 2, 15))
    page = login(world.owner_palad).get("/my-steps").get_data(as_text=True)
    assert listed(page)[-1] == "ขั้นตอนของแผนปี 2567"
    assert "ขั้นตอนของแผนร่าง" not in page and "ขั้นตอนของแผนที่ปิดแล้ว" not in page
    assert "ปี 2567" in page  # several plans: each row says which year


def test_nothing_open_shows_an_empty_state(world, login):
    for step in world.m1.steps:
        services.change_status(step, StepStatus.done, world.admin, NOW)
    db.session.commit()
    page = login(world.owner_palad).get("/my-steps").get_data(as_text=True)
    assert "ไม่มีงานค้าง" in page
    assert listed(page) == []


@pytest.mark.parametrize("who", ["admin", "manager", "viewer"])
def test_readers_without_a_department_see_every_open_step_and_are_told_so(world, login, who):
    page = login(getattr(world, who)).get("/my-steps").get_data(as_text=True)
    assert "ขั้นตอนของเทศบาลตำบลทดสอบ ในทุกแผนที่กำลังดำเนินการ" in page
    assert listed(page) == [
        "กำหนดระบบที่ต้องการพัฒนา",
        "จัดทำประกาศแนวทางปฏิบัติ",
        "ทดสอบการใช้งานระบบ",
        "จัดทำคู่มือ",
        "รายงานผลการดำเนินงาน",
    ]
    assert re.search(r'<select id="f-department" name="department"', page)


def test_readers_filter_the_whole_list_by_department(world, login):
    client = login(world.manager)
    page = client.get(f"/my-steps?department={world.strategy.id}").get_data(as_text=True)
    assert listed(page) == ["กำหนดระบบที่ต้องการพัฒนา", "ทดสอบการใช้งานระบบ"]
    assert client.get("/my-steps?department=nope").status_code == 400


def test_a_manager_with_a_department_sees_it_first_and_may_widen_to_the_organization(world, login):
    world.manager.department = world.strategy
    db.session.commit()
    client = login(world.manager)
    assert listed(client.get("/my-steps").get_data(as_text=True)) == ["กำหนดระบบที่ต้องการพัฒนา", "ทดสอบการใช้งานระบบ"]
    assert len(listed(client.get("/my-steps?scope=all").get_data(as_text=True))) == 5


def test_an_owner_cannot_widen_to_the_whole_organization(world, login):
    page = login(world.owner_strategy).get("/my-steps?scope=all").get_data(as_text=True)
    assert listed(page) == ["กำหนดระบบที่ต้องการพัฒนา", "ทดสอบการใช้งานระบบ"]


def test_steps_of_another_organization_never_appear(world, login):
    org = Organization(name="เทศบาลตำบลอื่น", slug="other", province="ขอนแก่น")
    dept = Department(organization=org, name="สำนักปลัดเทศบาล")
    db.session.add(org)
    make_user(org, "admin@other.go.th", Role.admin)
    add_plan(org, dept, 2566, PlanStatus.active, "ขั้นตอนของที่อื่น", date(2023, 5, 1))
    for who in ("owner_palad", "manager"):
        assert "ขั้นตอนของที่อื่น" not in login(getattr(world, who)).get("/my-steps").get_data(as_text=True)
