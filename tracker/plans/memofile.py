"""A plan read from the agency's own O42 memo: its ``.docx``, or its measures table pasted as text.

Every agency already wrote its measures in a บันทึกข้อความ whose part 3 is a
six-column table (ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อน · มาตรการ/แนวทาง ·
วิธีการดำเนินการ · ผู้รับผิดชอบ · ระยะเวลาดำเนินการ · การติดตามผล). This module
opens the file; `memotable` finds that table by its header row, whatever the
header's wording and line breaks, and reads it into a `MemoDraft` (`memodraft`):
weaknesses, measures and numbered steps
as the officer wrote them, plus a note for every cell it could not understand.
The draft becomes an ordinary plan file (`MemoDraft.to_raw`) that goes through
the same validation and import as a YAML or XLSX plan; nothing here touches the
database.

Tables are read the way officers lay them out:

* a weakness cell merged down over several measures, or left empty for "same
  as above", belongs to the weakness above;
* a row whose measure cell is empty continues the measure above (a table
  split across pages repeats, or omits, its header, and a measure's steps may
  go on in the next table's first row);
* steps are numbered inside one cell (``๑) … ๒) …``, ``1) …``, ``1. …``), run
  together on one line or one per paragraph; unnumbered paragraphs are one
  step each;
* periods are written as in official letters (``ม.ค. - ก.ย. ๒๕๖๖``,
  ``ก.ค.–ก.ย. 66``).
"""

from __future__ import annotations

import difflib
import io
import re
import zipfile
from collections.abc import Iterable
from datetime import date
from typing import Any

from ..errors import ServiceError
from ..thaidate import PeriodError, parse_period
from ..uploads import check_office_archive
from .memodraft import MemoDraft, place_in_words
from .memotable import (
    MAX_ROWS,
    Cell,
    Row,
    _cell_text,
    _document_facts,
    _header_columns,
    _key,
    _period_text,
    _read_tables,
)
from .planfile import PlanFileError, Problem

__all__ = [
    "DOCX_SUFFIXES",
    "TEXT_SUFFIXES",
    "closest_department",
    "known_weakness_titles",
    "memo_plan_spec",
    "parse_memo_docx",
    "parse_memo_text",
]


DOCX_SUFFIXES = (".docx",)


TEXT_SUFFIXES = (".txt", ".tsv")


_TAGS = re.compile(r"</?(?:p|br|div|span)\b[^>]*>", re.IGNORECASE)


_CONTINUATION_MARK = re.compile(r"^\s*/\s*\S.*\.\.\.\s*$")


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


