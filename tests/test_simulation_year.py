"""The demo plan lived day by day from 1 Jan to 15 Oct 2023, with a real SMTP server.

Every day at 08:05 Bangkok the scheduler's two jobs run (`queue_reminders`,
`queue_digests`), the day is committed, and the outbox is delivered to a real
SMTP sink. Owners act on a fixed script: most steps are done on time, some
late, one before the 08:00 pass of its due date, one is cancelled, one due
date is moved while overdue, and the last step of measure 3.2 is never done.

An ORACLE written here from the rules alone — for each day, each open step
and each person, which reminder fires today — says which emails must exist.
There is no downtime, so it needs no catch-up logic: a trigger is due on the
first business day on or after its date. The outbox must equal the oracle
exactly (kind, day, recipient, channel, and each item once), and the SMTP sink
must have received exactly the emails, once each, with readable Thai subjects.

LINE (issue 15): the Ban Pet account is connected to the LINE API emulator;
the palad owner has linked LINE and chosen it for reminders and overdue
notices, the deputy mayor takes digests by both email and LINE. The emulator
must have received each of their LINE messages exactly once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from tests.conftest import connect_line, link_line, make_user
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.demo import load_demo
from tracker.line.models import NotificationChoice
from tracker.notify.delivery import deliver
from tracker.notify.digests import queue_digests
from tracker.notify.models import OutboxMessage, OutboxStatus
from tracker.notify.reminders import queue_reminders
from tracker.notify.rules import set_digest_preferences
from tracker.orgs.models import Department
from tracker.plans.models import Step, StepStatus
from tracker.plans.services import change_status, edit_step
from tracker.thaidate import BANGKOK, is_business_day

FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2023, 10, 15)
PASS_AT = (8, 5)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)


# -- the script: what people do, and when ------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    when: datetime
    kind: str  # "done", "start", "cancel", "move", "digests_off"
    step: str = ""  # the step's number, e.g. "3.1.2"
    due: date | None = None  # for "move"
    person: str = ""  # for "digests_off"


def done(number: str, day: str, hour: int = 14) -> Action:
    return Action(at(date.fromisoformat(day), hour), "done", number)


SCRIPT: list[Action] = [
    # Measure 2 (E-Service): the first step late (escalated), the move of 2.5, 2.7 cancelled.
    Action(at(date(2023, 1, 9), 10), "start", "2.1"),
    done("2.1", "2023-02-20"),  # due 2 Feb: overdue on 6, 13, 20 Feb; the head told on 13 and 20
    done("2.2", "2023-03-08"),  # on its due date, after the morning reminder
    done("2.3", "2023-04-05"),  # early, before its 1-business-day reminder
    done("2.4", "2023-05-18"),
    Action(at(date(2023, 6, 26), 14), "move", "2.5", due=date(2023, 7, 31)),  # overdue, then postponed to a holiday
    done("2.5", "2023-07-27", hour=10),
    done("2.6", "2023-07-21"),
    Action(at(date(2023, 8, 25), 11), "cancel", "2.7"),  # due 30 Aug, after its first reminder
    done("2.8", "2023-09-28"),
    # Measure 3.1: 3.1.3 late by three weeks.
    done("3.1.1", "2023-02-13"),
    done("3.1.2", "2023-03-29"),
    done("3.1.3", "2023-06-09"),  # due 19 May; 5 Jun is a holiday, so that week's reminder is on the 6th
    done("3.1.4", "2023-06-29"),
    done("3.1.5", "2023-08-18"),
    done("3.1.6", "2023-09-29", hour=9),
    # Measure 3.2: its last step (report) is never done.
    done("3.2.1", "2023-02-08"),
    done("3.2.2", "2023-03-20"),  # a few days late
    done("3.2.3", "2023-04-27"),
    done("3.2.4", "2023-06-07"),
    done("3.2.5", "2023-07-12"),
    done("3.2.6", "2023-08-24"),
    # Measure 1 (สำนักปลัด, Jul–Sep): 1.2 done before the 08:00 pass of its due date.
    done("1.1", "2023-07-10"),
    done("1.2", "2023-08-09", hour=7),
    Action(at(date(2023, 8, 14), 15), "start", "1.3"),
    done("1.3", "2023-09-04"),  # due 28 Aug: one overdue Monday, not escalated (7 days exactly)
    done("1.4", "2023-09-13"),
    done("1.5", "2023-09-29", hour=16),
    # The mayor stops the digests in June.
    Action(at(date(2023, 6, 15), 12), "digests_off", person="mayor@banpet.example"),
]


# -- the organization -------------------------------------------------------------------------------


@dataclass
class Person:
    email: str
    role: Role
    department: str | None  # "palad" / "strategy"
    active: bool = True
    heads: str | None = None
    digest_weekday: int | None = None


PEOPLE = [
    # From the demo: admin (strategy), manager, palad.owner, strategy.owner, viewer.
    Person("admin@banpet.example", Role.admin, "strategy"),
    Person("manager@banpet.example", Role.manager, None),
    Person("palad.owner@banpet.example", Role.owner, "palad"),
    Person("strategy.owner@banpet.example", Role.owner, "strategy"),
    Person("viewer@banpet.example", Role.viewer, None),
    # Added here: two heads (one of them also an owner), two more managers, a retired owner.
    Person("head.palad@banpet.example", Role.viewer, "palad", heads="palad"),
    Person("head.strategy@banpet.example", Role.owner, "strategy", heads="strategy"),
    Person("deputy@banpet.example", Role.manager, None, digest_weekday=2),
    Person("mayor@banpet.example", Role.manager, None),
    Person("retired@banpet.example", Role.owner, "palad", active=False),
]
MAILBOXES = {"palad": "palad@banpet.example", "strategy": "strategy@banpet.example"}
DEPARTMENT_NAMES = {"palad": "สำนักปลัดเทศบาล", "strategy": "กองยุทธศาสตร์และงบประมาณ"}
#: 1.3 is assigned to the admin (of another department) from the start of July.
ASSIGNED = {"1.3": "admin@banpet.example"}
#: Mail about a watched step or a report waiting for sign-off: not scheduled, so not the oracle's.
FOLLOW_KINDS = ("step_status", "step_remark", "report_signoff")

#: Channel choices per person (event kind → choice); everyone else takes email.
LINE_PEOPLE = {
    "palad.owner@banpet.example": {"reminder": "line", "overdue": "line"},
    "deputy@banpet.example": {"digest": "both"},
}


def channels_of(kind: str, recipient: str) -> tuple[str, ...]:
    """The channels of a message by the choices above (the palad owner's reminder and
    overdue choices are the same, so a reminder message never splits)."""
    choices = LINE_PEOPLE.get(recipient, {})
    choice = choices.get("digest") if kind.startswith("digest") else choices.get("reminder")
    return {"line": ("line",), "both": ("email", "line")}.get(choice or "", ("email",))


def build_organization() -> dict[str, Step]:
    load_demo(at(date(2022, 12, 1), 9))
    db.session.flush()
    departments = {
        key: db.session.scalar(sa.select(Department).where(Department.name == name))
        for key, name in DEPARTMENT_NAMES.items()
    }
    org = departments["palad"].organization
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    for p in PEOPLE:
        user = users.get(p.email) or make_user(
            org, p.email, p.role, departments.get(p.department), name=p.email.split("@")[0]
        )
        user.active, user.digest_weekday = p.active, p.digest_weekday
        users[p.email] = user
        if p.heads:
            departments[p.heads].head = user
    for key, mailbox in MAILBOXES.items():
        assert departments[key].email == mailbox
    steps = {s.number: s for s in db.session.scalars(sa.select(Step))}
    for number, email in ASSIGNED.items():
        edit_step(steps[number], None, at(date(2022, 12, 1), 9), assignee=users[email])
    db.session.commit()
    return steps


# -- the oracle ---------------------------------------------------------------------------------------


def first_business_day_from(d: date) -> date:
    while not is_business_day(d):
        d += timedelta(days=1)
    return d


def business_days_before(d: date, n: int) -> date:
    while n:
        d -= timedelta(days=1)
        n -= is_business_day(d)
    return d


def last_business_day_until(d: date) -> date:
    while not is_business_day(d):
        d -= timedelta(days=1)
    return d


class Oracle:
    """The rules, applied to the script, one day at a time."""

    def __init__(self, steps: dict[str, Step]):
        self.number_of = {s.id: n for n, s in steps.items()}
        self.department_of = {
            n: ("palad" if s.owner_department.name == DEPARTMENT_NAMES["palad"] else "strategy")
            for n, s in steps.items()
        }
        self.first_due = {n: s.due_date for n, s in steps.items()}
        self.ids = {n: s.id for n, s in steps.items()}

    def state(self, number: str, moment: datetime) -> tuple[bool, date]:
        """(open?, due date) of a step at a moment, from the script."""
        is_open, due = True, self.first_due[number]
        for a in SCRIPT:
            if a.step == number and a.when <= moment:
                if a.kind in ("done", "cancel"):
                    is_open = False
                elif a.kind == "move":
                    due = a.due
        return is_open, due

    def reminder_today(self, day: date, due: date) -> tuple[str, date] | None:
        """Which reminder of a step fires today, if any: (reason, trigger date)."""
        fired = []
        if day <= due:
            for n in (7, 1):
                trigger = business_days_before(due, n)
                if first_business_day_from(trigger) == day:
                    fired.append((f"before:{n}", trigger))
            trigger = last_business_day_until(due)
            if first_business_day_from(trigger) == day:
                fired.append(("due", trigger))
        else:
            monday = day - timedelta(days=day.weekday())
            if monday > due and first_business_day_from(monday) == day:
                fired.append(("overdue", monday))
        # When the due date is a holiday, "1 business day before" and "the due date"
        # fall on the same day: the step gets the due-date reminder only.
        if len(fired) > 1:
            fired = [f for f in fired if f[0] == "due"]
        return fired[0] if fired else None

    def owners_side(self, number: str) -> set[str]:
        dept = self.department_of[number]
        people = {p.email for p in PEOPLE if p.role is Role.owner and p.department == dept and p.active}
        assignee = ASSIGNED.get(number)
        if assignee and next(p for p in PEOPLE if p.email == assignee).active:
            people.add(assignee)
        return people | {MAILBOXES[dept]}

    def head(self, number: str) -> str | None:
        dept = self.department_of[number]
        return next((p.email for p in PEOPLE if p.heads == dept and p.active), None)

    def digest_people(self, moment: datetime) -> list[Person]:
        off = {a.person for a in SCRIPT if a.kind == "digests_off" and a.when <= moment}
        return [p for p in PEOPLE if p.active and (p.role is Role.manager or p.heads) and p.email not in off]

    def day(self, day: date) -> dict[tuple[str, date, str], set]:
        """The messages of a day: (kind, for_date, recipient) → items (reminders) or set() (digests)."""
        expected: dict[tuple[str, date, str], set] = {}
        if not is_business_day(day):
            return expected
        moment = at(day, *PASS_AT)
        for number in self.ids:
            is_open, due = self.state(number, moment)
            fired = self.reminder_today(day, due) if is_open else None
            if fired is None:
                continue
            reason, trigger = fired
            item = (self.ids[number], reason, trigger, due)
            for address in self.owners_side(number):
                expected.setdefault(("reminder", day, address), set()).add(item)
            head = self.head(number)
            if reason == "overdue" and (trigger - due).days > 7 and head:
                expected.setdefault(("reminder", day, head), set()).add((self.ids[number], "escalation", trigger, due))
        for person in self.digest_people(moment):
            weekday = person.digest_weekday if person.digest_weekday is not None else 0
            this_week = day - timedelta(days=(day.weekday() - weekday) % 7)
            if first_business_day_from(this_week) == day:
                expected[("digest_weekly", this_week, person.email)] = set()
            if first_business_day_from(day.replace(day=1)) == day:
                expected[("digest_monthly", day, person.email)] = set()
        return expected


# -- the simulation ---------------------------------------------------------------------------------------


def apply(action: Action, steps: dict[str, Step]) -> None:
    if action.kind == "digests_off":
        user = db.session.scalar(sa.select(User).where(User.email == action.person))
        set_digest_preferences(user, None, action.when, enabled=False, weekday=user.digest_weekday)
        return
    step = steps[action.step]
    actor = step.assignee or next(u for u in step.owner_department.members if u.role is Role.owner and u.active)
    if action.kind == "done":
        change_status(step, StepStatus.done, actor, action.when, note="ดำเนินการแล้ว")
    elif action.kind == "start":
        change_status(step, StepStatus.in_progress, actor, action.when, note="เริ่มดำเนินการ")
    elif action.kind == "cancel":
        change_status(step, StepStatus.cancelled, actor, action.when, cancel_reason="ยกเลิกตามมติคณะทำงาน")
    elif action.kind == "move":
        edit_step(step, actor, action.when, due_date=action.due, note="ขยายเวลา")


def connect_line_people(emulator) -> dict[str, str]:
    """Connect Ban Pet's LINE account, link LINE_PEOPLE and record their choices."""
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    admin = users["admin@banpet.example"]
    connect_line(admin.organization, admin, emulator, now=at(date(2022, 12, 1), 9))
    line_ids = {}
    for email, choices in LINE_PEOPLE.items():
        line_ids[email] = link_line(users[email], emulator, now=at(date(2022, 12, 1), 9))
        db.session.add_all(
            NotificationChoice(user_id=users[email].id, event_kind=k, choice=v) for k, v in choices.items()
        )
    db.session.commit()
    return line_ids


