"""The O43 follow-up report as plain dataclasses, every figure and date formatted by
one `Formatter`; `followup.build_report` fills them, the HTML/PDF, DOCX and XLSX
writers only lay them out.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .. import thaidate
from ..ita.spec import Items
from ..plans.models import (
    STEP_STATUS_LABELS,
    EvidenceKind,
    StepStatus,
)
from ..plans.progress import Progress
from .signoff import Chain

__all__ = [
    "ROUNDS",
    "Formatter",
    "Signatory",
    "EvidenceItem",
    "StepRow",
    "ResultInfo",
    "MeasureRow",
    "WeaknessRow",
    "Summary",
    "FollowupReport",
]


#: The two reporting rounds of a fiscal year: months since its start → label.
ROUNDS: dict[int, str] = {6: "รอบ 6 เดือน", 12: "รอบ 12 เดือน"}


TITLE = "รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"


# -- formatting -----------------------------------------------------------------


@dataclass(frozen=True)
class Formatter:
    """Every figure and date a report shows goes through here, so the Thai-digits
    option changes digits and nothing else."""

    thai_digits: bool = False

    def t(self, value: object) -> str:
        text = "" if value is None else str(value)
        # One kind of digits in a document: text typed with Thai digits follows the setting too
        return thaidate.to_thai_digits(text) if self.thai_digits else thaidate.to_arabic_digits(text)

    def date(self, d: date | datetime | None, style: str = "abbr") -> str:
        return thaidate.format_date(d, style=style, thai_digits=self.thai_digits) if d else ""

    def period(self, start: _dt.date, end: _dt.date) -> str:  # `date` is the method above here
        return thaidate.format_period(start, end, thai_digits=self.thai_digits)

    def number(self, value: Decimal | int | None) -> str:
        """1,250 · 87.5 · 87.25 — thousands separated, no trailing zeros."""
        if value is None:
            return ""
        if isinstance(value, int):
            return self.t(f"{value:,}")
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return self.t(text)

    def percent(self, value: int) -> str:
        return self.t(f"{value}%")


# -- the report's data ---------------------------------------------------------------


@dataclass
class Signatory:
    """One signature line: ผู้รายงาน or ผู้ตรวจสอบ."""

    label: str
    name: str = ""
    position: str = ""


@dataclass
class EvidenceItem:
    name: str
    #: Absolute URL of the evidence in the tracker (downloads go through its access check)
    url: str
    kind: EvidenceKind


@dataclass
class StepRow:
    id: int
    number: str
    title: str
    department: str
    start_date: date
    due_date: date
    #: The status as of the report's date (see the module docstring)
    status: StepStatus
    overdue: bool
    completed_on: date | None
    note: str = ""
    note_by: str = ""
    note_on: date | None = None
    cancel_reason: str = ""
    evidence: list[EvidenceItem] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STEP_STATUS_LABELS[self.status]

    @property
    def done(self) -> bool:
        return self.status is StepStatus.done

    @property
    def cancelled(self) -> bool:
        return self.status is StepStatus.cancelled


@dataclass
class ResultInfo:
    """The recorded result of a measure's follow-up indicator."""

    value: Decimal | None
    unit: str
    note: str
    updated_on: date | None
    updated_by: str
    evidence: list[EvidenceItem] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return self.value is not None or bool(self.note) or bool(self.evidence)

    def figure(self, f: Formatter) -> str:
        """ "1,250 ครั้ง", or "" when the result is not a figure."""
        if self.value is None:
            return ""
        return f"{f.number(self.value)} {f.t(self.unit)}".strip()


@dataclass
class MeasureRow:
    id: int
    number: str
    title: str
    department: str
    period_start: date
    period_end: date
    follow_up: str
    steps: list[StepRow]
    result: ResultInfo | None

    @property
    def counted(self) -> list[StepRow]:
        return [s for s in self.steps if not s.cancelled]

    @property
    def done(self) -> int:
        return sum(1 for s in self.counted if s.done)

    @property
    def total(self) -> int:
        return len(self.counted)

    @property
    def cancelled(self) -> int:
        return len(self.steps) - self.total

    @property
    def overdue(self) -> int:
        return sum(1 for s in self.steps if s.overdue)

    @property
    def percent(self) -> int:
        return Progress(self.done, self.total).percent


@dataclass
class WeaknessRow:
    order: int
    title: str
    detail: str
    measures: list[MeasureRow]


@dataclass
class Summary:
    done: int
    total: int
    cancelled: int
    overdue: int
    results_recorded: int
    measures: int

    @property
    def percent(self) -> int:
        return Progress(self.done, self.total).percent

    @property
    def not_done(self) -> int:
        return self.total - self.done


@dataclass
class FollowupReport:
    plan_id: int
    organization: str
    organization_slug: str
    province: str
    fiscal_year: int
    plan_title: str
    as_of: date
    #: 6 or 12 when the as-of date is a round's date, else None
    round: int | None
    weaknesses: list[WeaknessRow]
    reporter: Signatory
    reviewer: Signatory
    generated_at: datetime
    thai_digits: bool = False
    #: The report's sign-off chain (the latest submission of this report not withdrawn), if any
    signoff: Chain | None = None
    #: The ITA year the measures answer and the OIT items its framework names (O43 in 2565)
    assessed_year: int | None = None
    items: Items = field(default_factory=Items)

    @property
    def f(self) -> Formatter:
        return Formatter(self.thai_digits)

    @property
    def measures(self) -> list[MeasureRow]:
        return [m for w in self.weaknesses for m in w.measures]

    @property
    def steps(self) -> list[StepRow]:
        return [s for m in self.measures for s in m.steps]

    @property
    def summary(self) -> Summary:
        measures = self.measures
        return Summary(
            done=sum(m.done for m in measures),
            total=sum(m.total for m in measures),
            cancelled=sum(m.cancelled for m in measures),
            overdue=sum(m.overdue for m in measures),
            results_recorded=sum(1 for m in measures if m.result and m.result.recorded),
            measures=len(measures),
        )

    @property
    def round_label(self) -> str:
        return ROUNDS.get(self.round or 0, "")

    @property
    def title(self) -> str:
        return TITLE

    def heading_lines(self) -> list[str]:
        """The centred heading, line by line, digits as chosen."""
        f = self.f
        place = self.organization + (f" จังหวัด{self.province}" if self.province else "")
        round_part = f"{self.round_label} " if self.round_label else ""
        lines = [
            TITLE,
            f.t(f"{place} ประจำปีงบประมาณ พ.ศ. {self.fiscal_year}"),
            f.t(f"{round_part}ข้อมูล ณ วันที่ {f.date(self.as_of, 'full')}"),
        ]
        if self.items.followup is not None:  # the item this report answers, from the assessed year's framework
            lines.append(f.t(f"ตามข้อ {self.items.followup.label} (การประเมิน ITA ปีงบประมาณ พ.ศ. {self.assessed_year})"))
        return lines
