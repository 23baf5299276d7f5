"""ITA frameworks as data (issue 12): what a framework says decides every number, rating,
comparison and item code the tracker prints; national users publish frameworks for every
organization, an organization loads its own where none is published, and a framework that
has scores is versioned, never changed under them.

The 2569 framework used here is a TEST framework: its item codes O25/O26 are those agencies'
OIT pages show for 2569 (field notes), its rating rules are made up to exercise the rules
(the NACC's 2568 example: 94.64 overall, rated ผ่าน instead of ผ่านดี because EIT < 85).
"""

from __future__ import annotations

import ast
import copy
import io
import re
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import docx
import openpyxl
import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import NOW, make_user
from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.errors import ServiceError
from tracker.ita.analysis import analyse
from tracker.ita.demo import load_demo_scores
from tracker.ita.framework import (
    FRAMEWORK_DIR,
    copy_as_draft,
    ensure_framework,
    framework_for,
    publish_framework,
    save_framework,
)
from tracker.ita.models import FrameworkStatus, ItaFramework, ItaScore
from tracker.ita.scores import year_result
from tracker.ita.services import save_scores
from tracker.ita.spec_files import parse_xlsx, parse_yaml, spec_to_xlsx, spec_to_yaml
from tracker.ita.spec_format import parse_framework, spec_to_dict
from tracker.orgs.models import Organization
from tracker.plans.models import Plan, PlanStatus
from tracker.public import services as publishing
from tracker.public.models import PublishedReport
from tracker.reports.followup import build_report, report_filename
from tracker.reports.memo import build_memo
from tracker.reports.memo_document import memo_filename
from tracker.reports.memo_docx import memo_docx

SHIPPED_2565 = yaml.safe_load((FRAMEWORK_DIR / "2565.yaml").read_text(encoding="utf-8"))
SEED = {
    2564: {
        1: "98.16",
        2: "95.26",
        3: "95.64",
        4: "95.54",
        5: "96.31",
        6: "97.13",
        7: "98.39",
        8: "98.19",
        9: "100",
        10: "100",
    },
    2565: {
        1: "98.63",
        2: "98.23",
        3: "98.31",
        4: "97.32",
        5: "97.88",
        6: "97.08",
        7: "94.59",
        8: "92.89",
        9: "100",
        10: "100",
    },
}
#: IIT 98.13, EIT 84.00, OIT 100 → 29.439 + 25.2 + 40 = 94.639 → 94.64, with EIT below 85.
AUDIT_LIKE = {
    1: "98.13",
    2: "98.13",
    3: "98.13",
    4: "98.13",
    5: "98.13",
    6: "84",
    7: "84",
    8: "84",
    9: "100",
    10: "100",
}
RATINGS = [
    {"name": "ผ่านดีเยี่ยม", "minimum": "95", "conditions": ["EIT >= 85"]},
    {"name": "ผ่านดี", "minimum": "90", "conditions": ["EIT >= 85"]},
    {"name": "ผ่าน", "minimum": "85"},
    {"name": "ไม่ผ่าน", "minimum": "0"},
]


def framework_dict(year: int, **changes) -> dict:
    """The shipped 2565 framework as plain data, for `year`, with `changes` applied."""
    data = copy.deepcopy(SHIPPED_2565)
    data.update(fiscal_year=year, name=f"การประเมิน ITA ประจำปีงบประมาณ พ.ศ. {year} (ทดสอบ)", source=[], notes="")
    data.update(changes)
    return data


def rated_2569() -> dict:
    """A framework rated by rules only, whose items are O25/O26."""
    data = framework_dict(
        2569,
        ratings=RATINGS,
        pass_threshold="85",
        items={
            "measures": {"code": "O25", "title": "การนำผลการประเมิน ITA ไปสู่การพัฒนาองค์กร"},
            "followup": {"code": "O26", "title": "รายงานผลการดำเนินการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"},
        },
    )
    del data["levels"]
    return data


def publish_dict(data: dict) -> ItaFramework:
    framework, _ = save_framework(parse_framework(data), now=NOW, publish=True)
    db.session.commit()
    return framework


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


# -- the numbers ---------------------------------------------------------------------------------


