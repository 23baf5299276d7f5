"""Reading the XLSX form of a plan file: one row per step, the plan on its own sheet,
departments on a third."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ...errors import ServiceError
from ...thaidate import (
    to_arabic_digits,
)
from ...uploads import DAMAGED_OFFICE_ERRORS, check_office_archive
from .shape import PlanSpec, validate_plan
from .spec import (
    MAX_XLSX_ROWS,
    PathT,
    PlanFileError,
    Problem,
)

# ---------------------------------------------------------------------------
# XLSX: one row per step, the plan on its own sheet, departments on a third
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    thai: str
    english: str
    width: int
    required: bool = False
    help: str = ""

    @property
    def header(self) -> str:
        return f"{self.thai} ({self.english})"


STEPS_SHEET = "ขั้นตอน (steps)"
PLAN_SHEET = "แผน (plan)"
DEPARTMENTS_SHEET = "หน่วยงาน (departments)"
EXAMPLE_SHEET = "ตัวอย่าง (example)"

STEP_COLUMNS: list[Column] = [
    Column(
        "weakness_no",
        "ประเด็นที่",
        "weakness no.",
        10,
        True,
        "ลำดับประเด็นข้อบกพร่อง 1, 2, 3 … เว้นว่างได้ในแถวต่อ ๆ ไปของประเด็นเดียวกัน",
    ),
    Column(
        "weakness_title",
        "ประเด็นข้อบกพร่อง/จุดอ่อน",
        "weakness title",
        30,
        True,
        "ใส่ในแถวแรกของประเด็น แถวต่อไปเว้นว่างหรือใส่ซ้ำให้ตรงกัน",
    ),
    Column("weakness_detail", "รายละเอียดประเด็น", "weakness detail", 30, False, "ไม่บังคับ"),
    Column("measure_no", "มาตรการที่", "measure no.", 10, True, "ลำดับมาตรการภายในประเด็น 1, 2 … (หรือ 3.2)"),
    Column("measure_title", "มาตรการ/แนวทาง", "measure title", 40, True, "ใส่ในแถวแรกของมาตรการ"),
    Column("owner", "ผู้รับผิดชอบ", "owner", 24, True, "ชื่อกอง/สำนัก เช่น สำนักปลัดเทศบาล"),
    Column("period", "ระยะเวลาดำเนินการ", "period", 20, True, "เช่น ก.ค. - ก.ย. ๒๕๖๖"),
    Column("follow_up", "การติดตามผล", "follow-up", 30, False, "ตัวชี้วัดหรือหลักฐานที่ใช้ติดตามผล"),
    Column("step_no", "ขั้นตอนที่", "step no.", 10, False, "ลำดับขั้นตอนภายในมาตรการ เว้นว่างได้ (เรียงตามแถว)"),
    Column("step_title", "วิธีการดำเนินการ", "step title", 50, True, "หนึ่งขั้นตอนต่อหนึ่งแถว"),
    Column("step_owner", "ผู้รับผิดชอบขั้นตอน", "step owner", 24, False, "เว้นว่าง = ผู้รับผิดชอบของมาตรการ"),
    Column("start", "วันเริ่ม", "start", 14, False, "เว้นว่าง = วันแรกของระยะเวลาดำเนินการ"),
    Column("due", "วันครบกำหนด", "due", 14, False, "เว้นว่าง = ระบบกระจายวันให้ในระยะเวลาดำเนินการ (วันทำการ)"),
    Column("assignee", "ผู้ได้รับมอบหมาย", "assignee email", 28, False, "อีเมลของผู้ใช้ในระบบ ไม่บังคับ"),
]

#: Plan sheet rows: (path in the plan, Thai label, English label).
PLAN_FIELDS: list[tuple[PathT, str, str]] = [
    (("organization", "name"), "ชื่อองค์กร", "organization name"),
    (("organization", "slug"), "รหัสองค์กร", "slug"),
    (("organization", "province"), "จังหวัด", "province"),
    (("fiscal_year",), "ปีงบประมาณ พ.ศ.", "fiscal year"),
    (("title",), "ชื่อแผน", "title"),
    (("status",), "สถานะแผน", "status"),
]
PLAN_SHEET_HEADER = ("หัวข้อ (field)", "ค่า (value)")

DEPARTMENT_COLUMNS: list[Column] = [
    Column("name", "ชื่อหน่วยงาน", "department name", 36, True),
    Column("email", "อีเมลหน่วยงาน", "email", 32, False),
]


def _norm_label(text: str) -> str:
    return " ".join(str(text).split()).lower()


def _label_keys(thai: str, english: str, *extra: str) -> set[str]:
    return {_norm_label(x) for x in (f"{thai} ({english})", thai, english, *extra)}


def _sheet_matches(title: str, wanted: str) -> bool:
    thai, _, english = wanted.partition(" (")
    return _norm_label(title) in _label_keys(thai, english.rstrip(")"))


def _xlsx_text(value: Any) -> Any:
    """Cell value for a text field: numbers become text as Excel shows them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, str):
        return value.strip() or None
    return value


