"""The benchmark data generator (benchmarks/generate.py) keeps working with the app.

It runs at a tiny scale into a temporary SQLite file, as a command (the tests
never import benchmarks/), and the app's own pages and mail jobs must work on
what it made: the benchmarks measure nothing if the data no longer fits the
schema or the rules.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime

import pytest
import sqlalchemy as sa

from tests.bench_data import ROOT, TODAY, app_on, generate
from tests.bench_data import log_in as _login
from tracker.thaidate import BANGKOK


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    url, summary = generate(folder, "tiny", timeout=300)
    return url, summary, folder


@pytest.fixture(scope="module")
def bench_app(generated, tmp_path_factory):
    url, _summary, folder = generated
    app = app_on(url, folder)
    yield app
    from tracker.db import db

    with app.app_context():
        db.engine.dispose()


def test_the_generator_makes_the_planned_numbers_of_everything(generated):
    _url, summary, _folder = generated
    counts = summary["counts"]
    orgs = 8  # 7,850 × 0.001
    assert summary["fiscal_years"] == [2568, 2569, 2570]  # the current one and the two before
    assert counts["plans"] == orgs * 3
    assert counts["steps"] == orgs * 3 * 26
    roles = summary["users_by_role"]
    assert roles["admin"] == orgs and roles["owner"] >= orgs and roles["manager"] >= 1
    assert counts["evidence"] > 0 and counts["outbox_messages"] > 0 and counts["outbox_items"] > 0
    assert summary["size_bytes"] > 0 and summary["seconds"]["total"] > 0


def test_every_changed_step_has_a_journal_and_past_years_are_mostly_done(generated):
    url, _summary, _folder = generated
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        unjournaled = conn.execute(
            sa.text(
                "SELECT count(*) FROM steps WHERE status != 'not_started' "
                "AND NOT EXISTS (SELECT 1 FROM journal_entries j WHERE j.step_id = steps.id)"
            )
        ).scalar()
        by_year = dict(
            conn.execute(
                sa.text(
                    "SELECT p.fiscal_year, avg(CASE WHEN s.status = 'done' THEN 1.0 ELSE 0 END) FROM steps s "
                    "JOIN measures m ON m.id = s.measure_id JOIN weaknesses w ON w.id = m.weakness_id "
                    "JOIN plans p ON p.id = w.plan_id GROUP BY p.fiscal_year"
                )
            ).all()
        )
        done_without_time = conn.execute(
            sa.text("SELECT count(*) FROM steps WHERE status = 'done' AND completed_at IS NULL")
        ).scalar()
    engine.dispose()
    assert unjournaled == 0 and done_without_time == 0
    assert by_year[2568] > 0.7 and by_year[2569] > 0.7
    assert 0 < by_year[2570] < 0.5  # the current year is partly done


def test_the_apps_pages_render_on_the_generated_data(generated, bench_app):
    _url, summary, _folder = generated
    sample = summary["sample"]
    client = bench_app.test_client()
    _login(client, sample["manager"])
    home = client.get("/")  # the manager's home: what needs them, and a link to the plan
    assert home.status_code == 200
    plan = re.search(r'href="/plans/(\d+)"', home.get_data(as_text=True)).group(1)
    dashboard = client.get(f"/plans/{plan}")
    assert dashboard.status_code == 200
    page = dashboard.get_data(as_text=True)
    measure = re.search(r'href="/measures/(\d+)"', page).group(1)
    step = re.search(r'href="/steps/(\d+)"', page).group(1)
    for path in ("/my-steps?scope=all", f"/measures/{measure}", f"/steps/{step}"):
        assert client.get(path).status_code == 200, path
    owner = bench_app.test_client()
    _login(owner, sample["owner"])
    assert owner.get("/my-steps").status_code == 200


def test_the_outbox_history_is_what_the_daily_passes_would_have_queued(bench_app):
    # The history ends the day before: on the Friday before nothing is left to
    # queue, and on the Monday only that day's reminders and digests are.
    from tracker.notify.digests import plan_digests
    from tracker.notify.reminders import plan_reminders

    with bench_app.app_context():
        friday = datetime(2026, 11, 20, 8, 30, tzinfo=BANGKOK)
        assert plan_reminders(friday) == [] and plan_digests(friday) == []
        monday = datetime(2026, 11, 23, 8, 30, tzinfo=BANGKOK)
        items = [i for m in plan_reminders(monday) for i in m.items]
        assert items and {i.trigger_date for i in items if i.reason == "overdue"} <= {TODAY}
        assert {m.kind for m in plan_digests(monday)} == {"digest_weekly"}


def test_the_redmine_comparison_says_it_is_skipped_where_redmine_is_not_installed(generated, tmp_path):
    """benchmarks/redmine.py is optional: without Redmine it explains itself and exits 0."""
    url, _summary, folder = generated
    env = {
        "PATH": "/usr/bin:/bin",
        "TRACKER_INSTANCE_PATH": str(folder / "instance"),
        "BENCH_REDMINE_ROOT": str(tmp_path / "no-redmine"),
    }
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "redmine.py"), "--db", url, "--scale", "tiny"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "skipped: Redmine is not installed" in out.stderr
    assert "apt-get install redmine redmine-sqlite puma" in out.stderr
