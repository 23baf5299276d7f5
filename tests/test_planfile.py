"""Reading plan files: the YAML form, its validation and the due-date spreading rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tracker import i18n
from tracker.plans.models import PlanStatus
from tracker.plans.planfile import (
    PlanFileError,
    Problem,
    load_plan_bytes,
    load_plan_file,
    resolve_due_dates,
)
from tracker.thaidate import is_business_day

DATA = Path(__file__).parent / "data"

MINIMAL = """\
organization: {name: เทศบาลตำบลตัวอย่าง, slug: example, province: ขอนแก่น}
fiscal_year: 2566
title: แผนทดสอบ
weaknesses:
  - title: ประเด็นหนึ่ง
    measures:
      - title: มาตรการหนึ่ง
        owner: สำนักปลัด
        period: ก.ค. - ก.ย. ๒๕๖๖
        steps:
%s
"""


@pytest.fixture(autouse=True)
def english(app):
    """The messages' English, as an English page shows them (the Thai is checked on the pages)."""
    with app.test_request_context("/?lang=en"):
        yield


def plan_yaml(steps: str = "          - ขั้นตอนเดียว", **replace: str) -> bytes:
    text = MINIMAL % steps
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode()


def problems_of(data: bytes, filename: str = "plan.yaml") -> list[Problem]:
    with pytest.raises(PlanFileError) as info:
        load_plan_bytes(data, filename)
    return info.value.problems


def places(problems: list[Problem]) -> dict[str, str]:
    return {p.place: p.message for p in problems}


# -- another organization's plan ---------------------------------------------


def test_another_organizations_plan_reads_with_exact_dates_and_owners():
    spec = load_plan_file(DATA / "nongkhai-2567.yaml")
    assert spec.organization.slug == "nongkhai-phochai"
    assert spec.organization.province == "หนองคาย"
    assert spec.fiscal_year == 2567  # written in Thai digits
    assert spec.status is None
    assert [(d.name, d.email) for d in spec.departments] == [
        ("สำนักปลัด", "palad@phochai.example"),
        ("กองคลัง", "finance@phochai.example"),  # e-mails are stored lower-case
        ("กองช่าง", None),
    ]
    m1, m2, m3 = spec.measures
    assert (m1.period_start, m1.period_end) == (date(2023, 10, 1), date(2024, 3, 31))
    assert (m2.period_start, m2.period_end) == (date(2024, 4, 1), date(2024, 9, 30))
    assert (m3.period_start, m3.period_end) == (date(2024, 5, 15), date(2024, 8, 31))
    assert [s.due for s in m1.steps] == [
        date(2023, 11, 21),  # spread before the given 15 Jan
        date(2024, 1, 15),  # given as "๑๕ ม.ค. ๒๕๖๗"
        date(2024, 2, 1),  # spread between 15 Jan and 20 Feb
        date(2024, 2, 20),  # given as ISO
        date(2024, 3, 29),  # last business day of March 2024 (31st is a Sunday)
    ]
    assert [s.owner for s in m1.steps] == [None, "กองคลัง", None, None, None]
    assert [(s.start, s.due) for s in m2.steps] == [
        (date(2024, 4, 1), date(2024, 5, 10)),
        (date(2024, 6, 1), date(2024, 6, 14)),  # "01/06/2567" and "14/06/2567"
        (date(2024, 4, 1), date(2024, 9, 30)),
    ]
    assert [s.due for s in m3.steps] == [date(2024, 7, 5), date(2024, 8, 30)]
    assert m3.owner == "กองช่าง" and m3.steps[0].owner == "กองคลัง"
    assert spec.owner_names() == ["สำนักปลัด", "กองคลัง", "กองช่าง"]


# -- the spreading rule --------------------------------------------------------


def test_steps_without_due_dates_spread_over_the_period_on_business_days():
    dues = resolve_due_dates(date(2023, 7, 1), date(2023, 9, 30), [None] * 5)
    assert dues == [date(2023, 7, 18), date(2023, 8, 9), date(2023, 8, 28), date(2023, 9, 13), date(2023, 9, 29)]
    assert all(is_business_day(d) for d in dues)


