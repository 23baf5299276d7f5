"""The follow-up results report (O43) as a workbook: a summary sheet (one row per
measure, totals, a bar chart) and a sheet with one row per step.

Counts and percentages are numbers (sortable, summable) whatever the digits
option; the total row holds formulas over the measure rows, so a corrected count
updates the total. Dates are date cells (sortable, filterable) shown in the
Buddhist Era by a locale number format (see BE_DATE_FORMAT). Both sheets print on
A4 landscape, one page wide, with the table header repeated on every page; the
summary sheet carries the report's sign-off chain when it was submitted.
Every text cell is guarded against formula injection: a step title like
"=HYPERLINK(…)" must stay text in Excel and LibreOffice, also after a user
edits the cell or saves the sheet as CSV.
"""

from __future__ import annotations

import io
import math
import unicodedata
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .. import thaidate
from .followup_document import FollowupReport

__all__ = ["followup_xlsx", "safe_text", "SUMMARY_SHEET", "STEPS_SHEET", "BE_DATE_FORMAT", "BE_DATE_FORMAT_THAI"]

SUMMARY_SHEET = "สรุป"
STEPS_SHEET = "ขั้นตอน"
FONT_NAME = "TH SarabunPSK"
FONT_SIZE = 14
FORMULA_START = ("=", "+", "-", "@")
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="top", wrap_text=True)
#: "29 ก.ค. 2566": [$-NNCCLLLL] is Excel's locale code — NN the digits (01 Arabic,
#: 0D Thai), CC the calendar (07 Thai Buddhist), LLLL the language (041E Thai).
#: LibreOffice reads the same code (checked by converting to PDF in the tests).
BE_DATE_FORMAT = "[$-107041E]d mmm yyyy"
BE_DATE_FORMAT_THAI = "[$-D07041E]d mmm yyyy"  # ๒๙ ก.ค. ๒๕๖๖
#: Counts and per cents in Thai digits (D0: Thai digits, 00: the default calendar), still numbers.
COUNT_FORMAT_THAI = "[$-D00041E]0"
DECIMAL_FORMAT, DECIMAL_FORMAT_THAI = "#,##0.##", "[$-D00041E]#,##0.##"
#: Summary columns (1-based) summed in the total row; the percent column is a formula of them.
TOTAL_COLUMN, DONE_COLUMN, PERCENT_COLUMN = 5, 6, 9
SUMMED_COLUMNS = (5, 6, 7, 8)

SUMMARY_COLUMNS = [
    ("มาตรการที่", 9),
    ("มาตรการ", 48),
    ("หน่วยงานรับผิดชอบ", 24),
    ("ระยะเวลา", 16),
    ("ขั้นตอนทั้งหมด", 11),
    ("ดำเนินการแล้ว", 11),
    ("ยกเลิก", 8),
    ("เลยกำหนด", 9),
    ("ร้อยละ", 8),
    ("การติดตามผล", 36),
    ("ผลการติดตาม", 12),
    ("หน่วย", 10),
    ("หมายเหตุผลการติดตาม", 36),
    ("หลักฐานผลการติดตาม", 40),
]
STEP_COLUMNS = [
    ("มาตรการที่", 9),
    ("ลำดับ", 8),
    ("วิธีการดำเนินการ", 60),
    ("หน่วยงาน", 24),
    ("วันเริ่ม", 13),
    ("กำหนดเสร็จ", 13),
    ("สถานะ", 15),
    ("เลยกำหนด", 9),
    ("วันที่แล้วเสร็จ", 13),
    ("บันทึกล่าสุด", 40),
    ("หลักฐาน", 50),
]


def safe_text(value: str) -> str:
    """Text that no spreadsheet will read as a formula: leading tabs and line
    breaks dropped, a leading = + - @ quoted with an apostrophe."""
    text = value.lstrip("\t\r\n")
    if text.startswith(FORMULA_START):
        text = "'" + text
    return text


def _put(
    ws: Worksheet, row: int, column: int, value, *, bold: bool = False, align: Alignment = WRAP, border: bool = True
):
    if isinstance(value, str):
        value = safe_text(value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never "f", whatever the text looks like
    cell.font = Font(name=FONT_NAME, size=FONT_SIZE, bold=bold)
    cell.alignment = align
    if border:
        cell.border = BORDER
    return cell


def _header(ws: Worksheet, row: int, columns: list[tuple[str, int]]) -> None:
    for i, (title, width) in enumerate(columns, start=1):
        cell = _put(ws, row, i, title, bold=True, align=CENTRE)
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(i)].width = width
    _fit_row_height(ws, row)


