"""A plan read from the agency's own O42 memo: its ``.docx``, or its measures table pasted as text.

Every agency already wrote its measures in a บันทึกข้อความ whose part 3 is a
six-column table (ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อน · มาตรการ/แนวทาง ·
วิธีการดำเนินการ · ผู้รับผิดชอบ · ระยะเวลาดำเนินการ · การติดตามผล). This module
finds that table by its header row, whatever the header's wording and line
breaks, and reads it into a `MemoDraft`: weaknesses, measures and numbered steps
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
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import ServiceError
from ..thaidate import PeriodError, fiscal_year, parse_period, to_arabic_digits
from ..uploads import check_office_archive
from .planfile import MAX_NAME, PlanFileError, Problem

__all__ = [
    "CellNote",
    "MemoDraft",
    "MeasureDraft",
    "WeaknessDraft",
    "DOCX_SUFFIXES",
    "TEXT_SUFFIXES",
    "closest_department",
    "known_weakness_titles",
    "memo_plan_spec",
    "parse_memo_docx",
    "parse_memo_text",
    "place_in_words",
]

DOCX_SUFFIXES = (".docx",)
TEXT_SUFFIXES = (".txt", ".tsv")
#: A memo is a few pages; its measures table a few dozen rows.
MAX_ROWS = 500
MAX_CELL_CHARS = 20_000

COLUMNS = ("weakness", "measure", "steps", "owner", "period", "follow_up")
COLUMN_LABELS = {
    "weakness": "ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อน",
    "measure": "มาตรการ/แนวทาง",
    "steps": "วิธีการดำเนินการ",
    "owner": "ผู้รับผิดชอบ",
    "period": "ระยะเวลาดำเนินการ",
    "follow_up": "การติดตามผล",
}

_THAI = "\u0e00-\u0e7f"
_SPACES = re.compile(r"\s+")
_TAGS = re.compile(r"</?(?:p|br|div|span)\b[^>]*>", re.IGNORECASE)
# A leading number of a weakness or measure: "๑.", "1)", "(๒)", "ข้อ ๑".
_LEADING_NUMBER = re.compile(r"^\s*(?:ข้อ\s*)?\(?[0-9๐-๙]{1,2}\s*[.)]\s*")
# A step number inside a cell: "๑)" "1)" "1." "(1)" at the start or after a space.
_STEP_MARK = re.compile(r"(?:(?<=\s)|^)\(?([0-9๐-๙]{1,2})\s*[).](?![0-9๐-๙])\s*")
_BULLET = re.compile(r"^\s*[-–•▪●○]\s*")
_YEAR_MENTION = re.compile(r"ปีงบประมาณ\s*(?:พ\.\s*ศ\.)?\s*([0-9๐-๙]{4})")
# An organization's name runs to the next space or digit: "เทศบาลตำบลบ้านเป็ด".
_ORG_NAME = re.compile(r"((?:เทศบาลตำบล|เทศบาลเมือง|เทศบาลนคร|องค์การบริหารส่วนตำบล|องค์การบริหารส่วนจังหวัด)[\u0e01-\u0e4e]+)")
# "ก.ย. 66" / "ก.ย.๖๖": a two-digit BE year after a month, as officers often write it.
_SHORT_YEAR = re.compile(r"(?<=[.\s])([0-9]{2})(?![0-9])")
_CONTINUATION_MARK = re.compile(r"^\s*/\s*\S.*\.\.\.\s*$")


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text or "").strip()


def _key(text: str) -> str:
    """Text compared without spaces, line breaks or digit style (PDF copies break words with spaces)."""
    return _SPACES.sub("", to_arabic_digits(text or "")).lower()


# ---------------------------------------------------------------------------
# What was read
# ---------------------------------------------------------------------------


@dataclass
class CellNote:
    """A cell the reader could not fully understand: where, what it read, and the cell as written."""

    place: str
    message: str
    raw: str


@dataclass
class MeasureDraft:
    title: str
    owner: str = ""
    period: str = ""
    follow_up: str = ""
    steps: list[str] = field(default_factory=list)


@dataclass
class WeaknessDraft:
    title: str
    detail: str = ""
    measures: list[MeasureDraft] = field(default_factory=list)


@dataclass
class MemoDraft:
    weaknesses: list[WeaknessDraft]
    notes: list[CellNote]
    #: The fiscal year the measures are for, when the memo says it (or its periods show it).
    fiscal_year: int | None = None
    #: The organization the memo names most often ("เทศบาลตำบลบ้านเป็ด"), if any.
    organization_name: str | None = None
    source: str = ""

    @property
    def measures(self) -> list[MeasureDraft]:
        return [m for w in self.weaknesses for m in w.measures]

    def owner_names(self) -> list[str]:
        names: list[str] = []
        for m in self.measures:
            if m.owner and m.owner not in names:
                names.append(m.owner)
        return names

    def to_raw(
        self, organization: dict[str, Any], fiscal_year: int, title: str = "", owner_map: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The plan-file dict (the YAML shape) that `planfile` validates; owners renamed by `owner_map`."""
        owner_map = owner_map or {}
        return {
            "organization": organization,
            "fiscal_year": fiscal_year,
            "title": title or f"มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. {fiscal_year}",
            "weaknesses": [
                {
                    "title": w.title,
                    "detail": w.detail,
                    "measures": [
                        {
                            "title": m.title,
                            "owner": owner_map.get(m.owner, m.owner),
                            "period": m.period,
                            "follow_up": m.follow_up,
                            "steps": list(m.steps),
                        }
                        for m in w.measures
                    ],
                }
                for w in self.weaknesses
            ],
        }


