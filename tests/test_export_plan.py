"""`tracker export-plan` and `tracker plan-template`: the same format back out,
byte-identical round trips, and spreadsheets that cannot run formulas."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from openpyxl import load_workbook

from tracker.db import db
from tracker.plans.exporter import export_plan_xlsx, export_plan_yaml, plan_template_xlsx
from tracker.plans.models import Plan, PlanStatus
from tracker.plans.planfile import STEP_COLUMNS, PlanFileError, load_plan_bytes, load_plan_file

DATA = Path(__file__).parent / "data"
DEMO = Path(__file__).resolve().parent.parent / "tracker" / "demo" / "banpet-2566.yaml"


def empty_all_tables() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def export(runner, slug: str, year: str, output: str = "-"):
    return runner.invoke(args=["export-plan", "--org", slug, "--year", year, "-o", output])


@pytest.mark.parametrize(
    "source, slug, year", [(DEMO, "banpet", "2566"), (DATA / "nongkhai-2567.yaml", "nongkhai-phochai", "2567")]
)
def test_export_import_export_is_byte_identical(runner, ctx, tmp_path, source, slug, year):
    assert runner.invoke(args=["import-plan", str(source)]).exit_code == 0
    first = tmp_path / "first.yaml"
    result = export(runner, slug, year, str(first))
    assert result.exit_code == 0, result.output

    # Into the same database: nothing to change.
    again = runner.invoke(args=["import-plan", str(first)])
    assert "ไม่มีการเปลี่ยนแปลง" in again.output
    # Into an empty database: the same plan, the same bytes.
    empty_all_tables()
    assert runner.invoke(args=["import-plan", str(first)]).exit_code == 0
    second = tmp_path / "second.yaml"
    assert export(runner, slug, year, str(second)).exit_code == 0
    assert second.read_bytes() == first.read_bytes()
    # And stdout carries exactly the file's bytes.
    assert export(runner, slug, year).stdout_bytes == first.read_bytes()


def test_export_writes_the_documented_layout(runner, ctx, tmp_path):
    runner.invoke(args=["import-plan", str(DATA / "nongkhai-2567.yaml")])
    text = export(runner, "nongkhai-phochai", "2567").stdout
    assert "organization: {name: องค์การบริหารส่วนตำบลโพธิ์ชัย, slug: nongkhai-phochai, province: หนองคาย}\n" in text
    assert "fiscal_year: 2567\n" in text
    assert "  - {name: กองคลัง, email: finance@phochai.example}\n" in text
    assert "  - {name: กองช่าง}\n" in text
    assert "        period: ต.ค. ๒๕๖๖ – มี.ค. ๒๕๖๗\n" in text
    assert "        period: {start: 2024-05-15, end: 2024-08-31}\n" in text
    assert "status:" not in text  # an active plan needs no status line
    data = yaml.safe_load(text)
    first_measure_steps = data["weaknesses"][0]["measures"][0]["steps"]
    assert first_measure_steps[1] == {
        "title": "จัดทำรายงานการใช้จ่ายงบประมาณรายไตรมาส",
        "due": date(2024, 1, 15),
        "owner": "กองคลัง",
    }
    assert data["weaknesses"][1]["measures"][0]["steps"][1] == {
        "title": "ประกาศเจตนารมณ์ต่อต้านการทุจริต",
        "start": date(2024, 6, 1),
        "due": date(2024, 6, 14),
    }
    assert all("due" in s for w in data["weaknesses"] for m in w["measures"] for s in m["steps"])


def test_a_closed_plan_exports_its_status(world):
    world.plan.status = PlanStatus.closed
    db.session.commit()
    text = export_plan_yaml(world.plan)
    assert "\nstatus: closed\n" in text
    assert load_plan_bytes(text.encode(), "x.yaml").status is PlanStatus.closed


def test_unknown_organization_or_year_exit_1(runner, world):
    result = export(runner, "nowhere", "2566")
    assert result.exit_code == 1 and "ไม่พบองค์กรรหัส “nowhere”" in result.stderr
    result = export(runner, "testorg", "2570")
    assert result.exit_code == 1 and "มีแผนปี: 2566" in result.stderr


def test_wrong_output_extension_is_a_usage_error(runner, world, tmp_path):
    assert export(runner, "testorg", "2566", str(tmp_path / "plan.txt")).exit_code == 2


def test_xlsx_export_reimports_to_the_same_plan(runner, ctx, tmp_path):
    runner.invoke(args=["import-plan", str(DATA / "nongkhai-2567.yaml")])
    plan = db.session.scalar(sa.select(Plan))
    yaml_before = export_plan_yaml(plan)
    out = tmp_path / "plan.xlsx"
    result = export(runner, "nongkhai-phochai", "๒๕๖๗", str(out))
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["import-plan", str(out)])
    assert "ไม่มีการเปลี่ยนแปลง" in again.output, again.output + again.stderr
    empty_all_tables()
    assert runner.invoke(args=["import-plan", str(out)]).exit_code == 0
    assert export_plan_yaml(db.session.scalar(sa.select(Plan))) == yaml_before


def test_formula_looking_text_is_kept_as_text_in_xlsx(world):
    step = world.step(world.m1, 1)
    step.title = '=HYPERLINK("http://evil.example","คลิก")'
    world.m1.title = "+1+2"
    world.palad.name = "@สำนักปลัด"
    db.session.commit()
    data = export_plan_xlsx(world.plan)
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    risky = {c.value: c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"}
    assert set(risky) == {'=HYPERLINK("http://evil.example","คลิก")', "+1+2", "@สำนักปลัด"}
    # Excel's own apostrophe prefix: shown as typed, never evaluated, value unchanged.
    assert all(c.quotePrefix for c in risky.values())
    # And the texts come back exactly.
    spec = load_plan_bytes(data, "plan.xlsx")
    assert spec.steps[0].title == '=HYPERLINK("http://evil.example","คลิก")'
    assert spec.measures[0].title == "+1+2"


def test_plan_template_writes_an_empty_form_with_an_example(runner, tmp_path):
    out = tmp_path / "form.xlsx"
    result = runner.invoke(args=["plan-template", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["ขั้นตอน (steps)", "แผน (plan)", "หน่วยงาน (departments)", "ตัวอย่าง (example)"]
    steps = wb["ขั้นตอน (steps)"]
    assert [c.value for c in steps[1]] == [c.header for c in STEP_COLUMNS]
    assert steps.max_row == 1
    assert steps["J1"].comment is not None and steps.column_dimensions["J"].width == 50
    plan_labels = [r[0].value for r in wb["แผน (plan)"].iter_rows(min_row=2)]
    assert plan_labels[:4] == [
        "ชื่อองค์กร (organization name)",
        "รหัสองค์กร (slug)",
        "จังหวัด (province)",
        "ปีงบประมาณ พ.ศ. (fiscal year)",
    ]
    assert wb["ตัวอย่าง (example)"]["J2"].value.startswith("จัดทำประกาศแนวทางปฏิบัติ")
    # Imported as it is, the empty form says what is missing (and ignores the example sheet).
    with pytest.raises(PlanFileError) as info:
        load_plan_file(out)
    text = str(info.value)
    assert "ต้องระบุชื่อองค์กร" in text and "ต้องระบุปีงบประมาณ" in text
    assert "ต้องมีประเด็นข้อบกพร่องอย่างน้อยหนึ่งรายการ" in text


def test_template_with_the_example_rows_copied_in_imports(tmp_path):
    wb = load_workbook(io.BytesIO(plan_template_xlsx()))
    example = wb["ตัวอย่าง (example)"]
    steps = wb["ขั้นตอน (steps)"]
    for row in example.iter_rows(min_row=2, max_row=6, values_only=True):
        steps.append(list(row))
    plan = wb["แผน (plan)"]
    for r, value in zip(range(2, 7), ["เทศบาลตำบลตัวอย่าง", "example", "ขอนแก่น", 2566, "แผนตัวอย่าง"]):
        plan.cell(r, 2).value = value
    wb.save(tmp_path / "filled.xlsx")
    spec = load_plan_file(tmp_path / "filled.xlsx")
    assert [len(m.steps) for m in spec.measures] == [3, 2]
    assert spec.steps[1].due == date(2023, 8, 15)
    assert spec.steps[4].owner == "สำนักปลัดเทศบาล" and spec.steps[4].start == date(2023, 3, 1)


def test_template_needs_an_xlsx_name(runner, tmp_path):
    assert runner.invoke(args=["plan-template", "-o", str(tmp_path / "form.yaml")]).exit_code == 2


def test_multi_line_texts_survive_the_round_trip(world):
    world.plan.title = "แผนบรรทัดแรก\nบรรทัดที่สอง"
    world.m1.follow_up = "ข้อหนึ่ง\nข้อสอง: มีเครื่องหมาย # และ : ด้วย"
    db.session.commit()
    text = export_plan_yaml(world.plan)
    spec = load_plan_bytes(text.encode(), "plan.yaml")
    assert spec.title == "แผนบรรทัดแรก\nบรรทัดที่สอง"
    assert spec.measures[0].follow_up == "ข้อหนึ่ง\nข้อสอง: มีเครื่องหมาย # และ : ด้วย"
    assert text.startswith("# แผนบรรทัดแรก บรรทัดที่สอง\n")
