"""ITA frameworks, scores and the comparison of two years.

The seed memo's numbers (Ban Pet, FY 2565 against 2564) must come out
exactly; another organization's invented scores check the same rules.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import NOW

from tracker.db import db
from tracker.errors import ServiceError
from tracker.ita.analysis import analyse
from tracker.ita.demo import load_demo_scores
from tracker.ita.framework import ensure_framework, load_framework_file, shipped_years
from tracker.ita.models import ItaFramework, ItaIndicator, ItaScore
from tracker.ita.scores import Difference, format_score, get_scores, parse_score, year_result
from tracker.ita.services import ContextInput, ScoreProblems, save_scores, start_weakness_from_indicator
from tracker.orgs.models import Organization
from tracker.plans.models import JournalEntry, Plan, PlanStatus

D = Decimal

#: Table 2 of the seed: number, name, 2564, 2565, difference as worded.
SEED_TABLE_2 = [
    (1, "การปฏิบัติหน้าที่", "98.16", "98.63", "เพิ่มขึ้น 0.47"),
    (2, "การใช้งบประมาณ", "95.26", "98.23", "เพิ่มขึ้น 2.97"),
    (3, "การใช้อำนาจ", "95.64", "98.31", "เพิ่มขึ้น 2.67"),
    (4, "การใช้ทรัพย์สินของราชการ", "95.54", "97.32", "เพิ่มขึ้น 1.78"),
    (5, "การแก้ไขปัญหาการทุจริต", "96.31", "97.88", "เพิ่มขึ้น 1.57"),
    (6, "คุณภาพการดำเนินงาน", "97.13", "97.08", "ลดลง 0.05"),
    (7, "ประสิทธิภาพการสื่อสาร", "98.39", "94.59", "ลดลง 3.80"),
    (8, "การปรับปรุงการทำงาน", "98.19", "92.89", "ลดลง 5.30"),
    (9, "การเปิดเผยข้อมูล", "100.00", "100.00", "เท่าเดิม"),
    (10, "การป้องกันการทุจริต", "100.00", "100.00", "เท่าเดิม"),
]

# An invented อบต. with a B level and an EIT that went down (worked by hand below).
NONSA_2564 = {
    1: "88.50",
    2: "86.20",
    3: "90.10",
    4: "84.75",
    5: "87.40",
    6: "85.60",
    7: "83.25",
    8: "80.90",
    9: "72.00",
    10: "68.50",
}
NONSA_2565 = {
    1: "90.15",
    2: "88.40",
    3: "91.05",
    4: "86.30",
    5: "89.95",
    6: "82.10",
    7: "79.35",
    8: "76.80",
    9: "74.50",
    10: "71.00",
}


@pytest.fixture
def banpet(world):
    """The test organization with the seed's scores and context rows (the demo file)."""
    load_demo_scores(world.org, NOW)
    db.session.commit()
    return world.org


@pytest.fixture
def nonsa(ctx):
    org = Organization(name="องค์การบริหารส่วนตำบลโนนสะอาด", slug="nonsa", province="อุดรธานี")
    db.session.add(org)
    db.session.flush()
    save_scores(org, 2564, actor=None, now=NOW, scores=NONSA_2564, contexts={"province": ContextInput("", "80.12", "")})
    save_scores(org, 2565, actor=None, now=NOW, scores=NONSA_2565, contexts={"province": ContextInput("", "84.99", "")})
    db.session.commit()
    return org


# -- frameworks ------------------------------------------------------------------------


def test_the_shipped_frameworks_are_data_for_2564_and_2565(ctx):
    assert {2564, 2565} <= set(shipped_years())
    for year in (2564, 2565):
        framework = ensure_framework(year)
        assert [(t.code, t.weight) for t in framework.tools] == [
            ("IIT", D("0.3")),
            ("EIT", D("0.3")),
            ("OIT", D("0.4")),
        ]
        assert [t.name for t in framework.tools] == [
            "แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายใน",
            "แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายนอก",
            "แบบวัดการเปิดเผยข้อมูลสาธารณะ",
        ]
        assert framework.tools[0].name_en == "Internal Integrity and Transparency Assessment"
        assert [(i.number, i.name, i.tool.code) for i in framework.indicators] == [
            (n, name, "IIT" if n <= 5 else "EIT" if n <= 8 else "OIT") for n, name, *_ in SEED_TABLE_2
        ]
        assert framework.levels == [
            ("AA", D(95)),
            ("A", D(85)),
            ("B", D(75)),
            ("C", D(65)),
            ("D", D(55)),
            ("E", D(50)),
            ("F", D(0)),
        ]
    db.session.commit()
    # Loaded once: asking again finds the rows, it does not add more.
    ensure_framework(2565)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItaFramework)) == 2


