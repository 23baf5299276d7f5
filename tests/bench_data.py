"""Generated benchmark data for the tests that need a country's worth of it.

benchmarks/generate.py runs as a command (the tests never import benchmarks/)
into a temporary SQLite file; the app is then made on that file, and its users
log in with the generator's one password.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from flask import Flask

from tracker import create_app

ROOT = Path(__file__).resolve().parent.parent
#: The generator's "today": a Monday.
TODAY = date(2026, 11, 23)
#: Every generated user's password (benchmarks/generate.py).
PASSWORD = "bench-pass-2570"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def generate(folder: Path, scale: str, timeout: int = 600) -> tuple[str, dict]:
    """(database URL, the generator's summary) of a fresh `scale` dataset in `folder`."""
    url = f"sqlite:///{folder / f'{scale}.sqlite3'}"
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "generate.py"),
            "--db",
            url,
            "--scale",
            scale,
            "--today",
            TODAY.isoformat(),
            "--reset",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={"PATH": "/usr/bin:/bin", "TRACKER_INSTANCE_PATH": str(folder / "instance")},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return url, json.loads(out.stdout.strip().splitlines()[-1])


def app_on(url: str, folder: Path) -> Flask:
    """The app on a generated database (its instance folder beside it), without migrating it."""
    saved = os.environ.get("TRACKER_INSTANCE_PATH")
    os.environ["TRACKER_INSTANCE_PATH"] = str(folder / "instance")
    try:
        return create_app({"SQLALCHEMY_DATABASE_URI": url, "TRACKER_AUTO_MIGRATE": False, "TESTING": True})
    finally:
        if saved is not None:
            os.environ["TRACKER_INSTANCE_PATH"] = saved


def log_in(client, email: str) -> None:
    """A generated user logged in on `client` (the login form, with its CSRF token)."""
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
