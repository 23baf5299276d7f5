"""Outbox rows for delivery tests, queued the way the reminder jobs queue them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tracker.db import db
from tracker.notify.models import OutboxMessage
from tracker.notify.outbox import enqueue

#: Queue time of the test messages: 2023-08-01 08:00 Bangkok.
QUEUED_AT = datetime(2023, 8, 1, 1, 0, tzinfo=UTC)

THAI_SUBJECT = "แจ้งเตือน: ขั้นตอนที่ใกล้ครบกำหนด ๓ รายการ (มาตรการส่งเสริมคุณธรรมและความโปร่งใส)"
THAI_TEXT = "เรียน เจ้าหน้าที่สำนักปลัดเทศบาล\n\nขั้นตอน 1.1 จัดทำประกาศแนวทางปฏิบัติ ครบกำหนด ๓๑ ก.ค. ๒๕๖๖\n"
THAI_HTML = "<p>เรียน เจ้าหน้าที่สำนักปลัดเทศบาล</p><ul><li>ขั้นตอน 1.1 จัดทำประกาศแนวทางปฏิบัติ</li></ul>"


def queue(
    count: int = 1,
    *,
    organization_id: int | None = None,
    start: int = 0,
    now: datetime = QUEUED_AT,
    commit: bool = True,
    **fields,
) -> list[OutboxMessage]:
    """Queue `count` distinct messages (recipient n@example.go.th); commit."""
    rows = []
    for n in range(start, start + count):
        values = dict(
            organization_id=organization_id,
            about=f"org:{organization_id or 0}",
            kind="reminder",
            for_date=date(2023, 8, 1),
            recipient=f"user{n}@example.go.th",
            recipient_name=f"เจ้าหน้าที่ทดสอบ {n}",
            subject=f"{THAI_SUBJECT} #{n}",
            body_text=THAI_TEXT,
            body_html=THAI_HTML,
            now=now,
        )
        values.update(fields)
        row = enqueue(**values)
        assert row is not None, "a message with this key exists already"
        rows.append(row)
    if commit:
        db.session.commit()
    return rows
