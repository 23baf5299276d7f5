"""The scheduler is a heartbeat over plain jobs: `tick(now)`, the `remind` and
`digest` commands with --now/--dry-run, and real processes (`tracker
scheduler`, `tracker run`) that beat and queue on their own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import NOW
from tracker.db import db
from tracker.demo import load_demo
from tracker.notify.models import OutboxMessage, OutboxStatus, SchedulerBeat
from tracker.scheduler import tick

ROOT = Path(__file__).resolve().parent.parent
TRACKER = str(Path(sys.executable).with_name("tracker"))
#: Monday 7 Aug 2023, 08:30 Bangkok: owners of the demo have reminders due.
MONDAY = datetime(2023, 8, 7, 1, 30, tzinfo=UTC)


def outbox_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def test_a_tick_queues_what_is_due_captures_it_and_records_its_beat(app, ctx):
    load_demo(NOW)
    db.session.commit()
    report = tick(MONDAY)
    assert report.queued and outbox_count() == len(report.queued)
    # No mail server in the embedded default: captured, readable, not sent.
    assert {m.status for m in db.session.scalars(sa.select(OutboxMessage))} == {OutboxStatus.captured}
    assert db.session.scalar(sa.select(SchedulerBeat.beat_at)) == MONDAY
    assert tick(MONDAY).queued == [] and outbox_count() == len(report.queued)


def test_before_eight_in_the_morning_nothing_is_queued(app, ctx):
    load_demo(NOW)
    db.session.commit()
    assert tick(datetime(2023, 8, 7, 0, 59, tzinfo=UTC)).queued == []  # 07:59 Bangkok


def test_remind_dry_run_shows_and_writes_nothing_then_a_pass_queues_once(app, ctx, runner):
    load_demo(NOW)
    db.session.commit()
    dry = runner.invoke(args=["remind", "--now", "2023-08-07T08:30", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would queue reminder 2023-08-07 → strategy.owner@banpet.example" in dry.output
    assert outbox_count() == 0
    first = runner.invoke(args=["remind", "--now", "2023-08-07T08:30"])
    assert first.exit_code == 0, first.output
    queued = outbox_count()
    assert queued == dry.output.count("  would queue ")
    assert f"เก็บไว้ {queued} ·" in first.output
    again = runner.invoke(args=["remind", "--now", "2023-08-07T15:00"])
    assert "เข้าคิว 0 ·" in again.output and outbox_count() == queued


def test_digest_pass_for_a_chosen_day(app, ctx, runner):
    load_demo(NOW)
    db.session.commit()
    result = runner.invoke(args=["digest", "--now", "2023-08-07T08:30"])
    assert result.exit_code == 0, result.output
    kinds = set(db.session.scalars(sa.select(OutboxMessage.kind)))
    assert "digest_weekly" in kinds


def test_a_bad_now_is_refused_with_a_message(runner):
    result = runner.invoke(args=["remind", "--now", "yesterday"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


# -- real processes ----------------------------------------------------------


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
    env["TRACKER_INSTANCE_PATH"] = str(tmp_path)
    return env


def _beats(tmp_path: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("select count(*) from scheduler_beats")).scalar()
    except sa.exc.OperationalError:
        return 0
    finally:
        engine.dispose()


def _wait_for_beat(proc: subprocess.Popen, tmp_path: Path, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if _beats(tmp_path):
            return True
        time.sleep(0.5)
    return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_tracker_scheduler_beats_at_start(tmp_path):
    env = _env(tmp_path)
    subprocess.run([TRACKER, "demo"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen(
        [TRACKER, "scheduler"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert _wait_for_beat(proc, tmp_path), "no heartbeat recorded"
    finally:
        output = _stop(proc)
    assert "Traceback" not in output, output


def test_tracker_run_serves_and_runs_the_scheduler_in_the_same_process(tmp_path):
    env = _env(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [TRACKER, "run", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for_beat(proc, tmp_path), "no heartbeat recorded"
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
            assert response.status == 200
    finally:
        output = _stop(proc)
    assert "Traceback" not in output, output


def test_tracker_run_without_the_scheduler_records_no_beat(tmp_path):
    env = _env(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [TRACKER, "run", "--no-scheduler", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        import urllib.request

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        time.sleep(2)
        assert _beats(tmp_path) == 0
    finally:
        _stop(proc)
