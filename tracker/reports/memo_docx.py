"""The O42 analysis memo as a Word document, laid out as the seed: the
บันทึกข้อความ on the first page, then the attached analysis with tables 1–3,
the per-tool analysis and the measures table. Every text comes from
`memo.MemoDocument`; this module only lays it out."""

from __future__ import annotations

from collections.abc import Sequence

from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.table import Table

from .docx_common import (
    add_paragraph,
    add_row,
    add_run,
    add_table,
    document_bytes,
    endorsement_chain,
    memo_heading,
    new_document,
    set_cell_text,
    shade_cell,
)
from .docx_pages import add_page_numbers, arabic_digits, start_section
from .memo_document import DOTS, MEASURE_HEADERS, MemoDocument, Segment
from .odt import odt_bytes

__all__ = ["memo_word", "memo_docx", "memo_odt"]

#: Official sizes: the heading 29 pt, the header labels 20 pt, the text 16 pt.
HEADING_PT = 29
LABEL_PT = 20
TABLE_PT = 14
INDENT_CM = 2.5  # first-line indent of a paragraph in a Thai official document
HEADER_FILL = "E7E6E6"

TOP_WIDTHS = (2.0, 10.0, 3.0)
TABLE1_WIDTHS = (4.6, 2.2, 1.5, 2.2, 1.5, 4.0)
TABLE2_WIDTHS = (1.4, 5.6, 2.9, 2.9, 3.2)
TABLE3_WIDTHS = (6.8, 2.7, 2.7, 3.8)
TOOL_WIDTHS = (2.4, 10.0, 3.0)
#: Across an A4 page: 24.7 cm between the margins.
MEASURE_WIDTHS = (4.1, 4.1, 7.1, 3.2, 3.0, 3.2)


def memo_docx(d: MemoDocument) -> bytes:
    return document_bytes(memo_word(d))


def memo_odt(d: MemoDocument) -> bytes:
    """The same document for LibreOffice, whose page numbers then print in Thai digits."""
    return odt_bytes(memo_word(d))


def memo_word(d: MemoDocument) -> DocumentObject:
    """The memo as a python-docx document: what the DOCX and the ODT are made of."""
    doc = new_document()
    add_page_numbers(doc, thai_digits=d.thai_digits)
    _cover(doc, d)
    _page_break(doc)
    _report(doc, d)
    if not d.thai_digits:
        arabic_digits(doc)
    return doc


# -- the บันทึกข้อความ ------------------------------------------------------------------


def _cover(doc, d: MemoDocument) -> None:
    h = d.header
    memo_heading(doc, d.emblem)
    _labelled(doc, "ส่วนราชการ", h.office)
    line = _labelled(doc, "ที่", h.reference or DOTS)
    line.paragraph_format.tab_stops.add_tab_stop(Cm(8))
    add_run(line, "\t")
    add_run(line, "วันที่", bold=True, size_pt=LABEL_PT)
    add_run(line, f" {h.date_text}")
    _labelled(doc, "เรื่อง", h.subject)
    add_paragraph(doc, f"เรียน {h.addressee}", space_before_pt=6, space_after_pt=6)

    for heading, text in (("๑. เรื่องเดิม", d.background), ("๒. ข้อเท็จจริง", d.facts), ("๓. ข้อพิจารณา/ข้อเสนอ", d.proposal)):
        add_paragraph(doc, heading, bold=True, indent_cm=0, space_before_pt=6, keep_with_next=True)
        add_paragraph(doc, text, align="thai", first_line_cm=INDENT_CM)

    _signature(doc, d.author.name, d.author.position)
    _signoff(doc, d)


def _labelled(doc, label: str, text: str):
    paragraph = add_paragraph(doc, space_after_pt=2)
    add_run(paragraph, label, bold=True, size_pt=LABEL_PT)
    add_run(paragraph, f" {text}")
    return paragraph


