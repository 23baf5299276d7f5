"""ITA scores: entering them, computing tool and overall scores, comparing two years.

Numbers are `Decimal` throughout. A tool's score is the mean of its
indicators rounded to 2 decimals (ROUND_HALF_UP); the overall score is
Σ weight × those rounded tool scores, rounded the same way. This order is the
one that reproduces the published figures of both seed years: 2564
0.3·96.18 + 0.3·97.90 + 0.4·100 = 98.224 → 98.22 and 2565
0.3·98.07 + 0.3·94.85 + 0.4·100 = 97.876 → 97.88 (weighting the unrounded
means gives 98.2256 → 98.23 for 2564, which the memo does not show). The
level is that of the rounded overall score, the figure people see
(95.00 → AA, 94.99 → A). Differences between years are taken between the
rounded figures shown (IIT 98.07 − 96.18 = เพิ่มขึ้น 1.89), as in the memo.

The entry point for the analysis memo (O42) and the web page is
`analyse(organization, fiscal_year)`: it compares `fiscal_year` with the year
before and returns plain dataclasses (`ItaAnalysis`) holding every table of
the memo. Indicators of the two years are matched by name (frameworks may
renumber them), tools by code.

Services flush and never commit; the view or command commits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..db import db
from ..errors import ServiceError
from ..journal import record
from ..orgs.models import Organization
from ..plans.models import Plan, PlanStatus, Weakness
from ..thaidate import to_arabic_digits, to_thai_digits
from .framework import ensure_framework, framework_for
from .models import ItaContextScore, ItaFramework, ItaIndicator, ItaScore
from .spec import Condition, Items

if TYPE_CHECKING:
    from ..auth.models import User

__all__ = [
    "CONTEXT_SCOPES",
    "ContextInput",
    "ContextScore",
    "Counts",
    "Difference",
    "IndicatorRow",
    "IndicatorScore",
    "ItaAnalysis",
    "ScoreProblems",
    "SummaryRow",
    "ToolRow",
    "ToolScore",
    "WeaknessStart",
    "YearResult",
    "analyse",
    "context_label",
    "format_score",
    "get_contexts",
    "get_scores",
    "parse_score",
    "round2",
    "save_scores",
    "start_weakness_from_indicator",
    "year_result",
    "years_with_scores",
]

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
#: Context rows of table 1, in the memo's order; the organization's own row comes last.
CONTEXT_SCOPES = ("national", "province")
WORD_UP, WORD_DOWN, WORD_EQUAL = "เพิ่มขึ้น", "ลดลง", "เท่าเดิม"


# -- numbers ---------------------------------------------------------------------------


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_score(value: Decimal | None, *, thai_digits: bool = False, empty: str = "–") -> str:
    """The one way a score is written, on pages and in every document: two decimals
    rounded half up (97 → "97.00", 98.6 → "98.60"), except exactly 100 → "100"
    (as the seed memo writes ๑๐๐)."""
    if value is None:
        return empty
    rounded = round2(Decimal(value))
    text = "100" if rounded == HUNDRED else f"{rounded:.2f}"
    return to_thai_digits(text) if thai_digits else text


_NUMBER_RE = re.compile(r"[+-]?\d+(\.\d+)?")


def parse_score(value: Any, what: str = "คะแนน") -> Decimal:
    """A score 0–100 with at most two decimals, from a form, a CSV cell or an Excel number.

    Thai digits are accepted; more decimals are refused rather than rounded
    silently (a score with three decimals is a typing or copying slip).
    """
    if isinstance(value, bool) or value is None:
        raise ServiceError(f"{what}: ต้องเป็นตัวเลข 0–100 (a number from 0 to 100 is required)")
    text = str(value) if isinstance(value, (int, float, Decimal)) else to_arabic_digits(str(value)).strip()
    if not _NUMBER_RE.fullmatch(text):
        raise ServiceError(f"{what}: “{value}” ไม่ใช่ตัวเลข (not a number; write e.g. 97.32)")
    number = Decimal(text)
    if not 0 <= number <= HUNDRED:
        raise ServiceError(f"{what}: {text} อยู่นอกช่วง 0–100 (scores run from 0 to 100)")
    if number != number.quantize(CENT):
        raise ServiceError(f"{what}: {text} มีทศนิยมเกิน 2 ตำแหน่ง (at most two decimals)")
    return number.quantize(CENT)


@dataclass(frozen=True)
class Difference:
    """current − previous between the rounded figures; None when a year is missing."""

    amount: Decimal | None

    @classmethod
    def between(cls, previous: Decimal | None, current: Decimal | None) -> Difference:
        if previous is None or current is None:
            return cls(None)
        return cls(round2(current) - round2(previous))

    @property
    def direction(self) -> str | None:
        """ "up", "down", "equal", or None when there is nothing to compare."""
        if self.amount is None:
            return None
        return "up" if self.amount > 0 else "down" if self.amount < 0 else "equal"

    @property
    def word(self) -> str:
        return {"up": WORD_UP, "down": WORD_DOWN, "equal": WORD_EQUAL}.get(self.direction or "", "")

    @property
    def magnitude(self) -> Decimal | None:
        return None if self.amount is None else abs(self.amount)

    def text(self, *, thai_digits: bool = False, equal: str = WORD_EQUAL, empty: str = "–") -> str:
        """ "เพิ่มขึ้น 1.89", "ลดลง 3.05", `equal` ("เท่าเดิม"; the memo's table cells use "-")."""
        if self.amount is None:
            return empty
        if self.direction == "equal":
            return equal
        return f"{self.word} {format_score(self.magnitude, thai_digits=thai_digits)}"

    def __str__(self) -> str:
        return self.text()


# -- one year's scores -----------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorScore:
    number: int
    name: str
    tool_code: str
    score: Decimal | None


@dataclass(frozen=True)
class ToolScore:
    code: str
    name: str
    name_en: str
    weight: Decimal
    #: Mean of the indicators, unrounded (None when an indicator has no score)
    mean: Decimal | None
    #: The mean rounded to 2 decimals, as shown
    score: Decimal | None
    indicators: tuple[IndicatorScore, ...]


@dataclass(frozen=True)
class ContextScore:
    """A national or provincial row as published; `level` is computed when none was given."""

    scope: str
    label: str
    score: Decimal
    #: None when the framework has no band the score reaches
    level: str | None
    level_given: bool


@dataclass(frozen=True)
class YearResult:
    organization_id: int
    fiscal_year: int
    framework_name: str
    indicators: tuple[IndicatorScore, ...]
    tools: tuple[ToolScore, ...]
    #: Σ weight × tool score, rounded as the framework says; None until every indicator has a score
    overall: Decimal | None
    #: The band (AA … F) of the overall; for a year rated by rules only, its rating
    level: str | None
    contexts: Mapping[str, ContextScore]
    framework_id: int = 0
    framework_version: int = 1
    #: The OIT items and the sub-indicator the documents cite, from the year's framework
    items: Items = Items()
    #: The rating by the framework's rules (None for a year without rules)
    rating: str | None = None
    #: The rating the overall alone reached when a condition lowered it, and the conditions that failed
    rating_lowered_from: str | None = None
    rating_failed: tuple[Condition, ...] = ()
    #: Reached the framework's pass threshold (None: no threshold or no overall)
    passed: bool | None = None

    @property
    def complete(self) -> bool:
        return self.overall is not None

    @property
    def scored(self) -> int:
        return sum(1 for i in self.indicators if i.score is not None)

    @property
    def has_data(self) -> bool:
        return self.scored > 0 or bool(self.contexts)

    def tool(self, code: str) -> ToolScore | None:
        return next((t for t in self.tools if t.code == code), None)


def get_scores(
    organization: Organization, fiscal_year: int, framework: ItaFramework | None = None
) -> dict[int, Decimal]:
    """Indicator number → score of the organization's assessment in that year (under the framework it uses)."""
    framework = framework or framework_for(organization, fiscal_year, load_shipped=False)
    if framework is None:
        return {}
    rows = db.session.execute(
        sa.select(ItaIndicator.number, ItaScore.score)
        .join(ItaScore.indicator)
        .where(ItaScore.organization_id == organization.id, ItaIndicator.framework_id == framework.id)
    )
    return {number: Decimal(score).quantize(CENT) for number, score in rows}


def get_contexts(organization: Organization, fiscal_year: int) -> dict[str, ItaContextScore]:
    rows = db.session.scalars(
        sa.select(ItaContextScore).where(
            ItaContextScore.organization_id == organization.id, ItaContextScore.fiscal_year == fiscal_year
        )
    )
    return {row.scope: row for row in rows}


def years_with_scores(organization: Organization) -> list[int]:
    scored = db.session.scalars(
        sa.select(ItaFramework.fiscal_year)
        .join(ItaIndicator, ItaIndicator.framework_id == ItaFramework.id)
        .join(ItaScore, ItaScore.indicator_id == ItaIndicator.id)
        .where(ItaScore.organization_id == organization.id)
        .distinct()
    )
    context = db.session.scalars(
        sa.select(ItaContextScore.fiscal_year).where(ItaContextScore.organization_id == organization.id).distinct()
    )
    return sorted(set(scored) | set(context))


def year_result(
    organization: Organization, fiscal_year: int, framework: ItaFramework | None = None
) -> YearResult | None:
    """The year's indicator, tool and overall scores; None when the year has no framework in the database.

    A tool's score is the mean of its indicators, or their weighted sum where
    the framework weights them; the overall and the rating follow the
    framework's rules (`spec.OverallRule`, `spec.FrameworkSpec.rate`).
    """
    framework = framework or framework_for(organization, fiscal_year, load_shipped=False)
    if framework is None:
        return None
    spec = framework.spec
    scores = get_scores(organization, fiscal_year, framework)
    scored = spec.score(scores)
    tools: list[ToolScore] = []
    all_indicators: list[IndicatorScore] = []
    for tool in spec.tools:
        items = tuple(IndicatorScore(i.number, i.name, tool.code, scores.get(i.number)) for i in tool.indicators)
        all_indicators.extend(items)
        mean, shown = scored.tools[tool.code]
        tools.append(ToolScore(tool.code, tool.name, tool.name_en, tool.weight, mean, shown, items))
    overall, rating = scored.overall, scored.rating
    contexts = {
        scope: ContextScore(
            row.scope,
            row.label,
            Decimal(row.score).quantize(CENT),
            row.level or framework.level_of(Decimal(row.score)),
            bool(row.level),
        )
        for scope, row in get_contexts(organization, fiscal_year).items()
    }
    return YearResult(
        organization_id=organization.id,
        fiscal_year=fiscal_year,
        framework_name=framework.name,
        indicators=tuple(sorted(all_indicators, key=lambda i: i.number)),
        tools=tuple(tools),
        overall=overall,
        level=scored.level,
        contexts={scope: contexts[scope] for scope in CONTEXT_SCOPES if scope in contexts},
        framework_id=framework.id,
        framework_version=framework.version,
        items=spec.items,
        rating=rating.name if rating else None,
        rating_lowered_from=rating.lowered_from if rating else None,
        rating_failed=rating.failed if rating else (),
        passed=scored.passed,
    )


# -- entering scores -------------------------------------------------------------------


class ScoreProblems(ServiceError):
    """Every problem of a score entry at once; `.problems` lists them."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ContextInput:
    """A national/provincial row as typed: an empty score removes the row; an empty level is computed."""

    label: str = ""
    score: Any = None
    level: str = ""


def context_label(organization: Organization, scope: str) -> str:
    """The memo's wording: ภาพรวมระดับประเทศ, ภาพรวมจังหวัดขอนแก่น."""
    if scope == "national":
        return "ภาพรวมระดับประเทศ"
    return f"ภาพรวมจังหวัด{organization.province}" if organization.province else ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def save_scores(
    organization: Organization,
    fiscal_year: int,
    *,
    actor: User | None,
    now: datetime,
    scores: Mapping[int, Any] | None = None,
    contexts: Mapping[str, ContextInput] | None = None,
    note: str = "",
) -> list[str]:
    """Set indicator scores (number → value; a blank value removes the score) and context rows.

    Everything is checked before anything changes; problems are raised
    together as `ScoreProblems`. Returns one Thai line per change, journaled
    with old and new values.
    """
    framework = ensure_framework(fiscal_year, organization)
    indicators = {i.number: i for i in framework.indicators}
    levels = framework.spec.grade_names
    problems: list[str] = []
    wanted: dict[int, Decimal | None] = {}
    for number, value in (scores or {}).items():
        indicator = indicators.get(number)
        if indicator is None:
            problems.append(f"ไม่มีตัวชี้วัดที่ {number} ในกรอบปี {fiscal_year} (no indicator {number} in {fiscal_year})")
            continue
        if _blank(value):
            wanted[number] = None
            continue
        try:
            wanted[number] = parse_score(value, f"ตัวชี้วัดที่ {number} {indicator.name}")
        except ServiceError as exc:
            problems.append(str(exc))
    wanted_contexts: dict[str, tuple[str, Decimal, str | None] | None] = {}
    for scope, given in (contexts or {}).items():
        if scope not in CONTEXT_SCOPES:
            problems.append(f"ไม่รู้จักแถวเปรียบเทียบ “{scope}” (context rows are national or province)")
            continue
        if _blank(given.score):
            wanted_contexts[scope] = None
            continue
        label = " ".join((given.label or "").split()) or context_label(organization, scope)
        what = label or ("ภาพรวมจังหวัด" if scope == "province" else scope)
        try:
            score = parse_score(given.score, what)
        except ServiceError as exc:
            problems.append(str(exc))
            continue
        if not label:
            problems.append(f"{what}: โปรดระบุชื่อแถว เช่น ภาพรวมจังหวัดขอนแก่น (a label is required)")
        elif len(label) > 200:
            problems.append(f"{what}: ชื่อแถวยาวเกิน 200 ตัวอักษร (label longer than 200 characters)")
        level = (given.level or "").strip().upper() or None
        if level is not None and level not in levels:
            problems.append(
                f"{what}: ระดับ “{given.level}” ไม่มีในกรอบปี {fiscal_year} ใช้ {' '.join(levels)} หรือเว้นว่าง "
                f"(unknown level; use one of {', '.join(levels)} or leave it empty)"
            )
        wanted_contexts[scope] = (label, score, level)
    if problems:
        raise ScoreProblems(problems)

    changes: list[str] = []
    existing = {
        s.indicator.number: s
        for s in db.session.scalars(
            sa.select(ItaScore)
            .join(ItaScore.indicator)
            .where(ItaScore.organization_id == organization.id, ItaIndicator.framework_id == framework.id)
        )
    }
    for number in sorted(wanted):
        new, row, indicator = wanted[number], existing.get(number), indicators[number]
        where = f"ปีงบประมาณ {fiscal_year} ตัวชี้วัดที่ {number} {indicator.name}"
        old = Decimal(row.score).quantize(CENT) if row is not None else None
        if new == old:
            continue
        if row is None:
            row = ItaScore(organization_id=organization.id, indicator=indicator, score=new, updated_at=now)
            db.session.add(row)
            db.session.flush()
            action = "create"
        elif new is None:
            db.session.delete(row)
            action = "delete"
        else:
            row.score, row.updated_at = new, now
            action = "edit"
        record(
            organization_id=organization.id,
            entity="ita_score",
            entity_id=row.id,
            action=action,
            actor=actor,
            field="score",
            old=old,
            new=new,
            note=_note(where, note),
            at=now,
        )
        changes.append(f"{where}: {format_score(old)} → {format_score(new)}")

    current_contexts = get_contexts(organization, fiscal_year)
    for scope in CONTEXT_SCOPES:
        if scope not in wanted_contexts:
            continue
        context, want = current_contexts.get(scope), wanted_contexts[scope]
        if want is None:
            if context is not None:
                record(
                    organization_id=organization.id,
                    entity="ita_context",
                    entity_id=context.id,
                    action="delete",
                    actor=actor,
                    field="score",
                    old=Decimal(context.score).quantize(CENT),
                    note=_note(f"ปีงบประมาณ {fiscal_year} {context.label}", note),
                    at=now,
                )
                changes.append(f"ปีงบประมาณ {fiscal_year} {context.label}: ลบแถว (row removed)")
                db.session.delete(context)
            continue
        label, score, level = want
        where = f"ปีงบประมาณ {fiscal_year} {label}"
        if context is None:
            context = ItaContextScore(
                organization_id=organization.id,
                fiscal_year=fiscal_year,
                scope=scope,
                label=label,
                score=score,
                level=level,
            )
            db.session.add(context)
            db.session.flush()
            record(
                organization_id=organization.id,
                entity="ita_context",
                entity_id=context.id,
                action="create",
                actor=actor,
                field="score",
                new=score,
                note=_note(where, note),
                at=now,
            )
            changes.append(f"{where}: {format_score(score)}" + (f" ({level})" if level else ""))
            continue
        old_values: dict[str, Decimal | str | None] = {
            "label": context.label,
            "score": Decimal(context.score).quantize(CENT),
            "level": context.level,
        }
        wanted_values: tuple[tuple[str, Decimal | str | None], ...] = (
            ("label", label),
            ("score", score),
            ("level", level),
        )
        for name, new_value in wanted_values:
            if old_values[name] != new_value:
                setattr(context, name, new_value)
                record(
                    organization_id=organization.id,
                    entity="ita_context",
                    entity_id=context.id,
                    action="edit",
                    actor=actor,
                    field=name,
                    old=old_values[name],
                    new=new_value,
                    note=_note(where, note),
                    at=now,
                )
                changes.append(f"{where}: {_shown(old_values[name])} → {_shown(new_value)}")
    db.session.flush()
    return changes


def _shown(value: Decimal | str | None) -> str:
    """A context row's label, score or level as the change list writes it."""
    return format_score(value) if isinstance(value, Decimal) else (value or "–")


def _note(where: str, note: str) -> str:
    return f"{where} · {note}" if note else where


# -- comparing two years ---------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    """A row of table 1: national, provincial, or the organization's overall result."""

    scope: str  # "national", "province", "organization"
    label: str
    previous: Decimal | None
    previous_level: str | None
    current: Decimal | None
    current_level: str | None
    difference: Difference


@dataclass(frozen=True)
class IndicatorRow:
    number: int
    name: str
    tool_code: str
    previous: Decimal | None
    current: Decimal | None
    difference: Difference
    #: 1-based place in the current year's ranking (ties keep indicator order); None without a score
    rank: int | None
    #: Lowest score of its tool this year (every indicator tied at the minimum is marked)
    lowest_in_tool: bool
    #: All indicators of the tool scored the same this year (e.g. OIT 100 and 100): nothing stands out
    tool_all_equal: bool

    @property
    def weak(self) -> bool:
        """A candidate weakness: the lowest of a tool whose scores differ, or lower than last year."""
        return (self.lowest_in_tool and not self.tool_all_equal) or self.difference.direction == "down"


@dataclass(frozen=True)
class ToolRow:
    """A row of table 3, with the tool's indicators for the per-tool analysis."""

    code: str
    name: str
    name_en: str
    weight: Decimal
    previous: Decimal | None
    current: Decimal | None
    difference: Difference
    indicators: tuple[IndicatorRow, ...]
    #: Indicators at the tool's lowest score this year (several on a tie)
    lowest: tuple[IndicatorRow, ...]

    @property
    def all_equal(self) -> bool:
        """Every indicator has the same score: the memo says so instead of naming a lowest one."""
        scores = {i.current for i in self.indicators}
        return len(scores) == 1 and None not in scores and len(self.indicators) > 1

    @property
    def label(self) -> str:
        """ "แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายใน (ด้าน IIT)" as in table 3."""
        return f"{self.name} (ด้าน {self.code})"


@dataclass(frozen=True)
class Counts:
    up: int
    equal: int
    down: int
    #: Indicators missing a score in one of the two years
    unknown: int


@dataclass(frozen=True)
class ItaAnalysis:
    """Everything the O42 memo and the ITA page show for one assessment year.

    * table 1: `summary` (context rows, then the organization's overall score and level),
    * table 2: `ranking` (indicators by this year's score, ties by number — the seed's
      order) or `indicators` (by number), each with both years and the difference,
    * table 3: `tools`, each with its indicators and `lowest` marked,
    * prose: `counts` (up / equal / down), `highest`, `lowest`.
    """

    organization_id: int
    organization_name: str
    fiscal_year: int
    previous_year: int
    current: YearResult
    #: None when the previous year has no framework in the database
    previous: YearResult | None
    summary: tuple[SummaryRow, ...]
    indicators: tuple[IndicatorRow, ...]
    ranking: tuple[IndicatorRow, ...]
    tools: tuple[ToolRow, ...]
    counts: Counts
    #: Indicators (number, name) of this year that the previous year's framework does not have
    only_current: tuple[tuple[int, str], ...] = ()
    #: Indicators (number, name) of the previous year that this year's framework does not have
    only_previous: tuple[tuple[int, str], ...] = ()
    #: Tool codes in one year's framework only
    only_current_tools: tuple[str, ...] = ()
    only_previous_tools: tuple[str, ...] = ()
    #: Tools in both years whose weight changed: (code, previous weight, current weight)
    reweighted_tools: tuple[tuple[str, Decimal, Decimal], ...] = ()

    @property
    def first_year(self) -> bool:
        """No result of the previous year to compare with (no framework or not a single score)."""
        return self.previous is None or not self.previous.has_data

    @property
    def frameworks_differ(self) -> bool:
        """The two years' frameworks do not have the same tools, weights and indicators."""
        return not self.first_year and bool(
            self.only_current
            or self.only_previous
            or self.only_current_tools
            or self.only_previous_tools
            or self.reweighted_tools
        )

    @property
    def organization(self) -> SummaryRow:
        return self.summary[-1]

    @property
    def overall(self) -> Decimal | None:
        return self.current.overall

    @property
    def level(self) -> str | None:
        return self.current.level

    @property
    def highest(self) -> Decimal | None:
        scores = [i.current for i in self.indicators if i.current is not None]
        return max(scores) if scores else None

    @property
    def lowest(self) -> Decimal | None:
        scores = [i.current for i in self.indicators if i.current is not None]
        return min(scores) if scores else None

    def indicator(self, number: int) -> IndicatorRow:
        return next(i for i in self.indicators if i.number == number)

    def tool(self, code: str) -> ToolRow:
        return next(t for t in self.tools if t.code == code)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (scores as "98.07" strings)."""

        def num(value: Decimal | None) -> str | None:
            return None if value is None else format_score(value)

        def diff(d: Difference) -> dict[str, Any]:
            return {"amount": num(d.amount), "direction": d.direction, "text": d.text(empty="")}

        def indicator(i: IndicatorRow) -> dict[str, Any]:
            return {
                "number": i.number,
                "name": i.name,
                "tool": i.tool_code,
                "previous": num(i.previous),
                "current": num(i.current),
                "difference": diff(i.difference),
                "rank": i.rank,
                "lowest_in_tool": i.lowest_in_tool,
                "weak": i.weak,
            }

        return {
            "organization": self.organization_name,
            "fiscal_year": self.fiscal_year,
            "previous_year": self.previous_year,
            "framework": self.current.framework_name,
            "overall": num(self.overall),
            "level": self.level,
            "complete": self.current.complete,
            "summary": [
                {
                    "scope": r.scope,
                    "label": r.label,
                    "previous": num(r.previous),
                    "previous_level": r.previous_level,
                    "current": num(r.current),
                    "current_level": r.current_level,
                    "difference": diff(r.difference),
                }
                for r in self.summary
            ],
            "tools": [
                {
                    "code": t.code,
                    "name": t.name,
                    "name_en": t.name_en,
                    "weight": str(t.weight),
                    "previous": num(t.previous),
                    "current": num(t.current),
                    "difference": diff(t.difference),
                    "all_equal": t.all_equal,
                    "lowest": [i.number for i in t.lowest],
                    "indicators": [i.number for i in t.indicators],
                }
                for t in self.tools
            ],
            "indicators": [indicator(i) for i in self.indicators],
            "ranking": [i.number for i in self.ranking],
            "counts": {
                "up": self.counts.up,
                "equal": self.counts.equal,
                "down": self.counts.down,
                "unknown": self.counts.unknown,
            },
            "highest": num(self.highest),
            "lowest": num(self.lowest),
            "rating": self.current.rating,
            "rating_lowered_from": self.current.rating_lowered_from,
            "rating_failed": [c.text() for c in self.current.rating_failed],
            "passed": self.current.passed,
            "first_year": self.first_year,
            "frameworks_differ": self.frameworks_differ,
            "only_current": [{"number": n, "name": name} for n, name in self.only_current],
            "only_previous": [{"number": n, "name": name} for n, name in self.only_previous],
            "only_current_tools": list(self.only_current_tools),
            "only_previous_tools": list(self.only_previous_tools),
        }


def _name_key(name: str) -> str:
    return " ".join(name.split())


def analyse(organization: Organization, fiscal_year: int) -> ItaAnalysis:
    """Compare the organization's ITA result of `fiscal_year` with `fiscal_year - 1`.

    For the seed: ``analyse(banpet, 2565)`` gives the memo of the FY 2566 plan
    (the 2565 assessment against 2564). Loads the shipped framework of
    `fiscal_year` when needed (ServiceError when the year has none); the
    previous year is compared only when its framework is in the database.
    """
    framework = ensure_framework(fiscal_year, organization)
    current = year_result(organization, fiscal_year, framework)
    assert current is not None
    previous_year = fiscal_year - 1
    previous = year_result(organization, previous_year)
    before = {_name_key(i.name): i.score for i in previous.indicators} if previous else {}
    before_tools = {t.code: t.score for t in previous.tools} if previous else {}

    order = sorted((i for i in current.indicators if i.score is not None), key=lambda i: (-(i.score or 0), i.number))
    ranks = {i.number: place for place, i in enumerate(order, start=1)}
    lowest_numbers: set[int] = set()
    equal_tools: set[str] = set()
    for tool in current.tools:
        scored = [i.score for i in tool.indicators if i.score is not None]
        if scored:
            bottom = min(scored)
            lowest_numbers.update(i.number for i in tool.indicators if i.score == bottom)
            if len(tool.indicators) > 1 and len(scored) == len(tool.indicators) and len(set(scored)) == 1:
                equal_tools.add(tool.code)

    rows = {
        i.number: IndicatorRow(
            number=i.number,
            name=i.name,
            tool_code=i.tool_code,
            previous=before.get(_name_key(i.name)),
            current=i.score,
            difference=Difference.between(before.get(_name_key(i.name)), i.score),
            rank=ranks.get(i.number),
            lowest_in_tool=i.number in lowest_numbers,
            tool_all_equal=i.tool_code in equal_tools,
        )
        for i in current.indicators
    }
    indicators = tuple(rows[n] for n in sorted(rows))
    ranking = tuple(rows[i.number] for i in order) + tuple(r for r in indicators if r.rank is None)
    tools = tuple(
        ToolRow(
            code=t.code,
            name=t.name,
            name_en=t.name_en,
            weight=t.weight,
            previous=before_tools.get(t.code),
            current=t.score,
            difference=Difference.between(before_tools.get(t.code), t.score),
            indicators=tuple(rows[i.number] for i in t.indicators),
            lowest=tuple(rows[i.number] for i in t.indicators if i.number in lowest_numbers),
        )
        for t in current.tools
    )

    summary: list[SummaryRow] = []
    for scope in CONTEXT_SCOPES:
        now_row = current.contexts.get(scope)
        then_row = previous.contexts.get(scope) if previous else None
        shown = now_row or then_row
        if shown is None:
            continue
        summary.append(
            SummaryRow(
                scope=scope,
                label=shown.label,
                previous=then_row.score if then_row else None,
                previous_level=then_row.level if then_row else None,
                current=now_row.score if now_row else None,
                current_level=now_row.level if now_row else None,
                difference=Difference.between(then_row.score if then_row else None, now_row.score if now_row else None),
            )
        )
    summary.append(
        SummaryRow(
            scope="organization",
            label="ภาพรวมหน่วยงาน",
            previous=previous.overall if previous else None,
            previous_level=previous.level if previous else None,
            current=current.overall,
            current_level=current.level,
            difference=Difference.between(previous.overall if previous else None, current.overall),
        )
    )
    directions = [r.difference.direction for r in indicators]
    counts = Counts(directions.count("up"), directions.count("equal"), directions.count("down"), directions.count(None))
    # Frameworks change between years: only what both have is compared, the rest is listed.
    only_current: tuple[tuple[int, str], ...] = ()
    only_previous: tuple[tuple[int, str], ...] = ()
    only_current_tools: tuple[str, ...] = ()
    only_previous_tools: tuple[str, ...] = ()
    reweighted: tuple[tuple[str, Decimal, Decimal], ...] = ()
    if previous is not None and previous.has_data:
        now_names = {_name_key(i.name) for i in current.indicators}
        only_current = tuple((i.number, i.name) for i in current.indicators if _name_key(i.name) not in before)
        only_previous = tuple((i.number, i.name) for i in previous.indicators if _name_key(i.name) not in now_names)
        before_weights = {t.code: t.weight for t in previous.tools}
        only_current_tools = tuple(t.code for t in current.tools if t.code not in before_weights)
        only_previous_tools = tuple(t.code for t in previous.tools if t.code not in {t.code for t in current.tools})
        reweighted = tuple(
            (t.code, before_weights[t.code], t.weight)
            for t in current.tools
            if t.code in before_weights and before_weights[t.code] != t.weight
        )
    return ItaAnalysis(
        organization_id=organization.id,
        organization_name=organization.name,
        fiscal_year=fiscal_year,
        previous_year=previous_year,
        current=current,
        previous=previous,
        summary=tuple(summary),
        indicators=indicators,
        ranking=ranking,
        tools=tools,
        counts=counts,
        only_current=only_current,
        only_previous=only_previous,
        only_current_tools=only_current_tools,
        only_previous_tools=only_previous_tools,
        reweighted_tools=reweighted,
    )


# -- from a weak indicator to next year's plan -------------------------------------------


@dataclass(frozen=True)
class WeaknessStart:
    plan: Plan
    weakness: Weakness
    #: False: a weakness with this title was already in the plan and is returned as it is
    created: bool
    plan_created: bool


def weakness_detail(row: IndicatorRow, tool: ToolRow, fiscal_year: int, previous_year: int) -> str:
    """One sentence in the memo's manner: the indicator, its score, its tool, the change."""
    text = (
        f"ตัวชี้วัดที่ {row.number} {row.name} ได้คะแนน {format_score(row.current)} "
        f"ในการประเมิน ITA ปีงบประมาณ พ.ศ. {fiscal_year} ({tool.name} ด้าน {tool.code})"
    )
    if row.lowest_in_tool and not row.tool_all_equal:
        text += " ซึ่งได้คะแนนน้อยที่สุดในกลุ่มเครื่องมือนี้"
    if row.difference.direction in ("up", "down"):
        text += f" และมีคะแนน{row.difference.text()} คะแนนจากปีงบประมาณ พ.ศ. {previous_year}"
    elif row.difference.direction == "equal":
        text += f" เท่ากับปีงบประมาณ พ.ศ. {previous_year}"
    return text


def start_weakness_from_indicator(
    organization: Organization,
    indicator: ItaIndicator,
    target_fiscal_year: int,
    actor: User | None,
    now: datetime,
) -> WeaknessStart:
    """Add a weakness named after `indicator` to the plan of `target_fiscal_year`.

    The plan is created as a draft when the organization has none for that
    year. A weakness with the same title already in the plan is returned
    (created=False) rather than duplicated. A closed plan is refused.
    """
    from ..plans import structure as plan_admin  # the plan editor's journaled services

    year = indicator.framework.fiscal_year
    analysis = analyse(organization, year)
    row = analysis.indicator(indicator.number)
    if row.current is None:
        raise ServiceError(
            f"ตัวชี้วัดที่ {row.number} {row.name} ยังไม่มีคะแนนของปี {year} (indicator {row.number} has no score for {year} yet)"
        )
    plan = db.session.scalar(
        sa.select(Plan).where(Plan.organization_id == organization.id, Plan.fiscal_year == target_fiscal_year)
    )
    plan_created = plan is None
    if plan is None:
        plan = plan_admin.create_plan(
            organization,
            actor,
            now,
            fiscal_year=target_fiscal_year,
            title=(
                "มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. "
                + to_thai_digits(str(target_fiscal_year))
            ),
        )
    elif plan.status is PlanStatus.closed:
        raise ServiceError(
            f"แผนปีงบประมาณ {target_fiscal_year} ปิดแล้ว เพิ่มประเด็นไม่ได้ (the {target_fiscal_year} plan is closed)"
        )
    title = _name_key(row.name)
    existing = next((w for w in plan.weaknesses if _name_key(w.title) == title), None)
    if existing is not None:
        return WeaknessStart(plan, existing, created=False, plan_created=plan_created)
    detail = weakness_detail(row, analysis.tool(row.tool_code), year, analysis.previous_year)
    weakness = plan_admin.add_weakness(plan, actor, now, title=title, detail=detail)
    record(
        organization_id=organization.id,
        entity="weakness",
        entity_id=weakness.id,
        action="create",
        actor=actor,
        field="detail",
        new=detail,
        note=f"จากผลการประเมิน ITA ปีงบประมาณ {year} (from the ITA result)",
        at=now,
    )
    db.session.flush()
    return WeaknessStart(plan, weakness, created=True, plan_created=plan_created)
