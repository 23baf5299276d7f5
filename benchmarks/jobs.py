"""The mail jobs over everything: a reminder pass, a digest pass, a scheduler tick, delivery.

    python benchmarks/jobs.py --db sqlite --scale full [--json out.json]

At the generated day (the data's "today", a Monday) 08:30 Bangkok:
1. reminder pass: `queue_reminder_batches(now)` (what the scheduler runs) + flush,
   timed, rolled back;
2. digest pass: `queue_digest_batches(now)` + flush, timed, rolled back;
3. `tracker remind` then `tracker digest` (the commands, as an operator runs them
   over the whole country) in one fresh process without a mail server (the
   100 messages each delivers are captured): time, CPU, peak RSS; what they
   queued is deleted again;
4. a scheduler tick in a fresh process (`tracker.scheduler.tick(now)`: both
   passes, commit, deliver a batch to the sink): its time and peak RSS;
5. the repeat pass: the same day again, after the tick committed — what every
   later heartbeat of the day costs (it queues nothing new);
6. delivery: `deliver(now, limit=N)` on one SMTP connection to an aiosmtpd
   sink running in a separate process on 127.0.0.1: messages per second.
Everything the run added (outbox rows, the scheduler's heartbeat) is deleted
at the end, so the database stays as generated.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from datetime import time as dtime
from pathlib import Path

import sqlalchemy as sa
from common import HERE, ROOT, QueryCounter, bench_env, make_app, peak_rss_mb, resolve_url, write_result
from pages import free_port


def data_today(app):
    """The day the data is as of: the latest journal entry's Bangkok date, or the generator's default."""
    from tracker import thaidate
    from tracker.db import db
    from tracker.plans.models import JournalEntry

    with app.app_context():
        last = db.session.scalar(sa.select(sa.func.max(JournalEntry.created_at)))
    if last is None:
        raise SystemExit("no journal: was the database made by benchmarks/generate.py?")
    if isinstance(last, str):  # SQLite through a bare func.max returns text
        last = datetime.fromisoformat(last)
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    day = last.astimezone(thaidate.BANGKOK).date()
    # The generator writes history up to the day before "today"; "today" is the next business day.
    return thaidate.next_business_day(day, include_self=False)


#: CPU seconds of the last `timed` call (this process: with SQLite that includes the database's work)
last_cpu = 0.0


def timed(fn, counter: QueryCounter):
    global last_cpu
    with counter.counting():
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        seconds = time.perf_counter() - started
        last_cpu = round(time.process_time() - cpu, 3)
    return result, round(seconds, 3), counter.count


class SmtpSink:
    """aiosmtpd's own command line with its Sink handler (accepts and discards), in another process."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import smtplib

        deadline = time.time() + 20
        while True:
            try:
                smtplib.SMTP("127.0.0.1", self.port, timeout=2).quit()
                return
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("the SMTP sink did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


TICK_SCRIPT = """
import json, sys, time
from datetime import datetime
sys.path[:0] = {paths!r}
from common import make_app, peak_rss_mb
app = make_app({url!r}, MAIL_SERVER="127.0.0.1", MAIL_PORT={port}, MAIL_TIMEOUT=10)
from tracker.scheduler import tick
now = datetime.fromisoformat({now!r})
with app.app_context():
    started, cpu = time.perf_counter(), time.process_time()
    report = tick(now)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({{"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "queued": len(report.queued),
                  "delivered": len(report.delivery.sent), "peak_rss_mb": round(peak_rss_mb(), 1)}}))
"""


#: `tracker remind` and `tracker digest` as an operator runs them (output discarded).
CLI_SCRIPT = """
import contextlib, io, json, sys, time
sys.path[:0] = {paths!r}
from common import make_app, peak_rss_mb
app = make_app({url!r})
out = io.StringIO()
started, cpu = time.perf_counter(), time.process_time()
for command in ("remind", "digest"):
    with contextlib.redirect_stdout(out):
        try:
            app.cli.main([command, "--now", {now!r}], prog_name="tracker", standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                raise
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({{"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                  "output_lines": out.getvalue().count("\\n"), "peak_rss_mb": round(peak_rss_mb(), 1)}}))
"""


def top_up_pending(count: int, now: datetime) -> int:
    """Make sure `count` messages wait in the outbox: copies of today's (new keys, same bodies)
    when the passes queued fewer. Commits; returns how many wait."""
    from tracker.db import db
    from tracker.notify.models import OutboxMessage, OutboxStatus
    from tracker.notify.outbox import message_id_for

    def waiting() -> int:
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.pending)
        )

    missing = count - waiting()
    models = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(500)))
    rows = []
    for i in range(max(0, missing)):
        m = models[i % len(models)]
        about = f"bench:{i}"
        rows.append(
            dict(
                organization_id=m.organization_id,
                about=about,
                kind=m.kind,
                for_date=m.for_date,
                recipient=m.recipient,
                recipient_name=m.recipient_name,
                user_id=m.user_id,
                subject=m.subject,
                body_text=m.body_text,
                body_html=m.body_html,
                message_id=message_id_for(about, m.kind, m.for_date, m.recipient, "bench.example"),
                status=OutboxStatus.pending,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    if rows:
        db.session.execute(sa.insert(OutboxMessage), rows)
    db.session.commit()
    return waiting()


def run(url: str, deliver_count: int) -> dict:
    from tracker import thaidate
    from tracker.db import db
    from tracker.notify import digests, reminders
    from tracker.notify.delivery import deliver
    from tracker.notify.models import OutboxItem, OutboxMessage, SchedulerBeat

    # What the scheduler runs: the batched passes that return plain records
    # (older code: the passes that return the rows).
    queue_reminders = getattr(reminders, "queue_reminder_batches", reminders.queue_reminders)
    queue_digests = getattr(digests, "queue_digest_batches", digests.queue_digests)

    app = make_app(url)
    day = data_today(app)
    now = datetime.combine(day, dtime(8, 30), thaidate.BANGKOK)
    result: dict = {"now": now.isoformat()}
    with app.app_context():
        counter = QueryCounter(db.engine)
        max_message = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(OutboxMessage.id), 0)))
        max_item = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(OutboxItem.id), 0)))
        db.session.commit()
    try:
        with app.app_context():
            for name, job in (("reminder_pass", queue_reminders), ("digest_pass", queue_digests)):
                messages, seconds, queries = timed(lambda job=job: (job(now), db.session.flush())[0], counter)
                items = (
                    db.session.scalar(
                        sa.select(sa.func.count()).select_from(OutboxItem).where(OutboxItem.id > max_item)
                    )
                    if name == "reminder_pass"
                    else None
                )
                db.session.rollback()
                result[name] = {
                    "seconds": seconds,
                    "cpu_seconds": last_cpu,
                    "queries": queries,
                    "messages": len(messages),
                    **({"items": items} if items is not None else {}),
                }
                print(
                    f"  {name}: {seconds:.2f} s, {len(messages)} messages, {queries} statements",
                    file=sys.stderr,
                    flush=True,
                )
            db.session.remove()
            db.engine.dispose()
        script = CLI_SCRIPT.format(paths=[str(HERE), str(ROOT)], url=url, now=now.isoformat())
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=bench_env(url), cwd=ROOT, timeout=1800
        )
        if out.returncode != 0:
            raise SystemExit(f"tracker remind/digest failed:\n{out.stderr[-3000:]}")
        result["cli_pass"] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  tracker remind + digest: {result['cli_pass']}", file=sys.stderr, flush=True)
        with app.app_context():  # as generated again, for the scheduler's tick
            db.session.execute(sa.delete(OutboxItem).where(OutboxItem.id > max_item))
            db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id > max_message))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        sink = SmtpSink()
        try:
            script = TICK_SCRIPT.format(paths=[str(HERE), str(ROOT)], url=url, port=sink.port, now=now.isoformat())
            out = subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                env=bench_env(url),
                cwd=ROOT,
                timeout=1800,
            )
            if out.returncode != 0:
                raise SystemExit(f"scheduler tick failed:\n{out.stderr[-3000:]}")
            result["scheduler_tick"] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"  scheduler tick: {result['scheduler_tick']}", file=sys.stderr, flush=True)
            with app.app_context():

                def repeat_pass():
                    return [*queue_reminders(now), *queue_digests(now)]

                messages, seconds, queries = timed(lambda: (repeat_pass(), db.session.flush())[0], counter)
                db.session.rollback()
                result["repeat_pass"] = {
                    "seconds": seconds,
                    "cpu_seconds": last_cpu,
                    "queries": queries,
                    "messages": len(messages),
                }
                print(f"  repeat pass: {seconds:.2f} s, {len(messages)} messages", file=sys.stderr, flush=True)
                # The next business day: an ordinary day's first pass (no weekly overdue wave, no digests).
                next_day = thaidate.next_business_day(day, include_self=False)
                later = datetime.combine(next_day, dtime(8, 30), thaidate.BANGKOK)
                messages, seconds, queries = timed(
                    lambda: ([*queue_reminders(later), *queue_digests(later)], db.session.flush())[0], counter
                )
                db.session.rollback()
                result["next_day_pass"] = {
                    "now": later.isoformat(),
                    "seconds": seconds,
                    "cpu_seconds": last_cpu,
                    "queries": queries,
                    "messages": len(messages),
                }
                print(
                    f"  next business day's pass: {seconds:.2f} s, {len(messages)} messages",
                    file=sys.stderr,
                    flush=True,
                )
                # As the scheduler does: nothing of the passes stays in the session during delivery.
                del messages
                db.session.remove()
                app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_TIMEOUT=10)
                pending = top_up_pending(deliver_count, now)
                # Three rounds on one connection each: the machine is shared, one round can
                # be slowed by someone else's work; the median round is reported.
                rounds, seconds, cpu, sent, failed, stopped = [], 0.0, 0.0, 0, 0, None
                for _ in range(3):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    report = deliver(now, limit=max(1, deliver_count // 3))
                    took = time.perf_counter() - started
                    seconds, cpu = seconds + took, cpu + time.process_time() - cpu_started
                    sent, failed, stopped = sent + len(report.sent), failed + len(report.failed), report.stopped
                    rounds.append(round(len(report.sent) / took, 1) if took else 0.0)
                result["delivery"] = {
                    "seconds": round(seconds, 2),
                    "cpu_seconds": round(cpu, 2),
                    "sent": sent,
                    "failed": failed,
                    "pending_before": pending,
                    "stopped": stopped,
                    "rounds_per_second": rounds,
                    "messages_per_second": sorted(rounds)[1],
                }
                print(f"  delivery: {result['delivery']}", file=sys.stderr, flush=True)
        finally:
            sink.stop()
    finally:
        with app.app_context():
            db.session.rollback()
            db.session.execute(sa.delete(OutboxItem).where(OutboxItem.id > max_item))
            db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id > max_message))
            db.session.execute(sa.delete(SchedulerBeat))
            db.session.commit()
    result["peak_rss_mb_of_this_process"] = round(peak_rss_mb(), 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql, or a database URL")
    parser.add_argument("--scale", default="full", help="with --db sqlite: which generated file")
    parser.add_argument("--deliver", type=int, default=2000, help="messages to deliver in the delivery run")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(resolve_url(args.db, args.scale), args.deliver)
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
