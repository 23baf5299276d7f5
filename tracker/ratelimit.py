"""Login-throttling counters in the application's own database (`trackerdb://`).

Flask-Limiter's default store is each process's memory: under gunicorn with
two workers an attacker got twice the allowed failed logins (issue 9). The
database is the one store every worker, host and the scheduler already
share, so it is the default; TRACKER_RATELIMIT_STORAGE_URI may name another
store the `limits` library knows (redis://…, memcached://…).

A `limits` storage (it registers the scheme "trackerdb" by subclassing
`limits.storage.Storage`), for the moving-window strategy the login limit
uses, plus the fixed-window counter calls the base class requires. One row
per counted event; a row is deleted once its window has passed.

Each acquisition is one transaction that holds a lock for its key while it
counts and inserts, so concurrent workers never both take the last entry:
PostgreSQL takes a transaction-scoped advisory lock on the key, SQLite's
first statement (a DELETE) takes the database's write lock.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from limits.storage import MovingWindowSupport, Storage
from sqlalchemy.orm import Mapped, mapped_column

from .db import Model, db, table_of

SCHEME = "trackerdb"


class RateLimitEntry(Model):
    """One counted event (here: a failed login) of a throttling key."""

    __tablename__ = "rate_limit_entries"
    __table_args__ = (
        sa.Index("ix_rate_limit_entries_key_at", "key", "at"),
        sa.Index("ix_rate_limit_entries_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The limit and what it counts, e.g. "LIMITER/email:a@b.go.th/auth.login/10/1/minute"
    key: Mapped[str] = mapped_column(sa.String(400))
    #: When it happened, in seconds since the epoch (the `limits` library's clock)
    at: Mapped[float] = mapped_column(sa.Float)
    #: When it stops counting, same clock
    expires_at: Mapped[float] = mapped_column(sa.Float)


class DatabaseStorage(Storage, MovingWindowSupport):
    """`limits` storage on the current Flask app's database engine."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    # The engine of the app handling the request (tests run several apps in one process).
    @staticmethod
    def _begin():
        return db.engine.begin()

    @staticmethod
    def _lock(conn: sa.Connection, key: str, now: float) -> None:
        """Serialise the transactions of one key; also drops what has expired (any key)."""
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
        # On SQLite this first write takes the write lock until the commit.
        table = table_of(RateLimitEntry)
        conn.execute(table.delete().where(table.c.expires_at <= now))

    @staticmethod
    def _window(conn: sa.Connection, key: str, since: float) -> tuple[float | None, int]:
        table = table_of(RateLimitEntry)
        oldest, count = conn.execute(
            sa.select(sa.func.min(table.c.at), sa.func.count()).where(table.c.key == key, table.c.at > since)
        ).one()
        return oldest, count

    @staticmethod
    def _insert(conn: sa.Connection, key: str, now: float, expires_at: float, amount: int) -> None:
        conn.execute(table_of(RateLimitEntry).insert(), [{"key": key, "at": now, "expires_at": expires_at}] * amount)

    # -- moving window (what the login limit uses) -------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self._begin() as conn:
            self._lock(conn, key, now)
            _, count = self._window(conn, key, now - expiry)
            if count + amount > limit:
                return False
            self._insert(conn, key, now, now + expiry, amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        with self._begin() as conn:
            oldest, count = self._window(conn, key, now - expiry)
        return (oldest if oldest is not None else now), count

    # -- fixed window (required by the base class) ---------------------------------

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        table = table_of(RateLimitEntry)
        with self._begin() as conn:
            self._lock(conn, key, now)
            window_end = conn.execute(sa.select(sa.func.min(table.c.expires_at)).where(table.c.key == key)).scalar()
            self._insert(conn, key, now, window_end or now + expiry, amount)
            return conn.execute(sa.select(sa.func.count()).where(table.c.key == key)).scalar_one()

    def get(self, key: str) -> int:
        table = table_of(RateLimitEntry)
        with self._begin() as conn:
            return conn.execute(
                sa.select(sa.func.count()).where(table.c.key == key, table.c.expires_at > time.time())
            ).scalar_one()

    def get_expiry(self, key: str) -> float:
        table = table_of(RateLimitEntry)
        with self._begin() as conn:
            end = conn.execute(
                sa.select(sa.func.min(table.c.expires_at)).where(table.c.key == key, table.c.expires_at > time.time())
            ).scalar()
        return end if end is not None else time.time()

    # -- housekeeping -----------------------------------------------------------------

    def check(self) -> bool:
        try:
            with self._begin() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._begin() as conn:
            return conn.execute(table_of(RateLimitEntry).delete()).rowcount

    def clear(self, key: str) -> None:
        table = table_of(RateLimitEntry)
        with self._begin() as conn:
            conn.execute(table.delete().where(table.c.key == key))
