"""Schema state at start-up: migrate the embedded database, refuse an old one elsewhere."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import upgrade

from .extensions import db, migrate

log = logging.getLogger(__name__)


class SchemaOutdated(RuntimeError):
    pass


def register_sqlite_pragmas(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
        cur = dbapi_conn.cursor()
        # WAL lets the scheduler write while web requests read.
        cur.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL is never corrupted and syncs at checkpoints instead
        # of at every commit (SQLite's own advice for WAL); a power cut may undo
        # the last commits. Delivery commits twice per email: FULL made the
        # fsync, not SMTP, its limit (benchmarks/RESULTS.md).
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


def _heads() -> set[str]:
    script = ScriptDirectory.from_config(migrate.get_config())
    return set(script.get_heads())


def current_revisions() -> set[str]:
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def schema_is_current() -> bool:
    return current_revisions() == _heads()


def prepare_database(app: Flask) -> None:
    """Upgrade the embedded database, or stop with a clear message when out of date."""
    with app.app_context():
        if schema_is_current():
            return
        if app.config["TRACKER_AUTO_MIGRATE"]:
            log.info("upgrading database schema")
            upgrade()
            return
        have = ", ".join(sorted(current_revisions())) or "empty"
        want = ", ".join(sorted(_heads()))
        raise SchemaOutdated(
            "ฐานข้อมูลยังไม่ได้ปรับรุ่น: โปรดรัน `tracker db upgrade` ก่อนเริ่มระบบ "
            f"(database schema is out of date: it is at {have}, this version needs {want}; "
            "run `tracker db upgrade`)"
        )


def upgrade_database() -> None:
    """Bring the schema to the newest revision (used by `tracker demo`)."""
    if not schema_is_current():
        upgrade()


__all__ = ["prepare_database", "upgrade_database", "SchemaOutdated", "current_app"]