def test_given_due_dates_are_kept_and_the_others_fill_the_gaps_in_order():
    given = [None, None, date(2023, 8, 15), None, None]
    dues = resolve_due_dates(date(2023, 7, 1), date(2023, 9, 30), given)
    assert dues[2] == date(2023, 8, 15)
    assert dues[0] < dues[1] < dues[2] < dues[3] < dues[4] == date(2023, 9, 29)
    assert all(date(2023, 7, 1) <= d <= date(2023, 9, 30) for d in dues)


def test_a_step_between_two_given_dates_lands_between_them():
    dues = resolve_due_dates(date(2023, 1, 1), date(2023, 9, 30), [date(2023, 3, 1), None, date(2023, 3, 31)])
    assert date(2023, 3, 1) < dues[1] < date(2023, 3, 31)


def test_given_dates_out_of_order_are_kept_and_the_gap_takes_the_previous_date():
    dues = resolve_due_dates(date(2023, 1, 1), date(2023, 9, 30), [date(2023, 6, 1), None, date(2023, 2, 1)])
    assert dues == [date(2023, 6, 1), date(2023, 6, 1), date(2023, 2, 1)]


# -- validation --------------------------------------------------------------------


def test_broken_file_reports_every_problem_with_its_place():
    problems = problems_of((DATA / "broken.yaml").read_bytes(), "broken.yaml")
    found = places(problems)
    expected = {
        "Organization › code (slug)": "a-z",
        "Department 2 › name": "ซ้ำ",
        "Department 2 › email": "invalid email",
        "Weakness 1 › Measure 1 › owner": "ต้องระบุผู้รับผิดชอบ",
        "Weakness 1 › Measure 1 › Step 2 › name": "ต้องไม่เว้นว่าง",
        "Weakness 1 › Measure 2 › period": "อ่านช่วงเวลาไม่ได้",
        "Weakness 2 › Measure 1 › “stpes”": "did you mean 'steps'",
        "Weakness 2 › Measure 1 › Step 1 › due date": "อยู่นอกระยะเวลาของมาตรการ",
        "Weakness 2 › Measure 1 › Step 2 › due date": "31 กุมภาพันธ์",
        "Weakness 2 › Measure 2 › steps": "must be a list",
    }
    with i18n.in_thai():
        # The same problems in the same order, placed in Thai words ("ประเด็นที่ 1 › …").
        thai = dict(zip(found, (p.message for p in problems_of((DATA / "broken.yaml").read_bytes(), "broken.yaml"))))
    for place, words in expected.items():
        assert place in found, f"{place} not reported; got {sorted(found)}"
        assert words.lower() in f"{found[place]} | {thai[place]}".lower()
    assert len(problems) == len(expected)


def test_error_text_lists_one_problem_per_line():
    error = PlanFileError([Problem("a", "first (one)"), Problem("b.c", "second (two)")])
    assert str(error) == "a: first (one)\nb.c: second (two)"
    assert error.problems[1].place == "b.c"


def test_yaml_syntax_error_gives_line_and_column():
    (problem,) = problems_of((DATA / "syntax-error.yaml").read_bytes(), "syntax-error.yaml")
    assert problem.place.startswith("syntax-error.yaml line 9")
    assert "line 9, column" in problem.place.lower()
    assert "YAML" in problem.message


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "ไฟล์ว่างเปล่า"),
        (b"   \n# only a comment\n", "ไฟล์ว่างเปล่า"),
        (b"- a\n- b\n", "must be a mapping"),
        (b"just text\n", "must be a mapping"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
    ],
)
def test_files_that_are_not_plans_are_refused_with_a_message(content, words):
    (problem,) = problems_of(content)
    with i18n.in_thai():
        (thai,) = problems_of(content)
    assert words.lower() in f"{problem.message} | {thai.message}".lower()


