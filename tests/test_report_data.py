"""The follow-up report's data: totals, the "as of" cut-off, rounds, signatures,
results, and the Thai-digits option — checked against the database."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tests.report_factory import bangkok, finish, html_text, load_demo_plan
from tracker import thaidate
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.errors import ServiceError
from tracker.plans import results
from tracker.plans.models import StepStatus
from tracker.plans.progress import Progress
from tracker.plans.services import add_comment, add_link_evidence, change_status
from tracker.reports.followup import build_report, render_html, resolve_as_of, round_date
from tracker.thaidate import BANGKOK

FY_END = date(2023, 9, 30)


def done_by(plan, as_of: date) -> set[int]:
    """Steps done now whose completion falls on or before the as-of day (Bangkok)."""
    return {
        s.id for s in plan.steps if s.status is StepStatus.done and s.completed_at.astimezone(BANGKOK).date() <= as_of
    }


def test_demo_totals_match_the_database(ctx):
    plan = load_demo_plan()
    as_of = date(2023, 8, 1)
    report = build_report(plan, as_of)
    expected_done = done_by(plan, as_of)
    counted = [s for s in plan.steps if s.status is not StepStatus.cancelled]

    assert report.summary.total == len(counted) == 26
    assert report.summary.done == len(expected_done) > 0
    assert report.summary.percent == Progress(len(expected_done), len(counted)).percent
    assert report.summary.overdue == sum(1 for s in counted if s.status.is_open and s.due_date < as_of)
    assert [m.number for m in report.measures] == ["1", "2", "3.1", "3.2"]
    for row, measure in zip(report.measures, plan.measures):
        assert row.total == len(measure.steps)
        assert row.done == sum(1 for s in measure.steps if s.id in expected_done)
        assert row.percent == Progress(row.done, row.total).percent
        assert [s.title for s in row.steps] == [s.title for s in measure.steps]
    assert {s.id for s in report.steps if s.done} == expected_done


def test_a_step_completed_after_the_as_of_date_is_not_done_in_that_report(world):
    early, late = world.step(world.m1, 1), world.step(world.m2, 2)
    finish(early, world.owner_palad, bangkok(date(2023, 7, 20)), note="ประกาศแล้ว")
    # Finished at 00:10 on 11 Aug: after the end of 10 Aug in Bangkok (17:10 UTC on the 10th).
    finish(late, world.owner_strategy, bangkok(date(2023, 8, 11), 0, 10))
    db.session.commit()

    before = build_report(world.plan, date(2023, 8, 10))
    row = {s.id: s for s in before.steps}
    assert row[early.id].done and row[early.id].completed_on == date(2023, 7, 20)
    assert not row[late.id].done
    assert row[late.id].status is StepStatus.not_started  # never marked in progress before the cut
    assert row[late.id].completed_on is None
    assert before.summary.done == 1

    after = build_report(world.plan, date(2023, 8, 11))
    assert {s.id for s in after.steps if s.done} == {early.id, late.id}
    assert {s.id: s for s in after.steps}[late.id].completed_on == date(2023, 8, 11)


def test_the_end_of_the_as_of_day_is_midnight_in_bangkok(world):
    step = world.step(world.m2, 2)
    finish(step, world.owner_strategy, bangkok(date(2023, 8, 10), 23, 59))
    db.session.commit()
    assert build_report(world.plan, date(2023, 8, 10)).summary.done == 1
    assert build_report(world.plan, date(2023, 8, 9)).summary.done == 0


def test_started_before_the_cut_shows_in_progress_and_a_later_note_is_not_shown(world):
    step = world.step(world.m1, 2)
    change_status(step, StepStatus.in_progress, world.owner_palad, bangkok(date(2023, 8, 1)), note="เริ่มร่างคู่มือ")
    add_comment(step, world.owner_palad, "ส่งร่างให้ปลัดแล้ว", bangkok(date(2023, 8, 20)))
    db.session.commit()

    row = next(s for s in build_report(world.plan, date(2023, 8, 5)).steps if s.id == step.id)
    assert row.status is StepStatus.in_progress
    assert row.note == "เริ่มร่างคู่มือ" and row.note_on == date(2023, 8, 1)
    assert row.note_by == world.owner_palad.display_name

    row = next(s for s in build_report(world.plan, date(2023, 7, 31)).steps if s.id == step.id)
    assert row.status is StepStatus.not_started and row.note == ""


def test_a_done_step_shows_evidence_attached_after_the_as_of_date(world):
    step = world.step(world.m1, 1)
    finish(step, world.owner_palad, bangkok(date(2023, 7, 28)))
    add_link_evidence(step, world.owner_palad, "https://banpet.example/prakat.pdf", "ประกาศ", bangkok(date(2023, 8, 3)))
    open_step = world.step(world.m1, 2)
    add_link_evidence(open_step, world.owner_palad, "https://banpet.example/draft", "ร่างคู่มือ", bangkok(date(2023, 8, 3)))
    db.session.commit()

    report = build_report(world.plan, date(2023, 7, 31), base_url="https://tracker.banpet.example/")
    rows = {s.id: s for s in report.steps}
    evidence = rows[step.id].evidence
    assert [e.name for e in evidence] == ["ประกาศ"]
    assert re.fullmatch(r"https://tracker\.banpet\.example/evidence/\d+", evidence[0].url)
    assert rows[open_step.id].evidence == []  # attached after the cut, the step not done by then


def test_a_plan_with_no_step_done(world):
    report = build_report(world.plan, FY_END)
    assert (report.summary.done, report.summary.total, report.summary.percent) == (0, 5, 0)
    assert all(s.status is StepStatus.not_started for s in report.steps)
    # Every step is due before 30 Sep, so all five are overdue as of the year's end.
    assert report.summary.overdue == 5
    assert all(m.percent == 0 for m in report.measures)


def test_a_plan_with_every_step_done(world):
    for _i, step in enumerate(world.plan.steps):
        finish(step, world.admin, bangkok(step.due_date - timedelta(days=1)))
    db.session.commit()
    report = build_report(world.plan, FY_END)
    assert (report.summary.done, report.summary.total, report.summary.percent) == (5, 5, 100)
    assert report.summary.overdue == 0
    assert [m.percent for m in report.measures] == [100, 100]
    html = html_text(render_html(report))
    assert "คิดเป็นร้อยละ 100" in html


def test_cancelled_steps_are_left_out_of_the_totals(world):
    step = world.step(world.m1, 3)
    change_status(step, StepStatus.cancelled, world.admin, NOW, cancel_reason="รวมกับขั้นตอนที่ 2")
    finish(world.step(world.m1, 1), world.admin, NOW)
    db.session.commit()
    report = build_report(world.plan, date(2023, 8, 1))
    m1 = report.measures[0]
    assert (m1.done, m1.total, m1.cancelled, m1.percent) == (1, 2, 1, 50)
    row = next(s for s in m1.steps if s.id == step.id)
    assert row.status_label == "ยกเลิก" and row.cancel_reason == "รวมกับขั้นตอนที่ 2"
    assert report.summary.total == 4 and report.summary.cancelled == 1


@pytest.mark.parametrize(
    ("as_of", "round_", "today", "expected"),
    [
        (None, "6", date(2023, 8, 1), (date(2023, 3, 31), 6)),
        (None, "12", date(2023, 8, 1), (date(2023, 9, 30), 12)),
        (None, "๖", date(2023, 8, 1), (date(2023, 3, 31), 6)),
        ("31/03/2566", None, date(2023, 8, 1), (date(2023, 3, 31), 6)),
        ("2023-03-31", "6", date(2023, 8, 1), (date(2023, 3, 31), 6)),
        ("15 ส.ค. 2566", None, date(2023, 8, 1), (date(2023, 8, 15), None)),
        (None, None, date(2023, 8, 1), (date(2023, 8, 1), None)),
        (None, None, date(2024, 1, 5), (date(2023, 9, 30), 12)),  # a year already over: its last day
    ],
)
def test_the_as_of_date_from_a_date_a_round_or_today(as_of, round_, today, expected):
    assert resolve_as_of(2566, as_of, round_, today) == expected


@pytest.mark.parametrize(
    ("as_of", "round_", "message"),
    [
        ("31/02/2566", None, "ไม่มีวันที่ 31"),
        ("yesterday", None, "อ่านวันที่ไม่ได้"),
        ("2023-08-01", "6", "ไม่ตรงกับรอบ 6 เดือน"),
        (None, "9", "รอบรายงานต้องเป็น 6 หรือ 12"),
    ],
)
def test_a_bad_date_or_round_is_refused_with_a_message(as_of, round_, message):
    with pytest.raises(ServiceError, match=message):
        resolve_as_of(2566, as_of, round_, date(2023, 8, 1))


def test_round_dates_follow_the_plans_fiscal_year():
    assert round_date(2566, 6) == date(2023, 3, 31)
    assert round_date(2567, 12) == date(2024, 9, 30)


def test_signatures_default_to_the_admin_and_the_first_manager_and_can_be_overridden(world):
    world.admin.position = "นักวิเคราะห์นโยบายและแผน"
    world.manager.position = "ปลัดเทศบาล"
    db.session.commit()
    report = build_report(world.plan, date(2023, 8, 1))
    assert (report.reporter.label, report.reporter.name, report.reporter.position) == (
        "ผู้รายงาน",
        world.admin.display_name,
        "นักวิเคราะห์นโยบายและแผน",
    )
    assert (report.reviewer.label, report.reviewer.name, report.reviewer.position) == (
        "ผู้ตรวจสอบ",
        world.manager.display_name,
        "ปลัดเทศบาล",
    )

    report = build_report(
        world.plan, date(2023, 8, 1), reviewer_name="นายสมปอง ตรวจดี", reviewer_position="รองปลัดเทศบาล"
    )
    assert (report.reviewer.name, report.reviewer.position) == ("นายสมปอง ตรวจดี", "รองปลัดเทศบาล")
    assert report.reporter.name == world.admin.display_name


def test_the_report_shows_each_measures_follow_up_result(world):
    results.set_result(world.m2, world.owner_strategy, NOW, value="1,250", unit="ครั้ง", note="สถิติ ม.ค.–ก.ค.")
    db.session.commit()
    report = build_report(world.plan, date(2023, 8, 1))
    m1, m2 = report.measures
    assert m1.result is None
    assert m2.result.value == Decimal("1250.00")
    assert m2.result.figure(report.f) == "1,250 ครั้ง"
    assert report.summary.results_recorded == 1
    html = render_html(report)
    assert "1,250 ครั้ง" in html and "สถิติ ม.ค.–ก.ค." in html


def _body(html: str) -> str:
    return html[html.index("<body") :]


def test_thai_digits_change_digits_only(ctx):
    plan = load_demo_plan()
    admin = db.session.scalar(sa.select(User).where(User.role == Role.admin))
    results.set_result(plan.measures[1], admin, NOW, value="1,250 ครั้ง", note="ปี 2566")
    add_link_evidence(plan.steps[0], admin, "https://banpet.example/doc/2566/1", "ประกาศ 1/2566", NOW)
    db.session.commit()
    plain = _body(render_html(build_report(plan, date(2023, 8, 1))))
    thai = _body(render_html(build_report(plan, date(2023, 8, 1), thai_digits=True)))
    assert thai != plain
    assert thaidate.to_arabic_digits(thai) == thaidate.to_arabic_digits(plain)
    assert "๑,๒๕๐ ครั้ง" in thai and "๑ สิงหาคม ๒๕๖๖" in thai and "ประกาศ ๑/๒๕๖๖" in thai
    # Markup keeps ASCII digits: links, column widths, the chart's geometry.
    assert re.search(r'href="http://[^"]+/evidence/[0-9]+"', thai)
    assert 'style="width:31%"' in thai and 'viewBox="0 0 ' in thai


def test_arabic_digits_turn_digits_typed_in_thai_arabic_too(ctx):
    """One kind of digits within a document: with Arabic digits chosen, text an officer typed
    with Thai digits (the demo plan has "พ.ศ. ๒๕๖๐") prints with Arabic digits."""
    plan = load_demo_plan()
    admin = db.session.scalar(sa.select(User).where(User.role == Role.admin))
    results.set_result(plan.measures[1], admin, NOW, value="๑,๒๕๐ ครั้ง", note="ปี ๒๕๖๖")
    db.session.commit()
    text = re.sub(r"<[^>]+>", " ", _body(render_html(build_report(plan, date(2023, 8, 1)))))
    assert not re.search("[๐-๙]", text), re.findall(r"\S*[๐-๙]\S*", text)[:5]
    assert "1,250 ครั้ง" in text and "ปี 2566" in text
