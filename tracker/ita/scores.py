"""ITA scores as numbers: parsing, rounding, and a year's tool and overall scores.

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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from ..db import db
from ..errors import ServiceError
from ..orgs.models import Organization
from ..thaidate import to_arabic_digits, to_thai_digits
from .framework import framework_for
from .models import ItaContextScore, ItaFramework, ItaIndicator, ItaScore
from .spec import Condition, Items

__all__ = [
    "CONTEXT_SCOPES",
    "ContextScore",
    "Difference",
    "IndicatorScore",
    "ToolScore",
    "YearResult",
    "format_score",
    "get_contexts",
    "get_scores",
    "parse_score",
    "round2",
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