def test_the_seed_numbers_are_unchanged_for_2564_and_2565(world):
    for year, scores in SEED.items():
        save_scores(world.org, year, actor=None, now=NOW, scores=scores)
    db.session.commit()
    r2564, r2565 = year_result(world.org, 2564), year_result(world.org, 2565)
    assert [(t.code, t.score) for t in r2564.tools] == [("IIT", D("96.18")), ("EIT", D("97.90")), ("OIT", D("100.00"))]
    assert [(t.code, t.score) for t in r2565.tools] == [("IIT", D("98.07")), ("EIT", D("94.85")), ("OIT", D("100.00"))]
    assert (r2564.overall, r2564.level, r2565.overall, r2565.level) == (D("98.22"), "AA", D("97.88"), "AA")
    assert (r2565.rating, r2565.passed) == (None, None)  # 2565 has bands, no rules and no threshold
    a = analyse(world.org, 2565)
    assert not a.first_year and not a.frameworks_differ
    assert a.tool("IIT").difference.text() == "เพิ่มขึ้น 1.89" and a.tool("EIT").difference.text() == "ลดลง 3.05"
    assert r2565.items.measures.code == "O42" and r2565.items.followup.code == "O43"
    assert r2565.items.citation.sub_indicator == "10.2"
    assert r2564.items.measures is None  # not in the seed: no code is invented for 2564


def test_a_tool_with_weighted_indicators_is_their_weighted_sum(world):
    data = framework_dict(2566)
    data["tools"][2]["indicators"] = [
        {"number": 9, "name": "การเปิดเผยข้อมูล", "weight": "0.6"},
        {"number": 10, "name": "การป้องกันการทุจริต", "weight": "0.4"},
    ]
    publish_dict(data)
    save_scores(world.org, 2566, actor=None, now=NOW, scores={**SEED[2565], 9: "100", 10: "80"})
    result = year_result(world.org, 2566)
    # OIT = 0.6·100 + 0.4·80 = 92.00 (a plain mean would be 90.00);
    # overall = 0.3·98.07 + 0.3·94.85 + 0.4·92 = 29.421 + 28.455 + 36.8 = 94.676 → 94.68 (A).
    assert result.tool("OIT").score == D("92.00")
    assert (result.overall, result.level) == (D("94.68"), "A")


def test_weights_that_do_not_add_up_are_refused_with_every_problem(ctx):
    data = framework_dict(2566)
    data["tools"][2]["indicators"] = [{"number": 9, "name": "ก", "weight": "0.6"}, {"number": 10, "name": "ข"}]
    data["ratings"] = [{"name": "ผ่าน", "minimum": "85", "conditions": ["XIT >= 85"]}]
    with pytest.raises(ServiceError) as caught:
        parse_framework(data)
    message = str(caught.value)
    assert "ให้น้ำหนักทุกตัวชี้วัดของเครื่องมือ หรือไม่ให้เลย" in message
    assert "ไม่มีเครื่องมือ “XIT” ในกรอบนี้" in message
    assert "rating สุดท้ายต้องมี minimum 0" in message


def test_a_high_overall_is_rated_lower_when_eit_misses_its_condition(world):
    publish_dict(rated_2569())
    save_scores(world.org, 2569, actor=None, now=NOW, scores=AUDIT_LIKE)
    result = year_result(world.org, 2569)
    assert result.overall == D("94.64") and result.tool("EIT").score == D("84.00")
    assert (result.rating, result.rating_lowered_from) == ("ผ่าน", "ผ่านดี")
    assert [c.text() for c in result.rating_failed] == ["EIT ≥ 85"]
    assert result.level == "ผ่าน" and result.passed is True
    # The same overall with EIT at 85 is ผ่านดี, nothing lowered.
    save_scores(
        world.org,
        2569,
        actor=None,
        now=NOW,
        scores={6: "85", 7: "85", 8: "85", 1: "97.80", 2: "97.80", 3: "97.80", 4: "97.80", 5: "97.80"},
    )
    result = year_result(world.org, 2569)
    assert (result.overall, result.rating, result.rating_lowered_from) == (D("94.84"), "ผ่านดี", None)