def _signature(doc, name: str, position: str) -> None:
    add_paragraph(doc, "(ลงชื่อ) " + DOTS, align="center", indent_cm=7, space_before_pt=24, keep_with_next=True)
    add_paragraph(doc, f"({name or DOTS})", align="center", indent_cm=7, keep_with_next=True)
    add_paragraph(doc, position or DOTS, align="center", indent_cm=7)


def _signoff(doc, d: MemoDocument) -> None:
    """The chain of endorsements (ผอ.กอง → ปลัด → … → นายก as the admin set it), where the
    paper memo had handwritten ones: each level's comment and date, or lines to fill in."""
    if d.signoff is not None:
        endorsement_chain(doc, d.signoff)


def _page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


# -- the attached analysis ---------------------------------------------------------------


def _report(doc, d: MemoDocument) -> None:
    for line in d.report_title:
        add_paragraph(doc, line, bold=True, align="center", keep_with_next=True)
    add_paragraph(doc)

    add_paragraph(doc, d.part1_heading, bold=True, keep_with_next=True)
    add_paragraph(doc, d.overall_sentence, align="thai", first_line_cm=INDENT_CM, space_after_pt=6)
    add_paragraph(doc, f"{d.overall_score} คะแนน", bold=True, size_pt=LABEL_PT, align="center", keep_with_next=True)
    add_paragraph(
        doc, f"ระดับผลการประเมิน {d.overall_level}", bold=True, align="center", space_after_pt=6, keep_with_next=True
    )
    for note in d.comparison_notes:
        add_paragraph(doc, note, align="thai", first_line_cm=INDENT_CM, space_after_pt=6)
    add_paragraph(doc, "คะแนนสูงสุดรายตัวชี้วัด", bold=True, align="center", keep_with_next=True)
    table = add_table(doc, ["อันดับ", "ตัวชี้วัด", "คะแนน"], TOP_WIDTHS)
    for rank, name, value in d.top_scores:
        add_row(table, [rank, name, value], align=["center", "left", "center"])
    add_paragraph(
        doc,
        f"คะแนนสูงสุด {d.highest} คะแนน    คะแนนต่ำสุด {d.lowest} คะแนน",
        align="center",
        space_before_pt=4,
        space_after_pt=8,
    )

    _caption(doc, d.table1_caption)
    table = _two_row_table(
        doc,
        top=[("ผลการประเมิน", 1), (d.year_heading_previous, 2), (d.year_heading_current, 2), ("ผลต่าง/ ระดับคะแนน", 1)],
        bottom=[None, "คะแนน", "ระดับ", "คะแนน", "ระดับ", None],
        widths=TABLE1_WIDTHS,
    )
    for r in d.table1:
        add_row(
            table,
            [r.label, r.previous, r.previous_level, r.current, r.current_level, r.difference],
            align=["left", "center", "center", "center", "center", "center"],
        )
    add_paragraph(doc, d.table1_prose, align="thai", first_line_cm=INDENT_CM, space_before_pt=6, space_after_pt=8)

    _caption(doc, d.table2_caption)
    table = _two_row_table(
        doc,
        top=[("ลำดับ", 1), ("ตัวชี้วัด", 1), ("คะแนนรายตัวชี้วัด", 2), ("ผลต่าง/ ระดับคะแนน", 1)],
        bottom=[None, None, d.year_heading_previous, d.year_heading_current, None],
        widths=TABLE2_WIDTHS,
    )
    for indicator in d.table2:
        add_row(
            table,
            [indicator.rank, indicator.name, indicator.previous, indicator.current, indicator.difference],
            align=["center", "left", "center", "center", "center"],
        )
    add_paragraph(doc, d.table2_prose, align="thai", first_line_cm=INDENT_CM, space_before_pt=6, space_after_pt=8)

    _caption(doc, d.table3_caption)
    table = add_table(
        doc,
        ["เครื่องมือการประเมิน", d.year_heading_previous, d.year_heading_current, "ผลต่าง/ระดับคะแนน"],
        TABLE3_WIDTHS,
        header_fill=HEADER_FILL,
    )
    for tool_line in d.table3:
        add_row(
            table,
            [tool_line.label, tool_line.previous, tool_line.current, tool_line.difference],
            align=["left", "center", "center", "center"],
        )
    add_paragraph(doc, d.table3_prose, align="thai", first_line_cm=INDENT_CM, space_before_pt=6)
    for point in d.table3_points:
        _rich(doc, [Segment("- ")] + point, indent_cm=1)

    add_paragraph(doc, d.part2_heading, bold=True, space_before_pt=12, keep_with_next=True)
    for tool in d.tools:
        add_paragraph(doc, tool.heading, bold=True, space_before_pt=8, keep_with_next=True)
        add_paragraph(doc, tool.intro, align="thai", first_line_cm=INDENT_CM, space_after_pt=4, keep_with_next=True)
        table = add_table(doc, ["ตัวชี้วัดที่", "ตัวชี้วัด", "คะแนน"], TOOL_WIDTHS)
        for number, name, value in tool.rows:
            add_row(table, [number, name, value], align=["center", "left", "center"])
        add_paragraph(doc, tool.analysis, align="thai", first_line_cm=INDENT_CM, space_before_pt=6)
        for text in tool.findings:
            add_paragraph(doc, text, align="thai", first_line_cm=INDENT_CM)

    # Part ๓ with its six-column table on pages across, as in the seed and the PDF (a
    # paragraph must follow the section break: LibreOffice drops a break followed by a table).
    start_section(doc, landscape=True, thai_digits=True)
    add_paragraph(doc, d.part3_heading, bold=True, keep_with_next=True)
    add_paragraph(doc, d.part3_intro, align="thai", first_line_cm=INDENT_CM, space_after_pt=4)
    for line in d.weaknesses:
        add_paragraph(doc, line, align="thai", first_line_cm=INDENT_CM)
    if not d.weaknesses:
        add_paragraph(doc, "แผนนี้ยังไม่มีประเด็นที่เป็นข้อบกพร่อง/จุดอ่อน", first_line_cm=INDENT_CM)
    # Rows are never split (a row taller than a page is still split: no other choice).
    table = add_table(doc, list(MEASURE_HEADERS), MEASURE_WIDTHS, size_pt=TABLE_PT, header_fill=HEADER_FILL)
    for m in d.measures:
        add_row(
            table,
            [m.weakness, m.measure, m.steps or ["-"], m.owner, m.period, m.follow_up],
            size_pt=TABLE_PT,
            align=["left", "left", "left", "left", "center", "left"],
        )
    if not d.measures:
        add_row(table, ["", "ยังไม่มีมาตรการ", "", "", "", ""], size_pt=TABLE_PT)