def test_an_impossible_iso_date_is_a_problem_with_its_place_not_a_crash():
    data = b"""organization: {name: x, slug: example, province: y}
fiscal_year: 2566
title: t
weaknesses:
  - title: w
    measures:
      - title: m
        owner: o
        period: {start: 2023-02-30, end: 2023-09-30}
        steps:
          - {title: s, due: 2023-13-01}
"""
    places = {p.place: p.message for p in problems_of(data)}
    assert "month 13" in places["Weakness 1 › Measure 1 › Step 1 › due date"]
    assert "2023-02-30" in places["Weakness 1 › Measure 1 › period › start"]


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    with pytest.raises(PlanFileError) as info:
        load_plan_file(tmp_path / "nope.yaml")
    assert "file not found" in str(info.value).lower()


def test_wrong_extension_is_refused():
    (problem,) = problems_of(plan_yaml(), "plan.txt")
    assert ".yaml" in problem.message and ".txt" in problem.message


def test_duplicate_keys_are_reported_with_their_line():
    data = plan_yaml().replace(b"title: \xe0\xb9\x81", b"title: x\ntitle: \xe0\xb9\x81", 1)
    problems = problems_of(data)
    assert any("duplicate key 'title'" in p.message.lower() and "line 4" in p.place.lower() for p in problems)


@pytest.mark.parametrize(
    "replace, place, words",
    [
        ({"fiscal_year: 2566": "fiscal_year: 2023"}, "Fiscal year", "use 2566"),
        ({"fiscal_year: 2566": "fiscal_year: สองพัน"}, "Fiscal year", "Buddhist Era year"),
        ({"fiscal_year: 2566": "fiscal_year: 2567"}, "Weakness 1 › Measure 1 › period", "does not overlap"),
        ({"title: แผนทดสอบ": "title: [a, b]"}, "Plan title", "must be text"),
        ({"title: แผนทดสอบ\n": ""}, "Plan title", "title is required"),
        ({"slug: example": "slug: x"}, "Organization › code (slug)", "2-64"),
        ({"owner: สำนักปลัด": "owner: ''"}, "Weakness 1 › Measure 1 › owner", "must not be empty"),
        (
            {"period: ก.ค. - ก.ย. ๒๕๖๖": "period: {start: 2023-07-01}"},
            "Weakness 1 › Measure 1 › period › end",
            "end is required",
        ),
        (
            {"period: ก.ค. - ก.ย. ๒๕๖๖": "period: {start: 2023-07-01, end: 2023-09-30, ned: 1}"},
            "Weakness 1 › Measure 1 › period › “ned”",
            "unknown key",
        ),
        ({"weaknesses:": "status: finished\nweaknesses:"}, "Plan status", "draft, active or closed"),
    ],
)
def test_single_mistakes_are_named(app, replace, place, words):
    found = places(problems_of(plan_yaml(**replace)))
    assert place in found, sorted(found)
    with app.test_request_context("/?lang=en"):
        english = places(problems_of(plan_yaml(**replace)))
    assert words.lower() in f"{found[place]} | {english[place]}".lower()


@pytest.mark.parametrize(
    "steps, place, words",
    [
        (
            "          - {title: ก, due: 2023-06-30}",
            "Weakness 1 › Measure 1 › Step 1 › due date",
            "outside the measure's period",
        ),
        (
            "          - {title: ก, due: 2023-07-10 09:00:00}",
            "Weakness 1 › Measure 1 › Step 1 › due date",
            "without a time",
        ),
        (
            "          - {title: ก, start: 2023-09-01, due: 2023-08-01}",
            "Weakness 1 › Measure 1 › Step 1 › start",
            "after the due date",
        ),
        ("          - {title: ก, assignee: nobody}", "Weakness 1 › Measure 1 › Step 1 › assignee", "invalid email"),
        ("          - {title: ก, owner: [x]}", "Weakness 1 › Measure 1 › Step 1 › owner", "must be text"),
        ("          - {titel: ก}", "Weakness 1 › Measure 1 › Step 1 › “titel”", "did you mean 'title'"),
        ("          -", "Weakness 1 › Measure 1 › Step 1", "must not be empty"),
        ("          - 42", "Weakness 1 › Measure 1 › Step 1", "must be a mapping"),
        ("          []", "Weakness 1 › Measure 1 › steps", "at least one step"),
    ],
)
def test_step_mistakes_are_named(app, steps, place, words):
    found = places(problems_of(plan_yaml(steps)))
    assert place in found, sorted(found)
    with app.test_request_context("/?lang=en"):
        english = places(problems_of(plan_yaml(steps)))
    assert words.lower() in f"{found[place]} | {english[place]}".lower()


