"""What the benchmark scripts share: the app on a benchmark database, a SQL
statement counter, timing statistics, logged-in test clients, sample records,
and a description of the machine."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

#: Every generated user's password (benchmarks/generate.py)
PASSWORD = "bench-pass-2570"
#: A fixed secret so that the test client, gunicorn and the load test share session cookies.
SECRET_KEY = "benchmarks-only-secret-key-not-for-production"


def resolve_url(db: str, scale: str = "full") -> str:
    """--db sqlite | postgresql | a URL. The short names are the benchmarks' own databases
    (benchmarks/.data/<scale>.sqlite3; BENCH_POSTGRESQL_URL or tracker_bench on 127.0.0.1).
    A relative SQLite path is taken from the current directory (Flask-SQLAlchemy would
    take it from the instance folder)."""
    from tracker.config import normalize_url

    if db == "sqlite":
        return f"sqlite:///{DATA / f'{scale}.sqlite3'}"
    if db in ("postgresql", "postgres"):
        return normalize_url(os.environ.get("BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1/tracker_bench"))
    url = sa.engine.make_url(normalize_url(db))
    if url.drivername.startswith("sqlite") and url.database and not os.path.isabs(url.database):
        url = url.set(database=os.path.abspath(url.database))
    return url.render_as_string(hide_password=False)


def write_result(result: dict, path: Path | None) -> None:
    """A benchmark's figures as JSON: into --json's file, else on stdout."""
    import json

    text = json.dumps(result, ensure_ascii=False, indent=1)
    if path:
        path.write_text(text)
    else:
        print(text)


def bench_env(url: str) -> dict[str, str]:
    """Environment for processes serving the benchmark database (gunicorn, scheduler)."""
    env = dict(os.environ)
    env.update(
        {
            "TRACKER_DATABASE_URL": url,
            "TRACKER_INSTANCE_PATH": str(DATA / "instance"),
            "TRACKER_SECRET_KEY": SECRET_KEY,
            "TRACKER_AUTO_MIGRATE": "0",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
        }
    )
    for name in ("TRACKER_MAIL_SERVER", "TRACKER_MAIL_PORT"):
        env.pop(name, None)
    return env


def make_app(url: str, **config):
    os.environ.setdefault("TRACKER_INSTANCE_PATH", str(DATA / "instance"))
    from tracker import create_app

    settings = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "TRACKER_AUTO_MIGRATE": False}
    settings.update(config)
    return create_app(settings)


# -- counting SQL statements -------------------------------------------------------------------------


class QueryCounter:
    """Counts the statements sent to the database while `active` (a before_cursor_execute listener)."""

    def __init__(self, engine: sa.Engine):
        self.count = 0
        self.active = False
        self.statements: list[str] = []
        self.keep = False
        sa.event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement, _params, _context, _executemany) -> None:
        if self.active:
            self.count += 1
            if self.keep:
                self.statements.append(statement)

    @contextmanager
    def counting(self, keep: bool = False):
        self.count, self.active, self.keep, self.statements = 0, True, keep, []
        try:
            yield self
        finally:
            self.active = False


# -- timing ---------------------------------------------------------------------------------------------


@dataclass
class Timing:
    samples_ms: list[float] = field(default_factory=list)
    #: CPU time of the calling thread per call (SQLite's work included: it runs in-process).
    #: On a shared, loaded machine it varies far less than the wall time.
    cpu_ms: list[float] = field(default_factory=list)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms) if self.samples_ms else float("nan")

    @property
    def p95(self) -> float:
        if not self.samples_ms:
            return float("nan")
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]

    def as_dict(self) -> dict:
        return {
            "n": len(self.samples_ms),
            "median_ms": round(self.median, 1),
            "p95_ms": round(self.p95, 1),
            "min_ms": round(min(self.samples_ms), 1) if self.samples_ms else None,
            "max_ms": round(max(self.samples_ms), 1) if self.samples_ms else None,
            "cpu_median_ms": round(self.cpu_median, 2) if self.cpu_ms else None,
        }


def repeat(fn: Callable[[], object], n: int, warmup: int) -> Timing:
    for _ in range(warmup):
        fn()
    timing = Timing()
    for _ in range(n):
        started, cpu = time.perf_counter(), time.thread_time()
        fn()
        timing.samples_ms.append((time.perf_counter() - started) * 1000)
        timing.cpu_ms.append((time.thread_time() - cpu) * 1000)
    return timing


def peak_rss_mb(pid: int | str = "self") -> float:
    """VmHWM (the peak resident set) of a process, in MB."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024


