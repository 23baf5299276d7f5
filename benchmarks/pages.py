"""Page timings and SQL statement counts: Flask test client, and gunicorn over HTTP.

    python benchmarks/pages.py --db sqlite:///benchmarks/.data/full.sqlite3 [-n 30] [--http] [--json out.json]

For each page: `warmup` requests, then n timed ones; median and p95; the
number of SQL statements one request sends (a before_cursor_execute
listener). With --http the same pages are fetched from gunicorn on 127.0.0.1
(one session per user, cookies signed with the benchmarks' secret key), and
the peak RSS (VmHWM) of each worker is read after the mix.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from common import (
    ROOT,
    QueryCounter,
    Timing,
    bench_env,
    login_client,
    login_http,
    make_app,
    peak_rss_mb,
    pick_sample,
    repeat,
    resolve_url,
    rss_mb,
    user_email,
    write_result,
)

#: Pages held to the page targets (median < 50 ms, < 12 statements); downloads have their own.
PAGE_KINDS = ("page",)


@dataclass(frozen=True)
class PageSpec:
    name: str
    label: str
    path: str
    user: str | None  # a role of the sample organization, "provincial", "national", or None (anonymous)
    kind: str = "page"  # "page", "report", "export"
    n: int | None = None  # fewer repetitions for slow downloads
    api: bool = False  # a JSON list of /api/v1, read with a personal API token of `user`


def page_specs(app, sample) -> tuple[list[PageSpec], list[str]]:
    """The pages to measure, and notes on pages the app does not have (yet)."""
    rules = {r.rule for r in app.url_map.iter_rules()}
    s = sample
    specs = [
        PageSpec("dashboard", "dashboard `/` (manager)", "/", "manager"),
        PageSpec("dashboard_overdue", "dashboard filtered: overdue", f"/plans/{s.plan_id}?due=overdue", "manager"),
        PageSpec("my_steps", "my steps (owner)", "/my-steps", "owner"),
        PageSpec("my_steps_org", "open steps of the organization (manager)", "/my-steps?scope=all", "manager"),
        PageSpec("measure", "a measure page", f"/measures/{s.measure_id}", "manager"),
        PageSpec("step", "a step page (longest journal)", f"/steps/{s.step_id}", "owner"),
        PageSpec("outbox", "outbox (admin)", "/admin/outbox", "admin"),
    ]
    notes = []
    if "/p/<slug>/<fiscal_year>" in rules:
        specs.append(PageSpec("public", "public progress page (anonymous)", f"/p/{s.slug}/{s.fiscal_year}", None))
    else:
        notes.append("public progress page /p/<slug>/<fy>: not in this version of the app")
    if "/province" in rules and s.provincial_id:
        specs += [
            PageSpec("province", "provincial overview (largest province)", "/province", "provincial"),
            PageSpec(
                "province_org",
                "provincial drill-down: one organization",
                f"/province/organizations/{s.organization_id}",
                "national",
            ),
            PageSpec("national", "overview, national scope (page 1)", "/province", "national"),
            PageSpec(
                "national_overdue", "overview, national scope, with overdue steps", "/province?show=overdue", "national"
            ),
            PageSpec(
                "national_by_overdue",
                "overview, national scope, most overdue first",
                "/province?sort=-overdue",
                "national",
            ),
        ]
    else:
        notes.append("provincial overview /province: not in this version of the app")
    if "/api/v1/steps" in rules and s.national_id:
        specs += [
            PageSpec(
                "api_overdue",
                "API: overdue steps nationwide (JSON)",
                "/api/v1/steps?overdue=true&limit=25",
                "national",
                api=True,
            ),
            PageSpec(
                "api_steps",
                "API: the manager's organization's steps (JSON)",
                "/api/v1/steps?limit=25",
                "manager",
                api=True,
            ),
        ]
    specs += [
        PageSpec("report_html", "O43 report, HTML", f"/plans/{s.plan_id}/report", "manager", "report"),
        PageSpec("report_pdf", "O43 report, PDF", f"/plans/{s.plan_id}/report.pdf", "manager", "report", 5),
        PageSpec("report_docx", "O43 report, DOCX", f"/plans/{s.plan_id}/report.docx", "manager", "report", 10),
        PageSpec("report_xlsx", "O43 report, XLSX", f"/plans/{s.plan_id}/report.xlsx", "manager", "report", 10),
    ]
    if "/province.xlsx" in rules and s.national_id:
        specs += [
            PageSpec("province_xlsx", "overview XLSX, largest province", "/province.xlsx", "provincial", "export", 5),
            PageSpec("national_xlsx", "overview XLSX, national scope", "/province.xlsx", "national", "export", 3),
        ]
    else:
        notes.append("national XLSX overview /province.xlsx: not in this version of the app")
    return specs, notes


def user_id(sample, who: str | None) -> int | None:
    if who is None:
        return None
    if who == "provincial":
        return sample.provincial_id
    if who == "national":
        return sample.national_id
    return sample.users[who]


# -- the test client ------------------------------------------------------------------------------------


def begin_day() -> None:
    """What the scheduler's first beat of a day does before the day's pages are read: every
    plan's overdue count written for today (`plans.counters.refresh_overdue`)."""
    from tracker import clock
    from tracker.db import db
    from tracker.plans.counters import refresh_overdue

    refresh_overdue(db.session.connection(), clock.today())
    db.session.commit()


