"""Importing ITA scores from a CSV or XLSX file (`tracker ita import FILE`, the ITA page's upload).

The format: one header row, then one row per score, for one organization
(one or more fiscal years). Columns, in any order, names as below::

    organization,fiscal_year,indicator,score,label,level
    banpet,2565,1,98.63,การปฏิบัติหน้าที่,
    banpet,2565,2,98.23,,
    …
    banpet,2565,national,87.57,ภาพรวมระดับประเทศ,A
    banpet,2565,province,92.49,ภาพรวมจังหวัดขอนแก่น,A

* ``organization``: the organization's slug (the same on every row).
* ``fiscal_year``: the Buddhist-Era year assessed (2565); its framework must
  ship with the tracker or have been loaded (``tracker ita framework FILE``).
* ``indicator``: the indicator's number in that year's framework (Thai digits
  accepted) or its exact name; or ``national`` / ``province`` for the context
  rows of the memo's table 1 (national and provincial overall results).
* ``score``: 0–100, at most two decimals.
* ``label`` (optional): for an indicator, its name as a check (it must match
  the framework); for a context row, the text shown (default ภาพรวมระดับประเทศ
  / ภาพรวมจังหวัด<province>).
* ``level`` (optional, context rows only): the level as published (A, B, …);
  computed from the framework when empty.

CSV files are UTF-8 (Excel: "CSV UTF-8"), comma-, semicolon- or
tab-separated; XLSX files are read from their first sheet. Rows are numbered as
a spreadsheet shows them (the header is row 1). Every problem is reported at
once with its row, and nothing is written when there is any. Scores already
stored and not in the file are kept; the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import sqlalchemy as sa
from pydantic import PlainValidator, ValidationError, ValidationInfo, field_validator

from .. import access
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..orgs.models import Organization
from ..shapes import CONTROL_CHARS, CONTROL_MESSAGE, Shape, fail
from ..shapes import problems as shape_problems
from ..thaidate import to_arabic_digits
from ..uploads import DAMAGED_OFFICE_ERRORS, check_office_archive
from .framework import ensure_framework, framework_available
from .services import ContextInput, ScoreProblems, parse_score, save_scores

if TYPE_CHECKING:
    from ..auth.models import User

__all__ = [
    "COLUMNS",
    "ImportProblem",
    "ItaImportError",
    "ScoreFile",
    "ScoreRow",
    "ImportResult",
    "read_score_file",
    "parse_score_bytes",
    "import_scores",
]

COLUMNS = ("organization", "fiscal_year", "indicator", "score", "label", "level")
REQUIRED = ("organization", "fiscal_year", "indicator", "score")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
#: Words accepted in the `indicator` column for the two context rows.
SCOPE_WORDS = {
    "national": "national",
    "nation": "national",
    "ประเทศ": "national",
    "ระดับประเทศ": "national",
    "ภาพรวมระดับประเทศ": "national",
    "province": "province",
    "provincial": "province",
    "จังหวัด": "province",
    "ระดับจังหวัด": "province",
}


@dataclass(frozen=True)
class ImportProblem:
    #: Row as a spreadsheet numbers it (header = 1); None for the file as a whole
    row: int | None
    message: str

    def __str__(self) -> str:
        return f"แถว {self.row} (row {self.row}): {self.message}" if self.row else self.message


class ItaImportError(ServiceError):
    """The file cannot be imported; `.problems` lists every reason with its row."""

    def __init__(self, problems: Iterable[ImportProblem]):
        self.problems = sorted(problems, key=lambda p: p.row or 0)
        super().__init__("\n".join(str(p) for p in self.problems))


class Indicator(NamedTuple):
    """The `indicator` cell: a number, a context row's scope, or an indicator's name."""

    #: An indicator number, or None for a context row / an indicator given by name
    number: int | None
    #: "national" / "province" for a context row
    scope: str | None
    #: The indicator's name when the file gives a name instead of a number
    name: str | None
    #: As written (Thai digits as Arabic), for messages
    text: str


def _slug(value: Any) -> str:
    slug = _cell_text(value).lower()
    if not slug:
        raise fail("ไม่ได้ระบุ organization (the organization's slug is required)")
    return slug


def _year(value: Any) -> int:
    text = to_arabic_digits(_cell_text(value))
    if not text.isdigit():
        raise fail(f"ปีงบประมาณ “{value if value is not None else ''}” ต้องเป็นปี พ.ศ. เช่น 2565 (a BE year such as 2565)")
    year = int(text)
    if 1900 <= year <= 2200:
        raise fail(
            f"ปีงบประมาณ {year} เป็นปี ค.ศ. ใช้ปี พ.ศ. ({year + 543}) "
            f"(looks like a CE year; use the Buddhist-Era year {year + 543})"
        )
    if not 2400 <= year <= 2700:
        raise fail(f"ปีงบประมาณ {year} ไม่ใช่ปี พ.ศ. ที่ใช้ได้ (not a plausible BE year)")
    return year


def _indicator(value: Any) -> Indicator:
    text = to_arabic_digits(_cell_text(value))
    if not text:
        raise fail("ไม่ได้ระบุ indicator: หมายเลขตัวชี้วัด หรือ national / province (the indicator is required)")
    if text.isdigit():
        return Indicator(int(text), None, None, text)
    if text.lower() in SCOPE_WORDS:
        return Indicator(None, SCOPE_WORDS[text.lower()], None, text)
    return Indicator(None, None, " ".join(text.split()), text)


def _score(value: Any) -> Decimal:
    if not _cell_text(value):
        raise fail("ไม่ได้ระบุ score (the score is required)")
    try:
        return parse_score(value, "score")
    except ServiceError as exc:
        raise fail(str(exc)) from None


class ScoreRow(Shape):
    """One row of a score file: its columns (`COLUMNS`) and its number as a spreadsheet shows it."""

    row: int
    organization: Annotated[str, PlainValidator(_slug)]
    fiscal_year: Annotated[int, PlainValidator(_year)]
    indicator: Annotated[Indicator, PlainValidator(_indicator)]
    score: Annotated[Decimal, PlainValidator(_score)]
    label: Annotated[str, PlainValidator(lambda value: " ".join(_cell_text(value).split()))] = ""
    level: Annotated[str, PlainValidator(lambda value: _cell_text(value).upper())] = ""

    @field_validator("organization", "fiscal_year", "indicator")
    @classmethod
    def _for_the_file(cls, value: Any, info: ValidationInfo) -> Any:
        """Kept for the checks across rows, which run even when another cell of the row is wrong."""
        info.context[info.field_name] = value
        return value

    @field_validator("level")
    @classmethod
    def _context_rows_only(cls, level: str, info: ValidationInfo) -> str:
        indicator = info.data.get("indicator")
        if level and indicator is not None and indicator.scope is None:
            raise fail("level ใช้กับแถว national / province เท่านั้น (a level belongs to context rows only)")
        return level

    @property
    def number(self) -> int | None:
        return self.indicator.number

    @property
    def scope(self) -> str | None:
        return self.indicator.scope

    @property
    def indicator_name(self) -> str | None:
        return self.indicator.name


@dataclass
class ScoreFile:
    filename: str
    #: The rows that passed the checks made without the database
    rows: list[ScoreRow]
    #: Problems of the other rows; `import_scores` reports them with its own, all at once
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def organization(self) -> str | None:
        return self.rows[0].organization if self.rows else None

    @property
    def years(self) -> list[int]:
        return sorted({r.fiscal_year for r in self.rows})


@dataclass
class ImportResult:
    organization: Organization
    years: list[int]
    scores: int
    contexts: int
    #: One Thai line per change; empty when the file matched the database already
    changes: list[str] = field(default_factory=list)


# -- reading ----------------------------------------------------------------------------


def read_score_file(path: str | Path) -> ScoreFile:
    path = Path(path)
    try:
        if path.is_dir():
            raise ItaImportError([ImportProblem(None, f"{path} เป็นโฟลเดอร์ ไม่ใช่ไฟล์ (a folder, not a file)")])
        if path.stat().st_size > MAX_BYTES:
            raise ItaImportError([_too_big(path.name)])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ItaImportError([ImportProblem(None, f"ไม่พบไฟล์ {path} (file not found)")]) from None
    except OSError as exc:
        raise ItaImportError(
            [ImportProblem(None, f"อ่านไฟล์ {path} ไม่ได้ (cannot read the file: {exc.strerror})")]
        ) from None
    return parse_score_bytes(data, path.name)


def _too_big(name: str) -> ImportProblem:
    return ImportProblem(None, f"{name}: ไฟล์ใหญ่เกิน {MAX_BYTES // (1024 * 1024)} MB (the file is too large)")


def parse_score_bytes(data: bytes, filename: str) -> ScoreFile:
    """Read a .csv or .xlsx score file and check what can be checked without the database.

    A file that cannot be read at all (encoding, header, format) raises
    ItaImportError; problems of single rows are kept in `ScoreFile.problems`.
    """
    suffix = Path(filename or "").suffix.lower()
    if len(data) > MAX_BYTES:
        raise ItaImportError([_too_big(filename)])
    if suffix == ".csv":
        table = _csv_rows(data)
    elif suffix == ".xlsx":
        table = _xlsx_rows(data)
    else:
        raise ItaImportError(
            [ImportProblem(None, f"รับเฉพาะไฟล์ .csv หรือ .xlsx ไม่ใช่ “{suffix or filename}” (only .csv or .xlsx files)")]
        )
    rows, problems = _check_rows(table)
    return ScoreFile(filename, rows, problems)


def _csv_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ItaImportError(
            [
                ImportProblem(
                    line,
                    "ไฟล์ไม่ได้เข้ารหัสแบบ UTF-8 ใน Excel ให้บันทึกเป็น “CSV UTF-8 (Comma delimited)” "
                    "(the file is not UTF-8 text: save it from Excel as “CSV UTF-8”)",
                )
            ]
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ItaImportError([ImportProblem(None, f"อ่าน CSV ไม่ได้ (unreadable CSV: {exc})")]) from None
    return list(enumerate(records, start=1))


def _xlsx_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        check_office_archive(data, ".xlsx")
    except ServiceError as exc:
        raise ItaImportError([ImportProblem(None, str(exc))]) from None

    def unreadable(exc: BaseException) -> ItaImportError:
        return ItaImportError(
            [
                ImportProblem(
                    None, f"เปิดเป็นไฟล์ Excel (.xlsx) ไม่ได้ (not a readable .xlsx workbook: {exc.__class__.__name__})"
                )
            ]
        )

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises assorted errors on damaged files
        raise unreadable(exc) from None
    try:
        if not wb.worksheets:
            raise unreadable(IndexError("no sheet"))
        ws = wb.worksheets[0]
        rows = []
        # A read-only workbook parses the sheet while it is iterated: damage shows up here.
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1:
                raise ItaImportError([ImportProblem(None, f"มีเกิน {MAX_ROWS} แถว (more than {MAX_ROWS} rows)")])
            rows.append((number, list(row)))
        return rows
    except ItaImportError:
        raise
    except DAMAGED_OFFICE_ERRORS as exc:
        raise unreadable(exc) from None
    finally:
        wb.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _missing(loc: tuple) -> str:
    return f"ไม่ได้ระบุ {loc[-1]} ({loc[-1]} is required)"


def _check_rows(table: list[tuple[int, list[Any]]]) -> tuple[list[ScoreRow], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    table = [(n, cells) for n, cells in table if any(_cell_text(c) for c in cells)]
    if not table:
        raise ItaImportError([ImportProblem(None, "ไฟล์ว่าง (the file has no rows)")])
    if len(table) > MAX_ROWS + 1:
        raise ItaImportError([ImportProblem(None, f"มีเกิน {MAX_ROWS} แถว (more than {MAX_ROWS} rows)")])
    header_row, header = table[0]
    if any(CONTROL_CHARS.search(_cell_text(c)) for c in header):
        raise ItaImportError([ImportProblem(header_row, CONTROL_MESSAGE)])
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _cell_text(cell).lower()
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(
                ImportProblem(header_row, f"ไม่รู้จักคอลัมน์ “{_cell_text(cell)}” ใช้ {', '.join(COLUMNS)} (unknown column)")
            )
        elif name in columns:
            problems.append(ImportProblem(header_row, f"คอลัมน์ “{name}” ซ้ำ (duplicate column)"))
        else:
            columns[name] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(
            ImportProblem(
                header_row,
                f"ขาดคอลัมน์ {', '.join(missing)} แถวแรกต้องเป็นหัวตาราง {','.join(COLUMNS)} "
                f"(missing columns; the first row must be the header)",
            )
        )
    if problems:
        raise ItaImportError(problems)
    if len(table) == 1:
        raise ItaImportError([ImportProblem(None, "ไฟล์มีแต่หัวตาราง ไม่มีคะแนน (the file has a header but no scores)")])

    rows: list[ScoreRow] = []
    seen: dict[tuple[int, str], int] = {}
    organizations: dict[str, int] = {}
    for number, cells in table[1:]:
        if any(CONTROL_CHARS.search(_cell_text(c)) for c in cells):
            problems.append(ImportProblem(number, CONTROL_MESSAGE))
            continue
        line = {name: cells[i] if i < len(cells) else None for name, i in columns.items()}
        cell: dict[str, Any] = {}
        bad = len(problems)
        row = None
        try:
            row = ScoreRow.model_validate({"row": number} | line, context=cell)
        except ValidationError as exc:
            problems += [ImportProblem(number, message) for _, message in shape_problems(exc, str, _missing)]
        if "organization" in cell:
            organizations.setdefault(cell["organization"], number)
        if "fiscal_year" in cell and "indicator" in cell:
            indicator = cell["indicator"]
            key = (cell["fiscal_year"], indicator.scope or indicator.name or str(indicator.number))
            if key in seen:
                what = f"ตัวชี้วัด {indicator.text}" if indicator.scope is None else indicator.text
                problems.append(
                    ImportProblem(
                        number, f"ซ้ำกับแถว {seen[key]}: ปี {cell['fiscal_year']} {what} (duplicate of row {seen[key]})"
                    )
                )
            else:
                seen[key] = number
        if row is not None and len(problems) == bad:
            rows.append(row)
    if len(organizations) > 1:
        first, *others = organizations.items()
        for slug, number in others:
            problems.append(
                ImportProblem(
                    number,
                    f"ไฟล์หนึ่งใช้ได้กับองค์กรเดียว แถวนี้เป็น “{slug}” แต่แถว {first[1]} เป็น “{first[0]}” "
                    f"(one organization per file)",
                )
            )
    return rows, problems


# -- applying -----------------------------------------------------------------------------


def import_scores(
    score_file: ScoreFile,
    actor: User | None,
    now: datetime,
    *,
    into: Organization | None = None,
) -> ImportResult:
    """Check the file against the database, then save every year's scores (flushes, never commits).

    `actor` given (the web upload): only an admin, and only into the actor's
    own organization. `into` given (the demo): the rows go to that
    organization whatever slug the file names. Raises ItaImportError with
    every problem before writing anything.
    """
    problems: list[ImportProblem] = list(score_file.problems)
    if not score_file.rows:
        raise ItaImportError(problems or [ImportProblem(None, "ไม่มีแถวคะแนน (no score rows)")])
    slug = score_file.organization
    first_row = score_file.rows[0].row
    organization: Organization | None = into
    if into is None:
        organization = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
        if actor is not None:
            if not access.may_import(actor):
                raise PermissionDenied("เฉพาะผู้ดูแลระบบเท่านั้นที่นำเข้าคะแนนได้ (only administrators can import scores)")
            if organization is None or organization.id != actor.organization_id:
                # The same answer whether the slug exists or not: other organizations stay invisible.
                raise ItaImportError(
                    [
                        ImportProblem(
                            first_row,
                            f"นำเข้าได้เฉพาะคะแนนขององค์กรของคุณ (“{actor.organization.slug}”) ไม่ใช่ “{slug}” "
                            "(you can import your own organization's scores only)",
                        )
                    ]
                )
        elif organization is None:
            problems.append(ImportProblem(first_row, f"ไม่พบองค์กร “{slug}” (unknown organization slug)"))

    by_year: dict[int, list[ScoreRow]] = defaultdict(list)
    for row in score_file.rows:
        by_year[row.fiscal_year].append(row)
    plans: dict[int, tuple[dict[int, Any], dict[str, ContextInput]]] = {}
    for year, rows in sorted(by_year.items()):
        if not framework_available(year, organization):
            for row in rows:
                problems.append(
                    ImportProblem(row.row, f"ไม่มีกรอบการประเมิน ITA ของปีงบประมาณ {year} (no ITA framework for {year})")
                )
            continue
        framework = ensure_framework(year, organization)
        by_number = {i.number: i for i in framework.indicators}
        by_name = {" ".join(i.name.split()): i for i in framework.indicators}
        levels = framework.spec.grade_names
        scores: dict[int, Any] = {}
        contexts: dict[str, ContextInput] = {}
        rows_of: dict[int, int] = {}
        for row in rows:
            if row.scope is not None:
                if row.level and row.level not in levels:
                    problems.append(
                        ImportProblem(
                            row.row,
                            f"ระดับ “{row.level}” ไม่มีในกรอบปี {year} ใช้ {' '.join(levels)} หรือเว้นว่าง (unknown level)",
                        )
                    )
                if not row.label and row.scope == "province" and organization is not None and not organization.province:
                    problems.append(
                        ImportProblem(
                            row.row, "โปรดระบุ label เช่น ภาพรวมจังหวัดขอนแก่น (a label is required for the province row)"
                        )
                    )
                contexts[row.scope] = ContextInput(row.label, row.score, row.level)
                continue
            indicator = by_number.get(row.number) if row.number is not None else by_name.get(row.indicator_name or "")
            if indicator is None:
                known = f"1–{len(by_number)}" if by_number else "-"
                problems.append(
                    ImportProblem(
                        row.row,
                        f"ไม่มีตัวชี้วัด “{row.number if row.number is not None else row.indicator_name}” "
                        f"ในกรอบปี {year} (ตัวชี้วัด {known}, national, province) (unknown indicator)",
                    )
                )
                continue
            if row.label and row.label != " ".join(indicator.name.split()):
                problems.append(
                    ImportProblem(
                        row.row,
                        f"ตัวชี้วัดที่ {indicator.number} ของปี {year} คือ “{indicator.name}” ไม่ใช่ “{row.label}” "
                        f"(the label does not match indicator {indicator.number})",
                    )
                )
                continue
            if indicator.number in rows_of:
                problems.append(
                    ImportProblem(
                        row.row,
                        f"ซ้ำกับแถว {rows_of[indicator.number]}: ตัวชี้วัดที่ {indicator.number} ปี {year} "
                        f"(duplicate of row {rows_of[indicator.number]})",
                    )
                )
                continue
            rows_of[indicator.number] = row.row
            scores[indicator.number] = row.score
        plans[year] = (scores, contexts)
    if problems or organization is None:
        raise ItaImportError(problems)

    changes: list[str] = []
    try:
        for year, (scores, contexts) in plans.items():
            changes += save_scores(
                organization,
                year,
                actor=actor,
                now=now,
                scores=scores,
                contexts=contexts,
                note=f"นำเข้าจาก {score_file.filename}",
            )
    except ScoreProblems as exc:  # checked above; kept so a slip still names its cause
        raise ItaImportError([ImportProblem(None, p) for p in exc.problems]) from None
    return ImportResult(
        organization=organization,
        years=sorted(plans),
        scores=sum(len(s) for s, _ in plans.values()),
        contexts=sum(len(c) for _, c in plans.values()),
        changes=changes,
    )
