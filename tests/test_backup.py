"""`tracker backup` / `tracker restore` round trips on SQLite and PostgreSQL, the
refusals that keep a restore from doing harm, and `tracker verify-evidence`.

Each round trip runs on an instance of its own (its own database and upload
folder), never on the shared test database.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, per_worker, require_or_skip
from tracker import create_app
from tracker.db import db
from tracker.demo import add_demo_progress, load_demo
from tracker.plans import services
from tracker.plans.models import Evidence, JournalEntry, Step, StepStatus

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
CSV = "ลำดับ,รายการ\n1,ประชุมชี้แจง\n".encode()
PG_SERVER = os.environ.get("TRACKER_BACKUP_TEST_PG", "postgresql://postgres@127.0.0.1")
PG_DATABASE = per_worker("tracker_backup_test")


class Instance:
    """One tracker installation: an app on its own database and upload folder."""

    def __init__(self, url: str, root: Path, **config):
        self.upload_dir = root / "evidence"
        self.app = create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "TRACKER_UPLOAD_DIR": str(self.upload_dir), **config}
        )
        self.runner = self.app.test_cli_runner()

    def cli(self, *args: str):
        result = self.runner.invoke(args=list(args))
        with self.app.app_context():
            db.session.remove()
        return result

    def upgrade(self) -> None:
        from tracker.db import upgrade

        with self.app.app_context():
            upgrade()

    def load(self) -> list[int]:
        """The demo plan with progress and two evidence files; returns the evidence ids."""
        with self.app.app_context():
            plan = load_demo(NOW).plan
            add_demo_progress(plan, date(2023, 8, 1))
            db.session.flush()
            step = next(s for s in plan.steps if s.status is StepStatus.done)
            owner = step.completed_by
            ids = []
            for name, data in (("รายงานการประชุม.pdf", PDF), ("สถิติ.csv", CSV)):
                ev = services.add_file_evidence(
                    step, owner, name, io.BytesIO(data), str(self.upload_dir), 10 * 1024 * 1024, NOW
                )
                db.session.flush()
                ids.append(ev.id)
            db.session.commit()
            return ids

    def state(self) -> dict:
        """Every row of every table, and every file's bytes."""
        with self.app.app_context():
            tables = {}
            with db.engine.connect() as conn:
                for table in db.metadata.sorted_tables:
                    rows = conn.execute(sa.select(table)).all()
                    tables[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
            db.session.remove()
        files = {p.name: p.read_bytes() for p in sorted(self.upload_dir.iterdir())} if self.upload_dir.exists() else {}
        return {"tables": tables, "files": files}

    def vandalize(self, evidence_ids: list[int]) -> None:
        """What a restore must undo: edits, deletions, a lost file, a stray file."""
        with self.app.app_context():
            step = db.session.scalar(sa.select(Step).where(Step.status == StepStatus.done).limit(1))
            step.title = "แก้ไขหลังสำรองข้อมูล"
            db.session.execute(sa.delete(JournalEntry))
            lost = db.session.get(Evidence, evidence_ids[0])
            (self.upload_dir / lost.stored_name).unlink()
            db.session.delete(db.session.get(Evidence, evidence_ids[1]))
            db.session.commit()
            db.session.remove()
        (self.upload_dir / "stray.pdf").write_bytes(PDF)


def round_trip(instance: Instance, archive: Path) -> None:
    instance.upgrade()
    evidence_ids = instance.load()
    before = instance.state()
    assert len(before["files"]) == 2 and len(before["tables"]["steps"]) == 26 and before["tables"]["journal_entries"]

    made = instance.cli("backup", "-o", str(archive))
    assert made.exit_code == 0, made.output
    assert "รุ่น" in made.output and "ไฟล์ 2 รายการ" in made.output

    instance.vandalize(evidence_ids)
    assert instance.state() != before

    refused = instance.cli("restore", str(archive))
    assert refused.exit_code == 1 and "--yes" in refused.output
    assert instance.state()["files"].get("stray.pdf") == PDF  # nothing touched

    restored = instance.cli("restore", str(archive), "--yes")
    assert restored.exit_code == 0, restored.output

    after = instance.state()
    assert after["files"] == before["files"]  # the same bytes; the stray file is gone
    assert after["tables"] == before["tables"]
    checked = instance.cli("verify-evidence")
    assert checked.exit_code == 0 and "2" in checked.output


def test_sqlite_round_trip_restores_rows_and_file_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    instance = Instance(f"sqlite:///{tmp_path / 'tracker.sqlite3'}", tmp_path)
    archive = tmp_path / "backup.tar.gz"

    round_trip(instance, archive)

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "database.sqlite3" in names and len([n for n in names if n.startswith("files/")]) == 2
    assert manifest["format"] == "ita-tracker-backup" and manifest["dialect"] == "sqlite"
    assert manifest["alembic_revision"] and manifest["created_at"] and manifest["app_version"]
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # password hashes and internal evidence inside


def _pg_available() -> bool:
    if not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql", "createdb", "dropdb")):
        return False
    probe = subprocess.run(
        ["psql", "-X", "-q", f"--dbname={PG_SERVER}/postgres", "-c", "SELECT 1"],
        capture_output=True,
        timeout=20,
        check=False,
    )
    return probe.returncode == 0


@pytest.fixture
def pg_database():
    require_or_skip(
        _pg_available(),
        f"PostgreSQL client tools or a server at {PG_SERVER} are not available (apt-get install postgresql-client)",
    )
    subprocess.run(
        ["dropdb", "--if-exists", f"--maintenance-db={PG_SERVER}/postgres", PG_DATABASE],
        check=True,
        capture_output=True,
    )
    subprocess.run(["createdb", f"--maintenance-db={PG_SERVER}/postgres", PG_DATABASE], check=True, capture_output=True)
    yield f"{PG_SERVER}/{PG_DATABASE}"
    subprocess.run(
        ["dropdb", "--if-exists", "--force", f"--maintenance-db={PG_SERVER}/postgres", PG_DATABASE],
        capture_output=True,
        check=False,
    )


def test_postgresql_round_trip_restores_rows_and_file_bytes(tmp_path, monkeypatch, pg_database):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    instance = Instance(pg_database, tmp_path)
    archive = tmp_path / "backup.tar.gz"
    try:
        round_trip(instance, archive)
        with tarfile.open(archive) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
        assert manifest["dialect"] == "postgresql" and "database.pgdump" in manifest["files"]
    finally:
        with instance.app.app_context():
            db.session.remove()
            db.engine.dispose()


# -- refusals -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _small_original(tmp_path_factory) -> tuple[Instance, Path]:
    """The instance `small` hands out, built once for the module (an app, the migrations, the
    demo and a backup: 2-3 s), with a copy of its database, files and backup to go back to."""
    root = tmp_path_factory.mktemp("small")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACKER_INSTANCE_PATH", str(root / "instance"))
        instance = Instance(f"sqlite:///{root / 'tracker.sqlite3'}", root)
    instance.upgrade()
    instance.load()
    result = instance.cli("backup", "-o", str(root / "b.tar.gz"))
    assert result.exit_code == 0, result.output
    with instance.app.app_context():
        db.engine.dispose()
    original = root / "original"
    original.mkdir()
    shutil.copy(root / "tracker.sqlite3", original)
    shutil.copytree(instance.upload_dir, original / "evidence")
    return instance, original


@pytest.fixture
def small(_small_original, tmp_path, monkeypatch) -> Instance:
    """An instance with the demo loaded, and a backup of it at tmp_path/b.tar.gz: the module's
    instance, its database file and upload folder put back as they were when it was built."""
    instance, original = _small_original
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    with instance.app.app_context():
        db.session.remove()
        db.engine.dispose()
    database = original.parent / "tracker.sqlite3"
    for leftover in (database.with_name("tracker.sqlite3-wal"), database.with_name("tracker.sqlite3-shm")):
        leftover.unlink(missing_ok=True)  # the last connection's log must not replay onto the copy
    shutil.copy(original / "tracker.sqlite3", database)
    shutil.rmtree(instance.upload_dir)
    shutil.copytree(original / "evidence", instance.upload_dir)
    shutil.copy(original.parent / "b.tar.gz", tmp_path / "b.tar.gz")
    return instance


def _rewrite(source: Path, target: Path, change) -> None:
    """Copy an archive, letting change(name, data, manifest) alter members."""
    with tarfile.open(source) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members.pop("manifest.json"))
    change(members, manifest)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in [*members.items(), ("manifest.json", json.dumps(manifest).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_backup_refuses_to_overwrite_an_existing_file(small, tmp_path):
    result = small.cli("backup", "-o", str(tmp_path / "b.tar.gz"))
    assert result.exit_code == 1 and "อยู่แล้ว" in result.output


def test_restore_refuses_a_backup_of_a_newer_version(small, tmp_path):
    def newer(members, manifest):
        manifest["alembic_revision"] = "9999_from_the_future"

    _rewrite(tmp_path / "b.tar.gz", tmp_path / "newer.tar.gz", newer)
    before = small.state()

    result = small.cli("restore", str(tmp_path / "newer.tar.gz"), "--yes")

    assert result.exit_code == 1 and "รุ่นที่ใหม่กว่า" in result.output and "9999_from_the_future" in result.output
    assert small.state() == before


def test_restore_refuses_a_damaged_archive_before_touching_anything(small, tmp_path):
    def corrupt(members, manifest):
        name = next(n for n in members if n.startswith("files/"))
        members[name] = members[name][:-1] + bytes([members[name][-1] ^ 1])  # one bit flipped

    _rewrite(tmp_path / "b.tar.gz", tmp_path / "damaged.tar.gz", corrupt)
    (tmp_path / "truncated.tar.gz").write_bytes((tmp_path / "b.tar.gz").read_bytes()[:2000])
    (tmp_path / "not-a-backup.tar.gz").write_bytes(b"hello")
    before = small.state()

    damaged = small.cli("restore", str(tmp_path / "damaged.tar.gz"), "--yes")
    truncated = small.cli("restore", str(tmp_path / "truncated.tar.gz"), "--yes")
    garbage = small.cli("restore", str(tmp_path / "not-a-backup.tar.gz"), "--yes")
    missing = small.cli("restore", str(tmp_path / "nowhere.tar.gz"), "--yes")

    assert damaged.exit_code == 1 and "checksum" in damaged.output
    assert truncated.exit_code == 1 and garbage.exit_code == 1 and missing.exit_code == 1
    assert "Traceback" not in damaged.output + truncated.output + garbage.output + missing.output
    assert small.state() == before


def test_restore_refuses_unlisted_or_escaping_entries(small, tmp_path):
    def escape(members, manifest):
        members["../outside.txt"] = b"x"
        manifest["files"]["../outside.txt"] = {"size": 1, "sha256": hashlib.sha256(b"x").hexdigest()}

    _rewrite(tmp_path / "b.tar.gz", tmp_path / "escape.tar.gz", escape)

    result = small.cli("restore", str(tmp_path / "escape.tar.gz"), "--yes")

    assert result.exit_code == 1 and "ไม่ปลอดภัย" in result.output
    assert not (tmp_path / "outside.txt").exists()


def test_an_older_backup_is_restored_and_upgraded(tmp_path, monkeypatch):
    """A backup made at an earlier revision comes back and is brought to the head."""
    from flask_migrate import downgrade

    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    instance = Instance(f"sqlite:///{tmp_path / 'tracker.sqlite3'}", tmp_path)
    instance.upgrade()
    instance.load()
    with instance.app.app_context():
        from tracker.ops.backup import current_revision

        head = current_revision()
        downgrade(revision="0004_reports")
        db.session.remove()
    assert instance.cli("backup", "-o", str(tmp_path / "old.tar.gz")).exit_code == 0
    instance.upgrade()

    result = instance.cli("restore", str(tmp_path / "old.tar.gz"), "--yes")

    assert result.exit_code == 0, result.output
    assert "0004_reports" in result.output
    with instance.app.app_context():
        assert current_revision() == head
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Step)) == 26


