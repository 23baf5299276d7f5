"""Plan files' limits and problems (the specs a file is read into are in `shape`)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...errors import ServiceError
from ...shapes import CONTROL_CHARS, CONTROL_MESSAGE  # noqa: F401  (plan files' names for them)

SLUG_RE = re.compile(r"[a-z0-9-]{2,64}")
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
