"""Official documents as an officer publishes them (issue 13), read back with the
real tools: every PDF embeds the bundled TH SarabunPSK-compatible face with its
body text at 16 pt; no line of a PDF, or of a DOCX as LibreOffice lays it out,
ends inside a long Thai word or a year; the six-column measures table is on
landscape pages; scores follow one rule. Pages are rendered to PNG under
test-artifacts/ for a person to look at."""
from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, require_or_skip
from tests.report_factory import bangkok, have_poppler, load_demo_plan, pdf_text, split_words
from tracker.db import db
from tracker.ita.demo import load_demo_scores
from tracker.ita.services import save_scores
from tracker.reports.followup import FONTS_DIR, build_report, render_html
from tracker.reports.followup_docx import followup_docx
from tracker.reports.memo import build_memo, render_memo_html, save_memo
from tracker.reports.memo_docx import memo_docx
from tracker.reports.pdf import html_to_pdf
from tracker.reports.thaiwrap import join_units, keep_together

SEED_DAY = date(2022, 10, 12)
SEED_OFFICE = "งานบริการและเผยแพร่วิชาการ ฝ่ายแผนงานและงบประมาณ กองยุทธศาสตร์และงบประมาณ"


@pytest.fixture
def chromium(app):
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    require_or_skip(have_poppler(), "poppler-utils not found: apt-get install poppler-utils")
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("pikepdf")
    app.config["TRACKER_CHROMIUM"] = CHROMIUM


@pytest.fixture
def banpet(ctx):
    """The demo plan with progress, the seed's scores (one indicator at exactly 97) and memo header."""
    plan = load_demo_plan()
    now = bangkok(SEED_DAY)
    load_demo_scores(plan.organization, now)
    save_scores(plan.organization, 2565, actor=None, now=now, scores={6: "97"})  # คุณภาพการดำเนินงาน, 97.08 in the seed
    save_memo(plan, None, now, office=SEED_OFFICE, reference="กยง ๔๙๔/๒๕๖๕", memo_date=SEED_DAY)
    db.session.commit()
    return plan


def render_pngs(pdf: Path, artifacts: Path, stem: str) -> list[Path]:
    """Every page as a PNG under test-artifacts/official/<stem>/, for a person to look at."""
    folder = artifacts / "official" / stem
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"))


def text_sizes(pdf: Path) -> collections.Counter:
    """Points of text drawn in the PDF, per glyph run: Tf size × the scale of the
    current transformation (Chromium draws in CSS pixels under a scaling cm)."""
    import pikepdf

    sizes: collections.Counter = collections.Counter()
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            stack, scale, font_size = [], 1.0, 0.0
            for operands, op in pikepdf.parse_content_stream(page):
                name = str(op)
                if name == "q":
                    stack.append(scale)
                elif name == "Q":
                    scale = stack.pop() if stack else 1.0
                elif name == "cm":
                    scale *= float(operands[3])
                elif name == "Tf":
                    font_size = float(operands[1])
                elif name in ("Tj", "TJ"):
                    sizes[round(abs(font_size * scale), 1)] += 1
    return sizes


def embedded_fonts(pdf: Path) -> list[list[str]]:
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in listing.splitlines()[2:]]


def check_pdf(pdf: Path) -> str:
    """What every official PDF must be; returns its text."""
    fonts = embedded_fonts(pdf)
    assert fonts, "no font"
    for row in fonts:
        assert row[0].split("+")[-1].startswith("LaksamanOfficial-"), row  # the bundled face only
        assert row[-5:-2] == ["yes", "yes", "yes"], row  # embedded, subset, with a ToUnicode map
    sizes = text_sizes(pdf)
    body, _ = sizes.most_common(1)[0]
    assert body == 16.0, sizes.most_common(5)
    text = pdf_text(pdf, layout=False)
    assert split_words(text) == []
    return text


def test_the_memo_pdf_is_an_official_document(banpet, chromium, tmp_path, artifacts_dir):
    pdf = tmp_path / "memo.pdf"
    pdf.write_bytes(html_to_pdf(render_memo_html(build_memo(banpet, memo_date=SEED_DAY))))
    shutil.copy(pdf, artifacts_dir / "official-memo.pdf")
    text = check_pdf(pdf)
    lines = [" ".join(line.split()) for line in pdf_text(pdf, layout=True).splitlines()]
    # Table 2: two decimals for every score, "๑๐๐" for exactly 100 only.
    assert "๑ การเปิดเผยข้อมูล ๑๐๐ ๑๐๐ -" in lines
    assert "๘ คุณภาพการดำเนินงาน ๙๗.๑๓ ๙๗.๐๐ ลดลง ๐.๑๓" in lines  # 97 → ๙๗.๐๐
    assert "๙๗ " not in text.replace("๙๗.", "")
    # The six-column measures table is printed across.
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "30", str(pdf)], capture_output=True, text=True).stdout
    sizes = [re.search(r"size:\s+([\d.]+) x ([\d.]+) pts", line).groups() for line in info.splitlines()
             if line.startswith("Page ") and " size:" in line]
    orientations = ["across" if float(w) > float(h) else "upright" for w, h in sizes]
    assert orientations[0] == "upright" and orientations[-1] == "across", orientations
    pages = pdf_text(pdf, layout=False).split("\f")
    with_table = [i for i, page in enumerate(pages) if "การติดตามผล" in page]  # the table's header row
    assert with_table and all(orientations[i] == "across" for i in with_table), (with_table, orientations)
    pngs = render_pngs(pdf, artifacts_dir, "official-memo")
    assert len(pngs) == len(orientations)


