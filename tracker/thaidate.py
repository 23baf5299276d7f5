"""Thai calendar helpers: Buddhist Era years, Thai digits and month names,
fiscal years, business days and the period notation officers write in plans.

Conventions used throughout:

* Years shown to or read from users are Buddhist Era (BE = CE + 543), except
  ISO dates (``2023-08-15``), which are Gregorian.
* Fiscal year (ปีงบประมาณ) N runs 1 Oct BE N-1 .. 30 Sep BE N.
* Business days are Mon–Fri minus Thai public holidays as listed by the
  ``holidays`` package (country TH), including in-lieu and bridge days.
* Displayed times are Asia/Bangkok. Aware datetimes are converted to Bangkok;
  naive datetimes are taken as Bangkok wall time already (attach
  ``tzinfo=timezone.utc`` before formatting if you stored naive UTC).
* Parsers raise only their own error (``PeriodError`` / ``DateParseError``,
  both ``ValueError``) with a Thai message followed by English in
  parentheses, so forms can show the message as is.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from .clock import BANGKOK
from .i18n import _, is_english

__all__ = [
    "BANGKOK",
    "THAI_DIGITS",
    "MONTHS_FULL",
    "MONTHS_ABBR",
    "MONTHS_FULL_EN",
    "MONTHS_ABBR_EN",
    "to_thai_digits",
    "to_arabic_digits",
    "be_year",
    "format_date",
    "format_datetime",
    "format_period",
    "PeriodError",
    "parse_period",
    "DateParseError",
    "parse_date",
    "fiscal_year",
    "fiscal_year_bounds",
    "fiscal_half",
    "is_business_day",
    "next_business_day",
    "previous_business_day",
    "add_business_days",
    "business_days_count",
    "business_days_between",
    "spread_due_dates",
]

BE_OFFSET = 543
# Plausible BE years; outside this a year is almost surely a CE year typed by mistake.
MIN_BE_YEAR = 2400
MAX_BE_YEAR = 2700

# ---------------------------------------------------------------------------
# Digits and month names
# ---------------------------------------------------------------------------

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")


def to_thai_digits(s: str) -> str:
    """Replace ASCII digits 0-9 with Thai digits; everything else unchanged."""
    return s.translate(_TO_THAI)


def to_arabic_digits(s: str) -> str:
    """Replace Thai digits with ASCII digits; everything else unchanged."""
    return s.translate(_TO_ARABIC)


# A number standing on its own ("พ.ศ. 2566", "2.1"), not part of a code such as "O43" or "ITA-2566".
_FREE_NUMBER = re.compile(r"(?<![A-Za-z0-9_\-])[0-9]+(?:[.,:/][0-9]+)*")


def text_digits(s: str, thai_digits: bool) -> str:
    """Typed text in the reader's digits, so a page never shows "พ.ศ. ๒๕๖๖" above "พ.ศ. 2566".

    Thai digits become Arabic for a reader of Arabic digits; for a reader of Thai digits only free-standing
    numbers change (a code like "O43" keeps its digits). Display only: stored text stays as typed.
    """
    if not thai_digits:
        return to_arabic_digits(s)
    return _FREE_NUMBER.sub(lambda m: to_thai_digits(m.group(0)), s)


MONTHS_FULL = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
]
MONTHS_ABBR = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
]
# The English interface keeps Buddhist-Era years (the product is Thai; a CE
# year next to BE fiscal years would confuse) and only names months in English.
MONTHS_FULL_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
MONTHS_ABBR_EN = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
]


def _month_names(style: str, lang: str) -> list[str]:
    if lang == "en":
        return MONTHS_FULL_EN if style == "full" else MONTHS_ABBR_EN
    return MONTHS_FULL if style == "full" else MONTHS_ABBR


# Parsers compare month words after removing dots and whitespace, so
# "ม.ค.", "ม.ค", "มค." and "ม. ค." all become "มค".
_MONTH_KEYS: dict[str, int] = {}
for _i, (_full, _abbr) in enumerate(zip(MONTHS_FULL, MONTHS_ABBR), start=1):
    _MONTH_KEYS[_full] = _i
    _MONTH_KEYS[_abbr.replace(".", "")] = _i
_MONTH_KEYS["กุมภาพันธ"] = 2  # common slip: missing thanthakhat
# Longest first so a full name is never cut short by an abbreviation.
_MONTH_RE = "|".join(sorted(map(re.escape, _MONTH_KEYS), key=len, reverse=True))

# Zero-width characters show up in text pasted from Word/PDF and are invisible.
_STRIP_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_DASH_RE = r"(?:[-\u2010\u2011\u2012\u2013\u2014\u2212]|ถึง)"
_BE_MARK = r"(?:พศ)?"  # optional "พ.ศ." before a year (dots already removed)


def _squeeze(text: str) -> str:
    """Arabic digits, no whitespace: the canonical form parsers match against."""
    return _STRIP_RE.sub("", to_arabic_digits(text))


def _shown(text: str, limit: int = 60) -> str:
    """Echo user input in an error message without letting it flood the page."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------


