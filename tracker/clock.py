"""The one clock. Pages and commands read the time only through `now()`,
`today()` and `utcnow()`, so a test freezes it with
`monkeypatch.setattr(clock, "now", ...)`; jobs take `now` as an argument and
turn it into Bangkok time with `local_now()`/`local_day()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

#: Thai local governments keep Bangkok time (UTC+7, no daylight saving).
BANGKOK = ZoneInfo("Asia/Bangkok")


def now() -> datetime:
    """Current time, aware, in Asia/Bangkok."""
    return datetime.now(BANGKOK)


def today() -> date:
    """Today's date in Bangkok, from now()."""
    return now().astimezone(BANGKOK).date()


def utcnow() -> datetime:
    """Current time, aware, in UTC (datetime.utcnow() is naive and deprecated)."""
    return datetime.now(UTC)


def local_now(moment: datetime) -> datetime:
    """`moment` in Bangkok; refuses naive datetimes, which would be ambiguous."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(BANGKOK)


def local_day(moment: datetime) -> date:
    """The Bangkok date of an aware datetime."""
    return local_now(moment).date()