def test_a_year_of_the_demo_plan_sends_exactly_what_the_rules_say_each_once(
    app, ctx, mail_config, smtp_sink, line_emulator
):
    steps = build_organization()
    line_ids = connect_line_people(line_emulator)
    oracle = Oracle(steps)
    expected: dict[tuple[str, date, str], set] = {}
    sent_on: dict[tuple[str, date, str], date] = {}
    pending = sorted(SCRIPT, key=lambda a: a.when)

    day = FIRST_DAY
    while day <= LAST_DAY:
        scheduler_pass = at(day, *PASS_AT)
        while pending and pending[0].when <= scheduler_pass:
            apply(pending.pop(0), steps)
        db.session.commit()

        queue_reminders(scheduler_pass)
        queue_digests(scheduler_pass)
        db.session.commit()
        report = deliver(at(day, 8, 6))
        assert report.stopped is None and not report.failed and not report.retried, (day, report)

        for (kind, for_date, recipient), items in oracle.day(day).items():
            for channel in channels_of(kind, recipient):
                key = (kind, for_date, recipient, channel)
                assert key not in expected, key
                # An item carried by email and LINE alike is recorded once, with the email.
                expected[key] = items if channel == channels_of(kind, recipient)[0] else set()
                sent_on[key] = day
        while pending and pending[0].when < at(day + timedelta(days=1), 0):
            apply(pending.pop(0), steps)
        db.session.commit()
        day += timedelta(days=1)

    db.session.expire_all()
    # The oracle models the scheduled mail (reminders and digests); a watcher's note of a status change
    # (issue 11, tests/test_follow.py) is mail too, sent at the change, and is not its business.
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind.not_in(FOLLOW_KINDS)).order_by(OutboxMessage.id)
    ).all()
    actual = {
        (m.kind, m.for_date, m.recipient, m.channel): {
            (i.step_id, i.reason, i.trigger_date, i.due_date) for i in m.items
        }
        for m in rows
    }
    assert len(actual) == len(rows)  # each (kind, day, recipient, channel) once

    # Which emails: the same (kind, day, recipient) set, created on the day the oracle says.
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert (missing, extra) == ([], [])
    assert {
        (m.kind, m.for_date, m.recipient, m.channel): m.created_at.astimezone(BANGKOK).date() for m in rows
    } == sent_on
    # Which items, each once.
    wrong = {k: (expected[k], actual[k]) for k in expected if expected[k] != actual[k]}
    assert wrong == {}

    # Every email went out to the real SMTP server exactly once.
    assert {m.status for m in rows} == {OutboxStatus.sent}
    emails = [m for m in rows if m.channel == "email"]
    received = {
        k: n
        for k, n in smtp_sink.message_ids().items()
        if not k.startswith(tuple(f"<{kind}." for kind in FOLLOW_KINDS))
    }
    assert received == {m.message_id: 1 for m in emails}
    by_id = {r.message_id: r for r in smtp_sink.received}
    assert_line_arrived_once(rows, line_emulator, line_ids)
    for m in emails:
        email = by_id[m.message_id].message
        assert str(email["Subject"]) == m.subject  # decoded Thai, as people read it
        assert email["To"].addresses[0].addr_spec == m.recipient
        assert bool(email["List-Unsubscribe"]) == m.kind.startswith("digest")
        assert email.get_body(("plain",)).get_content() == m.body_text
        assert email.get_body(("html",)).get_content() == m.body_html

    # A look at the year as people lived it.
    assert_the_story(rows, steps)