def _xlsx_date(value: Any) -> Any:
    """A date cell: Excel gives datetimes; a BE year typed into a date cell is turned back into CE."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if value.year >= 2400:
            try:
                return value.replace(year=value.year - 543)
            except ValueError:  # 29 Feb of a year that is not leap in CE
                return value.replace(year=value.year - 543, day=28)
        return value
    return _xlsx_text(value)


def _xlsx_number(value: Any) -> int | None:
    """An order number cell: 2, "2", "๒", "3.2" (the last part counts)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = to_arabic_digits(str(value)).strip().rstrip(".")
    part = text.rsplit(".", 1)[-1]
    return int(part) if part.isdigit() else None


class _XlsxPlaces:
    def __init__(self) -> None:
        self.places: dict[PathT, str] = {}
        self.sheet_for: dict[str, str] = {}

    def at(self, path: PathT, sheet: str, row: int, column: Column | str | None = None, letter: str = "") -> None:
        self.places[path] = self.describe(sheet, row, column, letter)

    @staticmethod
    def describe(sheet: str, row: int, column: Column | str | None = None, letter: str = "") -> str:
        out = f"แผ่นงาน “{sheet}” แถว {row} (row {row})"
        if column is not None:
            header = column.header if isinstance(column, Column) else column
            out += f" คอลัมน์ {letter} “{header}”" if letter else f" “{header}”"
        return out

    def locate(self, path: PathT) -> str:
        probe = path
        while probe:
            if probe in self.places:
                return self.places[probe]
            probe = probe[:-1]
        first = path[0] if path else ""
        sheet = self.sheet_for.get(first) or self.sheet_for.get("") or PLAN_SHEET
        return f"แผ่นงาน “{sheet}” (sheet '{sheet}')"


#: What a damaged sheet raises while a read-only workbook is iterated.
DAMAGED_XLSX_ERRORS = DAMAGED_OFFICE_ERRORS


def parse_plan_xlsx(data: bytes, filename: str = "plan.xlsx") -> PlanSpec:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        check_office_archive(data, ".xlsx")
    except ServiceError as exc:
        raise PlanFileError([Problem(filename, str(exc))]) from None

    def unreadable(exc: Exception) -> PlanFileError:
        return PlanFileError(
            [
                Problem(
                    filename, f"เปิดเป็นไฟล์ Excel (.xlsx) ไม่ได้ (not a readable .xlsx workbook: {exc.__class__.__name__})"
                )
            ]
        )

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises assorted errors on damaged files
        raise unreadable(exc) from None
    try:
        return _read_workbook(wb, filename, get_column_letter)
    except PlanFileError:
        raise
    except DAMAGED_XLSX_ERRORS as exc:
        # A read-only workbook parses each sheet while it is iterated: damage shows up here.
        raise unreadable(exc) from None
    finally:
        wb.close()


def _rows(ws) -> list[tuple[int, list[Any]]]:
    out = []
    for idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if idx > MAX_XLSX_ROWS + 1:
            raise PlanFileError(
                [Problem(f"แผ่นงาน “{ws.title}”", f"มีเกิน {MAX_XLSX_ROWS} แถว (more than {MAX_XLSX_ROWS} rows)")]
            )
        out.append((idx, list(row)))
    return out


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


def _header_map(
    ws, header: list[Any], columns: list[Column], places: _XlsxPlaces, problems: list[Problem], letter_of
) -> dict[str, int]:
    wanted = {c.key: _label_keys(c.thai, c.english, c.key) for c in columns}
    found: dict[str, int] = {}
    for idx, cell in enumerate(header):
        text = _xlsx_text(cell)
        if text is None or not isinstance(text, str):
            continue
        key = next((k for k, labels in wanted.items() if _norm_label(text) in labels), None)
        where = places.describe(ws.title, 1, text, letter_of(idx + 1))
        if key is None:
            allowed = ", ".join(c.header for c in columns)
            problems.append(Problem(where, f"ไม่รู้จักหัวคอลัมน์ “{text}” ใช้ได้: {allowed} (unknown column '{text}')"))
        elif key in found:
            problems.append(Problem(where, f"หัวคอลัมน์ “{text}” ซ้ำ (duplicate column)"))
        else:
            found[key] = idx
    for column in columns:
        if column.required and column.key not in found:
            problems.append(
                Problem(
                    places.describe(ws.title, 1),
                    f"ไม่มีคอลัมน์ “{column.header}” ในแถวหัวตาราง (column '{column.header}' is missing from the header row)",
                )
            )
    return found


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