def get_ok(client, path: str, headers: dict | None = None):
    """GET through the test client; anything but 200 stops the run with what the page said."""
    response = client.get(path, headers=headers or {})
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}\n{response.get_data(as_text=True)[:2000]}")
    return response


def add_layout_page(app) -> str:
    """A page that logs the user in and renders only the layout (base.html): what every
    logged-in page costs before it reads or shows anything. The floors are compared with it."""
    from flask import render_template
    from flask_login import login_required

    app.add_url_rule("/_benchmark/layout", "benchmark_layout", login_required(lambda: render_template("base.html")))
    return "/_benchmark/layout"


def measure_test_client(url: str, n: int, warmup: int, only: set[str] | None = None) -> dict:
    app = make_app(url)
    layout_path = add_layout_page(app)
    from tracker.db import db

    with app.app_context():
        begin_day()
        sample = pick_sample()
        specs, notes = page_specs(app, sample)
        counter = QueryCounter(db.engine)
        db.session.remove()
    results = {}
    with app.app_context():
        secrets = {who: api_token(user_id(sample, who)) for who in {s.user for s in specs if s.api and s.user}}
    for spec in specs:
        if only and spec.name not in only:
            continue
        uid = user_id(sample, spec.user)
        if spec.api:
            client, headers = app.test_client(), {"Authorization": f"Bearer {secrets[spec.user]}"}
        else:
            client, headers = (login_client(app, uid) if uid is not None else app.test_client()), {}

        def get(spec=spec, client=client, headers=headers):
            return get_ok(client, spec.path, headers)

        with app.app_context():
            with counter.counting():
                size = len(get().data)
            queries = counter.count
        reps = min(n, spec.n) if spec.n else n
        timing = repeat(get, reps, 0 if spec.kind != "page" else warmup)
        results[spec.name] = {
            "label": spec.label,
            "path": spec.path,
            "kind": spec.kind,
            "user": spec.user,
            "queries": queries,
            "bytes": size,
            **timing.as_dict(),
        }
        floor = measure_floor(app, sample, spec, n, warmup)
        if floor is not None:
            # Ratios of CPU medians: on a loaded machine wall times swing with the neighbours.
            results[spec.name]["floor_cpu_ms"] = round(floor.cpu_median, 2)
            results[spec.name]["floor_ms"] = round(floor.median, 2)
            results[spec.name]["floor_ratio"] = (
                round(timing.cpu_median / floor.cpu_median, 1) if floor.cpu_median else None
            )
        print(
            f"  {spec.name:<20} {timing.median:8.1f} ms median {timing.p95:8.1f} ms p95 "
            f"{timing.cpu_median:7.1f} ms CPU {queries:3d} queries {size:>9} bytes"
            + (
                f"  floor {floor.cpu_median:6.2f} ms CPU ({timing.cpu_median / floor.cpu_median:5.1f}x)"
                if floor and floor.cpu_median
                else ""
            ),
            file=sys.stderr,
            flush=True,
        )
    layout_client = login_client(app, user_id(sample, "owner"))
    layout = repeat(lambda: get_ok(layout_client, layout_path), n, warmup)
    print(
        f"  {'layout only':<20} {layout.median:8.1f} ms median {layout.cpu_median:7.2f} ms CPU",
        file=sys.stderr,
        flush=True,
    )
    with app.app_context():
        drop_api_tokens()
    return {
        "sample": sample.__dict__,
        "pages": results,
        "notes": notes,
        "layout": {"path": layout_path, **layout.as_dict()},
    }