def assert_line_arrived_once(rows: list[OutboxMessage], emulator, line_ids: dict[str, str]) -> None:
    """Each LINE message reached its person exactly once; one push per person and day."""
    line_rows = [m for m in rows if m.channel == "line"]
    assert {m.recipient for m in line_rows} == set(LINE_PEOPLE)
    reminders = [m for m in line_rows if m.kind == "reminder"]
    assert len(reminders) >= 10 and {m.recipient for m in reminders} == {"palad.owner@banpet.example"}
    expected = sorted(
        (m.line_to, json.dumps(obj, sort_keys=True)) for m in line_rows for obj in json.loads(m.line_messages)
    )
    received = sorted((p.to, json.dumps(obj, sort_keys=True)) for p in emulator.delivered for obj in p.messages)
    assert received == expected
    assert {p.to for p in emulator.delivered} == set(line_ids.values())
    # One push per person per pass, and every push with its own retry key.
    assert len(emulator.delivered) == len({(m.line_to, m.sent_at) for m in line_rows})
    assert len({p.retry_key for p in emulator.delivered}) == len(emulator.delivered)
    first = min(reminders, key=lambda m: m.for_date)
    text = json.loads(first.line_messages)[0]["text"]
    assert "ครบกำหนด" in text and "2566" in text and "/steps/" in text


