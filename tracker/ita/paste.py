"""ITA scores pasted as the officer sees them: the ITAS result page or the agency's own memo tables.

Rows name indicators in Thai (with the slips of OCR and copying), scores are in
Thai or Arabic digits, one column per year when the header names the years
(the memo's table 2), else one score for the year being entered. Each row is
mapped to the year's framework indicator by name; the officer confirms the
mapping before anything is saved.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..i18n import N_
from ..thaidate import to_arabic_digits

__all__ = ["ALIASES", "PastedRow", "PastedTable", "RowMatch", "match_indicators", "parse_pasted_scores"]

#: Labels that are not slips of the name but another indicator's name printed by mistake, seen in real
#: memos (the seed's "top scores" list: "การปรับปรุงหน้าที" is การปฏิบัติหน้าที่ at 98.63, "การใช้จ่ายเงิน" is
#: การใช้อำนาจ at 98.31 — its table 2 gives the right names for the same scores).
ALIASES = {
    "การปรับปรุงหน้าที่": "การปฏิบัติหน้าที่",
    "การปรับปรุงหน้าที": "การปฏิบัติหน้าที่",
    "การใช้จ่ายเงิน": "การใช้อำนาจ",
}
CONTEXT_PREFIXES = {"ภาพรวมระดับประเทศ": "national", "ภาพรวมประเทศ": "national", "ภาพรวมจังหวัด": "province"}
SUMMARY_PREFIXES = ("ภาพรวม", "คะแนนรวม", "คะแนนสูงสุด", "คะแนนต่ำสุด", "คะแนนเฉลี่ย", "ระดับผลการประเมิน")
MAX_LINES = 400

_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,4})?)(?![\d.])")
_LEADING = re.compile(r"^\s*(\d{1,2})(?:\s*[.)])?\s+")
_YEAR = re.compile(r"(?<!\d)(25\d\d)(?!\d)")
_DIFF_WORD = re.compile(r"เพิ่มขึ้น|ลดลง|เท่าเดิม|คงที่")
_LEVEL = re.compile(r"^(AA|A|B|C|D|E|F)$")
_THAI_LETTER = re.compile(r"[\u0e01-\u0e2e]")


def _key(text: str) -> str:
    return _SPACES.sub("", text)


@dataclass
class PastedRow:
    line: int  # 1-based line of the pasted text
    label: str  # the indicator's name as written
    scores: list[Decimal]
    levels: list[str] = field(default_factory=list)
    raw: str = ""

    @property
    def context_scope(self) -> str | None:
        key = _key(self.label)
        for prefix, scope in CONTEXT_PREFIXES.items():
            if key.startswith(prefix):
                return scope
        return None

    @property
    def is_summary(self) -> bool:
        """The organization's overall or the list's highest/lowest: computed, never entered."""
        return self.context_scope is None and _key(self.label).startswith(SUMMARY_PREFIXES)


@dataclass
class PastedTable:
    rows: list[PastedRow]
    #: Years named by the header, in column order ("ปีงบประมาณ พ.ศ. ๒๕๖๔ … ๒๕๖๕" → [2564, 2565]).
    years: list[int]
    problems: list[str]


def _score(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if Decimal(0) <= value <= Decimal(100) else None


def parse_pasted_scores(text: str) -> PastedTable:
    """Rows with a Thai name and at least one score; header years; a problem for each line not understood."""
    lines = to_arabic_digits(text or "").replace("\r\n", "\n").split("\n")
    if len(lines) > MAX_LINES:
        return PastedTable([], [], [f"ข้อความยาวเกิน {MAX_LINES} บรรทัด ไม่น่าจะเป็นตารางคะแนน ITA"])
    rows: list[PastedRow] = []
    years: list[int] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            problems.append(f"บรรทัดที่ {number}: มีอักขระควบคุม ไม่ใช่ข้อความจากตาราง")
            continue
        tokens = line.split()
        if not tokens or not _THAI_LETTER.search(line):
            continue
        if not any(_NUMBER.fullmatch(t) and _score(t) is not None for t in tokens[1:]):
            # A header line: it may name the years of the score columns.
            if "ปี" in line or "พ.ศ." in line:
                found = [int(y) for y in _YEAR.findall(line)]
                if found:
                    years = found
            continue
        label_parts: list[str] = []
        scores: list[Decimal] = []
        levels: list[str] = []
        skip_number = False
        for index, token in enumerate(tokens):
            if index == 0 and re.fullmatch(r"\d{1,2}[.)]?", token):
                continue  # a rank or an indicator number
            if _DIFF_WORD.fullmatch(token):
                skip_number = True  # "เพิ่มขึ้น 0.47" is a difference, not a score
                continue
            if token in ("-", "–"):
                continue
            if _LEVEL.match(token):
                levels.append(token)
                continue
            if _NUMBER.fullmatch(token):
                if skip_number:
                    skip_number = False
                    continue
                value = _score(token)
                if value is not None and label_parts:
                    scores.append(value)
                continue
            if not scores:
                label_parts.append(token)
            elif token not in ("คะแนน", "%", N_("ร้อยละ")):
                scores = []  # words after a number: a caption ("ตารางที่ ๒ : แสดง…"), not a score row
                break
        label = " ".join(label_parts).strip()
        if label and not scores:
            continue
        if not label or not scores:
            problems.append(f"บรรทัดที่ {number}: อ่านชื่อตัวชี้วัดหรือคะแนนไม่ได้ “{line.strip()[:80]}”")
            continue
        row = PastedRow(number, label, scores, levels, line.strip())
        if not row.is_summary:
            rows.append(row)
    if not rows and not problems:
        problems.append("ไม่พบแถวคะแนนในข้อความที่วาง: แต่ละแถวต้องมีชื่อตัวชี้วัดและคะแนน เช่น “การเปิดเผยข้อมูล 100.00”")
    return PastedTable(rows, years, problems)


@dataclass
class RowMatch:
    row: PastedRow
    #: The framework indicator's number, or None when no indicator fits.
    number: int | None
    #: 1.0 exact name, 0.95 a known mislabel, else how alike the names are.
    confidence: float
    reason: str


def match_indicators(rows: list[PastedRow], indicators: list[tuple[int, str]], cutoff: float = 0.6) -> list[RowMatch]:
    """Map each indicator row to one framework indicator: exact names and known mislabels first, then the
    most alike remaining names, each indicator used once (so "การใช้จ่ายเงิน" takes what is left)."""
    by_key = {_key(name): number for number, name in indicators}
    matches: dict[int, RowMatch] = {}
    used: set[int] = set()
    candidates = [(i, r) for i, r in enumerate(rows) if r.context_scope is None]
    for i, row in candidates:
        key = _key(row.label)
        if key in by_key and by_key[key] not in used:
            matches[i] = RowMatch(row, by_key[key], 1.0, "ชื่อตรงกัน")
            used.add(by_key[key])
    for i, row in candidates:
        if i in matches:
            continue
        alias = ALIASES.get(_key(row.label))
        if alias and _key(alias) in by_key and by_key[_key(alias)] not in used:
            matches[i] = RowMatch(row, by_key[_key(alias)], 0.95, f"ชื่อที่มักพิมพ์ผิด หมายถึง “{alias}”")
            used.add(by_key[_key(alias)])
    pairs = sorted(
        (
            (difflib.SequenceMatcher(None, _key(row.label), _key(name)).ratio(), i, number)
            for i, row in candidates
            if i not in matches
            for number, name in indicators
            if number not in used
        ),
        reverse=True,
    )
    for ratio, i, number in pairs:
        if i in matches or number in used or ratio < cutoff:
            continue
        matches[i] = RowMatch(rows[i], number, round(ratio, 2), "ชื่อใกล้เคียง")
        used.add(number)
    out = []
    for i, row in candidates:
        out.append(matches.get(i) or RowMatch(row, None, 0.0, "ไม่พบตัวชี้วัดที่ชื่อใกล้เคียง โปรดเลือก"))
    return out
