"""Load test against gunicorn on 127.0.0.1 with locust: N concurrent users for T seconds.

    python benchmarks/loadtest.py --db sqlite --scale full [-u 50] [-t 60] [--workers 4]

Users are owners and managers of organizations spread over the database (one
organization each); see benchmarks/locustfile.py for what they do. Reports the
request count, failures, requests per second, median and p95 per request kind
and overall, and the peak RSS of each gunicorn worker afterwards.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from common import DATA, HERE, PASSWORD, ROOT, make_app, resolve_url, write_result
from pages import Gunicorn


def pick_users(url: str, count: int) -> list[dict]:
    """Owners and managers of `count` organizations spread evenly over the database, with
    their current plan, a measure and a step of it."""
    from tracker.auth.models import Role, User
    from tracker.db import db
    from tracker.plans import queries
    from tracker.plans.models import Measure, PlanStatus, Step, Weakness

    app = make_app(url)
    users = []
    with app.app_context():
        public = any(r.rule == "/p/<slug>/<fiscal_year>" for r in app.url_map.iter_rules())
        candidates = db.session.execute(
            sa.select(User.id, User.email, User.organization_id, User.role)
            .where(User.role.in_([Role.owner, Role.manager]), User.active.is_(True))
            .order_by(User.organization_id, User.id)
        ).all()
        org_ids = sorted({c.organization_id for c in candidates})
        step = max(1, len(org_ids) // count)
        chosen = set(org_ids[::step][:count])
        seen: set[int] = set()
        for c in candidates:
            if c.organization_id not in chosen or c.organization_id in seen:
                continue
            plan = queries.current_plan(c.organization_id)
            if plan is None:
                continue
            seen.add(c.organization_id)
            ids = db.session.execute(
                sa.select(Measure.id, Step.id)
                .join(Step.measure)
                .join(Measure.weakness)
                .where(Weakness.plan_id == plan.id)
                .order_by(Step.due_date, Step.id)
                .limit(1)
            ).one()
            users.append(
                {
                    "email": c.email,
                    "role": c.role.value,
                    "plan_id": plan.id,
                    "measure_id": ids[0],
                    "step_id": ids[1],
                    # A draft plan has no public page (404): its visitors would not find one either.
                    "public_path": (
                        f"/p/{plan.organization.slug}/{plan.fiscal_year}"
                        if public and plan.status is not PlanStatus.draft
                        else None
                    ),
                }
            )
        db.session.remove()
        db.engine.dispose()
    return users


def read_stats(prefix: Path) -> dict:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
    out = {}
    for row in rows:
        name = row["Name"] if row["Type"] else "all"
        if row["Name"] == "Aggregated":
            name = "all"
        out[name] = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "median_ms": float(row["Median Response Time"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
            "rps": round(float(row["Requests/s"]), 1),
        }
    return out


def run(url: str, users: int, seconds: int, workers: int, threads: int = 1) -> dict:
    chosen = pick_users(url, users)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        users_file = Path(tmp) / "users.json"
        users_file.write_text(json.dumps(chosen, ensure_ascii=False))
        server = Gunicorn(url, workers=workers, threads=threads, log=Path(tmp) / "gunicorn.log")
        try:
            prefix = Path(tmp) / "locust"
            env = {**__import__("os").environ, "BENCH_USERS": str(users_file), "BENCH_PASSWORD": PASSWORD}
            cmd = [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(max(1, users // 5)),
                "-t",
                f"{seconds}s",
                "--host",
                server.base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--stop-timeout",
                "10",
                "--loglevel",
                "WARNING",
            ]
            done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 300)
            stats = read_stats(prefix)
            peaks = server.worker_peaks_mb()
        finally:
            server.stop()
    total = stats.get("all", {})
    return {
        "users": users,
        "seconds": seconds,
        "gunicorn_workers": workers,
        "gunicorn_threads": threads,
        "logins": sum(1 for u in chosen),
        "by_request": stats,
        "total": total,
        "errors": total.get("failures", -1),
        "worker_peak_rss_mb": peaks,
        "locust_exit_code": done.returncode,
        "locust_output_tail": (done.stderr or "")[-1500:] if total.get("failures") else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--scale", default="full")
    parser.add_argument("-u", "--users", type=int, default=50)
    parser.add_argument("-t", "--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(resolve_url(args.db, args.scale), args.users, args.seconds, args.workers)
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
