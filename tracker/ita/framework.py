"""ITA frameworks as data files, one per fiscal year.

A framework file (YAML) names the year, the levels with their minimum
scores, and the tools with their weights and indicators::

    fiscal_year: 2565
    name: การประเมินคุณธรรมและความโปร่งใส… ประจำปีงบประมาณ พ.ศ. 2565
    levels: [[AA, "95"], [A, "85"], [B, "75"], [C, "65"], [D, "55"], [E, "50"], [F, "0"]]
    tools:
      - code: IIT
        name: แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายใน
        name_en: Internal Integrity and Transparency Assessment
        weight: "0.30"
        indicators:
          - {number: 1, name: การปฏิบัติหน้าที่}

The files shipped in ``tracker/ita/frameworks/<year>.yaml`` are loaded into the
database the first time a year is used (`ensure_framework`); another year's
framework is loaded with `load_framework_file` (``tracker ita framework FILE``).
Like every service these flush and never commit.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.exc import IntegrityError

from ..db import db
from ..errors import ServiceError
from .models import ItaFramework, ItaIndicator, ItaScore, ItaTool

__all__ = [
    "FRAMEWORK_DIR",
    "FrameworkSpec",
    "ToolSpec",
    "IndicatorSpec",
    "shipped_years",
    "read_framework_file",
    "parse_framework",
    "load_framework_file",
    "apply_framework",
    "ensure_framework",
    "find_framework",
    "framework_available",
]

FRAMEWORK_DIR = Path(__file__).with_name("frameworks")
MIN_YEAR, MAX_YEAR = 2500, 2700


@dataclass(frozen=True)
class IndicatorSpec:
    number: int
    name: str


@dataclass(frozen=True)
class ToolSpec:
    code: str
    name: str
    name_en: str
    weight: Decimal
    indicators: tuple[IndicatorSpec, ...]


@dataclass(frozen=True)
class FrameworkSpec:
    fiscal_year: int
    name: str
    #: (level, minimum score), highest first
    levels: tuple[tuple[str, Decimal], ...]
    tools: tuple[ToolSpec, ...]


def _fail(source: str, problems: list[str]) -> ServiceError:
    lines = "\n".join(f"- {p}" for p in problems)
    return ServiceError(f"กรอบการประเมินใน {source} ไม่ถูกต้อง (invalid ITA framework):\n{lines}")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def parse_framework(raw: Any, source: str = "framework") -> FrameworkSpec:
    """Check a framework read from YAML; every problem is reported at once."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise _fail(source, ["ต้องเป็น mapping ที่มี fiscal_year, name, levels, tools (expected a mapping)"])
    year = raw.get("fiscal_year")
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        problems.append(f"fiscal_year ต้องเป็นปี พ.ศ. เช่น 2565 ไม่ใช่ {year!r} (a Buddhist-Era year)")
    name = str(raw.get("name") or "").strip()
    if not name:
        problems.append("ต้องระบุ name (the framework's name is required)")

    levels: list[tuple[str, Decimal]] = []
    raw_levels = raw.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        problems.append("levels ต้องเป็นรายการ [ระดับ, คะแนนขั้นต่ำ] (levels: a list of [level, minimum])")
    else:
        for i, item in enumerate(raw_levels, start=1):
            minimum = _decimal(item[1]) if isinstance(item, list) and len(item) == 2 else None
            if minimum is None or not str(item[0]).strip() or not 0 <= minimum <= 100:
                problems.append(f"levels[{i}] ต้องเป็น [ระดับ, คะแนน 0–100] (levels[{i}]: [level, minimum 0–100])")
                continue
            levels.append((str(item[0]).strip(), minimum))
        minimums = [m for _, m in levels]
        if len(levels) == len(raw_levels):
            if any(a <= b for a, b in zip(minimums, minimums[1:])):
                problems.append("levels ต้องเรียงจากคะแนนสูงไปต่ำ (levels must go from the highest minimum down)")
            if minimums[-1] != 0:
                problems.append("ระดับสุดท้ายต้องมีคะแนนขั้นต่ำ 0 (the last level's minimum must be 0)")
            if len({lv for lv, _ in levels}) != len(levels):
                problems.append("ชื่อระดับซ้ำกัน (duplicate level names)")

    tools: list[ToolSpec] = []
    raw_tools = raw.get("tools")
    if not isinstance(raw_tools, list) or not raw_tools:
        problems.append("tools ต้องเป็นรายการเครื่องมือ (tools: a list)")
        raw_tools = []
    numbers: list[int] = []
    for t, tool in enumerate(raw_tools, start=1):
        where = f"tools[{t}]"
        if not isinstance(tool, dict):
            problems.append(f"{where} ต้องเป็น mapping (must be a mapping)")
            continue
        code = str(tool.get("code") or "").strip()
        tname = str(tool.get("name") or "").strip()
        weight = _decimal(tool.get("weight"))
        if not code or not tname:
            problems.append(f"{where} ต้องมี code และ name (code and name are required)")
        if weight is None or not 0 < weight <= 1:
            problems.append(f"{where}.weight ต้องอยู่ระหว่าง 0 ถึง 1 เช่น \"0.30\" (weight between 0 and 1)")
            weight = Decimal(0)
        indicators: list[IndicatorSpec] = []
        raw_indicators = tool.get("indicators")
        if not isinstance(raw_indicators, list) or not raw_indicators:
            problems.append(f"{where}.indicators ต้องมีอย่างน้อยหนึ่งตัวชี้วัด (at least one indicator)")
            raw_indicators = []
        for i, ind in enumerate(raw_indicators, start=1):
            number = ind.get("number") if isinstance(ind, dict) else None
            iname = str(ind.get("name") or "").strip() if isinstance(ind, dict) else ""
            if not isinstance(number, int) or isinstance(number, bool) or number < 1 or not iname:
                problems.append(f"{where}.indicators[{i}] ต้องมี number (1, 2, …) และ name (number and name)")
                continue
            indicators.append(IndicatorSpec(number, iname))
            numbers.append(number)
        tools.append(ToolSpec(code, tname, str(tool.get("name_en") or "").strip(), weight, tuple(indicators)))
    codes = [t.code for t in tools]
    if len(set(codes)) != len(codes):
        problems.append("รหัสเครื่องมือซ้ำกัน (duplicate tool codes)")
    if numbers and sorted(numbers) != list(range(1, len(numbers) + 1)):
        problems.append("ตัวชี้วัดต้องมีหมายเลข 1, 2, 3 … ไม่ซ้ำและไม่ข้าม (indicators must be numbered 1..n once each)")
    if tools and all(t.weight for t in tools) and sum(t.weight for t in tools) != 1:
        problems.append("น้ำหนักของเครื่องมือรวมกันต้องเท่ากับ 1 (tool weights must add up to 1)")
    if problems:
        raise _fail(source, problems)
    return FrameworkSpec(year, name, tuple(levels), tuple(tools))


