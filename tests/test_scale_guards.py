"""Guards of the national-scale design (issue 14): not timings, but what sets them.

- Every main page and API list sends the same number of SQL statements on a
  small and on a four times larger generated dataset (benchmarks/generate.py,
  run as a command as tests/test_benchmark_generator.py does), and no more
  than the page budget.
- The overview's and the lists' statements, with their bound parameters as a
  request sends them, are planned without a full scan of steps, journal or
  evidence, and without a scan of organizations inside a loop: `EXPLAIN QUERY
  PLAN` on SQLite; on PostgreSQL (TRACKER_TEST_DATABASE_URL) `EXPLAIN` with
  sequential scans disabled, so a Seq Scan left means no index can serve it.
- The generated data's counters equal a recount (the generator rebuilds them
  after its bulk inserts).
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.bench_data import app_on, generate
from tests.bench_data import log_in as _login

#: Its module-scoped setup is built once: xdist keeps the module's tests on one worker.
pytestmark = pytest.mark.xdist_group("scale_guards")

#: Statements a page may send (issue 14); pages over it are listed with the ceiling they may not pass.
BUDGET = 12
#: None over it any more: the header's unread count comes with the user, and the step lists are counted
#: in the statement that reads them (the manager's home "/" sends 6).
OVER_BUDGET: dict[str, int] = {}


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    """Two generated countries: 8 organizations (tiny) and 4 times as many."""
    folder = tmp_path_factory.mktemp("scale")
    made = {}
    for scale in ("tiny", "0.004"):
        url, summary = generate(folder, scale)
        made[scale] = (app_on(url, folder), summary)
    yield made
    from tracker.db import db

    for app, _summary in made.values():
        with app.app_context():
            db.engine.dispose()


@contextmanager
def recording(engine):
    """The statements sent, with their parameters as the driver got them."""
    seen: list[tuple[str, object]] = []

    def note(_conn, _cursor, statement, parameters, _context, _executemany):
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def _pages(app, summary) -> dict[str, tuple[str, str, dict[str, str]]]:
    """name → (who, path, headers): the main pages of the sample organization and the offices."""
    from tracker import clock
    from tracker.api import tokens
    from tracker.auth.models import User
    from tracker.db import db
    from tracker.orgs.models import Organization
    from tracker.plans import queries

    sample = summary["sample"]
    with app.app_context():
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == sample["manager_organization"]))
        plan = queries.current_plan(org.id)
        national = db.session.scalar(sa.select(User).where(User.email == sample["national"]))
        _token, secret = tokens.create_token(national, "scale guard", clock.now())
        db.session.commit()
        plan_id, slug, year = plan.id, org.slug, plan.fiscal_year
    bearer = {"Authorization": f"Bearer {secret}"}
    return {
        "dashboard": ("manager", "/", {}),
        "my_steps": ("owner", "/my-steps", {}),
        "my_steps_org": ("manager", "/my-steps?scope=all", {}),
        "province": ("provincial", "/province", {}),
        "national": ("national", "/province", {}),
        "national_overdue": ("national", "/province?show=overdue", {}),
        "national_by_overdue": ("national", "/province?sort=-overdue", {}),
        "national_by_activity": ("national", "/province?sort=-activity&show=not_started", {}),
        "public": (None, f"/p/{slug}/{year}", {}),
        "report": ("manager", f"/plans/{plan_id}/report", {}),
        "api_overdue": (None, "/api/v1/steps?overdue=true&limit=25", bearer),
        "api_steps": (None, "/api/v1/steps?status=open&limit=25", bearer),
    }


def _statements(app, summary) -> dict[str, list[tuple[str, object]]]:
    from tracker.db import db

    clients = {}
    out = {}
    for name, (who, path, headers) in _pages(app, summary).items():
        client = clients.get(who)
        if client is None:
            client = clients[who] = app.test_client()
            if who is not None:
                _login(client, summary["sample"][who])
        client.get(path, headers=headers)  # warm: first-request work (settings, caches) is not the page's
        with app.app_context():
            engine = db.engine
        with recording(engine) as seen:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, (name, path, response.get_data(as_text=True)[:500])
        out[name] = seen
    return out


@pytest.fixture(scope="module")
def statements(datasets):
    return {scale: _statements(app, summary) for scale, (app, summary) in datasets.items()}


def test_statement_counts_do_not_grow_with_the_data(statements):
    small = {name: len(s) for name, s in statements["tiny"].items()}
    larger = {name: len(s) for name, s in statements["0.004"].items()}
    assert small == larger
    for name, count in small.items():
        assert count <= OVER_BUDGET.get(name, BUDGET), (name, count)


def test_the_generated_counters_equal_a_recount(datasets):
    from tracker.db import db
    from tracker.plans import counters

    for app, _summary in datasets.values():
        with app.app_context():
            assert counters.mismatches(db.session.connection()) == []


# -- query plans ------------------------------------------------------------------------------

#: Tables a page may never read in full: the country's steps, their journal and evidence.
BIG = ("steps", "journal_entries", "evidence", "measures", "weaknesses")
PLANNED_PAGES = ("national", "national_overdue", "national_by_overdue", "national_by_activity", "province")
PLANNED_LISTS = ("api_overdue", "api_steps", "public", "report", "my_steps", "dashboard")


def _sqlite_problems(conn, statement: str, parameters) -> list[str]:
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    parents = {row[0]: (row[1], row[3]) for row in rows}

    def in_loop(node_id: int) -> bool:
        # Under a correlated subquery, or a join's inner side (any SCAN/SEARCH before it at the same level).
        parent, _ = parents[node_id]
        while parent:
            if "CORRELATED" in parents[parent][1]:
                return True
            parent = parents[parent][0]
        return False

    problems = []
    outer_scans = 0
    for node_id, _parent, _unused, detail in rows:
        match = re.match(r"SCAN (\w+)", detail)
        if not match:
            continue
        table = match.group(1)
        if table in BIG or table == "users":
            problems.append(detail)
        elif table == "organizations":
            outer_scans += 1
            if in_loop(node_id):
                problems.append(f"{detail} inside a correlated subquery")
    if outer_scans > 1:
        problems.append("organizations scanned more than once")
    return problems


def test_overview_and_list_statements_use_indexes_on_sqlite(datasets):
    from tracker.db import db

    app, summary = datasets["0.004"]
    recorded = _statements(app, summary)
    with app.app_context():
        conn = db.session.connection()
        checked = 0
        for name in PLANNED_PAGES + PLANNED_LISTS:
            for statement, parameters in recorded[name]:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                problems = _sqlite_problems(conn, statement, parameters)
                if name in PLANNED_LISTS:
                    # The lists read one organization's or one page's rows: only the big tables matter.
                    problems = [p for p in problems if not p.startswith("SCAN organizations")]
                assert problems == [], (name, statement[:400], problems)
                checked += 1
    assert checked > 20


@pytest.mark.skipif(
    not os.environ.get("TRACKER_TEST_DATABASE_URL"), reason="PostgreSQL plans: set TRACKER_TEST_DATABASE_URL"
)
def test_overview_and_list_statements_have_index_plans_on_postgresql(app, world, client, login):
    """On the test database's few rows PostgreSQL would rightly scan everything; with
    sequential scans disabled, a Seq Scan still planned on a big table means no index serves it."""
    from tests.conftest import make_user
    from tracker.auth.models import Role
    from tracker.db import db
    from tracker.orgs.models import Organization

    office = Organization(name="กรมส่งเสริมการปกครองท้องถิ่น", slug="dla", province="")
    db.session.add(office)
    national = make_user(office, "national@dla.go.th", Role.national)
    db.session.commit()
    login(national)
    with recording(db.engine) as seen:
        for path in ("/province", "/province?show=overdue", "/province?sort=-overdue", "/province?sort=-activity"):
            assert client.get(path).status_code == 200, path
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith("SELECT") or "organizations" not in statement:
                continue
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            for table in BIG:
                assert f"Seq Scan on {table}" not in plan, (statement[:300], plan)
            # The overview reads the counters, never the steps or their journal (not even by index).
            assert " on steps" not in plan and " on journal_entries" not in plan, (statement[:300], plan)


def test_api_pages_by_cursor_cost_what_the_first_page_costs(datasets):
    """Keyset paging (issue 14): the page after `next_after` sends the first page's statements,
    skips nothing (no OFFSET past 0), and its statements scan none of the big tables."""
    from tracker.db import db

    counts = {}
    for scale, (app, summary) in datasets.items():
        path, bearer = (_pages(app, summary)["api_overdue"][i] for i in (1, 2))
        client = app.test_client()
        first = client.get(path, headers=bearer).get_json()
        assert first["next_after"], first
        with app.app_context():
            engine = db.engine
        with recording(engine) as seen:
            response = client.get(f"{path}&after={first['next_after']}", headers=bearer)
        assert response.status_code == 200
        assert {s["id"] for s in response.get_json()["items"]}.isdisjoint({s["id"] for s in first["items"]})
        with recording(engine) as first_seen:
            client.get(path, headers=bearer)
        counts[scale] = (len(first_seen), len(seen))
        with app.app_context():
            conn = db.session.connection()
            for statement, parameters in seen:
                if statement.lstrip().upper().startswith("SELECT"):
                    problems = [p for p in _sqlite_problems(conn, statement, parameters) if "organizations" not in p]
                    assert problems == [], (statement[:300], problems)
                if "ORDER BY" in statement and "FROM steps" in statement:
                    assert list(parameters)[-1] == 0, "an OFFSET past 0"
    assert len(set(counts.values())) == 1 and all(a == b for a, b in counts.values()), counts
