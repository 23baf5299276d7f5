"""An ITA framework as data: what one fiscal year's assessment looks like.

A framework names everything that changes between years, so that no code or
template holds an item code, an indicator number or a weight:

* tools (code, names, weight) and their indicators (number, name, and a
  weight inside the tool where the tool is not a plain mean),
* how the overall is computed and rounded (`overall`),
* the level bands (AA … F) and/or the rating rules of later years (named
  ratings with a minimum overall and extra conditions such as ``EIT >= 85``,
  evaluated in order: the first that holds wins),
* the pass threshold,
* the OIT items the documents cite: the item the measures are published
  under (O42 in 2565), the item of their follow-up report (O43 in 2565) and
  the sub-indicator the memo cites (10.2 in 2565),
* `source` and `notes`: where the facts came from.

The format is documented with a complete example in the README. Frameworks are
checked by `spec_format.parse_framework` (every problem at once, in Thai) and
kept as plain data (`spec_format.spec_to_dict`); `spec_files` reads and writes
the YAML and Excel files. This module knows nothing of the database.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = [
    "Condition",
    "FrameworkSpec",
    "IndicatorSpec",
    "ItemRef",
    "Citation",
    "Items",
    "OverallRule",
    "RatingRule",
    "Rating",
    "Scored",
    "ToolSpec",
]


@dataclass(frozen=True)
class IndicatorSpec:
    number: int
    name: str
    #: Weight inside its tool; None when the tool is a plain mean of its indicators
    weight: Decimal | None = None


@dataclass(frozen=True)
class ToolSpec:
    code: str
    name: str
    name_en: str
    weight: Decimal
    indicators: tuple[IndicatorSpec, ...]

    @property
    def weighted(self) -> bool:
        return any(i.weight is not None for i in self.indicators)


_OPS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    ">=": (operator.ge, "≥"),
    "≥": (operator.ge, "≥"),
    ">": (operator.gt, ">"),
    "<=": (operator.le, "≤"),
    "≤": (operator.le, "≤"),
    "<": (operator.lt, "<"),
}


_CONDITION_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(>=|<=|≥|≤|>|<)\s*([0-9]+(?:\.[0-9]+)?)\s*$")


@dataclass(frozen=True)
class Condition:
    """``EIT >= 85``: a tool's score (or ``overall``) compared with a number."""

    subject: str
    op: str
    value: Decimal

    @classmethod
    def parse(cls, text: str) -> Condition | None:
        match = _CONDITION_RE.match(str(text))
        if not match:
            return None
        subject, op, value = match.groups()
        return cls(
            subject if subject.lower() != "overall" else "overall",
            op.replace("≥", ">=").replace("≤", "<="),
            Decimal(value),
        )

    def holds(self, scores: Mapping[str, Decimal | None]) -> bool:
        value = scores.get(self.subject)
        return value is not None and _OPS[self.op][0](value, self.value)

    def text(self) -> str:
        """ "EIT ≥ 85" as people write it."""
        return f"{self.subject} {_OPS[self.op][1]} {_plain(self.value)}"

    def source(self) -> str:
        return f"{self.subject} {self.op} {_plain(self.value)}"


