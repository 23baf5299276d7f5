"""iCalendar (RFC 5545) feeds of step deadlines, for Google Calendar and Outlook.

Written by hand: the format is small, and the two details clients are picky
about are handled here — CRLF line ends with lines folded at 75 octets
without splitting a UTF-8 character, and escaped text values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..db import db
from ..plans.models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness
from ..thaidate import format_date


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets, continuation lines starting with a space."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out)


def _dt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _d(value: date) -> str:
    return value.strftime("%Y%m%d")


def feed_steps(*, department_ids: Iterable[int] = (), assignee_id: int | None = None) -> list[Step]:
    """Steps of active plans owned by the departments or assigned to the user; not cancelled."""
    conditions: list[sa.ColumnElement[bool]] = []
    department_ids = list(department_ids)
    if department_ids:
        conditions.append(Step.owner_department_id.in_(department_ids))
    if assignee_id is not None:
        conditions.append(Step.assignee_id == assignee_id)
    if not conditions:
        return []
    query = (
        sa.select(Step)
        .join(Step.measure)
        .join(Measure.weakness)
        .join(Weakness.plan)
        .where(sa.or_(*conditions), Plan.status == PlanStatus.active, Step.status != StepStatus.cancelled)
        .options(
            selectinload(Step.measure).selectinload(Measure.weakness).selectinload(Weakness.measures),
            selectinload(Step.owner_department),
        )
        .order_by(Step.due_date, Step.id)
    )
    return list(db.session.scalars(query))


def build_calendar(name: str, steps: list[Step], step_url: Callable[[int], str], host: str, now: datetime) -> str:
    """The feed; `step_url(step_id)` gives a step page's full address, `host` the UIDs' domain."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//ITA follow-up tracker//TH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Bangkok",
        # Ask clients to refresh a few times a day.
        "REFRESH-INTERVAL;VALUE=DURATION:PT4H",
        "X-PUBLISHED-TTL:PT4H",
    ]
    for step in steps:
        done = step.status is StepStatus.done
        prefix = "✓ " if done else ""
        summary = f"{prefix}ครบกำหนด {step.number} {step.title}"
        url = step_url(step.id)
        description = (
            f"มาตรการ {step.measure.number}: {step.measure.title}\n"
            f"ผู้รับผิดชอบ: {step.owner_department.name}\n"
            f"ครบกำหนด: {format_date(step.due_date, style='full')}\n"
            f"สถานะ: {step.status.label}\n{url}"
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:step-{step.id}@{host}",
            f"DTSTAMP:{_dt(now)}",
            f"LAST-MODIFIED:{_dt(step.updated_at)}",
            f"DTSTART;VALUE=DATE:{_d(step.due_date)}",
            f"DTEND;VALUE=DATE:{_d(step.due_date + timedelta(days=1))}",
            f"SUMMARY:{escape_text(summary)}",
            f"DESCRIPTION:{escape_text(description)}",
            f"URL:{url}",
            "TRANSP:TRANSPARENT",
            "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