_PATH_WORDS = {
    "weaknesses": "ประเด็นที่",
    "measures": "มาตรการที่",
    "steps": "ขั้นตอนที่",
    "departments": "หน่วยงานที่",
}
_FIELD_WORDS = {
    "title": "ชื่อ",
    "detail": "รายละเอียด",
    "owner": "ผู้รับผิดชอบ",
    "period": "ระยะเวลาดำเนินการ",
    "follow_up": "การติดตามผล",
    "start": "วันเริ่ม",
    "due": "วันครบกำหนด",
    "assignee": "ผู้ได้รับมอบหมาย",
    "fiscal_year": "ปีงบประมาณ",
    "organization": "องค์กร",
    "name": "ชื่อ",
    "slug": "รหัสองค์กร",
    "province": "จังหวัด",
    "email": "อีเมล",
    "status": "สถานะ",
}


def place_in_words(path: Iterable[Any]) -> str:
    """("weaknesses", 0, "measures", 1, "steps", 2, "due") → "ประเด็นที่ 1 › มาตรการที่ 2 › ขั้นตอนที่ 3 › วันครบกำหนด"."""
    parts: list[str] = []
    pending = ""
    for part in path:
        if isinstance(part, int):
            parts.append(f"{pending} {part + 1}" if pending else str(part + 1))
            pending = ""
        elif part in _PATH_WORDS:
            pending = _PATH_WORDS[part]
        else:
            parts.append(_FIELD_WORDS.get(str(part), str(part)))
    if pending:
        parts.append(pending.removesuffix("ที่"))
    return " › ".join(parts)


# ---------------------------------------------------------------------------
# Cells and rows, from either source
# ---------------------------------------------------------------------------

Cell = list[str]  # the paragraphs of one cell
Row = list[Cell]


def _cell_text(cell: Cell) -> str:
    return _norm(" ".join(cell))


