"""The pages of an official DOCX: sections with the official margins, page numbers
("- ๒ -" at the top centre) in Thai or Arabic digits, and turning a whole
document's digits to Arabic.
"""

from __future__ import annotations

from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from ..thaidate import to_arabic_digits
from .docx_common import SIZE_PT, add_run, set_run_font

__all__ = [
    "add_page_numbers",
    "start_section",
]


def _field(paragraph: Paragraph, instruction: str, *, size_pt: float | None) -> None:
    """A Word field (PAGE, NUMPAGES…) whose value Word computes when it lays out."""

    def run_with(el) -> None:
        r = OxmlElement("w:r")
        r.append(el)
        paragraph._p.append(r)
        set_run_font(Run(r, paragraph), size_pt=size_pt or SIZE_PT)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    shown = OxmlElement("w:t")
    shown.text = "1"
    run_with(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _number_format(section, thai_digits: bool) -> None:
    """The section's page numbers in Thai digits: w:pgNumType w:fmt="thaiNumbers", which
    Word shows as ๒, ๓. LibreOffice (checked with 7.4: its writerfilter's ConvertNumberingType
    leaves thaiNumbers among the formats it does not map) shows these as 2, 3; no OOXML
    page-number format or PAGE switch gives it Thai digits (ThaiArabic, ThaiLetter and
    ThaiCardText all become its Thai letters ข, ค), so Arabic digits are the right fallback."""
    sect_pr = section._sectPr
    for old in sect_pr.findall(qn("w:pgNumType")):
        sect_pr.remove(old)
    if not thai_digits:
        return
    fmt = OxmlElement("w:pgNumType")
    fmt.set(qn("w:fmt"), "thaiNumbers")
    # The schema puts pgNumType after pgMar/paperSrc/pgBorders/lnNumType and before cols.
    anchor = next(
        (
            el
            for el in sect_pr
            if el.tag
            in (
                qn("w:cols"),
                qn("w:formProt"),
                qn("w:vAlign"),
                qn("w:noEndnote"),
                qn("w:titlePg"),
                qn("w:textDirection"),
                qn("w:bidi"),
                qn("w:rtlGutter"),
                qn("w:docGrid"),
            )
        ),
        None,
    )
    if anchor is None:
        sect_pr.append(fmt)
    else:
        anchor.addprevious(fmt)


def add_page_numbers(
    doc: DocumentObject, *, thai_digits: bool = False, skip_first: bool = True, size_pt: float | None = None
) -> None:
    """ "- 2 -" centred in the header of every page (from page two when
    `skip_first`), in Thai digits when asked."""
    section = doc.sections[0]
    section.different_first_page_header_footer = skip_first
    _number_format(section, thai_digits)
    paragraph = section.header.paragraphs[0]
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(paragraph, "- ", size_pt=size_pt)
    _field(paragraph, "PAGE", size_pt=size_pt)
    add_run(paragraph, " -", size_pt=size_pt)


def start_section(doc: DocumentObject, *, landscape: bool, thai_digits: bool = False):
    """A new section on a new page, across (landscape) or upright, with the official
    margins and the page numbers of the first section (its header is linked)."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    width, height = Cm(21), Cm(29.7)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.different_first_page_header_footer = False
    _number_format(section, thai_digits)
    return section


def arabic_digits(doc: DocumentObject) -> None:
    """Every Thai digit of the text (body, headers, footers) to Arabic and page numbers in
    Arabic: an organization that chose Arabic digits gets one kind in the whole document."""
    parts = [doc.element.body] + [
        part._element
        for s in doc.sections
        for part in (s.header, s.footer, s.first_page_header, s.first_page_footer)
        if not part.is_linked_to_previous
    ]  # reading a linked one would create it
    for root in parts:
        for text in root.iter(qn("w:t")):
            if text.text:
                text.text = to_arabic_digits(text.text)
    for section in doc.sections:
        _number_format(section, False)
