"""An ITA framework's file format as plain data, to and from `FrameworkSpec`.

`parse_framework` checks the plain data (every problem at once, in Thai) and
builds the spec; `spec_to_dict` gives it back as the format's data (numbers as
strings, so nothing is rounded). The format is documented in the README.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import ServiceError
from ..i18n import _
from .spec import (
    Citation,
    Condition,
    FrameworkSpec,
    IndicatorSpec,
    ItemRef,
    Items,
    OverallRule,
    RatingRule,
    ToolSpec,
    _plain,
)

__all__ = [
    "parse_framework",
    "spec_to_dict",
    "as_draft_of_year",
]


MIN_YEAR, MAX_YEAR = 2500, 2700


def _fail(source: str, problems: list[str]) -> ServiceError:
    lines = "\n".join(f"- {p}" for p in problems)
    return ServiceError(f"กรอบการประเมินใน {source} ไม่ถูกต้อง (invalid ITA framework):\n{lines}")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _item(raw: Any, where: str, problems: list[str]) -> ItemRef | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not _text(raw.get("code")) or not _text(raw.get("title")):
        problems.append(_("items.%(where)s ต้องมี code และ title เช่น {code: …, title: …}", where=where))
        return None
    return ItemRef(_text(raw.get("code")), _text(raw.get("title")))


def parse_framework(raw: Any, source: str = "framework") -> FrameworkSpec:
    """Check a framework read from YAML, a workbook or the database; every problem is reported at once."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise _fail(source, [_("ต้องเป็น mapping ที่มี fiscal_year, name, tools")])
    year = raw.get("fiscal_year")
    if isinstance(year, str) and year.strip().isdigit():
        year = int(year.strip())
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        problems.append(_("fiscal_year ต้องเป็นปี พ.ศ. เช่น 2565 ไม่ใช่ %(year)r", year=year))
        year = 0
    name = _text(raw.get("name"))
    if not name:
        problems.append(_("ต้องระบุ name"))
    elif len(name) > 200:
        problems.append(_("name ยาวเกิน 200 ตัวอักษร"))

    levels = _levels(raw.get("levels"), problems)
    ratings = _ratings(raw.get("ratings"), problems)
    if not levels and not ratings:
        problems.append(_("ต้องมี levels หรือ ratings อย่างน้อยหนึ่งอย่าง"))

    tools, numbers = _tools(raw.get("tools"), problems)
    codes = [t.code for t in tools]
    if len(set(codes)) != len(codes):
        problems.append(_("รหัสเครื่องมือซ้ำกัน"))
    if numbers and sorted(numbers) != list(range(1, len(numbers) + 1)):
        problems.append(_("ตัวชี้วัดต้องมีหมายเลข 1, 2, 3 … ไม่ซ้ำและไม่ข้าม"))
    if tools and all(t.weight for t in tools) and sum(t.weight for t in tools) != 1:
        problems.append(_("น้ำหนักของเครื่องมือรวมกันต้องเท่ากับ 1"))
    subjects = set(codes) | {"overall"}
    for r, rule in enumerate(ratings, start=1):
        for condition in rule.conditions:
            if condition.subject not in subjects:
                problems.append(
                    _(
                        "ratings[%(r)s]: ไม่มีเครื่องมือ “%(condition_subject)s” ในกรอบนี้",
                        r=r,
                        condition_subject=condition.subject,
                        join_codes_or=", ".join(codes) or "-",
                    )
                )

    pass_threshold = None
    if raw.get("pass_threshold") not in (None, ""):
        pass_threshold = _decimal(raw.get("pass_threshold"))
        if pass_threshold is None or not 0 <= pass_threshold <= 100:
            problems.append(_("pass_threshold ต้องเป็นคะแนน 0–100"))
            pass_threshold = None

    overall = OverallRule()
    raw_overall = raw.get("overall")
    if raw_overall is not None:
        if not isinstance(raw_overall, dict):
            problems.append("overall ต้องเป็น mapping เช่น {round_tools_first: true, decimals: 2}")
        else:
            first = raw_overall.get("round_tools_first", True)
            decimals = raw_overall.get("decimals", 2)
            if not isinstance(first, bool):
                problems.append("overall.round_tools_first ต้องเป็น true หรือ false")
                first = True
            if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 4:
                problems.append(_("overall.decimals ต้องเป็นจำนวนเต็ม 0–4"))
                decimals = 2
            overall = OverallRule(first, decimals)

    items = Items()
    raw_items = raw.get("items")
    if raw_items is not None:
        if not isinstance(raw_items, dict):
            problems.append(_("items ต้องเป็น mapping ที่มี measures, followup, citation"))
        else:
            citation = None
            raw_citation = raw_items.get("citation")
            if raw_citation is not None:
                number = raw_citation.get("indicator") if isinstance(raw_citation, dict) else None
                sub = _text(raw_citation.get("sub_indicator")) if isinstance(raw_citation, dict) else ""
                title = _text(raw_citation.get("title")) if isinstance(raw_citation, dict) else ""
                if not isinstance(number, int) or isinstance(number, bool) or not sub or not title:
                    problems.append(_('items.citation ต้องมี indicator (เลขตัวชี้วัด), sub_indicator เช่น "10.2" และ title'))
                elif numbers and number not in numbers:
                    problems.append(_("items.citation.indicator: ไม่มีตัวชี้วัดที่ %(number)s ในกรอบนี้", number=number))
                else:
                    citation = Citation(number, sub, title)
            items = Items(
                _item(raw_items.get("measures"), "measures", problems),
                _item(raw_items.get("followup"), "followup", problems),
                citation,
            )

    raw_source = raw.get("source")
    sources = raw_source if isinstance(raw_source, list) else [raw_source] if raw_source else []
    notes = str(raw.get("notes") or "").strip()
    if problems:
        raise _fail(source, problems)
    return FrameworkSpec(
        fiscal_year=year,
        name=name,
        tools=tuple(tools),
        levels=tuple(levels),
        ratings=tuple(ratings),
        pass_threshold=pass_threshold,
        overall=overall,
        items=items,
        source=tuple(_text(s) for s in sources if _text(s)),
        notes=notes,
    )