# -- comparisons -----------------------------------------------------------------------------------


def test_years_with_different_frameworks_compare_only_what_both_have(world):
    # 2566: indicator 8 renamed, a new indicator 11 in a new tool, EIT reweighted.
    data = framework_dict(2566)
    data["tools"][1]["indicators"][2]["name"] = "การปรับปรุงระบบการทำงาน"
    data["tools"][0]["weight"], data["tools"][1]["weight"], data["tools"][2]["weight"] = "0.25", "0.25", "0.30"
    data["tools"].append(
        {
            "code": "PIT",
            "name": "แบบวัดการมีส่วนร่วม",
            "name_en": "Participation",
            "weight": "0.20",
            "indicators": [{"number": 11, "name": "การมีส่วนร่วมของประชาชน"}],
        }
    )
    publish_dict(data)
    save_scores(world.org, 2565, actor=None, now=NOW, scores=SEED[2565])
    save_scores(world.org, 2566, actor=None, now=NOW, scores={**SEED[2565], 8: "90", 11: "88"})
    db.session.commit()
    a = analyse(world.org, 2566)
    assert a.frameworks_differ and not a.first_year
    assert a.only_current == ((8, "การปรับปรุงระบบการทำงาน"), (11, "การมีส่วนร่วมของประชาชน"))
    assert a.only_previous == ((8, "การปรับปรุงการทำงาน"),)
    assert a.only_current_tools == ("PIT",) and a.only_previous_tools == ()
    assert [c for c, _, _ in a.reweighted_tools] == ["IIT", "EIT", "OIT"]
    # Indicators in both years are compared; the others are not pretended to match.
    assert a.indicator(7).difference.amount == D("0.00")
    assert a.indicator(8).previous is None and a.indicator(8).difference.direction is None
    assert a.indicator(11).previous is None
    assert (a.counts.equal, a.counts.unknown) == (9, 2)
    assert a.tool("PIT").previous is None and a.tool("EIT").previous == D("94.85")

    plan = Plan(organization=world.org, fiscal_year=2567, title="มาตรการ 2567", status=PlanStatus.active)
    db.session.add(plan)
    db.session.commit()
    memo = build_memo(plan, memo_date=date(2023, 11, 1))
    notes = "\n".join(memo.comparison_notes)
    assert "กรอบการประเมินของปีงบประมาณ พ.ศ. ๒๕๖๕ และ พ.ศ. ๒๕๖๖ แตกต่างกัน" in notes
    assert (
        "ตัวชี้วัดที่มีเฉพาะปี ๒๕๖๖ (ไม่มีคะแนนปีก่อนให้เปรียบเทียบ): ตัวชี้วัดที่ ๘ การปรับปรุงระบบการทำงาน, "
        "ตัวชี้วัดที่ ๑๑ การมีส่วนร่วมของประชาชน" in notes
    )
    assert "ตัวชี้วัดของปี ๒๕๖๕ ที่ไม่มีในกรอบปี ๒๕๖๖: ตัวชี้วัดที่ ๘ การปรับปรุงการทำงาน" in notes
    assert "เครื่องมือที่มีเฉพาะปี ๒๕๖๖: PIT" in notes
    assert "น้ำหนักของ EIT เปลี่ยนจาก ๓๐% เป็น ๒๕%" in notes
    assert "เปรียบเทียบไม่ได้ ๒ ตัวชี้วัด" in memo.table2_prose
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(memo_docx(memo))).paragraphs)
    assert "แตกต่างกัน" in text


def _plan_2570(world) -> Plan:
    plan = Plan(organization=world.org, fiscal_year=2570, title="มาตรการส่งเสริมคุณธรรม 2570", status=PlanStatus.active)
    db.session.add(plan)
    db.session.commit()
    return plan