#: Points per line of 14 pt TH SarabunPSK, and the characters of one column-width unit.
LINE_PT, CHARS_PER_WIDTH = 22.0, 1.0


def _visible_length(text: str) -> int:
    """Characters that take room on a line: Thai vowels above/below and tone marks do not."""
    return sum(
        1
        for ch in text
        if not unicodedata.combining(ch)
        and ch not in "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"
    )


def _fit_row_height(ws: Worksheet, row: int) -> None:
    """Set the row tall enough for its wrapped text. Spreadsheets do not all size rows
    on opening (LibreOffice keeps the default height of an .xlsx row), which would cut
    the text to one line on screen and on paper."""
    lines = 1
    for cell in ws[row]:
        if not isinstance(cell.value, str) or not cell.value or cell.value.startswith("="):
            continue  # a formula shows a number, not its text
        width = ws.column_dimensions[cell.column_letter].width or 10
        per_line = max(1, int(width * CHARS_PER_WIDTH))
        lines = max(lines, sum(max(1, math.ceil(_visible_length(part) / per_line)) for part in cell.value.split("\n")))
    ws.row_dimensions[row].height = lines * LINE_PT


def _page_setup(ws: Worksheet, header_row: int) -> None:
    """A4 landscape, one page wide (as many pages down as needed), header repeated."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_options.horizontalCentered = True


def _total_formula(column: int, first: int, last: int) -> str | int:
    """=SUM over the measure rows; the per cent by the rule of `Progress.percent`: half
    up (Excel's ROUND rounds halves away from zero, the same for these non-negative
    values), at most 99 until every counted step is done."""
    if last < first:
        return 0
    if column == PERCENT_COLUMN:
        total = f"{get_column_letter(TOTAL_COLUMN)}{last + 1}"
        done = f"{get_column_letter(DONE_COLUMN)}{last + 1}"
        return f"=IF({total}=0,0,IF({done}>={total},100,MIN(99,ROUND({done}/{total}*100,0))))"
    letter = get_column_letter(column)
    return f"=SUM({letter}{first}:{letter}{last})"


def _date(ws: Worksheet, row: int, column: int, value, thai_digits: bool):
    """A date cell shown in the Buddhist Era; empty when there is no date."""
    cell = _put(ws, row, column, value, align=CENTRE)
    if value is not None:
        cell.number_format = BE_DATE_FORMAT_THAI if thai_digits else BE_DATE_FORMAT
    return cell


def _signoff(ws: Worksheet, report: FollowupReport, row: int) -> int:
    """The sign-off chain (reports/signoff.py) under the signatures, when the report
    was submitted; returns the next free row."""
    chain = report.signoff
    if chain is None:
        return row
    f = report.f
    _put(ws, row, 2, f"การพิจารณาตามลำดับ ({chain.status_label})", bold=True, border=False)
    row += 1
    for column, title in enumerate(("ลำดับ", "ผู้พิจารณา", "ความเห็น", "วันที่"), start=1):
        _put(ws, row, column, title, bold=True, align=CENTRE).fill = HEADER_FILL
    for e in chain.entries:
        row += 1
        status = f.t(e.comment) if e.done else ("รอการพิจารณา" if e.is_next else "ยังไม่ถึงลำดับ")
        who = f.t(e.name) + (f"\n{f.t(e.position)}" if e.position else "")
        _put(ws, row, 1, f.t(e.order), align=CENTRE)
        _put(ws, row, 2, who)
        _put(ws, row, 3, status)
        if (at := e.acknowledged_at) is not None:  # e.done
            at = at.astimezone(thaidate.BANGKOK) if at.tzinfo is not None else at  # as format_date does
            _date(ws, row, 4, at.date(), report.thai_digits)
        else:
            _put(ws, row, 4, "–", align=CENTRE)
        _fit_row_height(ws, row)
    return row + 2


def _title_rows(ws: Worksheet, report: FollowupReport, width: int) -> int:
    for row, line in enumerate(report.heading_lines(), start=1):
        _put(ws, row, 1, line, bold=True, align=Alignment(horizontal="left"), border=False)
    return len(report.heading_lines()) + 2


def followup_xlsx(report: FollowupReport) -> bytes:
    f = report.f
    s = report.summary
    wb = Workbook()
    ws = wb.active
    ws.title = SUMMARY_SHEET
    top = _title_rows(ws, report, len(SUMMARY_COLUMNS))
    _header(ws, top, SUMMARY_COLUMNS)
    row = top
    for m in report.measures:
        row += 1
        r = m.result
        values = [
            f.t(m.number),
            f.t(m.title),
            f.t(m.department),
            f.period(m.period_start, m.period_end),
            m.total,
            m.done,
            m.cancelled,
            m.overdue,
            m.percent,
            f.t(m.follow_up),
            r.value if r and r.value is not None else None,
            f.t(r.unit) if r else "",
            f.t(r.note) if r else "",
            "\n".join(f"{f.t(e.name)} {e.url}" for e in r.evidence) if r else "",
        ]
        for column, value in enumerate(values, start=1):
            cell = _put(ws, row, column, value, align=CENTRE if 5 <= column <= 9 else WRAP)
            if isinstance(value, Decimal):
                cell.number_format = DECIMAL_FORMAT_THAI if report.thai_digits else DECIMAL_FORMAT
            elif isinstance(value, int) and report.thai_digits:
                cell.number_format = COUNT_FORMAT_THAI
        _fit_row_height(ws, row)
    first_measure, last_measure = top + 1, row
    row += 1
    totals = [
        "รวม",
        "",
        "",
        "",
        *(_total_formula(c, first_measure, last_measure) for c in (5, 6, 7, 8, 9)),
        "",
        None,
        "",
        f.t(f"บันทึกผลแล้ว {s.results_recorded} จาก {s.measures} มาตรการ"),
        "",
    ]
    for column, value in enumerate(totals, start=1):
        if isinstance(value, str) and value.startswith("=") and 5 <= column <= 9:
            cell = ws.cell(row=row, column=column, value=value)  # our formula, never user text
            cell.font = Font(name=FONT_NAME, size=FONT_SIZE, bold=True)
            cell.alignment, cell.border = CENTRE, BORDER
            if report.thai_digits:
                cell.number_format = COUNT_FORMAT_THAI
        else:
            _put(ws, row, column, value, bold=True, align=CENTRE if 5 <= column <= 9 else WRAP)
    _fit_row_height(ws, row)
    ws.freeze_panes = ws.cell(row=top + 1, column=3)
    _page_setup(ws, top)

    row += 2
    for person in (report.reporter, report.reviewer):
        text = f"{person.label}: {person.name or '-'}" + (f" ตำแหน่ง {person.position}" if person.position else "")
        _put(ws, row, 2, f.t(text), border=False)
        row += 1
    row = _signoff(ws, report, row + 1)

    if report.measures:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "ความคืบหน้ารายมาตรการ (ร้อยละ)"
        chart.y_axis.title = "ร้อยละ"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100
        chart.x_axis.title = "มาตรการที่"
        chart.legend = None
        data = Reference(ws, min_col=9, min_row=top, max_row=last_measure)
        categories = Reference(ws, min_col=1, min_row=first_measure, max_row=last_measure)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(categories)
        chart.height = max(6.0, 1.2 * len(report.measures) + 3)
        chart.width = 18
        ws.add_chart(chart, f"B{row + 1}")

    steps = wb.create_sheet(STEPS_SHEET)
    top = _title_rows(steps, report, len(STEP_COLUMNS))
    _header(steps, top, STEP_COLUMNS)
    row = top
    for m in report.measures:
        for st in m.steps:
            row += 1
            if st.cancelled and st.cancel_reason:
                note = f"เหตุผลที่ยกเลิก: {st.cancel_reason}"
            else:
                who = ", ".join(x for x in (st.note_by, f.date(st.note_on)) if x)
                note = st.note + (f" ({who})" if st.note and who else "")
            values = [
                f.t(m.number),
                f.t(st.number),
                f.t(st.title),
                f.t(st.department),
                st.start_date,
                st.due_date,
                st.status_label,
                "เลยกำหนด" if st.overdue else "",
                st.completed_on,
                f.t(note),
                "\n".join(f"{f.t(e.name)} {e.url}" for e in st.evidence),
            ]
            for column, value in enumerate(values, start=1):
                if column in (5, 6, 9):
                    _date(steps, row, column, value, report.thai_digits)
                else:
                    _put(steps, row, column, value, align=CENTRE if column in (1, 2, 8) else WRAP)
            _fit_row_height(steps, row)
    steps.freeze_panes = steps.cell(row=top + 1, column=4)
    _page_setup(steps, top)
    steps.auto_filter.ref = f"A{top}:{get_column_letter(len(STEP_COLUMNS))}{max(row, top)}"

    wb.properties.title = f"{report.title} {report.organization} {report.fiscal_year}"
    wb.properties.creator = "ITA tracker"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
