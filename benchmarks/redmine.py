"""Side by side with Redmine: the same shape of data, the same comparisons, in one run.

    python benchmarks/redmine.py --scale small [-n 15] [--json out.json]
    python benchmarks/redmine.py --scale full --reuse

Optional: it needs Redmine installed from Debian (`apt-get install redmine
redmine-sqlite puma`) and says so, and stops, when it is not. It makes a
Redmine instance of its own under benchmarks/.data/redmine/<scale>/ (Debian's
multi-instance layout: REDMINE_INSTANCE names a directory under
/usr/share/redmine/instances/, given here as a relative path to ours, so
nothing of the system's own instance is touched), with its own SQLite
database: `rake db:migrate` and `rake redmine:load_default_data` once (kept in
benchmarks/.data/redmine/template.sqlite3 for the next runs), then the
benchmark's generated data (benchmarks/.data/<scale>.sqlite3, or any --db)
copied in by plain SQL in batches of 20,000:

- every organization with a plan → a private project (identifier `org-<id>`,
  nested-set lft/rgt in name order, the issue tracking module, one tracker);
- each plan → a version of its project ("FY 2570"; open while the plan is
  active, locked while a draft, closed with the plan); with --plans current
  only this fiscal year's (the 7,850 × 26 issues of issue 14);
- each step → an issue of that version (not started → New, in progress → In
  Progress, done → Closed, cancelled → Rejected; start and due dates as ours;
  the assignee, or else the first owner of the step's department; root_id =
  id, lft 1, rgt 2), so that both sides list the same rows (the JSON totals
  are compared); "my issues" keeps to open versions, as our "my steps" keeps
  to active plans;
- its users → users (same login e-mail and password; one salted hash for all,
  as ours) and members (owners Developer, admins and managers Manager); the
  national user → a Redmine administrator (Redmine's cheapest way to see every
  project), with an API key; the REST API enabled.

Then puma serves it on 127.0.0.1 and gunicorn serves ours (2 workers, as
pages.py), both logged in through their login forms (CSRF tokens), JSON with
each side's API key, and each pair is requested in turn — ours then Redmine,
Redmine then ours on the next round — after a warm-up: median of n for each,
and ours/Redmine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from common import DATA, PASSWORD, Timing, make_app, pick_sample, resolve_url, user_email, write_result
from pages import Gunicorn, LocalServer, free_port

REDMINE_ROOT = Path(os.environ.get("BENCH_REDMINE_ROOT", "/usr/share/redmine"))
HOME = DATA / "redmine"
TEMPLATE = HOME / "template.sqlite3"
#: Redmine user id = ours + this (Redmine's own admin and anonymous users come first)
USER_OFFSET = 100
BATCH = 20_000
#: Redmine's default data (redmine:load_default_data, REDMINE_LANG=en)
STATUS = {"not_started": 1, "in_progress": 2, "done": 5, "cancelled": 6}
CLOSED = {5, 6}
ROLE_MANAGER, ROLE_DEVELOPER = 3, 4
TRACKER = 2  # Feature
PRIORITY_NORMAL = 2

TOKEN_RE = re.compile(r'name="authenticity_token" value="([^"]+)"')


def log(line: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] redmine: {line}", file=sys.stderr, flush=True)


def unavailable() -> str | None:
    """Why Redmine cannot be measured here, or None when it can."""
    if not (REDMINE_ROOT / "config.ru").exists():
        return f"Redmine is not installed ({REDMINE_ROOT} missing: apt-get install redmine redmine-sqlite puma)"
    for tool in ("puma", "rake", "ruby"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not on PATH (apt-get install redmine redmine-sqlite puma)"
    try:
        import sqlite3  # noqa: F401  (the Redmine database is written with it)
    except ImportError:  # pragma: no cover
        return "Python's sqlite3 module is missing"
    return None


def redmine_version() -> str:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", "redmine"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if out:
        return out
    text = (REDMINE_ROOT / "lib/redmine/version.rb").read_text()
    return ".".join(re.search(rf"{k}\s*=\s*(\d+)", text).group(1) for k in ("MAJOR", "MINOR", "TINY"))


# -- the instance -----------------------------------------------------------------------------------


class Instance:
    """A Debian-style Redmine instance of our own: config/, log/, tmp/, files/ under `root`."""

    def __init__(self, root: Path):
        self.root = root
        self.database = root / "db" / "redmine.sqlite3"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Redmine.root = Rails.root/instances/$REDMINE_INSTANCE (lib/redmine/multi_tenancy.rb)
        env["REDMINE_INSTANCE"] = os.path.relpath(self.root, REDMINE_ROOT / "instances")
        env["RAILS_ENV"] = "production"
        env["REDMINE_LANG"] = "en"
        env.pop("X_DEBIAN_SITEID", None)
        return env

    def write_config(self) -> None:
        for sub in ("config", "log", "tmp/cache", "files", "public", "db"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "config" / "database.yml").write_text(
            f"production:\n  adapter: sqlite3\n  database: {self.database}\n  timeout: 20000\n  encoding: utf8\n"
        )
        secret = self.root / "config" / "secret_key.txt"
        if not secret.exists():
            secret.write_text(secrets.token_hex(64) + "\n")

    def rake(self, *tasks: str) -> None:
        with open(self.root / "log" / "rake.log", "a") as out:
            done = subprocess.run(
                ["rake", *tasks], cwd=REDMINE_ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT, check=False
            )
        if done.returncode != 0:
            raise SystemExit(f"rake {' '.join(tasks)} failed: see {self.root / 'log' / 'rake.log'}")


def make_template() -> None:
    """Redmine's schema and default data, once: migrations take a minute or two."""
    if TEMPLATE.exists():
        return
    inst = Instance(HOME / "template")
    inst.write_config()
    inst.database.unlink(missing_ok=True)
    log("rake db:migrate (once)")
    inst.rake("db:migrate")
    log("rake redmine:load_default_data (once)")
    inst.rake("redmine:load_default_data")
    shutil.copyfile(inst.database, TEMPLATE)


