"""Reading the measures table of an O42 memo into a `MemoDraft`, the way officers
lay it out (see `memofile`): the header row found by its wording, merged and
continued cells, numbered steps inside one cell, periods as in official letters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..thaidate import PeriodError, fiscal_year, parse_period, to_arabic_digits
from .memodraft import COLUMN_LABELS, CellNote, MeasureDraft, WeaknessDraft, place_in_words
from .planfile import MAX_NAME, PlanFileError, Problem

__all__ = []


#: A memo is a few pages; its measures table a few dozen rows.
MAX_ROWS = 500


MAX_CELL_CHARS = 20_000


_THAI = "\u0e00-\u0e7f"


_SPACES = re.compile(r"\s+")


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


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text or "").strip()


def _key(text: str) -> str:
    """Text compared without spaces, line breaks or digit style (PDF copies break words with spaces)."""
    return _SPACES.sub("", to_arabic_digits(text or "")).lower()


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
