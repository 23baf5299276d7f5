"""The mail jobs read the database in a fixed number of statements, however many
organizations share the instance (issue 6 §5: one instance for the country).

A pass over one organization and a pass over six send the same SQL, and each
organization still gets exactly its own reminders and digests.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import sqlalchemy as sa

from tests.conftest import make_user, one_measure, recorded_statements
from tracker.auth.models import Role
from tracker.db import db
from tracker.notify.digests import plan_digests
from tracker.notify.reminders import candidate_trigger, plan_reminders, reminder_horizon
from tracker.notify.rules import default_rules
from tracker.orgs.models import Department, Organization
from tracker.plans.models import Step, StepStatus
from tracker.thaidate import BANGKOK

#: Monday 3 April 2023, 08:30 in Bangkok: weekly digests and overdue reminders are due.
MONDAY = datetime(2023, 4, 3, 8, 30, tzinfo=BANGKOK)


counting = recorded_statements


def add_organization(n: int) -> Organization:
    """An organization with a manager, an owner and a plan: one step overdue, one due in
    7 business days, one due in a month, one already done."""
    org = Organization(name=f"องค์การบริหารส่วนตำบลที่ {n}", slug=f"org{n}", province="ขอนแก่น")
    dept = Department(organization=org, name="สำนักปลัด", email=f"palad@org{n}.go.th")
    measure = one_measure(org, dept, f"แผน {n}")
    for order, due in enumerate((date(2023, 3, 20), date(2023, 4, 12), date(2023, 5, 3), date(2023, 3, 1)), 1):
        Step(
            measure=measure,
            order=order,
            title=f"ขั้นตอน {order} ขององค์กร {n}",
            owner_department=dept,
            start_date=date(2023, 1, 2),
            due_date=due,
            status=StepStatus.done if order == 4 else StepStatus.not_started,
        )
    db.session.add(org)
    make_user(org, f"manager@org{n}.go.th", Role.manager)
    make_user(org, f"owner@org{n}.go.th", Role.owner, dept)
    db.session.commit()
    return org


def test_a_reminder_pass_sends_the_same_statements_for_one_organization_or_six(app, ctx):
    first = add_organization(1)
    with counting() as one:
        messages = plan_reminders(MONDAY)
    assert {(m.recipient, tuple(i.reason for i in m.items)) for m in messages} == {
        ("palad@org1.go.th", ("overdue", "before:7")),
        ("owner@org1.go.th", ("overdue", "before:7")),
    }
    for n in range(2, 7):
        add_organization(n)
    db.session.expire_all()
    with counting() as six:
        messages = plan_reminders(MONDAY)

    assert len(six) == len(one), "\n".join(six)
    assert len(messages) == 12
    number = {o.id: o.slug for o in db.session.scalars(sa.select(Organization))}
    assert all(m.recipient.endswith(f"@{number[m.organization_id]}.go.th") for m in messages)
    assert {m.organization_id for m in messages if m.recipient.endswith("@org1.go.th")} == {first.id}


def test_a_digest_pass_sends_the_same_statements_for_one_organization_or_six(app, ctx):
    add_organization(1)
    with counting() as one:
        messages = plan_digests(MONDAY)
    assert {(m.recipient, m.kind) for m in messages} == {
        ("manager@org1.go.th", "digest_weekly"),
        ("manager@org1.go.th", "digest_monthly"),
    }
    for n in range(2, 7):
        add_organization(n)
    db.session.expire_all()
    with counting() as six:
        messages = plan_digests(MONDAY)

    assert len(six) == len(one), "\n".join(six)
    assert sorted(m.recipient for m in messages) == sorted(
        f"manager@org{n}.go.th" for n in range(1, 7) for _kind in ("weekly", "monthly")
    )
    by_recipient = {m.recipient: m for m in messages if m.kind == "digest_weekly"}
    text = by_recipient["manager@org3.go.th"].body_text
    assert "ขั้นตอน 1 ขององค์กร 3" in text and "ขององค์กร 1" not in text  # its own overdue step only


def test_the_reminder_pass_reads_only_steps_whose_triggers_can_have_fired(app, ctx):
    # Default rules: 7 business days before. From Monday 3 April 2023 the 7th business
    # day after is Tuesday 18 April (Chakri Day 6 April, Songkran 13–17 April).
    rules = default_rules(1)
    horizon = reminder_horizon(rules, date(2023, 4, 3))
    assert horizon == date(2023, 4, 18)
    # A step due on the horizon is reminded that day; one due the next business day is not yet.
    assert candidate_trigger(date(2023, 4, 18), rules, date(2023, 4, 3)).reason == "before:7"
    assert candidate_trigger(date(2023, 4, 19), rules, date(2023, 4, 3)) is None


def test_queueing_many_messages_keeps_the_outbox_rules_in_a_few_statements(app, ctx):
    from tracker.notify.models import OutboxItem, OutboxMessage
    from tracker.notify.outbox import ENQUEUE_BATCH, ItemSpec, enqueue, enqueue_many

    org = add_organization(1)
    step = db.session.scalars(sa.select(Step).order_by(Step.id)).first()
    day = date(2023, 4, 3)
    existing = enqueue(
        organization_id=org.id,
        about="org:1",
        kind="reminder",
        for_date=day,
        recipient="a@x.go.th",
        subject="s",
        body_text="t",
        body_html="h",
        items=[ItemSpec(step.id, "due", day, day)],
    )

    def message(recipient: str, reason: str) -> dict:
        return dict(
            organization_id=org.id,
            about="org:1",
            kind="reminder",
            for_date=day,
            recipient=recipient,
            subject=f"ถึง {recipient}",
            body_text="t",
            body_html="h",
            items=(ItemSpec(step.id, reason, day, day),),
        )

    many = [message("a@x.go.th", "before:1"), message("B@x.go.th", "before:1"), message("b@x.go.th", "overdue")]
    many += [message(f"p{i}@x.go.th", "before:7") for i in range(ENQUEUE_BATCH + 10)]
    with counting() as statements:
        created = enqueue_many(many, now=MONDAY)

    # The existing key is skipped, a key given twice (case of the address aside) is created once,
    # and only the winners' items are recorded; in the order given.
    assert [m.recipient for m in created][:2] == ["b@x.go.th", "p0@x.go.th"]
    assert len(created) == 1 + ENQUEUE_BATCH + 10 and created[0].subject == "ถึง B@x.go.th"
    reasons = {(i.recipient, i.reason) for i in db.session.scalars(sa.select(OutboxItem))}
    assert ("a@x.go.th", "before:1") not in reasons and ("b@x.go.th", "overdue") not in reasons
    assert ("b@x.go.th", "before:1") in reasons and db.session.get(OutboxMessage, existing.id).subject == "s"
    assert len(statements) <= 6, "\n".join(statements)  # 2 inserts of messages, 1 of items, 1 read back


# -- issue 14: batches, bounded memory, one planning per command ---------------------------------


def test_a_reminder_pass_queues_in_statements_that_do_not_grow_per_message(app, ctx):
    """Reading, rendering and inserting: a pass that queues 2 messages and one that queues
    12 send the same statements (inserts go per ENQUEUE_BATCH messages, not per message)."""
    from tracker.notify.reminders import queue_reminder_batches

    add_organization(1)
    with counting() as one:
        queued = queue_reminder_batches(MONDAY)
    db.session.rollback()
    assert len(queued) == 2
    for n in range(2, 7):
        add_organization(n)
    db.session.expire_all()
    with counting() as six:
        queued = queue_reminder_batches(MONDAY)
    assert len(queued) == 12
    assert len(six) == len(one), "\n".join(six)


def test_a_pass_holds_one_batch_of_bodies_not_the_whole_country(app, ctx, monkeypatch):
    """tracemalloc over a pass of 80 messages: in batches of 4 its peak is below the peak
    of the same pass in one batch by at least half of all the rendered bodies — they are
    rendered as they are inserted, never all held at once."""
    import sys
    import tracemalloc

    from tracker.notify import outbox
    from tracker.notify.reminders import plan_reminders, queue_reminder_batches

    for n in range(1, 41):
        add_organization(n)
    bodies = sum(sys.getsizeof(m.body_text) + sys.getsizeof(m.body_html) for m in plan_reminders(MONDAY))
    queue_reminder_batches(MONDAY)  # warm: templates compiled, statements cached
    db.session.rollback()

    def peak_of_a_pass(batch: int) -> int:
        monkeypatch.setattr(outbox, "ENQUEUE_BATCH", batch)
        db.session.expire_all()
        tracemalloc.start()
        try:
            assert len(queue_reminder_batches(MONDAY)) == 80
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            db.session.rollback()

    streamed, whole = peak_of_a_pass(4), peak_of_a_pass(10_000)
    assert whole - streamed > bodies / 2, f"peak {streamed} in batches, {whole} at once, bodies {bodies}"


def test_tracker_remind_plans_once_and_reads_no_message_back(app, ctx, monkeypatch):
    """`tracker remind` plans the day once (no dry-run planning before queueing), prints
    from what it queued, and sends the same statements for 2 messages as for 12."""
    from tracker.notify import reminders

    calls = []
    real = reminders._plan_organizations

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(reminders, "_plan_organizations", counted)
    app.config["MAIL_SERVER"] = ""  # captured: no SMTP in this test
    runner = app.test_cli_runner()

    def remind(day: str):
        with counting() as statements:
            result = runner.invoke(args=["remind", "--now", day])
        assert result.exit_code == 0, result.output
        return result.output, statements

    add_organization(1)
    output, one = remind("2023-04-03T08:30")
    assert len(calls) == 1
    assert output.count("queued #") == 2 and "palad@org1.go.th" in output
    for n in range(2, 7):
        add_organization(n)
    db.session.expire_all()
    output, six = remind("2023-04-04T08:30")  # the next day: the five new organizations' first reminders
    assert len(calls) == 2
    assert output.count("queued #") == 10
    assert len(six) == len(one), "\n".join(six)


def test_a_mail_pass_switches_to_thai_once_not_per_email(app, ctx, monkeypatch):
    """Each forced locale drops the loaded catalogue: a pass of thousands of emails forces Thai
    once, around the pass, and every email inside renders in it (issue 14: a pass's CPU)."""
    from tracker import i18n
    from tracker.notify.reminders import queue_reminder_batches

    for n in range(1, 5):
        add_organization(n)
    forced: list[str] = []
    real = i18n.force_locale

    def counted(locale):
        forced.append(locale)
        return real(locale)

    monkeypatch.setattr(i18n, "force_locale", counted)
    with app.test_request_context("/?lang=en"):  # even from an English page
        queued = queue_reminder_batches(MONDAY)
    assert len(queued) == 8 and forced == ["th"]
    db.session.rollback()


def test_a_reminder_pass_reads_only_the_history_its_triggers_can_match(app, ctx):
    """Months of weekly reminders of a long-overdue step are not read back on every pass:
    the given reminders are read from the earliest of today's triggers on."""
    add_organization(1)
    with counting() as statements:
        plan_reminders(MONDAY)
    # the step ids are one bound list: `step_id IN (SELECT value FROM json_each(?))` on SQLite,
    # `step_id = ANY (...)` on PostgreSQL (tracker/bulk.among)
    history = [s for s in statements if "FROM outbox_items" in s and re.search(r"outbox_items\.step_id (IN|= ANY)", s)]
    assert len(history) == 1 and "outbox_items.trigger_date >=" in history[0], history
