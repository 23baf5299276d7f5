"""Edit versions: a change made from an older version of a record is refused, with
what changed meanwhile.

Steps, measures, plans, users and follow-up results carry a `version`.
SQLAlchemy's `version_id_col` guards each UPDATE with it, but the counter is
set here rather than by every UPDATE (a login touching a user row is no
edit): each saved edit adds one (`bump`, called by `journal.apply_changes`
and the status change), and the journal notes the version the edit left
(`JournalEntry.entity_version`).

A form carries the version it was rendered from (a hidden field), an API
call its `If-Match` or `version`. `check` refuses an older one with `Stale`,
which lists the journal entries that moved the record on since: the web shows
them above the form with the user's input kept (HTTP 409), the API as JSON
(409). Two saves racing between the check and the write meet SQLAlchemy's
own guard (StaleDataError), answered 409 too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .auth.models import User
from .db import db
from .plans.models import JournalEntry, Measure, MeasureResult, Plan, Step

#: Record type → (journal entity, the journal actions that change its version).
JOURNALED: dict[type, tuple[str, tuple[str, ...]]] = {
    Step: ("step", ("status", "edit")),
    Measure: ("measure", ("edit",)),
    Plan: ("plan", ("edit",)),
    User: ("user", ("edit",)),
    # A result's entries are the measure's, with action "result".
    MeasureResult: ("measure", ("result",)),
}


def is_versioned(obj: Any) -> bool:
    return type(obj) in JOURNALED


def bump(obj: Any) -> int:
    """One more saved edit of `obj`; returns its new version (before the flush writes it)."""
    obj.version = (obj.version or 1) + 1
    return obj.version


def journal_key(obj: Any) -> tuple[str, int]:
    """The journal's (entity, entity_id) for `obj`."""
    entity, _ = JOURNALED[type(obj)]
    return entity, obj.measure_id if isinstance(obj, MeasureResult) else obj.id


@dataclass(eq=False)
class Stale(Exception):
    """A change made from version `expected` of a record that is now at `current`."""

    entity: str
    entity_id: int
    expected: int
    current: int
    #: The journal entries that moved the record on since `expected`, oldest first
    changes: list[JournalEntry]

    def __post_init__(self) -> None:
        super().__init__(f"{self.entity} {self.entity_id}: version {self.expected} is stale, now {self.current}")

    @property
    def message(self) -> str:
        return (
            "มีผู้บันทึกข้อมูลนี้ก่อนคุณ สิ่งที่คุณส่งมายังไม่ได้บันทึก โปรดตรวจการเปลี่ยนแปลงแล้วส่งอีกครั้ง "
            f"(changed meanwhile: you sent version {self.expected}, it is now version {self.current})"
        )


def changes_since(obj: Any, version: int) -> list[JournalEntry]:
    """The journal entries that left `obj` at a version after `version`, oldest first."""
    entity, actions = JOURNALED[type(obj)]
    _, entity_id = journal_key(obj)
    return list(
        db.session.scalars(
            sa.select(JournalEntry)
            .where(
                JournalEntry.entity == entity,
                JournalEntry.entity_id == entity_id,
                JournalEntry.action.in_(actions),
                JournalEntry.entity_version > version,
            )
            .options(joinedload(JournalEntry.actor))
            .order_by(JournalEntry.id)
        )
    )


def check(obj: Any, expected: int | None) -> None:
    """Refuse (Stale) a change made from version `expected` when `obj` has moved on.

    `expected` None: the caller did not say (an older page, a script): not checked.
    """
    if expected is None or obj is None:
        return
    current = obj.version or 1
    if expected == current:
        return
    entity, entity_id = journal_key(obj)
    raise Stale(entity, entity_id, expected, current, changes_since(obj, expected))


def parse(value: Any) -> int | None:
    """A version as a form or header gives it: a whole number (0: the record did not exist yet), else None (not checked)."""
    text = str(value if value is not None else "").strip().strip('"')
    if text.startswith("W/"):
        text = text[2:].strip('"')
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def etag(obj: Any) -> str:
    """The HTTP entity tag of `obj`'s current version (RFC 9110: a quoted string)."""
    return f'"{obj.version or 1}"'
