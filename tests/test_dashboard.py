"""The plan dashboard ("/" and /plans/<id>) and the measure page.

Progress is done / total where cancelled steps are left out of the total;
"overdue" and "due within 14 days" count open steps against today in
Bangkok, which the tests freeze through `clock.now`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, make_user, recorded_statements, statements_for
from tracker import clock, thaidate
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Organization
from tracker.plans import services
from tracker.plans.models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness


def shown(title: str) -> str:
    """A typed title as a reader of Arabic digits (the default) sees it."""
    return thaidate.to_arabic_digits(title)


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the pages' clock; returns a function to move it."""

    def at(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    at(NOW)  # 2023-08-01 10:00 in Bangkok
    return at


def progress(page: str, label: str) -> tuple[int, str]:
    """(aria-valuenow, visible text) of the progress bar with this label."""
    m = re.search(
        rf'aria-label="{re.escape(label)}".*?aria-valuenow="(\d+)".*?<span class="progress-text">([^<]+)</span>',
        page,
        re.S,
    )
    assert m, f"no progress bar labelled {label!r}"
    return int(m.group(1)), m.group(2)


def stat(page: str, heading: str) -> str:
    m = re.search(rf"<span>{re.escape(heading)}</span><b>([^<]+)</b>", page)
    assert m, f"no figure {heading!r}"
    return m.group(1)


def titles(page: str) -> list[str]:
    """Step titles listed in the dashboard's step table, in order."""
    table = page.split('<table class="steps">', 1)[1].split("</table>", 1)[0] if '<table class="steps">' in page else ""
    return re.findall(r'<a href="/steps/\d+">([^<]+)</a>', table)


def mark(step: Step, status: StepStatus, actor, reason: str = "") -> None:
    services.change_status(step, status, actor, NOW, note="ทดสอบ", cancel_reason=reason)
    db.session.commit()


# -- which plan "/" shows -------------------------------------------------------------


def test_home_shows_the_organizations_plan_with_its_fiscal_year_in_be(world, login):
    page = login(world.viewer).get("/").get_data(as_text=True)
    assert shown(world.plan.title) in page
    assert "ปีงบประมาณ พ.ศ. 2566" in page
    assert "โครงการใช้ทรัพย์สินอย่างโปร่งใส" in page and "โครงการ E-Service" in page


def test_home_prefers_the_active_plan_of_the_highest_year_and_links_other_years(world, login):
    db.session.add(Plan(organization=world.org, fiscal_year=2567, title="แผนปี ๒๕๖๗ (ร่าง)", status=PlanStatus.draft))
    db.session.add(Plan(organization=world.org, fiscal_year=2565, title="แผนปี ๒๕๖๕", status=PlanStatus.active))
    db.session.commit()
    client = login(world.viewer)

    page = client.get("/").get_data(as_text=True)
    assert shown(world.plan.title) in page  # 2566 is the newest *active* plan; the 2567 draft waits
    assert "ปีอื่น" in page and ">2567</a>" in page and ">2565</a>" in page

    db.session.scalar(sa.select(Plan).where(Plan.fiscal_year == 2567)).status = PlanStatus.active
    db.session.commit()
    assert shown("แผนปี ๒๕๖๗ (ร่าง)") in client.get("/").get_data(as_text=True)


def test_without_an_active_plan_home_shows_the_newest_plan(world, login):
    world.plan.status = PlanStatus.closed
    db.session.add(Plan(organization=world.org, fiscal_year=2565, title="แผนปี ๒๕๖๕ ที่ปิดแล้ว", status=PlanStatus.closed))
    db.session.commit()
    assert shown(world.plan.title) in login(world.viewer).get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.admin, Role.viewer])
def test_an_organization_without_a_plan_gets_a_helpful_empty_state(app, ctx, client, login, role):
    org = Organization(name="องค์การบริหารส่วนตำบลใหม่", slug="new-sao", province="ขอนแก่น")
    db.session.add(org)
    user = make_user(org, f"{role.value}@new.go.th", role)
    db.session.commit()

    response = login(user).get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ยังไม่มีแผน" in page
    if role is Role.admin:
        assert 'href="/admin/plans/import"' in page and "tracker import-plan" in page
    else:
        assert "โปรดติดต่อผู้ดูแลระบบ" in page and "tracker import-plan" not in page


