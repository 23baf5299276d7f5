"""Word documents in the Thai official style, shared by every DOCX the product writes.

python-docx sets only the Latin font slots, but Word draws Thai with the
complex-script ones (`w:cs`, `w:szCs`, `w:bCs`): a document that sets only
the Latin ones shows Thai in the wrong font and size. Everything here sets
all of them: `new_document()` on the Normal style, the helpers on each run.

Official layout: A4, margins top 2.5 cm, left 3 cm, right 2 cm, bottom 2 cm,
TH SarabunPSK 16 pt, page numbers "- ๒ -" at the top centre from page two.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from .thaiwrap import join_units

__all__ = [
    "FONT",
    "SIZE_PT",
    "ALIGN",
    "new_document",
    "set_run_font",
    "add_paragraph",
    "add_run",
    "add_table",
    "add_row",
    "set_cell_text",
    "shade_cell",
    "set_cell_width",
    "add_hyperlink",
    "add_signature",
    "document_bytes",
]


#: The official font of Thai government documents, and its size.
FONT = "TH SarabunPSK"


SIZE_PT = 16


ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "thai": WD_ALIGN_PARAGRAPH.THAI_JUSTIFY,
}


Container = DocumentObject | _Cell


def _set_fonts(rpr, font: str, size_pt: float | None, bold: bool | None) -> None:
    """Fill every font slot of a w:rPr (a style's or a run's)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), font)
    if bold is not None:
        for tag in ("w:b", "w:bCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), "1" if bold else "0")
    if size_pt is not None:
        half_points = str(int(round(size_pt * 2)))
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), half_points)
    _sort_rpr(rpr)


# The schema fixes the order of a w:rPr's children; Word refuses files that break it.
_RPR_ORDER = [
    "w:rStyle",
    "w:rFonts",
    "w:b",
    "w:bCs",
    "w:i",
    "w:iCs",
    "w:caps",
    "w:smallCaps",
    "w:strike",
    "w:dstrike",
    "w:outline",
    "w:shadow",
    "w:emboss",
    "w:imprint",
    "w:noProof",
    "w:snapToGrid",
    "w:vanish",
    "w:webHidden",
    "w:color",
    "w:spacing",
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
]


_RPR_RANK = {qn(tag): i for i, tag in enumerate(_RPR_ORDER)}


def _sort_rpr(rpr) -> None:
    children = list(rpr)
    children.sort(key=lambda el: _RPR_RANK.get(el.tag, len(_RPR_RANK)))
    for el in children:
        rpr.remove(el)
        rpr.append(el)


def new_document(*, font: str = FONT, size_pt: float = SIZE_PT, landscape: bool = False) -> DocumentObject:
    """An empty A4 document with official margins and `font` at `size_pt` in
    every slot of the Normal style (and of the table style)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.header_distance = section.footer_distance = Cm(1.2)
    for style_name in ("Normal", "Table Grid"):
        style = doc.styles[style_name]
        _set_fonts(style.element.get_or_add_rPr(), font, size_pt if style_name == "Normal" else None, None)
    normal = doc.styles["Normal"]
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    # Thai text: the language tag lets Word pick Thai line breaking and proofing.
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "th-TH")
    lang.set(qn("w:bidi"), "th-TH")
    _sort_rpr(rpr)
    return doc


def set_run_font(run: Run, *, bold: bool | None = None, size_pt: float | None = None, font: str = FONT) -> Run:
    """Set font, size and weight of a run in the Latin and complex-script slots."""
    _set_fonts(run._r.get_or_add_rPr(), font, size_pt, bold)
    return run


def add_run(
    paragraph: Paragraph, text: str, *, bold: bool = False, size_pt: float | None = None, underline: bool = False
) -> Run:
    run = paragraph.add_run(join_units(text))
    set_run_font(run, bold=bold, size_pt=size_pt or SIZE_PT)
    if underline:
        run.underline = True
    return run


def add_paragraph(
    container: Container,
    text: str = "",
    *,
    bold: bool = False,
    size_pt: float | None = None,
    align: str = "left",
    indent_cm: float | None = None,
    first_line_cm: float | None = None,
    space_before_pt: float = 0,
    space_after_pt: float = 0,
    keep_with_next: bool = False,
) -> Paragraph:
    """A paragraph with one run of `text` (empty text: an empty paragraph)."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = ALIGN[align]
    fmt.space_before, fmt.space_after = Pt(space_before_pt), Pt(space_after_pt)
    if indent_cm is not None:
        fmt.left_indent = Cm(indent_cm)
    if first_line_cm is not None:
        fmt.first_line_indent = Cm(first_line_cm)
    if keep_with_next:
        fmt.keep_with_next = True
    if text:
        add_run(paragraph, text, bold=bold, size_pt=size_pt)
    return paragraph


def set_cell_width(cell: _Cell, width_cm: float) -> None:
    cell.width = Cm(width_cm)


def set_cell_text(
    cell: _Cell,
    text: str | Sequence[str],
    *,
    bold: bool = False,
    size_pt: float | None = None,
    align: str = "left",
) -> None:
    """Replace a cell's content: one paragraph per line of `text`."""
    lines = [text] if isinstance(text, str) else list(text)
    paragraphs = cell.paragraphs
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    first = paragraphs[0]
    for run in list(first.runs):
        run._r.getparent().remove(run._r)
    for i, line in enumerate(lines or [""]):
        paragraph = first if i == 0 else cell.add_paragraph()
        paragraph.paragraph_format.alignment = ALIGN[align]
        if line:
            add_run(paragraph, line, bold=bold, size_pt=size_pt)