def _check_zip(data: bytes, source: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise PlanFileError(
            [
                Problem(
                    source,
                    "ไฟล์นี้ไม่ใช่ไฟล์ Word (.docx) หรือไฟล์เสียหาย โปรดบันทึกจาก Word เป็น “เอกสาร Word (.docx)” แล้วลองอีกครั้ง",
                )
            ]
        ) from None
    try:
        check_office_archive(data, ".docx")  # the one check every Office reader calls
    except ServiceError as exc:
        raise PlanFileError([Problem(source, str(exc))]) from None
    if "word/document.xml" not in archive.namelist():
        raise PlanFileError([Problem(source, "ไฟล์นี้ไม่ใช่ไฟล์ Word (.docx): ไม่มีเนื้อหาเอกสาร (word/document.xml)")])
    return archive


def _docx_cell(cell) -> Cell:
    paragraphs: Cell = []
    for paragraph in cell.paragraphs:
        paragraphs.extend(line for line in paragraph.text.split("\n"))
    return paragraphs


def parse_memo_docx(data: bytes, source: str = "memo.docx", known_titles: Iterable[str] = ()) -> MemoDraft:
    """Read the measures table(s) of a memo saved as .docx; raise PlanFileError when there are none."""
    _check_zip(data, source)
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        texts: list[str] = []
        tables: list[list[Row]] = []
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                texts.append(Paragraph(child, document).text)
            elif tag == "tbl":
                table = Table(child, document)
                # Cells by grid column: python-docx repeats a merged cell in every column and row it covers.
                rows = [[_docx_cell(c) for c in row.cells] for row in table.rows]
                tables.append(rows)
                texts.extend(" ".join(" ".join(c) for c in row) for row in rows)
    except PlanFileError:
        raise
    except Exception as exc:  # noqa: BLE001 — a damaged document is the user's file, never a traceback
        raise PlanFileError([Problem(source, f"อ่านไฟล์ Word ไม่ได้ ไฟล์อาจเสียหาย ({exc.__class__.__name__})")]) from None
    # Indicator names in the memo's own tables 1–3 name its weaknesses ("การใช้ทรัพย์สินของราชการ มีบุคลากร…").
    titles = list(known_titles) + _indicator_names(tables)
    reader = _read_tables(tables, titles, source)
    year, organization = _document_facts("\n".join(texts), [m for w in reader.weaknesses for m in w.measures])
    return MemoDraft(reader.weaknesses, reader.notes, year, organization, source)


def _indicator_names(tables: list[list[Row]]) -> list[str]:
    names: list[str] = []
    for table in tables:
        column = None
        for row in table:
            texts = [_cell_text(c) for c in row]
            if column is None:
                for index, value in enumerate(texts):
                    if _key(value) == "ตัวชี้วัด":
                        column = index
                continue
            if column < len(texts) and 2 < len(texts[column]) < 60:
                names.append(texts[column])
    return names


def parse_memo_text(text: str, source: str = "ข้อความที่วาง", known_titles: Iterable[str] = ()) -> MemoDraft:
    """Read a measures table pasted as text: cells separated by tabs, as Word and PDF viewers copy them."""
    if "\x00" in text:
        raise PlanFileError([Problem(source, "ข้อความมีอักขระควบคุม (NUL) ซึ่งไม่ใช่ข้อความจากเอกสาร")])
    lines = [_TAGS.sub("\n", line) if "<" in line else line for line in text.replace("\r\n", "\n").split("\n")]
    tables: list[list[Row]] = [[]]
    width = 0
    pending: Row | None = None
    plain: list[str] = []

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            tables[-1].append(pending)
            pending = None

    for line in lines:
        if "\t" not in line:
            stripped = line.strip()
            if not stripped or _CONTINUATION_MARK.match(stripped):
                if not stripped and pending is not None and len(pending) >= width:
                    flush()
                continue
            if pending is not None and len(pending) < width:
                pending[-1].append(stripped)  # a new paragraph inside the cell being copied
                continue
            flush()
            plain.append(stripped)
            continue
        cells = [[part] for part in line.split("\t")]
        cells = [[p for piece in c for p in piece.split("\n")] for c in cells]
        row = cells
        if _header_columns(row):
            flush()
            width = len(row)
            tables[-1].append(row)
            continue
        if pending is not None and len(pending) < width:
            # A cell with line breaks: Word puts them in the copy, the row goes on on the next line.
            pending[-1].extend(row[0])
            pending.extend(row[1:])
            if len(pending) >= width:
                flush()
            continue
        flush()
        pending = row
        if width and len(pending) >= width:
            flush()
    flush()
    if sum(len(t) for t in tables) > MAX_ROWS * 2:
        raise PlanFileError([Problem(source, f"ข้อความที่วางยาวเกิน {MAX_ROWS} แถว ไม่น่าจะเป็นตารางมาตรการ")])
    reader = _read_tables(tables, known_titles, source)
    measures = [m for w in reader.weaknesses for m in w.measures]
    year, organization = _document_facts("\n".join(plain + lines), measures)
    return MemoDraft(reader.weaknesses, reader.notes, year, organization, source)


# ---------------------------------------------------------------------------
# Owners: the names a memo writes, matched to the organization's departments
# ---------------------------------------------------------------------------


def closest_department(name: str, existing: Iterable[str], cutoff: float = 0.75) -> tuple[str | None, float]:
    """The existing department `name` most likely means (compared without spaces), and how sure (0–1)."""
    wanted = _key(name)
    best, best_ratio = None, 0.0
    for candidate in existing:
        key = _key(candidate)
        if key == wanted:
            return candidate, 1.0
        ratio = difflib.SequenceMatcher(None, wanted, key).ratio()
        # "สำนักปลัด" is "สำนักปลัดเทศบาล" shortened: a prefix of a longer name counts as close.
        if len(wanted) >= 6 and (key.startswith(wanted) or wanted.startswith(key)):
            ratio = max(ratio, 0.85)
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return (best, best_ratio) if best_ratio >= cutoff else (None, best_ratio)


def memo_periods(draft: MemoDraft) -> list[tuple[date, date] | None]:
    out: list[tuple[date, date] | None] = []
    for measure in draft.measures:
        try:
            out.append(parse_period(_period_text(measure.period)))
        except (PeriodError, ValueError):
            out.append(None)
    return out


def memo_plan_spec(
    draft: MemoDraft,
    organization: dict[str, Any],
    fiscal_year: int,
    title: str = "",
    owner_map: dict[str, str] | None = None,
):
    """The draft as a validated PlanSpec (raises PlanFileError, places in words like “ประเด็นที่ 1 › …”)."""
    from .planfile import validate_plan

    raw = draft.to_raw(organization, fiscal_year, title, owner_map)
    return validate_plan(raw, place_in_words, draft.source)


def known_weakness_titles() -> list[str]:
    """Names a weakness usually starts with (ITA indicator names), from what the app's features provide.

    The core cannot read the ITA feature, so the feature registers a provider in
    ``app.extensions["tracker.weakness_titles"]``.
    """
    from flask import current_app, has_app_context

    if not has_app_context():
        return []
    names: list[str] = []
    for provider in current_app.extensions.get("tracker.weakness_titles", []):
        names.extend(provider())
    return names
