"""`tracker demo`: the Ban Pet FY 2566 plan from the seed memo, and users to log in with."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from tracker import clock
from tracker.auth.models import ORG_ROLES, Role, User
from tracker.auth.services import check_password_policy
from tracker.db import db
from tracker.demo import DEMO_FILE, DEMO_PASSWORD, demo_spec
from tracker.orgs.models import Department
from tracker.plans.models import JournalEntry, MeasureResult, Plan, PlanStatus, StepStatus
from tracker.thaidate import BANGKOK, fiscal_year, fiscal_year_bounds


def row_counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables
        }


PALAD = "สำนักปลัดเทศบาล"
STRATEGY = "กองยุทธศาสตร์และงบประมาณ"


def test_the_demo_file_is_shipped_in_the_package_and_free_of_ocr_slips():
    assert DEMO_FILE.parent.name == "demo" and DEMO_FILE.parent.parent.name == "tracker"
    text = DEMO_FILE.read_text(encoding="utf-8")
    for slip in ("บ้านเปิด", "ครุฑ", "บิดประกาศ", "การพิมพ์สิน", "๑)", "๒)"):
        assert slip not in text
    assert "บ้านเป็ด" in text


def test_the_demo_plan_has_the_seeds_structure_texts_owners_and_periods():
    spec = demo_spec()
    assert (spec.organization.name, spec.organization.slug, spec.organization.province) == (
        "เทศบาลตำบลบ้านเป็ด",
        "banpet",
        "ขอนแก่น",
    )
    assert spec.fiscal_year == 2566
    assert spec.title == "มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. ๒๕๖๖"
    assert [(d.name, d.email) for d in spec.departments] == [
        (PALAD, "palad@banpet.example"),
        (STRATEGY, "strategy@banpet.example"),
    ]
    assert len(spec.weaknesses) == 3
    assert [len(w.measures) for w in spec.weaknesses] == [1, 1, 2]
    assert [len(m.steps) for m in spec.measures] == [5, 8, 6, 7]
    assert len(spec.steps) == 26
    assert [m.owner for m in spec.measures] == [PALAD, STRATEGY, STRATEGY, STRATEGY]
    assert [(m.period_start, m.period_end) for m in spec.measures] == [(date(2023, 7, 1), date(2023, 9, 30))] + [
        (date(2023, 1, 1), date(2023, 9, 30))
    ] * 3
    assert [w.title for w in spec.weaknesses] == [
        "การใช้ทรัพย์สินของราชการ",
        "การปรับปรุงการทำงาน",
        "การปรับปรุงคู่มือหรือมาตรฐานการปฏิบัติงานและคู่มือหรือมาตรฐานการให้บริการประชาชน",
    ]
    assert spec.weaknesses[1].detail.startswith("หน่วยงานควรนำเทคโนโลยีมาใช้")
    m1, m2, m31, m32 = spec.measures
    assert m2.title == "โครงการพัฒนาระบบการให้บริการประชาชนผ่านระบบอิเล็กทรอนิกส์ (E-Service)"
    assert m31.title == "โครงการจัดทำคู่มือหรือมาตรฐานการปฏิบัติงานสำหรับเจ้าหน้าที่เทศบาลตำบลบ้านเป็ด"
    assert m1.follow_up == "การประกาศแนวทางปฏิบัติ/ระเบียบการใช้ทรัพย์สินของราชการ และการขอยืมทรัพย์สินของราชการ"
    assert m2.follow_up == "รายงานสถิติการให้บริการ E-Service"
    assert m32.follow_up == "รายงานการประเมินความพึงพอใจในการให้บริการของเทศบาลตำบลบ้านเป็ด"
    assert m1.steps[4].title == "รายงานผลการดำเนินงาน"
    assert "มีแบบการขออนุญาต/การอนุมัติยืมที่มีรูปแบบที่สะดวก" in m1.steps[0].title
    assert m2.steps[2].title == "วิเคราะห์และออกแบบระบบ (System Analysis) สร้างขั้นตอน แบบจำลองในการทำงานของระบบ"
    assert m2.steps[7].title == "การบำรุงรักษาระบบ (System Maintenance) ให้ระบบใช้งานได้อยู่เสมอ"
    assert m31.steps[3].title.startswith("ปิดประกาศ/ประชาสัมพันธ์คู่มือ")
    assert m32.steps[2].title == (
        "จัดทำประกาศมาตรฐานการให้บริการและแนวทางปฏิบัติเกี่ยวกับวิธีการและมาตรฐานที่ใช้ให้บริการและประกาศให้ประชาชนทราบโดยทั่วกัน"
    )
    assert all(s.owner is None and s.assignee is None for s in spec.steps)
    # Due dates come from the spreading rule: business days, the last on the period's last business day.
    assert [s.due for s in m1.steps] == [
        date(2023, 7, 18),
        date(2023, 8, 9),
        date(2023, 8, 28),
        date(2023, 9, 13),
        date(2023, 9, 29),
    ]
    assert all(m.steps[-1].due == date(2023, 9, 29) for m in spec.measures)


def test_demo_loads_the_plan_and_users_and_a_second_run_changes_nothing(runner, app, ctx):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "โหลดแผนตัวอย่างแล้ว" in first.output and "(demo" not in first.output
    assert "3 ประเด็น · 4 มาตรการ · 26 ขั้นตอน" in first.output
    assert f"รหัสผ่านเดียวกันทุกคน: {DEMO_PASSWORD}" in first.output
    counts = row_counts()

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "มีแผนตัวอย่างอยู่แล้ว ไม่ได้เปลี่ยนแปลงแผน" in second.output
    assert row_counts() == counts
    for email in (
        "admin@banpet.example",
        "manager@banpet.example",
        "palad.owner@banpet.example",
        "strategy.owner@banpet.example",
        "viewer@banpet.example",
    ):
        assert email in first.output and email in second.output

    plan = db.session.scalar(sa.select(Plan).where(Plan.fiscal_year == 2566))
    assert plan.organization.slug == "banpet"
    # History: the year's progress to its end, the steps due then mostly done.
    assert all(s.status is not StepStatus.not_started for s in plan.steps if s.due_date < date(2023, 9, 30))
    assert [m.number for m in plan.measures] == ["1", "2", "3.1", "3.2"]
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    assert {u.role for u in users.values()} == set(ORG_ROLES)  # every role of an organization
    assert users["palad.owner@banpet.example"].department.name == PALAD
    assert users["strategy.owner@banpet.example"].department.name == STRATEGY
    assert users["admin@banpet.example"].role is Role.admin
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert check_password_policy(DEMO_PASSWORD) is None
    heads = db.session.scalars(sa.select(Department.head_id)).all()
    assert heads == [None, None]


def test_a_demo_owner_can_log_in(runner, ctx, client):
    runner.invoke(args=["demo"])
    response = client.post("/login", data={"email": "strategy.owner@banpet.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_with_progress_marks_a_realistic_part_done_once(runner, ctx):
    result = runner.invoke(args=["demo", "--with-progress", "--as-of", "2023-08-01"])
    assert result.exit_code == 0, result.output
    assert "บันทึกความคืบหน้าตัวอย่าง 20 ขั้นตอน ณ 1 ส.ค. 2566" in result.output
    plan = db.session.scalar(sa.select(Plan).where(Plan.fiscal_year == 2566))  # the seed's plan, not the living one
    by_status = {status: [s for s in plan.steps if s.status is status] for status in StepStatus}
    assert (len(by_status[StepStatus.done]), len(by_status[StepStatus.in_progress])) == (13, 7)
    for step in by_status[StepStatus.done]:
        assert step.completed_at.date() < step.due_date < date(2023, 8, 1)
        assert step.completed_by.department == step.owner_department  # ticked off by its own owner
        assert step.journal[-1].note == "ดำเนินการเรียบร้อยแล้ว"  # no "(ข้อมูลสาธิต)" in documents
    late = [s for s in by_status[StepStatus.in_progress] if s.is_overdue(date(2023, 8, 1))]
    assert [s.number for s in late] == ["2.4", "3.1.3", "3.2.2"]
    assert all(s.due_date >= date(2023, 8, 1) for s in by_status[StepStatus.not_started])

    counts = row_counts()
    again = runner.invoke(args=["demo", "--with-progress"])
    assert "แผนมีความคืบหน้าอยู่แล้ว" in again.output
    assert row_counts() == counts


def test_progress_date_must_be_inside_the_demo_year(runner, ctx):
    assert runner.invoke(args=["demo", "--with-progress", "--as-of", "2021-01-01"]).exit_code == 2


@pytest.mark.parametrize("today", [date(2026, 12, 2), date(2027, 6, 15), date(2027, 10, 2)])
def test_the_demo_shows_a_living_plan_on_the_day_it_runs(runner, ctx, monkeypatch, today):
    now = datetime.combine(today, time(9, 30), BANGKOK)
    monkeypatch.setattr(clock, "now", lambda: now)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    year = fiscal_year(today)
    plans = {p.fiscal_year: p for p in db.session.scalars(sa.select(Plan))}
    assert set(plans) == {2566, year}

    # FY 2566 is history: progress to 30 Sep 2566 and the follow-up result of every measure.
    history = plans[2566]
    assert history.status is PlanStatus.closed
    assert all(s.status is not StepStatus.not_started for s in history.steps)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeasureResult)) == len(history.measures)

    # The current year's plan: the same measures, laid over this fiscal year, active.
    current = plans[year]
    assert current.status is PlanStatus.active
    assert [m.title for m in current.measures] == [m.title for m in history.measures]
    first, last = fiscal_year_bounds(year)
    for step in current.steps:
        assert first <= step.start_date <= step.due_date <= last, (step.number, step.start_date, step.due_date)
        assert step.completed_at is None or step.completed_at <= now
    open_steps = [s for s in current.steps if s.is_open]
    done = [s for s in current.steps if s.status is StepStatus.done]
    overdue = [s for s in open_steps if s.due_date < today]
    this_week = [s for s in open_steps if today <= s.due_date < today + timedelta(days=7)]
    # Neither empty nor all overdue: some done, something due this week, more open than late.
    assert done and this_week and len(overdue) < len(open_steps) / 2, (len(done), len(this_week), len(overdue))
    if (today - first).days > 30:
        assert overdue  # a few late steps, as in a real year
    # No demo labels in what documents print.
    notes = [e.note or "" for e in db.session.scalars(sa.select(JournalEntry))]
    assert not any("ข้อมูลสาธิต" in note or "ผู้ดูแลระบบ" in note for note in notes)
    # The logins come last, and again on their own.
    tail = result.output.strip().splitlines()
    assert tail[-6].startswith("ผู้ใช้ทดลอง") and "viewer@banpet.example" in tail[-1]
    logins = runner.invoke(args=["demo", "--logins"])
    assert logins.exit_code == 0 and logins.output.strip().splitlines() == tail[-6:]

    counts = row_counts()
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert row_counts() == counts  # idempotent


def test_the_history_only_demo_has_no_current_plan(runner, ctx):
    result = runner.invoke(args=["demo", "--history-only"])
    assert result.exit_code == 0, result.output
    assert [p.fiscal_year for p in db.session.scalars(sa.select(Plan))] == [2566]
