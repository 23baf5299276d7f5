"""Statements over thousands of rows (tracker/bulk.py): the same answers as the
ordinary statements, in one short statement whatever the number of values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from conftest import recorded_statements

from tracker import bulk
from tracker.auth.models import User
from tracker.db import db, table_of
from tracker.notify.models import OutboxItem, OutboxMessage, OutboxStatus
from tracker.notify.outbox import ITEM_KEY, KEY

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)


def message(n: int, **fields) -> dict:
    values = dict(
        organization_id=None,
        about="org:1",
        kind="reminder",
        for_date=date(2026, 11, 30),
        recipient=f"user{n}@example.go.th",
        channel="email",
        recipient_name=f"เจ้าหน้าที่ {n} \"ฝ่าย\" \\ {{'x'}}",
        user_id=None,
        subject=f"แจ้งเตือน {n}",
        body_text="บรรทัด ๑\nline 2\t\\u0000 😀 end\r\n" if n % 2 else "",
        body_html=f"<p>{n}</p>",
        message_id=f"<m{n}@test>",
        line_to=None,
        line_messages=None,
    )
    values.update(fields)
    return values


CONSTANTS = dict(status=OutboxStatus.pending, attempts=0, next_attempt_at=NOW, created_at=NOW)


def insert(rows: list[dict]) -> list[tuple]:
    return bulk.insert_rows(table_of(OutboxMessage), rows, conflict=KEY, returning=("id", *KEY), constants=CONSTANTS)


def test_insert_rows_writes_every_value_as_the_orm_reads_it(ctx):
    rows = [message(n) for n in range(5)]
    returned = insert(rows)
    db.session.flush()

    assert sorted(r[1:] for r in returned) == sorted(tuple(m[k] for k in KEY) for m in rows)
    by_id = {m.id: m for m in db.session.scalars(sa.select(OutboxMessage))}
    assert set(by_id) == {r[0] for r in returned}
    for (new_id, *_key), given in zip(sorted(returned, key=lambda r: r[4]), sorted(rows, key=lambda m: m["recipient"])):
        row = by_id[new_id]
        assert {k: getattr(row, k) for k in given} == given
        assert (row.status, row.attempts, row.next_attempt_at, row.created_at) == (OutboxStatus.pending, 0, NOW, NOW)
        assert row.for_date == date(2026, 11, 30) and isinstance(row.for_date, date)
        assert row.claimed_by is None and row.sent_at is None


def test_insert_rows_skips_what_conflicts_and_returns_only_the_new(ctx):
    first = insert([message(n) for n in range(3)])
    again = insert([message(n, subject="อีกครั้ง") for n in range(2, 6)])  # 2 exists already
    db.session.flush()

    assert sorted(r[4] for r in again) == [f"user{n}@example.go.th" for n in range(3, 6)]
    assert not {r[0] for r in first} & {r[0] for r in again}
    subjects = dict(db.session.execute(sa.select(OutboxMessage.recipient, OutboxMessage.subject)).all())
    assert subjects["user2@example.go.th"] == "แจ้งเตือน 2"  # kept, not overwritten
    assert len(subjects) == 6


def test_insert_rows_is_one_short_statement_per_batch(ctx, monkeypatch):
    rows = [message(n) for n in range(300)]
    with recorded_statements() as statements:
        insert(rows)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    if db.engine.dialect.name == "postgresql":
        assert len(inserts) == 1 and len(inserts[0]) < 4096  # short enough for psycopg's statement cache
    else:
        assert len(inserts) == 1
    # On SQLite a batch over the parameter limit is cut into several statements, and nothing is lost.
    monkeypatch.setattr(bulk, "SQLITE_PARAMETERS", 18 * 40)
    more = [message(n, about="org:2", message_id=f"<m2.{n}@test>") for n in range(300)]
    with recorded_statements() as statements:
        returned = insert(more)
    assert len(returned) == 300
    if db.engine.dialect.name == "sqlite":
        assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 8


def test_insert_rows_without_returning(ctx, world):
    [(message_id, *_key)] = insert([message(1)])
    steps = [s.id for s in world.m1.steps]
    items = [
        dict(message_id=message_id, recipient="a@x", step_id=step_id, reason="due", trigger_date=date(2026, 11, 30))
        | {"due_date": date(2026, 11, 30)}
        for step_id in steps
    ]
    assert bulk.insert_rows(table_of(OutboxItem), items, conflict=ITEM_KEY) == []
    assert bulk.insert_rows(table_of(OutboxItem), items[:1], conflict=ITEM_KEY) == []  # given already: skipped
    assert bulk.insert_rows(table_of(OutboxItem), [], conflict=ITEM_KEY) == []
    db.session.flush()
    stored = db.session.execute(sa.select(OutboxItem.step_id, OutboxItem.due_date, OutboxItem.message_id)).all()
    assert sorted(stored) == [(step_id, date(2026, 11, 30), message_id) for step_id in sorted(steps)]


@pytest.mark.parametrize("count", [0, 1, 7, 12_000])
def test_among_gives_what_in_gives_in_one_parameter(ctx, world, count):
    ids = [u.id for u in db.session.scalars(sa.select(User))]
    wanted = (ids * (count // max(1, len(ids)) + 1))[:count] + list(range(10**6, 10**6 + count))
    with recorded_statements() as statements:
        got = set(db.session.scalars(sa.select(User.id).where(bulk.among(User.id, wanted))))
    assert got == set(ids) & set(wanted)
    assert len(statements) == 1 and len(statements[0]) < 1000


def test_among_strings(ctx, world):
    emails = [u.email for u in db.session.scalars(sa.select(User))]
    assert set(db.session.scalars(sa.select(User.email).where(bulk.among(User.email, [emails[0], "x'y@z"])))) == {
        emails[0]
    }


def test_distinct_values_are_what_select_distinct_gives(ctx, world):
    from tracker.orgs.models import Organization
    from tracker.plans.models import Plan

    for n, (province, year) in enumerate([(" ขอนแก่น", 2567), ("ขอนแก่น", 2568), ("", 2569), ("ชัยภูมิ ", 2568)]):
        org = Organization(name=f"อบต. {n}", slug=f"org{n}", province=province)
        db.session.add_all([org, Plan(organization=org, fiscal_year=year, title="แผน")])
    db.session.commit()

    for column in (Plan.fiscal_year, Organization.slug):
        with recorded_statements() as statements:
            got = bulk.distinct_values(column)
        assert got == sorted(db.session.scalars(sa.select(column).distinct()))
        assert len(statements) == 1
    # With a condition on each value: the years some plan of the world's organization has.
    assert bulk.distinct_values(
        Plan.fiscal_year,
        having=lambda y: sa.exists().where(Plan.fiscal_year == y, Plan.organization_id == world.org.id),
    ) == [2566]


def test_the_collector_is_paused_during_a_pass_and_back_after_the_last_one():
    """Nested or concurrent passes leave the collector as it was before the first began."""
    import gc
    import threading

    assert gc.isenabled()
    outer_started, inner_done = threading.Event(), threading.Event()

    def other_pass():
        outer_started.wait(5)
        with bulk.collector_paused():
            assert not gc.isenabled()
        inner_done.set()

    worker = threading.Thread(target=other_pass)
    worker.start()
    with bulk.collector_paused():
        outer_started.set()
        inner_done.wait(5)
        assert not gc.isenabled()  # the other pass ended first: still paused for this one
    worker.join(5)
    assert gc.isenabled()

    gc.disable()  # whoever disabled it before keeps it so
    try:
        with bulk.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_pass_renders_and_inserts_with_the_collector_paused(ctx):
    """enqueue_planned takes the planned messages (rendered as they are taken) with the
    collector paused, and restores it even when rendering fails."""
    import gc

    from tracker.notify.render import enqueue_planned

    seen = []

    def planned():
        seen.append(gc.isenabled())
        raise ValueError("a template failed")
        yield

    with pytest.raises(ValueError):
        enqueue_planned(planned(), NOW)
    assert seen == [False] and gc.isenabled()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
