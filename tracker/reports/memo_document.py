"""The O42 analysis memo as plain dataclasses in which every text is final, and the
small formatting helpers that make those texts (Thai digits, scores, differences).

The DOCX (`memo_docx`) and the HTML/PDF (`templates/reports/memo.html`)
writers only lay these out; `memo.build_memo` fills them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .. import thaidate
from ..errors import ServiceError
from ..i18n import N_, _
from ..ita.items import file_prefix
from ..ita.scores import Difference, format_score
from ..ita.spec import Items
from ..orgs.documents import data_uri
from .signoff import Chain

__all__ = [
    "SUBJECT",
    "Segment",
    "MemoHeader",
    "Signer",
    "SummaryLine",
    "IndicatorLine",
    "ToolLine",
    "ToolSection",
    "MeasureLine",
    "MemoDocument",
    "NO_DATE",
    "require_date",
    "memo_filename",
]


SUBJECT = "รายงานการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA)"


NACC = "สำนักงานป้องกันการทุจริตแห่งชาติ (สำนักงาน ป.ป.ช.)"


#: How a tool's score is described, by its level's rank in the framework (best first).
LEVEL_WORDS = ("ดีเยี่ยม", "ดีมาก", "ดี", "พอใช้")


FINDINGS_LIMIT = 10_000


DOTS = "................................"


def th(value: object) -> str:
    """Thai digits: the memo is official text."""
    return thaidate.to_thai_digits("" if value is None else str(value))


def score(value: Decimal | None) -> str:
    return format_score(value, thai_digits=True)


def diff_cell(difference: Difference) -> str:
    """The tables' last column: "เพิ่มขึ้น ๑.๘๙", "ลดลง ๓.๐๕", "-" when equal."""
    return difference.text(thai_digits=True, equal="-")


# -- the document's data ---------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A piece of a paragraph; bold pieces are the words the seed stresses."""

    text: str
    bold: bool = False


@dataclass
class MemoHeader:
    office: str
    reference: str
    #: None until someone gives it: a memo about a past year never takes today's date
    memo_date: date | None
    subject: str
    addressee: str

    @property
    def date_text(self) -> str:
        return thaidate.format_date(self.memo_date, style="full", thai_digits=True) if self.memo_date else ""


#: Why a memo without a date is not printed (web 400, the command's usage error).
NO_DATE = N_(
    "ยังไม่ได้ระบุวันที่ของบันทึกข้อความ บันทึกเกี่ยวกับปีที่ผ่านมาแล้วจะไม่ใช้วันที่ของวันนี้ให้เอง โปรดกรอกวันที่ในหัวบันทึก (หรือใช้ตัวเลือก --date ในคำสั่ง)"
)


def require_date(header: MemoHeader) -> date:
    """The memo's date; ServiceError when it has none."""
    if header.memo_date is None:
        raise ServiceError(_(NO_DATE))
    return header.memo_date


@dataclass
class Signer:
    name: str
    position: str


@dataclass
class SummaryLine:
    """Table 1: a row of context or the organization's own overall result."""

    label: str
    previous: str
    previous_level: str
    current: str
    current_level: str
    difference: str


@dataclass
class IndicatorLine:
    """Table 2: rank, indicator, both years, difference."""

    rank: str
    name: str
    previous: str
    current: str
    difference: str


@dataclass
class ToolLine:
    """Table 3: a tool, both years, difference."""

    label: str
    previous: str
    current: str
    difference: str


@dataclass
class ToolSection:
    """Part ๒: one tool's score, its indicators, the lowest named, the officer's findings."""

    code: str
    heading: str
    intro: str
    #: (indicator number, name, score)
    rows: list[tuple[str, str, str]]
    analysis: str
    findings: list[str]
    #: True when the officer wrote nothing and `findings` is the generated sentence
    findings_default: bool


@dataclass
class MeasureLine:
    """A row of part ๓'s table: one measure with its steps."""

    #: "๑. การใช้ทรัพย์สินของราชการ …" on a weakness's first measure, "" on the next ones
    weakness: str
    measure: str
    steps: list[str]
    owner: str
    period: str
    follow_up: str


@dataclass
class MemoDocument:
    plan_id: int
    organization: str
    organization_slug: str
    fiscal_year: int
    assessment_year: int
    previous_year: int
    header: MemoHeader
    background: str
    facts: str
    proposal: str
    author: Signer
    signoff: Chain | None
    report_title: list[str]
    part1_heading: str
    overall_sentence: str
    overall_score: str
    overall_level: str
    #: (rank, indicator, score) by this year's score
    top_scores: list[tuple[str, str, str]]
    highest: str
    lowest: str
    year_heading_previous: str
    year_heading_current: str
    table1_caption: str
    table1: list[SummaryLine]
    table1_prose: str
    table2_caption: str
    table2: list[IndicatorLine]
    table2_prose: str
    table3_caption: str
    table3: list[ToolLine]
    table3_prose: str
    table3_points: list[list[Segment]]
    part2_heading: str
    tools: list[ToolSection]
    part3_heading: str
    part3_intro: str
    weaknesses: list[str]
    #: What the comparison covers: a first year without a previous result, frameworks that
    #: differ between the two years, a rating lowered by a condition (shown after part ๑'s score)
    comparison_notes: list[str] = field(default_factory=list)
    #: The OIT items of the assessed year's framework that the memo cites
    items: Items = field(default_factory=Items)
    measures: list[MeasureLine] = field(default_factory=list)
    generated_at: datetime | None = None
    #: The organization's ครุฑ emblem (image bytes, content type), None until uploaded
    emblem: tuple[bytes, str] | None = None
    #: The organization's choice (orgs.documents): the texts are built in Thai digits and the
    #: writers turn every digit of the finished file to Arabic when this is False
    thai_digits: bool = True

    @property
    def sections(self) -> list[tuple[str, list[str]]]:
        return [
            ("๑. เรื่องเดิม", [self.background]),
            ("๒. ข้อเท็จจริง", [self.facts]),
            ("๓. ข้อพิจารณา/ข้อเสนอ", [self.proposal]),
        ]

    @property
    def emblem_uri(self) -> str | None:
        return data_uri(self.emblem)

    @property
    def title(self) -> str:
        return f"{SUBJECT} ประจำปีงบประมาณ พ.ศ. {th(self.assessment_year)} ของ{self.organization}"


# -- output -----------------------------------------------------------------------------


MEASURE_HEADERS = (
    "ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อนที่ต้องแก้ไข",
    "มาตรการ/แนวทางในการพัฒนาแก้ไขข้อบกพร่อง/จุดอ่อน",
    "วิธีการดำเนินการ",
    "ผู้รับผิดชอบ",
    "ระยะเวลาดำเนินการ",
    "การติดตามผล",
)


def arabic_document(html: str) -> str:
    """The same document in Arabic digits: every digit of the text and the page numbers'
    counter style (one kind of digits within a document)."""
    return thaidate.to_arabic_digits(str(html).replace("counter(page, thai)", "counter(page)"))


def memo_filename(doc: MemoDocument, ext: str) -> tuple[str, str]:
    """(Thai file name, ASCII fallback) for a download of the memo."""
    thai = f"รายงานการวิเคราะห์ผลการประเมิน-ITA-{doc.organization_slug}-{doc.assessment_year}.{ext}"
    ascii_name = f"{file_prefix(doc.items, 'analysis')}-{doc.organization_slug}-{doc.fiscal_year}.{ext}"
    return thai, ascii_name
