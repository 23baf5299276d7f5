"""The report in the web interface (page, presets, downloads) and `tracker report`."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest

from tests.conftest import CHROMIUM, require_or_skip
from tests.report_factory import bangkok, finish, html_text, other_org_admin
from tracker.db import db

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "html": "text/html; charset=utf-8",
}


def filename_star(disposition: str) -> str:
    assert disposition.startswith("attachment;")
    star = disposition.split("filename*=", 1)[1]
    assert star.startswith("UTF-8''")
    return unquote(star[len("UTF-8''") :])


def test_every_user_of_the_organization_reads_the_report_page(world, login):
    for user in (world.viewer, world.owner_palad, world.manager, world.admin):
        page = login(user).get(f"/plans/{world.plan.id}/report?as_of=2023-08-01")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert "รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน" in body
        assert "ข้อมูล ณ วันที่ ๑ สิงหาคม ๒๕๖๖" in body  # Thai digits: the organization's default
        assert f"/plans/{world.plan.id}/report.pdf?as_of=2023-08-01&amp;thai_digits=1" in body
        assert "/static/fonts/LaksamanOfficial-Regular.ttf" in body  # the web page loads the bundled official font


def test_another_organization_gets_404_and_a_stranger_the_login_page(world, login, client):
    client.post("/logout")
    response = client.get(f"/plans/{world.plan.id}/report")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    outsider = login(other_org_admin())
    assert outsider.get(f"/plans/{world.plan.id}/report").status_code == 404
    assert outsider.get(f"/plans/{world.plan.id}/report.xlsx").status_code == 404


def test_round_presets_and_thai_digits(world, login):
    client = login(world.viewer)
    body = client.get(f"/plans/{world.plan.id}/report?round=6&thai_digits=0").get_data(as_text=True)
    assert "รอบ 6 เดือน ข้อมูล ณ วันที่ 31 มีนาคม 2566" in body
    presets = [line for line in body.splitlines() if 'class="button"' in line and "round=" in line]
    assert any("round=6" in line for line in presets) and any("round=12" in line for line in presets)
    body = client.get(f"/plans/{world.plan.id}/report?round=12&thai_digits=0&thai_digits=1").get_data(as_text=True)
    assert "รอบ ๑๒ เดือน ข้อมูล ณ วันที่ ๓๐ กันยายน ๒๕๖๖" in body


def test_a_bad_date_is_a_400_with_the_message(world, login):
    client = login(world.viewer)
    response = client.get(f"/plans/{world.plan.id}/report?as_of=31/02/2566")
    assert response.status_code == 400
    assert "ไม่มีวันที่ 31" in response.get_data(as_text=True)
    response = client.get(f"/plans/{world.plan.id}/report.docx?as_of=31/02/2566")
    assert response.status_code == 400
    assert "ไม่มีวันที่ 31" in response.get_data(as_text=True)
    assert client.get(f"/plans/{world.plan.id}/report.rtf").status_code == 404


@pytest.mark.parametrize("fmt", ["docx", "odt", "xlsx", "html"])
def test_downloads_have_the_right_type_and_a_thai_file_name(world, login, fmt):
    finish(world.step(world.m1, 1), world.owner_palad, bangkok(date(2023, 7, 20)))
    db.session.commit()
    response = login(world.viewer).get(f"/plans/{world.plan.id}/report.{fmt}?as_of=2023-08-01&thai_digits=0")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPES[fmt]
    disposition = response.headers["Content-Disposition"]
    assert f'filename="O43-followup-testorg-2566-2023-08-01.{fmt}"' in disposition
    assert filename_star(disposition) == f"รายงานผลการดำเนินการตามมาตรการ-testorg-2566-ณ-2023-08-01.{fmt}"
    data = response.get_data()
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(data))
        total = next(r for r in wb["สรุป"].iter_rows(values_only=True) if r[0] == "รวม")
        assert (total[4], total[5]) == ("=SUM(E7:E8)", "=SUM(F7:F8)")  # totals are formulas (5 and 1)
    elif fmt == "docx":
        assert zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    elif fmt == "odt":  # laid out by LibreOffice in tests/test_official_odt.py
        assert zipfile.ZipFile(io.BytesIO(data)).read("mimetype") == CONTENT_TYPES[fmt].encode()
    else:
        assert "data:font/ttf;base64," in data.decode()  # a self-contained page


def test_the_pdf_download(world, login, app):
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api")
    app.config["TRACKER_CHROMIUM"] = CHROMIUM
    response = login(world.viewer).get(f"/plans/{world.plan.id}/report.pdf?round=12")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.get_data().startswith(b"%PDF-")
    assert filename_star(response.headers["Content-Disposition"]).endswith("-ณ-2023-09-30.pdf")


def test_no_pdf_renderer_is_a_clear_400(world, login, app):
    from tracker.reports.pdf import _weasyprint_installed

    if _weasyprint_installed():
        pytest.skip("WeasyPrint is installed here: it would be the fallback")
    app.config["TRACKER_CHROMIUM"] = "/nonexistent/chromium"
    try:
        response = login(world.viewer).get(f"/plans/{world.plan.id}/report.pdf")
    finally:
        app.config["TRACKER_CHROMIUM"] = CHROMIUM
    assert response.status_code == 400
    assert "ไม่พบโปรแกรม Chromium" in response.get_data(as_text=True)


# -- the command line ----------------------------------------------------------------


def test_tracker_report_writes_the_file(world, runner, tmp_path):
    out = tmp_path / "o43.xlsx"
    result = runner.invoke(
        args=[
            "report",
            "--org",
            "testorg",
            "--year",
            "๒๕๖๖",
            "--round",
            "6",
            "--format",
            "xlsx",
            "-o",
            str(out),
            "--reviewer-name",
            "นายตรวจ ดีมาก",
            "--arabic-digits",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "31 มี.ค. 2566" in result.output
    wb = openpyxl.load_workbook(out)
    texts = [v for r in wb["สรุป"].iter_rows(values_only=True) for v in r if isinstance(v, str)]
    assert any("รอบ 6 เดือน" in t for t in texts) and any("นายตรวจ ดีมาก" in t for t in texts)

    html = tmp_path / "o43.html"
    result = runner.invoke(
        args=[
            "report",
            "--org",
            "testorg",
            "--year",
            "2566",
            "--as-of",
            "15/08/2566",
            "--format",
            "html",
            "-o",
            str(html),
            "--thai-digits",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "ข้อมูล ณ วันที่ ๑๕ สิงหาคม ๒๕๖๖" in html_text(html.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nowhere", "--year", "2566"], "ไม่พบองค์กร"),
        (["--org", "testorg", "--year", "2567"], "ไม่มีแผนปีงบประมาณ 2567"),
        (["--org", "testorg", "--year", "2566", "--as-of", "32/13/2566"], "วันที่รายงาน"),
        (["--org", "testorg", "--year", "2566", "--round", "3"], "6 หรือ 12"),
        (["--org", "testorg", "--year", "twenty"], "ปีงบประมาณต้องเป็นตัวเลข"),
    ],
)
def test_tracker_report_refuses_bad_input_with_exit_1(world, runner, tmp_path, args, message):
    out = tmp_path / "o43.docx"
    result = runner.invoke(args=["report", *args, "--format", "docx", "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_tracker_report_into_a_missing_folder_is_refused(world, runner, tmp_path):
    result = runner.invoke(
        args=[
            "report",
            "--org",
            "testorg",
            "--year",
            "2566",
            "--format",
            "docx",
            "-o",
            str(tmp_path / "no" / "such" / "o43.docx"),
        ]
    )
    assert result.exit_code == 1 and "ไม่พบโฟลเดอร์" in result.output
