"""Playwright (PDF printing) and psycopg (PostgreSQL) are pip extras: without
one, the product says in Thai and English which extra to install — no
traceback. A missing module is simulated with `sys.modules[name] = None`,
which makes its import raise ImportError as if it were not installed."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from flask.cli import NoAppException

from tracker import create_app, extras
from tracker.cli import _create_app
from tracker.errors import ServiceError
from tracker.reports import pdf as pdf_module

ROOT = Path(__file__).resolve().parent.parent


def _hide(monkeypatch, *modules: str) -> None:
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


def test_the_heavy_parts_are_extras_and_the_test_extra_has_both():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    plain = " ".join(project["dependencies"])
    assert "playwright" not in plain and "psycopg" not in plain
    optional = project["optional-dependencies"]
    assert "playwright>=1.45" in optional["pdf"]  # with pikepdf and pyHanko: PDF/A and signatures
    assert optional["postgres"] == ["psycopg[binary]>=3.1"]
    assert "ita-tracker[pdf,postgres]" in optional["test"]


def test_the_readme_run_command_installs_the_pdf_extra():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count("pip install -q -e '.[pdf]' && .venv/bin/tracker demo && .venv/bin/tracker run") == 2


def test_a_missing_extra_is_named_in_thai_and_english(monkeypatch):
    _hide(monkeypatch, "psycopg")
    assert not extras.installed("postgres")
    with pytest.raises(extras.MissingExtra) as caught:
        extras.load("postgres")
    message = str(caught.value)
    assert message.startswith("ฐานข้อมูล PostgreSQL ต้องติดตั้งส่วนเสริม [postgres] ก่อน: pip install 'ita-tracker[postgres]'")
    assert "ฐานข้อมูล PostgreSQL ต้องติดตั้งส่วนเสริม [postgres] ก่อน: pip install 'ita-tracker[postgres]'" in message
    assert "pip install -e '.[postgres]'" in message


def test_a_postgresql_url_without_psycopg_stops_the_app_with_the_extra_to_install(monkeypatch, tmp_path):
    _hide(monkeypatch, "psycopg")
    with pytest.raises(extras.MissingExtra, match=r"\[postgres\]"):
        create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "x"})
    # The `tracker` command turns it into Flask's "Error: …" line, exit code 2, no traceback.
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(NoAppException, match=r"ต้องติดตั้งส่วนเสริม \[postgres\]"):
        _create_app()


def test_sqlite_needs_no_extra(monkeypatch, tmp_path):
    _hide(monkeypatch, "psycopg", "playwright", "playwright.sync_api")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "x"})
    assert app.name == "tracker"


def test_chromium_without_playwright_says_to_install_the_pdf_extra(monkeypatch, app, ctx):
    _hide(monkeypatch, "playwright", "playwright.sync_api")
    monkeypatch.setattr(pdf_module, "_weasyprint_installed", lambda: False)
    present = sys.executable  # any existing file stands in for the browser
    assert pdf_module.renderer_available(present) is None
    with pytest.raises(ServiceError) as caught:
        pdf_module.html_to_pdf("<p>ทดสอบ</p>", chromium=present)
    assert "การสร้างไฟล์ PDF ต้องติดตั้งส่วนเสริม [pdf] ก่อน: pip install 'ita-tracker[pdf]'" in str(caught.value)
    assert "การสร้างไฟล์ PDF ต้องติดตั้งส่วนเสริม [pdf]" in str(caught.value)
