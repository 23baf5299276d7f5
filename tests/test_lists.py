"""Long lists: search and pages on the dashboard's steps, my steps, the users
list and the outbox (GET parameters, counts shown); the dashboard's progress
chart with its text alternative.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from conftest import NOW, make_user
from outbox_factory import queue

from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.plans import chart, services
from tracker.plans.models import Measure, Step, StepStatus


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 Aug 2566, 10:00 Bangkok


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def step_links(text: str) -> list[str]:
    return re.findall(r'<a href="/steps/\d+">([^<]+)</a>', text)


@pytest.fixture
def two_measures(world):
    """Weakness 2 gets a second measure, so its steps are numbered 2.1.1, 2.2.1 …"""
    weakness = world.m2.weakness
    m3 = Measure(
        weakness=weakness,
        order=2,
        title="โครงการลดขั้นตอน",
        owner_department=world.strategy,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
    )
    for order, title in enumerate(["สำรวจขั้นตอนเดิม", "ประกาศขั้นตอนใหม่"], start=1):
        Step(
            measure=m3,
            order=order,
            title=title,
            owner_department=world.strategy,
            start_date=date(2023, 1, 1),
            due_date=date(2023, 9, 29),
        )
    db.session.add(m3)
    db.session.commit()
    return m3


# -- the dashboard's steps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q, expected",
    [
        ("คู่มือ", ["จัดทำคู่มือ"]),
        ("1", ["จัดทำประกาศแนวทางปฏิบัติ", "จัดทำคู่มือ", "รายงานผลการดำเนินงาน"]),  # every step of weakness 1
        ("1.2", ["จัดทำคู่มือ"]),
        ("๑.๓", ["รายงานผลการดำเนินงาน"]),  # Thai digits
        ("2.2", ["สำรวจขั้นตอนเดิม", "ประกาศขั้นตอนใหม่"]),  # measure 2.2 of a weakness with two measures
        ("2.2.2", ["ประกาศขั้นตอนใหม่"]),
        ("2.1.1", ["กำหนดระบบที่ต้องการพัฒนา"]),
        ("9.9", []),
        ("100%_\\", []),  # LIKE wildcards are plain characters
    ],
)
def test_the_dashboard_finds_steps_by_title_or_number(world, login, two_measures, q, expected):
    text = page(login(world.viewer).get(f"/plans/{world.plan.id}", query_string={"q": q}))
    assert step_links(text) == expected
    assert f'value="{q}"' in text.replace("&#34;", '"') or "&" in q  # the box keeps what was typed
    if expected:
        assert f"แสดง 1–{len(expected)} จาก {len(expected)} ขั้นตอน" in text
    else:
        assert "ไม่มีขั้นตอนตามเงื่อนไขที่เลือก" in text and "ล้างตัวกรอง" in text


def test_the_dashboard_search_combines_with_filters_and_pages(world, login, two_measures):
    client = login(world.viewer)
    text = page(client.get(f"/plans/{world.plan.id}?q=2&department={world.strategy.id}&per_page=2"))
    assert step_links(text) == ["กำหนดระบบที่ต้องการพัฒนา", "ทดสอบการใช้งานระบบ"]
    assert "แสดง 1–2 จาก 4 ขั้นตอน" in text and "หน้า 1 จาก 2" in text
    next_link = re.search(r'<a rel="next" href="([^"]+)"', text)[1].replace("&amp;", "&")
    assert "q=2" in next_link and f"department={world.strategy.id}" in next_link and "page=2" in next_link
    second = page(client.get(next_link))
    assert step_links(second) == ["สำรวจขั้นตอนเดิม", "ประกาศขั้นตอนใหม่"]
    assert "แสดง 3–4 จาก 4 ขั้นตอน" in second and '<a rel="prev"' in second


def test_an_empty_plan_says_so_instead_of_no_match(world, login):
    from tracker.plans.models import Plan

    empty = Plan(organization=world.org, fiscal_year=2567, title="แผนว่าง")
    db.session.add(empty)
    db.session.commit()
    text = page(login(world.admin).get(f"/plans/{empty.id}"))
    assert "แผนนี้ยังไม่มีขั้นตอน" in text and "แผนนี้ยังไม่มีประเด็นหรือมาตรการ" in text
    assert f"/admin/plans/{empty.id}" in text  # an admin is shown where to add them


# -- my steps ----------------------------------------------------------------------------------------


def test_my_steps_are_searched_and_paged(world, login, two_measures):
    client = login(world.owner_strategy)
    text = page(client.get("/my-steps?q=ขั้นตอน"))
    assert step_links(text) == ["สำรวจขั้นตอนเดิม", "ประกาศขั้นตอนใหม่"]
    assert "แสดง 1–2 จาก 2 ขั้นตอน" in text

    first = page(client.get("/my-steps?per_page=3"))
    assert "แสดง 1–3 จาก 4 ขั้นตอน" in first and "หน้า 1 จาก 2" in first
    second = page(client.get("/my-steps?per_page=3&page=2"))
    assert len(step_links(second)) == 1 and "แสดง 4–4 จาก 4 ขั้นตอน" in second

    none = page(client.get("/my-steps?q=ไม่มีคำนี้"))
    assert step_links(none) == [] and "ไม่พบขั้นตอนตามที่ค้นหา" in none


def test_a_page_past_the_end_of_my_steps_shows_the_last_page(world, login, two_measures):
    text = page(login(world.owner_strategy).get("/my-steps?per_page=3&page=9"))
    assert len(step_links(text)) == 1 and "แสดง 4–4 จาก 4 ขั้นตอน" in text and "หน้า 2 จาก 2" in text


def test_the_step_lists_read_plain_rows_not_orm_objects(world, login, two_measures, app):
    """The dashboard's list, งานของฉัน, the manager's home and the API's list read a page of steps
    as plain rows, counted in the statement that reads them (issue 14: building Step objects with
    their joined loads was the largest share of these pages): no Step object is loaded, and the
    list's steps come in one statement."""
    from tracker.api import tokens
    from tracker.follow import services as follow

    follow.set_watching(world.step(world.m2, 2), world.manager, True)
    _token, secret = tokens.create_token(world.admin, "ทดสอบ", NOW)
    db.session.commit()
    loaded: list[Step] = []
    statements: list[str] = []

    def on_load(target, _context):
        loaded.append(target)

    def on_statement(_conn, _cursor, statement, *_args):
        statements.append(statement)

    manager = login(world.manager)
    bearer = {"Authorization": f"Bearer {secret}"}
    pages = [
        (f"/plans/{world.plan.id}", manager, {}),
        ("/", manager, {}),  # the manager's home: the steps they watch
        ("/my-steps?scope=all", manager, {}),
        ("/api/v1/steps?limit=3", app.test_client(), bearer),
    ]
    for path, client, headers in pages:
        db.session.expire_all()
        loaded.clear()
        statements.clear()
        sa.event.listen(Step, "load", on_load)
        sa.event.listen(db.engine, "before_cursor_execute", on_statement)
        try:
            text = page(client.get(path, headers=headers))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", on_statement)
            sa.event.remove(Step, "load", on_load)
        assert "ทดสอบการใช้งานระบบ" in text or path.startswith("/api/"), path
        assert loaded == [], (path, loaded)
        step_reads = [st for st in statements if st.lstrip().startswith("SELECT steps.id, steps.version")]
        assert len(step_reads) == 1, (path, step_reads)