def _levels(raw: Any, problems: list[str]) -> list[tuple[str, Decimal]]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        problems.append(_("levels ต้องเป็นรายการ [ระดับ, คะแนนขั้นต่ำ]"))
        return []
    levels: list[tuple[str, Decimal]] = []
    for i, item in enumerate(raw, start=1):
        minimum = _decimal(item[1]) if isinstance(item, list) and len(item) == 2 else None
        if minimum is None or not _text(item[0]) or not 0 <= minimum <= 100:
            problems.append(_("levels[%(i)s] ต้องเป็น [ระดับ, คะแนน 0–100]", i=i))
            continue
        levels.append((_text(item[0]), minimum))
    if len(levels) == len(raw):
        minimums = [m for _unused, m in levels]
        if any(a <= b for a, b in zip(minimums, minimums[1:])):
            problems.append(_("levels ต้องเรียงจากคะแนนสูงไปต่ำ"))
        if minimums[-1] != 0:
            problems.append(_("ระดับสุดท้ายต้องมีคะแนนขั้นต่ำ 0"))
        if len({lv for lv, _unused in levels}) != len(levels):
            problems.append(_("ชื่อระดับซ้ำกัน"))
    return levels


def _ratings(raw: Any, problems: list[str]) -> list[RatingRule]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        problems.append(_("ratings ต้องเป็นรายการ {name, minimum, conditions}"))
        return []
    rules: list[RatingRule] = []
    for r, item in enumerate(raw, start=1):
        where = f"ratings[{r}]"
        if not isinstance(item, dict):
            problems.append(_("%(where)s ต้องเป็น mapping ที่มี name, minimum", where=where))
            continue
        name, minimum = _text(item.get("name")), _decimal(item.get("minimum"))
        if not name or minimum is None or not 0 <= minimum <= 100:
            problems.append(_("%(where)s ต้องมี name และ minimum 0–100", where=where))
            continue
        raw_conditions = item.get("conditions") or []
        if isinstance(raw_conditions, str):
            raw_conditions = [c for c in raw_conditions.split(";") if c.strip()]
        conditions: list[Condition] = []
        for text in raw_conditions if isinstance(raw_conditions, list) else [raw_conditions]:
            condition = Condition.parse(str(text))
            if condition is None:
                problems.append(_("%(where)s: เงื่อนไข “%(text)s” ต้องเขียนแบบ EIT >= 85", where=where, text=text))
            else:
                conditions.append(condition)
        rules.append(RatingRule(name, minimum, tuple(conditions)))
    if rules and len(rules) == len(raw):
        if len({r.name for r in rules}) != len(rules):
            problems.append(_("ชื่อ rating ซ้ำกัน"))
        if rules[-1].minimum != 0 or rules[-1].conditions:
            problems.append(_("rating สุดท้ายต้องมี minimum 0 และไม่มีเงื่อนไข เพื่อให้ทุกผลได้ rating"))
    return rules


