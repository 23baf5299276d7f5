"""The follow-up workbook as a spreadsheet program shows and prints it: date cells in
the Buddhist Era, totals computed by formulas, A4 landscape pages one page wide with
the header repeated, and the sign-off chain on the summary sheet.

LibreOffice Calc (headless) stands in for the officer's spreadsheet; Excel itself
cannot run here (the number format codes are Excel's own, see followup_xlsx)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import require_or_skip
from tests.report_factory import load_demo_plan
from tracker import thaidate
from tracker.reports.followup import build_report
from tracker.reports.followup_xlsx import BE_DATE_FORMAT, STEPS_SHEET, SUMMARY_SHEET, followup_xlsx
from tracker.reports.models import ReportKind, SubmissionStatus
from tracker.reports.signoff import Chain, ChainEntry

AS_OF = date(2023, 8, 1)


@pytest.fixture
def calc(tmp_path):
    """Convert a workbook with LibreOffice Calc: to PDF (what prints) or to CSV of the
    first sheet (the values LibreOffice computed)."""
    binary = shutil.which("libreoffice") or shutil.which("soffice")
    require_or_skip(
        binary is not None and Path("/usr/lib/libreoffice/program/libsclo.so").exists(),
        "LibreOffice Calc not found: apt-get install libreoffice-calc-nogui",
    )
    require_or_skip(shutil.which("pdftotext") is not None, "poppler-utils not found: apt-get install poppler-utils")

    def convert(data: bytes, to: str) -> Path:
        source = tmp_path / "report.xlsx"
        source.write_bytes(data)
        target = "pdf" if to == "pdf" else "csv:Text - txt - csv (StarCalc):44,34,76"
        subprocess.run(
            [
                binary,
                f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path),
                str(source),
            ],
            capture_output=True,
            check=True,
            timeout=240,
        )
        out = source.with_suffix("." + to)
        assert out.exists(), f"LibreOffice wrote no {to}"
        return out

    return convert


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_dates_are_date_cells_printed_in_the_buddhist_era(ctx, calc, artifacts_dir):
    plan = load_demo_plan()
    data = followup_xlsx(build_report(plan, AS_OF))
    steps = openpyxl.load_workbook(io.BytesIO(data))[STEPS_SHEET]
    rows = [r for r in steps.iter_rows() if isinstance(r[4].value, datetime)]
    assert len(rows) == len(plan.steps)
    assert [(r[4].value.date(), r[5].value.date()) for r in rows] == [(s.start_date, s.due_date) for s in plan.steps]
    assert {r[4].number_format for r in rows} == {r[5].number_format for r in rows} == {BE_DATE_FORMAT}
    # Sortable: the cells are serial numbers, not text.
    assert all(c.data_type == "d" for r in rows for c in (r[4], r[5]))

    pdf = calc(data, "pdf")
    shutil.copy(pdf, artifacts_dir / "followup-xlsx-libreoffice.pdf")
    text = pdf_text(pdf)
    for step in plan.steps[:3]:  # e.g. "1 ต.ค. 2565"
        assert thaidate.format_date(step.start_date, style="abbr") in " ".join(text.split())
    assert "ก.ค. 2566" in text
    assert "2023" not in text and "2022" not in text  # no Christian-Era year anywhere


def test_the_totals_are_formulas_that_the_spreadsheet_computes(ctx, calc):
    plan = load_demo_plan()
    report = build_report(plan, AS_OF)
    values = list(csv.reader(calc(followup_xlsx(report), "csv").read_text("utf-8").splitlines()))
    total = next(r for r in values if r and r[0] == "รวม")
    s = report.summary
    assert [int(x) for x in total[4:9]] == [s.total, s.done, s.cancelled, s.overdue, s.percent]
    assert (s.total, s.percent) == (26, round(s.done / 26 * 100 + 0.0000001))


def test_both_sheets_print_a4_landscape_one_page_wide_with_the_header_repeated(ctx, calc):
    plan = load_demo_plan()
    data = followup_xlsx(build_report(plan, AS_OF))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb:
        header = next(c.row for c in ws["A"] if c.value == "มาตรการที่")
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.print_title_rows == f"${header}:${header}"

    pdf = calc(data, "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size: +841\.\d+ x 595\.\d+ pts \(A4\)", info)  # landscape
    pages = pdf_text(pdf).split("\f")
    step_pages = [p for p in pages if "วิธีการดำเนินการ" in p]
    # Wrapped text gets rows tall enough for it (set in the file: LibreOffice does not size them).
    steps = wb[STEPS_SHEET]
    first = next(r[0].row for r in steps.iter_rows() if r[1].value == "1.1")
    assert steps.row_dimensions[first].height >= 3 * 20
    # The demo's 26 steps run over two pages; each repeats the header, with every column
    # on it (one page wide).
    assert len(step_pages) >= 2 and all("กำหนดเสร็จ" in p and "หลักฐาน" in p for p in step_pages)
    assert " 1.1 " in step_pages[0] and " 1.1 " not in step_pages[-1] and " 3.2." in step_pages[-1]


def test_the_summary_sheet_carries_the_signoff_chain(ctx, calc):
    plan = load_demo_plan()
    entries = (
        ChainEntry(
            order=1,
            user_id=1,
            name="นางสาวกานดา ใจดี",
            position="ผู้อำนวยการกองยุทธศาสตร์และงบประมาณ",
            comment="ทราบ/ดำเนินการ",
            acknowledged_at=datetime(2023, 8, 2, 3, 0, tzinfo=UTC),
            is_next=False,
        ),
        ChainEntry(
            order=2,
            user_id=2,
            name="นายสมชาย รักงาน",
            position="ปลัดเทศบาล",
            comment="",
            acknowledged_at=None,
            is_next=True,
        ),
        ChainEntry(
            order=3,
            user_id=3,
            name="นายวิชัย มั่นคง",
            position="นายกเทศมนตรี",
            comment="",
            acknowledged_at=None,
            is_next=False,
        ),
    )
    chain = Chain(
        submission_id=1,
        kind=ReportKind.followup,
        status=SubmissionStatus.pending,
        as_of=AS_OF,
        round=None,
        submitted_by="ผู้ดูแล",
        submitted_by_position="นักวิเคราะห์นโยบายและแผน",
        submitted_at=datetime(2023, 8, 1, 9, tzinfo=UTC),
        note="",
        entries=entries,
    )
    report = replace(build_report(plan, AS_OF), signoff=chain)
    data = followup_xlsx(report)
    summary = openpyxl.load_workbook(io.BytesIO(data))[SUMMARY_SHEET]
    rows = [[c.value for c in r] for r in summary.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[1] and str(r[1]).startswith("การพิจารณาตามลำดับ"))
    assert rows[start][1] == "การพิจารณาตามลำดับ (รอการพิจารณา)"
    assert rows[start + 1][:4] == ["ลำดับ", "ผู้พิจารณา", "ความเห็น", "วันที่"]
    chain_rows = rows[start + 2 : start + 5]
    assert [r[0] for r in chain_rows] == ["1", "2", "3"]
    assert chain_rows[0][1] == "นางสาวกานดา ใจดี\nผู้อำนวยการกองยุทธศาสตร์และงบประมาณ"
    assert chain_rows[0][2:4] == ["ทราบ/ดำเนินการ", datetime(2023, 8, 2)]  # 10:00 in Bangkok
    assert [r[2] for r in chain_rows[1:]] == ["รอการพิจารณา", "ยังไม่ถึงลำดับ"]
    assert [r[3] for r in chain_rows[1:]] == ["–", "–"]
    # Without a submission, no chain.
    plain = openpyxl.load_workbook(io.BytesIO(followup_xlsx(build_report(plan, AS_OF))))[SUMMARY_SHEET]
    assert not any(str(c.value).startswith("การพิจารณาตามลำดับ") for r in plain.iter_rows() for c in r)
    text = pdf_text(calc(data, "pdf"))
    assert "2 ส.ค. 2566" in text and "ปลัดเทศบาล" in text