# -- progress -------------------------------------------------------------------------


def test_progress_per_measure_and_overall_counts_done_steps(world, login):
    client = login(world.viewer)
    page = client.get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert progress(page, "ความคืบหน้ามาตรการที่ 1") == (0, "0/3 (0%)")
    assert progress(page, "ความคืบหน้ารวมของแผน") == (0, "0/5 (0%)")

    mark(world.step(world.m1, 1), StepStatus.done, world.admin)
    mark(world.step(world.m2, 1), StepStatus.done, world.admin)
    mark(world.step(world.m2, 2), StepStatus.done, world.admin)

    page = client.get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert progress(page, "ความคืบหน้ามาตรการที่ 1") == (33, "1/3 (33%)")
    assert progress(page, "ความคืบหน้ามาตรการที่ 2") == (100, "2/2 (100%)")
    assert progress(page, "ความคืบหน้ารวมของแผน") == (60, "3/5 (60%)")


def test_cancelled_steps_are_left_out_of_the_total_and_the_page_says_so(world, login):
    mark(world.step(world.m1, 1), StepStatus.done, world.admin)
    mark(world.step(world.m1, 3), StepStatus.cancelled, world.admin, reason="รวมกับขั้นตอนที่ 2")

    page = login(world.viewer).get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert progress(page, "ความคืบหน้ามาตรการที่ 1") == (50, "1/2 (50%)")
    assert progress(page, "ความคืบหน้ารวมของแผน") == (25, "1/4 (25%)")
    assert "ไม่นับขั้นตอนที่ยกเลิก" in page and "ยกเลิก 1 ขั้นตอน" in page


def test_progress_bars_are_accessible(world, login):
    page = login(world.viewer).get(f"/plans/{world.plan.id}").get_data(as_text=True)
    bars = re.findall(r'<div class="progress" role="progressbar"[^>]*>', page)
    assert len(bars) == 3  # the plan and its two measures
    for bar in bars:
        for attribute in (
            "aria-label=",
            'aria-valuemin="0"',
            'aria-valuemax="100"',
            "aria-valuenow=",
            "aria-valuetext=",
        ):
            assert attribute in bar


# -- overdue and due soon ------------------------------------------------------------


def test_overdue_and_due_within_14_days_are_counted_from_today_in_bangkok(world, login, frozen):
    client = login(world.viewer)
    # 1 Aug 2566: 31 Jul and 31 Mar are past; 15 Aug is within 14 days.
    page = client.get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert stat(page, "เลยกำหนด") == "2"
    assert stat(page, "ครบกำหนดภายใน 14 วัน") == "1"

    frozen(datetime(2023, 9, 20, 3, 0, tzinfo=UTC))
    page = client.get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert stat(page, "เลยกำหนด") == "4"
    assert stat(page, "ครบกำหนดภายใน 14 วัน") == "1"  # 29 Sep


def test_the_day_boundaries_are_bangkok_days(world, login, frozen):
    # 31 Jul 2023 17:30 UTC is already 1 Aug 00:30 in Bangkok: the 31 Jul step is overdue.
    frozen(datetime(2023, 7, 31, 17, 30, tzinfo=UTC))
    page = login(world.viewer).get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert stat(page, "เลยกำหนด") == "2"


def test_done_and_cancelled_steps_are_never_overdue(world, login, frozen):
    mark(world.step(world.m2, 1), StepStatus.done, world.admin)
    mark(world.step(world.m1, 1), StepStatus.cancelled, world.admin, reason="ไม่จำเป็นแล้ว")
    page = login(world.viewer).get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert stat(page, "เลยกำหนด") == "0"


# -- the step list and its filters --------------------------------------------------


def test_each_step_row_shows_number_title_department_due_date_and_status(world, login, frozen):
    page = login(world.viewer).get(f"/plans/{world.plan.id}").get_data(as_text=True)
    row = re.search(r"<tr class=\"row-overdue\">.*?</tr>", page, re.S).group(0)
    assert "1.1" in row and "จัดทำประกาศแนวทางปฏิบัติ" in row and "สำนักปลัดเทศบาล" in row
    assert "31 ก.ค. 2566" in row and "เลยกำหนด" in row and "ยังไม่เริ่ม" in row
    assert titles(page) == [
        "จัดทำประกาศแนวทางปฏิบัติ",
        "จัดทำคู่มือ",
        "รายงานผลการดำเนินงาน",
        "กำหนดระบบที่ต้องการพัฒนา",
        "ทดสอบการใช้งานระบบ",
    ]