def _classify_header(text: str) -> str | None:
    k = _key(text)
    if not k or len(k) > 90:
        return None
    if "มาตรการ" in k or k.startswith("แนวทาง"):
        return "measure"
    if "ประเด็น" in k or "ข้อบกพร่อง" in k or "จุดอ่อน" in k:
        return "weakness"
    if "วิธีการ" in k or "วิธีดำเนิน" in k or "ขั้นตอน" in k or "กิจกรรม" in k:
        return "steps"
    if "ผู้รับผิดชอบ" in k or "หน่วยงานที่รับผิดชอบ" in k or "หน่วยงานรับผิดชอบ" in k:
        return "owner"
    if "ระยะเวลา" in k or "ช่วงเวลา" in k or "กำหนดเวลา" in k:
        return "period"
    if "ติดตาม" in k or "ตัวชี้วัด" in k:
        return "follow_up"
    return None


def _header_columns(row: Row) -> dict[str, int] | None:
    """Column kind → index when `row` is the measures table's header row, else None."""
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        kind = _classify_header(_cell_text(cell))
        if kind and kind not in found:
            found[kind] = index
    if "measure" in found and "steps" in found and len(found) >= 4:
        return found
    return None


# ---------------------------------------------------------------------------
# Interpreting rows
# ---------------------------------------------------------------------------


def _strip_number(text: str) -> str:
    return _LEADING_NUMBER.sub("", text, count=1).strip()


def split_steps(cell: Cell, first_number: int = 1) -> list[str]:
    """The steps written in one cell: numbered (together or per paragraph), else one per paragraph."""
    paragraphs = [_norm(p) for p in cell if _norm(p)]
    text = " ".join(paragraphs)
    if not text:
        return []
    # Numbers must run in order (1, 2, 3 …) so "พ.ศ. ๒๕๖๐" or "มาตรา 9." never split a step.
    cuts: list[tuple[int, int]] = []
    expected = None
    for match in _STEP_MARK.finditer(text):
        number = int(to_arabic_digits(match.group(1)))
        if expected is None:
            if number not in (1, first_number) or text[: match.start()].strip():
                continue
        elif number != expected:
            continue
        cuts.append((match.start(), match.end()))
        expected = number + 1
    if cuts:
        steps = [
            text[end : (cuts[i + 1][0] if i + 1 < len(cuts) else len(text))].strip(" ;,")
            for i, (_, end) in enumerate(cuts)
        ]
        return [s for s in steps if s]
    return [_BULLET.sub("", p).strip() for p in paragraphs if _BULLET.sub("", p).strip()]


def _period_text(text: str) -> str:
    """Officers' period text, with two-digit BE years ("ก.ย. 66") made whole for the period parser."""
    text = _norm(to_arabic_digits(text))
    return _SHORT_YEAR.sub(lambda m: str(2500 + int(m.group(1))), text)


def _read_period(text: str) -> tuple[str, str | None]:
    """The period as written when it reads, else made readable ("ก.ย. 66" → 2566), else with the reason."""
    written = _norm(text)
    for candidate in (written, _period_text(written)):
        try:
            parse_period(candidate)
            return candidate, None
        except (PeriodError, ValueError) as exc:
            reason = str(exc)
    return written, reason


def _owner_text(cell: Cell) -> str:
    # A department name wrapped over two lines by hand ("กองยุทธศาสตร์" / "และงบประมาณ") is one name.
    parts = [_norm(p) for p in cell if _norm(p)]
    out = ""
    for part in parts:
        if out and re.match(f"[{_THAI}]", part[0]) and re.match(f"[{_THAI}]", out[-1]) and part.startswith("และ"):
            out += part
        else:
            out = f"{out} {part}".strip()
    return out


