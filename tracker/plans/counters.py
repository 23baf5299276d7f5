"""Per-plan counters (`PlanCounter`, `PlanDueCount`), kept in the same transaction
as the change that moves them.

Rather than adding and subtracting at each call site (an importer, a rollover,
a status change, a deleted measure, a moved due date… every one a chance to
drift), a session hook notes which plans a flush touches — steps added, deleted
or changed in status, due date or measure; measures or weaknesses moved or
deleted; progress journaled — and recounts just those plans after the flush,
on the flush's own connection. A recount of one plan reads its few dozen steps
by index, so a step change costs a handful of small statements, and the
overview reads one row per plan however large the country.

Writes that bypass the ORM (the benchmark generator's bulk inserts, a
migration) call `rebuild()`; `mismatches()` compares the stored counters with
a full recount (the tests and `tracker counters --check` use it).

"Overdue" depends on the day. `PlanDueCount` keeps open steps per due date, and
`PlanCounter.overdue` their sum before `overdue_on`: written by every recount for
the day it runs, and for every plan by `refresh_overdue`, which the scheduler runs
at each beat (a no-op once the day is written). A reader asking about that day
reads the column; about any other day it sums the due counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, attributes

from .. import clock
from ..db import table_of
from .models import (
    OPEN_STATUSES,
    PROGRESS_ACTIONS,
    JournalEntry,
    Measure,
    Plan,
    PlanCounter,
    PlanDueCount,
    Step,
    StepStatus,
    Weakness,
)

#: session.info key of the plans a flush touched
_PENDING = "plan_counters_pending"
#: Plans recounted per statement (IN lists stay well under every backend's limits)
BATCH = 2000

CounterRow = tuple[int, int, int, datetime | None]  # total, done, started, last_activity


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), BATCH):
        yield ordered[start : start + BATCH]


def recount(
    conn: sa.Connection, plan_ids: list[int] | None
) -> tuple[dict[int, CounterRow], dict[tuple[int, date], int]]:
    """The counters as the steps and the journal say they are (None: every plan)."""
    step_plan = (
        sa.select(Weakness.plan_id, Step.id, Step.status, Step.due_date)
        .select_from(Step)
        .join(Measure, Step.measure_id == Measure.id)
        .join(Weakness, Measure.weakness_id == Weakness.id)
    )
    if plan_ids is not None:
        step_plan = step_plan.where(Weakness.plan_id.in_(plan_ids))
    sp = step_plan.subquery("sp")
    totals = conn.execute(
        sa.select(
            sp.c.plan_id,
            _count(sp.c.status != StepStatus.cancelled),
            _count(sp.c.status == StepStatus.done),
            _count(sp.c.status.in_((StepStatus.in_progress, StepStatus.done))),
        ).group_by(sp.c.plan_id)
    ).all()
    activity: dict[int, Any] = dict(
        conn.execute(
            sa.select(sp.c.plan_id, sa.func.max(JournalEntry.created_at))
            .select_from(JournalEntry)
            .join(sp, JournalEntry.step_id == sp.c.id)
            .where(JournalEntry.action.in_(PROGRESS_ACTIONS))
            .group_by(sp.c.plan_id)
        ).all()
    )
    counters: dict[int, CounterRow] = {
        plan_id: (int(total), int(done), int(started), activity.pop(plan_id, None))
        for plan_id, total, done, started in totals
    }
    due = {
        (plan_id, due_date): int(n)
        for plan_id, due_date, n in conn.execute(
            sa.select(sp.c.plan_id, sp.c.due_date, sa.func.count())
            .where(sp.c.status.in_(OPEN_STATUSES))
            .group_by(sp.c.plan_id, sp.c.due_date)
        )
    }
    return counters, due


def store(conn: sa.Connection, plan_ids: list[int] | None) -> None:
    """Recount the given plans (None: all) and replace their stored rows."""
    if plan_ids and conn.dialect.name == "postgresql":
        # Two transactions changing steps of the same plans recount them one after the other, in
        # the same order: without this lock they delete and re-insert the same counter rows in
        # turns and PostgreSQL finds a deadlock (tests/test_backup_under_load.py).
        conn.execute(
            sa.select(table_of(Plan).c.id)
            .where(table_of(Plan).c.id.in_(sorted(plan_ids)))
            .order_by("id")
            .with_for_update()
        )
    counters, due = recount(conn, plan_ids)
    day = clock.today()
    overdue: dict[int, int] = defaultdict(int)
    for (plan_id, due_date), n in due.items():
        if due_date < day:
            overdue[plan_id] += n
    counter_table, due_table = table_of(PlanCounter), table_of(PlanDueCount)
    if plan_ids is None:
        conn.execute(counter_table.delete())
        conn.execute(due_table.delete())
    else:
        conn.execute(counter_table.delete().where(counter_table.c.plan_id.in_(plan_ids)))
        conn.execute(due_table.delete().where(due_table.c.plan_id.in_(plan_ids)))
    if counters:
        conn.execute(
            counter_table.insert(),
            [
                {
                    "plan_id": p,
                    "total": t,
                    "done": d,
                    "started": s,
                    "last_activity": a,
                    "overdue": overdue.get(p, 0),
                    "overdue_on": day,
                }
                for p, (t, d, s, a) in counters.items()
            ],
        )
    if due:
        conn.execute(due_table.insert(), [{"plan_id": p, "due_date": d, "open_steps": n} for (p, d), n in due.items()])


def overdue_sum(plan_id: sa.SQLColumnExpression[int], day: date) -> sa.ColumnElement[int]:
    """A plan's open steps due before `day`, summed from its due counts (primary-key reads)."""
    return sa.func.coalesce(
        sa.select(sa.func.sum(PlanDueCount.open_steps))
        .where(PlanDueCount.plan_id == plan_id, PlanDueCount.due_date < day)
        .scalar_subquery(),
        0,
    )