def test_a_year_without_a_framework_is_refused_with_a_clear_message(ctx):
    with pytest.raises(ServiceError, match="ยังไม่มีกรอบการประเมิน ITA ของปีงบประมาณ 2570"):
        ensure_framework(2570)


def _framework_yaml(year: int, weights=("0.5", "0.5"), extra_indicator: bool = True) -> str:
    third = "      - {number: 3, name: การตอบสนอง}\n" if extra_indicator else ""
    return (
        f'fiscal_year: {year}\nname: ITA {year}\nlevels: [[AA, "95"], [A, "85"], [F, "0"]]\ntools:\n'
        f'  - code: IIT\n    name: แบบวัดภายใน\n    weight: "{weights[0]}"\n    indicators:\n'
        f"      - {{number: 1, name: การปฏิบัติหน้าที่}}\n"
        f'  - code: OIT\n    name: แบบวัดการเปิดเผยข้อมูลสาธารณะ\n    weight: "{weights[1]}"\n    indicators:\n'
        f"      - {{number: 2, name: การเปิดเผยข้อมูล}}\n{third}"
    )


def test_a_new_years_framework_is_loaded_from_a_file_and_can_be_updated(ctx, tmp_path: Path):
    path = tmp_path / "2566.yaml"
    path.write_text(_framework_yaml(2566), encoding="utf-8")
    framework = load_framework_file(path)
    assert [(i.number, i.tool.code) for i in framework.indicators] == [(1, "IIT"), (2, "OIT"), (3, "OIT")]
    assert framework.level_of(D("94.99")) == "A"

    # Dropping an indicator without scores is allowed …
    path.write_text(_framework_yaml(2566, extra_indicator=False), encoding="utf-8")
    framework = load_framework_file(path)
    assert [i.number for i in framework.indicators] == [1, 2]
    # Once an organization has scores under it, a change is a new version: the scores and the
    # results computed from them stay as they were, other organizations get the new version.
    path.write_text(_framework_yaml(2566), encoding="utf-8")
    load_framework_file(path)
    org = Organization(name="อบต.ทดลอง", slug="tryout", province="")
    other = Organization(name="อบต.ใหม่", slug="newcomer", province="")
    db.session.add_all([org, other])
    db.session.flush()
    save_scores(org, 2566, actor=None, now=NOW, scores={1: "90", 2: "80", 3: "70"})
    db.session.commit()
    before = year_result(org, 2566)
    path.write_text(
        'fiscal_year: 2566\nname: ITA 2566\nlevels: [[A, "50"], [F, "0"]]\ntools:\n'
        '  - code: IIT\n    name: แบบวัดภายใน\n    weight: "1"\n    indicators:\n'
        "      - {number: 1, name: การปฏิบัติหน้าที่}\n      - {number: 2, name: การเปิดเผยข้อมูล}\n",
        encoding="utf-8",
    )
    framework = load_framework_file(path)
    db.session.commit()
    versions = db.session.execute(
        sa.select(ItaFramework.version, ItaFramework.status)
        .where(ItaFramework.fiscal_year == 2566)
        .order_by(ItaFramework.version)
    ).all()
    assert [(v, s.value) for v, s in versions] == [(1, "retired"), (2, "published")]
    assert framework.version == 2 and [t.code for t in framework.tools] == ["IIT"]
    after = year_result(org, 2566)
    assert after == before and after.framework_version == 1
    assert (after.tool("IIT").score, after.tool("OIT").score, after.overall) == (D("90.00"), D("75.00"), D("82.50"))
    save_scores(other, 2566, actor=None, now=NOW, scores={1: "90", 2: "70"})
    result = year_result(other, 2566)
    assert (result.framework_version, result.tool("IIT").score, result.overall, result.level) == (
        2,
        D("80.00"),
        D("80.00"),
        "A",
    )


