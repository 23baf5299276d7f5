"""Word tables as OpenDocument tables: the column widths of the table grid, "Table
Grid" borders, merged cells (w:gridSpan across, w:vMerge down), cell shading,
header rows repeated on every page and rows kept whole (w:cantSplit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docx.oxml.ns import qn

from .odt_body import CELL_PADDING, GRID_BORDER, BodyWriter, UnsupportedContent, cm, node, sub, twips

__all__ = ["DocumentWriter"]

_TABLE_ALIGN = {"center": "center", "left": "left", "start": "left", "right": "right", "end": "right"}


@dataclass
class _Cell:
    tc: Any
    column: int
    span: int
    #: "restart" opens a cell merged down, "continue" is covered by the one above
    vmerge: str | None
    rows_spanned: int = 1


def _grid(tbl) -> list[list[_Cell]]:
    rows: list[list[_Cell]] = []
    for tr in tbl.iterfind(qn("w:tr")):
        column, cells = 0, []
        for tc in tr.iterfind(qn("w:tc")):
            pr = tc.find(qn("w:tcPr"))
            span_el = pr.find(qn("w:gridSpan")) if pr is not None else None
            vmerge_el = pr.find(qn("w:vMerge")) if pr is not None else None
            span = int(span_el.get(qn("w:val"))) if span_el is not None else 1
            vmerge = None if vmerge_el is None else vmerge_el.get(qn("w:val"), "continue")
            cells.append(_Cell(tc, column, span, vmerge))
            column += span
        rows.append(cells)
    for r, cells in enumerate(rows):
        for cell in cells:
            if cell.vmerge != "restart":
                continue
            below = r + 1
            while below < len(rows) and any(c.column == cell.column and c.vmerge == "continue" for c in rows[below]):
                below += 1
            cell.rows_spanned = below - r
    return rows


class DocumentWriter(BodyWriter):
    """Paragraphs (BodyWriter) and tables."""

    def table(self, tbl, parent, *, master: str | None = None) -> None:
        pr = tbl.find(qn("w:tblPr"))
        style = pr.find(qn("w:tblStyle")) if pr is not None else None
        bordered = style is not None and style.get(qn("w:val")) == "TableGrid"
        jc = pr.find(qn("w:jc")) if pr is not None else None
        widths = [twips(col, "w:w") or 0 for col in tbl.iterfind(f"{qn('w:tblGrid')}/{qn('w:gridCol')}")]
        if not widths:
            raise UnsupportedContent("table without a grid")
        self.tables += 1
        # Adjacent cells share one border line, as in Word (separate borders would draw two).
        table_props = {"style:width": cm(sum(widths)), "table:align": "left", "table:border-model": "collapsing"}
        if jc is not None:
            table_props["table:align"] = _TABLE_ALIGN.get(jc.get(qn("w:val")), "left")
        attrs = {"style:master-page-name": master} if master else {}
        out = sub(
            parent,
            "table:table",
            {
                "table:name": f"Table{self.tables}",
                "table:style-name": self.styles.name("table", (node("style:table-properties", table_props),), **attrs),
            },
        )
        for width in widths:
            column_style = self.styles.name(
                "table-column", (node("style:table-column-properties", {"style:column-width": cm(width)}),)
            )
            sub(out, "table:table-column", {"table:style-name": column_style})

        rows = _grid(tbl)
        trs = list(tbl.iterfind(qn("w:tr")))
        header_rows, in_header = None, True
        for tr, cells in zip(trs, rows):
            tr_pr = tr.find(qn("w:trPr"))
            # The leading rows marked w:tblHeader repeat on every page (ODF's header rows).
            in_header = in_header and tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
            if in_header:
                if header_rows is None:
                    header_rows = sub(out, "table:table-header-rows")
                row_parent = header_rows
            else:
                row_parent = out
            keep = tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None
            row_style = self.styles.name(
                "table-row", (node("style:table-row-properties", {"fo:keep-together": "always" if keep else "auto"}),)
            )
            row = sub(row_parent, "table:table-row", {"table:style-name": row_style})
            for cell in cells:
                self._cell(cell, row, bordered=bordered)

    def _cell(self, cell: _Cell, row, *, bordered: bool) -> None:
        if cell.vmerge == "continue":
            for _ in range(cell.span):
                sub(row, "table:covered-table-cell")
            return
        pr = cell.tc.find(qn("w:tcPr"))
        props = {"fo:padding-left": CELL_PADDING, "fo:padding-right": CELL_PADDING, "fo:padding-top": "0cm"}
        props["fo:padding-bottom"] = "0cm"
        props["fo:border"] = GRID_BORDER if bordered else "none"
        shading = pr.find(qn("w:shd")) if pr is not None else None
        if shading is not None and shading.get(qn("w:fill")) not in (None, "auto"):
            props["fo:background-color"] = "#" + shading.get(qn("w:fill"))
        attrs = {
            "table:style-name": self.styles.name("table-cell", (node("style:table-cell-properties", props),)),
            "office:value-type": "string",
        }
        if cell.span > 1:
            attrs["table:number-columns-spanned"] = str(cell.span)
        if cell.rows_spanned > 1:
            attrs["table:number-rows-spanned"] = str(cell.rows_spanned)
        out = sub(row, "table:table-cell", attrs)
        self.blocks([child for child in cell.tc if child.tag != qn("w:tcPr")], out)
        for _ in range(cell.span - 1):
            sub(row, "table:covered-table-cell")