def _split_weakness(cell: Cell, known_titles: Iterable[str]) -> tuple[str, str]:
    """A weakness cell → (title, detail): its first paragraph, a known ITA indicator name it starts with, or all."""
    paragraphs = [_norm(p) for p in cell if _norm(p)]
    if not paragraphs:
        return "", ""
    first = _strip_number(paragraphs[0])
    if len(paragraphs) > 1:
        return first, " ".join(paragraphs[1:])
    squeezed = _key(first)
    for name in sorted({_norm(n) for n in known_titles if _norm(n)}, key=len, reverse=True):
        if squeezed.startswith(_key(name)) and len(squeezed) > len(_key(name)):
            # Walk the original text until the name's letters are used up, then split there.
            count, wanted = 0, len(_key(name))
            for index, char in enumerate(first):
                if not char.isspace():
                    count += 1
                if count == wanted:
                    return name, first[index + 1 :].strip()
    if len(first) > MAX_NAME:
        head, _, rest = first.partition(" ")
        return head, rest.strip()
    return first, ""


@dataclass
class _Reader:
    known_titles: tuple[str, ...]
    weaknesses: list[WeaknessDraft] = field(default_factory=list)
    notes: list[CellNote] = field(default_factory=list)
    _weakness_key: str | None = None

    def where(self, *path: Any) -> str:
        return place_in_words(path)

    def row(self, row: Row, columns: dict[str, int], row_label: str) -> None:
        cells = {kind: (row[index] if index < len(row) else []) for kind, index in columns.items()}
        text = {kind: _cell_text(cell) for kind, cell in cells.items()}
        if not any(text.values()):
            return
        for kind, value in text.items():
            if len(value) > MAX_CELL_CHARS:
                raise PlanFileError(
                    [
                        Problem(
                            row_label,
                            f"ข้อความในช่อง “{COLUMN_LABELS[kind]}” ยาวเกิน "
                            f"{MAX_CELL_CHARS:,} ตัวอักษร ไม่น่าจะเป็นตารางมาตรการ",
                        )
                    ]
                )
        weakness_text = text.get("weakness", "")
        same_as_above = weakness_text in ("", "-", '"', "”", "〃", "เช่นเดียวกับข้างต้น", "เหมือนข้างต้น")
        if not same_as_above and _key(weakness_text) != self._weakness_key:
            title, detail = _split_weakness(cells["weakness"], self.known_titles)
            self.weaknesses.append(WeaknessDraft(title=title, detail=detail))
            self._weakness_key = _key(weakness_text)
        elif not self.weaknesses:
            self.weaknesses.append(WeaknessDraft(title=""))
            self.notes.append(
                CellNote(
                    self.where("weaknesses", 0, "title"), "แถวแรกของตารางไม่ได้ระบุประเด็นที่เป็นข้อบกพร่อง/จุดอ่อน โปรดกรอก", ""
                )
            )
        weakness = self.weaknesses[-1]
        w_index = len(self.weaknesses) - 1

        measure_text = text.get("measure", "")
        if measure_text or not weakness.measures:
            weakness.measures.append(MeasureDraft(title=_strip_number(measure_text)))
            if not measure_text:
                self.notes.append(
                    CellNote(self.where("weaknesses", w_index, "measures", 0, "title"), "ไม่ได้ระบุชื่อมาตรการ โปรดกรอก", "")
                )
            first_step = 1
        else:
            # An empty measure cell continues the measure above (a table that went on to the next page).
            first_step = len(weakness.measures[-1].steps) + 1
        measure = weakness.measures[-1]
        m_index = len(weakness.measures) - 1
        place = ("weaknesses", w_index, "measures", m_index)

        steps = split_steps(cells.get("steps", []), first_step)
        measure.steps.extend(steps)
        if text.get("steps") and not steps:
            self.notes.append(CellNote(self.where(*place, "steps"), "อ่านขั้นตอนจากช่องนี้ไม่ได้", text["steps"]))

        owner = _owner_text(cells.get("owner", []))
        if owner and not measure.owner:
            measure.owner = owner
        elif owner and _key(owner) != _key(measure.owner):
            self.notes.append(
                CellNote(self.where(*place, "owner"), f"มาตรการเดียวกันระบุผู้รับผิดชอบต่างกัน ใช้ “{measure.owner}”", owner)
            )

        period = text.get("period", "")
        if period and not measure.period:
            measure.period, problem = _read_period(period)
            if problem:
                self.notes.append(
                    CellNote(
                        self.where(*place, "period"),
                        f"อ่านระยะเวลาดำเนินการไม่ได้ ({problem}) โปรดเขียนแบบ ม.ค. - ก.ย. ๒๕๖๖",
                        period,
                    )
                )

        follow_up = text.get("follow_up", "")
        if follow_up:
            measure.follow_up = f"{measure.follow_up} {follow_up}".strip()

    def finish(self) -> None:
        for w_index, weakness in enumerate(self.weaknesses):
            for m_index, measure in enumerate(weakness.measures):
                place = ("weaknesses", w_index, "measures", m_index)
                if not measure.steps:
                    self.notes.append(CellNote(self.where(*place, "steps"), "ไม่พบขั้นตอนการดำเนินการของมาตรการนี้", ""))
                if not measure.owner:
                    self.notes.append(CellNote(self.where(*place, "owner"), "ไม่ได้ระบุผู้รับผิดชอบ โปรดกรอก", ""))
                if not measure.period:
                    self.notes.append(CellNote(self.where(*place, "period"), "ไม่ได้ระบุระยะเวลาดำเนินการ โปรดกรอก", ""))