def _read_steps_sheet(ws, raw: dict, places: _XlsxPlaces, problems: list[Problem], letter_of) -> None:
    rows = _rows(ws)
    if not rows:
        problems.append(Problem(f"แผ่นงาน “{ws.title}”", "ไม่มีข้อมูล (the sheet is empty)"))
        return
    by_key = {c.key: c for c in STEP_COLUMNS}
    cols = _header_map(ws, rows[0][1], STEP_COLUMNS, places, problems, letter_of)
    if any(c.required and c.key not in cols for c in STEP_COLUMNS):
        return

    def cell_place(path: PathT, row_no: int, key: str) -> None:
        places.at(path, ws.title, row_no, by_key[key], letter_of(cols[key] + 1))

    weaknesses: list[dict] = []
    w_numbers: dict[int, int] = {}  # weakness no. → first row, to catch scattered rows
    current_w: dict | None = None
    current_m: dict | None = None
    dates = {"start", "due"}

    for row_no, row in rows[1:]:
        values: dict[str, Any] = {}
        for key, idx in cols.items():
            cell = row[idx] if idx < len(row) else None
            values[key] = _xlsx_date(cell) if key in dates else _xlsx_text(cell)
        if all(v is None for v in values.values()):
            continue
        here = places.describe(ws.title, row_no)

        # -- weakness
        w_no_raw = values.get("weakness_no")
        if w_no_raw is None:
            if current_w is None:
                problems.append(Problem(here, "แถวแรกต้องระบุประเด็นที่ (the first row needs a weakness no.)"))
                continue
        else:
            w_no = _xlsx_number(w_no_raw)
            if w_no is None:
                problems.append(
                    Problem(
                        places.describe(ws.title, row_no, by_key["weakness_no"], letter_of(cols["weakness_no"] + 1)),
                        f"ประเด็นที่ต้องเป็นตัวเลข ไม่ใช่ “{w_no_raw}” (weakness no. must be a number)",
                    )
                )
                continue
            if current_w is None or w_no != current_w["no"]:
                if w_no in w_numbers:
                    problems.append(
                        Problem(
                            here,
                            f"แถวของประเด็นที่ {w_no} ต้องอยู่ติดกัน (เริ่มที่แถว {w_numbers[w_no]}) "
                            f"(rows of weakness {w_no} must be together; it starts on row {w_numbers[w_no]})",
                        )
                    )
                    continue
                expected = len(weaknesses) + 1
                if w_no != expected:
                    problems.append(
                        Problem(
                            places.describe(
                                ws.title, row_no, by_key["weakness_no"], letter_of(cols["weakness_no"] + 1)
                            ),
                            f"ประเด็นที่ควรเป็น {expected} (เรียงลำดับ 1, 2, 3 …) (weakness no. should be {expected})",
                        )
                    )
                w_numbers[w_no] = row_no
                path = ("weaknesses", len(weaknesses))
                current_w = {
                    "no": w_no,
                    "row": row_no,
                    "path": path,
                    "data": {"title": values.get("weakness_title"), "measures": []},
                }
                if values.get("weakness_detail") is not None:
                    current_w["data"]["detail"] = values["weakness_detail"]
                weaknesses.append(current_w["data"])
                places.at(path, ws.title, row_no)
                cell_place(path + ("title",), row_no, "weakness_title")
                cell_place(path + ("measures",), row_no, "measure_no")
                if "weakness_detail" in cols:
                    cell_place(path + ("detail",), row_no, "weakness_detail")
                current_m = None
        assert current_w is not None
        if row_no != current_w["row"]:
            _check_repeat(
                problems,
                places,
                ws.title,
                row_no,
                current_w["row"],
                current_w["data"],
                {"title": "weakness_title", "detail": "weakness_detail"},
                values,
                by_key,
                cols,
                letter_of,
            )

        # -- measure
        m_no_raw = values.get("measure_no")
        w_path = current_w["path"]
        measures = current_w["data"]["measures"]
        if m_no_raw is None:
            if current_m is None:
                problems.append(
                    Problem(here, "แถวแรกของประเด็นต้องระบุมาตรการที่ (the first row of a weakness needs a measure no.)")
                )
                continue
        else:
            m_no = _xlsx_number(m_no_raw)
            if m_no is None:
                problems.append(
                    Problem(
                        places.describe(ws.title, row_no, by_key["measure_no"], letter_of(cols["measure_no"] + 1)),
                        f"มาตรการที่ต้องเป็นตัวเลข ไม่ใช่ “{m_no_raw}” (measure no. must be a number)",
                    )
                )
                continue
            if current_m is None or m_no != current_m["no"]:
                if any(m["no"] == m_no for m in current_w.setdefault("seen", [])):
                    problems.append(
                        Problem(here, f"แถวของมาตรการที่ {m_no} ต้องอยู่ติดกัน (rows of measure {m_no} must be together)")
                    )
                    continue
                expected = len(measures) + 1
                if m_no != expected:
                    problems.append(
                        Problem(
                            places.describe(ws.title, row_no, by_key["measure_no"], letter_of(cols["measure_no"] + 1)),
                            f"มาตรการที่ควรเป็น {expected} (measure no. should be {expected})",
                        )
                    )
                path = w_path + ("measures", len(measures))
                data = {
                    k: values.get(col)
                    for k, col in (("title", "measure_title"), ("owner", "owner"), ("period", "period"))
                }
                if values.get("follow_up") is not None:
                    data["follow_up"] = values["follow_up"]
                data["steps"] = []
                current_m = {"no": m_no, "row": row_no, "path": path, "data": data}
                current_w["seen"].append(current_m)
                measures.append(data)
                places.at(path, ws.title, row_no)
                for key, col in (
                    ("title", "measure_title"),
                    ("owner", "owner"),
                    ("period", "period"),
                    ("follow_up", "follow_up"),
                    ("steps", "step_title"),
                ):
                    if col in cols:
                        cell_place(path + (key,), row_no, col)
        assert current_m is not None
        if row_no != current_m["row"]:
            _check_repeat(
                problems,
                places,
                ws.title,
                row_no,
                current_m["row"],
                current_m["data"],
                {"title": "measure_title", "owner": "owner", "period": "period", "follow_up": "follow_up"},
                values,
                by_key,
                cols,
                letter_of,
            )

        # -- step
        steps = current_m["data"]["steps"]
        path = current_m["path"] + ("steps", len(steps))
        step_no = values.get("step_no")
        if step_no is not None and _xlsx_number(step_no) != len(steps) + 1:
            problems.append(
                Problem(
                    places.describe(ws.title, row_no, by_key["step_no"], letter_of(cols["step_no"] + 1)),
                    f"ขั้นตอนที่ควรเป็น {len(steps) + 1} ตามลำดับแถว หรือเว้นว่าง "
                    f"(step no. should be {len(steps) + 1}, following the rows, or blank)",
                )
            )
        step: dict[str, Any] = {"title": values.get("step_title")}
        for key, col in (("owner", "step_owner"), ("start", "start"), ("due", "due"), ("assignee", "assignee")):
            if values.get(col) is not None:
                step[key] = values[col]
        steps.append(step)
        places.at(path, ws.title, row_no)
        for key, col in (
            ("title", "step_title"),
            ("owner", "step_owner"),
            ("start", "start"),
            ("due", "due"),
            ("assignee", "assignee"),
        ):
            if col in cols:
                cell_place(path + (key,), row_no, col)
    if weaknesses:
        raw["weaknesses"] = weaknesses


def _check_repeat(problems, places, sheet, row_no, first_row, data, fields, values, by_key, cols, letter_of) -> None:
    """A repeated weakness/measure field must match its first row (blank is fine)."""
    for key, col in fields.items():
        value = values.get(col)
        if value is None:
            continue
        if data.get(key) is None:
            problems.append(
                Problem(
                    places.describe(sheet, row_no, by_key[col], letter_of(cols[col] + 1)),
                    f"ใส่ค่านี้ในแถวแรก (แถว {first_row}) ของกลุ่มนี้ (give this value on the group's first row, row {first_row})",
                )
            )
        elif value != data[key]:
            problems.append(
                Problem(
                    places.describe(sheet, row_no, by_key[col], letter_of(cols[col] + 1)),
                    f"ไม่ตรงกับแถว {first_row} ให้เว้นว่างหรือใส่ให้ตรงกัน (differs from row {first_row}; leave it blank or repeat it exactly)",
                )
            )
