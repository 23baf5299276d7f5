"""Beyond one machine: two app servers and two schedulers on one PostgreSQL.

The production topology of the README (issue 14), in small: two gunicorn
servers (one worker each, so which process answers is certain) and two
`tracker scheduler` processes share one PostgreSQL database and one SMTP
server. It proves that

- nothing is queued or sent twice: both schedulers beat at once over the same
  due reminders; every message is in the outbox once and reaches the SMTP
  server once;
- no page depends on process-local state: a session logged in on server A is
  used on server B (same secret key, server-side nothing);
- login throttling counts attempts across both servers through the shared
  store (Redis at 127.0.0.1:6379 when it listens, else the database).

PostgreSQL only: skipped on the SQLite pass (no TRACKER_TEST_DATABASE_URL);
on the PostgreSQL pass an unreachable server fails when CI=true.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import requests
import sqlalchemy as sa
from conftest import PASSWORD, make_user, one_measure, scratch_postgres_url
from smtp_sink import free_port
from test_login_throttling_workers import EMAIL, REDIS, TOKEN_RE, _redis_listening, failed_logins_until_429

from tracker import create_app
from tracker.auth.models import Role
from tracker.db import db
from tracker.notify.models import OutboxMessage, OutboxStatus, SchedulerBeat
from tracker.orgs.models import Department, Organization
from tracker.plans.models import PlanStatus, Step
from tracker.thaidate import BANGKOK

ROOT = Path(__file__).resolve().parent.parent
#: Monday 3 April 2023, 08:30 Bangkok: the schedulers' clock (overdue reminders are due).
MONDAY = datetime(2023, 4, 3, 8, 30, tzinfo=BANGKOK)
ORGANIZATIONS = 12

#: `tracker scheduler`, its clock set to MONDAY (the heartbeat's `now`; leases keep the real clock).
SCHEDULER = r"""
import sys
from datetime import datetime
import tracker.scheduler
from tracker.cli import cli
moment = datetime.fromisoformat(sys.argv[1])
tracker.scheduler.utcnow = lambda: moment
cli.main(["scheduler"], prog_name="tracker")
"""


def _postgres_url() -> str:
    return scratch_postgres_url("multihost")


def _organizations(app) -> int:
    """ORGANIZATIONS organizations, each with a department mailbox, an owner and two
    overdue steps; the throttled officer. Returns the number of reminders due on MONDAY."""
    from tracker.notify.reminders import plan_reminders

    with app.app_context():
        for n in range(ORGANIZATIONS):
            org = Organization(name=f"เทศบาลตำบลหลายเครื่อง {n}", slug=f"multi{n}", province="ขอนแก่น")
            dept = Department(organization=org, name="สำนักปลัด", email=f"palad@multi{n}.go.th")
            measure = one_measure(org, dept, "แผน", status=PlanStatus.active)
            for order, due in enumerate((date(2023, 3, 1), date(2023, 3, 20)), 1):
                Step(
                    measure=measure,
                    order=order,
                    title=f"ขั้นตอน {order}",
                    owner_department=dept,
                    start_date=date(2023, 1, 2),
                    due_date=due,
                )
            db.session.add(org)
            make_user(org, f"owner@multi{n}.go.th", Role.owner, dept)
        make_user(org, EMAIL, Role.owner)
        db.session.commit()
        due = len(plan_reminders(MONDAY))
        db.session.rollback()
        db.engine.dispose()
    return due


def _env(url: str, tmp_path: Path, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
    env.update(
        TRACKER_DATABASE_URL=url,
        TRACKER_INSTANCE_PATH=str(tmp_path / f"instance-{name}"),
        TRACKER_SECRET_KEY="multi-host",  # one key for every host
        TRACKER_AUTO_MIGRATE="0",
    )
    return env


def _serve(url: str, tmp_path: Path, name: str, storage: str | None) -> tuple[subprocess.Popen, str]:
    """`gunicorn -w 1 wsgi:app` on a free port: one app server."""
    port = free_port()
    env = _env(url, tmp_path, name)
    if storage:
        env["TRACKER_RATELIMIT_STORAGE_URI"] = storage
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a loaded CI machine boots Python slowly
    try:
        while True:
            assert process.poll() is None, f"gunicorn {name} stopped: {process.stdout.read()}"
            assert time.monotonic() < deadline, f"gunicorn {name} did not start"
            try:
                if requests.get(f"{base}/login", timeout=30).status_code == 200:
                    return process, base
            except (requests.ConnectionError, requests.Timeout):  # the worker is still booting
                time.sleep(0.2)
    except BaseException:
        process.terminate()
        process.communicate(timeout=30)
        raise


def _scheduler(url: str, tmp_path: Path, name: str, smtp_port: int) -> subprocess.Popen:
    env = _env(url, tmp_path, name)
    env.update(
        TRACKER_MAIL_SERVER="127.0.0.1",
        TRACKER_MAIL_PORT=str(smtp_port),
        TRACKER_MAIL_TIMEOUT="10",
    )
    return subprocess.Popen(
        [sys.executable, "-c", SCHEDULER, MONDAY.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _log_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    token = TOKEN_RE.search(session.get(f"{base}/login", timeout=30).text).group(1)
    answer = session.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    return session


def test_two_app_servers_and_two_schedulers_share_one_postgresql(tmp_path, smtp_sink):
    url = _postgres_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        from tracker.db import upgrade

        upgrade()
    due = _organizations(app)
    assert due == 2 * ORGANIZATIONS  # the mailbox and the owner of each organization

    storage = None
    if _redis_listening():
        import redis

        redis.Redis(*REDIS, db=14).flushdb()
        storage = f"redis://{REDIS[0]}:{REDIS[1]}/14"
    processes: list[subprocess.Popen] = []
    try:
        servers = []
        for name in ("a", "b"):  # booted one after the other, before the schedulers' busy first beat
            servers.append(_serve(url, tmp_path, name, storage))
            processes.append(servers[-1][0])
        a, b = (base for _, base in servers)
        schedulers = [_scheduler(url, tmp_path, name, smtp_sink.port) for name in ("s1", "s2")]
        processes += schedulers

        # Both schedulers beat at once: every reminder queued once and sent once.
        deadline = time.monotonic() + 180
        while True:
            with app.app_context():
                rows = db.session.execute(sa.select(OutboxMessage.message_id, OutboxMessage.status)).all()
                beats = db.session.scalar(sa.select(sa.func.count()).select_from(SchedulerBeat))
                db.session.rollback()
            if len(rows) >= due and all(status is OutboxStatus.sent for _m, status in rows) and beats == 2:
                break
            for p in schedulers:
                assert p.poll() is None, f"a scheduler stopped: {p.stdout.read()}"
            assert time.monotonic() < deadline, f"{len(rows)} queued, {beats} schedulers beat"
            time.sleep(0.5)
        assert len(rows) == due
        counts = smtp_sink.message_ids()
        assert set(counts) == {message_id for message_id, _s in rows} and set(counts.values()) == {1}, counts

        # A session made on A works on B: nothing of it lives in a process.
        session = _log_in(a, "owner@multi0.go.th")
        page = session.get(f"{b}/my-steps", allow_redirects=False, timeout=30)
        assert page.status_code == 200 and "ขั้นตอน 1" in page.text
        form = session.get(f"{b}/profile", allow_redirects=False, timeout=30)
        assert form.status_code == 200 and "owner@multi0.go.th" in form.text

        # Throttling counts the failures on both servers in the shared store.
        answers = failed_logins_until_429([a, b])
        assert [code for _, code in answers] == [401] * 10 + [429], answers
        assert {base for base, _ in answers[:10]} == {a, b}
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
        with app.app_context():
            db.engine.dispose()