def _read_tables(tables: list[list[Row]], known_titles: Iterable[str], source: str) -> _Reader:
    reader = _Reader(tuple(known_titles))
    columns: dict[str, int] | None = None
    row_count = 0
    for t_index, table in enumerate(tables):
        has_header = any(_header_columns(row) for row in table)
        if columns is not None and not has_header and max((len(r) for r in table), default=0) <= max(columns.values()):
            # A table of another shape after the measures table (signatures, say): not a continuation.
            columns = None
        # A table without a header right after a measures table of its shape continues it (header omitted).
        for r_index, row in enumerate(table):
            header = _header_columns(row)
            if header:
                columns = header
                continue
            if columns is None:
                continue
            row_count += 1
            if row_count > MAX_ROWS:
                raise PlanFileError(
                    [Problem(source, f"ตารางมาตรการยาวเกิน {MAX_ROWS} แถว ไม่น่าจะเป็นบันทึกข้อความรายงานการวิเคราะห์ผล ITA")]
                )
            reader.row(row, columns, f"{source} ตารางที่ {t_index + 1} แถวที่ {r_index + 1}")
    if not reader.weaknesses:
        raise PlanFileError(
            [
                Problem(
                    source,
                    "ไม่พบตารางมาตรการในไฟล์นี้: ต้องมีแถวหัวตารางที่มีคอลัมน์ “มาตรการ/แนวทาง” และ “วิธีการดำเนินการ” "
                    "พร้อม “ผู้รับผิดชอบ” หรือ “ระยะเวลาดำเนินการ” เช่นเดียวกับส่วนที่ ๓ ของบันทึกรายงานการวิเคราะห์ผล ITA",
                )
            ]
        )
    reader.finish()
    return reader


def _document_facts(text: str, draft_measures: list[MeasureDraft]) -> tuple[int | None, str | None]:
    """The fiscal year of the measures (from their periods, else the latest year named) and the organization."""
    years: Counter[int] = Counter()
    for measure in draft_measures:
        try:
            years[fiscal_year(parse_period(_period_text(measure.period))[1])] += 1
        except (PeriodError, ValueError):
            continue
    year: int | None = years.most_common(1)[0][0] if years else None
    if year is None:
        named = [int(to_arabic_digits(y)) for y in _YEAR_MENTION.findall(text)]
        named = [y for y in named if 2500 <= y <= 2700]
        year = max(named) if named else None
    names = Counter(_ORG_NAME.findall(text))
    organization = names.most_common(1)[0][0] if names else None
    return year, organization


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
