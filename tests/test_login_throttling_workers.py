"""Login throttling holds across processes: "10 failed logins per minute" per
email and per client address, whichever worker or host answers.

Two real gunicorn servers (one worker each, so which process answers is
certain) serve the app from one database: the SQLite file of the embedded
setup, and PostgreSQL when TRACKER_TEST_DATABASE_URL is set. Wrong passwords
for one account alternate between them. With the default store (the
database) the 11th failure within the minute is answered 429 by either
process; with each process's memory (the old default) it took 20. The same
holds with Redis named in TRACKER_RATELIMIT_STORAGE_URI (when a Redis server
listens on 127.0.0.1:6379).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import make_user, require_or_skip, scratch_postgres_url
from smtp_sink import free_port

from tracker import create_app
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Organization

ROOT = Path(__file__).resolve().parent.parent
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
EMAIL = "officer@throttle.go.th"
REDIS = ("127.0.0.1", 6379)


def _postgres_url() -> str:
    return scratch_postgres_url("throttle")


def _redis_listening() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}" if request.param == "sqlite" else _postgres_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        from tracker.db import upgrade

        upgrade()
        org = Organization(name="เทศบาลตำบลทดสอบ", slug="throttle", province="ขอนแก่น")
        db.session.add(org)
        make_user(org, EMAIL, Role.owner)
        db.session.commit()
        db.engine.dispose()
    return url


def serve(url: str, tmp_path: Path, name: str, storage: str | None) -> tuple[subprocess.Popen, str]:
    """`gunicorn -w 1 wsgi:app` on a free port, as the README's production setup runs it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
    env.update(
        TRACKER_DATABASE_URL=url,
        TRACKER_INSTANCE_PATH=str(tmp_path / f"instance-{name}"),
        TRACKER_SECRET_KEY="throttle-test",
        TRACKER_AUTO_MIGRATE="0",
    )
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
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, f"gunicorn {name} stopped: {process.stdout.read()}"
        assert time.monotonic() < deadline, f"gunicorn {name} did not start"
        try:
            if requests.get(f"{base}/login", timeout=20).status_code == 200:
                return process, base
        except (requests.ConnectionError, requests.Timeout):  # the worker is still booting
            time.sleep(0.2)


def failed_logins_until_429(bases: list[str], attempts: int = 25) -> list[tuple[str, int]]:
    """Wrong passwords for one account, alternating between the servers, on fresh connections."""
    session = requests.Session()
    token = TOKEN_RE.search(session.get(f"{bases[0]}/login", timeout=10).text).group(1)
    answers = []
    for n in range(attempts):
        base = bases[n % len(bases)]
        response = session.post(
            f"{base}/login",
            data={"email": EMAIL, "password": f"wrong-password-{n}", "csrf_token": token},
            headers={"Connection": "close"},
            allow_redirects=False,
            timeout=30,
        )
        answers.append((base, response.status_code))
        if response.status_code == 429:
            assert "เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป" in response.text
            break
    return answers


@pytest.mark.parametrize("storage", [None, "redis"], ids=["default-database", "redis"])
def test_the_eleventh_failed_login_gets_429_whichever_process_answers(database, tmp_path, storage):
    if storage == "redis":
        require_or_skip(_redis_listening(), "no Redis server on 127.0.0.1:6379")
        import redis

        # A Redis database per variant (test_multi_host has 14): run in parallel by xdist, the
        # two variants counted the same account's failures and one answered 429 at once.
        number = 15 if database.startswith("sqlite") else 13
        redis.Redis(*REDIS, db=number).flushdb()
        storage = f"redis://{REDIS[0]}:{REDIS[1]}/{number}"
    servers = [serve(database, tmp_path, name, storage) for name in ("a", "b")]
    bases = [base for _, base in servers]
    try:
        answers = failed_logins_until_429(bases)
        # Ten failures, five answered by each process, then 429 …
        assert [code for _, code in answers] == [401] * 10 + [429], answers
        assert {base for base, _ in answers[:10]} == set(bases)
        # … and the other process refuses too, even the right password.
        session = requests.Session()
        other = bases[len(answers) % 2]
        token = TOKEN_RE.search(session.get(f"{other}/login", timeout=10).text).group(1)
        from conftest import PASSWORD

        right = session.post(
            f"{other}/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
    finally:
        for process, _ in servers:
            process.terminate()
            process.communicate(timeout=30)
