"""Follow-up results of measures: the figure, note and evidence that answer a
measure's follow-up indicator (การติดตามผล), e.g. "1,250 ครั้ง" of E-Service
requests, "87.5 %" satisfaction, or a note and the announcement as evidence.

Editable by the owners of the measure's department and by administrators
(`access.can_edit_result`);
every change is journaled (entity "measure", action "result"). Services
flush, never commit.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .. import thaidate, versions
from ..access import require_result_editor
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..journal import apply_changes, record
from .models import Evidence, JournalEntry, Measure, MeasureResult
from .services import new_file_evidence, new_link_evidence

__all__ = [
    "parse_value",
    "get_result",
    "set_result",
    "result_evidence",
    "add_result_file",
    "add_result_link",
    "remove_result_evidence",
    "result_journal",
]

#: Numeric(14, 2): twelve digits before the point.
MAX_VALUE = Decimal("999999999999.99")
MAX_UNIT = 50
MAX_NOTE = 5000
# A figure, optionally followed by its unit: "1,250 ครั้ง", "87.5%", "๑,๒๕๐".
_VALUE_RE = re.compile(r"^(?P<number>[-+]?[0-9][0-9,]*(?:\.[0-9]+)?|[-+]?\.[0-9]+)\s*(?P<unit>.*)$", re.S)


def parse_value(text: str | None, unit: str | None = None) -> tuple[Decimal | None, str]:
    """Read a figure as people type it ("1,250", "๑,๒๕๐ ครั้ง", "87.5%").
    A unit typed after the number is used when the unit field is empty.
    Empty → (None, unit): a result need not be a figure."""
    unit = (unit or "").strip()
    raw = thaidate.to_arabic_digits((text or "").strip())
    if not raw:
        return None, unit
    match = _VALUE_RE.match(raw)
    if match is None:
        raise ServiceError(f"ค่าผลการติดตามต้องเป็นตัวเลข เช่น 1,250 หรือ 87.5: “{raw[:30]}” (the value must be a number)")
    number, typed_unit = match["number"], match["unit"].strip()
    if "," in number and not re.fullmatch(r"[-+]?[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?", number):
        raise ServiceError(f"ใส่เครื่องหมายจุลภาคไม่ถูกตำแหน่ง: “{number}” (misplaced thousands separator)")
    if typed_unit:
        if unit and typed_unit != unit:
            raise ServiceError(
                f"หน่วยในช่องค่า (“{typed_unit[:20]}”) ไม่ตรงกับช่องหน่วย (“{unit[:20]}”) (two different units given)"
            )
        unit = typed_unit
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        raise ServiceError(f"อ่านตัวเลขไม่ได้: “{number[:30]}” (not a number)") from None
    if value != value.quantize(Decimal("0.01")):
        raise ServiceError("ค่าผลการติดตามมีทศนิยมได้ไม่เกิน 2 ตำแหน่ง (at most 2 decimals)")
    if abs(value) > MAX_VALUE:
        raise ServiceError("ค่าผลการติดตามมากเกินไป (the value is too large)")
    return value.quantize(Decimal("0.01")), unit


def get_result(measure: Measure) -> MeasureResult | None:
    return db.session.scalar(sa.select(MeasureResult).where(MeasureResult.measure_id == measure.id))


def _journal(
    measure: Measure,
    actor: User | None,
    now: datetime,
    field: str,
    old,
    new,
    note: str | None = None,
    version: int | None = None,
) -> None:
    record(
        organization_id=measure.plan.organization_id,
        entity="measure",
        entity_id=measure.id,
        action="result",
        actor=actor,
        field=field,
        old=old,
        new=new,
        note=note,
        at=now,
        version=version,
    )


def _value_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _journaled(field: str, value: Any) -> str | None:
    """A result field as the journal shows it: the figure without trailing zeros, nothing for empty."""
    return (_value_text(value) if field == "value" else value) or None


def set_result(
    measure: Measure,
    actor: User,
    now: datetime,
    *,
    value: str | Decimal | None,
    unit: str = "",
    note: str = "",
    version: int | None = None,
) -> list[str]:
    """Record the follow-up result; return the names of the fields that changed
    (an empty list when nothing did). `version`: the result's version the form
    was made from (0: there was none yet); an older one is refused (versions.Stale)."""
    require_result_editor(actor, measure)
    if isinstance(value, Decimal):
        new_value, new_unit = parse_value(str(value), unit)
    else:
        new_value, new_unit = parse_value(value, unit)
    if len(new_unit) > MAX_UNIT:
        raise ServiceError(f"หน่วยยาวเกิน {MAX_UNIT} ตัวอักษร (the unit is too long)")
    if new_unit and new_value is None:
        raise ServiceError("ระบุหน่วยแล้วแต่ไม่มีค่า โปรดใส่ตัวเลข (a unit without a value)")
    new_note = (note or "").strip()
    if len(new_note) > MAX_NOTE:
        raise ServiceError(f"หมายเหตุยาวเกิน {MAX_NOTE} ตัวอักษร (the note is too long)")
    result = get_result(measure)
    if result is None and version:
        # The form showed a result that has since been removed: nothing to compare with, take it as new.
        version = None
    versions.check(result, version)
    if result is None:
        if new_value is None and not new_note:
            raise ServiceError("โปรดใส่ค่าหรือหมายเหตุของผลการติดตาม (give a value or a note)")
        result = MeasureResult(measure_id=measure.id, value=None, unit="", note="")
        db.session.add(result)
    changes = [
        (name, old, new)
        for name, old, new in (
            ("value", result.value, new_value),
            ("unit", result.unit or "", new_unit),
            ("note", result.note or "", new_note),
        )
        if _journaled(name, old) != _journaled(name, new)
    ]
    if not changes:
        return []
    result.updated_by_id = actor.id
    result.updated_at = now
    return apply_changes(
        result,
        changes,
        organization_id=measure.plan.organization_id,
        entity="measure",
        entity_id=measure.id,
        action="result",
        actor=actor,
        at=now,
        journal_as=_journaled,
    )


def result_evidence(measure: Measure) -> list[Evidence]:
    return list(
        db.session.scalars(
            sa.select(Evidence).where(Evidence.measure_id == measure.id).order_by(Evidence.created_at, Evidence.id)
        )
    )


def add_result_file(
    measure: Measure, actor: User, filename: str, stream: IO[bytes], upload_dir: str, max_bytes: int, now: datetime
) -> Evidence:
    """Attach a file to the result; the same allow-list and storage as step evidence."""
    require_result_editor(actor, measure)
    return _attach(measure, new_file_evidence(actor, filename, stream, upload_dir, max_bytes, now), actor, now)


def add_result_link(measure: Measure, actor: User, url: str, title: str, now: datetime) -> Evidence:
    require_result_editor(actor, measure)
    return _attach(measure, new_link_evidence(actor, url, title, now), actor, now)


def _attach(measure: Measure, ev: Evidence, actor: User, now: datetime) -> Evidence:
    ev.measure_id = measure.id
    db.session.add(ev)
    _journal(measure, actor, now, "evidence", None, ev.original_name)
    db.session.flush()
    return ev


def remove_result_evidence(ev: Evidence, actor: User, now: datetime) -> None:
    """Delete the row; the caller removes the file after its commit."""
    measure = ev.measure
    if measure is None:
        raise ServiceError("หลักฐานนี้ไม่ใช่หลักฐานผลการติดตาม (not a follow-up result's evidence)")
    require_result_editor(actor, measure)
    _journal(measure, actor, now, "evidence", ev.original_name, None)
    db.session.delete(ev)
    db.session.flush()


def result_journal(measure: Measure) -> list[JournalEntry]:
    """Changes of the measure's result, newest first."""
    return list(
        db.session.scalars(
            sa.select(JournalEntry)
            .where(
                JournalEntry.entity == "measure", JournalEntry.entity_id == measure.id, JournalEntry.action == "result"
            )
            .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
            .options(joinedload(JournalEntry.actor))
        )
    )
