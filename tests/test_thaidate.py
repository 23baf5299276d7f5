"""Specification of tracker.thaidate: Thai dates, periods, fiscal years, business days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker import clock
from tracker.thaidate import (
    BANGKOK,
    MONTHS_ABBR,
    MONTHS_FULL,
    THAI_DIGITS,
    DateParseError,
    PeriodError,
    add_business_days,
    be_year,
    business_days_between,
    business_days_count,
    fiscal_half,
    fiscal_year,
    fiscal_year_bounds,
    format_date,
    format_datetime,
    format_period,
    is_business_day,
    next_business_day,
    parse_date,
    parse_period,
    previous_business_day,
    spread_due_dates,
    to_arabic_digits,
    to_thai_digits,
)

# Hypothesis ranges stay within BE 2450–2650 (CE 1907–2107).
MIN_DAY = date(2450 - 543, 1, 1)
MAX_DAY = date(2650 - 543, 12, 31)
days = st.dates(min_value=MIN_DAY, max_value=MAX_DAY)
# Business-day properties need holiday data, which the package has for recent years.
recent_days = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))

FEW = settings(max_examples=60, deadline=None)
SOME = settings(max_examples=150, deadline=None)


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_end(d: date) -> date:
    nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


# --------------------------------------------------------------------------- digits, names


def test_digits_and_month_names():
    assert THAI_DIGITS == "๐๑๒๓๔๕๖๗๘๙"
    assert to_thai_digits("15/08/2566") == "๑๕/๐๘/๒๕๖๖"
    assert to_arabic_digits("ม.ค. - ก.ย. ๒๕๖๖") == "ม.ค. - ก.ย. 2566"
    assert MONTHS_FULL[0] == "มกราคม" and MONTHS_FULL[11] == "ธันวาคม"
    assert len(MONTHS_FULL) == len(MONTHS_ABBR) == 12
    assert MONTHS_ABBR == "ม.ค. ก.พ. มี.ค. เม.ย. พ.ค. มิ.ย. ก.ค. ส.ค. ก.ย. ต.ค. พ.ย. ธ.ค.".split()


@SOME
@given(st.text())
def test_digit_conversion_round_trips(s):
    assert to_arabic_digits(to_thai_digits(s)) == to_arabic_digits(s)
    assert to_thai_digits(to_arabic_digits(s)) == to_thai_digits(s)
    assert not set(to_thai_digits(s)) & set("0123456789")


# --------------------------------------------------------------------------- formatting


def test_format_date_styles():
    d = date(2023, 8, 15)
    assert be_year(d) == 2566
    assert format_date(d) == "15 ส.ค. 2566"
    assert format_date(d, "full") == "15 สิงหาคม 2566"
    assert format_date(d, "short") == "15/08/2566"
    assert format_date(d, "abbr", thai_digits=True) == "๑๕ ส.ค. ๒๕๖๖"
    assert format_date(date(2023, 1, 5), "short") == "05/01/2566"
    assert format_date(None) == ""
    with pytest.raises(ValueError):
        format_date(d, "long")


def test_aware_datetimes_are_shown_in_bangkok():
    # 20:00 UTC on the 14th is 03:00 on the 15th in Bangkok (UTC+7).
    late_utc = datetime(2023, 8, 14, 20, 0, tzinfo=UTC)
    assert format_date(late_utc) == "15 ส.ค. 2566"
    assert format_datetime(datetime(2023, 8, 15, 7, 5, tzinfo=UTC)) == "15 ส.ค. 2566 14:05 น."
    assert format_datetime(datetime(2023, 8, 15, 7, 5, tzinfo=UTC), thai_digits=True) == ("๑๕ ส.ค. ๒๕๖๖ ๑๔:๐๕ น.")
    # Naive datetimes are taken as Bangkok wall time.
    assert format_datetime(datetime(2023, 8, 15, 14, 5)) == "15 ส.ค. 2566 14:05 น."
    assert format_datetime(None) == ""


def test_format_period_officers_form():
    assert format_period(date(2023, 1, 1), date(2023, 9, 30)) == "ม.ค. – ก.ย. ๒๕๖๖"
    assert format_period(date(2022, 10, 1), date(2023, 3, 31)) == "ต.ค. ๒๕๖๕ – มี.ค. ๒๕๖๖"
    assert format_period(date(2023, 7, 1), date(2023, 7, 31)) == "ก.ค. ๒๕๖๖"
    assert format_period(date(2023, 7, 1), date(2023, 9, 30), thai_digits=False) == "ก.ค. – ก.ย. 2566"


# --------------------------------------------------------------------------- parse_period


@pytest.mark.parametrize(
    "text, start, end",
    [
        # The seed plan's periods.
        ("ม.ค. - ก.ย. ๒๕๖๖", date(2023, 1, 1), date(2023, 9, 30)),
        ("ม.ค. – ก.ย. ๒๕๖๖", date(2023, 1, 1), date(2023, 9, 30)),
        ("ก.ค. – ก.ย. ๒๕๖๖", date(2023, 7, 1), date(2023, 9, 30)),
        ("ก.ค.-ก.ย. 2566", date(2023, 7, 1), date(2023, 9, 30)),
        ("ต.ค. ๒๕๖๕ – มี.ค. ๒๕๖๖", date(2022, 10, 1), date(2023, 3, 31)),
        # Spacing, dashes, digits.
        ("ม.ค.–ก.ย.๒๕๖๖", date(2023, 1, 1), date(2023, 9, 30)),
        ("ม.ค.—ก.ย. 2566", date(2023, 1, 1), date(2023, 9, 30)),
        ("  ม.ค.  -  ก.ย.   2566 ", date(2023, 1, 1), date(2023, 9, 30)),
        ("ต.ค.2565-มี.ค.2566", date(2022, 10, 1), date(2023, 3, 31)),
        # One year, start month after end month: the first fiscal half.
        ("ต.ค. - มี.ค. ๒๕๖๖", date(2022, 10, 1), date(2023, 3, 31)),
        ("เม.ย. - ก.ย. ๒๕๖๖", date(2023, 4, 1), date(2023, 9, 30)),
        # Month spellings.
        ("มกราคม - กันยายน ๒๕๖๖", date(2023, 1, 1), date(2023, 9, 30)),
        ("ม.ค - ก.ย 2566", date(2023, 1, 1), date(2023, 9, 30)),
        ("มค. - กย. 2566", date(2023, 1, 1), date(2023, 9, 30)),
        ("ม. ค. - ก. ย. 2566", date(2023, 1, 1), date(2023, 9, 30)),
        ("ม.ค. ถึง ก.ย. พ.ศ. ๒๕๖๖", date(2023, 1, 1), date(2023, 9, 30)),
        # A single month; leap February.
        ("ก.ค. ๒๕๖๖", date(2023, 7, 1), date(2023, 7, 31)),
        ("กุมภาพันธ์ 2567", date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_parse_period_examples(text, start, end):
    assert parse_period(text) == (start, end)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("xx", "อ่านช่วงเวลาไม่ได้: 'xx'"),
        ("", "no period given"),
        ("ม.ค. - ก.ย.", "no BE year"),
        ("ม.ค. - ก.ย. 2023", "Gregorian"),
        ("ก.ค. 2023", "ค.ศ."),
        ("ม.ค. - ก.ย. 3000", "outside 2400–2700"),
        ("ม.ค. ๒๕๖๗ – ก.ย. ๒๕๖๖", "ends before it starts"),
        ("ก.ย. ๒๕๖๖ – ม.ค. ๒๕๖๖", "สิ้นสุดก่อนเริ่มต้น"),
        ("ม.ค. - 2566", "cannot read period"),
        ("13/2566", "cannot read period"),
    ],
)
def test_parse_period_errors(app, text, fragment):
    with pytest.raises(PeriodError) as exc:
        parse_period(text)
    assert isinstance(exc.value, ValueError)
    with app.test_request_context("/?lang=en"), pytest.raises(PeriodError) as english:
        parse_period(text)
    assert fragment.lower() in f"{exc.value} | {english.value}".lower()


@SOME
@given(st.text())
def test_parse_period_raises_only_period_error(text):
    try:
        start, end = parse_period(text)
    except PeriodError:
        return
    assert start <= end and start.day == 1


@SOME
@given(
    st.lists(st.sampled_from(["ม.ค.", "ก.ย.", "ต.ค.", " ", "-", "–", "๒๕๖๖", "2565", "พ.ศ.", "มีนาคม", "."]), max_size=8)
)
def test_parse_period_raises_only_period_error_on_near_misses(parts):
    try:
        parse_period("".join(parts))
    except PeriodError:
        pass


@SOME
@given(days, days, st.booleans())
def test_format_period_round_trips(a, b, thai):
    start, end = month_start(min(a, b)), month_end(max(a, b))
    assert parse_period(format_period(start, end, thai_digits=thai)) == (start, end)


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    "text",
    [
        "2023-08-15",
        "15/08/2566",
        "15/8/2566",
        "๑๕/๐๘/๒๕๖๖",
        "15 ส.ค. 2566",
        "15 สิงหาคม ๒๕๖๖",
        "15ส.ค.2566",
        " 15 ส.ค. พ.ศ. 2566 ",
    ],
)
def test_parse_date_examples(text):
    assert parse_date(text) == date(2023, 8, 15)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("31/02/2566", "ไม่มีวันที่ 31 กุมภาพันธ์ 2566"),
        ("31/02/2566", "no such date: 31 february 2566"),
        ("29/02/2566", "no such date"),
        ("15/13/2566", "no month 13"),
        ("2023-02-30", "no such date"),
        ("15/08/2023", "Gregorian"),
        ("2566-08-15", "Gregorian years"),
        ("hello", "อ่านวันที่ไม่ได้: 'hello'"),
        ("15 ส.ค.", "cannot read date"),
        ("", "no date given"),
    ],
)
def test_parse_date_errors(app, text, fragment):
    """The message in Thai (outside a request) or, for an English fragment, on an English page."""
    with pytest.raises(DateParseError) as exc:
        parse_date(text)
    with app.test_request_context("/?lang=en"), pytest.raises(DateParseError) as english:
        parse_date(text)
    assert fragment.lower() in f"{exc.value} | {english.value}".lower()


def test_parse_date_accepts_leap_day():
    assert parse_date("29/02/2567") == date(2024, 2, 29)


@SOME
@given(st.text())
def test_parse_date_raises_only_date_parse_error(text):
    try:
        parse_date(text)
    except DateParseError:
        pass


@SOME
@given(days, st.sampled_from(["short", "abbr", "full"]), st.booleans())
def test_format_date_round_trips(d, style, thai):
    assert parse_date(format_date(d, style, thai_digits=thai)) == d


@FEW
@given(days)
def test_iso_dates_are_gregorian(d):
    assert parse_date(d.isoformat()) == d


# --------------------------------------------------------------------------- fiscal year


def test_fiscal_year_examples():
    assert fiscal_year(date(2022, 10, 1)) == 2566
    assert fiscal_year(date(2022, 9, 30)) == 2565
    assert fiscal_year(date(2023, 9, 30)) == 2566
    assert fiscal_year_bounds(2566) == (date(2022, 10, 1), date(2023, 9, 30))
    assert fiscal_half(date(2022, 10, 1)) == 1
    assert fiscal_half(date(2023, 3, 31)) == 1
    assert fiscal_half(date(2023, 4, 1)) == 2
    assert fiscal_half(date(2023, 9, 30)) == 2


@SOME
@given(days)
def test_fiscal_year_matches_bounds(d):
    first, last = fiscal_year_bounds(fiscal_year(d))
    assert first <= d <= last
    assert fiscal_year(first) == fiscal_year(last) == fiscal_year(d)
    assert fiscal_year(first - timedelta(days=1)) == fiscal_year(d) - 1
    # The halves split the fiscal year at 1 April.
    assert fiscal_half(d) == (1 if d < date(last.year, 4, 1) else 2)


# --------------------------------------------------------------------------- business days


def test_business_day_examples():
    assert is_business_day(date(2023, 8, 15))  # an ordinary Tuesday
    assert not is_business_day(date(2023, 4, 13))  # Songkran
    assert not is_business_day(date(2023, 4, 17))  # Songkran, in lieu
    assert not is_business_day(date(2023, 7, 31))  # cabinet bridge day
    assert not is_business_day(date(2023, 8, 19))  # Saturday
    assert not is_business_day(date(2023, 8, 20))  # Sunday
    assert next_business_day(date(2023, 4, 13)) == date(2023, 4, 18)
    assert next_business_day(date(2023, 8, 15)) == date(2023, 8, 15)
    assert next_business_day(date(2023, 8, 15), include_self=False) == date(2023, 8, 16)
    assert previous_business_day(date(2023, 4, 17)) == date(2023, 4, 12)
    assert previous_business_day(date(2023, 8, 16), include_self=False) == date(2023, 8, 15)


def test_add_business_days_examples():
    assert add_business_days(date(2023, 4, 12), 1) == date(2023, 4, 18)
    assert add_business_days(date(2023, 4, 18), -1) == date(2023, 4, 12)
    assert add_business_days(date(2023, 8, 18), 1) == date(2023, 8, 21)  # Fri → Mon
    assert add_business_days(date(2023, 8, 19), 1) == date(2023, 8, 21)  # from a Saturday
    assert add_business_days(date(2023, 8, 15), 0) == date(2023, 8, 15)


def test_business_days_between_is_inclusive():
    assert business_days_between(date(2023, 8, 14), date(2023, 8, 20)) == [
        date(2023, 8, 15),
        date(2023, 8, 16),
        date(2023, 8, 17),
        date(2023, 8, 18),
    ]  # Mon 14 Aug 2023 is the Queen Mother's birthday in lieu
    assert business_days_between(date(2023, 8, 15), date(2023, 8, 15)) == [date(2023, 8, 15)]
    assert business_days_between(date(2023, 8, 16), date(2023, 8, 15)) == []


def test_business_days_are_counted_by_the_holidays_package_with_the_same_answers():
    # 10 Apr – 5 May 2023: 20 weekdays less Songkran (13, 14, 17 in lieu) and the early-May holidays.
    assert (
        business_days_count(date(2023, 4, 10), date(2023, 5, 5))
        == len(business_days_between(date(2023, 4, 10), date(2023, 5, 5)))
        == 14
    )
    assert business_days_count(date(2023, 8, 14), date(2023, 8, 14)) == 0  # a holiday in lieu
    assert business_days_count(date(2023, 8, 16), date(2023, 8, 15)) == 0  # an empty range, not a swapped one


@FEW
@given(recent_days, st.integers(-30, 30))
def test_add_business_days_counts_business_days(d, n):
    target = add_business_days(d, n)
    if n == 0:
        assert target == d
        return
    assert is_business_day(target)
    lo, hi = (d + timedelta(days=1), target) if n > 0 else (target, d - timedelta(days=1))
    assert len(business_days_between(lo, hi)) == abs(n)
    assert add_business_days(target, -n) == (previous_business_day(d) if n > 0 else next_business_day(d))


def test_spread_due_dates_on_seed_measures():
    # Measure 1: ก.ค. – ก.ย. ๒๕๖๖, 5 steps.
    start, end = parse_period("ก.ค. – ก.ย. ๒๕๖๖")
    due = spread_due_dates(start, end, 5)
    assert due == [date(2023, 7, 18), date(2023, 8, 9), date(2023, 8, 28), date(2023, 9, 13), date(2023, 9, 29)]
    # Measures 2, 3.1 and 3.2: ม.ค. – ก.ย. ๒๕๖๖ with 8, 6 and 7 steps.
    start, end = parse_period("ม.ค. – ก.ย. ๒๕๖๖")
    for steps in (8, 6, 7):
        due = spread_due_dates(start, end, steps)
        assert len(due) == steps
        assert due[-1] == date(2023, 9, 29)  # 30 Sep 2023 is a Saturday
        assert all(a < b for a, b in zip(due, due[1:]))
        assert all(is_business_day(d) for d in due)
    assert spread_due_dates(start, end, 6)[0] == date(2023, 2, 14)


def test_spread_due_dates_edge_cases():
    weekend = (date(2023, 8, 19), date(2023, 8, 20))
    assert spread_due_dates(*weekend, 3) == [date(2023, 8, 20)] * 3  # no business day: end
    assert spread_due_dates(date(2023, 8, 15), date(2023, 8, 15), 3) == [date(2023, 8, 15)] * 3
    assert spread_due_dates(date(2023, 8, 1), date(2023, 8, 31), 0) == []
    with pytest.raises(ValueError):
        spread_due_dates(date(2023, 9, 1), date(2023, 8, 1), 2)


@FEW
@given(recent_days, st.integers(0, 200), st.integers(1, 40))
def test_spread_due_dates_invariants(start, length, count):
    end = start + timedelta(days=length)
    due = spread_due_dates(start, end, count)
    bdays = business_days_between(start, end)
    assert len(due) == count
    assert all(start <= d <= end for d in due)
    assert due == sorted(due)
    if not bdays:
        assert due == [end] * count
        return
    assert all(is_business_day(d) for d in due)
    assert due[-1] == bdays[-1]
    if count <= len(bdays):
        assert len(set(due)) == count
    for i, d in enumerate(due, start=1):
        assert d == bdays[max(0, round(i * len(bdays) / count) - 1)]


# --------------------------------------------------------------------------- clocks


def test_clocks_are_aware():
    now = clock.now()
    assert now.tzinfo is BANGKOK and now.utcoffset() == timedelta(hours=7)
    utc = clock.utcnow()
    assert utc.utcoffset() == timedelta(0)
    assert abs(now - utc) < timedelta(seconds=5)
