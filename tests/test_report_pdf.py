"""The follow-up report as PDF, read back with the real tools: pdftotext must
give every step title of the demo exactly (SARA AM included), the first page
must show something, the page count must be what the demo makes."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, require_or_skip
from tests.report_factory import (
    have_poppler,
    load_demo_plan,
    non_white_share,
    pdf_pages,
    pdf_text,
    squeeze,
    zero_width_words,
)
from tracker.errors import ServiceError
from tracker.reports import pdf as pdf_module
from tracker.reports.followup import build_report, render_html
from tracker.reports.pdf import html_to_pdf, renderer_available
from tracker.thaidate import to_arabic_digits

#: A4 in points, and where the step tables' title column lies: the content box
#: starts 3 cm from the left and is 16 cm wide; the column spans 8 % – 39 % of it.
CM = 72 / 2.54
TITLE_COLUMN = (3 * CM + 0.08 * 16 * CM - 2, 0.31 * 16 * CM + 4)
#: The demo (26 steps, mid-year progress) prints on six A4 pages at 16 pt.
DEMO_PAGES = 6


@pytest.fixture
def tools():
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    require_or_skip(have_poppler(), "pdftotext/pdftoppm not found: apt-get install poppler-utils")
    pytest.importorskip("playwright.sync_api")


@pytest.fixture
def demo_pdf(app, ctx, tools, tmp_path, artifacts_dir) -> tuple[object, Path]:
    app.config["TRACKER_CHROMIUM"] = CHROMIUM
    plan = load_demo_plan()
    report = build_report(plan, date(2023, 8, 1))
    data = html_to_pdf(render_html(report))
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    shutil.copy(path, artifacts_dir / "followup-demo.pdf")
    return plan, path


def test_the_demo_pdf_gives_back_every_step_title(demo_pdf):
    plan, path = demo_pdf
    assert path.read_bytes().startswith(b"%PDF-")
    titles = [to_arabic_digits(s.title) for s in plan.steps]  # the document's one kind of digits
    assert len(titles) == 26
    for layout in (True, False):
        # The title column alone, so that text of the next columns does not
        # interleave with a title that wraps over several lines.
        column = squeeze(pdf_text(path, layout=layout, crop=TITLE_COLUMN))
        missing = [t for t in titles if squeeze(t) not in column]
        assert not missing, f"layout={layout}: not extracted: {missing}"
        whole = pdf_text(path, layout=layout)
        # SARA AM and the tone mark over it survive extraction (WeasyPrint loses them).
        for word in ("ดำเนินการ", "จัดทำ", "กำหนด", "สำนักปลัดเทศบาล", "เทศบาลตำบลบ้านเป็ด"):
            assert word in whole, word
        assert "ดาเนิน" not in whole
        for measure in plan.measures:
            assert squeeze(measure.title) in squeeze(whole)


def test_the_demo_pdf_is_a4_with_the_expected_pages_and_numbers(demo_pdf):
    _, path = demo_pdf
    assert pdf_pages(path) == DEMO_PAGES
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    # Only the bundled TH SarabunPSK-compatible face, embedded (never a system font).
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all(r[0].split("+")[-1].startswith("LaksamanOfficial-") for r in rows), fonts
    assert all(r[-5] == "yes" for r in rows), fonts
    page_two = pdf_text(path, layout=True).split("\f")[1]
    assert page_two.strip().startswith("-2-") or page_two.strip().startswith("- 2 -")
    # No marks left behind at a page's foot by a line that moved to the next page.
    assert zero_width_words(path) == []


def test_the_first_page_is_not_blank(demo_pdf, tmp_path, artifacts_dir):
    _, path = demo_pdf
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    png = next(tmp_path.glob("page*.png"))
    shutil.copy(png, artifacts_dir / "followup-demo-page1.png")
    share = non_white_share(png)
    assert 0.02 < share < 0.5, share


def test_thai_digits_in_the_pdf(app, ctx, tools, tmp_path):
    app.config["TRACKER_CHROMIUM"] = CHROMIUM
    plan = load_demo_plan()
    path = tmp_path / "th.pdf"
    path.write_bytes(html_to_pdf(render_html(build_report(plan, date(2023, 3, 31), thai_digits=True))))
    text = pdf_text(path, layout=False)
    assert "รอบ ๖ เดือน ข้อมูล ณ วันที่ ๓๑ มีนาคม ๒๕๖๖" in text
    page_two = pdf_text(path, layout=True).split("\f")[1]
    assert page_two.strip().splitlines()[0].replace(" ", "") == "-๒-"


def test_without_chromium_or_weasyprint_a_clear_error(app, ctx):
    if pdf_module._weasyprint_installed():
        pytest.skip("WeasyPrint is installed here: it would be the fallback")
    with pytest.raises(ServiceError, match="ไม่พบโปรแกรม Chromium"):
        html_to_pdf("<p>ทดสอบ</p>", chromium="/nonexistent/chromium")
    assert renderer_available("/nonexistent/chromium") is None