def test_my_steps_with_nothing_open_says_where_to_look(world, login):
    for step in world.m1.steps:
        services.change_status(step, StepStatus.done, world.admin, NOW)
    db.session.commit()
    text = page(login(world.owner_palad).get("/my-steps"))
    assert "ไม่มีงานค้าง" in text and 'href="/my-steps?status=all"' in text


# -- the users list ---------------------------------------------------------------------------------


def test_the_users_list_is_searched_by_name_email_or_position_and_filtered_by_role(world, login):
    for n in range(1, 4):
        user = make_user(world.org, f"clerk{n}@test.go.th", Role.owner, world.palad, name=f"เสมียน {n}")
        user.position = "เจ้าพนักงานธุรการ"
    db.session.commit()
    client = login(world.admin)
    text = page(client.get("/admin/users"))
    assert "แสดง 1–8 จาก 8 คน" in text
    assert len(re.findall(r'href="/admin/users/\d+"', text)) == 8

    assert "แสดง 1–3 จาก 3 คน" in page(client.get("/admin/users?q=เสมียน"))
    assert "แสดง 1–3 จาก 3 คน" in page(client.get("/admin/users?q=ธุรการ"))
    by_email = page(client.get("/admin/users?q=MANAGER@test"))
    assert "แสดง 1–1 จาก 1 คน" in by_email and "manager@test.go.th" in by_email
    assert "แสดง 1–5 จาก 5 คน" in page(client.get("/admin/users?role=owner"))
    assert "ไม่พบผู้ใช้ที่ตรงกับการค้นหา" in page(client.get("/admin/users?q=ไม่มีชื่อนี้"))

    paged = page(client.get("/admin/users?per_page=3&page=3"))
    assert "แสดง 7–8 จาก 8 คน" in paged and "หน้า 3 จาก 3" in paged
    assert client.get("/admin/users?role=god").status_code == 400
    assert client.get("/admin/users?page=x").status_code == 400


# -- the outbox -------------------------------------------------------------------------------------


