"""Evidence files on disk against the checksums the database recorded for them.

Uploaded evidence and published report files live in TRACKER_UPLOAD_DIR
(outside the package's static folder: never served directly, only through
views that check access) under random names; each row keeps the file's
sha256. `verify_files` re-reads every file and reports the missing and the
corrupted ones (`tracker verify-evidence`, and every `tracker backup`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..db import db

#: What store_upload and the publishers name files: random hex plus an extension.
STORED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass
class FileProblem:
    #: "evidence" or "published_report"
    kind: str
    row_id: int
    stored_name: str
    #: The name people know the file by
    name: str
    #: "missing", "corrupted" (sha256 differs) or "invalid name"
    problem: str

    def __str__(self) -> str:
        labels = {
            "missing": "ไม่พบไฟล์ (missing)",
            "corrupted": "ไฟล์เสียหาย: checksum ไม่ตรง (corrupted)",
            "invalid name": "ชื่อไฟล์ที่บันทึกไม่ถูกต้อง (invalid stored name)",
        }
        return f"{self.kind} #{self.row_id} “{self.name}” [{self.stored_name}]: {labels[self.problem]}"


@dataclass
class EvidenceCheck:
    checked: int = 0
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def of(self, problem: str) -> list[FileProblem]:
        return [p for p in self.problems if p.problem == problem]

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "problems": [
                {"kind": p.kind, "id": p.row_id, "stored_name": p.stored_name, "name": p.name, "problem": p.problem}
                for p in self.problems
            ],
        }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def recorded_files() -> list[tuple[str, int, str | None, str, str | None]]:
    """(kind, id, stored_name, display name, sha256) of every file the database names."""
    from ..plans.models import Evidence, EvidenceKind
    from ..public.models import PublishedReport

    rows = [
        ("evidence", *row)
        for row in db.session.execute(
            sa.select(Evidence.id, Evidence.stored_name, Evidence.original_name, Evidence.sha256)
            .where(Evidence.kind == EvidenceKind.file, Evidence.stored_name.is_not(None))
            .order_by(Evidence.id)
        )
    ]
    if not sa.inspect(db.session.get_bind()).has_table(PublishedReport.__tablename__):
        return rows  # a database still at an older revision (a restore upgrades it afterwards)
    rows += [
        ("published_report", *row)
        for row in db.session.execute(
            sa.select(
                PublishedReport.id, PublishedReport.stored_name, PublishedReport.download_name, PublishedReport.sha256
            ).order_by(PublishedReport.id)
        )
    ]
    return rows


def verify_files(upload_dir: str | Path) -> EvidenceCheck:
    folder = Path(upload_dir)
    check = EvidenceCheck()
    for kind, row_id, stored_name, name, sha256 in recorded_files():
        check.checked += 1
        if stored_name is None or not STORED_NAME.fullmatch(stored_name) or ".." in stored_name:
            check.problems.append(FileProblem(kind, row_id, stored_name or "", name or "", "invalid name"))
            continue
        path = folder / stored_name
        if not path.is_file():
            check.problems.append(FileProblem(kind, row_id, stored_name, name or "", "missing"))
        elif sha256 and sha256_of(path) != sha256:
            check.problems.append(FileProblem(kind, row_id, stored_name, name or "", "corrupted"))
    return check