# -- evidence checks ---------------------------------------------------------------------------


def test_verify_evidence_reports_missing_and_corrupted_files(small):
    with small.app.app_context():
        first, second = db.session.scalars(sa.select(Evidence).order_by(Evidence.id)).all()
        (small.upload_dir / first.stored_name).unlink()
        (small.upload_dir / second.stored_name).write_bytes(b"changed on disk")
        names = (first.original_name, second.original_name)
        db.session.remove()

    result = small.cli("verify-evidence")
    as_json = json.loads(small.cli("verify-evidence", "--json").output)

    assert result.exit_code == 1
    assert "ไม่พบ 1, เสียหาย 1" in result.output and "ไม่พบไฟล์" in result.output and "ไฟล์เสียหาย" in result.output
    assert names[0] in result.output and names[1] in result.output
    assert as_json["ok"] is False
    assert sorted(p["problem"] for p in as_json["problems"]) == ["corrupted", "missing"]


def test_backup_warns_about_bad_evidence_but_still_writes(small, tmp_path):
    with small.app.app_context():
        first = db.session.scalars(sa.select(Evidence).order_by(Evidence.id)).first()
        (small.upload_dir / first.stored_name).unlink()
        db.session.remove()

    result = small.cli("backup", "-o", str(tmp_path / "again.tar.gz"))

    assert result.exit_code == 0 and (tmp_path / "again.tar.gz").exists()
    assert "ไฟล์หลักฐานมีปัญหา 1 รายการ" in result.output and first.original_name in result.output


def test_backup_without_the_postgresql_tools_says_what_to_install(pg_database, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    instance = Instance(pg_database, tmp_path)
    instance.upgrade()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    try:
        result = instance.cli("backup", "-o", str(tmp_path / "b.tar.gz"))
    finally:
        with instance.app.app_context():
            db.engine.dispose()

    assert result.exit_code == 1 and "pg_dump" in result.output and "postgresql-client" in result.output
    assert not (tmp_path / "b.tar.gz").exists() and not (tmp_path / "b.tar.gz.partial").exists()