# -- the data ---------------------------------------------------------------------------------------


def stamp(value: datetime | date | str | None) -> str | None:
    """Redmine's SQLite datetime text (ActiveRecord, default_timezone :local = UTC here)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return f"{value.isoformat()} 00:00:00.000000"


def day(value) -> str:
    return value if isinstance(value, str) else value.isoformat()


def split_name(display_name: str) -> tuple[str, str]:
    first, _, last = (display_name or "-").partition(" ")
    return first[:30] or "-", last or "-"


@dataclass
class Loaded:
    projects: int
    versions: int
    issues: int
    users: int
    members: int
    fiscal_year: int
    seconds: float
    national_login: str
    api_key: str


def load(source_url: str, target: Path, fiscal_year: int, national_id: int | None, only_current: bool) -> Loaded:
    """Copy our organizations, plans, steps and users into Redmine's database (see the module's doc)."""
    started = time.perf_counter()
    src = sa.create_engine(source_url)
    # "current": only this fiscal year's plans (the 7,850 × 26 of issue 14).
    plan_filter = "p.fiscal_year = :fy" if only_current else "1 = 1"
    with src.connect() as conn:
        plans = conn.execute(
            sa.text(
                "SELECT p.id, p.organization_id, p.fiscal_year, p.status, p.created_at FROM plans p "
                f"WHERE {plan_filter} ORDER BY p.id"
            ),
            {"fy": fiscal_year},
        ).all()
        orgs = conn.execute(
            sa.text(
                "SELECT o.id, o.name, o.province, min(p.created_at) AS created_at FROM organizations o "
                f"JOIN plans p ON p.organization_id = o.id WHERE {plan_filter} GROUP BY o.id, o.name, o.province "
                "ORDER BY o.id"
            ),
            {"fy": fiscal_year},
        ).all()
        users = conn.execute(
            sa.text("SELECT id, email, display_name, role, organization_id, department_id, created_at FROM users")
        ).all()
        steps = conn.execute(
            sa.text(
                "SELECT s.id, s.title, s.status, s.start_date, s.due_date, s.assignee_id, s.owner_department_id, "
                "s.completed_at, s.updated_at, p.organization_id, p.id AS plan_id, p.status AS plan_status, "
                "p.created_at FROM steps s JOIN measures m ON m.id = s.measure_id "
                "JOIN weaknesses w ON w.id = m.weakness_id JOIN plans p ON p.id = w.plan_id "
                f'WHERE {plan_filter} ORDER BY p.id, w."order", m."order", s."order", s.id'
            ),
            {"fy": fiscal_year},
        ).all()
    src.dispose()

    project_of = {}
    first_owner: dict[int, int] = {}  # department → its first owner
    first_admin: dict[int, int] = {}  # organization → its first admin (the issues' author)
    for u in sorted(users, key=lambda u: u.id):
        if u.role == "owner" and u.department_id is not None:
            first_owner.setdefault(u.department_id, u.id)
        if u.role == "admin":
            first_admin.setdefault(u.organization_id, u.id)

    shutil.copyfile(TEMPLATE, target)
    db = sqlite3.connect(target)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA journal_mode = MEMORY")
    now = stamp(datetime.now(UTC))

    def insert(table: str, columns: tuple[str, ...], rows) -> int:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        count, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                db.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            db.executemany(sql, batch)
            count += len(batch)
        return count

    # Projects: roots only, in name order as Redmine keeps them (lft/rgt of a nested set).
    by_name = sorted(orgs, key=lambda o: (o.name.lower(), o.id))
    position = {o.id: i for i, o in enumerate(by_name)}
    n_projects = insert(
        "projects",
        ("id", "name", "description", "homepage", "is_public", "parent_id", "created_on", "updated_on", "identifier")
        + ("status", "lft", "rgt", "inherit_members"),
        (
            (o.id, o.name, o.province, "", 0, None, stamp(o.created_at), stamp(o.created_at), f"org-{o.id}")
            + (1, 2 * position[o.id] + 1, 2 * position[o.id] + 2, 0)
            for o in orgs
        ),
    )
    for o in orgs:
        project_of[o.id] = o.id
    insert("enabled_modules", ("project_id", "name"), ((o.id, "issue_tracking") for o in orgs))
    insert("projects_trackers", ("project_id", "tracker_id"), ((o.id, TRACKER) for o in orgs))
    # A plan is a version of its project (Redmine's "target version"), closed when the plan is.
    n_versions = insert(
        "versions",
        ("id", "project_id", "name", "description", "created_on", "updated_on", "status", "sharing"),
        (
            (p.id, p.organization_id, f"FY {p.fiscal_year}", "", stamp(p.created_at), stamp(p.created_at))
            + ({"active": "open", "draft": "locked"}.get(p.status, "closed"), "none")
            for p in plans
        ),
    )

    # Users: one salted hash for everyone (as the generator does: hashing 17,000 passwords proves nothing).
    salt = secrets.token_hex(16)
    hashed = hashlib.sha1((salt + hashlib.sha1(PASSWORD.encode()).hexdigest()).encode()).hexdigest()
    n_users = insert(
        "users",
        ("id", "login", "hashed_password", "firstname", "lastname", "admin", "status", "language", "created_on")
        + ("updated_on", "type", "mail_notification", "salt", "must_change_passwd", "passwd_changed_on"),
        (
            (u.id + USER_OFFSET, u.email, hashed, *split_name(u.display_name), int(u.id == national_id), 1, "en")
            + (stamp(u.created_at), now, "User", "only_my_events", salt, 0, now)
            for u in users
        ),
    )
    insert(
        "email_addresses",
        ("user_id", "address", "is_default", "notify", "created_on", "updated_on"),
        ((u.id + USER_OFFSET, u.email, 1, 1, now, now) for u in users),
    )
    member_rows = [
        (i, u.id + USER_OFFSET, project_of[u.organization_id], now, 0, u.role)
        for i, u in enumerate((u for u in users if u.organization_id in project_of), start=1)
    ]
    n_members = insert(
        "members", ("id", "user_id", "project_id", "created_on", "mail_notification"), (r[:5] for r in member_rows)
    )
    insert(
        "member_roles",
        ("member_id", "role_id"),
        ((r[0], ROLE_DEVELOPER if r[5] == "owner" else ROLE_MANAGER) for r in member_rows),
    )

    def issue(n: int, s) -> tuple:
        status = STATUS[s.status]
        assignee = s.assignee_id or first_owner.get(s.owner_department_id)
        author = first_admin.get(s.organization_id) or assignee
        closed = stamp(s.completed_at or s.updated_at) if status in CLOSED else None
        return (n, TRACKER, project_of[s.organization_id], s.title[:255], "", day(s.due_date), status) + (
            s.plan_id,
            assignee + USER_OFFSET if assignee else None,
            PRIORITY_NORMAL,
            (author or next(iter(first_admin.values()))) + USER_OFFSET,
            0,
            stamp(s.created_at),
            stamp(s.updated_at),
            day(s.start_date),
            100 if s.status == "done" else 0,
            n,
            1,
            2,
            0,
            closed,
        )

    n_issues = insert(
        "issues",
        ("id", "tracker_id", "project_id", "subject", "description", "due_date", "status_id", "fixed_version_id")
        + ("assigned_to_id",)
        + ("priority_id", "author_id", "lock_version", "created_on", "updated_on", "start_date", "done_ratio")
        + ("root_id", "lft", "rgt", "is_private", "closed_on"),
        (issue(n, s) for n, s in enumerate(steps, start=1)),
    )

    api_key = secrets.token_hex(20)
    national_login = ""
    if national_id is not None:
        national_login = next(u.email for u in users if u.id == national_id)
        db.execute(
            "INSERT INTO tokens (user_id, action, value, created_on, updated_on) VALUES (?, 'api', ?, ?, ?)",
            (national_id + USER_OFFSET, api_key, now, now),
        )
    db.execute("DELETE FROM settings WHERE name = 'rest_api_enabled'")
    db.execute("INSERT INTO settings (name, value, updated_on) VALUES ('rest_api_enabled', '1', ?)", (now,))
    db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()
    return Loaded(
        n_projects,
        n_versions,
        n_issues,
        n_users,
        n_members,
        fiscal_year,
        time.perf_counter() - started,
        national_login,
        api_key,
    )


# -- serving ----------------------------------------------------------------------------------------


class Puma(LocalServer):
    """Redmine under puma on 127.0.0.1 (one process, as Debian's `puma -e production`)."""

    grace = 20

    def __init__(self, instance: Instance, threads: int = 2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(instance.root / "log" / "puma.log", "a")
        cmd = ["puma", "-e", "production", "-b", f"tcp://127.0.0.1:{self.port}", "-t", f"{threads}:{threads}"]
        self.proc = subprocess.Popen(
            [*cmd, str(REDMINE_ROOT / "config.ru")],
            cwd=REDMINE_ROOT,
            env=instance.env(),
            stdout=self.log,
            stderr=self.log,
        )
        self.wait_until_answering("Redmine", answer_timeout=5, pause=0.5, where=f": see {instance.root / 'log'}")


def redmine_login(session, base: str, login: str) -> None:
    page = session.get(base + "/login", timeout=60)
    token = TOKEN_RE.search(page.text).group(1)
    response = session.post(
        base + "/login",
        data={"username": login, "password": PASSWORD, "authenticity_token": token, "back_url": base + "/"},
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise SystemExit(f"Redmine login of {login} failed: HTTP {response.status_code}")


# -- the comparisons --------------------------------------------------------------------------------


@dataclass
class Side:
    path: str
    who: str  # "owner", "manager", "national"
    api: bool = False


@dataclass
class Pair:
    name: str
    label: str
    ours: Side
    redmine: Side


def pairs(sample, project: str, yesterday: date) -> list[Pair]:
    overdue = urlencode(
        [
            ("set_filter", "1"),
            ("f[]", "status_id"),
            ("op[status_id]", "o"),
            ("f[]", "due_date"),
            ("op[due_date]", "<="),
            ("v[due_date][]", yesterday.isoformat()),
        ]
    )
    mine = urlencode(
        [
            ("set_filter", "1"),
            ("f[]", "status_id"),
            ("op[status_id]", "o"),
            ("f[]", "assigned_to_id"),
            ("op[assigned_to_id]", "="),
            ("v[assigned_to_id][]", "me"),
            ("f[]", "fixed_version.status"),
            ("op[fixed_version.status]", "="),
            ("v[fixed_version.status][]", "open"),
        ]
    )
    return [
        Pair(
            "my_steps",
            "owner's open steps vs my issues (HTML)",
            Side("/my-steps", "owner"),
            Side(f"/issues?{mine}", "owner"),
        ),
        Pair(
            "dashboard",
            "organization dashboard vs one project's issues (HTML)",
            Side(f"/plans/{sample.plan_id}", "manager"),
            # The plan's 26 steps: its version's issues, every status, one page.
            Side(
                f"/projects/{project}/issues?set_filter=1&status_id=*&fixed_version_id={sample.plan_id}&per_page=50",
                "manager",
            ),
        ),
        Pair(
            "national",
            "national overview vs overdue issues across projects (HTML)",
            Side("/province", "national"),
            Side(f"/issues?{overdue}", "national"),
        ),
        Pair(
            "national_overdue",
            "national overview ?show=overdue vs the same (HTML)",
            Side("/province?show=overdue", "national"),
            Side(f"/issues?{overdue}", "national"),
        ),
        Pair(
            "api_overdue",
            "overdue steps nationwide vs overdue issues, JSON, 25",
            Side("/api/v1/steps?overdue=true&limit=25", "national", api=True),
            Side(f"/issues.json?status_id=open&due_date=%3C%3D{yesterday.isoformat()}&limit=25", "national", api=True),
        ),
    ]


def measure(url: str, scale: str, n: int, warmup: int, reuse: bool, plans: str = "all") -> dict:
    import requests

    reason = unavailable()
    if reason:
        raise SystemExit(f"skipped: {reason}")
    # Stopped from outside (run_all, a terminal): still stop both servers and delete the API token.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    started = datetime.now(UTC).isoformat(timespec="seconds")

    # Our side: the sample of pages.py, and an API token for the national user.
    app = make_app(url)
    with app.app_context():
        from tracker import clock
        from tracker.api import tokens
        from tracker.auth.models import User
        from tracker.db import db

        sample = pick_sample()
        if sample.national_id is None:
            raise SystemExit("this version of the app has no national user: nothing to compare the overview with")
        emails = {who: user_email(sample.users[who]) for who in ("owner", "manager")}
        emails["national"] = user_email(sample.national_id)
        token, our_secret = tokens.create_token(db.session.get(User, sample.national_id), "benchmark", clock.now())
        db.session.commit()
        token_id = token.id
        yesterday = clock.today() - timedelta(days=1)

    HOME.mkdir(parents=True, exist_ok=True)
    make_template()
    inst = Instance(HOME / scale)
    inst.write_config()
    marker = inst.root / "loaded.json"
    source = sa.engine.make_url(url).render_as_string(hide_password=True)
    loaded = None
    if reuse and marker.exists() and inst.database.exists():
        kept = json.loads(marker.read_text())
        if (
            kept.get("source") == source
            and kept.get("fiscal_year") == sample.fiscal_year
            and kept.get("plans") == plans
        ):
            loaded = Loaded(**kept["loaded"])
            log(f"reusing {inst.database}")
    if loaded is None:
        log(f"loading fiscal year {sample.fiscal_year} of {source} into {inst.database}")
        inst.database.unlink(missing_ok=True)
        loaded = load(url, inst.database, sample.fiscal_year, sample.national_id, plans == "current")
        marker.write_text(
            json.dumps(
                {"source": source, "fiscal_year": sample.fiscal_year, "plans": plans, "loaded": loaded.__dict__},
                indent=1,
            )
        )
        log(f"{loaded.projects:,} projects, {loaded.issues:,} issues, {loaded.users:,} users in {loaded.seconds:.0f} s")

    specs = pairs(sample, f"org-{sample.organization_id}", yesterday)
    ours_server = redmine_server = None
    try:
        # A slow page must be measured, not killed: gunicorn's worker timeout well above any page.
        ours_server = Gunicorn(url, workers=2, log=DATA / "logs" / "redmine-gunicorn.log", timeout=900)
        log("starting puma")
        redmine_server = Puma(inst)
        ours, theirs = {}, {}
        for who, email in emails.items():
            ours[who] = requests.Session()
            theirs[who] = requests.Session()
            from common import login_http

            login_http(ours[who], ours_server.base, email)
            redmine_login(theirs[who], redmine_server.base, email)
        ours_api = {"Authorization": f"Bearer {our_secret}"}
        redmine_api = {"X-Redmine-API-Key": loaded.api_key}

        def fetch(side: Side, base: str, sessions: dict, api_headers: dict) -> tuple[float, int, object]:
            session = requests.Session() if side.api else sessions[side.who]
            began = time.perf_counter()
            response = session.get(
                base + side.path, headers=api_headers if side.api else None, timeout=900, allow_redirects=False
            )
            elapsed = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{base}{side.path}: HTTP {response.status_code}\n{response.text[:1500]}")
            return elapsed, len(response.content), response

        def count_by_walking(url: str, headers: dict) -> int:
            """Every row of one of our JSON lists, read page by page (`next_after`, 200 a page)."""
            from urllib.parse import parse_qsl, urlencode, urlsplit

            parts = urlsplit(url)
            query = {k: v for k, v in parse_qsl(parts.query) if k not in ("limit", "after")}
            count, after = 0, None
            while True:
                page_query = {**query, "limit": 200, **({"after": after} if after else {})}
                body = requests.get(
                    f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(page_query)}", headers=headers, timeout=900
                ).json()
                count += len(body["items"])
                after = body.get("next_after")
                if not after:
                    return count

        timings = {p.name: (Timing(), Timing()) for p in specs}
        sizes: dict[str, list[int]] = {}
        totals: dict[str, list] = {}
        for round_ in range(-warmup, n):
            for pair in specs:
                order = [0, 1] if round_ % 2 == 0 else [1, 0]
                for which in order:
                    if which == 0:
                        ms, size, resp = fetch(pair.ours, ours_server.base, ours, ours_api)
                    else:
                        ms, size, resp = fetch(pair.redmine, redmine_server.base, theirs, redmine_api)
                    if round_ >= 0:
                        timings[pair.name][which].samples_ms.append(ms)
                    else:
                        sizes.setdefault(pair.name, [0, 0])[which] = size
                        if pair.ours.api:
                            body = resp.json()
                            total = body.get("total" if which == 0 else "total_count")
                            if which == 0 and body.get("total_exact") is False:
                                # Our lists count only up to offset + limit + 1000: count by walking them.
                                total = count_by_walking(ours_server.base + pair.ours.path, ours_api)
                            totals.setdefault(pair.name, [None, None])[which] = total
            if round_ >= 0 and (round_ + 1) % 5 == 0:
                log(f"round {round_ + 1}/{n}")
    finally:
        if redmine_server:
            redmine_server.stop()
        if ours_server:
            ours_server.stop()
        with app.app_context():
            from tracker.api.models import ApiToken

            db.session.execute(sa.delete(ApiToken).where(ApiToken.id == token_id))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    result_pairs = {}
    for pair in specs:
        mine, their = timings[pair.name]
        ratio = mine.median / their.median if their.median else None
        result_pairs[pair.name] = {
            "label": pair.label,
            "ours": {"path": pair.ours.path, "user": pair.ours.who, **mine.as_dict()},
            "redmine": {"path": pair.redmine.path, "user": pair.redmine.who, **their.as_dict()},
            "bytes": sizes.get(pair.name),
            "totals": totals.get(pair.name),
            "ratio": round(ratio, 3) if ratio is not None else None,
        }
        print(
            f"  {pair.name:<18} ours {mine.median:9.1f} ms  Redmine {their.median:9.1f} ms  ratio {ratio:6.2f}",
            file=sys.stderr,
            flush=True,
        )
    return {
        "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_before": load_before,
        "load_average_after": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "redmine_version": redmine_version(),
        "scale": scale,
        "n": n,
        "warmup": warmup,
        "overdue_before": yesterday.isoformat(),
        "plans": plans,
        "data": loaded.__dict__ | {"api_key": None},
        "servers": "ours: gunicorn -w 2 (sync); Redmine: puma -e production, one process, 2 threads; both on 127.0.0.1",
        "pairs": result_pairs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="our database: sqlite, postgresql, or a URL")
    parser.add_argument("--scale", default="full", help="which generated data (and which Redmine instance)")
    parser.add_argument("-n", type=int, default=15, help="timed rounds (each pair once per side)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--reuse", action="store_true", help="keep the Redmine database loaded earlier")
    parser.add_argument(
        "--plans",
        choices=("all", "current"),
        default="all",
        help="all: every plan (the same rows as ours); current: this fiscal year's only (26 per project)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"redmine.py: skipped: {reason}", file=sys.stderr)
        return 0
    url = resolve_url(args.db, args.scale)
    if url.startswith("sqlite") and not Path(sa.engine.make_url(url).database).exists():
        raise SystemExit(f"{url}: not generated yet (python benchmarks/generate.py --db sqlite --scale {args.scale})")
    result = measure(url, args.scale, args.n, args.warmup, args.reuse, args.plans)
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
