"""OpenDocument text (ODT) of the official documents, for officers who work in
LibreOffice: the same Word document the DOCX writers build, translated.

Why: LibreOffice's DOCX import maps no OOXML page-number format to Thai digits
(w:pgNumType w:fmt="thaiNumbers" is among the formats its writerfilter leaves
unmapped, and the PAGE field's ThaiArabic switch becomes its Thai letters ก ข ค),
so a DOCX shows "- 2 -" there. In ODT the page style's numbering is
"Native Numbering", which LibreOffice prints in the digits of the text's
language: "- ๒ -" with Thai text.

The translation reads the python-docx document (not the DOCX file), so the ODT
has the DOCX's text, fonts, sizes, margins, tables and emblem by construction:
sections become page styles (A4 upright or across, the official margins, no
header on a first page set apart), headers keep their PAGE field, and the
organization's choice of digits carries over (Thai when the DOCX's sections ask
for thaiNumbers).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from lxml import etree

from .odt_body import NS, AutoStyles, Images, cm, is_on, q, sub, text_props, twips
from .odt_table import DocumentWriter

__all__ = ["ODT_MIMETYPE", "odt_bytes"]

ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"

#: Page numbers in the digits of the text's language (LibreOffice's NATIVE_NUMBERING).
NATIVE_NUMBERING = "Native Numbering"


@dataclass
class _Section:
    sect_pr: Any
    #: index of the section's first block in the body
    start: int
    header: Any
    first_header: Any
    title_page: bool

    def master(self, index: int, *, first: bool) -> str:
        return f"Section{index + 1}" + ("First" if first and self.title_page else "")


def _sections(doc: DocumentObject) -> list[_Section]:
    """The document's sections in order, each with the header Word shows on its pages
    (a section without its own takes the previous one's)."""
    body = doc.element.body
    ends = [
        (i, el.find(f"{qn('w:pPr')}/{qn('w:sectPr')}"))
        for i, el in enumerate(body)
        if el.tag == qn("w:p") and el.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None
    ]
    final = body.find(qn("w:sectPr"))
    bounds = [(sect_pr, (ends[k - 1][0] + 1) if k else 0) for k, (_i, sect_pr) in enumerate(ends)]
    bounds.append((final, (ends[-1][0] + 1) if ends else 0))
    sections: list[_Section] = []
    header = first_header = None
    for sect_pr, start in bounds:
        for ref in sect_pr.iterfind(qn("w:headerReference")):
            element = doc.part.related_parts[ref.get(qn("r:id"))].element
            if ref.get(qn("w:type")) == "default":
                header = element
            elif ref.get(qn("w:type")) == "first":
                first_header = element
        sections.append(_Section(sect_pr, start, header, first_header, is_on(sect_pr.find(qn("w:titlePg")))))
    return sections


def _page_layout(layouts: dict[tuple, str], parent, section: _Section, *, with_header: bool) -> str:
    """The page layout of a section's pages (one per distinct layout)."""
    sect_pr = section.sect_pr
    size, margins = sect_pr.find(qn("w:pgSz")), sect_pr.find(qn("w:pgMar"))
    width, height = twips(size, "w:w") or 21.0, twips(size, "w:h") or 29.7
    top, bottom = twips(margins, "w:top") or 2.5, twips(margins, "w:bottom") or 2.0
    header_at = twips(margins, "w:header") or 1.25
    number_format = sect_pr.find(qn("w:pgNumType"))
    thai = number_format is not None and number_format.get(qn("w:fmt")) == "thaiNumbers"
    props = {
        "fo:page-width": cm(width),
        "fo:page-height": cm(height),
        "style:print-orientation": "landscape" if width > height else "portrait",
        "fo:margin-left": cm(twips(margins, "w:left") or 3.0),
        "fo:margin-right": cm(twips(margins, "w:right") or 2.0),
        "fo:margin-bottom": cm(bottom),
        # Word measures the text from the page's edge, ODF from the header's top.
        "fo:margin-top": cm(header_at if with_header else top),
        "style:num-format": NATIVE_NUMBERING if thai else "1",
    }
    header = {
        "fo:min-height": cm(max(top - header_at, 0.5)),
        "fo:margin-bottom": "0cm",
        "style:dynamic-spacing": "false",
    }
    key = (tuple(sorted(props.items())), with_header)
    if key not in layouts:
        layouts[key] = name = f"Layout{len(layouts) + 1}"
        layout = sub(parent, "style:page-layout", {"style:name": name})
        sub(layout, "style:page-layout-properties", props)
        if with_header:
            sub(sub(layout, "style:header-style"), "style:header-footer-properties", header)
    return layouts[key]


def _has_text(header) -> bool:
    return header is not None and (
        any((t.text or "").strip() for t in header.iter(qn("w:t"))) or header.find(f".//{qn('w:fldChar')}") is not None
    )


def _defaults(doc: DocumentObject, office_styles) -> tuple[tuple[str, str], ...]:
    """The Normal style's font, size and Thai language as ODF's defaults; returns the
    run properties that need no span of their own."""
    rpr = doc.styles["Normal"].element.rPr
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    font = (fonts.get(qn("w:cs")) or fonts.get(qn("w:ascii"))) if fonts is not None else None
    props = dict(text_props(rpr))
    text = {k: v for k, v in props.items() if k.startswith(("fo:font-size", "style:font-size"))}
    if font:
        text.update({"style:font-name": font, "style:font-name-asian": font, "style:font-name-complex": font})
    # Thai is a complex script: its language is the complex one. The Latin one stays
    # English: with Thai there, LibreOffice breaks Latin words anywhere ("(I|TA)").
    text.update(
        {"fo:language": "en", "fo:country": "US", "style:language-complex": "th", "style:country-complex": "TH"}
    )
    text["fo:hyphenate"] = "false"
    default = sub(office_styles, "style:default-style", {"style:family": "paragraph"})
    sub(
        default,
        "style:paragraph-properties",
        {"fo:orphans": "2", "fo:widows": "2", "style:tab-stop-distance": "1.27cm", "style:writing-mode": "lr-tb"},
    )
    sub(default, "style:text-properties", text)
    sub(office_styles, "style:style", {"style:name": "Standard", "style:family": "paragraph", "style:class": "text"})
    normal_weight = tuple(
        (k, "normal") for k in ("fo:font-weight", "style:font-weight-asian", "style:font-weight-complex")
    )
    return tuple(sorted(text_props(rpr) + normal_weight))


def _root(name: str):
    return etree.Element(q(f"office:{name}"), {q("office:version"): "1.3"}, nsmap=NS)


def _font_faces(root, font: str | None) -> None:
    decls = sub(root, "office:font-face-decls")
    if font:
        sub(decls, "style:font-face", {"style:name": font, "svg:font-family": f"'{font}'"})


def odt_bytes(doc: DocumentObject) -> bytes:
    """The Word document `doc` (as the DOCX writers built it) as an ODT file."""
    normal = doc.styles["Normal"].element.rPr
    fonts = normal.find(qn("w:rFonts")) if normal is not None else None
    font = fonts.get(qn("w:cs")) if fonts is not None else None
    images = Images()

    styles_root = _root("document-styles")
    _font_faces(styles_root, font)
    default_props = _defaults(doc, sub(styles_root, "office:styles"))
    styles_auto = AutoStyles(sub(styles_root, "office:automatic-styles"), "M")
    masters = sub(styles_root, "office:master-styles")

    content_root = _root("document-content")
    _font_faces(content_root, font)
    content_auto = AutoStyles(sub(content_root, "office:automatic-styles"), "")
    text = sub(sub(content_root, "office:body"), "office:text")

    header_writer = DocumentWriter(doc.part, styles_auto, images, default_props=default_props)
    layouts: dict[tuple, str] = {}
    sections = _sections(doc)
    for index, section in enumerate(sections):
        for first in (True, False) if section.title_page else (False,):
            header = section.first_header if first else section.header
            header_part = header if _has_text(header) else None
            attrs = {
                "style:name": section.master(index, first=first),
                "style:page-layout-name": _page_layout(
                    layouts, styles_auto.container, section, with_header=header_part is not None
                ),
            }
            if first:
                attrs["style:next-style-name"] = section.master(index, first=False)
            master = sub(masters, "style:master-page", attrs)
            if header_part is not None:
                header_writer.part = _header_part(doc, header_part)
                header_writer.blocks(list(header_part), sub(master, "style:header"))

    starts = {section.start: section.master(i, first=True) for i, section in enumerate(sections)}
    blocks = list(doc.element.body)
    writer = DocumentWriter(doc.part, content_auto, images, default_props=default_props)
    positions = {id(el): i for i, el in enumerate(blocks)}
    writer.blocks(blocks, text, master=lambda el: starts.get(positions[id(el)]))
    return _package(doc, content_root, styles_root, images)


def _header_part(doc: DocumentObject, element):
    for part in doc.part.related_parts.values():
        if getattr(part, "element", None) is element:
            return part
    raise LookupError("header part")


def _meta(doc: DocumentObject):
    root = _root("document-meta")
    meta = sub(root, "office:meta")
    sub(meta, "meta:generator", text="ITA follow-up tracker")
    title = doc.core_properties.title
    if title:
        sub(meta, "dc:title", text=title)
    sub(meta, "dc:language", text="th-TH")
    return root


#: LibreOffice's layout options for this document, two of those it sets for every DOCX it
#: opens (Word's behaviour): without WordLikeWrapForAsCharFlys (its default for ODT) 7.4 ended
#: a centred Thai line inside a word held together by WORD JOINERs ("(การประเ / มิน ITA" in
#: the report's heading); CollapseEmptyCellPara hides the empty paragraph Word requires after
#: a table in a cell (the report's progress bars), which otherwise doubles those rows.
LAYOUT_SETTINGS = {"WordLikeWrapForAsCharFlys": "true", "CollapseEmptyCellPara": "true"}


def _settings():
    config = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
    # LibreOffice reads the set's name "ooo:configuration-settings" with this prefix declared.
    nsmap = {"office": NS["office"], "config": config, "ooo": "http://openoffice.org/2004/office"}
    root = etree.Element(q("office:document-settings"), {q("office:version"): "1.3"}, nsmap=nsmap)
    items = etree.SubElement(
        sub(root, "office:settings"),
        f"{{{config}}}config-item-set",
        {f"{{{config}}}name": "ooo:configuration-settings"},
    )
    for name, value in LAYOUT_SETTINGS.items():
        item = etree.SubElement(
            items, f"{{{config}}}config-item", {f"{{{config}}}name": name, f"{{{config}}}type": "boolean"}
        )
        item.text = value
    return root


def _package(doc: DocumentObject, content, styles, images: Images) -> bytes:
    files = {
        "content.xml": content,
        "styles.xml": styles,
        "meta.xml": _meta(doc),
        "settings.xml": _settings(),
    }
    manifest_ns = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    manifest = etree.Element(
        f"{{{manifest_ns}}}manifest", {f"{{{manifest_ns}}}version": "1.3"}, nsmap={"manifest": manifest_ns}
    )

    def entry(path: str, media_type: str) -> None:
        etree.SubElement(
            manifest,
            f"{{{manifest_ns}}}file-entry",
            {f"{{{manifest_ns}}}full-path": path, f"{{{manifest_ns}}}media-type": media_type},
        )

    entry("/", ODT_MIMETYPE)
    for path in files:
        entry(path, "text/xml")
    for path, (_blob, content_type) in images.files.items():
        entry(path, content_type)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        # The first entry, stored: how a reader recognises the package's type.
        z.writestr(zipfile.ZipInfo("mimetype"), ODT_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        for path, root in files.items():
            z.writestr(path, etree.tostring(root, xml_declaration=True, encoding="UTF-8"), zipfile.ZIP_DEFLATED)
        for path, (blob, _type) in images.files.items():
            z.writestr(path, blob, zipfile.ZIP_DEFLATED)
        z.writestr(
            "META-INF/manifest.xml",
            etree.tostring(manifest, xml_declaration=True, encoding="UTF-8"),
            zipfile.ZIP_DEFLATED,
        )
    return buffer.getvalue()
