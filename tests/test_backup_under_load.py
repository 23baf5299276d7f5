"""`tracker backup` while 50 users write: the restored database passes
`tracker verify-evidence` and holds every journal entry and evidence file
committed before the backup started (and nothing that was never committed).

Fifty threads, each a user session of its own on the instance's database (a
SQLite file in WAL mode; PostgreSQL when its client tools and server are
there, see tests/test_backup.py), add comments and upload evidence files in a
loop through the real services, committing each; meanwhile the backup runs,
and the archive is restored into a second, empty installation.
"""

from __future__ import annotations

import io
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_backup import PDF, Instance, pg_database  # noqa: F401  (a fixture)

from tests.conftest import NOW, per_worker
from tracker.auth.models import Role, User
from tracker.config import normalize_url
from tracker.db import db
from tracker.plans import services
from tracker.plans.models import Evidence, JournalEntry, Step

WRITERS = 50


class Load:
    """Writers committing comments (every 5th write: an evidence file) until stopped."""

    def __init__(self, instance: Instance, step_ids: list[int], admin_id: int):
        self.instance, self.step_ids, self.admin_id = instance, step_ids, admin_id
        self.committed: list[tuple[str, int]] = []  # ("journal" | "evidence", id), in commit order
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.write, args=(n,), daemon=True) for n in range(WRITERS)]

    def write(self, n: int) -> None:
        app = self.instance.app
        try:
            with app.app_context():
                for i in range(10_000):
                    if self.stop.is_set():
                        return
                    step = db.session.get(Step, self.step_ids[(n + i) % len(self.step_ids)])
                    actor = db.session.get(User, self.admin_id)  # an admin may write on every step
                    now = NOW + timedelta(seconds=i)
                    if i % 5 == 4:
                        ev = services.add_file_evidence(
                            step,
                            actor,
                            f"หลักฐาน-{n}-{i}.pdf",
                            io.BytesIO(PDF),
                            str(self.instance.upload_dir),
                            1024 * 1024,
                            now,
                        )
                        db.session.commit()
                        done = ("evidence", ev.id)
                    else:
                        entry = services.add_comment(step, actor, f"ผู้ใช้ {n} บันทึกครั้งที่ {i}", now)
                        db.session.commit()
                        done = ("journal", entry.id)
                    with self.lock:
                        self.committed.append(done)
                    db.session.expire_all()
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def snapshot(self) -> set[tuple[str, int]]:
        with self.lock:
            return set(self.committed)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)
        assert self.errors == [], self.errors[:3]


def pooled(url: str) -> dict:
    """Room in the pool for 50 writers and the backup (SQLite: wait for the write lock)."""
    options = {"pool_size": WRITERS + 5, "max_overflow": 10, "pool_timeout": 120}
    if normalize_url(url).startswith("sqlite"):
        options["connect_args"] = {"timeout": 120}
    return options


def under_load(tmp_path: Path, url: str, restored_url: str) -> None:
    source = Instance(url, tmp_path / "source", SQLALCHEMY_ENGINE_OPTIONS=pooled(url))
    source.upgrade()
    source.load()
    with source.app.app_context():
        step_ids = list(db.session.scalars(sa.select(Step.id)))
        admin_id = db.session.scalar(sa.select(User.id).where(User.role == Role.admin).limit(1))
        db.session.remove()

    load = Load(source, step_ids, admin_id)
    load.start()
    try:
        deadline = time.monotonic() + 120
        while len(load.snapshot()) < 100:  # the load is on
            assert time.monotonic() < deadline and not load.errors, load.errors[:3]
            time.sleep(0.05)
        before = load.snapshot()
        archive = tmp_path / "backup.tar.gz"
        made = source.cli("backup", "-o", str(archive))
        during = len(load.snapshot()) - len(before)
        time.sleep(0.5)  # and a little after
    finally:
        load.finish()
    assert made.exit_code == 0, made.output
    assert during > 0, "nobody wrote while the backup ran: the test proves nothing"
    print(f"backup under load: {len(before)} writes committed before it, {during} while it ran")

    target = Instance(restored_url, tmp_path / "restored")
    restored = target.cli("restore", str(archive), "--yes")
    assert restored.exit_code == 0, restored.output
    checked = target.cli("verify-evidence")
    assert checked.exit_code == 0, checked.output

    with target.app.app_context():
        journal = set(db.session.scalars(sa.select(JournalEntry.id)))
        evidence = set(db.session.scalars(sa.select(Evidence.id)))
        files = {e.stored_name for e in db.session.scalars(sa.select(Evidence))}
        db.session.remove()
        db.engine.dispose()
    everything = set(load.committed)
    missing = {
        item for item in before if item not in {("journal", j) for j in journal} | {("evidence", e) for e in evidence}
    }
    assert missing == set(), f"{len(missing)} entries committed before the backup are missing"
    # Nothing the source never committed; every row's file is there (verify-evidence said so too).
    with source.app.app_context():
        assert journal <= set(db.session.scalars(sa.select(JournalEntry.id)))
        assert evidence <= set(db.session.scalars(sa.select(Evidence.id)))
        db.session.remove()
        db.engine.dispose()
    assert {i for k, i in everything if k == "evidence"} >= {i for k, i in before if k == "evidence"}
    assert all((target.upload_dir / name).is_file() for name in files)


def test_a_sqlite_backup_under_load_restores_everything_committed_before_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    under_load(tmp_path, f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'restored.sqlite3'}")


@pytest.fixture
def second_pg_database(pg_database):  # noqa: F811
    import subprocess

    from test_backup import PG_SERVER

    name = per_worker("tracker_backup_restored")
    subprocess.run(
        ["dropdb", "--if-exists", "--force", f"--maintenance-db={PG_SERVER}/postgres", name],
        check=True,
        capture_output=True,
    )
    subprocess.run(["createdb", f"--maintenance-db={PG_SERVER}/postgres", name], check=True, capture_output=True)
    yield f"{PG_SERVER}/{name}"
    subprocess.run(
        ["dropdb", "--if-exists", "--force", f"--maintenance-db={PG_SERVER}/postgres", name],
        capture_output=True,
        check=False,
    )


def test_a_postgresql_backup_under_load_restores_everything_committed_before_it(
    tmp_path, monkeypatch, pg_database, second_pg_database
):  # noqa: F811
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    under_load(tmp_path, pg_database, second_pg_database)
