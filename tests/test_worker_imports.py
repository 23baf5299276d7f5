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


def test_a_pdf_is_made_archivable_in_the_printer_not_in_the_web_process(tmp_path):
    """Chromium's print and the PDF/A step (pikepdf, 12 MB) both happen in the printer's process."""
    from conftest import require_or_skip

    from tracker.reports.pdf import chromium_path, renderer_available

    require_or_skip(renderer_available(chromium_path()) == "chromium", "Chromium and Playwright are needed to print")
    script = (
        "import io, json, sys\n"
        "from tracker import create_app\n"
        "from tracker.reports.pdf import html_to_pdf\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/w.sqlite3'}})\n"
        "with app.app_context():\n"
        "    pdf = html_to_pdf('<html><head><title>t</title></head><body><p>บันทึกข้อความ</p></body></html>')\n"
        "in_web = 'pikepdf' in sys.modules\n"
        "import pikepdf\n"
        "with pikepdf.open(io.BytesIO(pdf)) as doc, doc.open_metadata() as meta:\n"
        "    part = meta.get('pdfaid:part')\n"
        "print(json.dumps({'pikepdf_in_web_process': in_web, 'pdfa_part': part}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"pikepdf_in_web_process": False, "pdfa_part": "2"}


def test_a_pdf_that_cannot_be_pdfa_is_refused_with_the_reason_across_the_printers_pipe(app):
    """An encrypted PDF: the printer's process says why, and the web process says it in Thai."""
    import io

    import pytest

    pikepdf = pytest.importorskip("pikepdf")
    from tracker.errors import ServiceError
    from tracker.reports.pdf import to_pdfa

    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner-secret", user=""))
    with app.test_request_context(), pytest.raises(ServiceError) as refused:
        to_pdfa(out.getvalue())
    assert str(refused.value) == "ไฟล์ PDF ถูกเข้ารหัส จึงทำเป็น PDF/A ไม่ได้"
