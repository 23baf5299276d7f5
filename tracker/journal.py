"""Writing journal entries: every change of a step or of the plan leaves one.

`apply_changes` is the one way a field is changed and journaled (old → new).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from . import versions
from .clock import utcnow
from .db import db
from .plans.models import JournalEntry

if TYPE_CHECKING:
    from .auth.models import User
    from .plans.models import Step

#: (field, old value, new value): one change of one attribute.
Change = tuple[str, Any, Any]


def as_text(value: Any) -> str | None:
    """Journal values are text: dates ISO, enums by value, records by name."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "name") and not isinstance(value, str):
        return str(value.name)
    if hasattr(value, "display_name"):
        return str(value.display_name)
    return str(value)


def record(
    *,
    organization_id: int,
    entity: str,
    entity_id: int | None,
    action: str,
    actor: User | None,
    step: Step | None = None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    note: str | None = None,
    at: datetime | None = None,
    version: int | None = None,
) -> JournalEntry:
    entry = JournalEntry(
        organization_id=organization_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        field=field,
        old_value=as_text(old),
        new_value=as_text(new),
        entity_version=version,
        note=note or None,
        actor_id=actor.id if actor is not None else None,
        created_at=at or utcnow(),
    )
    if step is not None:
        entry.step = step
    db.session.add(entry)
    return entry


def record_step(step: Step, action: str, actor: User | None, **kw: Any) -> JournalEntry:
    kw.setdefault("version", step.version)
    return record(
        organization_id=step.measure.weakness.plan.organization_id,
        entity="step",
        entity_id=step.id,
        action=action,
        actor=actor,
        step=step,
        **kw,
    )


def changed(changes: list[Change], field: str, old: Any, new: Any) -> None:
    """Add (field, old, new) to `changes` when a new value is given and differs."""
    if new is not None and new != old:
        changes.append((field, old, new))


def apply_changes(
    obj: Any,
    changes: list[Change],
    *,
    organization_id: int,
    entity: str,
    actor: User | None,
    at: datetime,
    note: str = "",
    step: Step | None = None,
    action: str = "edit",
    entity_id: int | None = None,
    journal_as: Callable[[str, Any], Any] | None = None,
) -> list[str]:
    """Set each changed attribute of `obj` (columns or relationships) and journal
    it as an `action` ("edit") of `entity` old → new; flush; return the changed field names.

    The entry is about `obj` unless `entity_id` names another record (a measure's
    follow-up result is journaled on the measure); `journal_as(field, value)` gives
    the value the journal shows where it is not the attribute's own (evidence
    visibility as internal/public). A versioned record (tracker/versions.py) moves
    to its next version, which each entry notes."""
    version = None
    if changes and versions.is_versioned(obj):
        # A record not yet saved starts at version 1; a saved one moves to its next version.
        version = versions.bump(obj) if obj.id is not None else 1
    for field, old, new in changes:
        setattr(obj, field, new)
        if journal_as is not None:
            old, new = journal_as(field, old), journal_as(field, new)
        record(
            organization_id=organization_id,
            entity=entity,
            entity_id=obj.id if entity_id is None else entity_id,
            action=action,
            actor=actor,
            step=step,
            field=field,
            old=old,
            new=new,
            note=note,
            at=at,
            version=version,
        )
    db.session.flush()
    return [field for field, _, _ in changes]
