"""The dashboard's progress chart: steps planned to be done by each month's end
against steps actually done (a burn-up), as geometry for an inline SVG.

No JavaScript: the template draws the lines from the points computed here,
and the same figures are printed as a table for screen readers and for
anyone who prefers numbers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from .. import thaidate
from ..db import db
from .models import Measure, Step, StepStatus, Weakness

#: SVG user units; the picture scales with its box (see .chart in app.css).
WIDTH, HEIGHT = 480, 250
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 14, 54
#: A plan whose steps spread over more months than this is drawn over its last ones.
MAX_MONTHS = 24


@dataclass
class Month:
    label: str  #: "ต.ค." / "Oct"
    year: str  #: BE year, shown under January and under the first month
    last_day: date
    planned: int  #: steps due by the month's last day
    done: int | None  #: steps done by then; None for months still to come
    x: float  #: the column's centre, where the label goes
    end_x: float  #: the column's right edge: the month's last day, where its points go


@dataclass
class ProgressChart:
    months: list[Month]
    total: int  #: steps that count (cancelled ones do not)
    done_now: int
    planned_now: int  #: steps due by today
    today: date
    y_ticks: list[tuple[float, int]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM
    today_x: float | None = None

    planned_before: int = 0  #: steps due before the first month
    done_before: int = 0

    @property
    def planned_points(self) -> str:
        points = [(self.left, self.planned_before)] + [(m.end_x, m.planned) for m in self.months]
        return " ".join(f"{x:.1f},{self._y(v):.1f}" for x, v in points)

    @property
    def done_points(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in [(self.left, self._y(self.done_before)), *self.done_markers])

    @property
    def done_markers(self) -> list[tuple[float, float]]:
        return [(m.end_x, self._y(m.done)) for m in self.months if m.done is not None]

    def _y(self, value: int) -> float:
        span = self.bottom_edge - self.top
        return self.bottom_edge - (span * value / self.total if self.total else 0)


def _bangkok_date(value: datetime) -> date:
    return value.astimezone(thaidate.BANGKOK).date() if value.tzinfo else value.date()


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _months(first: date, last: date) -> list[tuple[int, int]]:
    months, (y, m) = [], (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months[-MAX_MONTHS:]


def progress_chart(
    plan_id: int, fiscal_year: int, today: date, *, lang: str = "th", thai_digits: bool = False
) -> ProgressChart | None:
    """The burn-up of a plan as of `today`; None when the plan has no step that counts."""
    return chart_of(step_rows(plan_id), fiscal_year, today, lang=lang, thai_digits=thai_digits)


def step_rows(plan_id: int) -> list[sa.Row]:
    """(due_date, status, completed_at) of the plan's steps that count (not cancelled): what the
    chart draws, and what the dashboard's overdue and due-soon counts are made of."""
    return list(
        db.session.execute(
            sa.select(Step.due_date, Step.status, Step.completed_at)
            .join(Step.measure)
            .join(Measure.weakness)
            .where(Weakness.plan_id == plan_id, Step.status != StepStatus.cancelled)
        ).all()
    )


def chart_of(
    rows: list[sa.Row], fiscal_year: int, today: date, *, lang: str = "th", thai_digits: bool = False
) -> ProgressChart | None:
    """The burn-up drawn from `step_rows`; None when there are none."""
    if not rows:
        return None
    due = sorted(r.due_date for r in rows)
    done_on = sorted(
        _bangkok_date(r.completed_at) for r in rows if r.status == StepStatus.done and r.completed_at is not None
    )
    fy_start, fy_end = thaidate.fiscal_year_bounds(fiscal_year)
    # Steps finished after the fiscal year (late work still counts) stretch the chart to their month,
    # so its last point is the caption's "done by today".
    last = max(fy_end, due[-1], *(d for d in done_on[-1:] if d <= today))
    months = _months(min(fy_start, due[0]), last)
    names = thaidate.MONTHS_ABBR_EN if lang == "en" else thaidate.MONTHS_ABBR
    digits = thaidate.to_thai_digits if thai_digits else str
    column = (WIDTH - RIGHT - LEFT) / len(months)
    chart_months = []
    for i, (y, m) in enumerate(months):
        last_day = _month_end(y, m)
        started = date(y, m, 1) <= today
        chart_months.append(
            Month(
                label=names[m - 1],
                year=digits(str(y + thaidate.BE_OFFSET)) if (i == 0 or m == 1) else "",
                last_day=last_day,
                planned=sum(1 for d in due if d <= last_day),
                done=sum(1 for d in done_on if d <= min(last_day, today)) if started else None,
                x=LEFT + column * (i + 0.5),
                end_x=LEFT + column * (i + 1),
            )
        )
    total = len(rows)
    half = total // 2
    chart = ProgressChart(
        months=chart_months,
        total=total,
        today=today,
        done_now=sum(1 for d in done_on if d <= today),
        planned_now=sum(1 for d in due if d <= today),
        y_ticks=[],
        planned_before=sum(1 for d in due if d < date(months[0][0], months[0][1], 1)),
        done_before=sum(1 for d in done_on if d < date(months[0][0], months[0][1], 1)),
    )
    chart.y_ticks = [(chart._y(v), v) for v in sorted({0, half, total})]
    first_day = date(months[0][0], months[0][1], 1)
    if first_day <= today <= chart_months[-1].last_day:
        # Where today falls inside its month's column.
        index = next(i for i, mo in enumerate(chart_months) if today <= mo.last_day)
        fraction = today.day / chart_months[index].last_day.day
        chart.today_x = LEFT + column * (index + fraction)
    return chart
