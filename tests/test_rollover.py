"""Rollover: next fiscal year's plan as a copy of this year's — dates moved by
exactly one year, statuses reset, no evidence, one journal entry — from the
service, `tracker rollover` and the admin plan page's button."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tests.report_factory import bangkok, finish, other_org_admin
from tracker.db import db
from tracker.errors import ServiceError
from tracker.plans.models import (
    Evidence,
    JournalEntry,
    Measure,
    MeasureResult,
    Plan,
    PlanStatus,
    Step,
    StepStatus,
    Weakness,
)
from tracker.plans.rollover import next_title, rollover_plan, shift_year
from tracker.plans.services import add_link_evidence, change_status


def plan_of(org_id: int, year: int) -> Plan | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Plan).where(Plan.organization_id == org_id, Plan.fiscal_year == year))


def structure(plan: Plan) -> list:
    return [
        (
            w.order,
            w.title,
            w.detail,
            [
                (
                    m.order,
                    m.title,
                    m.owner_department_id,
                    m.follow_up,
                    [(s.order, s.title, s.owner_department_id) for s in m.steps],
                )
                for m in w.measures
            ],
        )
        for w in plan.weaknesses
    ]


def test_shift_year_and_title():
    assert shift_year(date(2023, 7, 1)) == date(2024, 7, 1)
    assert shift_year(date(2024, 2, 29)) == date(2025, 2, 28)
    assert shift_year(date(2023, 2, 28)) == date(2024, 2, 28)
    assert next_title("มาตรการ ประจำปีงบประมาณ พ.ศ. ๒๕๖๖", 2566, 2567) == "มาตรการ ประจำปีงบประมาณ พ.ศ. ๒๕๖๗"
    assert next_title("Plan 2566", 2566, 2567) == "Plan 2567"
    assert next_title("มาตรการของเทศบาล", 2566, 2567) == "มาตรการของเทศบาล (ปีงบประมาณ พ.ศ. ๒๕๖๗)"


def test_rollover_copies_the_structure_with_dates_a_year_later(world):
    step = world.step(world.m1, 1)
    finish(step, world.owner_palad, bangkok(date(2023, 7, 20)), note="ประกาศแล้ว")
    add_link_evidence(step, world.owner_palad, "https://example.go.th/announce", "ประกาศ", NOW)
    change_status(
        world.step(world.m2, 2), StepStatus.cancelled, world.admin, NOW, cancel_reason="ไม่จำเป็น", check_permission=False
    )
    world.step(world.m2, 1).assignee = world.owner_strategy
    world.step(world.m1, 2).assignee = world.owner_palad
    world.owner_palad.active = False  # gone by next year: the copy leaves the step unassigned
    db.session.add(MeasureResult(measure_id=world.m1.id, note="ประกาศแล้ว 1 ฉบับ"))
    db.session.commit()
    before = structure(world.plan)
    journal_before = db.session.scalar(sa.select(sa.func.count(JournalEntry.id)))

    new = rollover_plan(world.plan, 2567, world.admin, NOW)
    db.session.commit()

    new = plan_of(world.org.id, 2567)
    old = plan_of(world.org.id, 2566)
    assert new.status is PlanStatus.draft
    assert new.title == "มาตรการส่งเสริมคุณธรรมและความโปร่งใส ๒๕๖๗"
    assert structure(new) == before == structure(old)
    for old_m, new_m in zip(old.measures, new.measures):
        assert (new_m.period_start, new_m.period_end) == (shift_year(old_m.period_start), shift_year(old_m.period_end))
        for old_s, new_s in zip(old_m.steps, new_m.steps):
            assert (new_s.start_date, new_s.due_date) == (shift_year(old_s.start_date), shift_year(old_s.due_date))
            assert new_s.status is StepStatus.not_started
            assert new_s.completed_at is None and new_s.completed_by_id is None and new_s.cancel_reason is None
    assert new.measures[0].period_start == date(2024, 7, 1) and new.measures[0].period_end == date(2024, 9, 30)
    assert [s.assignee_id for s in new.steps] == [None, None, None, world.owner_strategy.id, None]
    new_steps = [s.id for s in new.steps]
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(Evidence.step_id.in_(new_steps))) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count(MeasureResult.id)).where(MeasureResult.measure_id.in_([m.id for m in new.measures]))
        )
        == 0
    )
    # One journal entry, on the new plan; none copied, none on its steps.
    entries = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.id > 0).order_by(JournalEntry.id)).all()
    added = entries[journal_before:]
    assert [(e.entity, e.entity_id, e.action, e.old_value, e.new_value) for e in added] == [
        ("plan", new.id, "rollover", "2566", "2567")
    ]
    assert "2 ประเด็น 2 มาตรการ 5 ขั้นตอน" in added[0].note
    assert db.session.scalar(sa.select(sa.func.count(JournalEntry.id)).where(JournalEntry.step_id.in_(new_steps))) == 0
    # The source is untouched.
    assert old.status is PlanStatus.active
    assert world.step(world.m1, 1).status is StepStatus.done


def test_29_february_becomes_28_february(world):
    plan = Plan(organization=world.org, fiscal_year=2567, title="แผน ๒๕๖๗")
    weakness = Weakness(plan=plan, order=1, title="ประเด็น")
    measure = Measure(
        weakness=weakness,
        order=1,
        title="มาตรการ",
        owner_department=world.palad,
        period_start=date(2024, 1, 1),
        period_end=date(2024, 2, 29),
    )
    Step(
        measure=measure,
        order=1,
        title="ขั้นตอนวันอธิกสุรทิน",
        owner_department=world.palad,
        start_date=date(2024, 2, 29),
        due_date=date(2024, 2, 29),
    )
    Step(
        measure=measure,
        order=2,
        title="ขั้นตอนปกติ",
        owner_department=world.palad,
        start_date=date(2024, 1, 2),
        due_date=date(2024, 2, 28),
    )
    db.session.add(plan)
    db.session.commit()
    rollover_plan(plan, 2568, None, NOW)
    db.session.commit()
    new = plan_of(world.org.id, 2568)
    assert new.title == "แผน ๒๕๖๘"
    assert (new.measures[0].period_start, new.measures[0].period_end) == (date(2025, 1, 1), date(2025, 2, 28))
    assert [(s.start_date, s.due_date) for s in new.steps] == [
        (date(2025, 2, 28), date(2025, 2, 28)),
        (date(2025, 1, 2), date(2025, 2, 28)),
    ]


def test_rollover_refuses_an_existing_target_and_other_years(world):
    rollover_plan(world.plan, 2567, None, NOW)
    db.session.commit()
    with pytest.raises(ServiceError, match="มีแผนของปีงบประมาณ 2567 อยู่แล้ว"):
        rollover_plan(world.plan, 2567, None, NOW)
    db.session.rollback()
    with pytest.raises(ServiceError, match="ได้เฉพาะไปยังปีถัดไป"):
        rollover_plan(world.plan, 2569, None, NOW)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Plan.id))) == 2


def test_tracker_rollover(world, runner):
    result = runner.invoke(args=["rollover", "--org", "testorg", "--from", "2566", "--to", "2567"])
    assert result.exit_code == 0, result.output
    assert "สร้างแผนปีงบประมาณ 2567 (ร่าง)" in result.output and "5 ขั้นตอน" in result.output
    assert plan_of(world.org.id, 2567).status is PlanStatus.draft
    again = runner.invoke(args=["rollover", "--org", "testorg", "--from", "2566", "--to", "2567"])
    assert again.exit_code == 1 and "มีแผนของปีงบประมาณ 2567 อยู่แล้ว" in again.output
    # --to defaults to the next year; Thai digits are fine.
    nxt = runner.invoke(args=["rollover", "--org", "testorg", "--from", "๒๕๖๗"])
    assert nxt.exit_code == 0, nxt.output
    assert plan_of(world.org.id, 2568) is not None
    for args, message in (
        (["--org", "nowhere", "--from", "2566"], "ไม่พบองค์กร"),
        (["--org", "testorg", "--from", "2560"], "ไม่มีแผนปีงบประมาณ 2560"),
        (["--org", "testorg", "--from", "2568", "--to", "2570"], "ได้เฉพาะไปยังปีถัดไป"),
        (["--org", "testorg", "--from", "ปีนี้"], "--from ต้องเป็นปี พ.ศ."),
    ):
        result = runner.invoke(args=["rollover", *args])
        assert result.exit_code == 1, args
        assert message in result.output and "Traceback" not in result.output


def test_the_button_on_the_admin_plan_page(world, login):
    url = f"/admin/plans/{world.plan.id}/rollover"
    admin = login(world.admin)
    page = admin.get(f"/admin/plans/{world.plan.id}").get_data(as_text=True)
    assert f'action="{url}"' in page
    forged = admin.post(url, data={"csrf_token": "bad"})
    assert forged.status_code == 400 and plan_of(world.org.id, 2567) is None
    for user in (world.manager, world.viewer, world.owner_palad):
        assert login(user).post(url).status_code == 403
    assert login(other_org_admin()).post(url).status_code == 404
    admin = login(world.admin)
    response = admin.post(url)
    new = plan_of(world.org.id, 2567)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/plans/{new.id}")
    assert "สร้างแผนปีงบประมาณ ๒๕๖๗" in admin.get(f"/admin/plans/{new.id}").get_data(as_text=True)
    again = admin.post(url)
    assert again.status_code == 400 and "มีแผนของปีงบประมาณ 2567 อยู่แล้ว" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Plan.id))) == 2
