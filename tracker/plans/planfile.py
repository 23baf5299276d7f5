"""Plan files: read a plan written in YAML or XLSX into a plain, validated PlanSpec.

Nothing here touches the database. Reading collects every problem it finds,
each with its place, and raises them all at once as `PlanFileError`, so an
officer can fix a file in one go.

Places are given the way an officer reads the file:

* YAML: a path with 1-based numbers, e.g. ``weaknesses[2].measures[1].steps[3].due``
  is the due date of the third step of the first measure of the second
  weakness. Syntax errors give the line and column.
* XLSX: the sheet, the row number as Excel shows it, and the column.

Dates are ISO (``2023-08-15``) or anything `thaidate.parse_date` reads
(``15/08/2566``, ``15 ส.ค. ๒๕๖๖``); periods are `thaidate.parse_period` text
(``ก.ค. - ก.ย. ๒๕๖๖``) or ``{start: …, end: …}``.
"""
from __future__ import annotations

import difflib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from ..auth.services import normalize_email
from ..errors import ServiceError
from ..uploads import DAMAGED_OFFICE_ERRORS, check_office_archive
from ..thaidate import (
    DateParseError,
    PeriodError,
    fiscal_year_bounds,
    format_date,
    format_period,
    parse_date,
    parse_period,
    spread_due_dates,
    to_arabic_digits,
)
from .models import PlanStatus

__all__ = [
    "Problem",
    "PlanFileError",
    "PlanSpec",
    "OrganizationSpec",
    "DepartmentSpec",
    "WeaknessSpec",
    "MeasureSpec",
    "StepSpec",
    "load_plan_file",
    "load_plan_bytes",
    "parse_plan_yaml",
    "parse_plan_xlsx",
    "resolve_due_dates",
    "SLUG_RE",
    "STEP_COLUMNS",
    "PLAN_FIELDS",
    "DEPARTMENT_COLUMNS",
    "STEPS_SHEET",
    "PLAN_SHEET",
    "DEPARTMENTS_SHEET",
]

SLUG_RE = re.compile(r"[a-z0-9-]{2,64}")
#: Characters no plan text may hold: C0 controls but tab and line breaks, DEL,
#: and the non-characters PyYAML refuses. PostgreSQL refuses NUL in text, so
#: SQLite must never be the database that accepts it.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
CONTROL_MESSAGE = ("มีอักขระควบคุมที่มองไม่เห็น (เช่น NUL) ซึ่งไม่ใช่ข้อความ ให้ลบออก "
                   "(contains an invisible control character such as NUL; remove it)")
MIN_FISCAL_YEAR, MAX_FISCAL_YEAR = 2500, 2700
#: A plan file larger than this is surely not a plan (and would only eat memory).
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_XLSX_ROWS = 5000
# Column sizes of the tables the text ends up in (PostgreSQL enforces them).
MAX_NAME = 200
MAX_PROVINCE = 100


# ---------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong (Thai first, English in parentheses) and where."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


class PlanFileError(ServiceError):
    """A plan file cannot be used; `.problems` lists every reason with its place."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# ---------------------------------------------------------------------------
# The spec: plain data the importer applies
# ---------------------------------------------------------------------------


@dataclass
class OrganizationSpec:
    name: str
    slug: str
    province: str


@dataclass
class DepartmentSpec:
    name: str
    email: str | None
    place: str


@dataclass
class StepSpec:
    title: str
    #: Department name; None means the measure's owner.
    owner: str | None
    start: date
    due: date
    #: E-mail of an existing user of the organization, checked by the importer.
    assignee: str | None
    place: str
    assignee_place: str


@dataclass
class MeasureSpec:
    title: str
    owner: str
    period_start: date
    period_end: date
    follow_up: str
    steps: list[StepSpec]
    place: str


@dataclass
class WeaknessSpec:
    title: str
    detail: str
    measures: list[MeasureSpec]
    place: str


@dataclass
class PlanSpec:
    organization: OrganizationSpec
    fiscal_year: int
    title: str
    #: None when the file does not say: a new plan is active, an existing one keeps its status.
    status: PlanStatus | None
    departments: list[DepartmentSpec]
    weaknesses: list[WeaknessSpec]
    #: The file name, for messages.
    source: str = ""
    #: Where the organization's slug is written, for problems found against the database.
    organization_place: str = ""

    @property
    def measures(self) -> list[MeasureSpec]:
        return [m for w in self.weaknesses for m in w.measures]

    @property
    def steps(self) -> list[StepSpec]:
        return [s for m in self.measures for s in m.steps]

    def owner_names(self) -> list[str]:
        """Every department the plan names, listed first, then owners, in order of appearance."""
        names: list[str] = []
        for name in [d.name for d in self.departments] + [
            n for m in self.measures for n in [m.owner] + [s.owner for s in m.steps if s.owner]
        ]:
            if name not in names:
                names.append(name)
        return names


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

YAML_SUFFIXES = (".yaml", ".yml")
XLSX_SUFFIXES = (".xlsx",)


def load_plan_file(path: str | Path) -> PlanSpec:
    """Read a .yaml/.yml/.xlsx plan file; raise PlanFileError with every problem."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError(path)
    except FileNotFoundError:
        raise PlanFileError([Problem(str(path), "ไม่พบไฟล์ (file not found)")]) from None
    except IsADirectoryError:
        raise PlanFileError([Problem(str(path), "เป็นโฟลเดอร์ ไม่ใช่ไฟล์ (this is a folder, not a file)")]) from None
    except OSError as exc:
        raise PlanFileError([Problem(str(path), f"เปิดไฟล์ไม่ได้ (cannot open the file: {exc.strerror})")]) from None
    if size > MAX_FILE_BYTES:
        raise PlanFileError([_too_big(str(path))])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanFileError([Problem(str(path), f"อ่านไฟล์ไม่ได้ (cannot read the file: {exc.strerror})")]) from None
    return load_plan_bytes(data, path.name)


