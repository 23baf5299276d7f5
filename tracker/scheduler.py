"""The scheduler is only a heartbeat: every minute it calls plain job functions
of (now) that compute from the database what should have been queued by now,
then deliver the outbox. Missed beats cost nothing, several schedulers at
once are safe (queueing is idempotent, delivery claims rows), and a process
that was down across 08:00 catches up on its first beat.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

from . import clock
from .clock import BANGKOK, utcnow
from .db import db

log = logging.getLogger(__name__)

#: Seconds between heartbeats
BEAT_SECONDS = 60
#: What a job is given: the application's session (scoped) or a plain one (tests, the CLI)
AnySession = Session | scoped_session[Any]


@dataclass
class TickReport:
    #: Ids of the messages queued by this tick
    queued: list[int] = field(default_factory=list)
    delivery: object | None = None


def scheduler_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _purge_trash(session: AnySession, now: datetime) -> None:
    from .plans.trash import purge_trash

    purge_trash(session, now, _upload_dir())


def _remind_waiting_signers(session: AnySession, now: datetime) -> None:
    from .follow.signoff_reminders import remind_waiting_signers

    remind_waiting_signers(session, now)


def _refresh_overdue(session: AnySession, now: datetime) -> None:
    from .plans.counters import refresh_overdue

    # The day's first beat writes every plan's overdue count for the day (the overview reads it).
    refresh_overdue(session.connection(), clock.local_day(now))


#: The jobs of every beat besides the mail queues: plain functions of (session, now) that
#: compute from the database what is due by `now`, idempotent, flushing (the beat commits).
JOBS: tuple[Callable[[AnySession, datetime], object], ...] = (_purge_trash, _remind_waiting_signers, _refresh_overdue)


def tick(now: datetime | None = None, *, deliver_mail: bool = True) -> TickReport:
    """One heartbeat: queue reminders and digests due by `now`, run the jobs, commit, deliver."""
    from .notify.delivery import deliver
    from .notify.digests import queue_digest_batches
    from .notify.reminders import queue_reminder_batches

    now = now or utcnow()
    report = TickReport()
    # Ids, not the rows: nothing is read back, and a national Monday queues thousands
    # of messages (rendered and inserted in batches, never all in memory).
    report.queued = [m.id for m in (*queue_reminder_batches(now), *queue_digest_batches(now))]
    for job in JOBS:
        job(db.session, now)
    record_beat(now)
    db.session.commit()
    if deliver_mail:
        report.delivery = deliver(now, sender_id=scheduler_name())
    log.log(logging.INFO if report.queued else logging.DEBUG, "scheduler tick", extra={"queued": len(report.queued)})
    return report


def _upload_dir() -> str | None:
    from flask import current_app, has_app_context

    return current_app.config.get("TRACKER_UPLOAD_DIR") if has_app_context() else None


def record_beat(now: datetime) -> None:
    """Upsert this process's heartbeat time (read by health checks)."""
    from .notify.models import SchedulerBeat

    table = SchedulerBeat.__table__
    insert = (postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)
    stmt = insert.values(name=scheduler_name(), beat_at=now).on_conflict_do_update(
        index_elements=["name"], set_={"beat_at": now}
    )
    db.session.execute(stmt)


def _beat(app: Flask) -> None:
    with app.app_context():
        from flask import g

        from .ops.logs import new_request_id

        g.request_id = new_request_id("beat-")  # every log line of this beat carries it
        try:
            tick()
        except Exception:  # a failed beat must not stop the next one
            db.session.rollback()
            log.exception("scheduler heartbeat failed")
        finally:
            db.session.remove()


def _configure(scheduler, app: Flask):
    scheduler.add_job(
        _beat,
        "interval",
        seconds=BEAT_SECONDS,
        args=[app],
        id="heartbeat",
        next_run_time=clock.now(),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        replace_existing=True,
    )
    return scheduler


def start_background(app: Flask) -> BackgroundScheduler:
    """For `tracker run`: the heartbeat in a thread of the web process."""
    scheduler = _configure(BackgroundScheduler(timezone=BANGKOK, daemon=True), app)
    scheduler.start()
    log.info("scheduler started in the web process (every %ss)", BEAT_SECONDS)
    return scheduler


def run_blocking(app: Flask) -> None:
    """For `tracker scheduler`: the heartbeat as the whole process."""
    scheduler = _configure(BlockingScheduler(timezone=BANGKOK), app)
    log.info("scheduler running (every %ss); stop with Ctrl+C", BEAT_SECONDS)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
