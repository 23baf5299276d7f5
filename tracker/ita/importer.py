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
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .. import access
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..i18n import _
from ..orgs.models import Organization
from ..plans.planfile import CONTROL_CHARS, CONTROL_MESSAGE
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
        return _("แถว %(row)s: %(message)s", row=self.row, message=self.message) if self.row else self.message


class ItaImportError(ServiceError):
    """The file cannot be imported; `.problems` lists every reason with its row."""

    def __init__(self, problems: Iterable[ImportProblem]):
        self.problems = sorted(problems, key=lambda p: p.row or 0)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class ScoreRow:
    row: int
    organization: str
    fiscal_year: int
    #: An indicator number, or None for a context row / an indicator given by name
    number: int | None
    #: "national" / "province" for a context row
    scope: str | None
    #: The indicator's name when the file gives a name instead of a number
    indicator_name: str | None
    score: Decimal
    label: str
    level: str


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
            raise ItaImportError([ImportProblem(None, _("%(path)s เป็นโฟลเดอร์ ไม่ใช่ไฟล์", path=path))])
        if path.stat().st_size > MAX_BYTES:
            raise ItaImportError([_too_big(path.name)])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ItaImportError([ImportProblem(None, _("ไม่พบไฟล์ %(path)s", path=path))]) from None
    except OSError as exc:
        raise ItaImportError(
            [ImportProblem(None, _("อ่านไฟล์ %(path)s ไม่ได้", path=path, exc_strerror=exc.strerror))]
        ) from None
    return parse_score_bytes(data, path.name)


def _too_big(name: str) -> ImportProblem:
    return ImportProblem(
        None,
        _("%(name)s: ไฟล์ใหญ่เกิน %(max_bytes_1024_1024)s MB", name=name, max_bytes_1024_1024=MAX_BYTES // (1024 * 1024)),
    )


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
            [
                ImportProblem(
                    None,
                    _("รับเฉพาะไฟล์ .csv หรือ .xlsx ไม่ใช่ “%(suffix_or_filename)s”", suffix_or_filename=suffix or filename),
                )
            ]
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
                    _("ไฟล์ไม่ได้เข้ารหัสแบบ UTF-8 ใน Excel ให้บันทึกเป็น “CSV UTF-8 (Comma delimited)”"),
                )
            ]
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ItaImportError([ImportProblem(None, _("อ่าน CSV ไม่ได้", exc=exc))]) from None
    return list(enumerate(records, start=1))


