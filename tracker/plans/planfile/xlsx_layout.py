"""The plan workbook's layout (sheets, columns and their labels) and reading its cells:
text, dates and numbers as an officer types them, each problem placed by sheet,
row and column.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ...i18n import _
from ...thaidate import (
    to_arabic_digits,
)
from .places import with_cell
from .spec import (
    MAX_XLSX_ROWS,
    PathT,
    PlanFileError,
    Problem,
)


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
    thai, _unused, english = wanted.partition(" (")
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
        out = _("แผ่นงาน “%(sheet)s” แถว %(row)s", sheet=sheet, row=row)
        if column is not None:
            header = column.header if isinstance(column, Column) else column
            out += f" คอลัมน์ {letter} “{header}”" if letter else f" “{header}”"
        return out

    def locate(self, path: PathT) -> str:
        """The place in words, with the sheet, row and column it is written in."""
        return with_cell(path, self.cell(path))

    def cell(self, path: PathT) -> str:
        probe = path
        while probe:
            if probe in self.places:
                return self.places[probe]
            probe = probe[:-1]
        first = path[0] if path else ""
        sheet = self.sheet_for.get(first) or self.sheet_for.get("") or PLAN_SHEET
        return _("แผ่นงาน “%(sheet)s”", sheet=sheet)


def _rows(ws) -> list[tuple[int, list[Any]]]:
    out = []
    for idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if idx > MAX_XLSX_ROWS + 1:
            raise PlanFileError(
                [Problem(f"แผ่นงาน “{ws.title}”", _("มีเกิน %(max_xlsx_rows)s แถว", max_xlsx_rows=MAX_XLSX_ROWS))]
            )
        out.append((idx, list(row)))
    return out


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
            problems.append(Problem(where, _("ไม่รู้จักหัวคอลัมน์ “%(text)s” ใช้ได้: %(allowed)s", text=text, allowed=allowed)))
        elif key in found:
            problems.append(Problem(where, _("หัวคอลัมน์ “%(text)s” ซ้ำ", text=text)))
        else:
            found[key] = idx
    for column in columns:
        if column.required and column.key not in found:
            problems.append(
                Problem(
                    places.describe(ws.title, 1),
                    _("ไม่มีคอลัมน์ “%(column_header)s” ในแถวหัวตาราง", column_header=column.header),
                )
            )
    return found
