"""How far a measure, a plan or an organization is: the one `Progress` type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .models import StepStatus


@dataclass(frozen=True)
class Progress:
    """Steps done out of the steps that count; cancelled steps are left out of
    the total (and counted apart).

    `percent` is the one rounding rule for every page, email, report, feed and
    API answer: done / total as a whole per cent, rounded half up (1/8 = 12.5
    → 13, 2/3 → 67), except that it stays at 99 until every counted step is
    done (199/200 → 99), so 100 % always means finished. Nothing to count → 0.
    How a number is written (digits, decimals) is the caller's business.
    """

    done: int = 0
    total: int = 0
    cancelled: int = 0

    @property
    def percent(self) -> int:
        if self.total <= 0:
            return 0
        half_up = (self.done * 200 + self.total) // (self.total * 2)
        return half_up if self.done >= self.total else min(half_up, 99)

    def __add__(self, other: Progress) -> Progress:
        return Progress(self.done + other.done, self.total + other.total, self.cancelled + other.cancelled)

    @classmethod
    def from_counts(cls, by_status: Mapping[StepStatus, int]) -> Progress:
        """From the number of steps in each status."""
        cancelled = by_status.get(StepStatus.cancelled, 0)
        return cls(by_status.get(StepStatus.done, 0), sum(by_status.values()) - cancelled, cancelled)

    @classmethod
    def of(cls, statuses: Iterable[StepStatus]) -> Progress:
        """From the statuses of the steps themselves."""
        counts: dict[StepStatus, int] = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        return cls.from_counts(counts)