def test_filter_by_department(world, login):
    page = login(world.viewer).get(f"/plans/{world.plan.id}?department={world.strategy.id}").get_data(as_text=True)
    assert titles(page) == ["กำหนดระบบที่ต้องการพัฒนา", "ทดสอบการใช้งานระบบ"]


def test_filter_by_status(world, login):
    mark(world.step(world.m1, 2), StepStatus.in_progress, world.admin)
    mark(world.step(world.m2, 1), StepStatus.done, world.admin)
    client = login(world.viewer)
    assert titles(client.get(f"/plans/{world.plan.id}?status=in_progress").get_data(as_text=True)) == ["จัดทำคู่มือ"]
    assert titles(client.get(f"/plans/{world.plan.id}?status=done").get_data(as_text=True)) == ["กำหนดระบบที่ต้องการพัฒนา"]
    assert len(titles(client.get(f"/plans/{world.plan.id}?status=open").get_data(as_text=True))) == 4


def test_filter_overdue_only_and_due_soon(world, login, frozen):
    client = login(world.viewer)
    overdue = titles(client.get(f"/plans/{world.plan.id}?due=overdue").get_data(as_text=True))
    assert overdue == ["จัดทำประกาศแนวทางปฏิบัติ", "กำหนดระบบที่ต้องการพัฒนา"]
    soon = titles(client.get(f"/plans/{world.plan.id}?due=soon").get_data(as_text=True))
    assert soon == ["ทดสอบการใช้งานระบบ"]
    combined = client.get(f"/plans/{world.plan.id}?due=overdue&department={world.palad.id}").get_data(as_text=True)
    assert titles(combined) == ["จัดทำประกาศแนวทางปฏิบัติ"]


@pytest.mark.parametrize("query", ["status=finished", "due=yesterday", "department=abc", "department=99999", "page=-1"])
def test_unknown_filter_values_are_refused_with_a_message(world, login, query):
    response = login(world.viewer).get(f"/plans/{world.plan.id}?{query}")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'class="error-message"' in text and "ไม่" in text  # a Thai message, no English beside it


def test_a_long_step_list_is_paginated_by_50(world, login):
    for order in range(4, 64):
        db.session.add(
            Step(
                measure=world.m1,
                order=order,
                title=f"ขั้นตอนเพิ่ม {order}",
                owner_department=world.palad,
                start_date=date(2023, 7, 1),
                due_date=date(2023, 9, 29),
            )
        )
    db.session.commit()
    client = login(world.viewer)

    first = client.get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert len(titles(first)) == 50
    assert "หน้า 1 จาก 2" in first and 'rel="next"' in first

    second = client.get(f"/plans/{world.plan.id}?page=2").get_data(as_text=True)
    assert len(titles(second)) == 65 - 50
    assert titles(second)[-1] == "ทดสอบการใช้งานระบบ"

    filtered = client.get(f"/plans/{world.plan.id}?department={world.palad.id}&page=2").get_data(as_text=True)
    previous = re.search(r'rel="prev" href="([^"]+)"', filtered).group(1)
    assert f"department={world.palad.id}" in previous  # paging keeps the filters


def test_the_dashboard_runs_the_same_number_of_queries_for_a_bigger_plan(world, login, app):
    client = login(world.viewer)

    urls = [f"/plans/{world.plan.id}", f"/measures/{world.m1.id}", "/my-steps"]
    before = [statements_for(client, u) for u in urls]
    new_steps = [
        Step(
            measure=world.m1,
            order=order,
            title=f"ขั้นตอนเพิ่ม {order}",
            owner_department=world.palad,
            start_date=date(2023, 7, 1),
            due_date=date(2023, 9, 29),
        )
        for order in range(4, 34)
    ]
    for w_order in range(3, 6):  # more weaknesses, each with two measures of five steps
        weakness = Weakness(plan=world.plan, order=w_order, title=f"ประเด็น {w_order}")
        for m_order in (1, 2):
            m = Measure(
                weakness=weakness,
                order=m_order,
                title=f"มาตรการ {w_order}.{m_order}",
                owner_department=world.strategy,
                period_start=date(2023, 1, 1),
                period_end=date(2023, 9, 30),
            )
            new_steps += [
                Step(
                    measure=m,
                    order=o,
                    title=f"ขั้นตอน {w_order}.{m_order}.{o}",
                    owner_department=world.strategy,
                    start_date=date(2023, 1, 1),
                    due_date=date(2023, 9, 29),
                )
                for o in range(1, 6)
            ]
    db.session.add_all(new_steps)
    db.session.flush()
    for step in new_steps:
        services.add_comment(step, world.admin, f"บันทึก {step.title}", NOW)
        services.add_link_evidence(step, world.admin, "https://example.go.th/doc", "เอกสาร", NOW)
    db.session.commit()
    assert [statements_for(client, u) for u in urls] == before


