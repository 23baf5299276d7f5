"""A share of steps as a whole per cent, for code that has two counts rather than a
`Progress`: the one rule is `Progress.percent` (half up, 5 of 8 → 63; 99 until every
counted step is done)."""
from __future__ import annotations

from .progress import Progress

__all__ = ["percent"]


def percent(done: int, total: int) -> int:
    """Whole per cent of `done` out of `total` by `Progress.percent`; 0 when there is nothing to count."""
    return Progress(done, total).percent
