"""Memos as agencies write them: the seed's part 3 (Ban Pet, FY 2566) rebuilt as a .docx and as pasted text.

The cell layout follows the seed (`shared/seeds/000_…txt`, part 3): a six-column
table whose header wording and line breaks vary, steps numbered inside one
cell and run together on one line, Thai digits, owners wrapped by hand
("กองยุทธศาสตร์" / "และงบประมาณ"), a table that goes on on the next page with
its header repeated and its first row continuing the measure above. The
words come from the bundled demo plan (the seed with its OCR slips mended), so
an import can be compared with it item by item.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import docx
import yaml
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm

from tracker.thaidate import to_thai_digits

DEMO_YAML = Path(__file__).resolve().parents[1] / "tracker" / "demo" / "banpet-2566.yaml"

HEADER_BROKEN = [
    "ประเด็นที่เป็น\nข้อบกพร่อง/\nจุดอ่อน\nที่จะต้องแก้ไข",
    "มาตรการ/แนวทาง\nในการพัฒนา\nแก้ไขข้อบกพร่อง/\nจุดอ่อน",
    "วิธีการดำเนินการ",
    "ผู้รับผิดชอบ",
    "ระยะเวลา\nดำเนินการ",
    "การติดตามผล",
]
HEADER_ONE_LINE = [
    "ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อนที่ต้องแก้ไข",
    "มาตรการ/แนวทางในการพัฒนาแก้ไขข้อบกพร่อง/จุดอ่อน",
    "วิธีการดำเนินการ",
    "ผู้รับผิดชอบ",
    "ระยะเวลาดำเนินการ",
    "การติดตามผล",
]
# Table 2 of the memo: its indicator names tell a weakness's title from its detail.
INDICATOR_TABLE = [
    ["ลำดับ", "ตัวชี้วัด", "ปีงบประมาณ พ.ศ. ๒๕๖๔", "ปีงบประมาณ พ.ศ. ๒๕๖๕", "ผลต่าง/ ระดับคะแนน"],
    ["๑", "การเปิดเผยข้อมูล", "๑๐๐", "๑๐๐", "-"],
    ["๒", "การป้องกันการทุจริต", "๑๐๐", "๑๐๐", "-"],
    ["๓", "การปฏิบัติหน้าที่", "๙๘.๑๖", "๙๘.๖๓", "เพิ่มขึ้น ๐.๔๗"],
    ["๔", "การใช้อำนาจ", "๙๕.๖๔", "๙๘.๓๑", "เพิ่มขึ้น ๒.๖๗"],
    ["๕", "การใช้งบประมาณ", "๙๕.๒๖", "๙๘.๒๓", "เพิ่มขึ้น ๒.๙๗"],
    ["๖", "การแก้ไขปัญหาการทุจริต", "๙๖.๓๑", "๙๗.๘๘", "เพิ่มขึ้น ๑.๕๗"],
    ["๗", "การใช้ทรัพย์สินของราชการ", "๙๕.๕๔", "๙๗.๓๒", "เพิ่มขึ้น ๑.๗๘"],
    ["๘", "คุณภาพการดำเนินงาน", "๙๗.๑๓", "๙๗.๐๘", "ลดลง ๐.๐๕"],
    ["๙", "ประสิทธิภาพการสื่อสาร", "๙๘.๓๙", "๙๔.๕๙", "ลดลง ๓.๘"],
    ["๑๐", "การปรับปรุงการทำงาน", "๙๘.๑๙", "๙๒.๘๙", "ลดลง ๕.๓"],
]


def demo_plan() -> dict:
    return yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))


@dataclass
class Layout:
    """How one agency wrote its table (the seed's own layout by default)."""

    thai_digits: bool = True
    #: "paren" → "๑) …", "dot" → "1. …"
    numbering: str = "paren"
    #: Steps run together on one line (the seed), or one per paragraph.
    steps_per_paragraph: bool = False
    header_line_breaks: bool = True
    #: Weakness 3 as one cell merged down over its two measures, or its second row left empty.
    merged_weakness: bool = True
    #: The first measure's steps go on in the next table (a page break with the header repeated).
    split_across_pages: bool = True
    #: The next page's table repeats its header (else it is left out).
    repeat_header: bool = True
    with_indicator_table: bool = True


def _digits(text: str, layout: Layout) -> str:
    return to_thai_digits(text) if layout.thai_digits else text


def _mark(n: int, layout: Layout) -> str:
    return _digits(f"{n}." if layout.numbering == "dot" else f"{n})", layout)


def steps_cell(steps: list[str], layout: Layout, first: int = 1) -> list[str]:
    items = [f"{_mark(first + i, layout)} {s}" for i, s in enumerate(steps)]
    return items if layout.steps_per_paragraph else [" ".join(items)]


def weakness_cell(index: int, weakness: dict, layout: Layout) -> list[str]:
    text = f"{_digits(f'{index}.', layout)} {weakness['title']}"
    if weakness.get("detail"):
        text += f" {weakness['detail']}"
    return [text]


def owner_cell(owner: str) -> list[str]:
    # Officers wrap long names by hand, as the seed shows ("กองยุทธศาสตร์ และงบประมาณ").
    if owner.startswith("กองยุทธศาสตร์"):
        return ["กองยุทธศาสตร์", "และงบประมาณ"]
    return [owner]


def measure_rows(layout: Layout) -> list[list]:
    """Rows of the measures table in reading order; a list of paragraphs per cell, "PAGE" for a page break.

    Each row: [weakness, measure, steps, owner, period, follow_up]; None in the weakness
    column means "merged with the cell above".
    """
    plan = demo_plan()
    rows: list = []
    for w_index, weakness in enumerate(plan["weaknesses"], start=1):
        many = len(weakness["measures"]) > 1
        for m_index, measure in enumerate(weakness["measures"], start=1):
            if m_index == 1:
                w_cell = weakness_cell(w_index, weakness, layout)
            else:
                w_cell = None if layout.merged_weakness else []
            title = f"{_mark(m_index, layout)} {measure['title']}" if many else measure["title"]
            period = _digits(measure["period"].replace("๒๕๖๖", "2566"), layout)
            steps = measure["steps"]
            first_row = [
                w_cell,
                [title],
                steps_cell(steps, layout),
                owner_cell(measure["owner"]),
                [period],
                [measure["follow_up"]],
            ]
            if w_index == 1 and layout.split_across_pages:
                first_row[2] = steps_cell(steps[:1], layout)
                rows.append(first_row)
                rows.append("PAGE")
                rows.append([[], [], steps_cell(steps[1:], layout, first=2), [], [], []])
            else:
                rows.append(first_row)
    return rows


def _set_repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    tr_pr.append(element)


def _fill(cell, paragraphs: list[str]) -> None:
    cell.text = paragraphs[0] if paragraphs else ""
    for extra in paragraphs[1:]:
        cell.add_paragraph(extra)


def _new_table(document, layout: Layout, header: bool):
    table = document.add_table(rows=0, cols=6)
    table.style = "Table Grid"
    if header:
        cells = table.add_row().cells
        for cell, text in zip(cells, HEADER_BROKEN if layout.header_line_breaks else HEADER_ONE_LINE):
            _fill(cell, text.split("\n"))
        _set_repeat_header(table.rows[0])
    return table


def memo_docx(layout: Layout | None = None) -> bytes:
    layout = layout or Layout()
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    document.add_paragraph("บันทึกข้อความ")
    document.add_paragraph("ส่วนราชการ งานบริการและเผยแพร่วิชาการ ฝ่ายแผนงานและงบประมาณ กองยุทธศาสตร์และงบประมาณ")
    document.add_paragraph(_digits("ที่ กยง 494/2565 วันที่ 12 ตุลาคม 2565", layout))
    document.add_paragraph(
        _digits(
            "เรื่อง รายงานการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA) "
            "ประจำปีงบประมาณ พ.ศ. 2565 ของเทศบาลตำบลบ้านเป็ด",
            layout,
        )
    )
    document.add_paragraph("เรียน นายกเทศมนตรีตำบลบ้านเป็ด")
    if layout.with_indicator_table:
        document.add_paragraph("ตารางที่ ๒ : แสดงผลเปรียบเทียบการประเมิน ITA รายตัวชี้วัด")
        table = document.add_table(rows=0, cols=5)
        for values in INDICATOR_TABLE:
            for cell, text in zip(table.add_row().cells, values):
                cell.text = text
    document.add_paragraph(
        _digits(
            "3. มาตรการ/แนวทางการนำผลการประเมิน ในปีงบประมาณ พ.ศ. 2565 ไปดำเนินการปรับปรุงและพัฒนา ในปีงบประมาณ พ.ศ. 2566",
            layout,
        )
    )
    table = _new_table(document, layout, header=True)
    merge_from = None
    for row in measure_rows(layout):
        if row == "PAGE":
            document.add_paragraph("/ ๒) จัดทำคู่มือ...")
            document.add_page_break()
            table = _new_table(document, layout, header=layout.repeat_header)
            continue
        cells = table.add_row().cells
        for index, paragraphs in enumerate(row):
            if index == 0 and paragraphs is None:
                merge_from.merge(cells[0])
                continue
            _fill(cells[index], paragraphs)
        if row[0]:
            merge_from = cells[0]
    document.add_paragraph("จึงเรียนมาเพื่อโปรดทราบ")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def memo_text(layout: Layout | None = None) -> str:
    """The table as a PDF viewer or Word copies it: tab-separated cells, one row per line (the seed's text)."""
    layout = layout or Layout()
    header = "\t".join(
        (HEADER_BROKEN if layout.header_line_breaks else HEADER_ONE_LINE)[i].replace("\n", " ") for i in range(6)
    )
    lines = [header]
    for row in measure_rows(layout):
        if row == "PAGE":
            lines += ["", "/ ๒) จัดทำคู่มือ...", "", header]
            continue
        cells = []
        for index, paragraphs in enumerate(row):
            paragraphs = [] if paragraphs is None else paragraphs
            cells.append(
                " ".join(f"<p>{p}</p>" for p in paragraphs)
                if len(paragraphs) > 1 and index == 2
                else " ".join(paragraphs)
            )
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"