def read_framework_file(path: str | Path) -> FrameworkSpec:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ServiceError(f"ไม่พบไฟล์ {path} (file not found)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceError(f"อ่านไฟล์ {path} ไม่ได้ (cannot read the file: {exc})") from None
    except yaml.YAMLError as exc:
        raise ServiceError(f"ไฟล์ {path} ไม่ใช่ YAML ที่ถูกต้อง (not valid YAML: {exc})") from None
    return parse_framework(raw, str(path.name))


def shipped_years() -> list[int]:
    """Fiscal years whose framework ships with the tracker."""
    return sorted(int(p.stem) for p in FRAMEWORK_DIR.glob("*.yaml") if p.stem.isdigit())


def find_framework(fiscal_year: int) -> ItaFramework | None:
    if not 2400 <= fiscal_year <= 2800:  # not a BE year (and beyond what the database can hold)
        return None
    return db.session.scalar(sa.select(ItaFramework).where(ItaFramework.fiscal_year == fiscal_year))


def framework_available(fiscal_year: int) -> bool:
    return find_framework(fiscal_year) is not None or fiscal_year in shipped_years()


def apply_framework(spec: FrameworkSpec) -> ItaFramework:
    """Create the year's framework, or bring an existing one in line with the spec.

    Names, weights and levels are updated in place (scores stay attached to
    their indicator numbers); an indicator that has scores cannot be removed.
    """
    framework = find_framework(spec.fiscal_year)
    if framework is None:
        framework = ItaFramework(fiscal_year=spec.fiscal_year)
        db.session.add(framework)
    framework.name = spec.name
    framework.levels_json = json.dumps([[level, str(minimum)] for level, minimum in spec.levels])

    wanted_numbers = {i.number for t in spec.tools for i in t.indicators}
    for indicator in list(framework.indicators):
        if indicator.number in wanted_numbers:
            continue
        if indicator.id is not None and db.session.scalar(
            sa.select(sa.func.count()).select_from(ItaScore).where(ItaScore.indicator_id == indicator.id)
        ):
            raise ServiceError(
                f"ตัวชี้วัดที่ {indicator.number} ของปี {spec.fiscal_year} มีคะแนนบันทึกไว้แล้ว ลบออกจากกรอบไม่ได้ "
                f"(indicator {indicator.number} of {spec.fiscal_year} has scores and cannot be removed)"
            )
        framework.indicators.remove(indicator)  # delete-orphan removes the row

    tools = {t.code: t for t in framework.tools}
    indicators = {i.number: i for i in framework.indicators}
    for order, tspec in enumerate(spec.tools, start=1):
        tool = tools.pop(tspec.code, None)
        if tool is None:
            tool = ItaTool(framework=framework, code=tspec.code)
            db.session.add(tool)  # SQLAlchemy 2 does not cascade along the backref
        tool.name, tool.name_en, tool.weight, tool.order = tspec.name, tspec.name_en, tspec.weight, order
        for ispec in tspec.indicators:
            indicator = indicators.get(ispec.number)
            if indicator is None:
                indicator = ItaIndicator(framework=framework, number=ispec.number)
                db.session.add(indicator)
            indicator.name, indicator.tool = ispec.name, tool
    for tool in tools.values():  # tools no longer in the file; their indicators moved or went above
        framework.tools.remove(tool)
    db.session.flush()
    db.session.refresh(framework)
    return framework


def load_framework_file(path: str | Path) -> ItaFramework:
    """Load (or update) a framework from a YAML file into the database."""
    return apply_framework(read_framework_file(path))


def ensure_framework(fiscal_year: int) -> ItaFramework:
    """The year's framework from the database, loading the shipped file the first time.

    Raises ServiceError when the year has neither (a new year needs its own
    file: ``tracker ita framework FILE``).
    """
    framework = find_framework(fiscal_year)
    if framework is not None:
        return framework
    path = FRAMEWORK_DIR / f"{fiscal_year}.yaml"
    if not path.exists():
        raise ServiceError(
            f"ยังไม่มีกรอบการประเมิน ITA ของปีงบประมาณ {fiscal_year} "
            f"(no ITA framework for fiscal year {fiscal_year}; load one with `tracker ita framework FILE`)"
        )
    spec = read_framework_file(path)
    if spec.fiscal_year != fiscal_year:
        raise ServiceError(f"ไฟล์ {path.name} เป็นกรอบของปี {spec.fiscal_year} (the file is for {spec.fiscal_year})")
    # Two requests may load the same year at once: the loser finds the winner's rows.
    try:
        with db.session.begin_nested():
            framework = apply_framework(spec)
    except IntegrityError:
        framework = find_framework(fiscal_year)
        if framework is None:
            raise
    return framework