def _caption(doc, text: str) -> None:
    add_paragraph(doc, text, bold=True, space_before_pt=6, space_after_pt=4, keep_with_next=True)


def _rich(doc, segments: Sequence[Segment], *, indent_cm: float) -> None:
    paragraph = add_paragraph(doc, align="left", indent_cm=indent_cm)
    for s in segments:
        add_run(paragraph, s.text, bold=s.bold)


def _two_row_table(
    doc, *, top: Sequence[tuple[str, int]], bottom: Sequence[str | None], widths: Sequence[float]
) -> Table:
    """A table whose two header rows repeat on every page: `top` holds (text, columns
    spanned); a None in `bottom` merges that column's two header cells."""
    table = doc.add_table(rows=2, cols=len(widths))
    table.style = "Table Grid"
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(repeat)
    upper, lower = table.rows[0].cells, table.rows[1].cells
    column = 0
    for text, span in top:
        cell = upper[column]
        if span > 1:
            cell = cell.merge(upper[column + span - 1])
        elif bottom[column] is None:
            cell = cell.merge(lower[column])
        set_cell_text(cell, text, bold=True, align="center")
        shade_cell(cell, HEADER_FILL)
        column += span
    for i, subheading in enumerate(bottom):
        if subheading is not None:
            set_cell_text(lower[i], subheading, bold=True, align="center")
            shade_cell(lower[i], HEADER_FILL)
    return table
