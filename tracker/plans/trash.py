"""The trash (ถังขยะ): deletes that can be undone for a while.

A delete snapshots the item and every row that goes with it (found through
the foreign keys of the schema, so a table added later is covered too), then
deletes the rows for real with the existing delete service, which journals it
and renumbers the siblings. Because the rows are gone, every page, count,
report, API answer, reminder and digest is right without a `deleted_at`
filter anywhere. `restore` inserts the rows again (parent first, at their old
place among their siblings), re-links the journal entries the delete cut, and
journals the restore. `purge_trash`, a job of (session, now) run by the
scheduler, drops items older than `TRASH_DAYS` and removes their files.

Services flush, never commit.
"""

from __future__ import annotations

import base64
import enum
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from ..journal import record
from .models import Evidence, Measure, Step, TrashItem, Weakness

log = logging.getLogger(__name__)

#: Days a deleted item stays restorable before the scheduler's beat purges it
#: (with its files). Shown on the confirmation and trash pages.
TRASH_DAYS = 30

#: Tables whose rows are numbered among their siblings: table → parent column.
ORDERED = {"weaknesses": "plan_id", "measures": "weakness_id", "steps": "measure_id"}

#: How the things that go with a deleted item are counted, in Thai.
COUNT_LABELS = {
    "measures": "{n} มาตรการ",
    "steps": "{n} ขั้นตอน",
    "evidence": "หลักฐาน {n} รายการ",
    "measure_results": "ผลการติดตาม {n} รายการ",
}

KIND_LABELS = {
    "weakness": "ประเด็น",
    "measure": "มาตรการ",
    "step": "ขั้นตอน",
    "evidence": "หลักฐาน",
    "result_evidence": "หลักฐานผลการติดตาม",
}


@dataclass
class Snapshot:
    #: [{"table": name, "row": {column: value}}], parents before children
    rows: list[dict[str, Any]]
    #: [{"table", "column", "pk", "target"}]: rows that keep living with a SET NULL link
    links: list[dict[str, Any]]

    def counts(self) -> Counter:
        return Counter(r["table"] for r in self.rows[1:])

    def summary(self) -> str:
        counts = self.counts()
        return ", ".join(label.format(n=counts[t]) for t, label in COUNT_LABELS.items() if counts[t])


