"""Every benchmark in one command; writes benchmarks/results/<db>-<scale>.json and RESULTS.md.

    python benchmarks/run_all.py --db sqlite --scale full
    python benchmarks/run_all.py --db postgresql --scale full
    python benchmarks/run_all.py --db all --scale small --quick     # a few minutes, for trying changes
    python benchmarks/run_all.py --db sqlite --scale full --reuse --parts redmine   # side by side with Redmine

Per database: generate the data (benchmarks/generate.py; --reuse keeps a
database generated earlier at the same scale), the same at --compare-scale
(small) for the query counts, pages through the test client and gunicorn,
the mail jobs and delivery (benchmarks/jobs.py), and the load test
(benchmarks/loadtest.py); only when named in --parts, and where Redmine is
installed, the comparison with Redmine (benchmarks/redmine.py). RESULTS.md is rebuilt from every results file
present, so the SQLite and PostgreSQL runs can be made one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from common import DATA, HERE, ROOT, machine, resolve_url

RESULTS = HERE / "results"
PARTS = ("pages", "jobs", "load")
#: Run only when named in --parts: side by side with Redmine (benchmarks/redmine.py), where it is installed.
OPTIONAL_PARTS = ("redmine",)
#: The target of issue 14: each of our pages at most half of Redmine's time for the same comparison
REDMINE_RATIO = 0.5

#: Targets of issue 14 (2 cores, national scale, SQLite and PostgreSQL)
PAGE_MEDIAN_MS = 50
PAGE_QUERIES = 12  # at most
NATIONAL_MS = 100  # the national overview with any filter or sort, overdue steps nationwide as JSON
FLOOR_RATIO = 10
REMINDER_PASS_S = 2
CLI_PEAK_MB = 300
DELIVERY_PER_S = 300
SENDER_CPU_MS = 2
PDF_S = 1
NATIONAL_XLSX_S = 15
WORKER_MB = 150
#: The pages the national targets are about (benchmarks/pages.py names)
NATIONAL_PAGES = ("national", "national_overdue", "national_by_overdue", "api_overdue")


def log(line: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ensure_postgresql_database(url: str) -> None:
    import sqlalchemy as sa

    name = sa.engine.make_url(url).database
    admin = sa.engine.make_url(url).set(database="postgres")
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def database_for(db: str, scale: str, full_scale: str) -> str:
    """The URL of the benchmark database of this dialect at this scale."""
    url = resolve_url(db, scale)
    if db == "postgresql" and scale != full_scale:
        import sqlalchemy as sa

        u = sa.engine.make_url(url)
        url = u.set(database=f"{u.database}_{scale}").render_as_string(hide_password=False)
    return url


def generate(url: str, scale: str, reuse: bool) -> dict:
    import sqlalchemy as sa

    if url.startswith("postgresql"):
        ensure_postgresql_database(url)
    summary_file = DATA / "logs" / f"generate-{sa.engine.make_url(url).get_backend_name()}-{scale}.json"
    summary_file.parent.mkdir(parents=True, exist_ok=True)
    if reuse and summary_file.exists():
        summary = json.loads(summary_file.read_text())
        if summary.get("database", "").split("/")[-1] == sa.engine.make_url(url).database.split("/")[-1]:
            log(f"reusing {summary['database']} generated earlier")
            summary["reused"] = True
            return summary
    log(f"generating {scale} into {sa.engine.make_url(url).render_as_string()}")
    out = subprocess.run(
        [sys.executable, str(HERE / "generate.py"), "--db", url, "--scale", scale, "--reset", "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"generation failed:\n{out.stderr[-3000:]}")
    summary_file.write_text(out.stdout.strip().splitlines()[-1])
    return json.loads(summary_file.read_text())


def script(name: str, *args: str) -> dict:
    with_json = DATA / "logs" / f"{name}-{os.getpid()}.json"
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(HERE / f"{name}.py"), *args, "--json", str(with_json)],
        cwd=ROOT,
        text=True,
        capture_output=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"{name}.py failed:\n{out.stderr[-4000:]}")
    result = json.loads(with_json.read_text())
    with_json.unlink()
    log(f"{name}.py done in {time.perf_counter() - started:.0f} s")
    return result


def run_one(db: str, scale: str, compare_scale: str, args) -> dict:
    url = database_for(db, scale, scale)
    result: dict = {
        "db": db,
        "scale": scale,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_before": load_average(),
    }
    parts = set(args.parts.split(","))
    earlier = RESULTS / f"{db}-{scale}.json"
    kept: dict = {}
    if earlier.exists():
        kept = json.loads(earlier.read_text())
        keys: tuple[str, ...] = ()
        if not set(PARTS) <= parts:
            # Only some parts again: the others are kept from the last full run.
            keys = ("compare_generation", "compare_pages", "pages", "jobs", "load")
        # The Redmine comparison (optional, and its own timestamps) stays until it is run again.
        keys += ("redmine",)
        result.update({k: v for k, v in kept.items() if k in keys})
    result["generation"] = generate(url, scale, args.reuse)
    if compare_scale and compare_scale != scale and "pages" in parts:
        small_url = database_for(db, compare_scale, scale)
        result["compare_generation"] = generate(small_url, compare_scale, args.reuse)
        log(f"query counts at {compare_scale}")
        result["compare_pages"] = script("pages", "--db", small_url, "-n", "1", "--warmup", "0")
    if "pages" in parts:
        log(f"pages at {scale}")
        page_args = ["--db", url, "-n", str(args.n), "--warmup", "3"]
        if not args.no_http:
            page_args.append("--http")
        result["pages"] = script("pages", *page_args)
    if "jobs" in parts:
        log("mail jobs")
        result["jobs"] = script("jobs", "--db", url, "--deliver", str(args.deliver))
    if not args.no_load and "load" in parts:
        log(f"load test: {args.users} users for {args.seconds} s")
        result["load"] = script(
            "loadtest", "--db", url, "-u", str(args.users), "-t", str(args.seconds), "--workers", str(args.workers)
        )
    if "redmine" in parts:
        from redmine import unavailable

        reason = unavailable()
        if reason:
            log(f"Redmine comparison skipped: {reason}")
        else:
            log(f"side by side with Redmine at {scale}")
            redmine_args = ["--db", url, "--scale", scale, "-n", str(args.redmine_n)]
            if args.reuse:
                redmine_args.append("--reuse")
            result["redmine"] = script("redmine", *redmine_args)
            result["redmine"]["command"] = " ".join(["python", "benchmarks/run_all.py", *sys.argv[1:]])
    result["load_average_after"] = load_average()
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["command"] = " ".join(["python", "benchmarks/run_all.py", *sys.argv[1:]])
    if not set(PARTS) <= parts:
        result["command"] += f" (only {args.parts} in this run; the rest from {kept.get('started', 'the run before')})"
    return result


# -- RESULTS.md -----------------------------------------------------------------------------------------


def cpu(job: dict) -> str:
    return f"{job['cpu_seconds']:.2f}" if job.get("cpu_seconds") is not None else "–"


def fmt_ms(v) -> str:
    return "–" if v is None else f"{v:,.1f}"


def verdict(ok: bool, how: str = "") -> str:
    return "met" if ok else f"**missed**{' ' + how if how else ''}"


def by_how_much(value: float, target: float, unit: str, higher_is_better: bool = False) -> str:
    if higher_is_better:
        return f"({value:,.0f} {unit}, {target / value:.1f}× too slow)" if value else ""
    return f"({value:,.2f} {unit}: {value / target:.1f}× the target)"


def targets_table(r: dict) -> list[str]:
    """One row per target of issue 14, measured in this run."""
    pages = r["pages"]["test_client"]["pages"]
    compare = r.get("compare_pages", {}).get("test_client", {}).get("pages", {})
    lists = {k: v for k, v in pages.items() if v["kind"] in ("page", "api")}
    jobs = r["jobs"]
    rows = ["| target | measured | verdict |", "|---|---|---|"]

    def add(target: str, measured: str, ok: bool, how: str = "") -> None:
        rows.append(f"| {target} | {measured} | {verdict(ok, '' if ok else how)} |")

    # The national overview and the nationwide JSON have a target of their own (below).
    others = {k: v for k, v in lists.items() if k not in NATIONAL_PAGES}
    slowest = max(others.items(), key=lambda kv: kv[1]["median_ms"])
    add(
        f"every other page and API list: median < {PAGE_MEDIAN_MS} ms (test client)",
        f"slowest: {slowest[0]} {fmt_ms(slowest[1]['median_ms'])} ms",
        slowest[1]["median_ms"] < PAGE_MEDIAN_MS,
        by_how_much(slowest[1]["median_ms"], PAGE_MEDIAN_MS, "ms"),
    )
    most = max(lists.items(), key=lambda kv: kv[1]["queries"])
    add(
        f"every page ≤ {PAGE_QUERIES} SQL statements",
        f"most: {most[0]} {most[1]['queries']}",
        most[1]["queries"] <= PAGE_QUERIES,
    )
    if compare:
        grown = [k for k, v in lists.items() if k in compare and v["queries"] > compare[k]["queries"]]
        add(
            "statements flat from the small to the full scale",
            f"grown: {', '.join(grown)}" if grown else "none grows",
            not grown,
        )
    national = {k: pages[k] for k in NATIONAL_PAGES if k in pages}
    if national:
        name, worst = max(national.items(), key=lambda kv: kv[1]["median_ms"])
        add(
            f"national overview (any filter, sort) and overdue steps nationwide (JSON) < {NATIONAL_MS} ms",
            f"slowest: {name} {fmt_ms(worst['median_ms'])} ms",
            worst["median_ms"] < NATIONAL_MS,
            by_how_much(worst["median_ms"], NATIONAL_MS, "ms"),
        )
    floors = {k: v["floor_ratio"] for k, v in pages.items() if v.get("floor_ratio")}
    if floors:
        name, ratio = max(floors.items(), key=lambda kv: kv[1])
        over = sorted(k for k, v in floors.items() if v > FLOOR_RATIO)
        layout = r["pages"]["test_client"].get("layout")

        def tenfold(names: list[str]) -> str:
            limits = sorted(FLOOR_RATIO * pages[n]["floor_cpu_ms"] for n in names)
            return f"{limits[0]:.1f}–{limits[-1]:.1f} ms"

        add(
            f"pages within {FLOOR_RATIO}× of their floor (CPU)",
            f"largest: {name} {ratio}×"
            + (f"; over: {', '.join(over)}" if over else "")
            + (
                f"; a logged-in page with only the layout costs {layout['cpu_median_ms']:.2f} ms CPU "
                f"(10× the floors of the pages over: {tenfold(over)})"
                if layout and over
                else ""
            ),
            not over,
            "see benchmarks/README.md",
        )
    rp = jobs["reminder_pass"]
    # On a shared machine the wall time includes waiting for other processes: judge by CPU
    # time when it is known (with SQLite it includes the database's own work).
    s = rp.get("cpu_seconds") or rp["seconds"]
    add(
        f"a national Monday's reminder pass < {REMINDER_PASS_S} s CPU",
        f"{cpu(rp)} s CPU, {rp['seconds']:.2f} s wall ({rp['messages']:,} messages)",
        s < REMINDER_PASS_S,
        by_how_much(s, REMINDER_PASS_S, "s"),
    )
    peaks = {k: jobs[k]["peak_rss_mb"] for k in ("cli_pass", "scheduler_tick") if k in jobs}
    if peaks:
        m = max(peaks.values())
        add(
            f"`tracker remind` + `digest` and the scheduler's tick, whole country: peak < {CLI_PEAK_MB} MB",
            ", ".join(f"{k} {v:.0f} MB" for k, v in peaks.items()),
            m < CLI_PEAK_MB,
            by_how_much(m, CLI_PEAK_MB, "MB"),
        )
    d = jobs["delivery"]
    rate = d["messages_per_second"] or 0
    add(
        f"delivery ≥ {DELIVERY_PER_S} messages/s on one SMTP connection",
        f"{rate:,.0f}/s",
        rate >= DELIVERY_PER_S,
        by_how_much(rate, DELIVERY_PER_S, "/s", True),
    )
    per = d.get("sender_cpu_ms_per_message")
    if per is not None:
        add(
            f"sender CPU < {SENDER_CPU_MS} ms per message",
            f"{per:.2f} ms",
            per < SENDER_CPU_MS,
            by_how_much(per, SENDER_CPU_MS, "ms"),
        )
    if "report_pdf" in pages:
        s = pages["report_pdf"]["median_ms"] / 1000
        add(f"an organization's PDF report < {PDF_S} s warm", f"{s:.2f} s", s < PDF_S, by_how_much(s, PDF_S, "s"))
    if "national_xlsx" in pages:
        s = pages["national_xlsx"]["median_ms"] / 1000
        add(
            f"national XLSX < {NATIONAL_XLSX_S} s",
            f"{s:.2f} s",
            s < NATIONAL_XLSX_S,
            by_how_much(s, NATIONAL_XLSX_S, "s"),
        )
    http = r["pages"].get("http", {})
    peaks = list(http.get("worker_peak_rss_mb", [])) + list(r.get("load", {}).get("worker_peak_rss_mb", []))
    held = list(http.get("worker_rss_mb", []))
    if held or peaks:
        # "After the mix": what a worker holds once it has served every page and download (older
        # runs recorded only the peak). The peak (VmHWM) adds each login's scrypt check, 32 MiB
        # for its duration (benchmarks/README.md).
        m = max(held or peaks)
        add(
            f"a web worker < {WORKER_MB} MB after the mix of pages and downloads",
            f"{m:.0f} MB held (peak during the mix {max(peaks):.0f} MB)" if held else f"peak {m:.0f} MB",
            m < WORKER_MB,
            by_how_much(m, WORKER_MB, "MB"),
        )
    if "load" in r:
        e = r["load"]["errors"]
        add(
            f"load test: {r['load']['users']} users, {r['load']['seconds']} s, no errors",
            f"{e} errors, p95 {fmt_ms(r['load']['total'].get('p95_ms'))} ms",
            e == 0,
        )
    if "redmine" in r and r["redmine"].get("pairs"):
        ratios = {p["label"]: p["ratio"] for p in r["redmine"]["pairs"].values()}
        name, worst = max(ratios.items(), key=lambda kv: kv[1] if kv[1] is not None else float("inf"))
        add(
            f"side by side with Redmine: every ratio < {REDMINE_RATIO}",
            f"largest: {name} {worst:.2f}" if worst is not None else f"{name}: not measured",
            worst is not None and worst < REDMINE_RATIO,
        )
    return rows


def redmine_lines(rm: dict) -> list[str]:
    """The side-by-side table of benchmarks/redmine.py."""
    d = rm["data"]
    lines = [
        "",
        "### Side by side with Redmine",
        "",
        f"Redmine {rm['redmine_version']} (Debian, SQLite, puma) loaded by `benchmarks/redmine.py` with "
        + ("every plan" if rm.get("plans", "all") == "all" else f"fiscal year {d['fiscal_year']}")
        + f" of the data above: {d['projects']:,} projects, {d.get('versions', 0):,} versions (plans), "
        f"{d['issues']:,} issues (steps), {d['users']:,} users, {d['members']:,} memberships "
        f"(loaded in {d['seconds']:.0f} s). Run {rm['started']} – {rm['finished']} "
        f"(load average before {rm['load_average_before']}, after {rm['load_average_after']}). {rm['servers']}. "
        f"Each comparison: {rm['warmup']} untimed rounds, then {rm['n']} rounds, the two sides in turn "
        f"(the order alternating); overdue = open and due on or before {rm['overdue_before']}."
        + (f" Command: `{rm['command']}`" if rm.get("command") else ""),
        "",
        f"| comparison | ours | median / p95 ms | Redmine | median / p95 ms | ours/Redmine | < {REDMINE_RATIO} |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in rm["pairs"].values():
        o, t, ratio = p["ours"], p["redmine"], p["ratio"]
        lines.append(
            f"| {p['label']} | `{unquote(o['path'])}` ({o['user']}) | {fmt_ms(o['median_ms'])} / {fmt_ms(o['p95_ms'])} | "
            f"`{unquote(t['path'])}` ({t['user']}) | {fmt_ms(t['median_ms'])} / {fmt_ms(t['p95_ms'])} | "
            f"**{ratio:.2f}** | {verdict(ratio is not None and ratio < REDMINE_RATIO)} |"
        )
    totals = [
        f"{p['label']}: ours {p['totals'][0]:,}, Redmine {p['totals'][1]:,}"
        for p in rm["pairs"].values()
        if p.get("totals") and None not in p["totals"]
    ]
    if totals:
        lines += ["", "Rows matched (the JSON totals): " + "; ".join(totals) + "."]
    return lines


def section(r: dict) -> list[str]:
    g = r["generation"]
    lines = [f"## {r['db']} · scale {r['scale']}", ""]
    lines.append(
        f"Run {r['started']} – {r['finished']} (load average before {r['load_average_before']}, "
        f"after {r['load_average_after']}). Command: `{r['command']}`"
    )
    lines += ["", "### Targets", "", *targets_table(r), ""] if "pages" in r and "jobs" in r else [""]
    counts = g["counts"]
    lines += [
        "### Data",
        "",
        f"Generated by `benchmarks/generate.py` as of {g['today']} (fiscal years {', '.join(map(str, g['fiscal_years']))}): "
        f"{g['seconds']['total']:.0f} s{' (reused)' if g.get('reused') else ''}, "
        f"database {g['size_bytes'] / 1e9:.2f} GB.",
        "",
        "| " + " | ".join(counts) + " |",
        "|" + "---|" * len(counts),
        "| " + " | ".join(f"{v:,}" for v in counts.values()) + " |",
        "",
        "Users by role: " + ", ".join(f"{k} {v:,}" for k, v in sorted(g["users_by_role"].items())),
        "",
    ]
    if "pages" in r:
        tc = r["pages"]["test_client"]
        http = r["pages"].get("http", {}).get("pages", {})
        compare = r.get("compare_pages", {}).get("test_client", {}).get("pages", {})
        cscale = r.get("compare_generation", {}).get("scale")
        lines += [
            "### Pages",
            "",
            f"Median and p95 of {next(iter(tc['pages'].values()))['n']} requests after warm-up; SQL statements of one request"
            + (
                f", and at scale {cscale} ({r['compare_generation']['counts']['organizations']:,} organizations) "
                "to show they do not grow with the data"
                if compare
                else ""
            )
            + ".",
            "",
            "| page | test client median / p95 ms | gunicorn HTTP median / p95 ms | statements"
            + (f" ({r['scale']} / {cscale})" if compare else "")
            + " | bytes | CPU ms | floor CPU ms (× page/floor) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, p in tc["pages"].items():
            h = http.get(name, {})
            q = f"{p['queries']}" + (f" / {compare[name]['queries']}" if name in compare else "")
            floor = (
                f"{p['floor_cpu_ms']:.2f} ({p['floor_ratio']}×)"
                if p.get("floor_cpu_ms") and p.get("floor_ratio")
                else ""
            )
            lines.append(
                f"| {p['label']} `{p['path']}` | {fmt_ms(p['median_ms'])} / {fmt_ms(p['p95_ms'])} | "
                f"{fmt_ms(h.get('median_ms'))} / {fmt_ms(h.get('p95_ms'))} | {q} | {p['bytes']:,} | "
                f"{fmt_ms(p.get('cpu_median_ms'))} | {floor} |"
            )
        if tc.get("layout"):
            lines.append(
                f"\nA logged-in page that renders only the layout (`{tc['layout']['path']}`, added by pages.py): "
                f"{fmt_ms(tc['layout']['median_ms'])} ms median, {tc['layout']['cpu_median_ms']:.2f} ms CPU."
            )
        for note in tc.get("notes", []):
            lines.append(f"\nNot measured: {note}.")
        if "http" in r["pages"]:
            lines += [
                "",
                f"gunicorn: {r['pages']['http']['workers']} sync workers; per worker after the mix (downloads "
                f"included), peak RSS: {', '.join(f'{m:.0f} MB' for m in r['pages']['http']['worker_peak_rss_mb'])}"
                + (
                    f"; RSS held: {', '.join(f'{m:.0f} MB' for m in r['pages']['http']['worker_rss_mb'])}"
                    if r["pages"]["http"].get("worker_rss_mb")
                    else ""
                )
                + ".",
            ]
    if "jobs" in r:
        j = r["jobs"]
        lines += [
            "",
            "### Mail jobs",
            "",
            f"At {j['now']} (a Monday: weekly digests and overdue reminders are due).",
            "",
            "| job | seconds (wall) | CPU seconds | SQL statements | messages |",
            "|---|---|---|---|---|",
            f"| reminder pass (`queue_reminders`, first of the day) | {j['reminder_pass']['seconds']:.2f} | "
            f"{cpu(j['reminder_pass'])} | {j['reminder_pass']['queries']:,} | {j['reminder_pass']['messages']:,} "
            f"({j['reminder_pass'].get('items', 0):,} items: steps × recipients) |",
            f"| digest pass (`queue_digests`) | {j['digest_pass']['seconds']:.2f} | {cpu(j['digest_pass'])} | "
            f"{j['digest_pass']['queries']:,} | {j['digest_pass']['messages']:,} |",
            f"| repeat pass, same day (every later heartbeat: both passes) | {j['repeat_pass']['seconds']:.2f} | "
            f"{cpu(j['repeat_pass'])} | {j['repeat_pass']['queries']:,} | {j['repeat_pass']['messages']:,} |",
            *(
                [
                    f"| next business day's first pass ({j['next_day_pass']['now'][:10]}, both passes) | "
                    f"{j['next_day_pass']['seconds']:.2f} | {cpu(j['next_day_pass'])} | {j['next_day_pass']['queries']:,} | "
                    f"{j['next_day_pass']['messages']:,} |"
                ]
                if "next_day_pass" in j
                else []
            ),
            f"| scheduler tick in a fresh process (both passes, commit, deliver 100) | {j['scheduler_tick']['seconds']:.2f} | "
            f"{cpu(j['scheduler_tick'])} | | {j['scheduler_tick']['queued']:,} queued |",
            "",
            f"Scheduler process peak RSS: {j['scheduler_tick']['peak_rss_mb']:.0f} MB.",
            "",
            f"Delivery: {j['delivery']['sent']:,} messages in {j['delivery']['seconds']:.2f} s "
            f"({cpu(j['delivery'])} CPU s in the sender) on one connection to an "
            f"aiosmtpd sink in another process = **{j['delivery']['messages_per_second']:,.0f} messages/s** "
            f"({j['delivery']['failed']} failed)"
            + (
                f"; three rounds of {j['delivery']['sent'] // 3:,}: "
                f"{', '.join(f'{r:,.0f}' for r in j['delivery']['rounds_per_second'])} messages/s, the median reported."
                if j["delivery"].get("rounds_per_second")
                else "."
            ),
        ]
    if "load" in r:
        load = r["load"]
        lines += [
            "",
            "### Load test",
            "",
            f"locust, {load['users']} users (owners and managers of {load['logins']} organizations, each logged in "
            f"through the login form), {load['seconds']} s, think time 1–3 s, against gunicorn "
            f"`-w {load['gunicorn_workers']}` on 127.0.0.1. Worker peak RSS: "
            f"{', '.join(f'{m:.0f} MB' for m in load['worker_peak_rss_mb'])}.",
            "",
            "| request | count | failures | median ms | p95 ms | req/s |",
            "|---|---|---|---|---|---|",
        ]
        for name, s in load["by_request"].items():
            lines.append(
                f"| {name} | {s['requests']:,} | {s['failures']} | {s['median_ms']:.0f} | {s['p95_ms']:.0f} | {s['rps']} |"
            )
    if "redmine" in r:
        lines += redmine_lines(r["redmine"])
    return lines + [""]


def write_results_md(machine_info: dict) -> Path:
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    lines = [
        "# Benchmark results",
        "",
        "Regenerate with `python benchmarks/run_all.py --db sqlite --scale full` and "
        "`python benchmarks/run_all.py --db postgresql --scale full` (or `--db all`); see benchmarks/README.md. "
        "This file is written by run_all.py from benchmarks/results/*.json; the analysis of the misses is in "
        "benchmarks/README.md.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine_info['cpu']} × {machine_info['nproc']} (`nproc`)",
        f"- OS: {machine_info['os']}",
        f"- Python {machine_info['python']}, SQLite {machine_info['sqlite']}, PostgreSQL {machine_info['postgresql']}, "
        f"SQLAlchemy {machine_info['sqlalchemy']}, Flask {machine_info['flask']}",
        "- `free -h`:",
        "",
        "```",
        machine_info["memory"],
        "```",
        "",
        "The machine is shared: other jobs may run at the same time (see the load averages of each run).",
        "",
    ]
    for r in results:
        lines += section(r)
    path = HERE / "RESULTS.md"
    path.write_text("\n".join(lines))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql or all")
    parser.add_argument("--scale", default="full", help="full, medium, small, tiny or a factor")
    parser.add_argument("--compare-scale", default="small", help="scale whose query counts are compared ('' for none)")
    parser.add_argument("--reuse", action="store_true", help="keep databases generated earlier at the same scale")
    parser.add_argument("-n", type=int, default=30, help="timed requests per page")
    parser.add_argument("--deliver", type=int, default=2000, help="messages in the delivery run")
    parser.add_argument("-u", "--users", type=int, default=50)
    parser.add_argument("-t", "--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers in the load test")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn page timings")
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    parser.add_argument("--quick", action="store_true", help="-n 5, 300 deliveries, 10 users for 15 s")
    parser.add_argument("--render-only", action="store_true", help="only rebuild RESULTS.md from results/*.json")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="which measurements to run (pages,jobs,load, and redmine where Redmine is installed); "
        "the others are kept from the last run",
    )
    parser.add_argument("--redmine-n", type=int, default=11, help="timed rounds of the Redmine comparison")
    args = parser.parse_args(argv)
    unknown = set(args.parts.split(",")) - set(PARTS) - set(OPTIONAL_PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))} (known: {', '.join(PARTS + OPTIONAL_PARTS)})")
    if args.render_only:
        log(f"{write_results_md(machine())} written")
        return 0
    if args.quick:
        args.n, args.deliver, args.users, args.seconds, args.redmine_n = 5, 300, 10, 15, 5
    os.environ.setdefault("TRACKER_INSTANCE_PATH", str(DATA / "instance"))
    RESULTS.mkdir(exist_ok=True)
    dbs = ["sqlite", "postgresql"] if args.db == "all" else [args.db]
    for db in dbs:
        result = run_one(db, args.scale, args.compare_scale, args)
        (RESULTS / f"{db}-{args.scale}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
        log(f"{db}: results/{db}-{args.scale}.json written")
    path = write_results_md(machine())
    log(f"{path} written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
