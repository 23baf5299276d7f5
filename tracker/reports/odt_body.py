"""The body of an OpenDocument text translated from the Word document that the DOCX
writers build (`odt.odt_bytes` puts it in its package).

Only what those writers produce is translated: paragraphs (alignment, indents,
spacing, keep-with-next, page breaks, tab stops), runs (bold, size, underline,
colour, tabs, line and page breaks), the PAGE field, inline pictures, hyperlinks
and tables (fixed column widths, "Table Grid" borders, merged cells, shading,
repeated header rows, rows that never split, tables inside cells). Anything
else raises `UnsupportedContent`: a writer that grows a new construct must teach
the translation, never lose text in an official document without a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docx.oxml.ns import qn
from lxml import etree

__all__ = [
    "NS",
    "q",
    "sub",
    "node",
    "cm",
    "twips",
    "is_on",
    "text_props",
    "UnsupportedContent",
    "AutoStyles",
    "Images",
    "BodyWriter",
]

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}

_DRAWING = {
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}

#: A twip is 1/1440 inch, an EMU 1/360000 cm.
TWIPS_PER_CM = 1440 / 2.54
EMU_PER_CM = 360_000

#: Word's default cell margins left and right (108 twips).
CELL_PADDING = "0.19cm"
GRID_BORDER = "0.5pt solid #000000"

_ALIGN = {
    "left": "start",
    "start": "start",
    "center": "center",
    "right": "end",
    "end": "end",
    "both": "justify",
    "distribute": "justify",
    "thaiDistribute": "justify",
}
_TAB_TYPE = {"left": "left", "start": "left", "center": "center", "right": "right", "end": "right"}

#: Elements of a run or paragraph that carry nothing to print.
_SILENT = {
    qn("w:rPr"),
    qn("w:pPr"),
    qn("w:proofErr"),
    qn("w:bookmarkStart"),
    qn("w:bookmarkEnd"),
    qn("w:lastRenderedPageBreak"),
}


class UnsupportedContent(ValueError):
    """The Word document holds something the translation does not know."""


def q(name: str) -> str:
    """ "text:p" → "{urn:…text:1.0}p"."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def sub(parent, name: str, attrs: dict[str, str] | None = None, text: str | None = None):
    el = etree.SubElement(parent, q(name), {q(k): v for k, v in (attrs or {}).items()})
    if text is not None:
        el.text = text
    return el


def cm(value: float) -> str:
    return f"{value:.3f}cm"


def twips(el, attr: str) -> float | None:
    """A length attribute of a Word element, in cm."""
    raw = el.get(qn(attr)) if el is not None else None
    return None if raw is None else int(raw) / TWIPS_PER_CM


def is_on(el) -> bool:
    """A Word on/off property: present and not "0"/"false"/"off"."""
    return el is not None and el.get(qn("w:val"), "true") not in ("0", "false", "off")


#: An element of a style: (name, attributes, child elements), hashable to find its twin.
Node = tuple[str, tuple[tuple[str, str], ...], tuple]
Props = tuple[Node, ...]


def node(name: str, attrs: dict[str, str] | tuple[tuple[str, str], ...], *children: Node) -> Node:
    items = tuple(sorted(attrs.items())) if isinstance(attrs, dict) else attrs
    return (name, items, children)


def _build(parent, n: Node) -> None:
    name, attrs, children = n
    el = sub(parent, name, dict(attrs))
    for child in children:
        _build(el, child)


@dataclass
class AutoStyles:
    """The automatic styles of one ODF part (content.xml or styles.xml), one per
    distinct set of properties."""

    container: Any
    prefix: str
    names: dict[tuple, str] = field(default_factory=dict)

    def name(self, family: str, props: Props, **attrs: str) -> str:
        key = (family, props, tuple(sorted(attrs.items())))
        if key not in self.names:
            name = f"{self.prefix}{family[:2].upper()}{len(self.names) + 1}"
            style = sub(self.container, "style:style", {"style:name": name, "style:family": family, **attrs})
            for n in props:
                _build(style, n)
            self.names[key] = name
        return self.names[key]