def _xlsx_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        check_office_archive(data, ".xlsx")
    except ServiceError as exc:
        raise ItaImportError([ImportProblem(None, str(exc))]) from None

    def unreadable(exc: BaseException) -> ItaImportError:
        return ItaImportError(
            [ImportProblem(None, _("เปิดเป็นไฟล์ Excel (.xlsx) ไม่ได้", exc___class_____name=exc.__class__.__name__))]
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
                raise ItaImportError([ImportProblem(None, _("มีเกิน %(max_rows)s แถว", max_rows=MAX_ROWS))])
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


def _year(value: Any) -> tuple[int | None, str | None]:
    text = to_arabic_digits(_cell_text(value))
    if not text.isdigit():
        return None, _("ปีงบประมาณ “%(value1)s” ต้องเป็นปี พ.ศ. เช่น 2565", value1=value if value is not None else "")
    year = int(text)
    if 1900 <= year <= 2200:
        return None, (_("ปีงบประมาณ %(year)s เป็นปี ค.ศ. ใช้ปี พ.ศ. (%(year_543)s)", year=year, year_543=year + 543))
    if not 2400 <= year <= 2700:
        return None, _("ปีงบประมาณ %(year)s ไม่ใช่ปี พ.ศ. ที่ใช้ได้", year=year)
    return year, None


def _check_rows(table: list[tuple[int, list[Any]]]) -> tuple[list[ScoreRow], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    table = [(n, cells) for n, cells in table if any(_cell_text(c) for c in cells)]
    if not table:
        raise ItaImportError([ImportProblem(None, _("ไฟล์ว่าง"))])
    if len(table) > MAX_ROWS + 1:
        raise ItaImportError([ImportProblem(None, _("มีเกิน %(max_rows)s แถว", max_rows=MAX_ROWS))])
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
                ImportProblem(
                    header_row,
                    _(
                        "ไม่รู้จักคอลัมน์ “%(cell_text_cell)s” ใช้ %(join_columns)s",
                        cell_text_cell=_cell_text(cell),
                        join_columns=", ".join(COLUMNS),
                    ),
                )
            )
        elif name in columns:
            problems.append(ImportProblem(header_row, _("คอลัมน์ “%(name)s” ซ้ำ", name=name)))
        else:
            columns[name] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(
            ImportProblem(
                header_row,
                _(
                    "ขาดคอลัมน์ %(join_missing)s แถวแรกต้องเป็นหัวตาราง %(join_columns)s",
                    join_missing=", ".join(missing),
                    join_columns=",".join(COLUMNS),
                ),
            )
        )
    if problems:
        raise ItaImportError(problems)
    if len(table) == 1:
        raise ItaImportError([ImportProblem(None, _("ไฟล์มีแต่หัวตาราง ไม่มีคะแนน"))])

    rows: list[ScoreRow] = []
    seen: dict[tuple[int, str], int] = {}
    organizations: dict[str, int] = {}
    for number, cells in table[1:]:

        def get(name: str, cells: list = cells) -> Any:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        bad = len(problems)
        if any(CONTROL_CHARS.search(_cell_text(c)) for c in cells):
            problems.append(ImportProblem(number, CONTROL_MESSAGE))
            continue
        slug = _cell_text(get("organization")).lower()
        if not slug:
            problems.append(ImportProblem(number, _("ไม่ได้ระบุ organization")))
        else:
            organizations.setdefault(slug, number)
        year, message = _year(get("fiscal_year"))
        if message:
            problems.append(ImportProblem(number, message))
        raw_indicator = to_arabic_digits(_cell_text(get("indicator")))
        indicator_number: int | None = None
        scope: str | None = None
        name: str | None = None
        if not raw_indicator:
            problems.append(ImportProblem(number, _("ไม่ได้ระบุ indicator: หมายเลขตัวชี้วัด หรือ national / province")))
        elif raw_indicator.isdigit():
            indicator_number = int(raw_indicator)
        elif raw_indicator.lower() in SCOPE_WORDS:
            scope = SCOPE_WORDS[raw_indicator.lower()]
        else:
            name = " ".join(raw_indicator.split())
        score = None
        if not _cell_text(get("score")):
            problems.append(ImportProblem(number, _("ไม่ได้ระบุ score")))
        else:
            try:
                score = parse_score(get("score"), "score")
            except ServiceError as exc:
                problems.append(ImportProblem(number, str(exc)))
        label = " ".join(_cell_text(get("label")).split())
        level = _cell_text(get("level")).upper()
        if level and scope is None and raw_indicator:
            problems.append(ImportProblem(number, _("level ใช้กับแถว national / province เท่านั้น")))
        if year is not None and raw_indicator:
            key = (year, scope or name or str(indicator_number))
            if key in seen:
                what = f"ตัวชี้วัด {raw_indicator}" if scope is None else raw_indicator
                problems.append(
                    ImportProblem(
                        number, _("ซ้ำกับแถว %(seen_key)s: ปี %(year)s %(what)s", seen_key=seen[key], year=year, what=what)
                    )
                )
            else:
                seen[key] = number
        if len(problems) == bad:
            rows.append(ScoreRow(number, slug, year, indicator_number, scope, name, score, label, level))
    if len(organizations) > 1:
        first, *others = organizations.items()
        for slug, number in others:
            problems.append(
                ImportProblem(
                    number,
                    _(
                        "ไฟล์หนึ่งใช้ได้กับองค์กรเดียว แถวนี้เป็น “%(slug)s” แต่แถว %(first_1)s เป็น “%(first_0)s”",
                        slug=slug,
                        first_1=first[1],
                        first_0=first[0],
                    ),
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
        raise ItaImportError(problems or [ImportProblem(None, _("ไม่มีแถวคะแนน"))])
    slug = score_file.organization
    first_row = score_file.rows[0].row
    organization: Organization | None = into
    if into is None:
        organization = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
        if actor is not None:
            if not access.may_import(actor):
                raise PermissionDenied(_("เฉพาะผู้ดูแลระบบเท่านั้นที่นำเข้าคะแนนได้"))
            if organization is None or organization.id != actor.organization_id:
                # The same answer whether the slug exists or not: other organizations stay invisible.
                raise ItaImportError(
                    [
                        ImportProblem(
                            first_row,
                            _(
                                "นำเข้าได้เฉพาะคะแนนขององค์กรของคุณ (“%(actor_organization_slug)s”) ไม่ใช่ “%(slug)s”",
                                actor_organization_slug=actor.organization.slug,
                                slug=slug,
                            ),
                        )
                    ]
                )
        elif organization is None:
            problems.append(ImportProblem(first_row, _("ไม่พบองค์กร “%(slug)s”", slug=slug)))

    by_year: dict[int, list[ScoreRow]] = defaultdict(list)
    for row in score_file.rows:
        by_year[row.fiscal_year].append(row)
    plans: dict[int, tuple[dict[int, Any], dict[str, ContextInput]]] = {}
    for year, rows in sorted(by_year.items()):
        if not framework_available(year, organization):
            for row in rows:
                problems.append(ImportProblem(row.row, _("ไม่มีกรอบการประเมิน ITA ของปีงบประมาณ %(year)s", year=year)))
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
                            _(
                                "ระดับ “%(row_level)s” ไม่มีในกรอบปี %(year)s ใช้ %(join_levels)s หรือเว้นว่าง",
                                row_level=row.level,
                                year=year,
                                join_levels=" ".join(levels),
                            ),
                        )
                    )
                if not row.label and row.scope == "province" and organization is not None and not organization.province:
                    problems.append(ImportProblem(row.row, _("โปรดระบุ label เช่น ภาพรวมจังหวัดขอนแก่น")))
                contexts[row.scope] = ContextInput(row.label, row.score, row.level)
                continue
            indicator = by_number.get(row.number) if row.number is not None else by_name.get(row.indicator_name or "")
            if indicator is None:
                known = f"1–{len(by_number)}" if by_number else "-"
                problems.append(
                    ImportProblem(
                        row.row,
                        _(
                            "ไม่มีตัวชี้วัด “%(value1)s” ในกรอบปี %(year)s (ตัวชี้วัด %(known)s, national, province)",
                            value1=row.number if row.number is not None else row.indicator_name,
                            year=year,
                            known=known,
                        ),
                    )
                )
                continue
            if row.label and row.label != " ".join(indicator.name.split()):
                problems.append(
                    ImportProblem(
                        row.row,
                        _(
                            "ตัวชี้วัดที่ %(indicator_number)s ของปี %(year)s คือ “%(indicator_name)s” ไม่ใช่ “%(row_label)s”",
                            indicator_number=indicator.number,
                            year=year,
                            indicator_name=indicator.name,
                            row_label=row.label,
                        ),
                    )
                )
                continue
            if indicator.number in rows_of:
                problems.append(
                    ImportProblem(
                        row.row,
                        _(
                            "ซ้ำกับแถว %(rows_of_indicator_number)s: ตัวชี้วัดที่ %(indicator_number)s ปี %(year)s",
                            rows_of_indicator_number=rows_of[indicator.number],
                            indicator_number=indicator.number,
                            year=year,
                        ),
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
        scores=sum(len(s) for s, _unused in plans.values()),
        contexts=sum(len(c) for _unused, c in plans.values()),
        changes=changes,
    )