def test_a_framework_file_with_mistakes_lists_them_all(ctx, tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(_framework_yaml(2566, weights=("0.5", "0.6")).replace("number: 3", "number: 5"), encoding="utf-8")
    with pytest.raises(ServiceError) as caught:
        load_framework_file(path)
    message = str(caught.value)
    assert "น้ำหนักของเครื่องมือรวมกันต้องเท่ากับ 1" in message
    assert "ตัวชี้วัดต้องมีหมายเลข 1, 2, 3" in message
    assert db.session.scalar(sa.select(ItaFramework).where(ItaFramework.fiscal_year == 2566)) is None


# -- the seed's numbers ------------------------------------------------------------------


def test_seed_tool_scores_overall_and_levels(banpet):
    a = analyse(banpet, 2565)
    assert (a.fiscal_year, a.previous_year) == (2565, 2564)
    tools = {t.code: t for t in a.tools}
    assert (tools["IIT"].previous, tools["IIT"].current, tools["IIT"].difference.text()) == (
        D("96.18"),
        D("98.07"),
        "เพิ่มขึ้น 1.89",
    )
    assert (tools["EIT"].previous, tools["EIT"].current, tools["EIT"].difference.text()) == (
        D("97.90"),
        D("94.85"),
        "ลดลง 3.05",
    )
    assert (tools["OIT"].previous, tools["OIT"].current, tools["OIT"].difference.text()) == (
        D("100.00"),
        D("100.00"),
        "เท่าเดิม",
    )
    assert tools["IIT"].label == "แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายใน (ด้าน IIT)"
    assert (a.overall, a.level) == (D("97.88"), "AA")
    assert (a.previous.overall, a.previous.level) == (D("98.22"), "AA")


def test_seed_table_1_context_rows_and_the_organization(banpet):
    a = analyse(banpet, 2565)
    rows = [(r.label, r.previous, r.previous_level, r.current, r.current_level, r.difference.text()) for r in a.summary]
    assert rows == [
        ("ภาพรวมระดับประเทศ", D("81.25"), "B", D("87.57"), "A", "เพิ่มขึ้น 6.32"),
        ("ภาพรวมจังหวัดขอนแก่น", D("77.84"), "B", D("92.49"), "A", "เพิ่มขึ้น 14.65"),
        ("ภาพรวมหน่วยงาน", D("98.22"), "AA", D("97.88"), "AA", "ลดลง 0.34"),
    ]
    assert a.organization.scope == "organization"


@pytest.mark.parametrize("number,name,before,after,text", SEED_TABLE_2)
def test_seed_table_2_every_indicator_difference(banpet, number, name, before, after, text):
    row = analyse(banpet, 2565).indicator(number)
    assert (row.name, row.previous, row.current, row.difference.text()) == (name, D(before), D(after), text)


def test_seed_counts_five_up_two_equal_three_down(banpet):
    counts = analyse(banpet, 2565).counts
    assert (counts.up, counts.equal, counts.down, counts.unknown) == (5, 2, 3, 0)


def test_seed_ranking_ties_keep_the_indicator_order(banpet):
    a = analyse(banpet, 2565)
    assert [(i.rank, i.name, format_score(i.current)) for i in a.ranking[:4]] == [
        (1, "การเปิดเผยข้อมูล", "100"),
        (2, "การป้องกันการทุจริต", "100"),
        (3, "การปฏิบัติหน้าที่", "98.63"),
        (4, "การใช้อำนาจ", "98.31"),
    ]
    # The whole order is the order of the memo's table 2.
    assert [i.number for i in a.ranking] == [9, 10, 1, 3, 2, 5, 4, 6, 7, 8]
    assert (a.highest, a.lowest) == (D("100.00"), D("92.89"))


def test_seed_lowest_indicator_of_each_tool(banpet):
    a = analyse(banpet, 2565)
    lowest = {t.code: [(i.name, i.current) for i in t.lowest] for t in a.tools}
    assert lowest["IIT"] == [("การใช้ทรัพย์สินของราชการ", D("97.32"))]
    assert lowest["EIT"] == [("การปรับปรุงการทำงาน", D("92.89"))]
    # A tie marks every indicator at the minimum; `all_equal` tells the memo nothing stands out.
    assert [name for name, _ in lowest["OIT"]] == ["การเปิดเผยข้อมูล", "การป้องกันการทุจริต"]
    assert [t.all_equal for t in a.tools] == [False, False, True]
    # Weak: the lowest of a tool whose scores differ, or lower than last year.
    assert [i.number for i in a.indicators if i.weak] == [4, 6, 7, 8]


def test_the_previous_year_alone(banpet):
    result = year_result(banpet, 2564)
    iit = result.tool("IIT")
    assert iit.mean == D("96.182") and iit.score == D("96.18")
    assert result.tool("EIT").score == D("97.90")
    assert (result.overall, result.level, result.complete) == (D("98.22"), "AA", True)
    # 2563 has no framework: nothing to compare with, said as such.
    a = analyse(banpet, 2564)
    assert a.previous is None
    assert a.organization.difference.direction is None and a.organization.difference.text() == "–"
    assert a.counts.unknown == 10


def test_the_analysis_as_json_data(banpet):
    data = analyse(banpet, 2565).as_dict()
    assert data["overall"] == "97.88" and data["level"] == "AA"
    assert data["tools"][1]["difference"] == {"amount": "-3.05", "direction": "down", "text": "ลดลง 3.05"}
    assert data["counts"] == {"up": 5, "equal": 2, "down": 3, "unknown": 0}
    assert data["ranking"][:3] == [9, 10, 1]


# -- another organization ----------------------------------------------------------------


def test_another_organization_with_a_b_level_and_a_tool_that_went_down(nonsa):
    a = analyse(nonsa, 2565)
    tools = {t.code: (t.previous, t.current, t.difference.text()) for t in a.tools}
    # IIT 436.95/5 = 87.39 → 445.85/5 = 89.17; EIT 249.75/3 = 83.25 → 238.25/3 = 79.4166… → 79.42;
    # OIT 70.25 → 72.75.
    assert tools == {
        "IIT": (D("87.39"), D("89.17"), "เพิ่มขึ้น 1.78"),
        "EIT": (D("83.25"), D("79.42"), "ลดลง 3.83"),
        "OIT": (D("70.25"), D("72.75"), "เพิ่มขึ้น 2.50"),
    }
    # 0.3·87.39 + 0.3·83.25 + 0.4·70.25 = 79.292; 0.3·89.17 + 0.3·79.42 + 0.4·72.75 = 79.677
    assert (a.previous.overall, a.previous.level, a.overall, a.level) == (D("79.29"), "B", D("79.68"), "B")
    assert a.organization.difference.text() == "เพิ่มขึ้น 0.39"
    assert [(t.code, [i.number for i in t.lowest]) for t in a.tools] == [("IIT", [4]), ("EIT", [8]), ("OIT", [10])]
    assert [i.number for i in a.ranking] == [3, 1, 5, 2, 4, 6, 7, 8, 9, 10]
    assert (a.counts.up, a.counts.equal, a.counts.down) == (7, 0, 3)
    # The provincial row: label from the organization's province, level computed (no level given).
    province = a.summary[0]
    assert (province.label, province.previous_level, province.current_level) == ("ภาพรวมจังหวัดอุดรธานี", "B", "B")
    assert province.difference.text() == "เพิ่มขึ้น 4.87"
    assert len(a.summary) == 2  # no national row given


def test_tool_means_round_half_up(ctx):
    org = Organization(name="อบต.ปัดเศษ", slug="rounding", province="")
    db.session.add(org)
    db.session.flush()
    scores = {n: "90" for n in range(1, 9)} | {9: "99.98", 10: "99.99"}
    save_scores(org, 2565, actor=None, now=NOW, scores=scores)
    oit = year_result(org, 2565).tool("OIT")
    assert (oit.mean, oit.score) == (D("99.985"), D("99.99"))  # half-even would give 99.98


@pytest.mark.parametrize(
    "score,level",
    [
        ("95.00", "AA"),
        ("94.99", "A"),
        ("85.00", "A"),
        ("84.99", "B"),
        ("75", "B"),
        ("74.99", "C"),
        ("65", "C"),
        ("55", "D"),
        ("54.99", "E"),
        ("50.00", "E"),
        ("49.99", "F"),
        ("0", "F"),
        ("100", "AA"),
    ],
)
def test_boundary_levels(ctx, score, level):
    org = Organization(name="อบต.ขอบเขต", slug="bounds", province="")
    db.session.add(org)
    db.session.flush()
    save_scores(org, 2565, actor=None, now=NOW, scores={n: score for n in range(1, 11)})
    result = year_result(org, 2565)
    assert (result.overall, result.level) == (D(score).quantize(D("0.01")), level)


def test_missing_scores_leave_the_tool_and_the_overall_open(ctx):
    org = Organization(name="อบต.ไม่ครบ", slug="partial", province="")
    db.session.add(org)
    db.session.flush()
    save_scores(org, 2565, actor=None, now=NOW, scores={1: "90", 2: "91", 6: "80", 7: "81", 8: "82"})
    result = year_result(org, 2565)
    assert result.tool("IIT").score is None and result.tool("EIT").score == D("81.00")
    assert (result.overall, result.level, result.complete, result.scored) == (None, None, False, 5)
    a = analyse(org, 2565)
    assert [i.number for i in a.ranking if i.rank is None] == [3, 4, 5, 9, 10]


# -- entering scores ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "given,expected",
    [
        ("97.32", "97.32"),
        ("๙๗.๓๒", "97.32"),
        (" 100 ", "100.00"),
        ("0", "0.00"),
        (97.32, "97.32"),
        (100, "100.00"),
    ],
)
def test_scores_are_read_from_text_thai_digits_and_numbers(given, expected):
    assert parse_score(given) == D(expected)


