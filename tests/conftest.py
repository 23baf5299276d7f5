"""Shared fixtures: a real database (SQLite file, or PostgreSQL from
TRACKER_TEST_DATABASE_URL), the app, clients logged in per role, and a small
plan built directly from the models.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.ctx import RequestContext
from flask.testing import EnvironBuilder, FlaskClient
from flask_wtf.csrf import generate_csrf
from xdist_group_shim import pytest_collection_modifyitems  # noqa: F401  # a hook: xdist groups under pytest 9

from tracker import create_app
from tracker.auth.models import Role, User
from tracker.config import normalize_url
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans.models import Measure, Plan, Step, Weakness

PASSWORD = "demo-pass-2566"
#: A fixed "now" inside the demo plan's fiscal year (Bangkok 10:00).
NOW = datetime(2023, 8, 1, 3, 0, tzinfo=UTC)


def _cache_compiled_modules() -> None:
    """Keep compiled modules between processes even where PYTHONDONTWRITEBYTECODE is set (as
    on our CI machines). Each xdist worker rewrites every test module's asserts and the suite
    starts the app in dozens of processes of its own; without a cache each compiled it all from
    source again (collecting took 10.6 s of CPU a worker, 3.6 s with the cache). The cache is a
    private folder in the system's temporary directory, not beside the sources, which the
    setting keeps clean. Set here, it reaches the workers and the tests' processes."""
    if not sys.dont_write_bytecode:
        return
    prefix = Path(tempfile.gettempdir()) / f"ita-tracker-pycache-{os.getuid()}"
    prefix.mkdir(mode=0o700, exist_ok=True)
    if prefix.stat().st_uid != os.getuid():  # someone else's folder: compile as before
        return
    sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


_cache_compiled_modules()

#: Cheap for tests (one round); production keeps werkzeug's scrypt.
TEST_HASH_METHOD = "pbkdf2:sha256:1"


class CSRFClient(FlaskClient):
    """A test client whose requests each run in their own app context, as a
    browser's would, and that fills in the CSRF token the way a browser form would.

    A test that holds an app context (the `ctx` fixture) keeps its own session:
    before each request its transaction ends (its objects expire and reload
    afterwards), so it sees only what the request committed.

    CSRF protection stays on in tests; pass `csrf_token` yourself (or
    `csrf=False`) to send a forged or tokenless form.
    """

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        data = kwargs.get("data")
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE") and (data is None or isinstance(data, dict)):
            data = dict(data or {})
            if "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
            kwargs["data"] = data
        if not has_app_context():
            return super().open(*args, **kwargs)
        _end_test_transaction()
        # An empty contextvars context: Flask finds no app context and pushes a fresh one
        # (own session and g) for the request, popped (session removed) when it ends.
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        """The token a page would carry for this client's session, made by Flask-WTF
        itself with no request (it stores a new CSRF secret in the session cookie if
        there is none yet)."""
        return contextvars.Context().run(self._csrf_token)

    def _csrf_token(self) -> str:
        with self.session_transaction() as session:
            environ = EnvironBuilder(self.application).get_environ()
            with RequestContext(self.application, environ, session=session):
                return generate_csrf()


def _end_test_transaction() -> None:
    """End the test's own transaction so a request never waits on it, refusing to
    drop changes the test has not committed (the request could not see them)."""
    session = db.session
    pending = list(session.new) + list(session.deleted) + [o for o in session.dirty if session.is_modified(o)]
    assert not pending, f"commit the test's changes before a request: {pending!r}"
    session.rollback()


