"""Where a printed Thai line may end: only between words, never inside a year,
a date or a name.

Chromium breaks Thai lines with ICU's dictionary, which splits compound words
at their parts ("ดำเนิน|การ", "ระยะ|เวลา", "งบ|ประมาณ") and Latin words at a
hyphen ("(E-|Service)"). `keep_together` wraps such units of a rendered HTML
document in `<span class="nw">` (CSS `white-space: nowrap`): the text stays
exactly the same for search and copy (no joiner characters in it), and a line
can only end around the unit. For DOCX, `join_units` puts WORD JOINER (U+2060)
between the characters of the same units instead, which LibreOffice and Word
honour and which the text layer drops.

One list of units for every format, so that PDF, HTML and DOCX break alike.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from ..i18n import N_
from ..thaidate import MONTHS_ABBR, MONTHS_FULL

__all__ = ["KEEP_WORDS", "UNIT_RE", "keep_together", "join_units", "WORD_JOINER"]

#: Words of the documents that ICU's Thai dictionary breaks inside (compounds), or
#: that the officers read as one word; longest first where one contains another.
KEEP_WORDS = (
    "ผู้รับผิดชอบ",
    "ผู้อำนวยการ",
    "ผู้บริหาร",
    "ผู้ตรวจสอบ",
    "ผู้รายงาน",
    "ผู้ดูแลระบบ",
    "ปีงบประมาณ",
    "งบประมาณ",
    "ยุทธศาสตร์",
    "การประเมิน",
    "ประเมิน",
    N_("ดำเนินการ"),
    "ดำเนินงาน",
    "ระยะเวลา",
    "มาตรการ",
    "คุณธรรม",
    "ความโปร่งใส",
    "โปร่งใส",
    "ตัวชี้วัด",
    "ข้อบกพร่อง",
    "จุดอ่อน",
    "ประชาสัมพันธ์",
    "อิเล็กทรอนิกส์",
    "ประสิทธิภาพ",
    "การติดตามผล",
    "ติดตามผล",
    "ผลการดำเนินการ",
    "ข้อเท็จจริง",
    "ข้อพิจารณา",
    "ส่วนราชการ",
    "บันทึกข้อความ",
    "เทศมนตรี",
    "เทศบาลตำบล",
    "เทศบาล",
    "ปลัดเทศบาล",
    "สำนักปลัด",
    "ทรัพย์สิน",
    "ราชการ",
    "ระดับคะแนน",
    "คะแนน",
    "ภาพรวม",
    "ลำดับ",
    "แล้วเสร็จ",
    "เลยกำหนด",
    "ครบกำหนด",
    "กำหนด",
    N_("ร้อยละ"),
    "ขั้นตอน",
    "หลักฐาน",
    "เรียบร้อย",
    "ข้อมูลข่าวสาร",
    "การเปิดเผยข้อมูล",
    "สาธารณะ",
    "ประชาชน",
    "ผู้มีส่วนได้ส่วนเสีย",
    "รับทราบ",
    "หน่วยงาน",
    "ส่งเสริม",
    "เผยแพร่",
    "ความเห็น",
)
_DIGIT = "[0-9๐-๙]"
_MONTHS = "|".join(re.escape(m) for m in sorted(MONTHS_FULL + MONTHS_ABBR, key=len, reverse=True))
_WORDS = "|".join(re.escape(w) for w in sorted(KEEP_WORDS, key=len, reverse=True))
#: A date ("๒๙ ก.ค. ๒๕๖๖", "12 ตุลาคม พ.ศ. 2565"), a month with its year ("ก.ย. ๒๕๖๖"), a BE
#: year ("พ.ศ. ๒๕๖๖"), a number with its unit ("๙๗.๘๘ คะแนน" stays free), a Latin word with
#: hyphens or slashes ("(E-Service)"), a person in parentheses ("(นายสมชาย ใจดี)"), or a word.
UNIT_RE = re.compile(
    rf"(?:{_DIGIT}{{1,2}}\s(?:{_MONTHS})\s(?:พ\.ศ\.\s?)?{_DIGIT}{{4}})"
    rf"|(?:(?:{_MONTHS})\s(?:พ\.ศ\.\s?)?{_DIGIT}{{4}})"
    rf"|(?:พ\.ศ\.\s?{_DIGIT}{{4}})"
    rf"|(?:\(?[A-Za-z][A-Za-z0-9.]*(?:[-/][A-Za-z0-9.]+)+\)?)"
    rf"|(?:\((?:นาย|นางสาว|นาง|ว่าที่)[^()<>&]{{1,40}}\))"
    rf"|(?:{_WORDS})"
)
WORD_JOINER = "\u2060"
#: Elements whose text is not laid out as document text (or may not hold a span).
_SKIP = ("style", "script", "title", "textarea", "option", "svg", "select")
_TOKEN_RE = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_TAG_NAME_RE = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")


def _wrap_text(text: str) -> str:
    return UNIT_RE.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', text)


def keep_together(html: str) -> Markup:
    """`html` with every unit of UNIT_RE in its text wrapped in `<span class="nw">`
    (the text itself unchanged: nowrap keeps the spaces inside a unit). Tags, attributes and the text of
    style/script/title/textarea/option/svg are left alone."""
    out: list[str] = []
    skipping: list[str] = []
    for token in _TOKEN_RE.split(html):
        if not token:
            continue
        if token.startswith("<"):
            match = _TAG_NAME_RE.match(token)
            if match and not token.startswith("<!"):
                closing, name = match.group(1) == "/", match.group(2).lower()
                if name in _SKIP:
                    if closing:
                        if name in skipping:
                            del skipping[len(skipping) - 1 - skipping[::-1].index(name) :]
                    elif not token.rstrip().endswith("/>"):
                        skipping.append(name)
            out.append(token)
        elif skipping:
            out.append(token)
        else:
            out.append(_wrap_text(token))
    return Markup("".join(out))


def join_units(text: str) -> str:
    """Plain text (a DOCX run) with WORD JOINER between the characters of each unit,
    no-break spaces inside it, and ZERO WIDTH SPACE where it touches Thai text, so
    that lines end around units and never within one."""

    def glue(match: re.Match[str]) -> str:
        unit = WORD_JOINER.join(_clusters(match.group(0).replace(" ", "\u00a0")))
        # Joined units offer no break opportunity of their own to a neighbouring Thai
        # word (LibreOffice then breaks anywhere): mark the boundaries explicitly.
        before = match.start() > 0 and _THAI.match(text[match.start() - 1])
        after = match.end() < len(text) and _THAI.match(text[match.end()])
        return ("\u200b" if before else "") + unit + ("\u200b" if after else "")

    return UNIT_RE.sub(glue, text).replace("\u200b\u200b", "\u200b")


_THAI = re.compile("[\u0e01-\u0e4e]")
_COMBINING = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


def _clusters(text: str) -> list[str]:
    """Split between base characters only: a joiner before a Thai vowel or tone mark
    above or below its consonant would detach the mark."""
    clusters: list[str] = []
    for char in text:
        if clusters and (_COMBINING.match(char) or char == "\u0e33"):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters
