"""Backup and restore: the database and the evidence files in one archive.

The archive is a .tar.gz holding

    manifest.json       format, app version, created_at, database dialect,
                        Alembic revision, and the size and sha256 of every file
    database.sqlite3    SQLite: a consistent copy made with SQLite's online
                        backup API while the app keeps running
    database.pgdump     PostgreSQL: `pg_dump --format=custom`
    files/<name>        every file of TRACKER_UPLOAD_DIR (evidence, published reports)

Restore checks the manifest and every checksum before it touches anything,
refuses a backup made by a newer version (a revision this code does not
know), refuses to overwrite a database or upload folder that holds data
unless told `yes`, restores the database (SQLite through the backup API;
PostgreSQL by dropping the app's tables and replaying `pg_restore --clean
--if-exists` through psql in one transaction, so a failure leaves the old
data), upgrades the schema when the backup is older, puts the files back
(and removes files the backup does not have), and re-verifies the evidence.

Stop the web and scheduler processes before a restore. The PostgreSQL tools
(pg_dump, pg_restore, psql; Debian: postgresql-client) must be on PATH and
not older than the server.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO

import sqlalchemy as sa

from ..db import current_revisions, db, script_directory, upgrade
from ..errors import ServiceError
from ..i18n import _
from .evidence import EvidenceCheck, sha256_of, verify_files

FORMAT = "ita-tracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES_PREFIX = "files/"
#: Seconds a PostgreSQL tool may run before the backup or restore is given up.
PG_TIMEOUT_S = 3600


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    evidence: EvidenceCheck


@dataclass
class RestoreResult:
    manifest: dict
    #: The revision the database was upgraded from, when the backup was older
    upgraded_from: str | None
    files_restored: int
    files_removed: list[str] = field(default_factory=list)
    evidence: EvidenceCheck = field(default_factory=EvidenceCheck)


def app_version() -> str:
    try:
        return metadata.version("ita-tracker")
    except metadata.PackageNotFoundError:
        return "unknown"


def _dialect() -> str:
    name = db.engine.dialect.name
    if name not in DATABASE_FILES:
        raise ServiceError(_("สำรองข้อมูลฐานข้อมูลชนิด %(name)s ไม่ได้", name=name))
    return name


def current_revision() -> str | None:
    """The database's schema revision (None before the first migration)."""
    return min(current_revisions(), default=None)


# -- PostgreSQL tools --------------------------------------------------------


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServiceError(
            _(
                "ไม่พบโปรแกรม %(name)s โปรดติดตั้ง postgresql-client (apt-get install postgresql-client) รุ่นเดียวกับเซิร์ฟเวอร์หรือใหม่กว่า",
                name=name,
            )
        )
    return path