# -- API tokens for the JSON lists ----------------------------------------------------------------------

TOKEN_NAME = "benchmarks/pages.py"


def api_token(uid: int) -> str:
    """A personal API token of the user (deleted again by `drop_api_tokens`). Needs an app context."""
    from tracker import clock
    from tracker.api import tokens
    from tracker.auth.models import User
    from tracker.db import db

    _token, secret = tokens.create_token(db.session.get(User, uid), TOKEN_NAME, clock.now())
    db.session.commit()
    return secret


def drop_api_tokens() -> None:
    """Leave the database as generated: the tokens and their journal entries go."""
    import sqlalchemy as sa

    from tracker.api.models import ApiToken
    from tracker.db import db
    from tracker.plans.models import JournalEntry

    ids = list(db.session.scalars(sa.select(ApiToken.id).where(ApiToken.name == TOKEN_NAME)))
    if ids:
        db.session.execute(
            sa.delete(JournalEntry).where(JournalEntry.entity == "api_token", JournalEntry.entity_id.in_(ids))
        )
        db.session.execute(sa.delete(ApiToken).where(ApiToken.id.in_(ids)))
    db.session.commit()


# -- the floor: the same rows by one raw SQL query, rendered by a bare template -----------------------
#
# What a page could cost at the least in this process: one hand-written statement for the rows it
# shows, and a Jinja template with no layout, macros, translations or formatting. A page's ratio to
# its floor is what the framework, the ORM and the page's own work add on top.

ROW_TEMPLATE = "<table>{% for row in rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}</table>"

