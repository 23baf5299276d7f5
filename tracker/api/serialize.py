"""Records as JSON objects: English field names, ISO 8601 dates, UTC timestamps
with their offset, enums by value. The shapes are documented in `openapi.py`
(the tests check every response against it)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from ..auth.models import User
from ..notify.models import OutboxMessage
from ..orgs.models import Department, Organization
from ..plans.models import Evidence, JournalEntry, Measure, Plan, Step, Weakness
from ..plans.progress import Progress

JSON = dict[str, Any]


def timestamp(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def person(user: User | None) -> JSON | None:
    return {"id": user.id, "display_name": user.display_name} if user is not None else None


def department_ref(dep: Department | None) -> JSON | None:
    return {"id": dep.id, "name": dep.name} if dep is not None else None


def organization(org: Organization) -> JSON:
    return {"id": org.id, "slug": org.slug, "name": org.name, "province": org.province or ""}


def organization_detail(org: Organization, departments: list[Department]) -> JSON:
    return {
        **organization(org),
        "departments": [{"id": d.id, "name": d.name, "email": d.email or None} for d in departments],
    }


def me(user: User) -> JSON:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role.value,
        "organization": organization(user.organization),
        "department": department_ref(user.department),
    }


def progress(p: Progress) -> JSON:
    return {"done": p.done, "total": p.total, "cancelled": p.cancelled, "percent": p.percent}


def plan(p: Plan, total: Progress) -> JSON:
    return {
        "id": p.id,
        "organization": p.organization.slug,
        "fiscal_year": p.fiscal_year,
        "title": p.title,
        "status": p.status.value,
        "progress": progress(total),
    }


def measure(m: Measure, p: Progress) -> JSON:
    return {
        "id": m.id,
        "plan_id": m.weakness.plan_id,
        "weakness_id": m.weakness_id,
        "number": m.number,
        "order": m.order,
        "title": m.title,
        "owner_department": department_ref(m.owner_department),
        "period_start": day(m.period_start),
        "period_end": day(m.period_end),
        "follow_up": m.follow_up or "",
        "progress": progress(p),
    }


def weakness(w: Weakness, by_measure: dict[int, Progress]) -> JSON:
    return {
        "id": w.id,
        "order": w.order,
        "title": w.title,
        "detail": w.detail or "",
        "measures": [measure(m, by_measure.get(m.id, Progress())) for m in w.measures],
    }


def step(s: Step, today: date) -> JSON:
    plan_ = s.measure.weakness.plan
    return {
        "id": s.id,
        "number": s.number,
        "order": s.order,
        "title": s.title,
        "status": s.status.value,
        "status_label": s.status.label,
        "organization": plan_.organization.slug,
        "plan_id": plan_.id,
        "fiscal_year": plan_.fiscal_year,
        "measure_id": s.measure_id,
        "owner_department": department_ref(s.owner_department),
        "assignee": person(s.assignee),
        "start_date": day(s.start_date),
        "due_date": day(s.due_date),
        "overdue": s.is_overdue(today),
        "completed_at": timestamp(s.completed_at),
        "completed_by": person(s.completed_by),
        "cancel_reason": s.cancel_reason or None,
        "updated_at": timestamp(s.updated_at),
    }


def evidence(ev: Evidence) -> JSON:
    return {
        "id": ev.id,
        "kind": ev.kind.value,
        "name": ev.original_name,
        "url": ev.url or None,
        "content_type": ev.content_type or None,
        "size": ev.size or 0,
        "sha256": ev.sha256 or None,
        "public": bool(ev.public),
        "uploaded_by": person(ev.uploaded_by),
        "created_at": timestamp(ev.created_at),
    }


def step_detail(s: Step, today: date) -> JSON:
    m = s.measure
    return {
        **step(s, today),
        "measure": {"id": m.id, "number": m.number, "title": m.title},
        "evidence": [evidence(ev) for ev in s.evidence],
    }


def journal_entry(e: JournalEntry) -> JSON:
    return {
        "id": e.id,
        "step_id": e.step_id,
        "action": e.action,
        "field": e.field,
        "old_value": e.old_value,
        "new_value": e.new_value,
        "note": e.note,
        "actor": person(e.actor),
        "created_at": timestamp(e.created_at),
    }


def outbox_message(m: OutboxMessage) -> JSON:
    return {
        "id": m.id,
        "kind": m.kind,
        "for_date": day(m.for_date),
        "recipient": m.recipient,
        "recipient_name": m.recipient_name or "",
        "subject": m.subject,
        "status": m.status.value,
        "attempts": m.attempts or 0,
        "last_error": m.last_error,
        "next_attempt_at": timestamp(m.next_attempt_at),
        "sent_at": timestamp(m.sent_at),
        "created_at": timestamp(m.created_at),
    }


def page(items: list[JSON], total: int, limit: int, offset: int) -> JSON:
    return {
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < total else None,
    }