def be_year(d: date) -> int:
    """Buddhist Era year of ``d``."""
    return d.year + BE_OFFSET


def _local_date(d: date | datetime) -> date:
    if isinstance(d, datetime):
        if d.tzinfo is not None and d.utcoffset() is not None:
            d = d.astimezone(BANGKOK)
        return d.date()
    return d


def format_date(d: date | datetime | None, style: str = "abbr", thai_digits: bool = False, lang: str = "th") -> str:
    """Format a date with a BE year.

    ``abbr`` → "15 ส.ค. 2566", ``full`` → "15 สิงหาคม 2566",
    ``short`` → "15/08/2566". ``None`` → "" so templates need no guard.
    ``lang="en"`` names the month in English and keeps the BE year:
    "15 Aug 2566", "15 August 2566" (``short`` is the same in both).
    """
    if d is None:
        return ""
    d = _local_date(d)
    if style in ("abbr", "full"):
        out = f"{d.day} {_month_names(style, lang)[d.month - 1]} {be_year(d)}"
    elif style == "short":
        out = f"{d.day:02d}/{d.month:02d}/{be_year(d)}"
    else:
        raise ValueError(f"unknown date style {style!r}; use 'abbr', 'full' or 'short'")
    return to_thai_digits(out) if thai_digits else out


def format_datetime(dt: datetime | None, thai_digits: bool = False, lang: str = "th") -> str:
    """ "15 ส.ค. 2566 14:05 น." in Bangkok time (naive = already Bangkok);
    ``lang="en"``: "15 Aug 2566 14:05"."""
    if dt is None:
        return ""
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        dt = dt.astimezone(BANGKOK)
    out = f"{format_date(dt.date(), lang=lang)} {dt.hour:02d}:{dt.minute:02d}"
    if lang != "en":
        out += " น."
    return to_thai_digits(out) if thai_digits else out


def format_period(start: date, end: date, thai_digits: bool = True, lang: str = "th") -> str:
    """The officers' notation: "ม.ค. – ก.ย. ๒๕๖๖", "ต.ค. ๒๕๖๕ – มี.ค. ๒๕๖๖",
    or "ก.ค. ๒๕๖๖" for a single month. Only months are shown (days dropped).
    ``lang="en"``: "Jan – Sep 2566" (BE year kept)."""
    start, end = _local_date(start), _local_date(end)
    names = _month_names("abbr", lang)
    m1, m2 = names[start.month - 1], names[end.month - 1]
    y1, y2 = be_year(start), be_year(end)
    if y1 == y2 and start.month == end.month:
        out = f"{m1} {y1}"
    elif y1 == y2:
        out = f"{m1} – {m2} {y2}"
    else:
        out = f"{m1} {y1} – {m2} {y2}"
    return to_thai_digits(out) if thai_digits else out


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


class PeriodError(ValueError):
    """A period the user typed cannot be read; message is Thai (English)."""


class DateParseError(ValueError):
    """A date the user typed cannot be read; message is Thai (English)."""


def _check_be_year(year: int, error: type[ValueError]) -> None:
    if MIN_BE_YEAR <= year <= MAX_BE_YEAR:
        return
    if 1800 <= year <= 2200:
        # The typical slip: a CE year where a BE year is expected.
        raise error(
            _(
                "ปี %(year)s น่าจะเป็นปี ค.ศ. กรุณาใช้ปี พ.ศ. เช่น %(year_be_offset)s",
                year=year,
                year_be_offset=year + BE_OFFSET,
            )
        )
    raise error(
        _(
            "ปี พ.ศ. %(year)s อยู่นอกช่วง %(min_be_year)s–%(max_be_year)s",
            year=year,
            min_be_year=MIN_BE_YEAR,
            max_be_year=MAX_BE_YEAR,
        )
    )


_PERIOD_RE = re.compile(
    rf"(?P<m1>{_MONTH_RE}){_BE_MARK}(?P<y1>[0-9]{{1,8}})?"
    rf"(?:{_DASH_RE}(?P<m2>{_MONTH_RE}){_BE_MARK}(?P<y2>[0-9]{{1,8}})?)?"
)
_PERIOD_EXAMPLE = "expected e.g. 'ม.ค. - ก.ย. ๒๕๖๖'"