STEP_COLUMNS = """
    s.id, s."order", s.title, s.status, s.start_date, s.due_date, m."order", m.title, w."order", w.title, d.name
    FROM steps s
    JOIN measures m ON m.id = s.measure_id
    JOIN weaknesses w ON w.id = m.weakness_id
    JOIN plans p ON p.id = w.plan_id
    JOIN departments d ON d.id = s.owner_department_id
"""
OVERVIEW = """
    SELECT o.id, o.name, o.slug, o.province, p.id, p.title, p.status,
           c.total, c.done, c.started, c.last_activity,
           (SELECT sum(u.open_steps) FROM plan_due_counts u WHERE u.plan_id = p.id AND u.due_date < :today) AS overdue
    FROM organizations o
    LEFT JOIN plans p ON p.organization_id = o.id AND p.fiscal_year = :fy
    LEFT JOIN plan_counters c ON c.plan_id = p.id
    WHERE o.id NOT IN (SELECT organization_id FROM users WHERE role IN ('provincial', 'national'))
"""
FLOORS: dict[str, tuple[str, str]] = {
    # name: (SQL, output: "html" or "json")
    "dashboard": (
        f'SELECT {STEP_COLUMNS} WHERE p.id = :plan ORDER BY w."order", m."order", s."order"',
        "html",
    ),
    "dashboard_overdue": (
        f"SELECT {STEP_COLUMNS} WHERE p.id = :plan AND s.status IN ('not_started', 'in_progress') "
        "AND s.due_date < :today ORDER BY s.due_date, s.id",
        "html",
    ),
    "my_steps": (
        f"SELECT {STEP_COLUMNS} WHERE p.status = 'active' AND s.status IN ('not_started', 'in_progress') "
        "AND (s.assignee_id = :owner OR s.owner_department_id = :owner_department) ORDER BY s.due_date, s.id",
        "html",
    ),
    "my_steps_org": (
        f"SELECT {STEP_COLUMNS} WHERE p.organization_id = :org AND p.status = 'active' "
        "AND s.status IN ('not_started', 'in_progress') ORDER BY s.due_date, s.id",
        "html",
    ),
    "measure": (f'SELECT {STEP_COLUMNS} WHERE m.id = :measure ORDER BY s."order"', "html"),
    "public": (
        f'SELECT {STEP_COLUMNS} WHERE p.id = :plan ORDER BY w."order", m."order", s."order"',
        "html",
    ),
    "province": (
        OVERVIEW + " AND trim(o.province) = :province ORDER BY o.name, o.id LIMIT 50",
        "html",
    ),
    "national": (OVERVIEW + " ORDER BY o.name, o.id LIMIT 50", "html"),
    "national_overdue": (
        OVERVIEW + " AND EXISTS (SELECT 1 FROM plan_due_counts u WHERE u.plan_id = p.id AND u.due_date < :today)"
        " ORDER BY o.name, o.id LIMIT 50",
        "html",
    ),
    "national_by_overdue": (
        OVERVIEW + " ORDER BY p.id IS NULL, overdue DESC, o.name, o.id LIMIT 50",
        "html",
    ),
    "api_overdue": (
        f"SELECT {STEP_COLUMNS} WHERE s.status IN ('not_started', 'in_progress') AND s.due_date < :today "
        'ORDER BY p.organization_id, p.fiscal_year, w."order", m."order", s."order", s.id LIMIT 25',
        "json",
    ),
    "api_steps": (
        f"SELECT {STEP_COLUMNS} WHERE p.organization_id = :org "
        'ORDER BY p.fiscal_year, w."order", m."order", s."order", s.id LIMIT 25',
        "json",
    ),
}


def measure_floor(app, sample, spec: PageSpec, n: int, warmup: int) -> Timing | None:
    """The timing of the page's floor (None for pages without one, or when the schema lacks
    what the floor reads, as an older version of the app does)."""
    if spec.name not in FLOORS:
        return None
    import sqlalchemy as sa
    from jinja2 import Environment

    from tracker import clock
    from tracker.auth.models import User
    from tracker.db import db

    sql, output = FLOORS[spec.name]
    template = Environment(autoescape=True).from_string(ROW_TEMPLATE)
    with app.app_context():
        owner = db.session.get(User, sample.users["owner"])
        provincial = db.session.get(User, sample.provincial_id) if sample.provincial_id else None
        params = {
            "plan": sample.plan_id,
            "measure": sample.measure_id,
            "org": sample.organization_id,
            "owner": owner.id,
            "owner_department": owner.department_id,
            "fy": sample.fiscal_year,
            "today": clock.today(),
            "province": provincial.organization.province.strip() if provincial else "",
        }
        statement = sa.text(sql)
        names = set(statement.compile().params)
        params = {k: v for k, v in params.items() if k in names}

        def run():
            rows = db.session.execute(statement, params).all()
            if output == "json":
                return json.dumps([[str(v) for v in row] for row in rows], ensure_ascii=False)
            return template.render(rows=rows)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - an older schema: no floor to report
            db.session.rollback()
            print(f"  {spec.name:<18} no floor: {type(exc).__name__}", file=sys.stderr)
            return None
        return repeat(run, n, warmup)


