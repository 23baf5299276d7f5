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
    user_email,
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
        ]
    else:
        notes.append("provincial overview /province: not in this version of the app")
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


def measure_test_client(url: str, n: int, warmup: int, only: set[str] | None = None) -> dict:
    app = make_app(url)
    from tracker.db import db

    with app.app_context():
        sample = pick_sample()
        specs, notes = page_specs(app, sample)
        counter = QueryCounter(db.engine)
        db.session.remove()
    results = {}
    for spec in specs:
        if only and spec.name not in only:
            continue
        uid = user_id(sample, spec.user)
        client = login_client(app, uid) if uid is not None else app.test_client()

        def get(spec=spec, client=client):
            response = client.get(spec.path)
            if response.status_code != 200:
                raise SystemExit(f"{spec.path}: HTTP {response.status_code}\n{response.get_data(as_text=True)[:2000]}")
            return response

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
        print(
            f"  {spec.name:<18} {timing.median:8.1f} ms median {timing.p95:8.1f} ms p95 "
            f"{queries:3d} queries {size:>9} bytes",
            file=sys.stderr,
            flush=True,
        )
    return {"sample": sample.__dict__, "pages": results, "notes": notes}


# -- gunicorn over HTTP ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
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
        self.log = open(log or os.devnull, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=bench_env(url), stdout=self.log, stderr=self.log)
        self._wait()

    def _wait(self) -> None:
        import requests

        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn stopped with {self.proc.returncode}")
            try:
                requests.get(self.base + "/login", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not answer within 60 s")

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()]

    def worker_peaks_mb(self) -> list[float]:
        return [round(peak_rss_mb(pid), 1) for pid in self.workers()]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def measure_http(url: str, n: int, warmup: int, only: set[str] | None = None, log: Path | None = None) -> dict:
    import requests

    app = make_app(url)
    with app.app_context():
        sample = pick_sample()
        specs, _notes = page_specs(app, sample)
        emails = {
            who: user_email(uid)
            for who in {s.user for s in specs if s.user}
            if (uid := user_id(sample, who)) is not None
        }
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
            session = sessions.get(spec.user)
            if session is None:
                session = sessions[spec.user] = requests.Session()
                if spec.user:
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
        peaks = server.worker_peaks_mb()
    finally:
        server.stop()
    return {"pages": results, "workers": 2, "worker_peak_rss_mb": peaks}


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
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