def refresh_overdue(conn: sa.Connection, day: date) -> int:
    """Write every plan's overdue count for `day` where it is of another day; returns how
    many rows changed (0 on every beat after the day's first)."""
    table = table_of(PlanCounter)
    result = conn.execute(
        table.update()
        .where(table.c.overdue_on.is_distinct_from(day))
        .values(overdue=overdue_sum(table.c.plan_id, day), overdue_on=day)
    )
    return result.rowcount


def rebuild(conn: sa.Connection) -> None:
    """Every plan's counters from scratch (after bulk writes that bypass the ORM)."""
    store(conn, None)


def stored(conn: sa.Connection) -> tuple[dict[int, CounterRow], dict[tuple[int, date], int]]:
    counters = {
        row.plan_id: (row.total, row.done, row.started, row.last_activity)
        for row in conn.execute(sa.select(table_of(PlanCounter)))
    }
    due = {(row.plan_id, row.due_date): row.open_steps for row in conn.execute(sa.select(PlanDueCount.__table__))}
    return counters, due


def mismatches(conn: sa.Connection) -> list[str]:
    """Where the stored counters differ from a full recount (empty: they agree)."""
    have_counters, have_due = stored(conn)
    want_counters, want_due = recount(conn, None)
    problems = []
    for plan_id in sorted(set(have_counters) | set(want_counters)):
        if have_counters.get(plan_id) != want_counters.get(plan_id):
            problems.append(
                f"plan {plan_id}: stored {have_counters.get(plan_id)}, counted {want_counters.get(plan_id)}"
            )
    for key in sorted(set(have_due) | set(want_due)):
        if have_due.get(key) != want_due.get(key):
            problems.append(f"plan {key[0]} due {key[1]}: stored {have_due.get(key)}, counted {want_due.get(key)}")
    # The kept overdue count of each plan, against its due counts recounted, for the day it names.
    due_of: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for (p, d), n in want_due.items():
        due_of[p].append((d, n))
    for plan_id, overdue, day in conn.execute(
        sa.select(PlanCounter.plan_id, PlanCounter.overdue, PlanCounter.overdue_on).where(
            PlanCounter.overdue_on.is_not(None)
        )
    ):
        assert day is not None  # by the WHERE
        counted = sum([n for d, n in due_of.get(plan_id, []) if d < day])
        if overdue != counted:
            problems.append(f"plan {plan_id}: {overdue} overdue stored for {day}, counted {counted}")
    return problems


