"""The database: declarative base, the shared SQLAlchemy handle, column types,
and the schema state at start-up (migrate the embedded database, refuse an old one elsewhere)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from .i18n import _

# Stable constraint names so Alembic can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The base class of every model. mypy cannot follow Flask-SQLAlchemy's dynamic
# `db.Model`; at run time this is `db.Model`, for the type checker its base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
log = logging.getLogger(__name__)


def table_of(model: type[Base]) -> sa.Table:
    """The Core table of a mapped class, for Core statements on a bare connection
    (the stubs type `__table__` as any FromClause, which has no insert/update/delete)."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in and out.

    SQLite hands `DateTime(timezone=True)` values back naive; this type makes
    the rest of the code see aware UTC datetimes on every backend and refuses
    naive ones on the way in, where they would be ambiguous.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# -- schema state at start-up ------------------------------------------------------


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


#: The newest migration, the schema this code was written for. A web worker compares the
#: database with it and, when they agree, never loads Alembic (10 MB of every worker);
#: tests/test_setup_and_schema.py keeps it equal to Alembic's head.
SCHEMA_HEAD = "0022_plan_years"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def init_migrations(app: Flask) -> None:
    """Flask-Migrate on this app (`tracker db …`, upgrades, backups); once per app.

    Not part of create_app: a web worker on a current schema does without it."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)


def script_directory():
    """Alembic's view of migrations/ (the app's Flask-Migrate configuration)."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    init_migrations(current_app._get_current_object())  # type: ignore[attr-defined]
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def _heads() -> set[str]:
    return set(script_directory().get_heads())


def current_revisions() -> set[str]:
    """The revisions recorded in the database (empty before the first migration)."""
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return set()
        return set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def schema_is_current() -> bool:
    revisions = current_revisions()
    return revisions == {SCHEMA_HEAD} or revisions == _heads()


def upgrade() -> None:
    """Alembic's upgrade to the head, through Flask-Migrate."""
    from flask import current_app
    from flask_migrate import upgrade as flask_migrate_upgrade

    init_migrations(current_app._get_current_object())  # type: ignore[attr-defined]
    flask_migrate_upgrade()


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
        raise SchemaOutdated(_("ฐานข้อมูลยังไม่ได้ปรับรุ่น: โปรดรัน `tracker db upgrade` ก่อนเริ่มระบบ", have=have, want=want))


def upgrade_database() -> None:
    """Bring the schema to the newest revision (used by `tracker demo`)."""
    if not schema_is_current():
        upgrade()