def rss_mb(pid: int | str = "self") -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


# -- who and what to look at -------------------------------------------------------------------------


@dataclass
class Sample:
    """The records the page benchmarks visit, chosen the same way at every scale."""

    organization_id: int
    slug: str
    fiscal_year: int
    plan_id: int
    measure_id: int
    step_id: int
    users: dict[str, int]
    #: Oversight users (None when the app has no such roles yet)
    provincial_id: int | None
    national_id: int | None


def pick_sample() -> Sample:
    """The first organization with a manager; its current active plan; its busiest measure and step.

    Needs an app context.
    """
    from tracker.auth.models import Role, User
    from tracker.db import db
    from tracker.plans import queries
    from tracker.plans.models import Evidence, JournalEntry, Measure, PlanStatus, Step, Weakness

    manager = db.session.scalar(sa.select(User).where(User.role == Role.manager).order_by(User.id).limit(1))
    assert manager is not None, "no manager: was the database made by benchmarks/generate.py?"
    org_id = manager.organization_id
    plan = queries.current_plan(org_id)
    assert plan is not None and plan.status is PlanStatus.active
    users = {
        role.value: uid
        for role, uid in db.session.execute(
            sa.select(User.role, sa.func.min(User.id)).where(User.organization_id == org_id).group_by(User.role)
        )
    }
    measure_id = db.session.scalar(
        sa.select(Measure.id)
        .join(Measure.weakness)
        .where(Weakness.plan_id == plan.id)
        .order_by(Weakness.order, Measure.order)
        .limit(1)
        .offset(1)
    )
    # The step with the longest journal of the plan, evidence first: the heaviest step page,
    # and the same kind of page at every scale (its statements are compared across scales).
    has_evidence = sa.exists().where(Evidence.step_id == Step.id)
    step_id = db.session.scalar(
        sa.select(Step.id)
        .join(Step.measure)
        .join(Measure.weakness)
        .outerjoin(JournalEntry, JournalEntry.step_id == Step.id)
        .where(Weakness.plan_id == plan.id)
        .group_by(Step.id)
        .order_by(has_evidence.desc(), sa.func.count(JournalEntry.id).desc(), Step.id)
        .limit(1)
    )
    oversight = {}
    for role in ("provincial", "national"):
        if hasattr(Role, role):
            oversight[role] = _oversight_user(Role(role))
    return Sample(
        org_id,
        plan.organization.slug,
        plan.fiscal_year,
        plan.id,
        measure_id,
        step_id,
        users,
        oversight.get("provincial"),
        oversight.get("national"),
    )


def _oversight_user(role) -> int | None:
    """The oversight user of the largest scope: the province with the most organizations."""
    from tracker.auth.models import User
    from tracker.db import db
    from tracker.orgs.models import Organization

    rows = db.session.execute(
        sa.select(User.id, Organization.province).join(User.organization).where(User.role == role).order_by(User.id)
    ).all()
    if not rows:
        return None
    if len(rows) == 1:
        return rows[0][0]
    sizes = dict(
        db.session.execute(sa.select(Organization.province, sa.func.count()).group_by(Organization.province)).all()
    )
    return max(rows, key=lambda r: (sizes.get(r[1], 0), -r[0]))[0]


TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def user_email(user_id: int) -> str:
    """Needs an app context."""
    from tracker.auth.models import User
    from tracker.db import db

    return db.session.get(User, user_id).email


def login_client(app, user_id: int):
    """A Flask test client logged in as the user through the login form (CSRF on, as in production)."""
    with app.app_context():
        email = user_email(user_id)
    client = app.test_client()
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, f"login of {email} failed: HTTP {response.status_code}"
    return client


def login_http(session, base: str, email: str) -> None:
    """Log a requests.Session in on a served app through the login form."""
    token = TOKEN_RE.search(session.get(base + "/login", timeout=60).text).group(1)
    response = session.post(
        base + "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, f"login of {email} failed: HTTP {response.status_code}"


# -- the machine ------------------------------------------------------------------------------------


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine() -> dict:
    import sqlite3

    import flask
    import sqlalchemy

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    pg = _run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"]) or "?"
    return {
        "nproc": _run(["nproc"]),
        "cpu": cpu,
        "memory": _run(["free", "-h"]),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "sqlalchemy": sqlalchemy.__version__,
        "flask": flask.__version__,
    }
