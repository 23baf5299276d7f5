"""Reading an ITA score file, CSV or XLSX, into rows (the format is described in
`importer`): size and archive checks, the header, and each row numbered as a
spreadsheet shows it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NamedTuple

from pydantic import PlainValidator, ValidationError, ValidationInfo, field_validator

from ..errors import ServiceError
from ..i18n import _
from ..shapes import CONTROL_CHARS, CONTROL_MESSAGE, Shape, context_of, fail
from ..shapes import problems as shape_problems
from ..thaidate import to_arabic_digits
from ..uploads import read_xlsx
from .scores import parse_score

__all__ = [
    "COLUMNS",
    "ImportProblem",
    "ItaImportError",
    "ScoreFile",
    "ScoreRow",
    "read_score_file",
    "parse_score_bytes",
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
        raise fail(_("ไม่ได้ระบุ organization"))
    return slug


def _year(value: Any) -> int:
    text = to_arabic_digits(_cell_text(value))
    if not text.isdigit():
        raise fail(_("ปีงบประมาณ “%(value1)s” ต้องเป็นปี พ.ศ. เช่น 2565", value1=value if value is not None else ""))
    year = int(text)
    if 1900 <= year <= 2200:
        raise fail(_("ปีงบประมาณ %(year)s เป็นปี ค.ศ. ใช้ปี พ.ศ. (%(year_543)s)", year=year, year_543=year + 543))
    if not 2400 <= year <= 2700:
        raise fail(_("ปีงบประมาณ %(year)s ไม่ใช่ปี พ.ศ. ที่ใช้ได้", year=year))
    return year


def _indicator(value: Any) -> Indicator:
    text = to_arabic_digits(_cell_text(value))
    if not text:
        raise fail(_("ไม่ได้ระบุ indicator: หมายเลขตัวชี้วัด หรือ national / province"))
    if text.isdigit():
        return Indicator(int(text), None, None, text)
    if text.lower() in SCOPE_WORDS:
        return Indicator(None, SCOPE_WORDS[text.lower()], None, text)
    return Indicator(None, None, " ".join(text.split()), text)


def _score(value: Any) -> Decimal:
    if not _cell_text(value):
        raise fail(_("ไม่ได้ระบุ score"))
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
        context_of(info)[str(info.field_name)] = value
        return value

    @field_validator("level")
    @classmethod
    def _context_rows_only(cls, level: str, info: ValidationInfo) -> str:
        indicator = info.data.get("indicator")
        if level and indicator is not None and indicator.scope is None:
            raise fail(_("level ใช้กับแถว national / province เท่านั้น"))
        return level


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
    def first_sheet(wb) -> list[tuple[int, list[Any]]]:
        if not wb.worksheets:
            raise IndexError("no sheet")  # reported as an unreadable workbook
        rows = []
        # A read-only workbook parses the sheet while it is iterated: damage shows up here.
        for number, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1:
                raise ItaImportError([ImportProblem(None, _("มีเกิน %(max_rows)s แถว", max_rows=MAX_ROWS))])
            rows.append((number, list(row)))
        return rows

    return read_xlsx(
        data, first_sheet, lambda message: ItaImportError([ImportProblem(None, message)]), keep=ItaImportError
    )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _missing(loc: tuple) -> str:
    return _("ต้องระบุ %(name)s", name=loc[-1])


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
    for index, heading in enumerate(header):
        name = _cell_text(heading).lower()
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(
                ImportProblem(
                    header_row,
                    _(
                        "ไม่รู้จักคอลัมน์ “%(cell_text_heading)s” ใช้ %(join_columns)s",
                        cell_text_heading=_cell_text(heading),
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
            problems += [ImportProblem(number, message) for _unused, message in shape_problems(exc, str, _missing)]
        if "organization" in cell:
            organizations.setdefault(cell["organization"], number)
        if "fiscal_year" in cell and "indicator" in cell:
            indicator = cell["indicator"]
            key = (cell["fiscal_year"], indicator.scope or indicator.name or str(indicator.number))
            if key in seen:
                what = f"ตัวชี้วัด {indicator.text}" if indicator.scope is None else indicator.text
                problems.append(
                    ImportProblem(
                        number,
                        _(
                            "ซ้ำกับแถว %(seen_key)s: ปี %(cell_fiscal_year)s %(what)s",
                            seen_key=seen[key],
                            cell_fiscal_year=cell["fiscal_year"],
                            what=what,
                        ),
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
                    _(
                        "ไฟล์หนึ่งใช้ได้กับองค์กรเดียว แถวนี้เป็น “%(slug)s” แต่แถว %(first_1)s เป็น “%(first_0)s”",
                        slug=slug,
                        first_1=first[1],
                        first_0=first[0],
                    ),
                )
            )
    return rows, problems