def parse_period(text: str) -> tuple[date, date]:
    """Read a period as officers write it and return (first day, last day).

    Accepts "ม.ค. - ก.ย. ๒๕๖๖", "ต.ค. ๒๕๖๕ – มี.ค. ๒๕๖๖", "ก.ค.-ก.ย. 2566",
    "ม.ค.–ก.ย.๒๕๖๖", full month names, abbreviations without dots, a single
    month "ก.ค. ๒๕๖๖", an optional "พ.ศ.", and "ถึง" as the separator.
    One year at the end applies to both ends, except that a start month after
    the end month puts the start in the previous year ("ต.ค. - มี.ค. ๒๕๖๖" is
    the first fiscal half of 2566). Raises only PeriodError.
    """
    if not isinstance(text, str) or not text.strip():
        raise PeriodError(_("ไม่ได้ระบุช่วงเวลา", period_example=_PERIOD_EXAMPLE))
    m = _PERIOD_RE.fullmatch(_squeeze(text).replace(".", ""))
    if m is None:
        raise PeriodError(
            _("อ่านช่วงเวลาไม่ได้: '%(shown_text)s'", shown_text=_shown(text), period_example=_PERIOD_EXAMPLE)
        )
    m1 = _MONTH_KEYS[m["m1"]]
    m2 = _MONTH_KEYS[m["m2"]] if m["m2"] else m1
    y1_text, y2_text = m["y1"], m["y2"]
    if m["m2"] is None:
        y2_text, y1_text = y1_text, None  # single month: its year is the end year
    if y2_text is None:
        raise PeriodError(
            _("ไม่ได้ระบุปี พ.ศ. ท้ายช่วงเวลา: '%(shown_text)s'", shown_text=_shown(text), period_example=_PERIOD_EXAMPLE)
        )
    y2 = int(y2_text)
    _check_be_year(y2, PeriodError)
    if y1_text is not None:
        y1 = int(y1_text)
        _check_be_year(y1, PeriodError)
    else:
        # One year for both ends; a "later" start month means it wrapped a year.
        y1 = y2 - 1 if m1 > m2 else y2
    start = date(y1 - BE_OFFSET, m1, 1)
    end = date(y2 - BE_OFFSET, m2, calendar.monthrange(y2 - BE_OFFSET, m2)[1])
    if end < start:
        raise PeriodError(_("ช่วงเวลาสิ้นสุดก่อนเริ่มต้น: '%(shown_text)s'", shown_text=_shown(text)))
    return start, end


_ISO_RE = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})")
_NUMERIC_RE = re.compile(r"(?P<d>[0-9]{1,2})([/.\-])(?P<m>[0-9]{1,2})\2(?P<y>[0-9]{4}|[0-9]{2})")
_NAMED_RE = re.compile(rf"(?P<d>[0-9]{{1,2}})(?P<m>{_MONTH_RE}){_BE_MARK}(?P<y>[0-9]{{4}}|[0-9]{{2}})")
_DATE_EXAMPLE = "expected e.g. '15/08/2566', '15 ส.ค. 66' or '2023-08-15'"
#: Officers write "15 ส.ค. 66" for 2566: a two-digit year is the BE 25xx one.
SHORT_YEAR_CENTURY = 2500


