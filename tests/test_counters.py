"""The per-plan counters (`tracker.plans.counters`) always equal a recount.

Random edits through the services a user reaches — status changes, comments,
evidence, due dates, added and deleted steps, measures and weaknesses, an
imported plan and its re-import, a rollover, a deleted plan — each committed,
and after every one the stored counters are compared with a full recount.
The overview's figures (which read the counters) are checked against the
steps themselves on several days, since "overdue" depends on the day.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, recorded_statements
from tracker.db import db
from tracker.errors import ServiceError
from tracker.plans import counters, services, structure
from tracker.plans.exporter import export_plan_yaml
from tracker.plans.importer import import_plan
from tracker.plans.models import Measure, Plan, PlanCounter, Step, StepStatus, Weakness
from tracker.plans.planfile import load_plan_bytes, load_plan_file
from tracker.plans.rollover import rollover_plan
from tracker.province import services as overview
from tracker.province.services import OverviewQuery

DATA = Path(__file__).parent / "data"


def assert_counters_agree() -> None:
    db.session.commit()
    assert counters.mismatches(db.session.connection()) == []


def overview_figures(fiscal_year: int, today: date) -> dict[int, tuple[int, int, int, int]]:
    rows = overview.overview_rows(None, OverviewQuery(fiscal_year=fiscal_year), today)
    return {r.plan_id: (r.total, r.done, r.started, r.overdue) for r in rows if r.plan_id is not None}


def counted_figures(fiscal_year: int, today: date) -> dict[int, tuple[int, int, int, int]]:
    figures: dict[int, list[int]] = {}
    for plan in db.session.scalars(sa.select(Plan).where(Plan.fiscal_year == fiscal_year)):
        steps = plan.steps
        figures[plan.id] = [
            sum(s.status is not StepStatus.cancelled for s in steps),
            sum(s.status is StepStatus.done for s in steps),
            sum(s.status in (StepStatus.in_progress, StepStatus.done) for s in steps),
            sum(s.is_overdue(today) for s in steps),
        ]
    return {k: tuple(v) for k, v in figures.items()}


def _random_edit(rng: random.Random, world) -> str:
    steps = list(db.session.scalars(sa.select(Step).order_by(Step.id)))
    step = rng.choice(steps)
    action = rng.choice(["status", "status", "status", "comment", "due", "add", "delete", "evidence"])
    if action in ("comment", "evidence") and step.measure.plan.organization_id != world.org.id:
        action = "status"  # the world's admin works in the world's organization only
    if action == "status":
        new = rng.choice(sorted(services.TRANSITIONS[step.status], key=lambda s: s.value))
        services.change_status(step, new, None, NOW, note="สุ่ม", cancel_reason="ไม่ทำแล้ว")
    elif action == "comment":
        services.add_comment(step, world.admin, "บันทึกความคืบหน้า", NOW + timedelta(minutes=rng.randint(1, 999)))
    elif action == "due":
        m = step.measure
        span = (m.period_end - max(m.period_start, step.start_date)).days
        due = max(m.period_start, step.start_date) + timedelta(days=rng.randint(0, max(span, 0)))
        services.edit_step(step, None, NOW, due_date=due)
    elif action == "add":
        m = step.measure
        structure.add_step(m, None, NOW, title="ขั้นตอนเพิ่ม", start_date=m.period_start, due_date=m.period_end)
    elif action == "delete":
        try:
            structure.delete_step(step, None, NOW)
        except ServiceError:
            return "delete refused"
    elif action == "evidence":
        services.add_link_evidence(step, world.admin, "https://example.go.th/e", "หลักฐาน", NOW)
    return action


def test_counters_equal_a_recount_after_random_edits(world):
    assert_counters_agree()
    assert db.session.get(PlanCounter, world.plan.id).total == 5
    # An imported plan of another organization, then its re-import with a changed due date.
    imported = import_plan(load_plan_file(DATA / "nongkhai-2567.yaml"), None, NOW).plan
    assert_counters_agree()
    text = export_plan_yaml(imported)
    import_plan(load_plan_bytes(text.encode(), "plan.yaml"), None, NOW)
    assert_counters_agree()
    # A rollover copies the plan's steps into a new draft.
    rollover_plan(world.plan, 2567, None, NOW)
    assert_counters_agree()

    rng = random.Random(14)
    done = []
    for _ in range(120):
        done.append(_random_edit(rng, world))
        assert_counters_agree()
    assert {"status", "comment", "due", "add", "delete", "evidence"} <= set(done)

    for day in (date(2023, 1, 1), date(2023, 8, 1), date(2023, 9, 1), date(2024, 8, 1), date(2026, 1, 1)):
        for year in (2566, 2567):
            assert overview_figures(year, day) == counted_figures(year, day), (year, day)


def test_deleting_structure_and_plans_keeps_counters(world):
    structure.delete_measure(world.m2, None, NOW)
    assert_counters_agree()
    weakness = db.session.scalars(sa.select(Weakness).where(Weakness.plan_id == world.plan.id)).first()
    structure.delete_weakness(weakness, None, NOW)
    assert_counters_agree()
    copy = rollover_plan(world.plan, 2567, None, NOW)
    assert_counters_agree()
    db.session.delete(copy)
    assert_counters_agree()
    # Neither plan has a step left: no counters (read as zeros).
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanCounter)) == 0


def test_a_failed_flush_leaves_no_stale_work(world):
    step = db.session.scalars(sa.select(Step)).first()
    step.measure_id = 999_999  # no such measure: the flush fails
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    services.change_status(db.session.get(Step, step.id), StepStatus.done, None, NOW)
    assert_counters_agree()


def test_rebuild_restores_counters_after_bulk_writes(world):
    conn = db.session.connection()
    # Bulk SQL bypasses the session hook (as the benchmark generator's inserts do).
    conn.execute(sa.update(Step).values(status=StepStatus.done))
    assert counters.mismatches(conn)
    counters.rebuild(conn)
    assert counters.mismatches(conn) == []
    assert db.session.get(PlanCounter, world.plan.id).done == 5


def test_a_step_change_recounts_only_its_plan(world, app):
    """The hook's cost does not grow with the data: a status change writes the counters
    of one plan with the same statements whatever the number of plans."""

    def statements_for_one_change() -> int:
        step = db.session.scalars(sa.select(Step).where(Step.status == StepStatus.not_started)).first()
        with recorded_statements() as seen:
            services.change_status(step, StepStatus.in_progress, None, NOW)
            db.session.commit()
        return len(seen)

    one = statements_for_one_change()
    for year in (2567, 2568, 2569):
        rollover_plan(db.session.scalars(sa.select(Plan).order_by(Plan.fiscal_year.desc())).first(), year, None, NOW)
    db.session.commit()
    assert statements_for_one_change() == one
    assert_counters_agree()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Measure)) == 8


def test_the_counters_command_checks_and_rebuilds(world, runner):
    result = runner.invoke(args=["counters"])
    assert result.exit_code == 0 and "ตัวนับของทุกแผนตรงกับการนับใหม่" in result.output
    db.session.execute(sa.update(Step).values(status=StepStatus.done))
    db.session.commit()
    result = runner.invoke(args=["counters"])
    assert result.exit_code == 1 and f"plan {world.plan.id}" in result.output
    assert runner.invoke(args=["counters", "--rebuild"]).exit_code == 0
    assert runner.invoke(args=["counters"]).exit_code == 0


def test_the_overdue_count_of_the_day_is_kept_and_read_only_for_its_day(world, monkeypatch):
    from tracker import clock

    # A recount writes the overdue count of the day it runs; the scheduler's beat writes every plan's.
    monkeypatch.setattr(clock, "today", lambda: date(2023, 8, 20))
    step = db.session.scalars(sa.select(Step).where(Step.due_date == date(2023, 8, 31))).one()
    step.due_date = date(2023, 8, 10)  # now overdue on the 20th, with the step due 31 July
    db.session.commit()
    kept = db.session.get(PlanCounter, world.plan.id)
    assert (kept.overdue, kept.overdue_on) == (4, date(2023, 8, 20))  # 31 Jul, 10 Aug; 31 Mar, 15 Aug
    assert_counters_agree()

    changed = counters.refresh_overdue(db.session.connection(), date(2023, 9, 30))
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(PlanCounter, world.plan.id)
    assert changed == 1 and (kept.overdue, kept.overdue_on) == (5, date(2023, 9, 30))
    assert counters.refresh_overdue(db.session.connection(), date(2023, 9, 30)) == 0  # every later beat
    assert_counters_agree()

    # A stored count that is wrong for its day is found by the check.
    db.session.execute(sa.update(PlanCounter).values(overdue=4))
    db.session.commit()
    assert counters.mismatches(db.session.connection()) == [
        f"plan {world.plan.id}: 4 overdue stored for 2023-09-30, counted 5"
    ]
    # The overview reads the kept count only for its own day: for any other day it sums the due
    # counts (the wrong 4 shows on the 30th only, which is how the check above would be noticed).
    for day in (date(2023, 1, 1), date(2023, 8, 1), date(2023, 8, 20), date(2024, 8, 1)):
        assert overview_figures(2566, day) == counted_figures(2566, day), day
    assert overview_figures(2566, date(2023, 9, 30))[world.plan.id][3] == 4
    page, summary = overview.overview_page(None, OverviewQuery(fiscal_year=2566, show="overdue"), date(2023, 9, 30))
    assert [r.plan_id for r in page.items] == [world.plan.id] and summary.with_overdue == 1


def test_the_scheduler_beat_writes_the_overdue_counts_of_its_day(world):
    from tracker.scheduler import tick

    db.session.execute(sa.update(PlanCounter).values(overdue=0, overdue_on=None))
    db.session.commit()
    tick(NOW, deliver_mail=False)  # NOW: 2023-08-01 08:30 in Bangkok
    db.session.expire_all()
    kept = db.session.get(PlanCounter, world.plan.id)
    assert (kept.overdue, kept.overdue_on) == (2, date(2023, 8, 1))  # due 31 July and 31 March
    assert_counters_agree()
