"""The domain rules that every page, email, report and API answer share:
when a step is open, when it is overdue, and how progress is counted and
rounded. Each is written once, on the model, and means the same in Python and
in SQL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.db import db
from tracker.plans.models import OPEN_STATUSES, Step, StepStatus
from tracker.plans.progress import Progress

DAY = date(2023, 8, 15)


def _set(world, statuses_and_dues):
    steps = world.m1.steps + world.m2.steps
    for step, (status, due) in zip(steps, statuses_and_dues, strict=True):
        step.status, step.due_date = status, due
    db.session.commit()
    return steps


@pytest.mark.parametrize(
    "status, due, is_open, overdue",
    [
        (StepStatus.not_started, date(2023, 8, 14), True, True),
        (StepStatus.in_progress, date(2023, 8, 14), True, True),
        (StepStatus.not_started, DAY, True, False),  # due today is not late yet
        (StepStatus.in_progress, date(2023, 8, 16), True, False),
        (StepStatus.done, date(2023, 1, 1), False, False),
        (StepStatus.cancelled, date(2023, 1, 1), False, False),
    ],
)
def test_open_and_overdue_in_python(status, due, is_open, overdue):
    step = Step(status=status, due_date=due)
    assert (step.is_open, step.is_overdue(DAY), status.is_open) == (is_open, overdue, is_open)


def test_open_and_overdue_mean_the_same_in_sql(world):
    steps = _set(
        world,
        [
            (StepStatus.not_started, date(2023, 8, 14)),
            (StepStatus.in_progress, DAY),
            (StepStatus.done, date(2023, 7, 31)),
            (StepStatus.cancelled, date(2023, 3, 31)),
            (StepStatus.in_progress, date(2023, 8, 1)),
        ],
    )
    in_sql_open = set(db.session.scalars(sa.select(Step.id).where(Step.is_open)))
    in_sql_overdue = set(db.session.scalars(sa.select(Step.id).where(Step.is_overdue(DAY))))
    assert in_sql_open == {s.id for s in steps if s.is_open} == {steps[0].id, steps[1].id, steps[4].id}
    assert in_sql_overdue == {s.id for s in steps if s.is_overdue(DAY)} == {steps[0].id, steps[4].id}
    assert set(OPEN_STATUSES) == {StepStatus.not_started, StepStatus.in_progress}


@pytest.mark.parametrize(
    "done, total, percent",
    [
        (0, 0, 0),
        (0, 5, 0),
        (1, 8, 13),  # 12.5 rounds half up
        (3, 8, 38),  # 37.5 rounds half up
        (1, 3, 33),
        (2, 3, 67),
        (1, 2, 50),
        (199, 200, 99),  # 99.5 would round to 100: 100 % is kept for "all done"
        (5, 5, 100),
    ],
)
def test_progress_percent_rounds_half_up_and_100_means_finished(done, total, percent):
    assert Progress(done, total).percent == percent


def test_progress_counts_statuses_and_leaves_cancelled_steps_out():
    statuses = [StepStatus.done, StepStatus.done, StepStatus.cancelled, StepStatus.in_progress, StepStatus.not_started]
    p = Progress.of(statuses)
    assert (p.done, p.total, p.cancelled, p.percent) == (2, 4, 1, 50)
    assert Progress.from_counts({StepStatus.done: 2, StepStatus.cancelled: 1, StepStatus.in_progress: 2}) == p
    assert p + Progress(1, 2, 0) == Progress(3, 6, 1)
    assert sum([p, p], Progress()) == Progress(4, 8, 2)
