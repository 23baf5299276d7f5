"""Periods written as text, and due dates spread over a measure's period."""

from datetime import date, timedelta

from ...i18n import _
from ...thaidate import (
    DateParseError,
    PeriodError,
    parse_date,
    parse_period,
    spread_due_dates,
)


def parse_period_text(text: str) -> tuple[date, date]:
    """A period as officers write it ("ก.ค. - ก.ย. ๒๕๖๖"), or two dates joined by
    "–" or "ถึง" ("2023-07-15 – 2023-09-20", "15/07/2566 ถึง 20/09/2566"),
    which is how a period not made of whole months is written in one cell."""
    try:
        return parse_period(text)
    except PeriodError as first_error:
        for sep in ("ถึง", "\u2013", "\u2014", " - ", " to "):
            if sep in text:
                left, _unused, right = text.partition(sep)
                try:
                    start, end = parse_date(left), parse_date(right)
                except DateParseError:
                    continue
                if start > end:
                    raise PeriodError(_("ช่วงเวลาสิ้นสุดก่อนเริ่มต้น: '%(text_strip)s'", text_strip=text.strip())) from None
                return start, end
        raise first_error


def resolve_due_dates(period_start: date, period_end: date, given: list[date | None]) -> list[date]:
    """Due dates for a measure's steps, in order.

    A given due date is kept as it is. Each run of consecutive steps without
    one is spread with `thaidate.spread_due_dates` (business days, evenly)
    over the gap its neighbours leave:

    * from the day after the previous given due date (or from the period
      start when there is none),
    * up to the next given due date (or the period end when there is none).

    A run that ends before a given date is spread as if that step were one
    more step of the run, and that last date is dropped, so the run finishes
    before the given date rather than on it. A run at the end of the measure
    therefore finishes on the last business day of the period, exactly as
    when no step has a date at all. Dates stay non-decreasing as long as the
    given ones are. When the neighbours leave no room (given dates out of
    order, or on consecutive days), the run takes the previous given date.
    """
    out: list[date | None] = list(given)
    k = 0
    n = len(given)
    while k < n:
        if given[k] is not None:
            k += 1
            continue
        run_end = k
        while run_end < n and given[run_end] is None:
            run_end += 1
        previous = given[k - 1] if k > 0 else None
        following = given[run_end] if run_end < n else None
        low = previous + timedelta(days=1) if previous else period_start
        high = following if following else period_end
        count = run_end - k
        if low > high:
            dates = [previous or high] * count
        else:
            extra = 1 if following else 0
            dates = spread_due_dates(low, high, count + extra)[:count]
        out[k:run_end] = dates
        k = run_end
    return out  # type: ignore[return-value]