def test_step_details_and_defaults():
    spec = load_plan_bytes(
        plan_yaml(
            "          - แรก\n"
            "          - {title: สอง, start: 1 ส.ค. 2566, due: 15/08/2566, owner: กองคลัง, assignee: A@X.go.th}\n"
            "          - {title: สาม}",
            **{"weaknesses:": "status: ร่าง\nweaknesses:"},
        ),
        "plan.yml",
    )
    first, second, third = spec.steps
    assert spec.status is PlanStatus.draft
    assert first.start == date(2023, 7, 1) and first.owner is None
    assert (second.start, second.due, second.owner, second.assignee) == (
        date(2023, 8, 1),
        date(2023, 8, 15),
        "กองคลัง",
        "a@x.go.th",
    )
    assert third.due == date(2023, 9, 29)
    assert first.due < second.due
    assert first.place == "Weakness 1 › Measure 1 › Step 1"


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_yaml_bits = st.sampled_from(
    [
        "organization:",
        " {name: x, slug: ab, province: y}",
        "fiscal_year:",
        " 2566",
        " ๒๕๖๖",
        "title:",
        " t",
        "weaknesses:",
        "\n  - title: w",
        "\n    measures:",
        "\n      - title: m",
        "\n        owner: o",
        "\n        period: ",
        "ก.ค. - ก.ย. ๒๕๖๖",
        "{start: 2023-07-01, end: 2023-02-30}",
        "\n        steps:",
        "\n          - s",
        "\n          - {title: s, due: 2023-13-01}",
        "\n",
        ": ",
        "[",
        "]",
        "{",
        "}",
        "- ",
        "&a",
        "*a",
        "!!binary",
        "2023-07-01",
        "~",
        "'",
        '"',
        "#",
        "\t",
        "  ",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_yaml_bits, max_size=40).map("".join))
def test_any_yaml_text_gives_a_plan_or_problems_never_another_error(text):
    try:
        load_plan_bytes(text.encode(), "fuzz.yaml")
    except PlanFileError as error:
        assert error.problems


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_as_xlsx_give_problems_never_another_error(data):
    with pytest.raises(PlanFileError):
        load_plan_bytes(b"PK\x03\x04" + data, "fuzz.xlsx")


_KEYS = st.sampled_from(
    ["organization", "name", "slug", "province", "fiscal_year", "title", "status", "departments", "email"]
    + ["weaknesses", "detail", "measures", "owner", "period", "follow_up", "steps", "start", "end", "due"]
    + ["assignee", "stpes", "", "\x00"]
)
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-10, 3000)
    | st.floats(allow_nan=True)
    | st.dates()
    | st.datetimes()
    | st.sampled_from(["2566", "๒๕๖๖", "ก.ค. - ก.ย. ๒๕๖๖", "2023-08-15", "15/08/2566", "a@x.go.th", "ab", "active"])
    | st.text(max_size=8)
)
_NESTED = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=6))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_NESTED)
def test_any_nested_data_gives_a_plan_or_thai_problems_with_places_never_another_error(raw):
    """The pydantic shape and its adapter: whatever a reader hands over, problems come as
    `Problem`s with a message, never a pydantic traceback or its English text."""
    from tracker.plans.planfile import validate_plan
    from tracker.plans.planfile.places import words_place as yaml_place

    try:
        validate_plan(raw, lambda path: yaml_place(path) or "plan.yaml", "plan.yaml")
    except PlanFileError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.message and problem.place
            assert "Input should" not in problem.message and "Field required" not in problem.message


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_KEYS, _NESTED, max_size=8))
def test_every_problem_of_a_plan_is_reported_at_once(raw):
    """A plan with a broken part names it even when other parts are broken too."""
    from tracker.plans.planfile import validate_plan
    from tracker.plans.planfile.places import words_place as yaml_place

    with pytest.raises(PlanFileError) as info:
        validate_plan({**raw, "organization": None}, lambda path: yaml_place(path) or "f", "f")
    assert "Organization" in {p.place for p in info.value.problems}
