"""Set-up: configuration defaults, the instance folder, and schema checks at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import scratch_postgres_url

from tracker import config
from tracker.db import db
from tracker.plans.models import JournalEntry

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
    environ.update({"TRACKER_INSTANCE_PATH": str(tmp_path / "instance"), **env})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = config.secret_key(tmp_path)
    assert len(first) == 64
    assert config.secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_SECRET_KEY", "from-env")
    assert config.secret_key(tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////srv/t.db", "sqlite:////srv/t.db"),
    ],
)
def test_database_url_picks_psycopg3(given, expected, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", given)
    assert config.database_url(tmp_path) == expected


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    assert config.database_url(tmp_path) == f"sqlite:///{tmp_path / 'tracker.sqlite3'}"


def test_embedded_database_is_created_and_migrated_on_start(tmp_path):
    result = run_python("import wsgi; print('started')", tmp_path)
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'instance' / 'tracker.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar()
        assert "steps" in sa.inspect(conn).get_table_names()


def test_a_web_worker_on_a_current_schema_does_without_alembic(tmp_path):
    """Alembic (10 MB of every worker) is loaded to upgrade or to say what is missing, not to start."""
    assert run_python("import wsgi", tmp_path).returncode == 0  # creates and migrates the database
    result = run_python(
        "import sys, wsgi; print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'flask_migrate', 'mako'}))",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_schema_head_the_code_knows_is_alembics_head(app):
    from tracker.db import SCHEMA_HEAD, script_directory

    with app.app_context():
        assert script_directory().get_heads() == [SCHEMA_HEAD], "a new migration: set tracker.db.SCHEMA_HEAD to it"


def test_production_start_on_an_old_schema_stops_with_a_clear_message(tmp_path):
    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    result = run_python("import wsgi", tmp_path, TRACKER_DATABASE_URL=url, TRACKER_AUTO_MIGRATE="0")
    assert result.returncode == 1
    assert "tracker db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
    # ...and the operator's command brings it up to date, after which it starts.
    upgrade = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
            "TRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
            "TRACKER_DATABASE_URL": url,
            "TRACKER_AUTO_MIGRATE": "0",
        },
        timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert run_python("import wsgi", tmp_path, TRACKER_DATABASE_URL=url, TRACKER_AUTO_MIGRATE="0").returncode == 0


def test_timestamps_come_back_aware_utc(world):
    at = datetime(2023, 8, 1, 10, 0, tzinfo=UTC)
    db.session.add(
        JournalEntry(organization_id=world.org.id, entity="plan", entity_id=world.plan.id, action="edit", created_at=at)
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(sa.select(JournalEntry.created_at))
    assert stored == at and stored.tzinfo is not None and stored.utcoffset().total_seconds() == 0


def test_naive_timestamps_are_refused(world):
    db.session.add(
        JournalEntry(
            organization_id=world.org.id,
            entity="plan",
            entity_id=1,
            action="edit",
            created_at=datetime(2023, 8, 1, 10, 0),
        )
    )
    with pytest.raises(sa.exc.StatementError):
        db.session.flush()
    db.session.rollback()


def _postgres_admin_url() -> str | None:
    url = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
    if url.startswith("postgres"):
        return url
    return None


def _migration_urls(tmp_path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'migrations.sqlite3'}"]
    admin = _postgres_admin_url()
    if admin:
        # A database of its own (per xdist worker), so the round trip does not touch the test schema.
        urls.append(scratch_postgres_url("migrations"))
    return urls


def config_url(url: str) -> str:
    return config.normalize_url(url)


def test_every_migration_upgrades_and_downgrades_and_matches_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from flask_migrate import downgrade, upgrade

    from tracker import create_app
    from tracker.db import init_migrations

    for url in _migration_urls(tmp_path):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        init_migrations(app)
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            # PostgreSQL's trigram indexes for search (migration 0016) are not in the models.
            diff = [d for d in diff if not (d[0] == "remove_index" and d[1].name.endswith("_trgm"))]
            assert diff == [], f"models and migrations differ on {url}: {diff}"
            downgrade(revision="base")
            with db.engine.connect() as conn:
                assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
            upgrade()
            db.engine.dispose()
