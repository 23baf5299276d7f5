"""`/healthz`: is this instance able to serve, and is the background work keeping up?

No login, JSON, counts and ages only (never a record's content, an address,
a setting or an error text; errors go to the log under the request id):

    {"status": "ok" | "degraded" | "down", "checked_at": "…Z",
     "database": {"status": "ok", "latency_ms": 1.3} | {"status": "unreachable"},
     "scheduler": {"status": "ok" | "stale" | "never", "last_beat_at": "…Z" | null,
                   "age_seconds": 42 | null, "max_age_seconds": 600},
     "outbox": {"pending": 0, "oldest_pending_age_seconds": null, "sending": 0, "failed": 0}}

HTTP status:
- 503 when the database cannot be reached: this host cannot serve, a load
  balancer should take it out.
- A scheduler that has not beaten for TRACKER_HEALTH_MAX_BEAT_AGE minutes
  (default 10), or never, makes the status "degraded" but keeps HTTP 200:
  web hosts serve fine without it, and a deployment may run `tracker remind`
  from cron instead of `tracker scheduler`. Monitoring that expects a
  scheduler asks `/healthz?strict=1`, which answers 503 in that case too.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from wtforms import StringField

from ..clock import utcnow
from ..db import db
from ..forms.query import QueryForm

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)

#: The database must answer `SELECT 1` within this many seconds.
DB_TIMEOUT_S = 3


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _aware(moment: datetime | None) -> datetime | None:
    # max()/min() lose the UTC column type: SQLite gives back naive UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _age(now: datetime, moment: datetime | None) -> int | None:
    return max(0, int((now - moment).total_seconds())) if moment else None


def check_database() -> dict:
    started = time.perf_counter()
    try:
        if db.engine.dialect.name == "postgresql":
            # LOCAL: only this transaction; a stuck server fails the check instead of hanging it.
            db.session.execute(sa.text(f"SET LOCAL statement_timeout = {DB_TIMEOUT_S * 1000}"))
        db.session.execute(sa.text("SELECT 1"))
    except Exception:
        db.session.rollback()
        log.exception("health check: the database did not answer")
        return {"status": "unreachable"}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def check_scheduler(now: datetime, max_age_s: int) -> dict:
    from ..notify.models import SchedulerBeat

    last = db.session.scalar(sa.select(sa.func.max(SchedulerBeat.beat_at)))
    last = _aware(last)
    age = _age(now, last)
    if age is None:
        status = "never"
    else:
        status = "ok" if age <= max_age_s else "stale"
    return {"status": status, "last_beat_at": _iso(last), "age_seconds": age, "max_age_seconds": max_age_s}


def check_outbox(now: datetime) -> dict:
    from ..notify.models import OutboxMessage, OutboxStatus

    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count())
            .where(OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed]))
            .group_by(OutboxMessage.status)
        ).all()
    )
    oldest = db.session.scalar(
        sa.select(sa.func.min(OutboxMessage.created_at)).where(OutboxMessage.status == OutboxStatus.pending)
    )
    oldest = _aware(oldest)
    return {
        "pending": counts.get(OutboxStatus.pending, 0),
        "oldest_pending_age_seconds": _age(now, oldest),
        "sending": counts.get(OutboxStatus.sending, 0),
        "failed": counts.get(OutboxStatus.failed, 0),
    }


def health_report(now: datetime, max_beat_age_s: int, strict: bool = False) -> tuple[dict, int]:
    """The report and its HTTP status (see the module's docstring)."""
    report: dict = {"status": "ok", "checked_at": _iso(now), "database": check_database()}
    if report["database"]["status"] != "ok":
        report["status"] = "down"
        return report, 503
    try:
        report["scheduler"] = check_scheduler(now, max_beat_age_s)
        report["outbox"] = check_outbox(now)
    except Exception:
        # Reachable but failing (e.g. tables missing before `tracker db upgrade`).
        db.session.rollback()
        log.exception("health check: the database answered but the tables could not be read")
        report["status"] = "down"
        report["database"] = {"status": "error"}
        return report, 503
    finally:
        db.session.rollback()  # read-only; end the transaction (and SET LOCAL) here
    if report["scheduler"]["status"] != "ok":
        report["status"] = "degraded"
        return report, 503 if strict else 200
    return report, 200


class HealthQuery(QueryForm):
    """``?strict=1``: a stale scheduler answers 503 (for monitors that read only the status)."""

    strict = StringField()


@bp.route("/healthz")
def healthz():
    max_age = current_app.config.get("TRACKER_HEALTH_MAX_BEAT_AGE", 10) * 60
    strict = HealthQuery.sent().strict.data in ("1", "true", "yes")
    report, status = health_report(utcnow(), max_age, strict)
    response = jsonify(report)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