@pytest.mark.parametrize(
    "given,message",
    [
        ("101", "นอกช่วง 0–100"),
        ("-1", "นอกช่วง 0–100"),
        ("97.321", "ทศนิยมเกิน 2 ตำแหน่ง"),
        ("abc", "ไม่ใช่ตัวเลข"),
        ("9 7", "ไม่ใช่ตัวเลข"),
        ("1e2", "ไม่ใช่ตัวเลข"),
        (None, "ต้องเป็นตัวเลข"),
    ],
)
def test_bad_scores_are_refused(given, message):
    with pytest.raises(ServiceError, match=message):
        parse_score(given)


def test_saving_checks_everything_first_and_changes_nothing_on_a_problem(world):
    save_scores(world.org, 2565, actor=world.admin, now=NOW, scores={1: "90"})
    db.session.commit()
    with pytest.raises(ScoreProblems) as caught:
        save_scores(
            world.org,
            2565,
            actor=world.admin,
            now=NOW,
            scores={1: "95", 2: "101", 3: "x", 11: "50"},
            contexts={"national": ContextInput("", "80", "Z")},
        )
    problems = caught.value.problems
    assert len(problems) == 4
    assert any("ตัวชี้วัดที่ 2 การใช้งบประมาณ" in p and "0–100" in p for p in problems)
    assert any("ไม่มีตัวชี้วัดที่ 11" in p for p in problems)
    assert any("ระดับ “Z”" in p for p in problems)
    db.session.rollback()
    assert get_scores(world.org, 2565) == {1: D("90.00")}