def _tools(raw: Any, problems: list[str]) -> tuple[list[ToolSpec], list[int]]:
    if not isinstance(raw, list) or not raw:
        problems.append(_("tools ต้องเป็นรายการเครื่องมือ"))
        return [], []
    tools: list[ToolSpec] = []
    numbers: list[int] = []
    for t, tool in enumerate(raw, start=1):
        where = f"tools[{t}]"
        if not isinstance(tool, dict):
            problems.append(_("%(where)s ต้องเป็น mapping", where=where))
            continue
        code, tname = _text(tool.get("code")), _text(tool.get("name"))
        weight = _decimal(tool.get("weight"))
        if not code or not tname:
            problems.append(_("%(where)s ต้องมี code และ name", where=where))
        elif not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,15}", code) or code.lower() == "overall":
            problems.append(f"{where}.code “{code}” ต้องเป็นตัวอักษรอังกฤษ/ตัวเลข ไม่เกิน 16 ตัว เช่น EIT")
        if weight is None or not 0 < weight <= 1:
            problems.append(_('%(where)s.weight ต้องอยู่ระหว่าง 0 ถึง 1 เช่น "0.30"', where=where))
            weight = Decimal(0)
        indicators: list[IndicatorSpec] = []
        raw_indicators = tool.get("indicators")
        if not isinstance(raw_indicators, list) or not raw_indicators:
            problems.append(_("%(where)s.indicators ต้องมีอย่างน้อยหนึ่งตัวชี้วัด", where=where))
            raw_indicators = []
        for i, ind in enumerate(raw_indicators, start=1):
            number = ind.get("number") if isinstance(ind, dict) else None
            iname = _text(ind.get("name")) if isinstance(ind, dict) else ""
            if not isinstance(number, int) or isinstance(number, bool) or number < 1 or not iname:
                problems.append(_("%(where)s.indicators[%(i)s] ต้องมี number (1, 2, …) และ name", where=where, i=i))
                continue
            iweight = None
            if ind.get("weight") not in (None, ""):
                iweight = _decimal(ind.get("weight"))
                if iweight is None or not 0 < iweight <= 1:
                    problems.append(_("%(where)s.indicators[%(i)s].weight ต้องอยู่ระหว่าง 0 ถึง 1", where=where, i=i))
                    iweight = Decimal(0)
            indicators.append(IndicatorSpec(number, iname, iweight))
            numbers.append(number)
        given = [i.weight for i in indicators if i.weight is not None]
        if given and len(given) != len(indicators):
            problems.append(_("%(where)s: ให้น้ำหนักทุกตัวชี้วัดของเครื่องมือ หรือไม่ให้เลย", where=where))
        elif given and all(given) and sum(given) != 1:
            problems.append(_("%(where)s: น้ำหนักตัวชี้วัดรวมกันต้องเท่ากับ 1", where=where))
        tools.append(ToolSpec(code, tname, _text(tool.get("name_en")), weight, tuple(indicators)))
    return tools, numbers


def spec_to_dict(spec: FrameworkSpec) -> dict[str, Any]:
    """The framework as the YAML format's plain data (numbers as strings, so nothing is rounded)."""
    out: dict[str, Any] = {"fiscal_year": spec.fiscal_year, "name": spec.name}
    if spec.source:
        out["source"] = list(spec.source)
    if spec.notes:
        out["notes"] = spec.notes
    out["overall"] = {"round_tools_first": spec.overall.round_tools_first, "decimals": spec.overall.decimals}
    if spec.pass_threshold is not None:
        out["pass_threshold"] = _plain(spec.pass_threshold)
    if spec.levels:
        out["levels"] = [[level, _plain(minimum)] for level, minimum in spec.levels]
    if spec.ratings:
        out["ratings"] = [
            {
                "name": r.name,
                "minimum": _plain(r.minimum),
                **({"conditions": [c.source() for c in r.conditions]} if r.conditions else {}),
            }
            for r in spec.ratings
        ]
    items: dict[str, Any] = {}
    for key in ("measures", "followup"):
        ref = getattr(spec.items, key)
        if ref is not None:
            items[key] = {"code": ref.code, "title": ref.title}
    if spec.items.citation is not None:
        c = spec.items.citation
        items["citation"] = {"indicator": c.indicator, "sub_indicator": c.sub_indicator, "title": c.title}
    if items:
        out["items"] = items
    out["tools"] = [
        {
            "code": t.code,
            "name": t.name,
            "name_en": t.name_en,
            "weight": _plain(t.weight),
            "indicators": [
                {"number": i.number, "name": i.name, **({"weight": _plain(i.weight)} if i.weight else {})}
                for i in t.indicators
            ],
        }
        for t in spec.tools
    ]
    return out


def as_draft_of_year(spec: FrameworkSpec, fiscal_year: int) -> FrameworkSpec:
    """Last year's framework as the start of `fiscal_year`'s: same structure, a new name,
    no sources (nothing of it has been checked for the new year yet)."""
    name = spec.name.replace(str(spec.fiscal_year), str(fiscal_year))
    if name == spec.name:
        name = f"{spec.name} ({fiscal_year})"
    note = _(
        "คัดลอกจากกรอบปีงบประมาณ %(spec_fiscal_year)s ยังไม่ได้ตรวจกับคู่มือการประเมินของปี %(fiscal_year)s",
        spec_fiscal_year=spec.fiscal_year,
        fiscal_year=fiscal_year,
    )
    return replace(spec, fiscal_year=fiscal_year, name=name[:200], source=(), notes=note)
