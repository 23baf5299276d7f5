"""Outbox commands: `tracker outbox` (what is queued, sent, failed) and `tracker deliver`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel.speaklater import LazyString

from ..db import db
from ..i18n import _, _l, gettext_anywhere, option
from ..thaidate import BANGKOK
from .models import OutboxMessage, OutboxStatus


def parse_now(text: str | None) -> datetime | None:
    """--now as ISO 8601; without a zone it is Bangkok time, as people here read clocks."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            gettext_anywhere("ต้องเป็นวันเวลาแบบ ISO 8601 เช่น 2023-08-01T08:30 ไม่ใช่ %(text)r", text=text)
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=BANGKOK)
    return value.astimezone(UTC)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def row_as_json(row: OutboxMessage) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "for_date": _iso(row.for_date),
        "recipient": row.recipient,
        "subject": row.subject,
        "status": row.status.value,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": _iso(row.created_at),
        "sent_at": _iso(row.sent_at),
        "message_id": row.message_id,
    }


@click.command("outbox", help=_l("รายการกล่องจดหมายออก ใหม่สุดก่อน"))
@option("--json", "as_json", is_flag=True, help=_l("พิมพ์รายการข้อความเป็น JSON"))
@option("--status", type=click.Choice([s.value for s in OutboxStatus]), help=_l("เฉพาะข้อความที่มีสถานะนี้"))
@option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help=_l("ใหม่สุดก่อน ไม่เกินจำนวนนี้"))
@with_appcontext
def outbox_command(as_json: bool, status: str | None, limit: int) -> None:
    """List the outbox, newest first."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    rows = db.session.scalars(query).all()
    if as_json:
        click.echo(json.dumps([row_as_json(r) for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(_("กล่องจดหมายออกว่าง"))
        return
    for r in rows:
        sent = f" sent {r.sent_at:%Y-%m-%d %H:%M}Z" if r.sent_at else ""
        click.echo(
            f"#{r.id} {r.status.value:<8} {r.kind:<14} {r.for_date} {r.recipient}  "
            f"attempts={r.attempts}{sent}  {r.subject}"
        )
        if r.last_error:
            click.echo(f"      last error: {r.last_error}")


@click.command("deliver", help=_l("ส่งข้อความที่ถึงกำหนด ถ้าไม่ได้ตั้งค่าเซิร์ฟเวอร์อีเมล ข้อความจะถูกเก็บไว้โดยไม่ได้ส่ง"))
@option("--now", "now_text", metavar="ISO8601", help=_l("ส่งเสมือนเป็นเวลานี้ ค่าเริ่มต้นคือตอนนี้"))
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@with_appcontext
def deliver_command(now_text: str | None, limit: int) -> None:
    """Send the messages that are due; captured when no mail server is set."""
    from .delivery import deliver

    report = deliver(parse_now(now_text), limit=limit)
    click.echo(
        _(
            "ส่งแล้ว %(sent)s · เก็บไว้ %(captured)s · รอส่งใหม่ %(retried)s · ส่งไม่สำเร็จ %(failed)s",
            sent=len(report.sent),
            captured=len(report.captured),
            retried=len(report.retried),
            failed=len(report.failed),
        )
        + (_(" · คืนจากผู้ส่งที่หยุดไป %(count)s", count=len(report.swept)) if report.swept else "")
        + (_(" · สิทธิ์ส่งหลุดระหว่างส่ง %(count)s", count=len(report.lease_lost)) if report.lease_lost else "")
    )
    for label, ids in (("failed", report.failed), ("retry later", report.retried)):
        for row in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids))):
            click.echo(f"  #{row.id} {label}: {row.recipient}: {row.last_error}")
    if report.stopped:
        if report.stopped.startswith("LINE"):
            raise click.ClickException(_("LINE ไม่ตอบหรือขอให้รอ จะลองใหม่ภายหลัง: %(reason)s", reason=report.stopped))
        raise click.ClickException(_("ติดต่อเซิร์ฟเวอร์อีเมลไม่ได้ จะลองใหม่ภายหลัง: %(reason)s", reason=report.stopped))


def _job_command(name: str, summary: LazyString, iter_path: str, queue_path: str):
    """`tracker remind` / `tracker digest`: one pass — queue what is due by --now, then deliver.

    The same work as the scheduler's beat: planned once, rendered and queued in
    batches (never the whole country's bodies in memory), printed from what the
    pass itself wrote (no message is read back)."""

    @click.command(name, help=summary)
    @option(
        "--now",
        "now_text",
        metavar="ISO8601",
        help=_l("ทำงานเสมือนเป็นเวลานี้ (เวลากรุงเทพฯ ถ้าไม่ระบุเขตเวลา) เช่น 2023-08-07T08:30"),
    )
    @option("--dry-run", is_flag=True, help=_l("แสดงสิ่งที่จะเข้าคิว ไม่บันทึกและไม่ส่งสิ่งใด"))
    @with_appcontext
    def command(now_text: str | None, dry_run: bool) -> None:
        from importlib import import_module

        from ..clock import utcnow
        from ..thaidate import format_datetime
        from .delivery import deliver

        now = parse_now(now_text) or utcnow()
        click.echo(_("ณ %(when)s (%(iso)s):", when=format_datetime(now), iso=now.isoformat()))
        if dry_run:
            module, iter_name = iter_path.rsplit(".", 1)
            count = 0
            for m in getattr(import_module(module), iter_name)(now):
                click.echo(f"  would queue {m.kind} {m.for_date} → {m.recipient}: {m.subject}")
                count += 1
            click.echo(_("จะเข้าคิว %(count)s ข้อความ (ทดลองเท่านั้น ไม่ได้บันทึกสิ่งใด)", count=count))
            return
        module, queue_name = queue_path.rsplit(".", 1)
        queued = getattr(import_module(module), queue_name)(now)
        db.session.commit()
        for m in queued:
            click.echo(f"  queued #{m.id} {m.kind} {m.for_date} → {m.recipient}: {m.subject}")
        report = deliver(now)
        click.echo(
            _(
                "เข้าคิว %(queued)s · ส่งแล้ว %(sent)s · เก็บไว้ %(captured)s · รอส่งใหม่ %(retried)s · ไม่สำเร็จ %(failed)s",
                queued=len(queued),
                sent=len(report.sent),
                captured=len(report.captured),
                retried=len(report.retried),
                failed=len(report.failed),
            )
        )
        if report.stopped:
            raise click.ClickException(_("ติดต่อเซิร์ฟเวอร์อีเมลไม่ได้: %(reason)s", reason=report.stopped))

    return command


remind_command = _job_command(
    "remind",
    _l(
        "เข้าคิวการเตือนผู้รับผิดชอบและการแจ้งผู้บริหารที่ถึงกำหนดภายใน --now (ค่าเริ่มต้นคือตอนนี้) แล้วส่ง "
        "--dry-run แสดงอย่างเดียว รันซ้ำได้ ไม่มีข้อความใดเข้าคิวซ้ำ"
    ),
    "tracker.notify.reminders.iter_reminders",
    "tracker.notify.reminders.queue_reminder_batches",
)
digest_command = _job_command(
    "digest",
    _l(
        "เข้าคิวสรุปรายสัปดาห์และรายเดือนที่ถึงกำหนดภายใน --now (ค่าเริ่มต้นคือตอนนี้) แล้วส่ง "
        "--dry-run แสดงอย่างเดียว รันซ้ำได้ ไม่มีข้อความใดเข้าคิวซ้ำ"
    ),
    "tracker.notify.digests.iter_digests",
    "tracker.notify.digests.queue_digest_batches",
)

outbox_commands = [outbox_command, deliver_command, remind_command, digest_command]
