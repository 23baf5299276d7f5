"""Statements over thousands of rows at once, without per-value work in Python.

A national pass reads by lists of thousands of ids and inserts thousands of
rows. Written the ordinary way, each id becomes a bound parameter (an
expanding `IN` of 5,000 placeholders) and each inserted value one too (a
multi-row `VALUES` of 12,000): SQLAlchemy processes every parameter in
Python, and psycopg parses every such statement again (it caches only short
ones), which was most of a reminder pass's CPU on PostgreSQL. Here:

- `among(column, values)`: `column IN values` as one parameter, an array on
  PostgreSQL (`= ANY(…)`) and a JSON list on SQLite (`IN (SELECT value FROM
  json_each(…))`): one short statement whatever the number of values.
- `insert_rows(table, rows, …)`: a multi-row insert with ON CONFLICT DO
  NOTHING and RETURNING; on PostgreSQL the rows as one JSON parameter
  (`INSERT … SELECT … FROM json_to_recordset(…)`), on SQLite positional `VALUES` whose values went once
  through each column type's own bind processor.
- `distinct_values(column)`: the few distinct values of an indexed column
  (the fiscal years with a plan) without reading every row.
- `collector_paused()`: Python's cyclic garbage collector held off during a pass.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.dialects import postgresql

from .db import db

#: Values per statement on SQLite (its limit on bound parameters is 32,766).
SQLITE_PARAMETERS = 30_000


_paused = threading.Lock()
_pausing = {"depth": 0, "was_enabled": False}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a pass runs.

    A national pass makes millions of small objects (rows, lines, emails) that
    stay alive until it ends; each full collection walks all of them again, a
    third of a reminder pass's CPU. Reference counting still frees everything
    as usual; only cycles wait until the pass ends (seconds). Nested and
    concurrent passes (the scheduler's thread beside web threads) re-enable
    the collector when the last one ends, and only if it was enabled before.
    """
    with _paused:
        if _pausing["depth"] == 0:
            _pausing["was_enabled"] = gc.isenabled()
            gc.disable()
        _pausing["depth"] += 1
    try:
        yield
    finally:
        with _paused:
            _pausing["depth"] -= 1
            if _pausing["depth"] == 0 and _pausing["was_enabled"]:
                gc.enable()


def _dialect() -> sa.Dialect:
    return db.session.get_bind().dialect


def among(
    attribute: sa.ColumnElement[Any] | sa.orm.QueryableAttribute[Any], values: Sequence[Any]
) -> sa.ColumnElement[bool]:
    """`column IN values`, the values bound as one parameter (integers or strings)."""
    column = attribute.expression if isinstance(attribute, sa.orm.QueryableAttribute) else attribute
    if _dialect().name == "postgresql":
        array = postgresql.ARRAY(column.type)
        return column == sa.any_(sa.cast(sa.bindparam(None, list(values), type_=array), array))
    each = sa.func.json_each(sa.bindparam(None, json.dumps(list(values)), type_=sa.String)).table_valued("value")
    return column.in_(sa.select(each.c.value))


def insert_rows(
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: Sequence[str],
    returning: Sequence[str] = (),
    constants: Mapping[str, Any] | None = None,
) -> list[tuple]:
    """Insert `rows` (dicts with the same keys) plus `constants` (the same for every row),
    skipping those that conflict on the unique index over `conflict`; returns the
    `returning` columns of the rows inserted. Executes in the session's transaction."""
    if not rows:
        return []
    names = list(rows[0])
    constants = dict(constants or {})
    if _dialect().name == "postgresql":
        return _insert_json(table, rows, names, constants, conflict, returning)
    return _insert_values(table, rows, names, constants, conflict, returning)


def _insert_json(table, rows, names, constants, conflict, returning) -> list[tuple]:
    # One JSON parameter (json.dumps is C; arrays of text would be quoted element by
    # element in Python by psycopg), turned into rows by PostgreSQL.
    dialect = _dialect()
    binds = {n: p for n in names if (p := table.c[n].type._cached_bind_processor(dialect))}
    if binds:
        rows = [{n: (binds[n](v) if n in binds else v) for n, v in r.items()} for r in rows]
    document = json.dumps(rows, ensure_ascii=False, default=_json_value)
    source = (
        sa.func.json_to_recordset(sa.cast(sa.bindparam("rows", document, type_=sa.Text), postgresql.JSON))
        .table_valued(*(sa.column(n, table.c[n].type) for n in names))
        .render_derived(name="v", with_types=True)
    )
    select = sa.select(
        *(source.c[n] for n in names),
        *(sa.bindparam(f"k_{n}", v, type_=table.c[n].type) for n, v in constants.items()),
    )
    stmt = (
        postgresql.insert(table)
        .from_select([*names, *constants], select)
        .on_conflict_do_nothing(index_elements=list(conflict))
    )
    if not returning:
        db.session.execute(stmt)
        return []
    return [tuple(r) for r in db.session.execute(stmt.returning(*(table.c[n] for n in returning)))]


def _json_value(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value insert_rows can send")


def _insert_values(table, rows, names, constants, conflict, returning) -> list[tuple]:
    dialect = _dialect()
    prepare = dialect.identifier_preparer
    columns = [*names, *constants]
    binds = [table.c[n].type._cached_bind_processor(dialect) for n in names]
    constant_values = [
        (p(v) if (p := table.c[n].type._cached_bind_processor(dialect)) else v) for n, v in constants.items()
    ]
    results = [table.c[n].type._cached_result_processor(dialect, None) for n in returning]
    head = f"INSERT INTO {prepare.format_table(table)} ({', '.join(prepare.quote(c) for c in columns)}) VALUES "
    tail = f" ON CONFLICT ({', '.join(prepare.quote(c) for c in conflict)}) DO NOTHING"
    if returning:
        tail += f" RETURNING {', '.join(prepare.quote(c) for c in returning)}"
    one = "(" + ", ".join("?" * len(columns)) + ")"
    per_statement = max(1, SQLITE_PARAMETERS // len(columns))
    connection = db.session.connection()
    found: list[tuple] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params: list[Any] = []
        for r in chunk:
            params += [(p(r[n]) if p else r[n]) for n, p in zip(names, binds)]
            params += constant_values
        result = connection.exec_driver_sql(head + ", ".join([one] * len(chunk)) + tail, tuple(params))
        if returning:
            found += [tuple((p(v) if p else v) for v, p in zip(row, results)) for row in result]
    return found


def distinct_values(column: sa.orm.QueryableAttribute[Any], *, having: Any = None) -> list[Any]:
    """The distinct non-NULL values of an indexed column, by one index probe per value (a
    "loose index scan": neither SQLite nor PostgreSQL skips through an index by itself, and
    `SELECT DISTINCT` reads every row). `having(value)`, given, is a condition on each value
    (a correlated EXISTS, say); the values come in index order."""
    expression = column.expression
    found = sa.select(sa.func.min(expression).label("value")).cte("found", recursive=True)
    found = found.union_all(
        sa.select(sa.select(sa.func.min(expression)).where(expression > found.c.value).scalar_subquery()).where(
            found.c.value.is_not(None)
        )
    )
    conditions = [found.c.value.is_not(None)]
    if having is not None:
        conditions.append(having(found.c.value))
    return list(db.session.scalars(sa.select(found.c.value).where(*conditions)))