def _pg_target() -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and an environment carrying it (never on a command line)."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], env: dict[str, str], what: str, stdout: IO[bytes] | None = None) -> None:
    try:
        done = subprocess.run(
            command,
            env=env,
            stdout=stdout if stdout is not None else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=PG_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ServiceError(
            _("%(what)s ไม่เสร็จภายใน %(pg_timeout_s)s วินาที", what=what, pg_timeout_s=PG_TIMEOUT_S)
        ) from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ServiceError(_("%(what)s ไม่สำเร็จ:", what=what) + " | ".join(detail[-5:]))


# -- backup -----------------------------------------------------------------


def _sqlite3_of(conn: sa.Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a SQLAlchemy one (SQLite databases only)."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError(f"not a SQLite connection: {type(raw).__name__}")
    return raw


def _sqlite_snapshot(target: Path) -> None:
    with db.engine.connect() as conn:
        source = _sqlite3_of(conn)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # a consistent copy, writers are only paused between pages
            # One self-contained file: no -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()


def _pg_dump(target: Path) -> None:
    uri, env = _pg_target()
    _run(
        [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", f"--dbname={uri}"],
        env,
        "pg_dump",
    )


class _HashingReader(io.RawIOBase):
    """Reads a file for tarfile while hashing exactly the bytes that go into the archive."""

    def __init__(self, fh: IO[bytes]):
        self.fh = fh
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size)
        self.digest.update(chunk)
        return chunk


def _add_file(archive: tarfile.TarFile, path: Path, name: str, files: dict) -> None:
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with open(path, "rb") as fh:
        reader = _HashingReader(fh)
        archive.addfile(info, reader)
    files[name] = {"size": info.size, "sha256": reader.digest.hexdigest()}


def upload_files(upload_dir: Path) -> list[Path]:
    if not upload_dir.is_dir():
        return []
    return sorted(p for p in upload_dir.rglob("*") if p.is_file() and not p.is_symlink())


def create_backup(output: Path, upload_dir: str | Path, now: datetime) -> BackupResult:
    """Write the archive to `output` (refused if it exists); the file appears only when complete."""
    output = Path(output)
    upload_dir = Path(upload_dir)
    if output.exists():
        raise ServiceError(_("มีไฟล์ %(output)s อยู่แล้ว โปรดตั้งชื่ออื่น", output=output))
    if not output.parent.is_dir():
        raise ServiceError(_("ไม่พบโฟลเดอร์ %(output_parent)s", output_parent=output.parent))
    dialect = _dialect()
    revision = current_revision()
    if revision is None:
        raise ServiceError(_("ฐานข้อมูลยังไม่มีตาราง: ไม่มีอะไรให้สำรอง"))
    db_name = DATABASE_FILES[dialect]
    partial = output.with_name(output.name + ".partial")
    files: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="tracker-backup-") as tmp:
        dump = Path(tmp) / db_name
        if dialect == "sqlite":
            _sqlite_snapshot(dump)
        else:
            _pg_dump(dump)
        # Files after the database: a file uploaded meanwhile is extra, never a row without its file.
        try:
            with tarfile.open(partial, "w:gz") as archive:
                _add_file(archive, dump, db_name, files)
                for path in upload_files(upload_dir):
                    _add_file(archive, path, FILES_PREFIX + path.relative_to(upload_dir).as_posix(), files)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "app_version": app_version(),
                    "created_at": now.isoformat(),
                    "dialect": dialect,
                    "alembic_revision": revision,
                    "database_file": db_name,
                    "files": files,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())
                archive.addfile(info, io.BytesIO(data))
            os.chmod(partial, 0o600)  # it holds password hashes and internal evidence
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    return BackupResult(output, manifest, verify_files(upload_dir))