@dataclass
class Images:
    """The pictures of the document: their bytes by path in the package."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def add(self, blob: bytes, content_type: str, ext: str) -> str:
        for path, (data, _type) in self.files.items():
            if data == blob:
                return path
        path = f"Pictures/image{len(self.files) + 1}.{ext}"
        self.files[path] = (blob, content_type)
        return path


def text_props(rpr) -> tuple[tuple[str, str], ...]:
    """ODF text properties of a run's w:rPr (fonts are the document's default)."""
    props: dict[str, str] = {}
    if rpr is None:
        return ()
    b = rpr.find(qn("w:b"))
    if b is not None:
        weight = "bold" if is_on(b) else "normal"
        props.update({"fo:font-weight": weight, "style:font-weight-asian": weight, "style:font-weight-complex": weight})
    size = rpr.find(qn("w:szCs"))
    if size is None:
        size = rpr.find(qn("w:sz"))
    if size is not None:
        pt = f"{int(size.get(qn('w:val'))) / 2:g}pt"
        props.update({"fo:font-size": pt, "style:font-size-asian": pt, "style:font-size-complex": pt})
    u = rpr.find(qn("w:u"))
    if u is not None and u.get(qn("w:val"), "single") != "none":
        props.update({"style:text-underline-style": "solid", "style:text-underline-width": "auto"})
        props["style:text-underline-color"] = "font-color"
    color = rpr.find(qn("w:color"))
    if color is not None and color.get(qn("w:val")) not in (None, "auto"):
        props["fo:color"] = "#" + color.get(qn("w:val"))
    return tuple(sorted(props.items()))


@dataclass
class _Paragraph:
    """The paragraph being written: where text goes and what it asked for."""

    element: Any
    started: bool = False
    break_after: bool = False
    #: inside a field: the instruction read so far; after its separator: skipping the result
    field_instruction: str | None = None
    field_result: bool = False


class BodyWriter:
    """Writes Word block content (w:p, w:tbl) as ODF into `styles`' part."""

    def __init__(self, part, styles: AutoStyles, images: Images, *, default_props: tuple[tuple[str, str], ...]):
        self.part = part
        self.styles = styles
        self.images = images
        #: the Normal style's run properties: runs that only repeat them need no span
        self.default_props = default_props
        self.tables = 0
        self.frames = 0

    # -- blocks ------------------------------------------------------------------------

    def blocks(self, elements, parent, *, master: Callable[[object], str | None] = lambda el: None) -> None:
        for el in elements:
            if el.tag == qn("w:p"):
                self.paragraph(el, parent, master=master(el))
            elif el.tag == qn("w:tbl"):
                self.table(el, parent, master=master(el))
            elif el.tag in (qn("w:sectPr"), qn("w:tcPr")):
                continue
            else:
                raise UnsupportedContent(f"block {el.tag}")

    def paragraph(self, p, parent, *, master: str | None = None) -> None:
        out = sub(parent, "text:p")
        state = _Paragraph(out)
        for child in p:
            self._inline(child, state, state.element)
        ppr = p.find(qn("w:pPr"))
        props = self._paragraph_props(ppr, break_after=state.break_after)
        attrs = {"style:parent-style-name": "Standard"}
        if master:
            attrs["style:master-page-name"] = master
        if props or master:
            out.set(q("text:style-name"), self.styles.name("paragraph", props, **attrs))
        else:
            out.set(q("text:style-name"), "Standard")

    def _paragraph_props(self, ppr, *, break_after: bool) -> Props:
        para: dict[str, str] = {}
        tabs: list[Node] = []
        if ppr is not None:
            jc = ppr.find(qn("w:jc"))
            if jc is not None:
                para["fo:text-align"] = _ALIGN[jc.get(qn("w:val"))]
            ind = ppr.find(qn("w:ind"))
            if ind is not None:
                left = twips(ind, "w:left") if ind.get(qn("w:left")) is not None else twips(ind, "w:start")
                if left is not None:
                    para["fo:margin-left"] = cm(left)
                first = twips(ind, "w:firstLine")
                hanging = twips(ind, "w:hanging")
                if first is not None:
                    para["fo:text-indent"] = cm(first)
                elif hanging is not None:
                    para["fo:text-indent"] = cm(-hanging)
            spacing = ppr.find(qn("w:spacing"))
            if spacing is not None:
                for attr, prop in (("w:before", "fo:margin-top"), ("w:after", "fo:margin-bottom")):
                    value = twips(spacing, attr)
                    if value is not None:
                        para[prop] = cm(value)
            if is_on(ppr.find(qn("w:keepNext"))):
                para["fo:keep-with-next"] = "always"
            if is_on(ppr.find(qn("w:keepLines"))):
                para["fo:keep-together"] = "always"
            if is_on(ppr.find(qn("w:pageBreakBefore"))):
                para["fo:break-before"] = "page"
            for tab in ppr.iterfind(f"{qn('w:tabs')}/{qn('w:tab')}"):
                kind = tab.get(qn("w:val"))
                if kind == "clear":
                    continue
                tabs.append(
                    node(
                        "style:tab-stop",
                        {"style:position": cm(twips(tab, "w:pos") or 0), "style:type": _TAB_TYPE.get(kind, "left")},
                    )
                )
            if ppr.find(qn("w:numPr")) is not None:
                raise UnsupportedContent("numbered paragraph")
        if break_after:
            para["fo:break-after"] = "page"
        if not para and not tabs:
            return ()
        children = (node("style:tab-stops", {}, *tabs),) if tabs else ()
        return (node("style:paragraph-properties", para, *children),)

    # -- inline content --------------------------------------------------------------------

    def _inline(self, el, state: _Paragraph, parent) -> None:
        if el.tag in _SILENT:
            return
        if el.tag == qn("w:r"):
            self._run(el, state, parent)
        elif el.tag == qn("w:hyperlink"):
            rel = self.part.rels[el.get(qn("r:id"))]
            link = sub(parent, "text:a", {"xlink:type": "simple", "xlink:href": rel.target_ref})
            for child in el:
                self._inline(child, state, link)
        else:
            raise UnsupportedContent(f"inline {el.tag}")

    def _run(self, r, state: _Paragraph, parent) -> None:
        props = text_props(r.find(qn("w:rPr")))
        span_props = tuple(p for p in props if p not in self.default_props)
        target = parent
        for child in r:
            if child.tag in _SILENT:
                continue
            if child.tag == qn("w:fldChar"):
                self._field_char(child, state, parent, span_props)
                continue
            if child.tag == qn("w:instrText"):
                state.field_instruction = (state.field_instruction or "") + (child.text or "")
                continue
            if state.field_result:
                continue  # the result Word stored: the ODF field computes its own
            if target is parent and span_props:
                target = sub(parent, "text:span")
                target.set(q("text:style-name"), self.styles.name("text", (node("style:text-properties", span_props),)))
            if child.tag == qn("w:t"):
                self._text(target, child.text or "", state)
            elif child.tag == qn("w:tab"):
                sub(target, "text:tab")
                state.started = True
            elif child.tag == qn("w:br"):
                if child.get(qn("w:type")) == "page":
                    state.break_after = True
                else:
                    sub(target, "text:line-break")
            elif child.tag == qn("w:drawing"):
                self._picture(child, target)
                state.started = True
            else:
                raise UnsupportedContent(f"run {child.tag}")

    def _field_char(self, fld, state: _Paragraph, parent, span_props) -> None:
        kind = fld.get(qn("w:fldCharType"))
        if kind == "begin":
            state.field_instruction = ""
        elif kind == "separate":
            self._field(state.field_instruction or "", state, parent, span_props)
            state.field_instruction, state.field_result = None, True
        elif kind == "end":
            if state.field_instruction is not None:  # a field without a stored result
                self._field(state.field_instruction, state, parent, span_props)
            state.field_instruction, state.field_result = None, False

    def _field(self, instruction: str, state: _Paragraph, parent, span_props) -> None:
        if instruction.split() != ["PAGE"]:
            raise UnsupportedContent(f"field {instruction.strip()!r}")
        # No num-format: the page style's, "Native Numbering" when the document has Thai
        # digits, which LibreOffice writes in the digits of the field's (Latin) language.
        props = tuple(sorted(dict(span_props, **{"fo:language": "th", "fo:country": "TH"}).items()))
        target = sub(parent, "text:span")
        target.set(q("text:style-name"), self.styles.name("text", (node("style:text-properties", props),)))
        sub(target, "text:page-number", {"text:select-page": "current"}, "1")
        state.started = True

    _SPACES = re.compile(r" {2,}")

    def _text(self, parent, text: str, state: _Paragraph) -> None:
        """Text with ODF's spaces: a run of spaces (or one starting the paragraph) as text:s."""
        pos = 0
        pieces: list[tuple[str, int]] = []  # (text, spaces after it)
        for m in self._SPACES.finditer(text):
            pieces.append((text[pos : m.start()], len(m.group(0))))
            pos = m.end()
        pieces.append((text[pos:], 0))
        for chunk, spaces in pieces:
            if chunk.startswith(" ") and not state.started:
                self._spaces(parent, 1)
                chunk = chunk[1:]
            self._append(parent, chunk)
            state.started = state.started or bool(chunk)
            if spaces:
                self._spaces(parent, spaces)
                state.started = True

    @staticmethod
    def _append(parent, text: str) -> None:
        if not text:
            return
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + text
        else:
            parent.text = (parent.text or "") + text

    @staticmethod
    def _spaces(parent, count: int) -> None:
        attrs = {"text:c": str(count)} if count > 1 else {}
        sub(parent, "text:s", attrs)

    def _picture(self, drawing, parent) -> None:
        inline = drawing.find(f"{{{_DRAWING['wp']}}}inline")
        if inline is None:
            raise UnsupportedContent("floating picture")
        extent = inline.find(f"{{{_DRAWING['wp']}}}extent")
        blip = inline.find(f".//{{{_DRAWING['a']}}}blip")
        if extent is None or blip is None:
            raise UnsupportedContent("picture without size or image")
        image = self.part.related_parts[blip.get(f"{{{_DRAWING['r']}}}embed")]
        ext = str(image.partname).rsplit(".", 1)[-1].lower()
        path = self.images.add(image.blob, image.content_type, ext)
        self.frames += 1
        style = self.styles.name(
            "graphic",
            (
                node(
                    "style:graphic-properties",
                    {
                        "style:vertical-pos": "middle",
                        "style:vertical-rel": "line",
                        "fo:border": "none",
                        "fo:padding": "0cm",
                    },
                ),
            ),
        )
        frame = sub(
            parent,
            "draw:frame",
            {
                "draw:style-name": style,
                "draw:name": f"Picture{self.frames}",
                "text:anchor-type": "as-char",
                "svg:width": cm(int(extent.get("cx")) / EMU_PER_CM),
                "svg:height": cm(int(extent.get("cy")) / EMU_PER_CM),
                "draw:z-index": "0",
            },
        )
        sub(
            frame,
            "draw:image",
            {"xlink:href": path, "xlink:type": "simple", "xlink:show": "embed", "xlink:actuate": "onLoad"},
        )

    def table(self, tbl, parent, *, master: str | None = None) -> None:
        """Tables are written by `odt_table.DocumentWriter`."""
        raise UnsupportedContent("table")
