"""Reading the XLSX form of a plan file: one row per step, the plan on its own sheet,
departments on a third."""

from collections.abc import Callable
from typing import Any

from ...uploads import read_xlsx
from .shape import PlanSpec, validate_plan
from .spec import PathT, PlanFileError, Problem
from .xlsx_layout import (
    DEPARTMENT_COLUMNS,
    DEPARTMENTS_SHEET,
    EXAMPLE_SHEET,
    PLAN_FIELDS,
    PLAN_SHEET,
    PLAN_SHEET_HEADER,
    STEPS_SHEET,
    _header_map,
    _label_keys,
    _norm_label,
    _rows,
    _sheet_matches,
    _xlsx_text,
    _XlsxPlaces,
)
from .xlsx_steps import _read_steps_sheet


def parse_plan_xlsx(data: bytes, filename: str = "plan.xlsx") -> PlanSpec:
    from openpyxl.utils import get_column_letter

    return read_xlsx(
        data,
        lambda wb: _read_workbook(wb, filename, get_column_letter),
        lambda message: PlanFileError([Problem(filename, message)]),
        keep=PlanFileError,
    )


def _read_workbook(wb, filename: str, letter_of: Callable[[int], str]) -> PlanSpec:
    places = _XlsxPlaces()
    problems: list[Problem] = []
    sheets = list(wb.worksheets)

    def find(name: str):
        return next((ws for ws in sheets if _sheet_matches(ws.title, name)), None)

    steps_ws = find(STEPS_SHEET)
    plan_ws = find(PLAN_SHEET)
    dept_ws = find(DEPARTMENTS_SHEET)
    if steps_ws is None:
        # A home-made workbook: its first sheet that is not one of the others holds the steps.
        steps_ws = next(
            (ws for ws in sheets if ws not in (plan_ws, dept_ws) and not _sheet_matches(ws.title, EXAMPLE_SHEET)), None
        )
    places.sheet_for.update(
        {
            "weaknesses": steps_ws.title if steps_ws is not None else STEPS_SHEET,
            "departments": dept_ws.title if dept_ws is not None else DEPARTMENTS_SHEET,
            "": plan_ws.title if plan_ws is not None else PLAN_SHEET,
        }
    )
    raw: dict[str, Any] = {}
    if plan_ws is None:
        problems.append(
            Problem(
                filename,
                f"ไม่พบแผ่นงาน “{PLAN_SHEET}” ที่มีชื่อองค์กร รหัส ปีงบประมาณ และชื่อแผน "
                f"(sheet '{PLAN_SHEET}' with the organization, fiscal year and title is missing)",
            )
        )
    else:
        _read_plan_sheet(plan_ws, raw, places, problems)
    if dept_ws is not None:
        _read_departments_sheet(dept_ws, raw, places, problems, letter_of)
    if steps_ws is None:
        problems.append(Problem(filename, f"ไม่พบแผ่นงาน “{STEPS_SHEET}” (sheet '{STEPS_SHEET}' is missing)"))
    else:
        _read_steps_sheet(steps_ws, raw, places, problems, letter_of)
    return validate_plan(raw, places.locate, filename, problems)


def _read_plan_sheet(ws, raw: dict, places: _XlsxPlaces, problems: list[Problem]) -> None:
    labels = {path: _label_keys(thai, english, ".".join(path), path[-1]) for path, thai, english in PLAN_FIELDS}
    header_keys = {_norm_label(h) for h in PLAN_SHEET_HEADER}
    seen: dict[PathT, int] = {}
    # Present even when empty, so that a blank form names each missing field.
    raw.setdefault("organization", {})
    for row_no, row in _rows(ws):
        label = _xlsx_text(row[0] if row else None)
        value = row[1] if len(row) > 1 else None
        if label is None or label is True or label is False:
            if value not in (None, ""):
                problems.append(
                    Problem(
                        places.describe(ws.title, row_no),
                        "มีค่าแต่ไม่มีชื่อหัวข้อในคอลัมน์ A (a value without a field name in column A)",
                    )
                )
            continue
        key = _norm_label(label)
        if key in header_keys:
            continue
        path = next((p for p, keys in labels.items() if key in keys), None)
        if path is None:
            allowed = ", ".join(f"{t} ({e})" for _, t, e in PLAN_FIELDS)
            problems.append(
                Problem(
                    places.describe(ws.title, row_no), f"ไม่รู้จักหัวข้อ “{label}” ใช้ได้: {allowed} (unknown field '{label}')"
                )
            )
            continue
        if path in seen:
            problems.append(
                Problem(
                    places.describe(ws.title, row_no),
                    f"หัวข้อ “{label}” ซ้ำกับแถว {seen[path]} (duplicate field, see row {seen[path]})",
                )
            )
            continue
        seen[path] = row_no
        places.at(path, ws.title, row_no, "ค่า (value)")
        if path == ("fiscal_year",):
            value = value if isinstance(value, int) and not isinstance(value, bool) else _xlsx_text(value)
        else:
            value = _xlsx_text(value)
        if value is None:
            continue
        if path[0] == "organization":
            raw["organization"][path[1]] = value
        else:
            raw[path[0]] = value
    places.at(("organization",), ws.title, seen.get(("organization", "name"), 1))


def _read_departments_sheet(ws, raw: dict, places: _XlsxPlaces, problems: list[Problem], letter_of) -> None:
    rows = _rows(ws)
    if not rows:
        return
    cols = _header_map(ws, rows[0][1], DEPARTMENT_COLUMNS, places, problems, letter_of)
    if "name" not in cols:
        return
    items: list[dict] = []
    for row_no, row in rows[1:]:
        values = {k: _xlsx_text(row[i]) if i < len(row) else None for k, i in cols.items()}
        if all(v is None for v in values.values()):
            continue
        path: PathT = ("departments", len(items))
        places.at(path, ws.title, row_no)
        for column in DEPARTMENT_COLUMNS:
            if column.key in cols:
                places.at(path + (column.key,), ws.title, row_no, column, letter_of(cols[column.key] + 1))
        items.append({k: v for k, v in values.items() if v is not None} | {"name": values.get("name")})
    if items:
        raw["departments"] = items