def shade_cell(cell: _Cell, fill_hex: str) -> None:
    """Background colour of a cell, e.g. "D9D9D9"."""
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = tc_pr.find(qn("w:shd"))
    if shd is None:
        shd = OxmlElement("w:shd")
        tc_pr.append(shd)
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill_hex)


def add_table(
    container: Container,
    headers: Sequence[str],
    widths_cm: Sequence[float],
    *,
    size_pt: float | None = None,
    header_fill: str | None = "E7E6E6",
) -> Table:
    """A bordered table with fixed column widths and a header row that repeats
    on every page."""
    table = container.add_table(rows=1, cols=len(widths_cm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # w:tblLayout fixed: the widths hold whatever the text
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
    header = table.rows[0]
    tr_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    for cell, text, width in zip(header.cells, headers, widths_cm):
        set_cell_width(cell, width)
        set_cell_text(cell, text, bold=True, size_pt=size_pt, align="center")
        if header_fill:
            shade_cell(cell, header_fill)
    return table


def add_row(
    table: Table,
    values: Sequence[str | Sequence[str]],
    *,
    size_pt: float | None = None,
    bold: bool = False,
    align: Sequence[str] | None = None,
) -> list[_Cell]:
    """Append a row; each value is a text or a list of lines. Rows never split
    across pages."""
    row = table.add_row()
    tr_pr = row._tr.get_or_add_trPr()
    cant_split = OxmlElement("w:cantSplit")
    cant_split.set(qn("w:val"), "true")
    tr_pr.append(cant_split)
    widths = [c.width for c in table.columns]
    cells = list(row.cells)
    for i, (cell, value) in enumerate(zip(cells, values)):
        if widths[i] is not None:
            cell.width = widths[i]
        set_cell_text(cell, value, bold=bold, size_pt=size_pt, align=(align[i] if align else "left"))
    return cells


def add_hyperlink(paragraph: Paragraph, url: str, text: str, *, size_pt: float | None = None) -> None:
    """A clickable link (python-docx has no API for one)."""
    part = paragraph.part
    r_id = part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    run.append(rpr)
    text_el = OxmlElement("w:t")
    text_el.text = text
    text_el.set(qn("xml:space"), "preserve")
    run.append(text_el)
    link.append(run)
    paragraph._p.append(link)
    wrapped = Run(run, paragraph)
    set_run_font(wrapped, size_pt=size_pt or SIZE_PT)
    wrapped.underline = True
    wrapped.font.color.rgb = RGBColor(0x0B, 0x4F, 0x8A)


def add_signature(
    container: Container, label: str, name: str, position: str, *, indent_cm: float = 7.0, size_pt: float | None = None
) -> None:
    """The signature lines of a Thai official document:
    (ลงชื่อ) ......... ผู้รายงาน / (name) / ตำแหน่ง position."""
    dots = "........................................"
    add_paragraph(
        container,
        f"(ลงชื่อ) {dots} {label}",
        align="center",
        indent_cm=indent_cm,
        size_pt=size_pt,
        space_before_pt=18,
        keep_with_next=True,
    )
    add_paragraph(
        container, f"({name or dots})", align="center", indent_cm=indent_cm, size_pt=size_pt, keep_with_next=True
    )
    add_paragraph(container, f"ตำแหน่ง {position or dots}", align="center", indent_cm=indent_cm, size_pt=size_pt)


def document_bytes(doc: DocumentObject) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# -- the บันทึกข้อความ form (ระเบียบงานสารบรรณ) -------------------------------------------


MEMO_HEADING_PT = 29


MEMO_DOTS = "................................"


def text_width(section: Section) -> Length:
    """The width between the side margins (every document here sets the page size and margins)."""
    page, left, right = section.page_width, section.left_margin, section.right_margin
    if page is None or left is None or right is None:
        raise ValueError("the section has no page width or side margins")
    return Length(page - left - right)


def memo_heading(doc: DocumentObject, emblem: tuple[bytes, str] | None) -> None:
    """The ครุฑ 1.5 cm high at the left and "บันทึกข้อความ" centred on the same line; without an
    emblem, the heading alone (never an empty frame)."""
    paragraph = add_paragraph(doc, space_after_pt=6)
    if emblem is not None:
        paragraph.paragraph_format.tab_stops.add_tab_stop(
            Length(text_width(doc.sections[0]) // 2), WD_TAB_ALIGNMENT.CENTER
        )
        paragraph.add_run().add_picture(io.BytesIO(emblem[0]), height=Cm(1.5))
        add_run(paragraph, "\t")
    else:
        paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(paragraph, "บันทึกข้อความ", bold=True, size_pt=MEMO_HEADING_PT)


def endorsement_chain(doc: DocumentObject, chain) -> None:
    """A sign-off chain (signoff.Chain) as the endorsements under a memo: per level the
    comment (or a line to write it), a signature line, (name), position and date."""
    add_paragraph(doc, f"การพิจารณาตามลำดับ ({chain.status_label})", bold=True, space_before_pt=12, keep_with_next=True)
    for entry in chain.entries:
        who = entry.position or entry.name
        comment = (entry.comment or "ทราบ") if entry.done else MEMO_DOTS * 3
        add_paragraph(doc, f"ความเห็น{who} {comment}", indent_cm=1, space_before_pt=6, keep_with_next=True)
        add_paragraph(doc, f"(ลงชื่อ) {MEMO_DOTS}", align="center", indent_cm=7, keep_with_next=True)
        add_paragraph(doc, f"({entry.name})", align="center", indent_cm=7, keep_with_next=True)
        if entry.position:
            add_paragraph(doc, entry.position, align="center", indent_cm=7, keep_with_next=True)
        add_paragraph(doc, entry.date_text() if entry.done else f"วันที่ {MEMO_DOTS}", align="center", indent_cm=7)