def _build_date(text: str, year_ce: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise DateParseError(_("ไม่มีเดือนที่ %(month)s: '%(shown_text)s'", month=month, shown_text=_shown(text)))
    last = calendar.monthrange(year_ce, month)[1]
    if not 1 <= day <= last:
        raise DateParseError(
            _(
                "ไม่มีวันที่ %(day)s %(months_full_month_1)s %(year_ce_be_offset)s",
                day=day,
                months_full_month_1=(MONTHS_FULL_EN if is_english() else MONTHS_FULL)[month - 1],
                year_ce_be_offset=year_ce + BE_OFFSET,
            )
        )
    return date(year_ce, month, day)


def parse_date(text: str) -> date:
    """Read a date typed by a user. Raises only DateParseError.

    Accepts ISO "2023-08-15" (Gregorian year), "15/08/2566" or "15/8/2566"
    (day/month/BE year; "." or "-" also work as separators), and
    "15 ส.ค. 2566" / "15 สิงหาคม ๒๕๖๖" (optional "พ.ศ."). A two-digit year
    ("15 ส.ค. 66", "15/08/66") is BE 25xx. Thai digits and odd spacing are
    fine everywhere.
    """
    if not isinstance(text, str) or not text.strip():
        raise DateParseError(_("ไม่ได้ระบุวันที่", date_example=_DATE_EXAMPLE))
    s = _squeeze(text)
    if m := _ISO_RE.fullmatch(s):
        year_ce = int(m["y"])
        # ISO years are CE; a BE year here (e.g. 2566-08-15) is a slip.
        if not MIN_BE_YEAR <= year_ce + BE_OFFSET <= MAX_BE_YEAR:
            raise DateParseError(
                _(
                    "ปี ค.ศ. %(year_ce)s ในรูปแบบ ISO ไม่สมเหตุสมผล (อาจเป็นปี พ.ศ.?): '%(shown_text)s'",
                    year_ce=year_ce,
                    shown_text=_shown(text),
                )
            )
        return _build_date(text, year_ce, int(m["m"]), int(m["d"]))
    if m := _NUMERIC_RE.fullmatch(s):
        year_be, month = int(m["y"]), int(m["m"])
    elif m := _NAMED_RE.fullmatch(s.replace(".", "")):
        year_be, month = int(m["y"]), _MONTH_KEYS[m["m"]]
    else:
        raise DateParseError(_("อ่านวันที่ไม่ได้: '%(shown_text)s'", shown_text=_shown(text), date_example=_DATE_EXAMPLE))
    if len(m["y"]) == 2:
        year_be += SHORT_YEAR_CENTURY
    _check_be_year(year_be, DateParseError)
    return _build_date(text, year_be - BE_OFFSET, month, int(m["d"]))


# ---------------------------------------------------------------------------
# Fiscal year
# ---------------------------------------------------------------------------


def fiscal_year(d: date) -> int:
    """BE fiscal year containing ``d`` (2022-10-01 → 2566)."""
    d = _local_date(d)
    return be_year(d) + (1 if d.month >= 10 else 0)


def fiscal_year_bounds(fy_be: int) -> tuple[date, date]:
    """First and last day of BE fiscal year ``fy_be`` (2566 → 2022-10-01, 2023-09-30)."""
    year_ce = fy_be - BE_OFFSET
    return date(year_ce - 1, 10, 1), date(year_ce, 9, 30)


def fiscal_half(d: date) -> int:
    """1 for Oct–Mar, 2 for Apr–Sep: the two O43 reporting rounds."""
    return 2 if 4 <= _local_date(d).month <= 9 else 1


# ---------------------------------------------------------------------------
# Business days
# ---------------------------------------------------------------------------


#: Thai public holidays (in-lieu and bridge days included) with the
#: `holidays` package's own working-day arithmetic; years are added as asked.
#: Years the package does not cover (before 1914 / after 2100) have no
#: holidays, so only weekends count there.
_TH = holidays.country_holidays("TH")


# Cached: the reminder job asks about the same few hundred dates for every step.
@lru_cache(maxsize=8192)
def is_business_day(d: date) -> bool:
    """Mon–Fri and not a Thai public holiday (incl. in-lieu and bridge days)."""
    return _TH.is_working_day(_local_date(d))


def next_business_day(d: date, include_self: bool = True) -> date:
    """First business day on or after ``d`` (strictly after if not include_self)."""
    return _TH.get_nth_working_day(_local_date(d), 0 if include_self else 1)


def previous_business_day(d: date, include_self: bool = True) -> date:
    """Last business day on or before ``d`` (strictly before if not include_self)."""
    d = _local_date(d)
    if include_self and is_business_day(d):
        return d
    return _TH.get_nth_working_day(d, -1)


@lru_cache(maxsize=8192)
def add_business_days(d: date, n: int) -> date:
    """The n-th business day after ``d`` (before it if n < 0); ``d`` itself is
    not counted, so it need not be a business day. n == 0 returns ``d``."""
    d = _local_date(d)
    return _TH.get_nth_working_day(d, n) if n else d


@lru_cache(maxsize=8192)  # the digests ask it for every listed step
def business_days_count(start: date, end: date) -> int:
    """How many business days [start, end] holds, both included; 0 if start > end."""
    start, end = _local_date(start), _local_date(end)
    return _TH.get_working_days_count(start, end) if start <= end else 0


def business_days_between(start: date, end: date) -> list[date]:
    """All business days in [start, end], inclusive; [] if start > end."""
    start, end = _local_date(start), _local_date(end)
    days: list[date] = []
    d = start
    while d <= end:
        if is_business_day(d):
            days.append(d)
        d += timedelta(days=1)
    return days


def spread_due_dates(start: date, end: date, count: int) -> list[date]:
    """``count`` due dates spread evenly over [start, end], on business days.

    With B business days in the period, step i (1-based) of n is due on
    business day index round(i*B/n) - 1 (clamped at 0), so the last step
    falls on the last business day and the dates are non-decreasing; they are
    strictly increasing when count <= B. If the period has no business day at
    all, every step is due on ``end``. Raises ValueError if start > end or
    count < 0.
    """
    start, end = _local_date(start), _local_date(end)
    if start > end:
        raise ValueError(f"period start {start} is after its end {end}")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    days = business_days_between(start, end)
    if not days:
        return [end] * count
    b = len(days)
    return [days[max(0, round(i * b / count) - 1)] for i in range(1, count + 1)]
