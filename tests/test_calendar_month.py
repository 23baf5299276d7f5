"""The month calendar of due dates (/calendar): BE year and Thai month names, weeks
from Sunday as Thai calendars print them, the steps due on each day linked, overdue
ones marked, previous/next month, a department filter, the reader's digits; on a
phone the same steps as a list by day (CSS; the list is in every page)."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, make_user, one_step_plan
from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.notify.month import month_of
from tracker.orgs.models import Department, Organization
from tracker.plans import services as plan_services
from tracker.plans.models import PlanStatus, Step, StepStatus


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # Tuesday 1 August 2023 (2566), 10:00 in Bangkok


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def grid_cells(page: str) -> list[str]:
    """The grid's days as shown: day number and the steps' text, tags removed."""
    grid = page.split('<table class="month-grid"', 1)[1].split("</table>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", td).split()) for td in re.findall(r"<td.*?</td>", grid, re.S)]


def day_list(page: str) -> list[str]:
    """The phone's list by day: each day's heading and its steps."""
    block = page.split('<div class="month-list">', 1)[1].split("</div>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", s).split()) for s in re.findall(r"<section.*?</section>", block, re.S)]


def test_this_month_shows_the_steps_due_each_day_sunday_first(world, login):
    page = text(login(world.viewer).get("/calendar"))
    assert '<h2 id="month-h" aria-live="polite">สิงหาคม พ.ศ. 2566</h2>' in page
    headers = re.findall(r'<abbr title="([^"]+)">([^<]+)</abbr>', page)
    assert headers[0] == ("วันอาทิตย์", "อา.") and headers[-1] == ("วันเสาร์", "ส.")
    cells = grid_cells(page)
    # 1 August 2566 is a Tuesday: the first week starts on Sunday 30 July.
    assert cells[:4] == ["30", "31", "1", "2"] and len(cells) % 7 == 0
    assert "15 ขั้นตอน 2.2 ทดสอบการใช้งานระบบ" in cells and "31 ขั้นตอน 1.2 จัดทำคู่มือ" in cells
    # 31 July is July's day here: its step shows on July's page, not this one.
    assert cells[1] == "31"
    assert day_list(page) == [
        "15 สิงหาคม 2566 ขั้นตอน 2.2 ทดสอบการใช้งานระบบ",
        "31 สิงหาคม 2566 ขั้นตอน 1.2 จัดทำคู่มือ",
    ]
    assert "ครบกำหนด 2 ขั้นตอนในเดือนนี้" in page
    step = world.step(world.m2, 2)
    assert f'<a href="/steps/{step.id}">ขั้นตอน 2.2 ทดสอบการใช้งานระบบ</a>' in page
    assert 'aria-current="date"' in page  # today, 1 August
    # Weekends and holidays stand apart: 1 August is อาสาฬหบูชา, 2 August เข้าพรรษา, Saturday 12
    # the Queen Mother's birthday and Monday 14 its day in lieu.
    days = re.findall(r'<td class="([^"]*)"[^>]*>\s*<span class="day-number">(\d+)<', page)
    assert [day for classes, day in days if "holiday" in classes.split() and "other-month" not in classes] == [
        "1",
        "2",
        "5",
        "6",
        "12",
        "13",
        "14",
        "19",
        "20",
        "26",
        "27",
    ]


def test_overdue_steps_are_marked_and_finished_ones_say_so(world, login):
    plan_services.change_status(world.step(world.m1, 2), StepStatus.done, world.admin, NOW)
    db.session.commit()
    client = login(world.viewer)
    july = text(client.get("/calendar?year=2566&month=7"))
    assert "กรกฎาคม พ.ศ. 2566" in july
    assert day_list(july) == ["31 กรกฎาคม 2566 ขั้นตอน 1.1 จัดทำประกาศแนวทางปฏิบัติ เลยกำหนด"]
    assert '<li class="is-overdue">' in july
    august = text(client.get("/calendar?year=2566&month=8"))
    assert "31 สิงหาคม 2566 ขั้นตอน 1.2 จัดทำคู่มือ ดำเนินการแล้ว" in day_list(august)
    assert "เลยกำหนด" not in "".join(day_list(august))


def test_previous_and_next_month_keep_the_department(world, login):
    client = login(world.manager)
    page = text(client.get(f"/calendar?year=2566&month=12&department={world.strategy.id}"))
    prev = re.search(r'rel="prev" href="([^"]+)"', page).group(1)
    nxt = re.search(r'rel="next" href="([^"]+)"', page).group(1)
    assert prev == f"/calendar?year=2566&month=11&department={world.strategy.id}"
    assert nxt == f"/calendar?year=2567&month=1&department={world.strategy.id}"
    assert "กลับไปเดือนนี้" in page
    only = text(client.get(f"/calendar?year=2566&month=8&department={world.strategy.id}"))
    assert day_list(only) == ["15 สิงหาคม 2566 ขั้นตอน 2.2 ทดสอบการใช้งานระบบ"]
    assert f'<option selected value="{world.strategy.id}">กองยุทธศาสตร์และงบประมาณ</option>' in only


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=abc", "ปี พ.ศ.: “abc” ไม่ใช่ตัวเลข"),
        ("year=1999", "ปี พ.ศ. ต้องอยู่ระหว่าง 2400 ถึง 2700"),
        ("month=13", "ตัวเลือกไม่ถูกต้อง"),
        ("department=999999", "ไม่พบหน่วยงานที่เลือก"),
    ],
)
def test_a_bad_choice_is_a_clear_400(world, login, query, message):
    response = login(world.viewer).get(f"/calendar?{query}")
    assert response.status_code == 400 and message in text(response)


def test_thai_digits_follow_the_readers_setting(world, login):
    world.viewer.thai_digits = True
    db.session.commit()
    page = text(login(world.viewer).get("/calendar"))
    shown = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1].split(">", 1)[1])
    assert "สิงหาคม พ.ศ. ๒๕๖๖" in shown and not re.search("[0-9]", shown)
    assert 'value="๒๕๖๖"' in page  # the year box too
    assert grid_cells(page)[:3] == ["๓๐", "๓๑", "๑"]
    assert "๑๕ สิงหาคม ๒๕๖๖ ขั้นตอน ๒.๒ ทดสอบการใช้งานระบบ" in day_list(page)


def test_only_the_organizations_active_plans_and_no_cancelled_steps(world, login):
    other = Organization(name="อบต.อื่น", slug="other")
    dept = Department(organization=other, name="กองช่าง")
    for org, department, status, year in (
        (other, dept, PlanStatus.active, 2566),
        (world.org, world.palad, PlanStatus.closed, 2567),
    ):
        title = f"งานที่ไม่ควรเห็น {org.slug} {status.value}"  # read before the new rows hang off `org`
        one_step_plan(org, department, year, title, due=date(2023, 8, 10), status=status)
    plan_services.change_status(
        world.step(world.m1, 2), StepStatus.cancelled, world.admin, NOW, cancel_reason="ไม่ต้องทำ"
    )
    db.session.commit()
    page = text(login(world.viewer).get("/calendar"))
    assert "งานที่ไม่ควรเห็น" not in page and "จัดทำคู่มือ" not in page
    assert day_list(page) == ["15 สิงหาคม 2566 ขั้นตอน 2.2 ทดสอบการใช้งานระบบ"]


def test_the_month_service(world):
    month = month_of(world.org.id, 2023, 8, date(2023, 8, 1))
    assert month.be_year == 2566 and month.previous == (2566, 7) and month.next == (2566, 9)
    assert [d.day for d in month.weeks[0]][0] == date(2023, 7, 30)
    assert all(len(week) == 7 and week[0].day.weekday() == 6 for week in month.weeks)
    assert [(d.day, [s.title for s in d.steps]) for d in month.days_with_steps] == [
        (date(2023, 8, 15), ["ทดสอบการใช้งานระบบ"]),
        (date(2023, 8, 31), ["จัดทำคู่มือ"]),
    ]
    assert month_of(world.org.id, 2023, 12, date(2023, 8, 1)).next == (2567, 1)
    assert db.session.scalar(sa.select(sa.func.count(Step.id))) == 5


def test_the_navigation_and_the_ics_page_link_here(world, login):
    client = login(world.owner_palad)
    assert '<a href="/calendar">ปฏิทิน</a>' in text(client.get("/my-steps"))
    assert '<a href="/calendar">ดูปฏิทินวันครบกำหนดรายเดือน</a>' in text(client.get("/profile/calendar"))
    provincial = make_user(Organization(name="สถ.จ.", slug="kk", province="ขอนแก่น"), "p@dla.go.th", Role.provincial)
    db.session.commit()
    assert '<a href="/calendar">ปฏิทิน</a>' not in text(login(provincial).get("/"))