# -- gunicorn over HTTP ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """A server process answering at ``self.base`` (its output in ``self.log``): wait for it, stop it."""

    proc: subprocess.Popen
    log: IO[str]
    base: str
    #: Seconds it gets to stop on SIGTERM before it is killed.
    grace = 15

    def wait_until_answering(self, name: str, answer_timeout: float, pause: float, where: str = "") -> None:
        import requests

        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{name} stopped with {self.proc.returncode}{where}")
            try:
                requests.get(self.base + "/login", timeout=answer_timeout)
                return
            except requests.RequestException:
                time.sleep(pause)
        self.stop()
        raise SystemExit(f"{name} did not answer within 300 s")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(self.grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Gunicorn(LocalServer):
    """gunicorn serving wsgi:app on 127.0.0.1 with the benchmark database."""

    def __init__(self, url: str, workers: int = 2, threads: int = 1, log: Path | None = None, timeout: int = 120):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            str(timeout),
            "--graceful-timeout",
            "5",
        ]
        if threads > 1:
            cmd += ["--threads", str(threads)]
        cmd.append("wsgi:app")
        if log:
            Path(log).parent.mkdir(parents=True, exist_ok=True)
        self.log = open(log or os.devnull, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=bench_env(url), stdout=self.log, stderr=self.log)
        # Workers import the app before they answer: on a busy shared machine that took 100 s.
        self.wait_until_answering("gunicorn", answer_timeout=30, pause=0.3)

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()]

    def worker_peaks_mb(self) -> list[float]:
        return [round(peak_rss_mb(pid), 1) for pid in self.workers()]

    def worker_rss_mb(self) -> list[float]:
        return [round(rss_mb(pid), 1) for pid in self.workers()]


def measure_http(url: str, n: int, warmup: int, only: set[str] | None = None, log: Path | None = None) -> dict:
    import requests

    app = make_app(url)
    with app.app_context():
        begin_day()
        sample = pick_sample()
        specs, _notes = page_specs(app, sample)
        emails = {
            who: user_email(uid)
            for who in {s.user for s in specs if s.user}
            if (uid := user_id(sample, who)) is not None
        }
        # The JSON lists are read with a personal API token, as in the test-client part.
        secrets = {who: api_token(user_id(sample, who)) for who in {s.user for s in specs if s.api and s.user}}
        from tracker.db import db

        db.session.remove()
        db.engine.dispose()
    server = Gunicorn(url, workers=2, log=log)
    try:
        results = {}
        sessions = {}
        for spec in specs:
            if only and spec.name not in only:
                continue
            key = (spec.user, spec.api)
            session = sessions.get(key)
            if session is None:
                session = sessions[key] = requests.Session()
                if spec.api:
                    session.headers["Authorization"] = f"Bearer {secrets[spec.user]}"
                elif spec.user:
                    login_http(session, server.base, emails[spec.user])

            def get(spec=spec, session=session):
                response = session.get(server.base + spec.path, timeout=120, allow_redirects=False)
                if response.status_code != 200:
                    raise SystemExit(f"{spec.path}: HTTP {response.status_code} over HTTP")
                return response

            reps = min(n, spec.n) if spec.n else n
            # Two workers: warm both up.
            timing: Timing = repeat(get, reps, 2 * warmup if spec.kind == "page" else 2)
            results[spec.name] = {"label": spec.label, "path": spec.path, "kind": spec.kind, **timing.as_dict()}
            print(
                f"  http {spec.name:<18} {timing.median:8.1f} ms median {timing.p95:8.1f} ms p95",
                file=sys.stderr,
                flush=True,
            )
        peaks, held = server.worker_peaks_mb(), server.worker_rss_mb()
    finally:
        server.stop()
        with app.app_context():
            drop_api_tokens()
    return {"pages": results, "workers": 2, "worker_peak_rss_mb": peaks, "worker_rss_mb": held}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql, or a database URL")
    parser.add_argument("--scale", default="full", help="with --db sqlite: which generated file")
    parser.add_argument("-n", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="also through gunicorn over HTTP")
    parser.add_argument("--only", help="comma-separated page names")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    url = resolve_url(args.db, args.scale)
    only = set(args.only.split(",")) if args.only else None
    result = {"test_client": measure_test_client(url, args.n, args.warmup, only)}
    if args.http:
        result["http"] = measure_http(url, args.n, args.warmup, only)
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