def test_a_first_year_memo_shows_this_years_scores_and_says_there_is_no_comparison(world):
    publish_dict(rated_2569())
    save_scores(world.org, 2569, actor=None, now=NOW, scores=AUDIT_LIKE)
    plan = _plan_2570(world)
    assert plan.assessed_year == 2569
    memo = build_memo(plan, memo_date=date(2026, 11, 2))
    notes = "\n".join(memo.comparison_notes)
    assert "ไม่มีผลการประเมินของปีงบประมาณ พ.ศ. ๒๕๖๘ ในระบบ" in notes and "โดยไม่มีการเปรียบเทียบกับปีก่อน" in notes
    # The rating and the condition that lowered it.
    assert "อยู่ในระดับ “ผ่าน”" in notes
    assert "ถึงเกณฑ์ระดับ “ผ่านดี” แต่ไม่เป็นไปตามเงื่อนไข EIT ≥ ๘๕ จึงได้ระดับ “ผ่าน”" in notes
    assert memo.overall_score == "๙๔.๖๔" and memo.overall_level == "ผ่าน"
    assert "ไม่มีผลการประเมินของปีงบประมาณ พ.ศ. ๒๕๖๘ ให้เปรียบเทียบ" in memo.table1_prose
    assert [r.previous for r in memo.table2] == ["–"] * 10 and [r.difference for r in memo.table2] == ["–"] * 10
    assert "ไม่มีคะแนนของปีงบประมาณ พ.ศ. ๒๕๖๘ ให้เปรียบเทียบ" in memo.table3_points[1][1].text


# -- item codes ---------------------------------------------------------------------------------------