def test_changes_are_journaled_with_old_and_new_values(world):
    save_scores(
        world.org,
        2565,
        actor=world.admin,
        now=NOW,
        scores={4: "97.32"},
        contexts={"national": ContextInput("", "87.57", "A")},
    )
    changes = save_scores(
        world.org,
        2565,
        actor=world.admin,
        now=NOW,
        scores={4: "97.50"},
        contexts={"national": ContextInput("ภาพรวมระดับประเทศ", "87.57", "")},
    )
    assert changes == [
        "ปีงบประมาณ 2565 ตัวชี้วัดที่ 4 การใช้ทรัพย์สินของราชการ: 97.32 → 97.50",
        "ปีงบประมาณ 2565 ภาพรวมระดับประเทศ: A → –",
    ]
    assert save_scores(world.org, 2565, actor=world.admin, now=NOW, scores={4: "97.5"}) == []
    removed = save_scores(
        world.org, 2565, actor=world.admin, now=NOW, scores={4: ""}, contexts={"national": ContextInput("", "", "")}
    )
    assert len(removed) == 2 and get_scores(world.org, 2565) == {}
    db.session.commit()
    entries = db.session.scalars(
        sa.select(JournalEntry).where(JournalEntry.entity == "ita_score").order_by(JournalEntry.id)
    ).all()
    assert [(e.action, e.old_value, e.new_value, e.actor_id) for e in entries] == [
        ("create", None, "97.32", world.admin.id),
        ("edit", "97.32", "97.50", world.admin.id),
        ("delete", "97.50", None, world.admin.id),
    ]
    assert "ตัวชี้วัดที่ 4 การใช้ทรัพย์สินของราชการ" in entries[0].note
    contexts = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "ita_context")).all()
    assert [(e.action, e.field) for e in contexts] == [("create", "score"), ("edit", "level"), ("delete", "score")]


def test_the_demo_scores_load_twice_without_changes(world):
    first = load_demo_scores(world.org, NOW)
    assert (first.years, first.scores, first.contexts, len(first.changes)) == ([2564, 2565], 20, 4, 24)
    assert load_demo_scores(world.org, NOW).changes == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItaScore)) == 20