def test_the_followup_report_pdf_is_an_official_document(banpet, chromium, tmp_path, artifacts_dir):
    pdf = tmp_path / "report.pdf"
    report = build_report(banpet, date(2023, 8, 1), thai_digits=True)
    pdf.write_bytes(html_to_pdf(render_html(report)))
    shutil.copy(pdf, artifacts_dir / "official-report.pdf")
    text = check_pdf(pdf)
    # Half up: measure 2 has 5 of its 8 steps done → 63 per cent.
    assert "๕/๘ ขั้นตอน (ร้อยละ ๖๓)" in " ".join(text.split())
    render_pngs(pdf, artifacts_dir, "official-report")


# -- DOCX as LibreOffice lays it out ------------------------------------------------------

@pytest.fixture
def libreoffice(tmp_path):
    """LibreOffice headless, with the bundled face standing in for TH SarabunPSK (as on
    an officer's PC, where TH SarabunPSK is installed; Debian's fontconfig would
    otherwise draw it with Laksaman at 1.5 times the size)."""
    binary = shutil.which("libreoffice") or shutil.which("soffice")
    require_or_skip(binary is not None, "LibreOffice not found: apt-get install libreoffice-writer-nogui")
    require_or_skip(have_poppler(), "poppler-utils not found: apt-get install poppler-utils")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{FONTS_DIR}</dir>
  <cachedir>{tmp_path / "fc-cache"}</cachedir>
  <match target="pattern">
    <test name="family" compare="contains"><string>TH Sarabun</string></test>
    <edit name="family" mode="prepend" binding="strong"><string>Laksaman Official</string></edit>
  </match>
</fontconfig>
""")
    env = dict(os.environ, FONTCONFIG_FILE=str(conf))

    def convert(docx: Path) -> Path:
        subprocess.run(
            [binary, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
             "--convert-to", "pdf", "--outdir", str(docx.parent), str(docx)],
            env=env, capture_output=True, check=True, timeout=240,
        )
        return docx.with_suffix(".pdf")

    return convert


def test_docx_in_libreoffice_breaks_lines_between_words_only(banpet, libreoffice, tmp_path, artifacts_dir):
    memo = tmp_path / "memo.docx"
    memo.write_bytes(memo_docx(build_memo(banpet, memo_date=SEED_DAY)))
    report = tmp_path / "report.docx"
    report.write_bytes(followup_docx(build_report(banpet, date(2023, 8, 1), thai_digits=True)))
    for docx in (memo, report):
        pdf = libreoffice(docx)
        shutil.copy(pdf, artifacts_dir / f"official-{docx.stem}-libreoffice.pdf")
        text = pdf_text(pdf, layout=False)
        assert split_words(text) == [], docx.name
        assert "\u2060" not in text and "\u200b" not in text and "ดำเนินการ" in text  # marks stay out of the text
        render_pngs(pdf, artifacts_dir, f"official-{docx.stem}-libreoffice")


# -- the units kept together ------------------------------------------------------------------

def test_units_are_kept_together_in_html_and_docx():
    html = keep_together('<p title="ระยะเวลา">ระยะเวลาดำเนินการ ๒๙ ก.ค. ๒๕๖๖ (E-Service) (นายสมชาย ใจดี)</p>'
                         "<style>.a{}</style><textarea>ดำเนินการ</textarea>")
    assert html == (
        '<p title="ระยะเวลา"><span class="nw">ระยะเวลา</span><span class="nw">ดำเนินการ</span> '
        '<span class="nw">๒๙ ก.ค. ๒๕๖๖</span> <span class="nw">(E-Service)</span> '
        '<span class="nw">(นายสมชาย ใจดี)</span></p><style>.a{}</style><textarea>ดำเนินการ</textarea>'
    )
    joined = join_units("ปีงบประมาณ พ.ศ. ๒๕๖๖ ดำเนินการ")
    assert joined.replace("\u2060", "").replace("\u00a0", " ") == "ปีงบประมาณ พ.ศ. ๒๕๖๖ ดำเนินการ"
    assert "ดำ\u2060เ\u2060นิ\u2060น" in joined  # marks stay on their consonant
    assert "พ.\u2060ศ.\u2060\u00a0" in joined.replace("\u2060.", ".")


def test_scores_have_one_rule():
    from tracker.ita.services import format_score

    assert [format_score(Decimal(v), thai_digits=True) for v in ("97", "100", "95.1", "0")] == \
        ["๙๗.๐๐", "๑๐๐", "๙๕.๑๐", "๐.๐๐"]
