"""ITA framework files: YAML (the format the README documents) and an Excel workbook of the same
content, read into a checked `spec.FrameworkSpec` and written back for download and editing."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import yaml

from ..errors import ServiceError
from ..i18n import _
from ..uploads import DAMAGED_OFFICE_ERRORS, check_office_archive
from .spec import FrameworkSpec, _plain
from .spec_format import _fail, parse_framework, spec_to_dict

__all__ = ["XLSX_SHEETS", "parse_yaml", "parse_xlsx", "spec_to_yaml", "spec_to_xlsx"]

MAX_FILE_BYTES = 1024 * 1024


def parse_yaml(data: bytes | str, source: str = "framework.yaml") -> FrameworkSpec:
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise ServiceError(_("ไฟล์ %(source)s ใหญ่เกิน 1 MB", source=source))
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ServiceError(_("ไฟล์ %(source)s ไม่ใช่ข้อความ UTF-8", source=source)) from None
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise ServiceError(_("ไฟล์ %(source)s ไม่ใช่ YAML ที่ถูกต้อง", source=source, exc=exc)) from None
    except (ValueError, TypeError, RecursionError) as exc:  # absurd nesting, a value PyYAML cannot build
        raise ServiceError(
            _("ไฟล์ %(source)s อ่านค่าในไฟล์ไม่ได้", source=source, exc___class_____name=exc.__class__.__name__)
        ) from None
    return parse_framework(raw, source)


#: The workbook's sheets and their columns (first row = headers).
XLSX_SHEETS: dict[str, tuple[str, ...]] = {
    "framework": ("key", "value"),
    "tools": ("code", "name", "name_en", "weight"),
    "indicators": ("number", "name", "tool", "weight"),
    "levels": ("level", "minimum"),
    "ratings": ("name", "minimum", "conditions"),
}


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if isinstance(value, str):
        return value.strip()
    return value


def parse_xlsx(data: bytes, source: str = "framework.xlsx") -> FrameworkSpec:
    """A workbook with the sheets of `XLSX_SHEETS` (the downloadable template) → a framework."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if len(data) > MAX_FILE_BYTES:
        raise ServiceError(_("ไฟล์ %(source)s ใหญ่เกิน 1 MB", source=source))
    check_office_archive(data, ".xlsx")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError, EOFError) as exc:
        raise ServiceError(_("ไฟล์ %(source)s ไม่ใช่ไฟล์ Excel (.xlsx) ที่อ่านได้", source=source, exc=exc)) from None
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise ServiceError(_("ไฟล์ %(source)s ไม่ใช่ไฟล์ Excel (.xlsx) ที่อ่านได้", source=source, exc=exc)) from None
    missing = [name for name in ("framework", "tools", "indicators") if name not in wb.sheetnames]
    if missing:
        raise _fail(
            source,
            [_("ไม่มีชีต %(join_missing)s", join_missing=", ".join(missing))],
        )

    try:  # a read-only workbook parses each sheet while it is iterated: damage shows up here
        sheets = {name: list(wb[name].iter_rows(values_only=True)) for name in XLSX_SHEETS if name in wb.sheetnames}
    except DAMAGED_OFFICE_ERRORS as exc:
        raise ServiceError(
            _("ไฟล์ %(source)s ไม่ใช่ไฟล์ Excel (.xlsx) ที่อ่านได้", source=source, exc___class_____name=exc.__class__.__name__)
        ) from None
    finally:
        wb.close()

    def rows(name: str) -> list[dict[str, Any]]:
        if name not in sheets:
            return []
        out = []
        for values in sheets[name][1:2001]:
            cells = [_cell(v) for v in values[: len(XLSX_SHEETS[name])]]
            if all(v in (None, "") for v in cells):
                continue
            out.append(dict(zip(XLSX_SHEETS[name], cells)))
        return out

    info: dict[str, Any] = {}
    sources: list[str] = []
    for row in rows("framework"):
        key = str(row.get("key") or "").strip()
        if key == "source":
            sources.append(str(row.get("value") or ""))
        elif key:
            info[key] = row.get("value")
    raw: dict[str, Any] = {
        "fiscal_year": info.get("fiscal_year"),
        "name": info.get("name"),
        "pass_threshold": info.get("pass_threshold"),
        "source": sources,
        "notes": info.get("notes"),
    }
    if info.get("round_tools_first") not in (None, "") or info.get("decimals") not in (None, ""):
        first = info.get("round_tools_first", True)
        raw["overall"] = {
            "round_tools_first": str(first).strip().lower() not in ("false", "0", "no"),
            "decimals": info.get("decimals", 2),
        }
    items: dict[str, Any] = {}
    for key in ("measures", "followup"):
        if info.get(f"{key}_code") or info.get(f"{key}_title"):
            items[key] = {"code": info.get(f"{key}_code"), "title": info.get(f"{key}_title")}
    if info.get("citation_indicator") or info.get("citation_sub_indicator"):
        items["citation"] = {
            "indicator": info.get("citation_indicator"),
            "sub_indicator": info.get("citation_sub_indicator"),
            "title": info.get("citation_title"),
        }
    if items:
        raw["items"] = items
    tools = [dict(row, indicators=[]) for row in rows("tools")]
    by_code = {str(t.get("code") or ""): t for t in tools}
    problems: list[str] = []
    for r, row in enumerate(rows("indicators"), start=2):
        tool = by_code.get(str(row.get("tool") or ""))
        if tool is None:
            problems.append(
                _(
                    "ชีต indicators แถว %(r)s: ไม่มีเครื่องมือ “%(row_get_tool)s” ในชีต tools",
                    r=r,
                    row_get_tool=row.get("tool"),
                )
            )
            continue
        tool["indicators"].append({"number": row.get("number"), "name": row.get("name"), "weight": row.get("weight")})
    if problems:
        raise _fail(source, problems)
    raw["tools"] = tools
    raw["levels"] = [[row.get("level"), row.get("minimum")] for row in rows("levels")]
    raw["ratings"] = [
        {"name": row.get("name"), "minimum": row.get("minimum"), "conditions": str(row.get("conditions") or "")}
        for row in rows("ratings")
    ]
    return parse_framework(raw, source)


