"""`tracker ita import FILE` (CSV/XLSX), `tracker ita show`, `tracker ita framework`, and the demo's scores.

A file with any problem writes nothing and names every problem with its row
(as a spreadsheet numbers rows: the header is row 1), without a traceback.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tracker.db import db
from tracker.ita.analysis import analyse
from tracker.ita.demo import DEMO_SCORES
from tracker.ita.models import ItaContextScore, ItaScore
from tracker.ita.scores import get_scores
from tracker.orgs.models import Organization

HEADER = "organization,fiscal_year,indicator,score,label,level\n"
GOOD_2565 = [
    ("1", "98.63"),
    ("2", "98.23"),
    ("3", "98.31"),
    ("4", "97.32"),
    ("5", "97.88"),
    ("6", "97.08"),
    ("7", "94.59"),
    ("8", "92.89"),
    ("9", "100"),
    ("10", "100"),
]


def write(tmp_path: Path, body: str, name: str = "scores.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def stored() -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(ItaScore)),
        db.session.scalar(sa.select(sa.func.count()).select_from(ItaContextScore)),
    )


def run_import(runner, path: Path, *extra: str):
    result = runner.invoke(args=["ita", "import", str(path), *extra])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_the_demo_file_imports_and_a_second_run_changes_nothing(world, runner):
    # The demo file names "banpet"; here it goes into an organization of that slug.
    db.session.add(Organization(name="เทศบาลตำบลบ้านเป็ด", slug="banpet", province="ขอนแก่น"))
    db.session.commit()
    first = run_import(runner, DEMO_SCORES)
    assert first.exit_code == 0, first.output
    assert "ปีงบประมาณ 2564, 2565 · คะแนน 20 ตัวชี้วัด · แถวเปรียบเทียบ 4" in first.output
    assert "เปลี่ยนแปลง 24 รายการ" in first.output
    assert stored() == (20, 4)
    second = run_import(runner, DEMO_SCORES)
    assert second.exit_code == 0 and "ไม่มีการเปลี่ยนแปลง" in second.output
    assert stored() == (20, 4)


def test_a_dry_run_writes_nothing(world, runner, tmp_path):
    path = write(tmp_path, "".join(f"testorg,2565,{n},{s},,\n" for n, s in GOOD_2565))
    result = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0 and "ทดลองนำเข้าเท่านั้น ไม่ได้บันทึก" in result.output
    assert "ตัวชี้วัดที่ 8 การปรับปรุงการทำงาน: – → 92.89" in result.output
    assert stored() == (0, 0)


def test_an_xlsx_file_with_numbers_thai_digits_and_names(world, runner, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Organization", "Fiscal_Year", "Indicator", "Score", "Label", "Level"])
    for number, score in GOOD_2565[:8]:
        ws.append(["testorg", 2565, int(number), float(score), None, None])
    ws.append(["testorg", "๒๕๖๕", "การเปิดเผยข้อมูล", "๑๐๐", None, None])  # by name, Thai digits
    ws.append(["testorg", 2565, 10, 100, "การป้องกันการทุจริต", None])
    ws.append(["testorg", 2565, "national", 87.57, None, "a"])
    ws.append(["testorg", 2565, "จังหวัด", 92.49, None, None])
    path = tmp_path / "scores.xlsx"
    wb.save(path)
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    a = analyse(world.org, 2565)
    assert (a.overall, a.level) == (Decimal("97.88"), "AA")
    assert [(r.label, r.current, r.current_level) for r in a.summary[:2]] == [
        ("ภาพรวมระดับประเทศ", Decimal("87.57"), "A"),
        ("ภาพรวมจังหวัดขอนแก่น", Decimal("92.49"), "A"),  # label from the organization's province
    ]


def test_every_problem_is_reported_with_its_row_and_nothing_is_written(world, runner, tmp_path):
    path = write(
        tmp_path,
        "".join(
            [
                "testorg,2565,1,98.63,,\n",  # row 2: fine
                "testorg,2565,2,101,,\n",  # row 3: out of range
                "testorg,2565,11,90,,\n",  # row 4: unknown indicator
                "testorg,2570,3,90,,\n",  # row 5: a year without a framework
                "testorg,2022,4,90,,\n",  # row 6: a CE year
                "testorg,2565,1,98.00,,\n",  # row 7: duplicate of row 2
                "testorg,2565,5,97.885,,\n",  # row 8: three decimals
                "testorg,2565,6,97.08,การใช้อำนาจ,\n",  # row 9: the label names another indicator
                "testorg,2565,7,94.59,,B\n",  # row 10: a level on an indicator row
                "testorg,2565,national,87.57,,Q\n",  # row 11: unknown level
                "testorg,2565,8,,,\n",  # row 12: no score
            ]
        ),
    )
    result = run_import(runner, path)
    assert result.exit_code == 1
    out = result.output
    assert "พบปัญหา 10 รายการ ไม่ได้นำเข้าสิ่งใด" in out
    expected = [
        "แถว 3: score: 101 อยู่นอกช่วง 0–100",
        "แถว 4: ไม่มีตัวชี้วัด “11” ในกรอบปี 2565",
        "แถว 5: ไม่มีกรอบการประเมิน ITA ของปีงบประมาณ 2570",
        "แถว 6: ปีงบประมาณ 2022 เป็นปี ค.ศ. ใช้ปี พ.ศ. (2565)",
        "แถว 7: ซ้ำกับแถว 2",
        "แถว 8: score: 97.885 มีทศนิยมเกิน 2 ตำแหน่ง",
        "แถว 9: ตัวชี้วัดที่ 6 ของปี 2565 คือ “คุณภาพการดำเนินงาน” ไม่ใช่ “การใช้อำนาจ”",
        "แถว 10: level ใช้กับแถว national / province เท่านั้น",
        "แถว 11: ระดับ “Q” ไม่มีในกรอบปี 2565",
        "แถว 12: ไม่ได้ระบุ score",
    ]
    for line in expected:
        assert line in out, line
    assert "แถว 2 " not in out
    assert stored() == (0, 0)


def test_a_file_that_is_not_utf8_is_refused_with_a_hint(world, runner, tmp_path):
    path = tmp_path / "excel-thai.csv"
    path.write_bytes((HEADER + "testorg,2565,6,97.08,คุณภาพการดำเนินงาน,\n").encode("cp874"))
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert "แถว 2: ไฟล์ไม่ได้เข้ารหัสแบบ UTF-8" in result.output and "CSV UTF-8" in result.output
    assert stored() == (0, 0)


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("scores.csv", "org,year,indicator,score\ntestorg,2565,1,90\n", "ไม่รู้จักคอลัมน์ “org”"),
        ("scores.csv", "", "ไฟล์ว่าง"),
        ("scores.csv", HEADER, "มีแต่หัวตาราง"),
        ("scores.txt", HEADER + "testorg,2565,1,90,,\n", "รับเฉพาะไฟล์ .csv หรือ .xlsx"),
        ("scores.xlsx", "not a workbook", "เปิดเป็นไฟล์ Excel (.xlsx) ไม่ได้"),
        ("scores.csv", HEADER + "nosuchorg,2565,1,90,,\n", "แถว 2: ไม่พบองค์กร “nosuchorg”"),
        ("scores.csv", HEADER + "testorg,2565,1,90,,\nother,2565,2,90,,\n", "แถว 3: ไฟล์หนึ่งใช้ได้กับองค์กรเดียว"),
        ("scores.csv", HEADER + ",2565,1,90,,\n", "แถว 2: ไม่ได้ระบุ organization"),
    ],
)
def test_unusable_files(world, runner, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert message in result.output
    assert stored() == (0, 0)


def test_a_missing_file(app, runner, tmp_path):
    result = run_import(runner, tmp_path / "nope.csv")
    assert result.exit_code == 1 and "ไม่พบไฟล์" in result.output


def test_semicolons_and_a_bom_are_fine(world, runner, tmp_path):
    path = tmp_path / "scores.csv"
    path.write_bytes(
        ("\ufeff" + HEADER.replace(",", ";") + "testorg;2565;4;97,32;;\n".replace("97,32", "97.32")).encode("utf-8")
    )
    assert run_import(runner, path).exit_code == 0
    assert get_scores(world.org, 2565) == {4: Decimal("97.32")}


# -- show ------------------------------------------------------------------------------------


@pytest.fixture
def seeded(world):
    from conftest import NOW

    from tracker.ita.demo import load_demo_scores

    load_demo_scores(world.org, NOW)
    db.session.commit()
    return world.org


def test_show_prints_the_comparison(seeded, runner):
    result = runner.invoke(args=["ita", "show", "--org", "testorg", "--year", "๒๕๖๕"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ITA ปีงบประมาณ 2565 เทียบกับ 2564" in out
    assert "98.22 AA" in out and "97.88 AA" in out and "ลดลง 0.34" in out
    assert "เพิ่มขึ้น 5 · เท่าเดิม 2 · ลดลง 3 ตัวชี้วัด" in out
    assert "* 8. การปรับปรุงการทำงาน" in out


def test_show_as_json(seeded, runner):
    result = runner.invoke(args=["ita", "show", "--org", "testorg", "--year", "2565", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(t["code"], t["previous"], t["current"], t["difference"]["text"]) for t in data["tools"]] == [
        ("IIT", "96.18", "98.07", "เพิ่มขึ้น 1.89"),
        ("EIT", "97.90", "94.85", "ลดลง 3.05"),
        ("OIT", "100", "100", "เท่าเดิม"),
    ]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--org", "nope", "--year", "2565"], "ไม่พบองค์กรรหัส “nope”"),
        (["--org", "testorg", "--year", "2570"], "ยังไม่มีกรอบการประเมิน ITA ของปีงบประมาณ 2570"),
    ],
)
def test_show_refuses_unknown_organizations_and_years(world, runner, args, message):
    result = runner.invoke(args=["ita", "show", *args])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_show_a_year_without_scores(world, runner):
    result = runner.invoke(args=["ita", "show", "--org", "testorg", "--year", "2565"])
    assert result.exit_code == 0 and "ยังไม่มีคะแนนของปี 2565" in result.output


# -- framework, demo ---------------------------------------------------------------------------


def test_the_framework_command_loads_a_new_year(app, runner, tmp_path):
    path = tmp_path / "2566.yaml"
    path.write_text(
        'fiscal_year: 2566\nname: ITA 2566\nlevels: [[AA, "95"], [A, "85"], [F, "0"]]\ntools:\n'
        '  - code: IIT\n    name: แบบวัดภายใน\n    weight: "0.4"\n    indicators:\n'
        "      - {number: 1, name: การปฏิบัติหน้าที่}\n"
        '  - code: OIT\n    name: แบบวัดการเปิดเผยข้อมูลสาธารณะ\n    weight: "0.6"\n    indicators:\n'
        "      - {number: 2, name: การเปิดเผยข้อมูล}\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["ita", "framework", str(path)])
    assert result.exit_code == 0, result.output
    assert "กรอบปีงบประมาณ 2566 ฉบับที่ 1 เผยแพร่แล้ว: 2 ตัวชี้วัด · IIT 40%, OIT 60%" in result.output
    path.write_text("fiscal_year: 66\n", encoding="utf-8")
    bad = runner.invoke(args=["ita", "framework", str(path)])
    assert bad.exit_code == 1 and "fiscal_year ต้องเป็นปี พ.ศ." in bad.output and "Traceback" not in bad.output


def test_the_demo_command_loads_the_seed_scores(app, runner):
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == "banpet"))
        a = analyse(org, 2565)
        assert (a.previous.overall, a.overall, a.level) == (Decimal("98.22"), Decimal("97.88"), "AA")
        assert [r.label for r in a.summary] == ["ภาพรวมระดับประเทศ", "ภาพรวมจังหวัดขอนแก่น", "ภาพรวมหน่วยงาน"]
        assert stored() == (20, 4)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELLS = st.none() | st.booleans() | st.integers(-5, 3000) | st.floats() | st.text(max_size=6)
_CELLS |= st.sampled_from(["testorg", "2565", "๒๕๖๕", "2022", "national", "จังหวัด", "98.63", "100.001", "A", "การ"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_CELLS, min_size=0, max_size=7), max_size=6))
def test_any_rows_give_score_rows_or_problems_with_their_row_never_another_error(rows):
    """The pydantic ScoreRow and the shared adapter: any cells under a good header are rows or problems."""
    from tracker.ita.scorefile import COLUMNS, ItaImportError, ScoreFile, _check_rows

    table = list(enumerate([list(COLUMNS)] + rows, start=1))
    try:
        result = ScoreFile("fuzz.xlsx", *_check_rows(table))
    except ItaImportError as error:
        assert error.problems
        return
    for problem in result.problems:
        assert problem.row and problem.message and "Input should" not in problem.message
