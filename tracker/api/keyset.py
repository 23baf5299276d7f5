"""Keyset paging for the API's long lists: `after` names the last record of the
previous page, and the next page is read by a WHERE on the sort key instead of
OFFSET, so page 1,000 costs what page 1 costs and a record inserted meanwhile
shifts nothing.

A cursor is opaque to clients: the sort key of a page's last record as JSON,
base64url-encoded. A cursor that does not decode to the list's key is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..i18n import _
from .inputs import InputError
from .schemas import MAX_ID

#: The longest cursor accepted (a key of a few numbers and a timestamp is far shorter).
MAX_CURSOR = 200


def _bad() -> InputError:
    return InputError(_("ค่า after ต้องเป็น next_after ที่รายการนี้ให้มา"))


def encode(values: Sequence[Any]) -> str:
    """The cursor of a record whose sort key is `values` (ints and aware datetimes)."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str, kinds: Sequence[type]) -> list[Any]:
    """The sort key in `cursor`, each value of the kind (int or datetime) the list's key has."""
    if len(cursor) > MAX_CURSOR:
        raise _bad()
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise _bad() from None
    if not isinstance(raw, list) or len(raw) != len(kinds):
        raise _bad()
    values: list[Any] = []
    for kind, value in zip(kinds, raw, strict=True):
        if kind is int:
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
                raise _bad()
            values.append(value)
        else:
            try:
                moment = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise _bad()
            values.append(moment)
    return values


def after(key: Sequence[sa.SQLColumnExpression[Any]], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """Records after `values` in the order of `key` (each column `.asc()` or `.desc()`).

    Spelled as (a > x) OR (a = x AND b > y) OR …, which every database plans with
    the key's indexes and binds with the columns' own types."""
    branches = []
    for i, (column, value) in enumerate(zip(key, values, strict=True)):
        bare, descending = _direction(column)
        equal = [_direction(c)[0] == v for c, v in zip(key[:i], values[:i], strict=True)]
        branches.append(sa.and_(*equal, bare < value if descending else bare > value))
    return sa.or_(*branches)


def _direction(column: sa.SQLColumnExpression[Any]) -> tuple[sa.SQLColumnExpression[Any], bool]:
    if isinstance(column, sa.UnaryExpression) and column.modifier in (
        sa.sql.operators.desc_op,
        sa.sql.operators.asc_op,
    ):
        return column.element, column.modifier is sa.sql.operators.desc_op
    return column, False
