"""How the product rounds a share of steps to a per cent: half up, to a whole
per cent (5 of 8 → 62.5 → 63), the rule the ITA scores follow too (two
decimals, half up). Every page, document, digest and the API call this."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["percent"]


def percent(done: int, total: int) -> int:
    """Whole per cent of `done` out of `total`, rounded half up; 0 when there is nothing to count."""
    if total <= 0:
        return 0
    return int((Decimal(done) * 100 / Decimal(total)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