def load_plan_bytes(data: bytes, filename: str) -> PlanSpec:
    """Read a plan from bytes; the file name's extension decides YAML or XLSX."""
    suffix = Path(filename or "").suffix.lower()
    if len(data) > MAX_FILE_BYTES:
        raise PlanFileError([_too_big(filename)])
    if suffix in YAML_SUFFIXES:
        return parse_plan_yaml(data, filename)
    if suffix in XLSX_SUFFIXES:
        return parse_plan_xlsx(data, filename)
    raise PlanFileError(
        [
            Problem(
                filename or "",
                f"รับเฉพาะไฟล์ .yaml .yml หรือ .xlsx ไม่ใช่ “{suffix or '(ไม่มีนามสกุล)'}” "
                f"(only .yaml, .yml or .xlsx plan files are accepted, not '{suffix or 'no extension'}')",
            )
        ]
    )


def _too_big(name: str) -> Problem:
    return Problem(
        name,
        f"ไฟล์ใหญ่เกิน {MAX_FILE_BYTES // (1024 * 1024)} MB ซึ่งไม่น่าจะเป็นไฟล์แผน "
        f"(the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; not a plan file)",
    )


# ---------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------

PathT = tuple[Any, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that notes duplicate keys instead of silently keeping the last."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    mark = key_node.start_mark
                    self.duplicates.append((key, mark.line + 1, mark.column + 1))
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            # An impossible date such as 2023-13-01: keep the text, so that
            # validation reports it with its place like any other bad date.
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def yaml_place(path: PathT) -> str:
    """("weaknesses", 1, "measures", 0, "due") → "weaknesses[2].measures[1].due" (1-based)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _is_utf16(data: bytes) -> bool:
    """UTF-16 text without its byte-order mark (Notepad's "Unicode"): it reads cleanly as UTF-16."""
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not CONTROL_CHARS.search(text):
            return True
    return False


def parse_plan_yaml(data: bytes | str, filename: str = "plan.yaml") -> PlanSpec:
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PlanFileError(
                [Problem(filename, f"ไฟล์ไม่ได้เข้ารหัสแบบ UTF-8 (the file is not UTF-8 text: byte {exc.start})")]
            ) from None
    else:
        text = data
    bad = CONTROL_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - text.rfind("\n", 0, bad.start())
        utf16 = isinstance(data, bytes) and _is_utf16(data)
        raise PlanFileError([Problem(
            f"{filename} บรรทัด {line} คอลัมน์ {column} (line {line}, column {column})",
            "ไฟล์เป็น UTF-16 ให้บันทึกใหม่เป็น UTF-8 (the file is UTF-16 text; save it as UTF-8)" if utf16
            else CONTROL_MESSAGE,
        )])
    loader = None
    try:
        loader = _Loader(text)  # its reader checks the characters already
        raw = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{filename} บรรทัด {mark.line + 1} คอลัมน์ {mark.column + 1} (line {mark.line + 1}, column {mark.column + 1})" if mark else filename
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise PlanFileError(
            [Problem(where, f"รูปแบบ YAML ไม่ถูกต้อง เช่น การย่อหน้าหรือเครื่องหมาย : ผิดที่ (YAML syntax error: {what})")]
        ) from None
    except yaml.YAMLError as exc:
        raise PlanFileError([Problem(filename, f"รูปแบบ YAML ไม่ถูกต้อง (YAML error: {exc})")]) from None
    except (ValueError, TypeError, RecursionError) as exc:
        # A value PyYAML cannot build (or absurd nesting): still a message, never a traceback.
        raise PlanFileError([Problem(filename, f"อ่านค่าในไฟล์ไม่ได้ (cannot read a value: {exc})")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    problems = [
        Problem(
            f"{filename} บรรทัด {line} คอลัมน์ {col} (line {line}, column {col})",
            f"หัวข้อ “{key}” ซ้ำในชุดเดียวกัน (duplicate key '{key}')",
        )
        for key, line, col in loader.duplicates
    ]
    if raw is None:
        raise PlanFileError([Problem(filename, "ไฟล์ว่างเปล่า ไม่มีข้อมูลแผน (the file is empty)")])

    def locate(path: PathT) -> str:
        return yaml_place(path) or filename

    return _Validator(locate, filename).plan(raw, problems)


# ---------------------------------------------------------------------------
# Validation shared by YAML and XLSX (both arrive as nested dicts and lists)
# ---------------------------------------------------------------------------

PLAN_KEYS = ("organization", "fiscal_year", "title", "status", "departments", "weaknesses")
ORGANIZATION_KEYS = ("name", "slug", "province")
DEPARTMENT_KEYS = ("name", "email")
WEAKNESS_KEYS = ("title", "detail", "measures")
MEASURE_KEYS = ("title", "owner", "period", "follow_up", "steps")
STEP_KEYS = ("title", "owner", "start", "due", "assignee")
PERIOD_KEYS = ("start", "end")

#: Thai names of the keys, for "… is required" messages.
FIELD_LABELS = {
    "organization": "องค์กร", "name": "ชื่อ", "slug": "รหัสองค์กร", "fiscal_year": "ปีงบประมาณ",
    "title": "ชื่อ", "owner": "ผู้รับผิดชอบ (กอง/สำนัก)", "period": "ระยะเวลาดำเนินการ",
    "start": "วันเริ่ม", "end": "วันสิ้นสุด", "due": "วันครบกำหนด",
}


_TITLE_LABELS = {"weaknesses": "ชื่อประเด็น", "measures": "ชื่อมาตรการ", "steps": "ชื่อขั้นตอน", "departments": "ชื่อหน่วยงาน", "organization": "ชื่อองค์กร"}


def _missing(path: PathT) -> str:
    key = str(path[-1]) if path else ""
    label = FIELD_LABELS.get(key, "")
    if key in ("title", "name"):
        parent = path[-3] if len(path) >= 3 else path[0] if len(path) == 2 else ""
        label = _TITLE_LABELS.get(str(parent), "ชื่อแผน" if len(path) == 1 else label)
    return f"ต้องระบุ{label} ({key} is required)" if label else "ต้องระบุ (required)"


EMPTY = "ต้องไม่เว้นว่าง (must not be empty)"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "ค่าจริง/เท็จ (a yes/no value)"
    if isinstance(value, (int, float)):
        return "ตัวเลข (a number)"
    if isinstance(value, (date, datetime)):
        return "วันที่ (a date)"
    if isinstance(value, list):
        return "รายการ (a list)"
    if isinstance(value, dict):
        return "ชุดหัวข้อ (a mapping)"
    if isinstance(value, str):
        return "ข้อความ (text)"
    return type(value).__name__


def _collapse(text: str) -> str:
    """Names compare after trimming and collapsing inner whitespace."""
    return " ".join(text.split())


class _Validator:
    def __init__(self, locate: Callable[[PathT], str], source: str):
        self.locate = locate
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: PathT, message: str) -> None:
        self.problems.append(Problem(self.locate(path), message))

    # -- generic shapes ------------------------------------------------------

    def control_characters(self, value: Any, path: PathT) -> None:
        """Refuse NUL and other control characters anywhere, keys included (escaped
        in YAML as "\\0", or _x0000_ in a spreadsheet cell): the same message on every database."""
        if isinstance(value, str):
            if CONTROL_CHARS.search(value):
                self.add(path, CONTROL_MESSAGE)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and CONTROL_CHARS.search(key):
                    self.add(path, CONTROL_MESSAGE)
                self.control_characters(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.control_characters(item, path + (i,))

    def mapping(self, value: Any, path: PathT, allowed: tuple[str, ...]) -> dict | None:
        if not isinstance(value, dict):
            self.add(path, f"ต้องเป็นชุดหัวข้อแบบ ชื่อ: ค่า แต่พบ{_kind(value)} (must be a mapping of key: value)")
            return None
        for key in value:
            if key not in allowed:
                self.unknown_key(path, key, allowed)
        return value

    def unknown_key(self, path: PathT, key: Any, allowed: tuple[str, ...]) -> None:
        key_text = str(key)
        close = difflib.get_close_matches(key_text, allowed, n=1, cutoff=0.6)
        th_hint = f" หมายถึง “{close[0]}” หรือไม่" if close else ""
        en_hint = f"; did you mean '{close[0]}'?" if close else ""
        self.add(
            path + (key_text,),
            f"ไม่รู้จักหัวข้อ “{key_text}”{th_hint} ใช้ได้: {', '.join(allowed)} "
            f"(unknown key '{key_text}'{en_hint})",
        )

    def text(
        self, obj: dict, key: str, path: PathT, *, required: bool, max_len: int | None = None
    ) -> str | None:
        value = obj.get(key)
        return self.text_value(value, path + (key,), required=required, max_len=max_len, present=key in obj)

    def text_value(
        self, value: Any, path: PathT, *, required: bool, max_len: int | None = None, present: bool = True
    ) -> str | None:
        if value is None:
            if required:
                self.add(path, _missing(path) if not present else EMPTY)
            return None
        if not isinstance(value, str):
            self.add(path, f"ต้องเป็นข้อความ แต่พบ{_kind(value)} (must be text)")
            return None
        value = value.strip()
        if not value:
            if required:
                self.add(path, EMPTY)
            return None
        if max_len is not None and len(value) > max_len:
            self.add(path, f"ยาวเกิน {max_len} ตัวอักษร (longer than {max_len} characters)")
            return None
        return value

    def items(self, obj: dict, key: str, path: PathT, *, required: bool, what: str) -> list | None:
        value = obj.get(key)
        if value is None:
            if required:
                one = {"weaknesses": "weakness", "measures": "measure", "steps": "step"}.get(key, key)
                self.add(path + (key,), f"ต้องมี{what}อย่างน้อยหนึ่งรายการ (at least one {one} is required)")
            return None
        if not isinstance(value, list):
            self.add(path + (key,), f"ต้องเป็นรายการ (บรรทัดที่ขึ้นต้นด้วย “- ”) แต่พบ{_kind(value)} (must be a list)")
            return None
        if not value and required:
            self.add(path + (key,), f"ต้องมี{what}อย่างน้อยหนึ่งรายการ (the list is empty)")
            return None
        return value

    def date_value(self, value: Any, path: PathT) -> date | None:
        if isinstance(value, datetime):
            self.add(path, "ใส่เฉพาะวันที่ ไม่ต้องมีเวลา (a date without a time is expected)")
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return parse_date(value)
            except DateParseError as exc:
                self.add(path, str(exc))
                return None
        self.add(path, f"ต้องเป็นวันที่ เช่น 2023-08-15 หรือ 15/08/2566 แต่พบ{_kind(value)} (must be a date)")
        return None

    def period_value(self, value: Any, path: PathT) -> tuple[date, date] | None:
        if value is None:
            self.add(path, _missing(path))
            return None
        if isinstance(value, str):
            try:
                return parse_period_text(value)
            except PeriodError as exc:
                self.add(path, str(exc))
                return None
        if isinstance(value, dict):
            obj = self.mapping(value, path, PERIOD_KEYS)
            if obj is None:
                return None
            start = end = None
            for key in PERIOD_KEYS:
                if obj.get(key) is None:
                    self.add(path + (key,), _missing(path + (key,)))
                elif key == "start":
                    start = self.date_value(obj[key], path + (key,))
                else:
                    end = self.date_value(obj[key], path + (key,))
            if start and end and start > end:
                self.add(path, f"วันเริ่ม {start.isoformat()} อยู่หลังวันสิ้นสุด {end.isoformat()} (the period ends before it starts)")
                return None
            return (start, end) if start and end else None
        self.add(
            path,
            f"ต้องเป็นช่วงเวลา เช่น “ก.ค. - ก.ย. ๒๕๖๖” หรือ {{start: …, end: …}} แต่พบ{_kind(value)} (must be a period)",
        )
        return None

    # -- the plan ------------------------------------------------------------

    def plan(self, raw: Any, problems: list[Problem] | None = None) -> PlanSpec:
        self.problems.extend(problems or [])
        self.control_characters(raw, ())
        root = self.mapping(raw, (), PLAN_KEYS)
        if root is None:
            raise PlanFileError(self.problems)
        org = self.organization(root)
        fiscal_year = self.fiscal_year(root)
        title = self.text(root, "title", (), required=True)
        status = self.status(root)
        departments = self.departments(root)
        weaknesses: list[WeaknessSpec] = []
        for i, raw_w in enumerate(self.items(root, "weaknesses", (), required=True, what="ประเด็นข้อบกพร่อง") or []):
            weakness = self.weakness(raw_w, ("weaknesses", i), fiscal_year)
            if weakness is not None:
                weaknesses.append(weakness)
        if self.problems:
            raise PlanFileError(self.problems)
        assert org is not None and fiscal_year is not None and title is not None
        return PlanSpec(
            organization=org,
            fiscal_year=fiscal_year,
            title=title,
            status=status,
            departments=departments,
            weaknesses=weaknesses,
            source=self.source,
            organization_place=self.locate(("organization", "slug")),
        )

    def organization(self, root: dict) -> OrganizationSpec | None:
        path: PathT = ("organization",)
        if root.get("organization") is None:
            self.add(path, _missing(path))
            return None
        obj = self.mapping(root["organization"], path, ORGANIZATION_KEYS)
        if obj is None:
            return None
        name = self.text(obj, "name", path, required=True, max_len=MAX_NAME)
        slug = self.text(obj, "slug", path, required=True)
        if slug is not None and not SLUG_RE.fullmatch(slug):
            self.add(
                path + ("slug",),
                f"รหัสองค์กร “{slug}” ต้องเป็นอักษรอังกฤษตัวเล็ก a-z ตัวเลข หรือ - ยาว 2–64 ตัว เช่น banpet "
                "(the slug must be 2-64 characters of a-z, 0-9 and -)",
            )
            slug = None
        province = self.text(obj, "province", path, required=False, max_len=MAX_PROVINCE) or ""
        if name is None or slug is None:
            return None
        return OrganizationSpec(name=_collapse(name), slug=slug, province=_collapse(province))

    def fiscal_year(self, root: dict) -> int | None:
        path: PathT = ("fiscal_year",)
        value = root.get("fiscal_year")
        if value is None:
            self.add(path, _missing(path))
            return None
        if isinstance(value, str) and to_arabic_digits(value.strip()).isdigit():
            value = int(to_arabic_digits(value.strip()))
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"ต้องเป็นปี พ.ศ. เช่น 2566 แต่พบ{_kind(value)} (must be a Buddhist Era year such as 2566)")
            return None
        if not MIN_FISCAL_YEAR <= value <= MAX_FISCAL_YEAR:
            hint = f" หากเป็นปี ค.ศ. ให้ใช้ {value + 543}" if 1900 <= value <= 2200 else ""
            en_hint = f"; {value} looks like a Gregorian year, use {value + 543}" if hint else ""
            self.add(
                path,
                f"ปีงบประมาณ {value} ต้องเป็นปี พ.ศ. ระหว่าง {MIN_FISCAL_YEAR}–{MAX_FISCAL_YEAR}{hint} "
                f"(the fiscal year must be a Buddhist Era year between {MIN_FISCAL_YEAR} and {MAX_FISCAL_YEAR}{en_hint})",
            )
            return None
        return value

    def status(self, root: dict) -> PlanStatus | None:
        value = root.get("status")
        if value is None:
            return None
        if isinstance(value, str):
            wanted = value.strip().lower()
            for status in PlanStatus:
                if wanted in (status.value, status.label):
                    return status
        self.add(
            ("status",),
            f"สถานะแผนต้องเป็น draft (ร่าง), active (ดำเนินการ) หรือ closed (ปิดแล้ว) ไม่ใช่ “{value}” "
            "(status must be draft, active or closed)",
        )
        return None

    def departments(self, root: dict) -> list[DepartmentSpec]:
        out: list[DepartmentSpec] = []
        first_seen: dict[str, int] = {}
        for i, raw in enumerate(self.items(root, "departments", (), required=False, what="หน่วยงาน") or []):
            path: PathT = ("departments", i)
            email: str | None = None
            if isinstance(raw, str):
                name = self.text_value(raw, path, required=True, max_len=MAX_NAME)
            else:
                obj = self.mapping(raw, path, DEPARTMENT_KEYS)
                if obj is None:
                    continue
                name = self.text(obj, "name", path, required=True, max_len=MAX_NAME)
                raw_email = self.text(obj, "email", path, required=False)
                if raw_email is not None:
                    try:
                        email = normalize_email(raw_email)
                    except ServiceError as exc:
                        self.add(path + ("email",), str(exc))
            if name is None:
                continue
            name = _collapse(name)
            if name in first_seen:
                self.add(
                    path + ("name",),
                    f"ชื่อหน่วยงาน “{name}” ซ้ำกับ {self.locate(('departments', first_seen[name]))} "
                    f"(duplicate department name)",
                )
                continue
            first_seen[name] = i
            out.append(DepartmentSpec(name=name, email=email, place=self.locate(path)))
        return out

    def weakness(self, raw: Any, path: PathT, fiscal_year: int | None) -> WeaknessSpec | None:
        obj = self.mapping(raw, path, WEAKNESS_KEYS)
        if obj is None:
            return None
        title = self.text(obj, "title", path, required=True)
        detail = self.text(obj, "detail", path, required=False) or ""
        measures = []
        for j, raw_m in enumerate(self.items(obj, "measures", path, required=True, what="มาตรการ") or []):
            measure = self.measure(raw_m, path + ("measures", j), fiscal_year)
            if measure is not None:
                measures.append(measure)
        if title is None:
            return None
        return WeaknessSpec(title=title, detail=detail, measures=measures, place=self.locate(path))

    def measure(self, raw: Any, path: PathT, fiscal_year: int | None) -> MeasureSpec | None:
        obj = self.mapping(raw, path, MEASURE_KEYS)
        if obj is None:
            return None
        title = self.text(obj, "title", path, required=True)
        owner = self.text(obj, "owner", path, required=True, max_len=MAX_NAME)
        period = self.period_value(obj.get("period"), path + ("period",))
        if period is not None and fiscal_year is not None:
            fy_start, fy_end = fiscal_year_bounds(fiscal_year)
            if period[1] < fy_start or period[0] > fy_end:
                self.add(
                    path + ("period",),
                    f"ระยะเวลา {format_period(*period)} ไม่อยู่ในปีงบประมาณ {fiscal_year} "
                    f"({format_date(fy_start)} – {format_date(fy_end)}) "
                    f"(the period {period[0].isoformat()}..{period[1].isoformat()} does not overlap "
                    f"fiscal year {fiscal_year}: {fy_start.isoformat()}..{fy_end.isoformat()})",
                )
                period = None
        follow_up = self.text(obj, "follow_up", path, required=False) or ""
        raw_steps = self.items(obj, "steps", path, required=True, what="ขั้นตอน") or []
        drafts = [self.step(raw_s, path + ("steps", k), period) for k, raw_s in enumerate(raw_steps)]
        if title is None or owner is None or period is None or any(d is None for d in drafts):
            return None
        steps = self.resolve_steps(drafts, period, path)  # type: ignore[arg-type]
        if steps is None:
            return None
        return MeasureSpec(
            title=title,
            owner=_collapse(owner),
            period_start=period[0],
            period_end=period[1],
            follow_up=follow_up,
            steps=steps,
            place=self.locate(path),
        )

    def step(self, raw: Any, path: PathT, period: tuple[date, date] | None) -> dict | None:
        """A step with its given dates (either may be None); None if it has problems."""
        if isinstance(raw, str) or raw is None:
            title = self.text_value(raw, path, required=True)
            return None if title is None else {
                "title": title, "owner": None, "start": None, "due": None, "assignee": None, "path": path,
            }
        before = len(self.problems)
        obj = self.mapping(raw, path, STEP_KEYS)
        if obj is None:
            return None
        title = self.text(obj, "title", path, required=True)
        owner = self.text(obj, "owner", path, required=False, max_len=MAX_NAME)
        start = self.date_value(obj["start"], path + ("start",)) if obj.get("start") is not None else None
        due = self.date_value(obj["due"], path + ("due",)) if obj.get("due") is not None else None
        assignee = None
        raw_assignee = self.text(obj, "assignee", path, required=False)
        if raw_assignee is not None:
            try:
                assignee = normalize_email(raw_assignee)
            except ServiceError as exc:
                self.add(path + ("assignee",), str(exc))
        if period is not None:
            if due is not None and not period[0] <= due <= period[1]:
                self.add(
                    path + ("due",),
                    f"วันครบกำหนด {format_date(due)} อยู่นอกระยะเวลาของมาตรการ "
                    f"({format_date(period[0])} – {format_date(period[1])}) "
                    f"(due date {due.isoformat()} is outside the measure's period "
                    f"{period[0].isoformat()}..{period[1].isoformat()})",
                )
            if start is not None and not period[0] <= start <= period[1]:
                self.add(
                    path + ("start",),
                    f"วันเริ่ม {format_date(start)} อยู่นอกระยะเวลาของมาตรการ "
                    f"({format_date(period[0])} – {format_date(period[1])}) "
                    f"(start date {start.isoformat()} is outside the measure's period)",
                )
        if len(self.problems) > before:
            return None
        return {
            "title": title, "owner": _collapse(owner) if owner else None, "start": start, "due": due,
            "assignee": assignee, "path": path,
        }

    def resolve_steps(self, drafts: list[dict], period: tuple[date, date], path: PathT) -> list[StepSpec] | None:
        dues = resolve_due_dates(period[0], period[1], [d["due"] for d in drafts])
        steps: list[StepSpec] = []
        ok = True
        for draft, due in zip(drafts, dues):
            start = draft["start"] or period[0]
            if start > due:
                computed = "" if draft["due"] else " ซึ่งระบบคำนวณให้ (computed; give a due date)"
                self.add(
                    draft["path"] + ("start",),
                    f"วันเริ่ม {format_date(start)} อยู่หลังวันครบกำหนด {format_date(due)}{computed} "
                    f"(start {start.isoformat()} is after the due date {due.isoformat()})",
                )
                ok = False
                continue
            steps.append(
                StepSpec(
                    title=draft["title"],
                    owner=draft["owner"],
                    start=start,
                    due=due,
                    assignee=draft["assignee"],
                    place=self.locate(draft["path"]),
                    assignee_place=self.locate(draft["path"] + ("assignee",)),
                )
            )
        return steps if ok else None


def parse_period_text(text: str) -> tuple[date, date]:
    """A period as officers write it ("ก.ค. - ก.ย. ๒๕๖๖"), or two dates joined by
    "–" or "ถึง" ("2023-07-15 – 2023-09-20", "15/07/2566 ถึง 20/09/2566"),
    which is how a period not made of whole months is written in one cell."""
    try:
        return parse_period(text)
    except PeriodError as first_error:
        for sep in ("ถึง", "\u2013", "\u2014", " - ", " to "):
            if sep in text:
                left, _, right = text.partition(sep)
                try:
                    start, end = parse_date(left), parse_date(right)
                except DateParseError:
                    continue
                if start > end:
                    raise PeriodError(
                        f"ช่วงเวลาสิ้นสุดก่อนเริ่มต้น: '{text.strip()}' (period '{text.strip()}' ends before it starts)"
                    ) from None
                return start, end
        raise first_error


def resolve_due_dates(period_start: date, period_end: date, given: list[date | None]) -> list[date]:
    """Due dates for a measure's steps, in order.

    A given due date is kept as it is. Each run of consecutive steps without
    one is spread with `thaidate.spread_due_dates` (business days, evenly)
    over the gap its neighbours leave:

    * from the day after the previous given due date (or from the period
      start when there is none),
    * up to the next given due date (or the period end when there is none).

    A run that ends before a given date is spread as if that step were one
    more step of the run, and that last date is dropped, so the run finishes
    before the given date rather than on it. A run at the end of the measure
    therefore finishes on the last business day of the period, exactly as
    when no step has a date at all. Dates stay non-decreasing as long as the
    given ones are. When the neighbours leave no room (given dates out of
    order, or on consecutive days), the run takes the previous given date.
    """
    out: list[date | None] = list(given)
    k = 0
    n = len(given)
    while k < n:
        if given[k] is not None:
            k += 1
            continue
        run_end = k
        while run_end < n and given[run_end] is None:
            run_end += 1
        previous = given[k - 1] if k > 0 else None
        following = given[run_end] if run_end < n else None
        low = previous + timedelta(days=1) if previous else period_start
        high = following if following else period_end
        count = run_end - k
        if low > high:
            dates = [previous or high] * count
        else:
            extra = 1 if following else 0
            dates = spread_due_dates(low, high, count + extra)[:count]
        out[k:run_end] = dates
        k = run_end
    return out  # type: ignore[return-value]


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
    Column("weakness_no", "ประเด็นที่", "weakness no.", 10, True, "ลำดับประเด็นข้อบกพร่อง 1, 2, 3 … เว้นว่างได้ในแถวต่อ ๆ ไปของประเด็นเดียวกัน"),
    Column("weakness_title", "ประเด็นข้อบกพร่อง/จุดอ่อน", "weakness title", 30, True, "ใส่ในแถวแรกของประเด็น แถวต่อไปเว้นว่างหรือใส่ซ้ำให้ตรงกัน"),
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
            [Problem(filename, f"เปิดเป็นไฟล์ Excel (.xlsx) ไม่ได้ (not a readable .xlsx workbook: {exc.__class__.__name__})")]
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
        steps_ws = next((ws for ws in sheets if ws not in (plan_ws, dept_ws) and not _sheet_matches(ws.title, EXAMPLE_SHEET)), None)
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
            Problem(filename, f"ไม่พบแผ่นงาน “{PLAN_SHEET}” ที่มีชื่อองค์กร รหัส ปีงบประมาณ และชื่อแผน "
                              f"(sheet '{PLAN_SHEET}' with the organization, fiscal year and title is missing)")
        )
    else:
        _read_plan_sheet(plan_ws, raw, places, problems)
    if dept_ws is not None:
        _read_departments_sheet(dept_ws, raw, places, problems, letter_of)
    if steps_ws is None:
        problems.append(Problem(filename, f"ไม่พบแผ่นงาน “{STEPS_SHEET}” (sheet '{STEPS_SHEET}' is missing)"))
    else:
        _read_steps_sheet(steps_ws, raw, places, problems, letter_of)
    return _Validator(places.locate, filename).plan(raw, problems)


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
                problems.append(Problem(places.describe(ws.title, row_no), "มีค่าแต่ไม่มีชื่อหัวข้อในคอลัมน์ A (a value without a field name in column A)"))
            continue
        key = _norm_label(label)
        if key in header_keys:
            continue
        path = next((p for p, keys in labels.items() if key in keys), None)
        if path is None:
            allowed = ", ".join(f"{t} ({e})" for _, t, e in PLAN_FIELDS)
            problems.append(
                Problem(places.describe(ws.title, row_no), f"ไม่รู้จักหัวข้อ “{label}” ใช้ได้: {allowed} (unknown field '{label}')")
            )
            continue
        if path in seen:
            problems.append(
                Problem(places.describe(ws.title, row_no), f"หัวข้อ “{label}” ซ้ำกับแถว {seen[path]} (duplicate field, see row {seen[path]})")
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
                Problem(places.describe(ws.title, 1), f"ไม่มีคอลัมน์ “{column.header}” ในแถวหัวตาราง (column '{column.header}' is missing from the header row)")
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
                problems.append(Problem(places.describe(ws.title, row_no, by_key["weakness_no"], letter_of(cols["weakness_no"] + 1)),
                                        f"ประเด็นที่ต้องเป็นตัวเลข ไม่ใช่ “{w_no_raw}” (weakness no. must be a number)"))
                continue
            if current_w is None or w_no != current_w["no"]:
                if w_no in w_numbers:
                    problems.append(Problem(here, f"แถวของประเด็นที่ {w_no} ต้องอยู่ติดกัน (เริ่มที่แถว {w_numbers[w_no]}) "
                                                  f"(rows of weakness {w_no} must be together; it starts on row {w_numbers[w_no]})"))
                    continue
                expected = len(weaknesses) + 1
                if w_no != expected:
                    problems.append(Problem(places.describe(ws.title, row_no, by_key["weakness_no"], letter_of(cols["weakness_no"] + 1)),
                                            f"ประเด็นที่ควรเป็น {expected} (เรียงลำดับ 1, 2, 3 …) (weakness no. should be {expected})"))
                w_numbers[w_no] = row_no
                path = ("weaknesses", len(weaknesses))
                current_w = {"no": w_no, "row": row_no, "path": path, "data": {"title": values.get("weakness_title"), "measures": []}}
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
            _check_repeat(problems, places, ws.title, row_no, current_w["row"], current_w["data"],
                          {"title": "weakness_title", "detail": "weakness_detail"}, values, by_key, cols, letter_of)

        # -- measure
        m_no_raw = values.get("measure_no")
        w_path = current_w["path"]
        measures = current_w["data"]["measures"]
        if m_no_raw is None:
            if current_m is None:
                problems.append(Problem(here, "แถวแรกของประเด็นต้องระบุมาตรการที่ (the first row of a weakness needs a measure no.)"))
                continue
        else:
            m_no = _xlsx_number(m_no_raw)
            if m_no is None:
                problems.append(Problem(places.describe(ws.title, row_no, by_key["measure_no"], letter_of(cols["measure_no"] + 1)),
                                        f"มาตรการที่ต้องเป็นตัวเลข ไม่ใช่ “{m_no_raw}” (measure no. must be a number)"))
                continue
            if current_m is None or m_no != current_m["no"]:
                if any(m["no"] == m_no for m in current_w.setdefault("seen", [])):
                    problems.append(Problem(here, f"แถวของมาตรการที่ {m_no} ต้องอยู่ติดกัน (rows of measure {m_no} must be together)"))
                    continue
                expected = len(measures) + 1
                if m_no != expected:
                    problems.append(Problem(places.describe(ws.title, row_no, by_key["measure_no"], letter_of(cols["measure_no"] + 1)),
                                            f"มาตรการที่ควรเป็น {expected} (measure no. should be {expected})"))
                path = w_path + ("measures", len(measures))
                data = {k: values.get(col) for k, col in (("title", "measure_title"), ("owner", "owner"), ("period", "period"))}
                if values.get("follow_up") is not None:
                    data["follow_up"] = values["follow_up"]
                data["steps"] = []
                current_m = {"no": m_no, "row": row_no, "path": path, "data": data}
                current_w["seen"].append(current_m)
                measures.append(data)
                places.at(path, ws.title, row_no)
                for key, col in (("title", "measure_title"), ("owner", "owner"), ("period", "period"), ("follow_up", "follow_up"), ("steps", "step_title")):
                    if col in cols:
                        cell_place(path + (key,), row_no, col)
        assert current_m is not None
        if row_no != current_m["row"]:
            _check_repeat(problems, places, ws.title, row_no, current_m["row"], current_m["data"],
                          {"title": "measure_title", "owner": "owner", "period": "period", "follow_up": "follow_up"},
                          values, by_key, cols, letter_of)

        # -- step
        steps = current_m["data"]["steps"]
        path = current_m["path"] + ("steps", len(steps))
        step_no = values.get("step_no")
        if step_no is not None and _xlsx_number(step_no) != len(steps) + 1:
            problems.append(Problem(places.describe(ws.title, row_no, by_key["step_no"], letter_of(cols["step_no"] + 1)),
                                    f"ขั้นตอนที่ควรเป็น {len(steps) + 1} ตามลำดับแถว หรือเว้นว่าง "
                                    f"(step no. should be {len(steps) + 1}, following the rows, or blank)"))
        step: dict[str, Any] = {"title": values.get("step_title")}
        for key, col in (("owner", "step_owner"), ("start", "start"), ("due", "due"), ("assignee", "assignee")):
            if values.get(col) is not None:
                step[key] = values[col]
        steps.append(step)
        places.at(path, ws.title, row_no)
        for key, col in (("title", "step_title"), ("owner", "step_owner"), ("start", "start"), ("due", "due"), ("assignee", "assignee")):
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
            problems.append(Problem(places.describe(sheet, row_no, by_key[col], letter_of(cols[col] + 1)),
                                    f"ใส่ค่านี้ในแถวแรก (แถว {first_row}) ของกลุ่มนี้ (give this value on the group's first row, row {first_row})"))
        elif value != data[key]:
            problems.append(Problem(places.describe(sheet, row_no, by_key[col], letter_of(cols[col] + 1)),
                                    f"ไม่ตรงกับแถว {first_row} ให้เว้นว่างหรือใส่ให้ตรงกัน (differs from row {first_row}; leave it blank or repeat it exactly)"))