# -- parallel runs (pytest-xdist) ------------------------------------------------
# Each xdist worker is a process of its own with its own tmp_path_factory root, so
# SQLite files, instance folders and LibreOffice/Chromium profiles under tmp_path are
# already its own. What lives outside tmp (PostgreSQL databases) is named per worker.


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` (pyproject's addopts): two workers per CPU, TRACKER_TEST_WORKERS to choose.
    Many tests wait more than they compute (real servers, senders, Chromium, LibreOffice),
    so more workers than CPUs keep the CPUs busy."""
    chosen = os.environ.get("TRACKER_TEST_WORKERS")
    if chosen:
        return int(chosen)
    return 2 * len(os.sched_getaffinity(0))


def xdist_worker() -> str:
    """'gw0', 'gw1', … in an xdist worker; '' when the suite runs in one process (-n 0)."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def per_worker(name: str) -> str:
    """`name`, suffixed with the xdist worker's id when there is one (tracker_x → tracker_x_gw1)."""
    worker = xdist_worker()
    return f"{name}_{worker}" if worker else name


def create_postgres_database(server_url: str, name: str) -> str:
    """Drop and create the PostgreSQL database `name` on the server of `server_url`
    (connecting to that URL's own database); return the new database's URL."""
    admin = sa.make_url(normalize_url(server_url))
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, name: str) -> None:
    admin = sa.make_url(normalize_url(server_url))
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def scratch_postgres_url(topic: str) -> str:
    """A new, empty PostgreSQL database for one test's own processes, next to the test
    database: named after it, the topic and the xdist worker (test_x → test_x_throttle_gw1),
    so parallel workers and runs on one server do not collide.

    Skips on the SQLite pass (TRACKER_TEST_DATABASE_URL unset); an unreachable server
    skips, except when CI=true, where it fails."""
    given = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if not given:
        # The SQLite pass (CI included) leaves it unset; the PostgreSQL pass sets it, and
        # there an unreachable server fails below instead of skipping.
        pytest.skip("TRACKER_TEST_DATABASE_URL is not set: no PostgreSQL run")
    admin = sa.make_url(normalize_url(given))
    name = per_worker(f"{admin.database or 'tracker'}_{topic}")
    try:
        url = create_postgres_database(given, name)
    except sa.exc.OperationalError as exc:
        require_or_skip(False, f"PostgreSQL at {admin.render_as_string()} is not reachable: {exc.orig}")
        raise
    _scratch_databases.add(name)
    return url


#: The scratch databases this process made, dropped when its session ends.
_scratch_databases: set[str] = set()


@pytest.fixture(scope="session", autouse=True)
def _drop_scratch_databases():
    yield
    given = os.environ.get("TRACKER_TEST_DATABASE_URL")
    for name in sorted(_scratch_databases):
        drop_postgres_database(given, name)
    _scratch_databases.clear()


def database_url(tmp_path_factory) -> str:
    """The test database: TRACKER_TEST_DATABASE_URL itself when the suite runs in one
    process, a database of the worker's own next to it under xdist (test → test_gw0),
    else a SQLite file in the worker's tmp folder."""
    url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if url and xdist_worker():
        base = sa.make_url(normalize_url(url)).database or "tracker"
        return create_postgres_database(url, per_worker(base))
    if url:
        return normalize_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ["TRACKER_INSTANCE_PATH"] = str(instance)
    url = database_url(tmp_path_factory)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "TRACKER_UPLOAD_DIR": str(instance / "evidence"),
            "TRACKER_AUTO_MIGRATE": True,
            "TRACKER_PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        }
    )
    app.test_client_class = CSRFClient
    with app.app_context():
        _reset_schema()
        from tracker.db import upgrade

        upgrade()
        _WORLD.update(_world_snapshot(app))
    yield app
    given = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if given and xdist_worker():
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_postgres_database(given, sa.make_url(url).database)


def _reset_schema() -> None:
    """Start from an empty database even when a PostgreSQL one was used before."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Each test starts with empty tables (the schema is built once)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        _delete_all_rows()


def _delete_all_rows() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def ctx(app):
    """The test's own app context and session (for setup, services and checks);
    the client's requests run in contexts of their own."""
    with app.test_request_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class World:
    """A small organization with one plan, as the tests see it."""

    org: Organization
    palad: Department  # สำนักปลัดเทศบาล
    strategy: Department  # กองยุทธศาสตร์และงบประมาณ
    plan: Plan
    m1: Measure  # owned by palad, 3 steps
    m2: Measure  # owned by strategy, 2 steps
    admin: User
    manager: User
    owner_palad: User
    owner_strategy: User
    viewer: User

    def step(self, measure: Measure, order: int) -> Step:
        return next(s for s in measure.steps if s.order == order)


@functools.lru_cache(maxsize=1)
def password_hash() -> str:
    # One hash serves every test user.
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method=TEST_HASH_METHOD)


def make_user(org, email, role, department=None, name=None) -> User:
    user = User(
        organization=org,
        email=email,
        display_name=name or email.split("@")[0],
        role=role,
        department=department,
        position="",
        password_hash=password_hash(),
    )
    db.session.add(user)
    return user


def one_step_plan(org, department, year: int, title: str, *, due: date, status=None) -> Step:
    """A plan of `org` for fiscal year `year` with one weakness, one measure and one step
    (`title`, due `due`, owned by `department`), flushed; returns the step."""
    plan = Plan(organization=org, fiscal_year=year, title=f"แผน {year}", **({"status": status} if status else {}))
    weakness = Weakness(plan=plan, order=1, title="ประเด็น")
    measure = Measure(
        weakness=weakness,
        order=1,
        title="มาตรการ",
        owner_department=department,
        period_start=date(due.year, 1, 1),
        period_end=date(due.year, 9, 30),
    )
    step = Step(
        measure=measure,
        order=1,
        title=title,
        owner_department=department,
        start_date=date(due.year, 1, 1),
        due_date=due,
    )
    db.session.add_all([plan, weakness, measure, step])
    db.session.flush()
    return step


def one_measure(org: Organization, dept: Department, title: str = "แผนอื่น", **plan_fields) -> Measure:
    """`org`'s fiscal-2566 plan `title` with one weakness and one measure of `dept` (Jan–Sep 2566)."""
    plan = Plan(organization=org, fiscal_year=2566, title=title, **plan_fields)
    return Measure(
        weakness=Weakness(plan=plan, order=1, title="ประเด็น"),
        order=1,
        title="มาตรการ",
        owner_department=dept,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
    )


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block, as the driver got them."""
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)


def statements_for(client, url: str) -> int:
    """How many SQL statements the page at `url` runs (it must answer 200)."""
    db.session.rollback()
    with recorded_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


#: The `world` fixture's rows, built once per worker (the "snapshot") and its records' ids.
_WORLD: dict = {}


def _world_snapshot(app) -> dict:
    world = build_world()
    ids = {f.name: (type(value), value.id) for f in fields(World) for value in [getattr(world, f.name)]}
    snapshot = Snapshot.take(app)
    _delete_all_rows()
    return {"snapshot": snapshot, "ids": ids}


@pytest.fixture
def world(app, ctx) -> World:
    """A small organization with one plan (`build_world`), put back from the worker's snapshot:
    the same rows and ids as building it, for a tenth of the cost."""
    snapshot = _WORLD["snapshot"]
    if not snapshot.fits():  # a fixture before this one wrote rows of its own: build around them
        return build_world()
    snapshot.restore(clean=False)
    world = World(**{name: db.session.get(model, id_) for name, (model, id_) in _WORLD["ids"].items()})
    db.session.expire_all()  # as after build_world's commit: the first use of each record reads it
    return world


def build_world() -> World:
    """The `world` fixture's organization and plan, committed (inside an app context)."""
    org = Organization(name="เทศบาลตำบลทดสอบ", slug="testorg", province="ขอนแก่น")
    palad = Department(organization=org, name="สำนักปลัดเทศบาล", email="palad@example.go.th")
    strategy = Department(organization=org, name="กองยุทธศาสตร์และงบประมาณ", email="strategy@example.go.th")
    plan = Plan(organization=org, fiscal_year=2566, title="มาตรการส่งเสริมคุณธรรมและความโปร่งใส ๒๕๖๖")
    w1 = Weakness(plan=plan, order=1, title="การใช้ทรัพย์สินของราชการ")
    w2 = Weakness(plan=plan, order=2, title="การปรับปรุงการทำงาน")
    m1 = Measure(
        weakness=w1,
        order=1,
        title="โครงการใช้ทรัพย์สินอย่างโปร่งใส",
        owner_department=palad,
        period_start=date(2023, 7, 1),
        period_end=date(2023, 9, 30),
        follow_up="ประกาศแนวทางปฏิบัติ",
    )
    m2 = Measure(
        weakness=w2,
        order=1,
        title="โครงการ E-Service",
        owner_department=strategy,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
        follow_up="สถิติการให้บริการ",
    )
    for i, (title, due) in enumerate(
        [
            ("จัดทำประกาศแนวทางปฏิบัติ", date(2023, 7, 31)),
            ("จัดทำคู่มือ", date(2023, 8, 31)),
            ("รายงานผลการดำเนินงาน", date(2023, 9, 29)),
        ],
        start=1,
    ):
        Step(measure=m1, order=i, title=title, owner_department=palad, start_date=date(2023, 7, 1), due_date=due)
    for i, (title, due) in enumerate(
        [("กำหนดระบบที่ต้องการพัฒนา", date(2023, 3, 31)), ("ทดสอบการใช้งานระบบ", date(2023, 8, 15))], start=1
    ):
        Step(measure=m2, order=i, title=title, owner_department=strategy, start_date=date(2023, 1, 1), due_date=due)
    db.session.add(org)
    admin = make_user(org, "admin@test.go.th", Role.admin, name="ผู้ดูแล")
    manager = make_user(org, "manager@test.go.th", Role.manager, name="ปลัด")
    owner_palad = make_user(org, "palad.owner@test.go.th", Role.owner, palad, name="เจ้าหน้าที่สำนักปลัด")
    owner_strategy = make_user(org, "strategy.owner@test.go.th", Role.owner, strategy, name="เจ้าหน้าที่กองยุทธ")
    viewer = make_user(org, "viewer@test.go.th", Role.viewer, name="ผู้ดู")
    db.session.commit()
    return World(org, palad, strategy, plan, m1, m2, admin, manager, owner_palad, owner_strategy, viewer)


def any_rows(tables: list[sa.Table]) -> bool:
    """Whether any of `tables` holds a row (one statement)."""
    if not tables:
        return False
    with db.engine.connect() as conn:
        return any(conn.execute(sa.select(*(sa.exists().select_from(t) for t in tables))).one())


def no_rows() -> bool:
    """Whether every table is empty: a snapshot taken after building holds only what was built."""
    return not any_rows(db.metadata.sorted_tables)


def _forward_references() -> dict[sa.Table, list[str]]:
    """The columns of each table that point at a table inserted after it in dependency order
    (a cycle: departments.head_id -> users, users.department_id -> departments)."""
    position = {table: i for i, table in enumerate(db.metadata.sorted_tables)}
    found: dict[sa.Table, list[str]] = {}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if position[fk.column.table] > position[table]:
                found.setdefault(table, []).append(fk.parent.name)
    return found


@dataclass
class Snapshot:
    """Every table's rows and the upload folder's files at one moment: a setup built once per
    worker and put back before each test that shares it (`world`, tests/test_access_matrix.py)."""

    rows: dict[sa.Table, list[dict]]
    files: dict[Path, bytes]

    @classmethod
    def take(cls, app, files_before: set[Path] | None = None) -> Snapshot:
        """The rows, and the uploaded files not in `files_before` (earlier tests' files stay out)."""
        with db.engine.connect() as conn:
            rows = {t: [dict(r._mapping) for r in conn.execute(t.select())] for t in db.metadata.sorted_tables}
        return cls(rows, {p: p.read_bytes() for p in upload_files(app) - (files_before or set())})

    def fits(self) -> bool:
        """Whether the snapshot's rows can go in beside what the tables hold: none of its
        tables has a row yet (their ids would collide)."""
        return not any_rows([t for t, rows in self.rows.items() if rows])

    def restore(self, clean: bool = True) -> None:
        """Tables hold exactly the snapshot's rows again (with `clean`; else beside others,
        see `fits`), and its files are back on disk (ids as they were; PostgreSQL's sequences
        never go back, so later rows never collide with them)."""
        if clean:
            _delete_all_rows()
        later = _forward_references()
        with db.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                rows = self.rows[table]
                if rows and table in later:  # a column pointing at rows not in yet: filled in after
                    rows = [{**row, **dict.fromkeys(later[table])} for row in rows]
                if rows:
                    conn.execute(table.insert(), rows)
            for table, columns in later.items():
                for row in self.rows[table]:
                    values = {column: row[column] for column in columns if row[column] is not None}
                    if values:
                        conn.execute(table.update().where(table.c.id == row["id"]).values(values))
        for path, data in self.files.items():
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)


class Prebuilt:
    """A fixture's setup built the first time in a worker and put back from a `Snapshot` for
    each later test (same rows, ids and files). `keep` turns what `build` returned into ids
    and plain values; `reload` turns those into records of the test's own session. Where an
    earlier fixture has written rows, the setup is built afresh beside them."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.kept = None

    def get(self, app, build, keep, reload):
        if self.snapshot is not None and self.snapshot.fits():
            self.snapshot.restore(clean=False)
            db.session.expire_all()  # as after the build's commit: the first use of each record reads it
            return reload(self.kept)
        alone, files = self.snapshot is None and no_rows(), upload_files(app)
        built = build()
        if alone:
            self.snapshot, self.kept = Snapshot.take(app, files), keep(built)
        return built


@pytest.fixture
def login(client):
    """login(user) logs the test client in as that user, through the login form the first
    time in a worker; after that, for the very same user row (a snapshot's, put back for each
    test), with the session cookie that login gave (two requests fewer, 15-20 ms a test)."""

    def _login(user: User, password: str = PASSWORD):
        # The password hash is salted: a row made anew by another test never matches.
        who = (user.id, user.email, user.password_hash, user.active, password)
        name = client.application.config["SESSION_COOKIE_NAME"]
        if who in _SESSION_COOKIES:
            client.set_cookie(name, _SESSION_COOKIES[who])
            return client
        client.post("/logout")
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        cookie = client.get_cookie(name)
        if cookie is not None:
            _SESSION_COOKIES[who] = cookie.value
        return client

    return _login


#: The session cookie of each login the `login` fixture made in this worker, by who logged in
_SESSION_COOKIES: dict[tuple, str] = {}


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(os.environ.get("TRACKER_TEST_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


#: Screenshots of the pages the browser tests check, for a person to look at (desktop and 360 px):
#: TRACKER_TEST_SCREENSHOTS=1 writes them into the artifacts folder. Off by default, because a
#: full-page PNG cost Chromium 0.4-0.9 s of CPU, more than loading the page or running axe on it,
#: and nothing in the suite reads the pictures.
SCREENSHOTS = os.environ.get("TRACKER_TEST_SCREENSHOTS", "") not in ("", "0")


def photograph(page, path: Path | str, *, full_page: bool = False) -> None:
    """page.screenshot(path=...) when TRACKER_TEST_SCREENSHOTS is set; nothing otherwise."""
    if SCREENSHOTS:
        page.screenshot(path=path, full_page=full_page)


# -- a live server and a real browser ---------------------------------------

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
#: Impacts the accessibility checks refuse; "moderate" and "minor" findings are printed, not failed.
REFUSED_IMPACTS = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is (the page's context must bypass the CSP)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
      const r = await axe.run(document, {resultTypes: ["violations"]});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + n.failureSummary)}));
    }""")


CHROMIUM = os.environ.get("TRACKER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_or_skip(available: bool, why: str) -> None:
    """Skip where a real part is absent, except in CI, where it must be there."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (required when CI=true)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over HTTP on 127.0.0.1 by a real WSGI server in a thread."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def browser():
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def upload_files(app) -> set[Path]:
    return {p for p in Path(app.config["TRACKER_UPLOAD_DIR"]).rglob("*") if p.is_file()}


_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def sign_in(page, email: str, password: str, *, landing: bool = True) -> None:
    """Log `page`'s browser context in through the login form's own POST (CSRF token and
    all), sent by the context's request API: same cookies and user agent as the page, but
    no login page to render (a second of Chromium's CPU each time). With `landing`, the
    page then opens where the login sends the user. The form itself is driven by hand in
    test_browser_core.py, test_browser_ui.py's keyboard-only test and test_browser_line.py."""
    request = page.context.request
    match = _CSRF_INPUT.search(request.get("/login").text())
    assert match, "no CSRF token on the login page"
    response = request.post(
        "/login", form={"email": email, "password": password, "csrf_token": match.group(1)}, max_redirects=0
    )
    assert response.status == 302 and "/login" not in response.headers["location"], (response.status, email)
    if landing:
        page.goto(response.headers["location"])


PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def new_browser_page(browser, base_url: str, phone: bool = False, *, enforce_csp: bool = False):
    """A page in a browser context of its own (own cookies and storage) on `base_url`, desktop
    (1280 px) or phone (360 px) size. The app's Content-Security-Policy is bypassed so that a
    test can inject axe-core, unless `enforce_csp=True`. Close it with page.context.close()."""
    context = browser.new_context(
        base_url=base_url, locale="th-TH", bypass_csp=not enforce_csp, **(PHONE if phone else DESKTOP)
    )
    context.set_default_timeout(20_000)
    return context.new_page()


@pytest.fixture
def browser_page(browser, live_server):
    """browser_page(phone=False, enforce_csp=False) → a page on the live server as if in a new
    browser (see new_browser_page); two calls are two people. Closed after the test."""
    pages = []

    def _page(phone: bool = False, *, enforce_csp: bool = False):
        pages.append(new_browser_page(browser, live_server, phone, enforce_csp=enforce_csp))
        return pages[-1]

    yield _page
    for page in pages:
        page.context.close()


# -- a real SMTP server ---------------------------------------------------------


@pytest.fixture(scope="session")
def _smtp_sink_server():
    from smtp_sink import SmtpSink

    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(_smtp_sink_server):
    """A real SMTP server on 127.0.0.1 (see tests/smtp_sink.py), empty and accepting."""
    _smtp_sink_server.clear()
    _smtp_sink_server.accept()
    yield _smtp_sink_server
    _smtp_sink_server.accept()
    _smtp_sink_server.clear()


@pytest.fixture
def mail_config(app, smtp_sink):
    """Point the app's mail settings at the sink for one test (2 s timeout)."""
    values = {
        "MAIL_SERVER": smtp_sink.host,
        "MAIL_PORT": smtp_sink.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_TIMEOUT": 2,
    }
    saved = {key: app.config.get(key) for key in values}
    app.config.update(values)
    yield app.config
    app.config.update(saved)


# -- a LINE Messaging API emulator ------------------------------------------------


@pytest.fixture(scope="session")
def _line_emulator_server():
    from line_emulator import LineEmulator

    emulator = LineEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def line_emulator(app, _line_emulator_server):
    """The LINE API emulator (tests/line_emulator.py), empty, with the app pointed at it
    (1 s timeout) for one test."""
    emulator = _line_emulator_server
    emulator.reset()
    values = {"TRACKER_LINE_API_URL": emulator.url, "TRACKER_LINE_ACCESS_URL": emulator.url, "TRACKER_LINE_TIMEOUT": 1}
    saved = {key: app.config.get(key) for key in values}
    app.config.update(values)
    yield emulator
    app.config.update(saved)
    emulator.reset()


def connect_line(org, admin, emulator, now=NOW, **choices):
    """Connect the organization's LINE account through the service, as the settings page does."""
    from tracker.line.services import save_channel

    channel = save_channel(
        org.id,
        admin,
        now,
        channel_id="1657000000",
        channel_secret=emulator.secret,
        access_token=emulator.token,
        monthly_cap=str(choices.pop("cap", 300)),
        defaults={"reminder": "email", "overdue": "email", "digest": "email", **choices},
    )
    db.session.commit()
    return channel


def link_line(user, emulator, now=NOW) -> str:
    """Bind a new LINE user (a friend of the account) to `user` directly, as the accountLink event would."""
    from tracker.line.models import LineLink

    line_user_id = emulator.new_user_id()
    emulator.friends.add(line_user_id)
    db.session.add(
        LineLink(user_id=user.id, organization_id=user.organization_id, line_user_id=line_user_id, linked_at=now)
    )
    db.session.commit()
    return line_user_id