def test_item_codes_come_from_the_framework_in_the_memo_report_public_page_and_file_names(world, login, app):
    publish_dict(rated_2569())
    save_scores(world.org, 2569, actor=None, now=NOW, scores=AUDIT_LIKE)
    plan = _plan_2570(world)
    memo = build_memo(plan, memo_date=date(2026, 11, 2))
    assert "ตามข้อ O๒๕ การนำผลการประเมิน ITA ไปสู่การพัฒนาองค์กร และ O๒๖ รายงานผลการดำเนินการ" in memo.background
    assert "O๔๒" not in memo.background and "ตัวชี้วัดย่อยที่" not in memo.background  # 2569 cites no sub-indicator
    assert memo_filename(memo, "docx")[1] == "O25-analysis-testorg-2570.docx"

    report = build_report(plan, date(2027, 3, 31))
    assert report.heading_lines()[-1] == (
        "ตามข้อ O26 รายงานผลการดำเนินการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน (การประเมิน ITA ปีงบประมาณ พ.ศ. 2569)"
    )
    assert report_filename(report, "pdf")[1] == "O26-followup-testorg-2570-2027-03-31.pdf"
    # The seed year's plan still says O42/O43.
    seed_report = build_report(world.plan, date(2023, 3, 31))
    assert "ตามข้อ O43 การดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน" in seed_report.heading_lines()[-1]

    admin = login(world.admin)
    public = admin.get("/p/testorg/2570").get_data(as_text=True)
    assert "O25 การนำผลการประเมิน ITA ไปสู่การพัฒนาองค์กร" in public and "O26 รายงานผลการดำเนินการ" in public
    assert "O42" not in public and "O43" not in public
    dashboard = admin.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "รายงานผลการดำเนินงาน (O26)" in dashboard and "O43" not in dashboard
    publish_page = admin.get(f"/plans/{plan.id}/publish").get_data(as_text=True)
    assert "หลักฐานข้อ O26" in publish_page and "O43" not in publish_page

    response = admin.post(
        f"/plans/{plan.id}/publish", data={"kind": "followup", "format": ["xlsx"], "as_of": "31/03/2570"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    report_row = db.session.scalar(sa.select(PublishedReport).where(PublishedReport.plan_id == plan.id))
    download = admin.get(f"/p/testorg/2570/reports/{report_row.id}.xlsx")
    assert 'filename="O26-followup-testorg-2570-2027-03-31.xlsx"' in download.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any("ตามข้อ O26" in c for c in cells) and not any("O43" in c for c in cells)
    assert "(O26)" in publishing.KIND_LABELS["followup"] + " (O26)"  # labels carry no constant code
    assert "O4" not in publishing.KIND_LABELS["followup"] + publishing.KIND_LABELS["analysis"]


def _literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string the code would print: docstrings and comments left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bare = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare
    ]


def test_no_item_code_is_a_constant_in_code_or_templates():
    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"\bO4[23]\b|ตัวชี้วัดย่อยที่ \{?n|\.2 ")
    offenders = []
    for path in (root / "tracker").rglob("*.py"):
        if path.name != "en.py":  # the English catalogue is keyed by the Thai text
            offenders += [f"{path.relative_to(root)}:{n}" for n, text in _literals(path) if pattern.search(text)]
    for path in (root / "templates").rglob("*.html"):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        offenders += [f"{path.relative_to(root)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


# -- versions, scopes, drafts ------------------------------------------------------------------------


def test_a_published_framework_with_scores_gets_a_new_version_and_scores_stay(world):
    first = publish_dict(framework_dict(2566))
    save_scores(world.org, 2566, actor=None, now=NOW, scores=SEED[2565])
    db.session.commit()
    before = year_result(world.org, 2566)
    changed = framework_dict(2566)
    changed["tools"][2]["weight"], changed["tools"][0]["weight"] = "0.50", "0.20"
    second, what = save_framework(parse_framework(changed), now=NOW, replace=first)
    db.session.commit()
    assert what == "new_version" and (first.status, second.status) == (
        FrameworkStatus.retired,
        FrameworkStatus.published,
    )
    assert year_result(world.org, 2566) == before and before.overall == D("97.88")
    newcomer = Organization(name="อบต.ใหม่", slug="newcomer", province="")
    db.session.add(newcomer)
    db.session.flush()
    assert framework_for(newcomer, 2566).id == second.id
    save_scores(newcomer, 2566, actor=None, now=NOW, scores=SEED[2565])
    # 0.2·98.07 + 0.3·94.85 + 0.5·100 = 19.614 + 28.455 + 50 = 98.069 → 98.07
    assert year_result(newcomer, 2566).overall == D("98.07")


def test_an_organization_loads_its_own_framework_only_where_none_is_published(world):
    own, _ = save_framework(parse_framework(framework_dict(2567)), now=NOW, organization_id=world.org.id, publish=True)
    db.session.commit()
    assert framework_for(world.org, 2567).id == own.id
    other = Organization(name="อบต.อื่น", slug="other", province="")
    db.session.add(other)
    db.session.flush()
    assert framework_for(other, 2567) is None  # someone else's framework is not theirs
    publish_dict(framework_dict(2568))
    with pytest.raises(ServiceError, match="ปีงบประมาณ 2568 มีกรอบการประเมินที่เผยแพร่สำหรับทุกหน่วยงานแล้ว"):
        save_framework(parse_framework(framework_dict(2568)), now=NOW, organization_id=world.org.id)


def test_copying_last_years_framework_makes_a_draft_nobody_uses_until_published(world):
    source = ensure_framework(2565)
    draft = copy_as_draft(source, 2566, now=NOW)
    db.session.commit()
    assert (draft.fiscal_year, draft.status, draft.spec.source) == (2566, FrameworkStatus.draft, ())
    assert "คัดลอกจากกรอบปีงบประมาณ 2565" in draft.spec.notes
    assert draft.spec.items == source.spec.items and "2566" in draft.name
    assert framework_for(world.org, 2566) is None
    with pytest.raises(ServiceError, match="ยังไม่มีกรอบการประเมิน ITA ของปีงบประมาณ 2566"):
        save_scores(world.org, 2566, actor=None, now=NOW, scores={1: "90"})
    publish_framework(draft, now=NOW)
    db.session.commit()
    assert framework_for(world.org, 2566).id == draft.id


def test_yaml_and_xlsx_round_trip_the_whole_framework(ctx):
    spec = parse_framework(rated_2569())
    assert parse_yaml(spec_to_yaml(spec)) == spec
    assert parse_xlsx(spec_to_xlsx(spec)) == spec
    shipped = parse_yaml((FRAMEWORK_DIR / "2565.yaml").read_bytes())
    assert parse_xlsx(spec_to_xlsx(shipped)) == shipped


# -- the web ------------------------------------------------------------------------------------------


@pytest.fixture
def national(world):
    office = Organization(name="กรมส่งเสริมการปกครองท้องถิ่น", slug="dla", province="")
    user = make_user(office, "national@dla.go.th", Role.national, name="ส่วนกลาง")
    db.session.commit()
    return user


def test_a_national_user_uploads_previews_publishes_and_copies_a_framework(world, national, login):
    client = login(national)
    body = yaml.safe_dump(rated_2569(), allow_unicode=True).encode("utf-8")
    response = client.post(
        "/ita/frameworks/upload", data={"file": (io.BytesIO(body), "ita-2569.yaml")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    framework = db.session.scalar(sa.select(ItaFramework).where(ItaFramework.fiscal_year == 2569))
    assert framework.status is FrameworkStatus.draft and framework.organization_id is None
    page = client.get(f"/ita/frameworks/{framework.id}").get_data(as_text=True)
    for text in ("ฉบับร่าง", "EIT", "ผ่านดีเยี่ยม", "EIT ≥ 85", "O25 การนำผลการประเมิน ITA ไปสู่การพัฒนาองค์กร", "ตัวอย่างการคำนวณ"):
        assert text in page, text
    # The worked example: IIT 98–92, EIT 80–77, OIT 98/96.5 → a high overall rated lower by EIT.
    assert 'data-testid="example-rating">ผ่าน<' in page and "ถึงเกณฑ์ “ผ่านดี”" in page
    tried = client.get(f"/ita/frameworks/{framework.id}?" + "&".join(f"s{n}={v}" for n, v in AUDIT_LIKE.items()))
    assert 'data-testid="example-overall">94.64<' in tried.get_data(as_text=True)
    assert client.get(f"/ita/frameworks/{framework.id}?s1=abc").status_code == 400
    # Nobody's year uses a draft; publishing makes it every organization's.
    assert framework_for(world.org, 2569) is None
    assert client.post(f"/ita/frameworks/{framework.id}/publish").status_code == 302
    db.session.expire_all()
    assert framework_for(world.org, 2569).id == framework.id
    response = client.post(f"/ita/frameworks/{framework.id}/copy", data={"fiscal_year": "2570"})
    assert response.status_code == 302 and response.location.endswith("/edit")
    draft = db.session.scalar(sa.select(ItaFramework).where(ItaFramework.fiscal_year == 2570))
    assert draft.status is FrameworkStatus.draft
    edit = client.get(f"/ita/frameworks/{draft.id}/edit").get_data(as_text=True)
    assert "fiscal_year: 2570" in edit
    text = spec_to_yaml(draft.spec).replace("code: O26", "code: O27")
    assert client.post(f"/ita/frameworks/{draft.id}/edit", data={"yaml": text}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ItaFramework, draft.id).spec.items.followup.code == "O27"
    bad = client.post(f"/ita/frameworks/{draft.id}/edit", data={"yaml": "fiscal_year: 2570\ntools: []"})
    assert bad.status_code == 400 and "ต้องระบุ name" in bad.get_data(as_text=True)


def test_framework_pages_refuse_what_a_user_may_not_do(world, national, login):
    client = login(world.admin)
    body = yaml.safe_dump(framework_dict(2566), allow_unicode=True).encode("utf-8")
    # An organization's admin may load its own framework for a year nobody published …
    response = client.post(
        "/ita/frameworks/upload", data={"file": (io.BytesIO(body), "own.yaml")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    own = db.session.scalar(sa.select(ItaFramework).where(ItaFramework.fiscal_year == 2566))
    assert own.organization_id == world.org.id
    # … but not publish over a national one, nor touch a national framework.
    national_2565 = ensure_framework(2565)
    db.session.commit()
    assert client.post(f"/ita/frameworks/{national_2565.id}/publish").status_code == 403
    assert client.post(f"/ita/frameworks/{national_2565.id}/edit", data={"yaml": "x"}).status_code == 403
    # Viewers read; they change nothing. Bad files are a clear 400 and write nothing.
    viewer = login(world.viewer)
    assert viewer.get(f"/ita/frameworks/{national_2565.id}").status_code == 200
    assert (
        viewer.post(
            "/ita/frameworks/upload", data={"file": (io.BytesIO(body), "x.yaml")}, content_type="multipart/form-data"
        ).status_code
        == 403
    )
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ItaFramework))
    admin = login(national)
    for name, data in (("x.txt", b"a"), ("x.yaml", b"fiscal_year: [}"), ("x.xlsx", b"not a workbook")):
        response = admin.post(
            "/ita/frameworks/upload", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
        )
        assert response.status_code == 400, name
        assert "Traceback" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItaFramework)) == count
    # Another organization's own framework does not exist for this user.
    assert admin.get(f"/ita/frameworks/{own.id}").status_code == 200  # national reads every organization
    stranger_org = Organization(name="อบต.แปลก", slug="stranger", province="ตาก")
    stranger = make_user(stranger_org, "admin@stranger.go.th", Role.admin)
    db.session.commit()
    assert login(stranger).get(f"/ita/frameworks/{own.id}").status_code == 404


def test_the_template_downloads_are_the_complete_2565_framework(world, login):
    client = login(world.viewer)
    yaml_text = client.get("/ita/frameworks/template.yaml").get_data(as_text=True)
    xlsx = client.get("/ita/frameworks/template.xlsx").data
    shipped = parse_yaml((FRAMEWORK_DIR / "2565.yaml").read_bytes())
    assert parse_yaml(yaml_text) == shipped and parse_xlsx(xlsx) == shipped
    assert "O42" in yaml_text and "sub_indicator: '10.2'" in yaml_text


def test_the_command_line_copies_and_exports_frameworks(ctx, runner, tmp_path):
    result = runner.invoke(args=["ita", "copy-framework", "--from", "2565", "--to", "2566"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "2566.yaml"
    result = runner.invoke(args=["ita", "export-framework", "2566", "--draft", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8").replace("code: O43", "code: O44")
    out.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["ita", "framework", str(out)])
    assert result.exit_code == 0 and "ฉบับที่" in result.output, result.output
    db.session.expire_all()
    assert ensure_framework(2566).spec.items.followup.code == "O44"
    result = runner.invoke(args=["ita", "copy-framework", "--from", "2571", "--to", "2572"])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_scores_import_uses_the_organizations_framework(world):
    load_demo_scores(world.org, NOW)
    db.session.commit()
    assert analyse(world.org, 2565).overall == D("97.88")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItaScore)) == 20


def test_the_readme_documents_the_format_with_an_example_that_loads():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("framework rated by rules with weighted OIT indicators:\n\n```yaml\n")[1].split("```")[0]
    spec = parse_yaml(example)
    assert (spec.fiscal_year, len(spec.indicators), [r.name for r in spec.ratings]) == (
        2569,
        10,
        ["ผ่านดีเยี่ยม", "ผ่านดี", "ผ่าน", "ไม่ผ่าน"],
    )
    assert spec.tools[2].weighted and spec.items.followup.code == "O26"
    for sheet in ("`framework`", "`tools`", "`indicators`", "`levels`", "`ratings`"):
        assert sheet in readme


def test_framework_changes_made_in_the_web_are_journaled(world, national, login):
    from tracker.plans.models import JournalEntry

    client = login(national)
    body = yaml.safe_dump(framework_dict(2566), allow_unicode=True).encode("utf-8")
    client.post(
        "/ita/frameworks/upload", data={"file": (io.BytesIO(body), "2566.yaml")}, content_type="multipart/form-data"
    )
    framework = db.session.scalar(sa.select(ItaFramework).where(ItaFramework.fiscal_year == 2566))
    client.post(f"/ita/frameworks/{framework.id}/publish")
    entries = db.session.execute(
        sa.select(JournalEntry.action, JournalEntry.organization_id, JournalEntry.actor_id)
        .where(JournalEntry.entity == "ita_framework", JournalEntry.entity_id == framework.id)
        .order_by(JournalEntry.id)
    ).all()
    assert entries == [
        ("create", national.organization_id, national.id),
        ("publish", national.organization_id, national.id),
    ]


def test_ita_show_states_the_rating_and_the_condition_that_lowered_it(world, runner):
    publish_dict(rated_2569())
    save_scores(world.org, 2569, actor=None, now=NOW, scores=AUDIT_LIKE)
    db.session.commit()
    result = runner.invoke(args=["ita", "show", "--org", "testorg", "--year", "2569"])
    assert result.exit_code == 0, result.output
    assert "ผลตามเกณฑ์: ผ่าน — ถึงเกณฑ์ ผ่านดี แต่ไม่เป็นไปตามเงื่อนไข EIT ≥ 85" in result.output
    assert "ไม่มีผลของปี 2568 ให้เปรียบเทียบ" in result.output
    data = yaml.safe_load(runner.invoke(args=["ita", "show", "--org", "testorg", "--year", "2569", "--json"]).output)
    assert (data["rating"], data["rating_lowered_from"], data["rating_failed"], data["first_year"]) == (
        "ผ่าน",
        "ผ่านดี",
        ["EIT ≥ 85"],
        True,
    )


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_FRAMEWORK_KEYS = st.sampled_from(
    ["fiscal_year", "name", "tools", "levels", "ratings", "pass_threshold", "overall", "items", "source", "notes"]
    + ["code", "name_en", "weight", "indicators", "number", "minimum", "conditions", "decimals", "citation", "x"]
)
_FRAMEWORK_LEAVES = st.none() | st.booleans() | st.integers(-3, 3000) | st.floats() | st.text(max_size=6)
_FRAMEWORK_LEAVES |= st.sampled_from(["0.3", "EIT >= 85", "EIT", "overall", "2565", "AA"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        _FRAMEWORK_LEAVES,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_FRAMEWORK_KEYS, inner, max_size=6),
    )
)
def test_any_data_gives_a_framework_or_thai_problems_never_another_error(raw):
    try:
        parse_framework(raw, "fuzz")
    except ServiceError as error:
        assert "กรอบการประเมินใน fuzz ไม่ถูกต้อง:" in str(error) and "Input should" not in str(error)


def test_a_shipped_framework_round_trips_through_the_shape():
    shipped = parse_framework(SHIPPED_2565)
    assert parse_framework(spec_to_dict(shipped)) == shipped


def _field_error(page: str, field_id: str) -> str:
    """The error shown right at a field (aria-describedby ties it to the box)."""
    assert re.search(rf'aria-describedby="[^"]*{field_id}-error"', page), field_id
    found = re.search(rf'id="{field_id}-error"[^>]*>(.*?)</(?:p|div)>', page, re.S)
    assert found, field_id
    return found.group(1)


def test_framework_forms_show_each_problem_once_at_its_field(world, national, login):
    client = login(national)
    framework = ensure_framework(2565)
    db.session.commit()

    # Upload without a file: the upload page again, the message at the file box.
    response = client.post("/ita/frameworks/upload", data={}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "โปรดเลือกไฟล์ .yaml หรือ .xlsx" in _field_error(page, "f-file")
    assert page.count("โปรดเลือกไฟล์ .yaml หรือ .xlsx") == 1

    # Copy to a year that is not a BE year: the framework page, the message at the year box.
    for bad in ("", "abc", "99999"):
        response = client.post(f"/ita/frameworks/{framework.id}/copy", data={"fiscal_year": bad})
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "โปรดระบุปีงบประมาณ พ.ศ." in _field_error(page, "f-year"), bad
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItaFramework)) == 1
    # Thai digits are a year too.
    response = client.post(f"/ita/frameworks/{framework.id}/copy", data={"fiscal_year": "๒๕๗๐"})
    assert response.status_code == 302
    draft = db.session.scalar(sa.select(ItaFramework).where(ItaFramework.fiscal_year == 2570))

    # A broken framework text: the problems at the text box, the text kept as typed.
    response = client.post(f"/ita/frameworks/{draft.id}/edit", data={"yaml": "fiscal_year: 2570\ntools: []"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "ต้องระบุ name" in _field_error(page, "f-yaml")
    assert "tools: []</textarea>" in page

    # The worked example: a bad score is shown at its own box, the others recomputed.
    response = client.get(f"/ita/frameworks/{framework.id}?s1=abc&s2=97")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and _field_error(page, "s1")
    assert "ไม่ใช่ตัวเลข" in _field_error(page, "s1") and 'value="abc"' in page
    assert re.search(r'<input id="s2"[^>]*value="97.00"', page)