# -- restore ----------------------------------------------------------------


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.getmember(MANIFEST)
        manifest = json.load(archive.extractfile(member))  # type: ignore[arg-type]
    except (KeyError, ValueError, TypeError):
        raise ServiceError(_("ไฟล์นี้ไม่ใช่ไฟล์สำรองข้อมูลของระบบ: ไม่มี manifest.json ที่อ่านได้")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ServiceError(_("ไฟล์นี้ไม่ใช่ไฟล์สำรองข้อมูลของระบบ"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ServiceError(
            _(
                "ไฟล์สำรองรูปแบบรุ่น %(value1)r ระบบนี้อ่านได้เฉพาะรุ่น %(format_version)s",
                value1=manifest.get("format_version"),
                format_version=FORMAT_VERSION,
            )
        )
    if not isinstance(manifest.get("files"), dict) or manifest.get("database_file") not in manifest["files"]:
        raise ServiceError(_("manifest.json ไม่ครบ"))
    return manifest


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def extract_verified(archive: tarfile.TarFile, manifest: dict, target: Path) -> None:
    """Extract the listed files into `target`, each checked against its size and sha256."""
    listed: dict[str, dict] = manifest["files"]
    seen: set[str] = set()
    for member in archive:
        if member.name == MANIFEST:
            continue
        if member.name not in listed or not member.isfile() or not _safe_member_name(member.name):
            raise ServiceError(
                _("ไฟล์สำรองมีรายการที่ไม่อยู่ใน manifest หรือไม่ปลอดภัย: %(member_name)r", member_name=member.name)
            )
        destination = target / member.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        source = archive.extractfile(member)
        assert source is not None
        digest = hashlib.sha256()
        with open(destination, "wb") as out:
            while chunk := source.read(1024 * 1024):
                digest.update(chunk)
                out.write(chunk)
        expected = listed[member.name]
        if digest.hexdigest() != expected.get("sha256") or member.size != expected.get("size"):
            raise ServiceError(
                _("checksum ของ %(member_name)s ไม่ตรงกับ manifest: ไฟล์สำรองเสียหาย", member_name=member.name)
            )
        seen.add(member.name)
    if missing := sorted(set(listed) - seen):
        raise ServiceError(_("ไฟล์สำรองไม่ครบ ขาด %(join_missing_5)s", join_missing_5=", ".join(missing[:5])))


def check_revision(revision: str | None) -> str | None:
    """None when the backup's schema is this code's; else the older revision to upgrade from."""
    script = script_directory()
    head = script.get_current_head()
    if revision == head:
        return None
    try:
        known = revision is not None and script.get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown or malformed revision
        known = False
    if not known:
        raise ServiceError(
            _(
                "ไฟล์สำรองมาจากระบบรุ่นที่ใหม่กว่า (ฐานข้อมูลรุ่น %(revision)s) ระบบนี้รู้จักถึงรุ่น %(head)s โปรดปรับปรุงโปรแกรมก่อนแล้วจึงกู้คืน",
                revision=revision,
                head=head,
            )
        )
    return revision


def target_has_data(upload_dir: Path) -> list[str]:
    """What would be overwritten: tables with rows, files in the upload folder."""
    found = []
    inspector = sa.inspect(db.engine)
    existing = set(inspector.get_table_names())
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in existing and conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                found.append(table.name)
    if found:
        found = [_("ตาราง: %(names)s", names=", ".join(found[:6]) + (" …" if len(found) > 6 else ""))]
    if upload_files(upload_dir):
        found.append(_("ไฟล์ใน %(folder)s", folder=upload_dir))
    return found


def _restore_sqlite(dump: Path) -> None:
    target = db.engine.url.database
    if not target or target == ":memory:":
        raise ServiceError(_("กู้คืนลงฐานข้อมูลในหน่วยความจำไม่ได้"))
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    db.session.remove()
    db.engine.dispose()
    source = sqlite3.connect(dump)
    try:
        with db.engine.connect() as conn:
            # Page by page into the live file (WAL and other connections included), in one step.
            source.backup(_sqlite3_of(conn))
    finally:
        source.close()
    db.engine.dispose()


def _restore_postgresql(dump: Path, workdir: Path) -> None:
    pg_restore, psql = pg_tool("pg_restore"), pg_tool("psql")
    uri, env = _pg_target()
    db.session.remove()
    db.engine.dispose()
    existing = set(sa.inspect(db.engine).get_table_names())
    mine = [t.name for t in db.metadata.sorted_tables if t.name in existing]
    if "alembic_version" in existing:
        mine.append("alembic_version")
    db.engine.dispose()
    script = workdir / "restore.sql"
    with open(script, "wb") as out:
        # Our tables go first (a newer schema may have tables the dump does not know),
        # then the dump replays; psql runs it all as one transaction.
        out.write(b"SET lock_timeout = '15s';\n")
        out.writelines(f'DROP TABLE IF EXISTS "{name}" CASCADE;\n'.encode() for name in mine)
        out.flush()
        _run(
            [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--file=-", str(dump)],
            env,
            "pg_restore",
            stdout=out,
        )
    _run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", f"--dbname={uri}", f"--file={script}"],
        env,
        "psql",
    )


def _put_files(extracted: Path, upload_dir: Path, manifest: dict) -> tuple[int, list[str]]:
    upload_dir.mkdir(parents=True, exist_ok=True)
    wanted = set()
    count = 0
    for name in manifest["files"]:
        if not name.startswith(FILES_PREFIX):
            continue
        relative = name[len(FILES_PREFIX) :]
        wanted.add(relative)
        destination = upload_dir / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        temporary = destination.with_name(destination.name + ".restoring")
        shutil.copyfile(extracted / name, temporary)
        os.replace(temporary, destination)
        count += 1
    removed = []
    for path in upload_files(upload_dir):
        relative = path.relative_to(upload_dir).as_posix()
        if relative not in wanted:
            path.unlink()
            removed.append(relative)
    return count, removed


def restore_backup(archive_path: Path, upload_dir: str | Path, *, overwrite: bool) -> RestoreResult:
    archive_path, upload_dir = Path(archive_path), Path(upload_dir)
    if not archive_path.is_file():
        raise ServiceError(_("ไม่พบไฟล์ %(archive_path)s", archive_path=archive_path))
    dialect = _dialect()
    try:
        archive = tarfile.open(archive_path, "r:gz")
    except (tarfile.TarError, OSError, EOFError):
        raise ServiceError(
            _("อ่านไฟล์ %(archive_path)s ไม่ได้: ไม่ใช่ไฟล์ .tar.gz ของระบบ", archive_path=archive_path)
        ) from None
    with archive, tempfile.TemporaryDirectory(prefix="tracker-restore-") as tmp:
        manifest = read_manifest(archive)
        if manifest.get("dialect") != dialect:
            raise ServiceError(
                _(
                    "ไฟล์สำรองนี้เป็นของฐานข้อมูล %(manifest_get_dialect)s แต่ระบบตั้งค่าเป็น %(dialect)s",
                    manifest_get_dialect=manifest.get("dialect"),
                    dialect=dialect,
                )
            )
        upgrade_from = check_revision(manifest.get("alembic_revision"))
        if not overwrite and (found := target_has_data(upload_dir)):
            raise ServiceError(
                "ฐานข้อมูลหรือโฟลเดอร์ไฟล์ปลายทางมีข้อมูลอยู่แล้ว ("
                + "; ".join(found)
                + _(") การกู้คืนจะเขียนทับทั้งหมด: หยุดเว็บและ scheduler แล้วสั่งอีกครั้งพร้อม --yes")
            )
        try:
            extract_verified(archive, manifest, Path(tmp))
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ServiceError(_("อ่านไฟล์สำรองไม่ครบ: ไฟล์เสียหาย", type_exc___name=type(exc).__name__)) from None
        dump = Path(tmp) / manifest["database_file"]
        if dialect == "sqlite":
            _restore_sqlite(dump)
        else:
            _restore_postgresql(dump, Path(tmp))
        if upgrade_from is not None:
            upgrade()
        restored, removed = _put_files(Path(tmp), upload_dir, manifest)
    return RestoreResult(manifest, upgrade_from, restored, removed, verify_files(upload_dir))


def describe(manifest: dict) -> str:
    evidence = sum(1 for name in manifest["files"] if name.startswith(FILES_PREFIX))
    megabytes = "%.1f" % (manifest["files"][manifest["database_file"]]["size"] / 1024 / 1024)
    return _(
        "ฐานข้อมูล %(dialect)s %(size)s MB รุ่น %(revision)s · ไฟล์ %(files)s รายการ · สร้างเมื่อ %(made)s "
        "โดยระบบรุ่น %(version)s",
        dialect=manifest["dialect"],
        size=megabytes,
        revision=manifest["alembic_revision"],
        files=evidence,
        made=manifest["created_at"],
        version=manifest["app_version"],
    )


__all__ = ["BackupResult", "RestoreResult", "create_backup", "describe", "read_manifest", "restore_backup", "sha256_of"]