# -- the session hook ------------------------------------------------------------------------


def _old(obj: object, key: str) -> object:
    """The value a column had when loaded (None for an object not yet in the database)."""
    history = attributes.get_history(obj, key)
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return None


def _changed(obj: object, *keys: str) -> bool:
    return any(attributes.get_history(obj, key).has_changes() for key in keys)


@event.listens_for(Session, "before_flush")
def _note_touched_plans(session: Session, _context, _instances) -> None:
    """Before the flush: the plans that objects are about to leave (their old parents,
    resolved while those rows still exist), and the objects whose new plan is read after it."""
    pending = session.info.setdefault(_PENDING, {"plans": set(), "later": []})
    old_measures: set[int] = set()
    old_weaknesses: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        deleted = obj in session.deleted
        new = obj in session.new
        if isinstance(obj, Step):
            if not (new or deleted or _changed(obj, "status", "due_date", "measure_id", "measure")):
                continue
            if not new and (old := _old(obj, "measure_id")) is not None:
                old_measures.add(int(old))  # type: ignore[call-overload]  # a history value is typed object
        elif isinstance(obj, Measure):
            if not (new or deleted or _changed(obj, "weakness_id", "weakness")):
                continue
            if not new and (old := _old(obj, "weakness_id")) is not None:
                old_weaknesses.add(int(old))  # type: ignore[call-overload]  # a history value is typed object
            if not new and obj.id is not None:
                old_measures.add(obj.id)
        elif isinstance(obj, Weakness):
            if not (new or deleted or _changed(obj, "plan_id", "plan")):
                continue
            if not new and (old := _old(obj, "plan_id")) is not None:
                pending["plans"].add(old)
        elif isinstance(obj, JournalEntry):
            if not new or obj.action not in PROGRESS_ACTIONS:
                continue
        else:
            continue
        if not deleted:
            pending["later"].append(obj)
    if old_measures or old_weaknesses:
        with session.no_autoflush:
            where = []
            if old_measures:
                where.append(
                    Weakness.id.in_(sa.select(Measure.weakness_id).where(Measure.id.in_(sorted(old_measures))))
                )
            if old_weaknesses:
                where.append(Weakness.id.in_(sorted(old_weaknesses)))
            pending["plans"].update(session.execute(sa.select(Weakness.plan_id).where(sa.or_(*where))).scalars())


@event.listens_for(Session, "after_flush_postexec")
def _recount_touched_plans(session: Session, _context) -> None:
    """After the flush, on its connection: recount every plan noted (one plan for a step change)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    plans: set[int] = set(pending["plans"])
    by_class: dict[type, set[int]] = defaultdict(set)
    for obj in pending["later"]:
        if isinstance(obj, Step) and obj.measure_id is not None:
            by_class[Measure].add(obj.measure_id)
        elif isinstance(obj, Measure) and obj.weakness_id is not None:
            by_class[Weakness].add(obj.weakness_id)
        elif isinstance(obj, Weakness) and obj.plan_id is not None:
            plans.add(obj.plan_id)
        elif isinstance(obj, JournalEntry) and obj.step_id is not None:
            by_class[Step].add(obj.step_id)
    conn = session.connection()
    where = []
    if by_class[Step]:
        where.append(
            Measure.id.in_(sa.select(Step.measure_id).where(Step.id.in_(sorted(by_class[Step]))).scalar_subquery())
        )
    if by_class[Measure]:
        where.append(Measure.id.in_(sorted(by_class[Measure])))
    if where:
        plans.update(
            conn.scalars(
                sa.select(Weakness.plan_id).join(Measure, Measure.weakness_id == Weakness.id).where(sa.or_(*where))
            )
        )
    if by_class[Weakness]:
        plans.update(conn.scalars(sa.select(Weakness.plan_id).where(Weakness.id.in_(sorted(by_class[Weakness])))))
    for chunk in _chunks(plans):
        store(conn, chunk)


@event.listens_for(Session, "after_soft_rollback")
def _forget_touched_plans(session: Session, _previous_transaction) -> None:
    """A failed flush leaves nothing to recount: its changes are gone."""
    session.info.pop(_PENDING, None)
