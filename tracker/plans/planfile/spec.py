"""Plan files as plain data: the specs a file is read into, and its problems."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ...errors import ServiceError
from ...i18n import _l
from ..models import PlanStatus

SLUG_RE = re.compile(r"[a-z0-9-]{2,64}")
#: Characters no plan text may hold: C0 controls but tab and line breaks, DEL,
#: and the non-characters PyYAML refuses. PostgreSQL refuses NUL in text, so
#: SQLite must never be the database that accepts it.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
CONTROL_MESSAGE = _l("มีอักขระควบคุมที่มองไม่เห็น (เช่น NUL) ซึ่งไม่ใช่ข้อความ ให้ลบออก")
MIN_FISCAL_YEAR, MAX_FISCAL_YEAR = 2500, 2700
#: A plan file larger than this is surely not a plan (and would only eat memory).
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_XLSX_ROWS = 5000
# Column sizes of the tables the text ends up in (PostgreSQL enforces them).
MAX_NAME = 200
MAX_PROVINCE = 100

#: A place in a plan file's nested data (keys and 0-based indexes).
PathT = tuple[Any, ...]


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