@dataclass(frozen=True)
class RatingRule:
    name: str
    minimum: Decimal
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Rating:
    """The rating a result gets; `lowered_from` and `failed` say which condition kept it from a better one."""

    name: str
    lowered_from: str | None = None
    failed: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class OverallRule:
    """Overall = Σ tool weight × tool score, rounded to `decimals` (ROUND_HALF_UP).

    With `round_tools_first` each tool's score is rounded before weighting, the
    order that reproduces the published 2564 (98.22) and 2565 (97.88) figures.
    """

    round_tools_first: bool = True
    decimals: int = 2

    def round(self, value: Decimal) -> Decimal:
        return value.quantize(Decimal(1).scaleb(-self.decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ItemRef:
    """An OIT item as the documents cite it: ``O42`` ``มาตรการส่งเสริม…``."""

    code: str
    title: str

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}".strip()


@dataclass(frozen=True)
class Citation:
    """The sub-indicator the memo cites: indicator 10, sub-indicator "10.2" …"""

    indicator: int
    sub_indicator: str
    title: str


@dataclass(frozen=True)
class Items:
    measures: ItemRef | None = None
    followup: ItemRef | None = None
    citation: Citation | None = None


def _round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Scored:
    """`FrameworkSpec.score`'s answer."""

    #: tool code → (unrounded score, score rounded to 2 decimals as shown); (None, None) when incomplete
    tools: dict[str, tuple[Decimal | None, Decimal | None]]
    overall: Decimal | None
    #: The band; for a year rated by rules only, the rating
    level: str | None
    rating: Rating | None
    passed: bool | None


@dataclass(frozen=True)
class FrameworkSpec:
    fiscal_year: int
    name: str
    tools: tuple[ToolSpec, ...]
    #: (level, minimum score), highest first; empty when the year is rated by rules only
    levels: tuple[tuple[str, Decimal], ...] = ()
    #: Evaluated in order; the first whose minimum and conditions hold is the rating
    ratings: tuple[RatingRule, ...] = ()
    pass_threshold: Decimal | None = None
    overall: OverallRule = field(default_factory=OverallRule)
    items: Items = field(default_factory=Items)
    source: tuple[str, ...] = ()
    notes: str = ""

    @property
    def indicators(self) -> tuple[IndicatorSpec, ...]:
        return tuple(sorted((i for t in self.tools for i in t.indicators), key=lambda i: i.number))

    def tool_of(self, number: int) -> ToolSpec | None:
        return next((t for t in self.tools if any(i.number == number for i in t.indicators)), None)

    def indicator(self, number: int) -> IndicatorSpec | None:
        return next((i for i in self.indicators if i.number == number), None)

    def level_of(self, score: Decimal) -> str | None:
        """The band of a score; without bands, the rating its score alone reaches."""
        for level, minimum in self.levels:
            if score >= minimum:
                return level
        if self.levels:
            return self.levels[-1][0]
        for rule in self.ratings:
            if score >= rule.minimum:
                return rule.name
        return None

    def rate(self, overall: Decimal, tool_scores: Mapping[str, Decimal | None]) -> Rating | None:
        """The first rule that holds; a rule whose minimum was reached but a condition failed is
        remembered as the rating the result was lowered from."""
        if not self.ratings:
            return None
        values = dict(tool_scores, overall=overall)
        lowered: RatingRule | None = None
        failed: tuple[Condition, ...] = ()
        for rule in self.ratings:
            if overall < rule.minimum:
                continue
            missing = tuple(c for c in rule.conditions if not c.holds(values))
            if not missing:
                return Rating(rule.name, lowered.name if lowered else None, failed)
            if lowered is None:
                lowered, failed = rule, missing
        return Rating(self.ratings[-1].name, lowered.name if lowered else None, failed) if lowered else None

    def passed(self, overall: Decimal) -> bool | None:
        return None if self.pass_threshold is None else overall >= self.pass_threshold

    def score(self, scores: Mapping[int, Decimal]) -> Scored:
        """Tool scores, overall, level and rating from indicator scores (number → score).

        A tool's score is the mean of its indicators, or their weighted sum where
        the framework weights them; a tool missing a score has none, and then
        neither has the overall. The one place these rules live.
        """
        tools: dict[str, tuple[Decimal | None, Decimal | None]] = {}
        total = Decimal(0)
        complete = bool(self.tools)
        for tool in self.tools:
            values = [v for i in tool.indicators if (v := scores.get(i.number)) is not None]
            if not values or len(values) < len(tool.indicators):
                tools[tool.code] = (None, None)
                complete = False
                continue
            if tool.weighted:
                mean = sum((Decimal(i.weight or 0) * Decimal(scores[i.number]) for i in tool.indicators), Decimal(0))
            else:
                mean = sum((Decimal(v) for v in values), Decimal(0)) / len(values)
            shown = _round2(mean)
            # Weighted from the rounded tool scores, as published: 98.22 (2564) and 97.88 (2565)
            # come out only this way (from the unrounded means 2564 gives 98.2256 → 98.23).
            total += tool.weight * (shown if self.overall.round_tools_first else mean)
            tools[tool.code] = (mean, shown)
        overall = self.overall.round(total) if complete else None
        rating = self.rate(overall, {c: v[1] for c, v in tools.items()}) if overall is not None else None
        level = None
        if overall is not None:
            level = self.level_of(overall) if self.levels or rating is None else rating.name
        return Scored(tools, overall, level, rating, self.passed(overall) if overall is not None else None)

    @property
    def grade_names(self) -> list[str]:
        """Levels or ratings, best first: what a context row's grade may be."""
        return [name for name, _ in self.levels] or [r.name for r in self.ratings]


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