def test_the_outbox_is_searched_by_recipient_or_subject(world, login):
    queue(3, organization_id=world.org.id)
    queue(1, organization_id=world.org.id, start=10, subject="สรุปประจำสัปดาห์ทดสอบ", kind="digest_weekly")
    client = login(world.admin)
    assert "แสดง 1–4 จาก 4 ข้อความ" in page(client.get("/admin/outbox"))
    assert "แสดง 1–1 จาก 1 ข้อความ" in page(client.get("/admin/outbox?q=user1@"))
    weekly = page(client.get("/admin/outbox?q=ประจำสัปดาห์"))
    assert "แสดง 1–1 จาก 1 ข้อความ" in weekly and "สรุปประจำสัปดาห์ทดสอบ" in weekly
    assert "ไม่พบข้อความตามที่เลือก" in page(client.get("/admin/outbox?q=nobody"))


def test_an_empty_outbox_explains_when_messages_come(world, login):
    text = page(login(world.admin).get("/admin/outbox"))
    assert "ยังไม่มีข้อความ" in text and "/admin/notifications" in text


# -- the progress chart -----------------------------------------------------------------------------


def test_the_chart_counts_steps_due_and_done_by_each_months_end(world):
    done_on = datetime(2023, 7, 20, 3, 0, tzinfo=UTC)
    services.change_status(world.step(world.m2, 1), StepStatus.done, world.admin, done_on)
    services.change_status(world.step(world.m1, 3), StepStatus.cancelled, world.admin, NOW, cancel_reason="ซ้ำ")
    db.session.commit()
    c = chart.progress_chart(world.plan.id, 2566, date(2023, 8, 1))
    assert c is not None and c.total == 4  # the cancelled step does not count
    by_month = {m.last_day: m for m in c.months}
    assert [m.last_day.month for m in c.months] == [10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert by_month[date(2023, 3, 31)].planned == 1  # 2.1 due 31 Mar
    assert by_month[date(2023, 7, 31)].planned == 2  # and 1.1 due 31 Jul
    assert by_month[date(2023, 8, 31)].planned == 4  # 1.2 and 2.2
    assert by_month[date(2023, 6, 30)].done == 0 and by_month[date(2023, 7, 31)].done == 1
    assert by_month[date(2023, 8, 31)].done == 1  # August has begun: done so far
    assert by_month[date(2023, 9, 30)].done is None  # still to come
    assert (c.done_now, c.planned_now) == (1, 2)
    assert c.today_x is not None and c.left < c.today_x < c.right_edge
    assert [m.year for m in c.months if m.year] == ["2565", "2566"]


def test_steps_finished_after_the_fiscal_year_stretch_the_chart_to_the_caption(world):
    # Late work still counts: a step done in November 2023 (FY 2567) extends the FY 2566 chart,
    # and its last point equals the caption's "done by today".
    late = datetime(2023, 11, 10, 3, 0, tzinfo=UTC)
    services.change_status(world.step(world.m2, 1), StepStatus.done, world.admin, late)
    db.session.commit()
    c = chart.progress_chart(world.plan.id, 2566, date(2023, 12, 5))
    assert c is not None
    assert [(m.last_day.year, m.last_day.month) for m in c.months][-3:] == [(2023, 9), (2023, 10), (2023, 11)]
    assert c.months[-1].done == c.done_now == 1
    assert c.months[-2].done == 0  # not yet at the end of October


def test_a_plan_without_steps_has_no_chart(world):
    from tracker.plans.models import Plan

    empty = Plan(organization=world.org, fiscal_year=2567, title="แผนว่าง")
    db.session.add(empty)
    db.session.commit()
    assert chart.progress_chart(empty.id, 2567, date(2023, 8, 1)) is None


def test_the_dashboard_chart_is_an_image_with_a_text_alternative(world, login):
    text = page(login(world.manager).get(f"/plans/{world.plan.id}"))
    svg = re.search(r"<svg class=\"chart\"[^>]*>", text)[0]
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-summary"' in svg
    assert '<title id="chart-title">' in text
    summary = re.search(r'<figcaption id="chart-summary">([^<]+)</figcaption>', text)[1]
    assert summary == "ณ 1 ส.ค. 2566 ดำเนินการแล้ว 0 ขั้นตอน ตามแผนควรแล้วเสร็จ 2 ขั้นตอน จากทั้งหมด 5 ขั้นตอน"
    assert "<summary>ตัวเลขของกราฟ</summary>" in text
    assert "<td>31 มี.ค. 2566</td><td>1</td><td>0</td>" in text
    english = page(login(world.manager).get(f"/plans/{world.plan.id}?lang=en"))
    assert "On 1 Aug 2566, 0 steps are done; by the plan 2 should be, out of 5 steps." in english
    assert ">Oct</text>" in english and "<td>31 Mar 2566</td>" in english
