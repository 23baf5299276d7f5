"""Comparing a year's ITA result with the year before: the tables of the analysis memo.

The entry point for the analysis memo (O42) and the web page is
`analyse(organization, fiscal_year)`: it compares `fiscal_year` with the year
before and returns plain dataclasses (`ItaAnalysis`) holding every table of
the memo. Indicators of the two years are matched by name (frameworks may
renumber them), tools by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..orgs.models import Organization
from .framework import ensure_framework
from .scores import CONTEXT_SCOPES, Difference, YearResult, format_score, year_result

__all__ = [
    "Counts",
    "IndicatorRow",
    "ItaAnalysis",
    "SummaryRow",
    "ToolRow",
    "analyse",
]


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