def test_the_headers_unread_count_comes_with_the_user_not_in_a_statement_of_its_own(world, login):
    """The header shows the unread count on every page: it is selected with the logged-in user
    (one statement for both), so the dashboard reads 11 statements, not 12 (its step list is
    counted in the statement that reads it)."""
    from tracker.follow import services as follow

    follow.add_remark(world.step(world.m1, 1), world.manager, "โปรดเร่งรัด", NOW)
    db.session.commit()
    client = login(world.owner_palad)
    db.session.rollback()
    with recorded_statements() as statements:
        page = client.get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert 'class="badge unread-count">1</span>' in page
    (counting,) = [s for s in statements if "notifications" in s]
    assert "FROM users" in counting  # the user's own row, loaded in the same statement
    assert len(statements) == 11, "\n\n".join(statements)


# -- Thai digits --------------------------------------------------------------------


def test_thai_digits_setting_shows_the_year_and_dates_in_thai_digits(world, login, frozen):
    world.viewer.thai_digits = True
    db.session.commit()
    page = login(world.viewer).get("/").get_data(as_text=True)
    assert "ปีงบประมาณ พ.ศ. ๒๕๖๖" in page
    assert "๓๑ ก.ค. ๒๕๖๖" in page
    assert "ก.ค. – ก.ย. ๒๕๖๖" in page  # the measure's period
    assert "2566" not in page.split("<main", 1)[1]


# -- the measure page ---------------------------------------------------------------


def test_measure_page_shows_its_facts_steps_latest_notes_and_evidence_counts(world, login, frozen):
    first, second = world.step(world.m1, 1), world.step(world.m1, 2)
    services.change_status(first, StepStatus.done, world.admin, NOW, note="ประกาศแล้ว")
    services.add_comment(first, world.admin, "ติดประกาศที่บอร์ดหน้าสำนักงาน", NOW)
    services.add_link_evidence(first, world.admin, "https://banpet.go.th/news/1", "ประกาศบนเว็บไซต์", NOW)
    services.add_link_evidence(first, world.admin, "https://banpet.go.th/news/2", "ภาพถ่าย", NOW)
    services.change_status(second, StepStatus.cancelled, world.admin, NOW, cancel_reason="รวมกับขั้นตอนที่ 3")
    db.session.commit()

    page = login(world.viewer).get(f"/measures/{world.m1.id}").get_data(as_text=True)
    assert "การใช้ทรัพย์สินของราชการ" in page  # the weakness
    assert "โครงการใช้ทรัพย์สินอย่างโปร่งใส" in page and "สำนักปลัดเทศบาล" in page
    assert "ก.ค. – ก.ย. 2566" in page and "ประกาศแนวทางปฏิบัติ" in page  # period and follow-up
    assert progress(page, "ความคืบหน้ามาตรการที่ 1") == (50, "1/2 (50%)")
    rows = re.findall(r"<tr[^>]*>\s*<td class=\"nowrap c-num\">1\.\d</td>.*?</tr>", page, re.S)
    assert len(rows) == 3
    assert "ดำเนินการแล้ว" in rows[0] and "1 ส.ค. 2566" in rows[0]  # completed date
    assert "ติดประกาศที่บอร์ดหน้าสำนักงาน" in rows[0] and ">2</td>" in rows[0]  # latest note, 2 evidence
    assert "ยกเลิก" in rows[1] and "รวมกับขั้นตอนที่ 3" in rows[1]
    assert ">0</td>" in rows[2]
