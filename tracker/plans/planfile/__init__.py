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

from pathlib import Path

from ...i18n import _
from .dates import parse_period_text, resolve_due_dates
from .shape import DepartmentSpec, MeasureSpec, OrganizationSpec, PlanSpec, StepSpec, WeaknessSpec, validate_plan
from .spec import (
    CONTROL_CHARS,
    CONTROL_MESSAGE,
    MAX_FILE_BYTES,
    MAX_NAME,
    SLUG_RE,
    PlanFileError,
    Problem,
)
from .xlsx import parse_plan_xlsx
from .xlsx_layout import (
    DEPARTMENT_COLUMNS,
    DEPARTMENTS_SHEET,
    EXAMPLE_SHEET,
    PLAN_FIELDS,
    PLAN_SHEET,
    PLAN_SHEET_HEADER,
    STEP_COLUMNS,
    STEPS_SHEET,
)
from .yamlfile import parse_plan_yaml

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
    "parse_period_text",
    "MAX_FILE_BYTES",
    "MAX_NAME",
    "EXAMPLE_SHEET",
    "PLAN_SHEET_HEADER",
    "CONTROL_CHARS",
    "CONTROL_MESSAGE",
    "validate_plan",
    "SLUG_RE",
    "STEP_COLUMNS",
    "PLAN_FIELDS",
    "DEPARTMENT_COLUMNS",
    "STEPS_SHEET",
    "PLAN_SHEET",
    "DEPARTMENTS_SHEET",
]


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
        raise PlanFileError([Problem(str(path), _("ไม่พบไฟล์"))]) from None
    except IsADirectoryError:
        raise PlanFileError([Problem(str(path), _("เป็นโฟลเดอร์ ไม่ใช่ไฟล์"))]) from None
    except OSError as exc:
        raise PlanFileError([Problem(str(path), _("เปิดไฟล์ไม่ได้", exc_strerror=exc.strerror))]) from None
    if size > MAX_FILE_BYTES:
        raise PlanFileError([_too_big(str(path))])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanFileError([Problem(str(path), _("อ่านไฟล์ไม่ได้", exc_strerror=exc.strerror))]) from None
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
                _(
                    "รับเฉพาะไฟล์ .yaml .yml หรือ .xlsx ไม่ใช่ “%(suffix)s”",
                    suffix=suffix or _("(ไม่มีนามสกุล)"),
                ),
            )
        ]
    )


def _too_big(name: str) -> Problem:
    return Problem(
        name,
        _(
            "ไฟล์ใหญ่เกิน %(max_file_bytes_1024_1024)s MB ซึ่งไม่น่าจะเป็นไฟล์แผน",
            max_file_bytes_1024_1024=MAX_FILE_BYTES // (1024 * 1024),
        ),
    )
