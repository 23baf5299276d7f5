"""A web worker's memory: what the app does not import until it is used (benchmarks/README.md,
issue 14: the LINE SDK alone was ≈ 43 MB per worker), and a download gives its memory back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flask import Flask

from tracker import memory

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("linebot", "openpyxl", "docx", "playwright", "pikepdf", "weasyprint")


def test_the_app_imports_no_heavy_library_before_it_is_used(tmp_path):
    script = (
        "import json, sys\n"
        "from tracker import create_app\n"
        f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/w.sqlite3'}})\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_a_download_gives_its_memory_back_after_it_is_sent(monkeypatch):
    released = []
    monkeypatch.setattr(memory, "release_memory", lambda: released.append(True))
    # The hook on an app of its own: the suite's shared app has served requests, so it
    # takes no new routes (and the test must not depend on which tests ran first).
    app = Flask(__name__)
    memory.init_app(app)

    @app.get("/__test_download.xlsx")
    def _download():
        return app.response_class(b"x", mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @app.get("/__test_page")
    def _page():
        return "<p>page</p>"

    client = app.test_client()
    client.get("/__test_page").close()
    assert released == []
    client.get("/__test_download.xlsx").close()
    assert released == [True]