# -- words and figures --------------------------------------------------------------------


def test_differences_are_worded_from_the_rounded_figures():
    assert Difference.between(D("96.18"), D("98.07")).text() == "เพิ่มขึ้น 1.89"
    assert Difference.between(D("97.90"), D("94.85")).text(thai_digits=True) == "ลดลง ๓.๐๕"
    same = Difference.between(D("100"), D("100.00"))
    assert (same.direction, same.text(), same.text(equal="-")) == ("equal", "เท่าเดิม", "-")
    assert Difference.between(None, D("90")).text() == "–"
    # One rule for every score: two decimals, except exactly 100.
    assert format_score(D("100")) == format_score(D("100.00")) == "100"
    assert format_score(D("97"), thai_digits=True) == "๙๗.๐๐"
    assert format_score(D("99.995")) == "100"
    assert format_score(D("97.9"), thai_digits=True) == "๙๗.๙๐"


# -- from a weak indicator to next year's plan ----------------------------------------------


def _indicator(year: int, number: int) -> ItaIndicator:
    return db.session.scalar(
        sa.select(ItaIndicator)
        .join(ItaIndicator.framework)
        .where(ItaFramework.fiscal_year == year, ItaIndicator.number == number)
    )


def test_a_weak_indicator_starts_a_weakness_in_a_new_draft_plan(nonsa, world):
    admin = world.admin  # the actor only signs the journal here; access is the view's business
    result = start_weakness_from_indicator(nonsa, _indicator(2565, 8), 2566, admin, NOW)
    db.session.commit()
    assert result.created and result.plan_created
    plan = result.plan
    assert (plan.organization_id, plan.fiscal_year, plan.status) == (nonsa.id, 2566, PlanStatus.draft)
    assert result.weakness.title == "การปรับปรุงการทำงาน"
    assert result.weakness.detail == (
        "ตัวชี้วัดที่ 8 การปรับปรุงการทำงาน ได้คะแนน 76.80 ในการประเมิน ITA ปีงบประมาณ พ.ศ. 2565 "
        "(แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายนอก ด้าน EIT) ซึ่งได้คะแนนน้อยที่สุดในกลุ่มเครื่องมือนี้ "
        "และมีคะแนนลดลง 4.10 คะแนนจากปีงบประมาณ พ.ศ. 2564"
    )
    journal = db.session.scalars(
        sa.select(JournalEntry).where(
            JournalEntry.organization_id == nonsa.id, JournalEntry.entity.in_(["plan", "weakness"])
        )
    ).all()
    assert {(e.entity, e.action, e.field) for e in journal} == {
        ("plan", "create", "title"),
        ("weakness", "create", "title"),
        ("weakness", "create", "detail"),
    }

    again = start_weakness_from_indicator(nonsa, _indicator(2565, 8), 2566, admin, NOW)
    assert (again.created, again.plan_created, again.weakness.id) == (False, False, result.weakness.id)
    assert len(plan.weaknesses) == 1


def test_an_existing_weakness_of_the_same_title_is_found_not_duplicated(banpet, world):
    # The test plan of 2566 already has "การใช้ทรัพย์สินของราชการ" as weakness 1.
    result = start_weakness_from_indicator(banpet, _indicator(2565, 4), 2566, world.admin, NOW)
    assert (result.created, result.plan_created, result.plan.id) == (False, False, world.plan.id)
    assert result.weakness.order == 1 and len(world.plan.weaknesses) == 2
    added = start_weakness_from_indicator(banpet, _indicator(2565, 7), 2566, world.admin, NOW)
    assert added.created and added.weakness.order == 3 and added.plan.status is PlanStatus.active


def test_a_closed_plan_or_a_missing_score_is_refused(banpet, world):
    world.plan.status = PlanStatus.closed
    with pytest.raises(ServiceError, match="ปิดแล้ว"):
        start_weakness_from_indicator(banpet, _indicator(2565, 7), 2566, world.admin, NOW)
    db.session.rollback()
    save_scores(banpet, 2565, actor=None, now=NOW, scores={7: ""})
    with pytest.raises(ServiceError, match="ยังไม่มีคะแนน"):
        start_weakness_from_indicator(banpet, _indicator(2565, 7), 2567, world.admin, NOW)
    assert db.session.scalar(sa.select(Plan).where(Plan.fiscal_year == 2567)) is None