# -- writing ---------------------------------------------------------------------------


def spec_to_yaml(spec: FrameworkSpec) -> str:
    return yaml.safe_dump(spec_to_dict(spec), allow_unicode=True, sort_keys=False, width=120)


def spec_to_xlsx(spec: FrameworkSpec) -> bytes:
    """The framework as the workbook `parse_xlsx` reads (also the downloadable template)."""
    from openpyxl import Workbook

    from ..plans.exporter import write_cell

    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in XLSX_SHEETS}
    for name, headers in XLSX_SHEETS.items():
        sheets[name].append(list(headers))
    items = spec.items
    info: list[tuple[str, Any]] = [
        ("fiscal_year", spec.fiscal_year),
        ("name", spec.name),
        ("pass_threshold", _plain(spec.pass_threshold) if spec.pass_threshold is not None else ""),
        ("round_tools_first", "true" if spec.overall.round_tools_first else "false"),
        ("decimals", spec.overall.decimals),
        ("measures_code", items.measures.code if items.measures else ""),
        ("measures_title", items.measures.title if items.measures else ""),
        ("followup_code", items.followup.code if items.followup else ""),
        ("followup_title", items.followup.title if items.followup else ""),
        ("citation_indicator", items.citation.indicator if items.citation else ""),
        ("citation_sub_indicator", items.citation.sub_indicator if items.citation else ""),
        ("citation_title", items.citation.title if items.citation else ""),
        ("notes", spec.notes),
    ] + [("source", s) for s in spec.source]
    for key, value in info:
        sheets["framework"].append([key, value])
    for t in spec.tools:
        sheets["tools"].append([t.code, t.name, t.name_en, _plain(t.weight)])
        for i in t.indicators:
            sheets["indicators"].append([i.number, i.name, t.code, _plain(i.weight) if i.weight else ""])
    for level, minimum in spec.levels:
        sheets["levels"].append([level, _plain(minimum)])
    for r in spec.ratings:
        sheets["ratings"].append([r.name, _plain(r.minimum), "; ".join(c.source() for c in r.conditions)])
    for ws in sheets.values():
        for row in ws.iter_rows():
            for cell in row:
                write_cell(cell, cell.value)  # text stays text: a name starting with "=" is no formula
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 60
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