# -- serialization ------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _decode(column: sa.Column, value: Any) -> Any:
    if value is None:
        return None
    column_type = column.type
    if isinstance(column_type, sa.types.TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, sa.JSON):  # stored as it was read: JSON has no single Python type
        return value
    kind = column_type.python_type
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    if kind is bytes:
        return base64.b64decode(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    return value


def _table(name: str) -> sa.Table:
    return db.metadata.tables[name]


def _pk(table: sa.Table) -> sa.Column:
    (column,) = table.primary_key.columns
    return column


def snapshot(table_name: str, row_id: int) -> Snapshot:
    """The row and, through the schema's foreign keys, everything that goes with it."""
    rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    _collect(_table(table_name), [row_id], rows, links)
    return Snapshot(rows, links)


def _collect(table: sa.Table, ids: list[Any], rows: list, links: list) -> None:
    if not ids:
        return
    pk = _pk(table)
    for found in db.session.execute(sa.select(table).where(pk.in_(ids)).order_by(pk)).mappings():
        rows.append({"table": table.name, "row": {k: _encode(v) for k, v in found.items()}})
    for child in db.metadata.sorted_tables:
        if child.name == TrashItem.__tablename__:
            continue
        for fk in child.foreign_keys:
            if fk.column.table is not table:
                continue
            child_pk = _pk(child)
            refs = db.session.execute(sa.select(child_pk, fk.parent).where(fk.parent.in_(ids))).all()
            if fk.ondelete and fk.ondelete.upper() == "SET NULL":
                links.extend(
                    {"table": child.name, "column": fk.parent.name, "pk": pk_value, "target": target}
                    for pk_value, target in refs
                )
            else:
                _collect(child, [pk_value for pk_value, _unused in refs], rows, links)


# -- delete ---------------------------------------------------------------------


def _plan_id(table_name: str, row: dict[str, Any]) -> int | None:
    if table_name == "weaknesses":
        return row["plan_id"]
    if table_name == "measures":
        return db.session.scalar(sa.select(Weakness.plan_id).where(Weakness.id == row["weakness_id"]))
    if table_name == "steps":
        measure = db.session.get(Measure, row["measure_id"])
        return measure.plan.id if measure else None
    if table_name == "evidence":
        if row.get("step_id"):
            step = db.session.get(Step, row["step_id"])
            return step.measure.plan.id if step else None
        measure = db.session.get(Measure, row["measure_id"])
        return measure.plan.id if measure else None
    return None


def to_trash(
    kind: str, obj: Any, label: str, organization_id: int, actor: User | None, now: datetime, delete
) -> TrashItem:
    """Snapshot `obj`, then run `delete()` (the existing service, which refuses
    items with progress and journals the delete) and keep the snapshot."""
    table_name = obj.__table__.name
    snap = snapshot(table_name, obj.id)
    plan_id = _plan_id(table_name, snap.rows[0]["row"])
    delete()
    item = TrashItem(
        organization_id=organization_id,
        plan_id=plan_id,
        kind=kind,
        label=label,
        summary=snap.summary(),
        payload={"rows": snap.rows, "links": snap.links},
        deleted_at=now,
        deleted_by_id=actor.id if actor is not None else None,
    )
    db.session.add(item)
    db.session.flush()
    return item


def describe(obj: Any) -> str:
    """What goes with `obj` if it is deleted ("3 ขั้นตอน, หลักฐาน 2 รายการ")."""
    return snapshot(obj.__table__.name, obj.id).summary()


# -- restore --------------------------------------------------------------------


def _exists(table: sa.Table, value: Any) -> bool:
    return db.session.scalar(sa.select(sa.literal(1)).where(_pk(table) == value)) is not None


def _make_room(table: sa.Table, parent_column: str, parent_id: int, order: int) -> None:
    """Shift the siblings at `order` and after one place down, last first."""
    pk = _pk(table)
    siblings = db.session.execute(
        sa.select(pk, table.c.order)
        .where(table.c[parent_column] == parent_id, table.c.order >= order)
        .order_by(table.c.order.desc())
    ).all()
    for sibling_id, sibling_order in siblings:
        db.session.execute(sa.update(table).where(pk == sibling_id).values(order=sibling_order + 1))


def restore(item: TrashItem, actor: User | None, now: datetime) -> None:
    """Put the deleted rows back where they were and journal it."""
    rows = item.payload["rows"]
    root_table = _table(rows[0]["table"])
    root = rows[0]["row"]
    # The parent must still be there (a step whose measure was deleted afterwards
    # comes back only after its measure).
    for fk in root_table.foreign_keys:
        target = root.get(fk.parent.name)
        if target is None or fk.column.table.name in ("users", "organizations"):
            continue
        if not _exists(fk.column.table, target):
            raise ServiceError(
                _("กู้คืนรายการนี้ไม่ได้ เพราะรายการที่อยู่เหนือขึ้นไปถูกลบแล้ว โปรดกู้คืนรายการนั้นก่อน"),
            )
    db.session.flush()
    if root_table.name in ORDERED:
        parent = ORDERED[root_table.name]
        _make_room(root_table, parent, root[parent], root["order"])
    new_ids: dict[tuple[str, Any], Any] = {}
    for entry in rows:
        table = _table(entry["table"])
        pk = _pk(table)
        values = {}
        for column in table.columns:
            if column.name not in entry["row"]:
                continue
            value = _decode(column, entry["row"][column.name])
            for fk in column.foreign_keys:
                value = new_ids.get((fk.column.table.name, value), value)
            values[column.name] = value
        # A user whose account was removed meanwhile is forgotten, like SET NULL would.
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and values.get(fk.parent.name) is not None:
                if not _exists(fk.column.table, values[fk.parent.name]):
                    values[fk.parent.name] = None
        old_id = values[pk.name]
        if _exists(table, old_id):
            # SQLite may hand a freed id to a new row: take a fresh one.
            del values[pk.name]
        result = db.session.execute(sa.insert(table).values(**values))
        if pk.name not in values:
            inserted = cast(sa.CursorResult[Any], result).inserted_primary_key
            assert inserted is not None
            new_ids[(table.name, old_id)] = inserted[0]
    for link in item.payload.get("links", []):
        table = _table(link["table"])
        target_table = next(fk.column.table.name for fk in table.c[link["column"]].foreign_keys)
        target = new_ids.get((target_table, link["target"]), link["target"])
        db.session.execute(
            sa.update(table)
            .where(_pk(table) == link["pk"], table.c[link["column"]].is_(None))
            .values({link["column"]: target})
        )
    if item.plan_id is not None:
        # The rows came back without the ORM: recount the plan's figures (plans.counters).
        from . import counters

        counters.store(db.session.connection(), [item.plan_id])
    db.session.expire_all()
    restored_id = new_ids.get((root_table.name, root["id"]), root["id"])
    _journal_restore(item, root_table.name, root, restored_id, actor, now)
    db.session.delete(item)
    db.session.flush()


def _journal_restore(item: TrashItem, table_name: str, root: dict, restored_id: int, actor, now) -> None:
    parent_entity = {
        "weaknesses": ("plan", "plan_id", "weakness"),
        "measures": ("weakness", "weakness_id", "measure"),
        "steps": ("measure", "measure_id", "step"),
    }
    step = None
    if table_name in parent_entity:
        entity, column, field = parent_entity[table_name]
        entity_id = root[column]
    elif root.get("step_id"):
        step = db.session.get(Step, root["step_id"])
        entity, entity_id, field = "step", root["step_id"], "evidence"
    else:
        entity, entity_id, field = "measure", root.get("measure_id"), "evidence"
    record(
        organization_id=item.organization_id,
        entity=entity,
        entity_id=entity_id,
        action="restore",
        actor=actor,
        step=step,
        field=field,
        new=item.label,
        note=item.summary or None,
        at=now,
    )
    if table_name == "steps":
        restored = db.session.get(Step, restored_id)
        if restored is not None:
            record(
                organization_id=item.organization_id,
                entity="step",
                entity_id=restored.id,
                action="restore",
                actor=actor,
                step=restored,
                field="step",
                new=item.label,
                at=now,
            )


# -- reading ------------------------------------------------------------------------


def items_of(organization_id: int) -> list[TrashItem]:
    return list(
        db.session.scalars(
            sa.select(TrashItem)
            .where(TrashItem.organization_id == organization_id)
            .order_by(TrashItem.deleted_at.desc(), TrashItem.id.desc())
        )
    )


def purge_after(item: TrashItem, days: int = TRASH_DAYS) -> datetime:
    return item.deleted_at + timedelta(days=days)


def stored_files(item: TrashItem) -> list[str]:
    return [
        r["row"]["stored_name"]
        for r in item.payload["rows"]
        if r["table"] == "evidence" and r["row"].get("stored_name")
    ]


# -- purge ----------------------------------------------------------------------------


def purge_trash(
    session: Session | scoped_session[Any], now: datetime, upload_dir: str | None = None, days: int = TRASH_DAYS
) -> int:
    """Drop trash items deleted more than `days` ago, with their files; journaled.

    A job of (session, now): the scheduler calls it on its beat and commits.
    Files are removed after the rows are flushed; a file already gone is fine."""
    cutoff = now - timedelta(days=days)
    items = list(session.scalars(sa.select(TrashItem).where(TrashItem.deleted_at < cutoff)))
    files: list[str] = []
    for item in items:
        files.extend(stored_files(item))
        record(
            organization_id=item.organization_id,
            entity="trash",
            entity_id=item.id,
            action="purge",
            actor=None,
            field=item.kind,
            old=item.label,
            at=now,
        )
        session.delete(item)
    session.flush()
    if upload_dir:
        still_used = set(session.scalars(sa.select(Evidence.stored_name).where(Evidence.stored_name.in_(files))))
        for name in files:
            if name not in still_used:
                (Path(upload_dir) / name).unlink(missing_ok=True)
    if items:
        log.info("trash purged", extra={"items": len(items)})
    return len(items)


# -- the deletes of the app ------------------------------------------------------------


def trash_weakness(weakness: Weakness, actor: User | None, now: datetime) -> TrashItem:
    from . import structure

    label = f"ประเด็นที่ {weakness.order} {weakness.title}"
    org_id = weakness.plan.organization_id
    return to_trash(
        "weakness", weakness, label, org_id, actor, now, lambda: structure.delete_weakness(weakness, actor, now)
    )


def trash_measure(measure: Measure, actor: User | None, now: datetime) -> TrashItem:
    from . import structure

    label = f"มาตรการ {measure.number} {measure.title}"
    org_id = measure.plan.organization_id
    return to_trash(
        "measure", measure, label, org_id, actor, now, lambda: structure.delete_measure(measure, actor, now)
    )


def trash_step(step: Step, actor: User | None, now: datetime) -> TrashItem:
    from . import structure

    label = f"ขั้นตอน {step.number} {step.title}"
    org_id = step.measure.plan.organization_id
    return to_trash("step", step, label, org_id, actor, now, lambda: structure.delete_step(step, actor, now))


def trash_evidence(ev: Evidence, actor: User, now: datetime) -> TrashItem:
    """Step evidence (by the step's editors) or a follow-up result's evidence."""
    from . import results, services

    if ev.step is not None:
        label = f"หลักฐาน “{ev.original_name}” ของขั้นตอน {ev.step.number}"
        org_id = ev.step.measure.plan.organization_id
        return to_trash("evidence", ev, label, org_id, actor, now, lambda: services.remove_evidence(ev, actor, now, ""))
    assert ev.measure is not None
    label = f"หลักฐาน “{ev.original_name}” ของผลการติดตามมาตรการ {ev.measure.number}"
    org_id = ev.measure.plan.organization_id
    return to_trash(
        "result_evidence", ev, label, org_id, actor, now, lambda: results.remove_result_evidence(ev, actor, now)
    )


def may_restore(user: User, item: TrashItem) -> bool:
    """The organization's admins, and whoever deleted it (an officer undoing their own delete)."""
    from .. import access

    if access.is_org_admin(user, item.organization_id):
        return True
    return item.deleted_by_id == user.id and access.is_member(user, item.organization_id) and access.may_write(user)