def assert_the_story(rows: list[OutboxMessage], steps: dict[str, Step]) -> None:
    """Spot checks that say in words what the oracle's sets mean."""

    def reasons(address: str, number: str) -> list[tuple[date, str]]:
        return sorted(
            (m.for_date, i.reason)
            for m in rows
            if m.recipient == address
            for i in m.items
            if i.step_id == steps[number].id
        )

    owner, box, head = "strategy.owner@banpet.example", "strategy@banpet.example", "head.strategy@banpet.example"
    # 2.1, due Thu 2 Feb, done on 20 Feb in the afternoon.
    assert reasons(box, "2.1") == [
        (date(2023, 1, 24), "before:7"),
        (date(2023, 2, 1), "before:1"),
        (date(2023, 2, 2), "due"),
        (date(2023, 2, 6), "overdue"),
        (date(2023, 2, 13), "overdue"),
        (date(2023, 2, 20), "overdue"),
    ]
    # The head of กองยุทธศาสตร์ is also one of its owners: both reasons, one email a day.
    assert [r for r in reasons(head, "2.1") if r[1] == "escalation"] == [
        (date(2023, 2, 13), "escalation"),
        (date(2023, 2, 20), "escalation"),
    ]
    # 2.5 was postponed (to a holiday, 31 Jul) while overdue: new reminders for the new date only.
    assert reasons(owner, "2.5") == [
        (date(2023, 6, 12), "before:7"),
        (date(2023, 6, 20), "before:1"),
        (date(2023, 6, 21), "due"),
        (date(2023, 6, 26), "overdue"),
        (date(2023, 7, 19), "before:7"),
        (date(2023, 7, 27), "due"),
    ]
    # 2.7 (due 30 Aug) was cancelled on 25 Aug: its 7-days-before reminder, then nothing.
    assert reasons(owner, "2.7") == [(date(2023, 8, 21), "before:7")]
    # 1.2 was done at 07:00 on its due date: no due-date reminder.
    assert [r for _d, r in reasons("palad.owner@banpet.example", "1.2")] == ["before:7", "before:1"]
    # 1.3 is the admin's as assignee; the retired owner and the viewer never get anything.
    assert reasons("admin@banpet.example", "1.3")
    recipients = {m.recipient for m in rows}
    assert "retired@banpet.example" not in recipients and "viewer@banpet.example" not in recipients
    # 3.2.7 is never done: overdue every Monday into October, and the head is told.
    assert [r for r in reasons(head, "3.2.7") if r[0] >= date(2023, 10, 1)] == [
        (date(2023, 10, 2), "overdue"),
        (date(2023, 10, 9), "escalation"),
        (date(2023, 10, 9), "overdue"),
    ]
    # Digests: the mayor's stop after 15 June; the deputy's are on Wednesdays.
    mayor = sorted(m.for_date for m in rows if m.recipient == "mayor@banpet.example" and m.kind == "digest_weekly")
    assert mayor[-1] == date(2023, 6, 12)
    assert {
        m.for_date.weekday() for m in rows if m.recipient == "deputy@banpet.example" and m.kind == "digest_weekly"
    } == {2}
    monthly = sorted(m.for_date for m in rows if m.recipient == "manager@banpet.example" and m.kind == "digest_monthly")
    assert monthly == [
        date(2023, 1, 4),
        date(2023, 2, 1),
        date(2023, 3, 1),
        date(2023, 4, 3),
        date(2023, 5, 2),
        date(2023, 6, 1),
        date(2023, 7, 3),
        date(2023, 8, 3),
        date(2023, 9, 1),
        date(2023, 10, 2),
    ]
    october = next(
        m
        for m in rows
        if m.recipient == "manager@banpet.example" and m.kind == "digest_monthly" and m.for_date == date(2023, 10, 2)
    )
    assert "เลยกำหนด – 1 รายการ" in october.body_text
    assert (
        f"{steps['3.2.7'].title}\n  กองยุทธศาสตร์และงบประมาณ · ครบกำหนด 29 ก.ย. 2566 · เลยกำหนดมาแล้ว 3 วัน"
        in october.body_text
    )
    assert "รวม: 24/25 ขั้นตอน (96%)" in october.body_text  # 26 steps, 1 cancelled, 1 open
    per_day = defaultdict(int)
    for m in rows:
        if m.kind == "reminder":
            per_day[(m.for_date, m.recipient)] += 1
    assert set(per_day.values()) == {1}
