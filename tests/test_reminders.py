"""Owner reminders and escalations: which step is in whose email on which day.

Every pass is `queue_reminders(now)` at a chosen Bangkok time, then a commit,
as the scheduler does. The rules (issue 3): 7 and 1 business days before the
due date, on the due date, every Monday while overdue, the department head
once a step is more than 7 days overdue; business days only, from 08:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import make_user, one_measure, recorded_statements
from tracker import thaidate
from tracker.auth.models import Role
from tracker.db import db
from tracker.notify.models import OutboxItem, OutboxMessage
from tracker.notify.reminders import plan_reminders, queue_reminders
from tracker.notify.rules import update_rules
from tracker.plans.models import PlanStatus, Step, StepStatus
from tracker.plans.services import change_status, edit_step
from tracker.thaidate import BANGKOK


def at(day: date, hour: int = 8, minute: int = 5) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)


def run(day: date, hour: int = 8, minute: int = 5) -> list[OutboxMessage]:
    """One scheduler pass at that Bangkok time, committed."""
    messages = queue_reminders(at(day, hour, minute))
    db.session.commit()
    return messages


def run_days(first: date, last: date) -> list[OutboxMessage]:
    """A pass at 08:05 every day (weekends and holidays included) from first to last."""
    messages = []
    day = first
    while day <= last:
        messages += run(day)
        day += timedelta(days=1)
    return messages


def given(messages: list[OutboxMessage], recipient: str) -> list[tuple[date, str, date]]:
    """(day sent, reason, trigger date) of every item to one recipient, in order."""
    return sorted((m.for_date, i.reason, i.trigger_date) for m in messages if m.recipient == recipient for i in m.items)


def set_due(step: Step, due: date, day: date | None = None, hour: int = 14) -> None:
    """The officer moves the due date (journaled like any edit)."""
    edit_step(step, None, at(day or date(2023, 1, 2), hour), due_date=due, note="เลื่อนกำหนด")
    db.session.commit()


def finish(step: Step, day: date, hour: int = 14, minute: int = 0) -> None:
    change_status(step, StepStatus.done, None, at(day, hour, minute), note="เสร็จแล้ว")
    db.session.commit()


def leave_open(world, *keep: Step) -> None:
    """Cancel every other step of the test plan, so only `keep` can be reminded about."""
    for step in world.m1.steps + world.m2.steps:
        if step not in keep:
            change_status(step, StepStatus.cancelled, None, at(date(2023, 1, 2)), cancel_reason="นอกการทดสอบ")
    db.session.commit()


STRATEGY_BOX = "strategy@example.go.th"
STRATEGY_OWNER = "strategy.owner@test.go.th"
PALAD_BOX = "palad@example.go.th"
PALAD_OWNER = "palad.owner@test.go.th"


# -- the days of a step's reminders ---------------------------------------------------------------


def test_the_calendar_facts_these_tests_rely_on():
    # Songkran 2023 and the long weekends of July/August are not business days.
    for day in (
        "2023-04-06",
        "2023-04-13",
        "2023-04-14",
        "2023-04-17",
        "2023-05-01",
        "2023-07-28",
        "2023-07-31",
        "2023-08-01",
        "2023-08-02",
        "2023-08-14",
    ):
        assert not thaidate.is_business_day(date.fromisoformat(day)), day
    for day in ("2023-04-03", "2023-04-12", "2023-04-18", "2023-05-02", "2023-07-27", "2023-08-03"):
        assert thaidate.is_business_day(date.fromisoformat(day)), day


SCHEDULES = {
    # Due Tue 18 Apr, just after Songkran (13–17 Apr) and Chakri day (6 Apr):
    # 7 business days before is 3 Apr, 1 before is 12 Apr; Monday 1 May is
    # Labour Day, so that week's overdue reminder goes out on Tuesday 2 May.
    "after Songkran": (
        date(2023, 4, 18),
        [
            (date(2023, 4, 3), "before:7", date(2023, 4, 3)),
            (date(2023, 4, 12), "before:1", date(2023, 4, 12)),
            (date(2023, 4, 18), "due", date(2023, 4, 18)),
            (date(2023, 4, 24), "overdue", date(2023, 4, 24)),
            (date(2023, 5, 2), "overdue", date(2023, 5, 1)),
            (date(2023, 5, 8), "overdue", date(2023, 5, 8)),
        ],
    ),
    # Due Thu 3 Aug, after the holidays of 28 Jul – 2 Aug: the day before is 27 Jul;
    # Monday 14 Aug is a holiday, so its overdue reminder goes out on the 15th.
    "after the July holidays": (
        date(2023, 8, 3),
        [
            (date(2023, 7, 19), "before:7", date(2023, 7, 19)),
            (date(2023, 7, 27), "before:1", date(2023, 7, 27)),
            (date(2023, 8, 3), "due", date(2023, 8, 3)),
            (date(2023, 8, 7), "overdue", date(2023, 8, 7)),
            (date(2023, 8, 15), "overdue", date(2023, 8, 14)),
            (date(2023, 8, 21), "overdue", date(2023, 8, 21)),
        ],
    ),
    # Due on a holiday (Mon 31 Jul): the due-date reminder comes on the last
    # business day before it, 27 Jul, which is also "1 business day before":
    # the step gets one reminder that day, the due-date one.
    "due on a holiday": (
        date(2023, 7, 31),
        [
            (date(2023, 7, 19), "before:7", date(2023, 7, 19)),
            (date(2023, 7, 27), "due", date(2023, 7, 27)),
            (date(2023, 8, 7), "overdue", date(2023, 8, 7)),
            (date(2023, 8, 15), "overdue", date(2023, 8, 14)),
            (date(2023, 8, 21), "overdue", date(2023, 8, 21)),
        ],
    ),
}


@pytest.mark.parametrize("case", SCHEDULES)
def test_a_step_is_reminded_7_and_1_business_days_before_on_the_due_date_then_every_monday(world, case):
    due, expected = SCHEDULES[case]
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, due)

    messages = run_days(due - timedelta(days=30), due + timedelta(days=21))

    assert given(messages, STRATEGY_BOX) == expected
    assert given(messages, STRATEGY_OWNER) == expected
    assert {m.recipient for m in messages} == {STRATEGY_BOX, STRATEGY_OWNER}
    assert all(m.kind == "reminder" and m.about == f"org:{world.org.id}" for m in messages)
    # Each item says which due date it was for.
    assert {i.due_date for m in messages for i in m.items} == {due}


def test_a_step_done_before_the_pass_gets_nothing_more(world):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    early = run_days(date(2023, 3, 27), date(2023, 4, 17))
    assert [r for _d, r, _t in given(early, STRATEGY_OWNER)] == ["before:7", "before:1"]

    finish(step, date(2023, 4, 18), hour=7, minute=30)  # before the 08:00 pass of its due date

    assert run_days(date(2023, 4, 18), date(2023, 5, 31)) == []


def test_a_step_done_later_in_the_day_still_got_that_mornings_reminder_and_nothing_after(world):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    morning = run_days(date(2023, 3, 27), date(2023, 4, 12))
    finish(step, date(2023, 4, 12), hour=10)

    assert given(morning, STRATEGY_OWNER) == [
        (date(2023, 4, 3), "before:7", date(2023, 4, 3)),
        (date(2023, 4, 12), "before:1", date(2023, 4, 12)),
    ]
    assert run_days(date(2023, 4, 13), date(2023, 5, 31)) == []


def test_a_cancelled_step_gets_nothing(world):
    step = world.step(world.m2, 2)
    leave_open(world)  # every step cancelled, this one included
    assert step.status is StepStatus.cancelled

    assert run_days(date(2023, 3, 1), date(2023, 9, 30)) == []


def test_a_moved_due_date_moves_the_reminders_and_gives_new_ones(world):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    before_move = run_days(date(2023, 3, 27), date(2023, 4, 5))
    set_due(step, date(2023, 5, 31), day=date(2023, 4, 5))  # postponed in the afternoon
    after_move = run_days(date(2023, 4, 6), date(2023, 6, 9))

    assert given(before_move, STRATEGY_OWNER) == [(date(2023, 4, 3), "before:7", date(2023, 4, 3))]
    # Nothing more for 18 Apr; the new date gets its own full set (5 Jun is a holiday).
    assert given(after_move, STRATEGY_OWNER) == [
        (date(2023, 5, 22), "before:7", date(2023, 5, 22)),
        (date(2023, 5, 30), "before:1", date(2023, 5, 30)),
        (date(2023, 5, 31), "due", date(2023, 5, 31)),
        (date(2023, 6, 6), "overdue", date(2023, 6, 5)),
    ]
    assert {i.due_date for m in after_move for i in m.items} == {date(2023, 5, 31)}


def test_moving_a_due_date_back_does_not_repeat_a_reminder_already_given_for_it(world):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    run_days(date(2023, 3, 27), date(2023, 4, 4))  # before:7 of 18 Apr given on 3 Apr
    set_due(step, date(2023, 5, 31), day=date(2023, 4, 4))
    set_due(step, date(2023, 4, 18), day=date(2023, 4, 4), hour=15)  # changed their mind

    again = run_days(date(2023, 4, 5), date(2023, 4, 18))

    assert given(again, STRATEGY_OWNER) == [
        (date(2023, 4, 12), "before:1", date(2023, 4, 12)),
        (date(2023, 4, 18), "due", date(2023, 4, 18)),
    ]


# -- one email per recipient per day ---------------------------------------------------------------


def test_two_steps_due_the_same_day_make_one_email_per_recipient_listing_both(world, app):
    first, second = world.step(world.m1, 1), world.step(world.m1, 2)
    leave_open(world, first, second)
    set_due(first, date(2023, 8, 31))
    day = thaidate.add_business_days(date(2023, 8, 31), -7)
    assert day == date(2023, 8, 22)

    messages = run(day)

    assert sorted(m.recipient for m in messages) == sorted([PALAD_BOX, PALAD_OWNER])
    base = app.config["TRACKER_BASE_URL"]
    for m in messages:
        assert {(i.step_id, i.reason) for i in m.items} == {(first.id, "before:7"), (second.id, "before:7")}
        assert m.subject == (f"[ITA] {world.org.name}: แจ้งเตือนขั้นตอนที่ต้องดำเนินการ 2 รายการ – 22 ส.ค. 2566")
        for step in (first, second):
            assert f"{base}/steps/{step.id}" in m.body_text
            assert f'href="{base}/steps/{step.id}"' in m.body_html
            assert step.title in m.body_text and step.title in m.body_html


def test_mailbox_owners_and_assignee_each_get_one_email_deduplicated(world):
    step = world.step(world.m1, 1)
    leave_open(world, step)
    # An owner whose address is the department's mailbox, an inactive owner,
    # a viewer of the department, and an assignee from another department.
    same_as_box = make_user(world.org, PALAD_BOX, Role.owner, world.palad, name="งานธุรการสำนักปลัด")
    gone = make_user(world.org, "gone@test.go.th", Role.owner, world.palad, name="ย้ายไปแล้ว")
    gone.active = False
    make_user(world.org, "reader@test.go.th", Role.viewer, world.palad, name="ผู้อ่าน")
    db.session.commit()
    edit_step(step, None, at(date(2023, 7, 3)), assignee=world.owner_strategy)
    db.session.commit()

    messages = run(date(2023, 7, 19))  # 7 business days before 31 Jul

    assert sorted((m.recipient, m.recipient_name, m.user_id) for m in messages) == sorted(
        [
            (PALAD_BOX, "งานธุรการสำนักปลัด", same_as_box.id),
            (PALAD_OWNER, world.owner_palad.display_name, world.owner_palad.id),
            (STRATEGY_OWNER, world.owner_strategy.display_name, world.owner_strategy.id),
        ]
    )
    assert all([(i.step_id, i.reason) for i in m.items] == [(step.id, "before:7")] for m in messages)
    assert "ได้รับมอบหมาย" in next(m for m in messages if m.recipient == STRATEGY_OWNER).body_text


def test_an_assignee_who_is_also_an_owner_gets_one_email(world):
    step = world.step(world.m1, 1)
    leave_open(world, step)
    edit_step(step, None, at(date(2023, 7, 3)), assignee=world.owner_palad)
    db.session.commit()

    messages = run(date(2023, 7, 19))

    assert sorted(m.recipient for m in messages) == sorted([PALAD_BOX, PALAD_OWNER])


def test_an_inactive_user_gets_nothing(world):
    step = world.step(world.m1, 1)
    leave_open(world, step)
    world.owner_palad.active = False
    world.palad.email = None
    db.session.commit()

    assert run_days(date(2023, 7, 1), date(2023, 8, 31)) == []


# -- escalation --------------------------------------------------------------------------------------


def test_the_head_is_told_once_a_step_is_more_than_7_days_overdue(world):
    step = world.step(world.m1, 1)  # due Mon 31 Jul (a holiday)
    leave_open(world, step)
    head = make_user(world.org, "head.palad@test.go.th", Role.viewer, world.palad, name="หัวหน้าสำนักปลัด")
    world.palad.head = head
    db.session.commit()

    messages = run_days(date(2023, 7, 1), date(2023, 8, 25))

    # 7 Aug is exactly 7 days late: owners only. 14 Aug (a holiday, sent 15 Aug) is 14.
    assert given(messages, head.email) == [
        (date(2023, 8, 15), "escalation", date(2023, 8, 14)),
        (date(2023, 8, 21), "escalation", date(2023, 8, 21)),
    ]
    escalation = next(m for m in messages if m.recipient == head.email and m.for_date == date(2023, 8, 15))
    assert "แจ้งผู้บังคับบัญชา" in escalation.body_text
    assert "สำนักปลัดเทศบาล" in escalation.body_text and "เลยกำหนดมาแล้ว 15 วัน" in escalation.body_text
    assert "เลยกำหนด – " not in escalation.body_text  # the head is not an owner of it
    assert "โปรดติดตามความคืบหน้ากับหน่วยงานผู้รับผิดชอบ" in escalation.body_text
    assert "โปรดติดตามความคืบหน้ากับหน่วยงานผู้รับผิดชอบ" in escalation.body_html
    owners_days = [d for d, _r, _t in given(messages, PALAD_OWNER) if d >= date(2023, 8, 1)]
    assert owners_days == [date(2023, 8, 7), date(2023, 8, 15), date(2023, 8, 21)]


def test_an_inactive_head_is_not_told(world):
    step = world.step(world.m1, 1)
    leave_open(world, step)
    head = make_user(world.org, "head.palad@test.go.th", Role.viewer, world.palad, name="หัวหน้าสำนักปลัด")
    head.active = False
    world.palad.head = head
    db.session.commit()

    messages = run_days(date(2023, 8, 1), date(2023, 8, 25))

    assert head.email not in {m.recipient for m in messages}
    assert {m.recipient for m in messages} == {PALAD_BOX, PALAD_OWNER}


def test_a_head_who_is_also_an_owner_sees_the_step_once(world):
    step = world.step(world.m1, 1)
    leave_open(world, step)
    world.palad.head = world.owner_palad
    db.session.commit()

    messages = run(date(2023, 8, 15))

    mine = next(m for m in messages if m.recipient == PALAD_OWNER)
    # Both reasons are remembered, but the email lists the step once, as overdue.
    assert sorted(i.reason for i in mine.items) == ["escalation", "overdue"]
    assert mine.body_text.count(f"/steps/{step.id}") == 1
    assert "แจ้งเตือนขั้นตอนที่ต้องดำเนินการ 1 รายการ" in mine.subject


def test_escalation_can_be_turned_off(world):
    step = world.step(world.m1, 1)
    leave_open(world, step)
    world.palad.head = make_user(world.org, "head.palad@test.go.th", Role.viewer, world.palad, name="หัวหน้า")
    update_rules(world.org.id, None, at(date(2023, 7, 3)), escalate_after_days=None)
    db.session.commit()

    messages = run_days(date(2023, 8, 1), date(2023, 8, 31))

    assert "head.palad@test.go.th" not in {m.recipient for m in messages}


# -- downtime, time of day, idempotence ------------------------------------------------------------------


def test_after_downtime_one_pass_gives_each_step_its_latest_relevant_reminder_once(world):
    a = world.step(world.m2, 2)
    b = Step(
        measure=world.m2,
        order=3,
        title="จัดซื้อระบบ",
        owner_department=world.strategy,
        start_date=date(2023, 1, 2),
        due_date=date(2023, 4, 5),
    )
    c = Step(
        measure=world.m2,
        order=4,
        title="อบรมผู้ใช้",
        owner_department=world.strategy,
        start_date=date(2023, 1, 2),
        due_date=date(2023, 4, 10),
    )
    db.session.add_all([b, c])
    db.session.commit()
    leave_open(world, a, b, c)
    set_due(a, date(2023, 4, 18))
    before = run_days(date(2023, 3, 20), date(2023, 3, 31))
    assert {(i.step_id, i.reason) for m in before for i in m.items} == {(b.id, "before:7"), (c.id, "before:7")}

    # Down from 1 to 10 April (ten days); back on Tuesday 11 April at 10:00.
    back = run(date(2023, 4, 11), hour=10)

    for m in back:
        # A: its 7-days-before reminder (3 Apr) is late but still before the due date.
        # B: due 5 Apr: its missed 1-day-before and due-date reminders are superseded
        #    by the overdue one of Monday 10 Apr.
        # C: due 10 Apr: its due-date reminder is no longer relevant, and no Monday
        #    has come since: nothing until 18 Apr (17 Apr is a holiday).
        assert sorted((i.step_id, i.reason, i.trigger_date) for i in m.items) == sorted(
            [
                (a.id, "before:7", date(2023, 4, 3)),
                (b.id, "overdue", date(2023, 4, 10)),
            ]
        )
    assert sorted(m.recipient for m in back) == sorted([STRATEGY_BOX, STRATEGY_OWNER])
    assert run(date(2023, 4, 11), hour=15) == []
    later = run_days(date(2023, 4, 12), date(2023, 4, 18))
    assert sorted(
        {
            (d, i, r)
            for d, i, r in (
                (m.for_date, it.step_id, it.reason) for m in later if m.recipient == STRATEGY_OWNER for it in m.items
            )
        }
    ) == sorted(
        [
            (date(2023, 4, 12), a.id, "before:1"),
            (date(2023, 4, 18), a.id, "due"),
            (date(2023, 4, 18), b.id, "overdue"),
            (date(2023, 4, 18), c.id, "overdue"),
        ]
    )


@pytest.mark.parametrize(
    ("label", "when"),
    [
        ("07:59 on a business day", at(date(2023, 4, 3), 7, 59)),
        ("a Saturday", at(date(2023, 4, 8), 10, 0)),
        ("a Sunday", at(date(2023, 4, 9), 10, 0)),
        ("Songkran", at(date(2023, 4, 13), 10, 0)),
        ("Chakri day", at(date(2023, 4, 6), 10, 0)),
    ],
)
def test_nothing_is_queued_before_08_00_or_on_weekends_and_holidays(world, label, when):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    assert thaidate.add_business_days(date(2023, 4, 18), -7) == date(2023, 4, 3)

    assert queue_reminders(when) == [], label
    assert plan_reminders(when) == [], label


def test_the_sending_time_follows_the_rules_and_bangkok_time(world):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    update_rules(world.org.id, None, at(date(2023, 3, 1)), send_after_minutes=9 * 60 + 30)
    db.session.commit()

    assert run(date(2023, 4, 3), 8, 5) == []
    assert run(date(2023, 4, 3), 9, 29) == []
    # 02:30 UTC is 09:30 in Bangkok.

    utc = datetime(2023, 4, 3, 2, 30, tzinfo=UTC)
    assert len(queue_reminders(utc)) == 2


def test_two_passes_at_the_same_moment_create_nothing_twice(world):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))

    first = run(date(2023, 4, 3))
    second = run(date(2023, 4, 3))

    assert len(first) == 2 and second == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxItem)) == 2


def test_the_dry_run_says_exactly_what_would_be_queued_and_writes_nothing(world):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    now = at(date(2023, 4, 3))

    planned = plan_reminders(now)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    queued = queue_reminders(now)
    db.session.commit()

    def key(m):
        return (m.recipient, m.kind, m.for_date, m.subject, m.body_text, m.user_id)

    assert sorted(map(key, planned)) == sorted(map(key, queued))
    assert plan_reminders(now) == []


@pytest.mark.parametrize("status", [PlanStatus.draft, PlanStatus.closed])
def test_a_plan_in_draft_or_closed_gives_nothing(world, status):
    world.plan.status = status
    db.session.commit()

    assert run_days(date(2023, 3, 1), date(2023, 9, 30)) == []


def test_items_found_after_the_days_email_was_written_wait_for_the_next_business_day(world):
    a, b = world.step(world.m2, 2), world.step(world.m2, 1)
    leave_open(world, a, b)
    set_due(a, date(2023, 4, 18))
    set_due(b, date(2023, 6, 30))
    morning = run(date(2023, 4, 3))
    assert [[(i.step_id, i.reason) for i in m.items] for m in morning] == [[(a.id, "before:7")]] * 2

    set_due(b, date(2023, 4, 18), day=date(2023, 4, 3), hour=11)  # b's 7-days-before is today too
    assert plan_reminders(at(date(2023, 4, 3), 13)) == []  # the dry run says so too
    assert run(date(2023, 4, 3), hour=13) == []

    tomorrow = run(date(2023, 4, 4))
    assert [[(i.step_id, i.reason, i.trigger_date) for i in m.items] for m in tomorrow] == [
        [(b.id, "before:7", date(2023, 4, 3))]
    ] * 2


# -- what the email says --------------------------------------------------------------------------------


def test_the_email_groups_overdue_due_today_and_coming_up_with_dates_and_links(world, app):
    overdue, today, soon = world.step(world.m2, 1), world.step(world.m2, 2), world.step(world.m1, 2)
    leave_open(world, overdue, today, soon)
    set_due(overdue, date(2023, 7, 31))
    set_due(today, date(2023, 8, 21))
    set_due(soon, date(2023, 8, 22))
    edit_step(soon, None, at(date(2023, 7, 3)), owner_department=world.strategy)
    db.session.commit()
    base = app.config["TRACKER_BASE_URL"]

    messages = {m.recipient: m for m in run(date(2023, 8, 21))}
    box, owner = messages[STRATEGY_BOX], messages[STRATEGY_OWNER]

    assert len(messages) == 2 and box.recipient_name == "กองยุทธศาสตร์และงบประมาณ" and box.user_id is None
    assert owner.subject == f"[ITA] {world.org.name}: แจ้งเตือนขั้นตอนที่ต้องดำเนินการ 3 รายการ – 21 ส.ค. 2566"
    text = owner.body_text
    assert text.startswith(f"เรียน {world.owner_strategy.display_name}\n")
    sections = [
        text.index(h)
        for h in (
            "เลยกำหนด – 1 รายการ",
            "ครบกำหนดวันนี้ – 1 รายการ",
            "ใกล้ครบกำหนด – 1 รายการ",
        )
    ]
    assert sections == sorted(sections)
    assert (
        f"- มาตรการที่ 2 ขั้นตอนที่ 1: {overdue.title}\n"
        f"  ครบกำหนด 31 ก.ค. 2566 · เลยกำหนดมาแล้ว 21 วัน\n  {base}/steps/{overdue.id}\n"
    ) in text
    assert f"- มาตรการที่ 2 ขั้นตอนที่ 2: {today.title}\n  ครบกำหนด 21 ส.ค. 2566\n" in text
    assert f"- มาตรการที่ 1 ขั้นตอนที่ 2: {soon.title}\n  ครบกำหนด 22 ส.ค. 2566 · อีก 1 วันทำการ\n" in text
    assert f"{base}/my-steps" in text and f"{base}/profile" in text
    assert "คุณเป็นเจ้าหน้าที่ผู้รับผิดชอบของกองยุทธศาสตร์และงบประมาณ" in text
    html = owner.body_html
    assert html.startswith("<!doctype html>") and '<html lang="th">' in html
    assert f"<title>{owner.subject}</title>" in html
    for step in (overdue, today, soon):
        assert f'href="{base}/steps/{step.id}"' in html
    assert "เลยกำหนดมาแล้ว 21 วัน" in html and f'href="{base}/my-steps"' in html
    host = base.split("//", 1)[1].split(":")[0].split("/")[0]
    assert owner.message_id.startswith("<reminder.20230821.") and owner.message_id.endswith(f"@{host}>")


def test_a_user_who_prefers_thai_digits_gets_them_in_the_email(world):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    world.owner_strategy.thai_digits = True
    db.session.commit()

    messages = {m.recipient: m for m in run(date(2023, 4, 3))}

    assert messages[STRATEGY_OWNER].subject.endswith("แจ้งเตือนขั้นตอนที่ต้องดำเนินการ ๑ รายการ – ๓ เม.ย. ๒๕๖๖")
    assert "อีก ๗ วันทำการ" in messages[STRATEGY_OWNER].body_text
    assert messages[STRATEGY_BOX].subject.endswith("– 3 เม.ย. 2566")  # a mailbox has no preference


def test_html_escapes_what_people_typed(world):
    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    step.title = 'ทดสอบ <script>alert("x")</script> & อื่นๆ'
    db.session.commit()

    [m, *_] = run(date(2023, 4, 3))

    assert "<script>" not in m.body_html and "&lt;script&gt;" in m.body_html
    assert '<script>alert("x")</script>' in m.body_text  # plain text is not HTML


def test_a_pass_runs_the_same_number_of_queries_whatever_the_size_of_the_plan(world):
    counting = recorded_statements

    def steps_due(day: date, n: int, start: int) -> None:
        for i in range(n):
            db.session.add(
                Step(
                    measure=world.m2,
                    order=start + i,
                    title=f"ขั้นตอนเพิ่ม {i}",
                    owner_department=world.strategy if i % 2 else world.palad,
                    start_date=date(2023, 1, 2),
                    due_date=day,
                )
            )
        db.session.commit()

    leave_open(world)
    steps_due(date(2023, 4, 18), 2, 10)
    with counting() as small:
        assert len(plan_reminders(at(date(2023, 4, 3)))) == 4
    steps_due(date(2023, 4, 18), 20, 20)
    for i in range(6):
        make_user(world.org, f"extra{i}@test.go.th", Role.owner, world.palad if i % 2 else world.strategy)
    db.session.commit()
    db.session.expire_all()
    with counting() as large:
        assert len(plan_reminders(at(date(2023, 4, 3)))) == 10

    assert len(large) == len(small), "\n".join(large)


def test_each_organization_gets_its_own_reminders_under_its_own_rules(world):
    from tracker.orgs.models import Department, Organization

    step = world.step(world.m2, 2)
    leave_open(world, step)
    set_due(step, date(2023, 4, 18))
    other = Organization(name="องค์การบริหารส่วนตำบลอื่น", slug="other", province="ขอนแก่น")
    dept = Department(organization=other, name="สำนักปลัด", email="palad@other.go.th")
    measure = one_measure(other, dept)
    Step(
        measure=measure,
        order=1,
        title="ขั้นตอนของอีกองค์กร",
        owner_department=dept,
        start_date=date(2023, 1, 2),
        due_date=date(2023, 4, 18),
    )
    db.session.add(other)
    db.session.commit()
    update_rules(other.id, None, at(date(2023, 3, 1)), days_before="3")  # their own rules
    db.session.commit()

    messages = run_days(date(2023, 3, 27), date(2023, 4, 12))

    ours = [m for m in messages if m.organization_id == world.org.id]
    their = [m for m in messages if m.organization_id == other.id]
    assert {m.about for m in ours} == {f"org:{world.org.id}"} and {m.about for m in their} == {f"org:{other.id}"}
    assert {i.step_id for m in ours for i in m.items} == {step.id}
    assert given(their, "palad@other.go.th") == [(date(2023, 4, 10), "before:3", date(2023, 4, 10))]
    assert "องค์การบริหารส่วนตำบลอื่น" in their[0].subject and world.org.name not in their[0].body_text
