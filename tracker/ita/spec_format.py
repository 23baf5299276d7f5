"""An ITA framework's file format as plain data, to and from `FrameworkSpec`.

`parse_framework` checks the plain data with pydantic models (`tracker.shapes`):
every problem at once, in Thai, with its 1-based path
(``tools[3].indicators[2].weight``), and builds the spec; `spec_to_dict` gives
it back as the format's data (numbers as strings, so nothing is rounded). The
format is documented in the README.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainValidator, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from ..errors import ServiceError
from ..i18n import _
from ..shapes import Loc, Shape, context_of, fail, path_text, problems
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
    return ServiceError(_("กรอบการประเมินใน %(source)s ไม่ถูกต้อง:", source=source) + f"\n{lines}")


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


def _required(value: Any, max_len: int = 200) -> str:
    if not _text(value):
        raise fail(_("ต้องไม่เว้นว่าง"))
    if len(_text(value)) > max_len:
        raise fail(_("ยาวเกิน %(max_len)s ตัวอักษร", max_len=max_len))
    return _text(value)


def _score(value: Any) -> Decimal:
    number = _decimal(value)
    if number is None or not 0 <= number <= 100:
        raise fail(_("ต้องเป็นคะแนน 0–100"))
    return number


def _weight(value: Any) -> Decimal:
    number = _decimal(value)
    if number is None or not 0 < number <= 1:
        raise fail(_('ต้องอยู่ระหว่าง 0 ถึง 1 เช่น "0.30"'))
    return number


def _whole(low: int, high: int, example: str) -> Any:
    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise fail(f"ต้องเป็นจำนวนเต็ม {example} ({example})")
        return value

    return check


def _year(value: Any) -> int:
    year = int(value.strip()) if isinstance(value, str) and value.strip().isdigit() else value
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise fail(_("ต้องเป็นปี พ.ศ. เช่น 2565 ไม่ใช่ %(value)r", value=value))
    return year


def _a_list(what: str, required: bool = False) -> Any:
    def check(value: Any) -> list:
        if value in (None, "", []) and required:
            raise fail(_("ต้องมี%(what)sอย่างน้อยหนึ่งรายการ", what=what))
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise fail(_("ต้องเป็นรายการ%(what)s", what=what))
        return value

    return check


def _level(value: Any) -> tuple[str, Decimal]:
    minimum = _decimal(value[1]) if isinstance(value, list) and len(value) == 2 else None
    if minimum is None or not _text(value[0]) or not 0 <= minimum <= 100:
        raise fail("ต้องเป็น [ระดับ, คะแนน 0–100] ([level, minimum 0–100])")
    return _text(value[0]), minimum


def _conditions(value: Any) -> list[Condition]:
    texts = [c for c in value.split(";") if c.strip()] if isinstance(value, str) else value or []
    conditions = []
    for text in texts if isinstance(texts, list) else [texts]:
        condition = Condition.parse(str(text))
        if condition is None:
            raise fail(_("เงื่อนไข “%(text)s” ต้องเขียนแบบ EIT >= 85", text=text))
        conditions.append(condition)
    return conditions


Text = Annotated[str, PlainValidator(lambda value: _required(value, 10_000))]
OptionalText = Annotated[str, PlainValidator(_text)]


class _Indicator(Shape):
    number: Annotated[int, PlainValidator(_whole(1, 10_000, "1, 2, …"))]
    name: Text
    #: Weight inside its tool; None when the tool is a plain mean of its indicators
    weight: Annotated[Decimal | None, PlainValidator(lambda v: None if v in (None, "") else _weight(v))] = None

    @field_validator("number")
    @classmethod
    def _counted(cls, number: int, info: ValidationInfo) -> int:
        context_of(info)["numbers"].append(number)
        return number


class _Tool(Shape):
    code: Text
    name: Text
    name_en: OptionalText = ""
    weight: Annotated[Decimal, PlainValidator(_weight)]
    indicators: Annotated[list[_Indicator], BeforeValidator(_a_list("ตัวชี้วัด", required=True))]

    @field_validator("code")
    @classmethod
    def _code(cls, code: str, info: ValidationInfo) -> str:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,15}", code) or code.lower() == "overall":
            raise fail(_("“%(code)s” ต้องเป็นตัวอักษรอังกฤษ/ตัวเลข ไม่เกิน 16 ตัว เช่น EIT", code=code))
        if code in context_of(info)["codes"]:
            raise fail(_("รหัสเครื่องมือ “%(code)s” ซ้ำกัน", code=code))
        context_of(info)["codes"].append(code)
        return code

    @field_validator("weight")
    @classmethod
    def _counted(cls, weight: Decimal, info: ValidationInfo) -> Decimal:
        context_of(info)["weights"].append(weight)
        return weight

    @field_validator("indicators")
    @classmethod
    def _weighted_all_or_none(cls, indicators: list[_Indicator]) -> list[_Indicator]:
        given = [i.weight for i in indicators if i.weight is not None]
        if given and len(given) != len(indicators):
            raise fail(_("ให้น้ำหนักทุกตัวชี้วัดของเครื่องมือ หรือไม่ให้เลย"))
        if given and sum(given) != 1:
            raise fail(_("น้ำหนักตัวชี้วัดรวมกันต้องเท่ากับ 1"))
        return indicators


class _Rating(Shape):
    name: Text
    minimum: Annotated[Decimal, PlainValidator(_score)]
    conditions: Annotated[list[Condition], PlainValidator(_conditions)] = []


class _Item(Shape):
    code: Text
    title: Text


class _Citation(Shape):
    indicator: Annotated[int, PlainValidator(_whole(1, 10_000, "เลขตัวชี้วัด"))]
    sub_indicator: Text
    title: Text

    @field_validator("indicator")
    @classmethod
    def _known_indicator(cls, number: int, info: ValidationInfo) -> int:
        if context_of(info)["numbers"] and number not in context_of(info)["numbers"]:
            raise fail(_("ไม่มีตัวชี้วัดที่ %(number)s ในกรอบนี้", number=number))
        return number


class _Items(Shape):
    measures: _Item | None = None
    followup: _Item | None = None
    #: The sub-indicator the memo cites
    citation: _Citation | None = None


class _Overall(Shape):
    round_tools_first: Annotated[bool, PlainValidator(lambda v: v if isinstance(v, bool) else _no_bool())] = True
    decimals: Annotated[int, PlainValidator(_whole(0, 4, "0–4"))] = 2


def _no_bool() -> bool:
    raise fail(_("ต้องเป็น true หรือ false"))


class _Framework(Shape):
    fiscal_year: Annotated[int, PlainValidator(_year)]
    name: Annotated[str, PlainValidator(_required)]
    tools: Annotated[list[_Tool], BeforeValidator(_a_list("เครื่องมือ", required=True))]
    levels: Annotated[list[Annotated[tuple[str, Decimal], PlainValidator(_level)]], BeforeValidator(_a_list(""))] = []
    ratings: Annotated[list[_Rating], BeforeValidator(_a_list(" {name, minimum, conditions}"))] = []
    pass_threshold: Annotated[Decimal | None, PlainValidator(lambda v: None if v in (None, "") else _score(v))] = None
    overall: _Overall | None = None
    items: _Items | None = None
    source: Annotated[list[str], PlainValidator(lambda v: v if isinstance(v, list) else [v] if v else [])] = []
    notes: Annotated[str, PlainValidator(lambda v: str(v or "").strip())] = ""

    checks_across = True

    @field_validator("levels")
    @classmethod
    def _bands(cls, levels: list[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
        minimums = [m for _unused, m in levels]
        if any(a <= b for a, b in zip(minimums, minimums[1:])):
            raise fail(_("ต้องเรียงจากคะแนนสูงไปต่ำ"))
        if minimums and minimums[-1] != 0:
            raise fail(_("ระดับสุดท้ายต้องมีคะแนนขั้นต่ำ 0"))
        if len({lv for lv, _unused in levels}) != len(levels):
            raise fail(_("ชื่อระดับซ้ำกัน"))
        return levels

    @field_validator("ratings")
    @classmethod
    def _rules(cls, ratings: list[_Rating]) -> list[_Rating]:
        if len({r.name for r in ratings}) != len(ratings):
            raise fail(_("ชื่อ rating ซ้ำกัน"))
        if ratings and (ratings[-1].minimum != 0 or ratings[-1].conditions):
            raise fail(_("rating สุดท้ายต้องมี minimum 0 และไม่มีเงื่อนไข เพื่อให้ทุกผลได้ rating"))
        return ratings

    @classmethod
    def check_across(cls, value: dict, context: Any) -> list[tuple[Loc, str]]:
        found: list[tuple[Loc, str]] = []
        if not value.get("levels") and not value.get("ratings"):
            found.append(((), _("ต้องมี levels หรือ ratings อย่างน้อยหนึ่งอย่าง")))
        numbers = context["numbers"]
        if numbers and sorted(numbers) != list(range(1, len(numbers) + 1)):
            found.append((("tools",), _("ตัวชี้วัดต้องมีหมายเลข 1, 2, 3 … ไม่ซ้ำและไม่ข้าม")))
        codes = context["codes"]
        ratings = value.get("ratings")
        for r, rating in enumerate(ratings if isinstance(ratings, list) else []):
            try:
                conditions = _conditions(rating.get("conditions")) if isinstance(rating, dict) else []
            except PydanticCustomError:  # reported with the rating
                continue
            unknown = sorted({c.subject for c in conditions} - set(codes) - {"overall"})
            found += [
                (
                    ("ratings", r),
                    _("ไม่มีเครื่องมือ “%(subject)s” ในกรอบนี้", subject=subject, join_codes_or=", ".join(codes) or "-"),
                )
                for subject in unknown
            ]
        tools = value.get("tools")
        if isinstance(tools, list) and len(context["weights"]) == len(tools) and sum(context["weights"]) != 1:
            found.append((("tools",), _("น้ำหนักของเครื่องมือรวมกันต้องเท่ากับ 1")))
        return found


def parse_framework(raw: Any, source: str = "framework") -> FrameworkSpec:
    """Check a framework read from YAML, a workbook or the database; every problem is reported at once."""
    context: dict[str, list] = {"codes": [], "numbers": [], "weights": []}
    try:
        f = _Framework.model_validate(raw, context=context)
    except ValidationError as exc:
        found = problems(exc, path_text, lambda loc: _("ต้องระบุ %(name)s", name=loc[-1]))
        raise _fail(source, [f"{place} {message}".strip() for place, message in found]) from None
    items = f.items or _Items()
    return FrameworkSpec(
        fiscal_year=f.fiscal_year,
        name=f.name,
        tools=tuple(
            ToolSpec(
                t.code,
                t.name,
                t.name_en,
                t.weight,
                tuple(IndicatorSpec(i.number, i.name, i.weight) for i in t.indicators),
            )
            for t in f.tools
        ),
        levels=tuple(f.levels),
        ratings=tuple(RatingRule(r.name, r.minimum, tuple(r.conditions)) for r in f.ratings),
        pass_threshold=f.pass_threshold,
        overall=OverallRule(f.overall.round_tools_first, f.overall.decimals) if f.overall else OverallRule(),
        items=Items(
            ItemRef(items.measures.code, items.measures.title) if items.measures else None,
            ItemRef(items.followup.code, items.followup.title) if items.followup else None,
            Citation(items.citation.indicator, items.citation.sub_indicator, items.citation.title)
            if items.citation
            else None,
        ),
        source=tuple(_text(s) for s in f.source if _text(s)),
        notes=f.notes,
    )


# -- writing -----------------------------------------------------------------------------


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
