"""Official documents as an officer publishes them (issue 13), read back with the
real tools: every PDF embeds the bundled TH SarabunPSK-compatible face with its
body text at 16 pt; no line of a PDF, or of a DOCX as LibreOffice lays it out,
ends inside a long Thai word or a year; the six-column measures table is on
landscape pages; scores follow one rule. Pages are rendered to PNG under
test-artifacts/ for a person to look at."""

from __future__ import annotations

import collections
import functools
import os
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, require_or_skip
from tests.pdfa_check import assert_pdfa
from tests.report_factory import bangkok, have_poppler, load_demo_plan, pdf_text, split_words
from tracker.db import db
from tracker.ita.demo import load_demo_scores
from tracker.ita.services import save_scores
from tracker.reports.followup import build_report, render_html
from tracker.reports.followup_docx import followup_docx
from tracker.reports.fonts import FONTS_DIR
from tracker.reports.memo import build_memo
from tracker.reports.memo_docx import memo_docx
from tracker.reports.memo_html import render_memo_html
from tracker.reports.memo_saved import save_memo
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
    """What every official PDF must be (PDF/A-2b included); returns its text."""
    assert_pdfa(pdf)
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
    sizes = [
        re.search(r"size:\s+([\d.]+) x ([\d.]+) pts", line).groups()
        for line in info.splitlines()
        if line.startswith("Page ") and " size:" in line
    ]
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

    def convert(docx: Path, *more: Path) -> Path:
        """`docx` (and `more`, in one run: LibreOffice starts once) to PDF in its folder;
        returns the first PDF (each other one is its file's name with .pdf)."""
        paths = (docx, *more)
        assert len({p.parent for p in paths}) == 1 and len({p.stem for p in paths}) == len(paths)
        subprocess.run(
            [
                binary,
                f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(docx.parent),
                *map(str, paths),
            ],
            env=env,
            capture_output=True,
            check=True,
            timeout=240 * len(paths),
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


def test_docx_page_numbers_in_word_and_libreoffice(banpet, libreoffice, tmp_path, artifacts_dir):
    """Word reads the section's thaiNumbers format (๒, ๓). LibreOffice 7.4 maps no OOXML
    format to Thai digits, so it must show plain digits, never the Thai letters (ข, ค) that
    the PAGE field's ThaiArabic switch gives it."""
    import zipfile

    docs = {
        "memo": memo_docx(build_memo(banpet, memo_date=SEED_DAY)),
        "report": followup_docx(build_report(banpet, date(2023, 8, 1), thai_digits=True)),
    }
    for name, data in docs.items():
        path = tmp_path / f"{name}.docx"
        path.write_bytes(data)
        body = zipfile.ZipFile(path).read("word/document.xml").decode()
        headers = " ".join(
            zipfile.ZipFile(path).read(n).decode() for n in zipfile.ZipFile(path).namelist() if "header" in n
        )
        assert '<w:pgNumType w:fmt="thaiNumbers"/>' in body, name
        assert " PAGE " in headers and "ThaiArabic" not in headers and "ThaiLetter" not in headers, name
        pdf = libreoffice(path)
        pages = pdf_pages(pdf)
        assert len(pages) >= 2
        second = pages[1].strip()
        assert re.match(r"-\s*[2๒]\s*-?", second), (name, second[:40])
        assert not any(re.match(r"-\s*[ก-ฮ]\s*-", page.strip()) for page in pages), name
        render_pngs(pdf, artifacts_dir, f"docx-{name}-libreoffice")


def test_the_report_workbook_prints_across_in_libreoffice(banpet, libreoffice, tmp_path, artifacts_dir):
    """The XLSX as LibreOffice Calc prints it: A4 across, every page rendered for a person to look at."""
    from tracker.reports.followup_xlsx import followup_xlsx
    from tracker.reports.signoff import followup_chain

    day = date(2023, 8, 1)
    path = tmp_path / "report.xlsx"
    path.write_bytes(followup_xlsx(build_report(banpet, day, thai_digits=True, signoff=followup_chain(banpet, day))))
    pdf = libreoffice(path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert width > height  # across
    pages = pdf_pages(pdf)
    text = " ".join(pages)
    assert "มาตรการ" in text and "(ผู้ดูแลระบบ)" not in text and "ข้อมูลสาธิต" not in text
    # Counts and the totals' formulas show Thai digits, as the rest of the document (26 steps, 13 done).
    assert "๒๖" in pages[0] and "๑๓" in pages[0] and not re.search(r"\b(26|13)\b", pages[0]), pages[0][:500]
    shutil.copy(pdf, artifacts_dir / "xlsx-report-libreoffice.pdf")
    render_pngs(pdf, artifacts_dir, "xlsx-report-libreoffice")


def test_units_are_kept_together_in_html_and_docx():
    html = keep_together(
        '<p title="ระยะเวลา">ระยะเวลาดำเนินการ ๒๙ ก.ค. ๒๕๖๖ (E-Service) (นายสมชาย ใจดี)</p>'
        "<style>.a{}</style><textarea>ดำเนินการ</textarea>"
    )
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
    from tracker.ita.scores import format_score

    assert [format_score(Decimal(v), thai_digits=True) for v in ("97", "100", "95.1", "0")] == [
        "๙๗.๐๐",
        "๑๐๐",
        "๙๕.๑๐",
        "๐.๐๐",
    ]


# -- the บันทึกข้อความ form: emblem, header, signature, endorsements, date, digits ---------------


@functools.cache  # 40 ms of pure Python per image: made once per size
def emblem_png(size: int = 240) -> bytes:
    """A stand-in for the ครุฑ file an agency uploads: a gold disc on a transparent ground."""
    import struct
    import zlib

    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            inside = (x - size / 2) ** 2 + (y - size / 2) ** 2 <= (size / 2 - 4) ** 2
            row += bytes(
                (196, 32, 38, 255)
                if inside and abs(x - size / 2) < size / 8
                else (212, 160, 23, 255)
                if inside
                else (0, 0, 0, 0)
            )
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def upload_emblem(client, data: bytes = None, name: str = "garuda.png"):
    import io

    return client.post(
        "/admin/documents",
        data={"emblem": (io.BytesIO(data or emblem_png()), name), "thai_digits": "1"},
        content_type="multipart/form-data",
    )


def admin_client(plan, login):
    from tracker.auth.models import Role, User
    from tracker.demo import DEMO_PASSWORD

    admin = db.session.scalar(
        __import__("sqlalchemy")
        .select(User)
        .where(User.organization_id == plan.organization_id, User.role == Role.admin)
    )
    return login(admin, DEMO_PASSWORD)


def endorsement_chain(plan):
    """ผอ.กอง → ปลัด → รองปลัด → รองนายก → นายก; the first two have acknowledged."""
    from datetime import timedelta

    import sqlalchemy as sa

    from tests.conftest import make_user
    from tracker.auth.models import Role, User
    from tracker.reports.signoff import acknowledge, submit_report

    org = plan.organization
    levels = [
        ("director@banpet.example", "สมศรี ตั้งใจ", "ผู้อำนวยการกองยุทธศาสตร์และงบประมาณ"),
        ("manager@banpet.example", None, None),
        ("deputy@banpet.example", "วิชัย รอบคอบ", "รองปลัดเทศบาล"),
        ("vicemayor@banpet.example", "สุนทร ใจกว้าง", "รองนายกเทศมนตรี"),
        ("mayor@banpet.example", "บุญมี ศรีสุข", "นายกเทศมนตรีตำบลบ้านเป็ด"),
    ]
    chain = []
    for email, name, position in levels:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = make_user(org, email, Role.manager, name=name)
            user.position = position
        chain.append(user)
    db.session.flush()
    admin = db.session.scalar(sa.select(User).where(User.organization_id == org.id, User.role == Role.admin))
    now = bangkok(SEED_DAY)
    submission = submit_report(plan, admin, now, kind="analysis", chain=chain, as_of=SEED_DAY)
    acknowledge(submission, chain[0], now + timedelta(days=1), "เห็นควรเสนอปลัดเทศบาลเพื่อโปรดพิจารณา")
    acknowledge(submission, chain[1], now + timedelta(days=2), "ทราบ เห็นควรเผยแพร่")
    db.session.commit()
    return chain


def pdf_pages(pdf: Path) -> list[str]:
    return [" ".join(page.split()) for page in pdf_text(pdf, layout=False).split("\f")]


def test_the_memo_is_the_official_form_with_emblem_and_endorsements(
    banpet, chromium, login, runner, tmp_path, artifacts_dir
):
    client = admin_client(banpet, login)
    # Until the emblem is uploaded, the admin is told on the document pages.
    assert "ยังไม่มีตราครุฑของหน่วยงาน" in client.get(f"/plans/{banpet.id}/memo").get_data(as_text=True)
    assert "ยังไม่มีตราครุฑของหน่วยงาน" in client.get(f"/plans/{banpet.id}/report").get_data(as_text=True)
    assert upload_emblem(client).status_code == 302
    assert "ยังไม่มีตราครุฑ" not in client.get(f"/plans/{banpet.id}/memo").get_data(as_text=True)
    endorsement_chain(banpet)

    out = tmp_path / "memo.pdf"
    result = runner.invoke(
        args=[
            "analysis",
            "--org",
            "banpet",
            "--year",
            "2566",
            "--format",
            "pdf",
            "-o",
            str(out),
            "--date",
            "12 ต.ค. 2565",
            "--number",
            "กยง 494/2565",
            "--addressee",
            "นายกเทศมนตรีตำบลบ้านเป็ด",
        ]
    )
    assert result.exit_code == 0, result.output
    shutil.copy(out, artifacts_dir / "official-memo-form.pdf")
    check_pdf(out)
    # The emblem is an image on page 1, 1.5 cm high (at most a little more than 40 pt).
    images = subprocess.run(
        ["pdfimages", "-list", "-f", "1", "-l", "1", str(out)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(images) >= 1 and images[0].split()[3:5] == ["240", "240"], images
    pages = pdf_pages(out)
    first = pages[0]
    for expected in (
        "บันทึกข้อความ",
        "ส่วนราชการ งานบริการและเผยแพร่วิชาการ",
        "ที่ กยง ๔๙๔/๒๕๖๕",
        "วันที่ ๑๒ ตุลาคม ๒๕๖๕",
        "เรื่อง รายงานการวิเคราะห์ผลการประเมิน",
        "เรียน นายกเทศมนตรีตำบลบ้านเป็ด",
    ):
        assert expected in first, expected
    everything = " ".join(pages)
    # The signature: name in parentheses, then the position; no role in brackets.
    assert "(ลงชื่อ)" in first and "(ผู้ดูแลระบบ)" not in everything
    # The endorsements in order, each with its comment and date; those to come keep lines to fill in.
    order = [
        "ความเห็นผู้อำนวยการกองยุทธศาสตร์และงบประมาณ เห็นควรเสนอปลัดเทศบาลเพื่อโปรดพิจารณา",
        "(สมศรี ตั้งใจ)",
        "๑๓ ตุลาคม ๒๕๖๕",
        "ความเห็นปลัดเทศบาล ทราบ เห็นควรเผยแพร่",
        "๑๔ ตุลาคม ๒๕๖๕",
        "ความเห็นรองปลัดเทศบาล ....",
        "(วิชัย รอบคอบ)",
        "ความเห็นรองนายกเทศมนตรี ....",
        "ความเห็นนายกเทศมนตรีตำบลบ้านเป็ด ....",
        "(บุญมี ศรีสุข)",
    ]
    positions = [everything.find(text) for text in order]
    assert -1 not in positions and positions == sorted(positions), list(zip(order, positions))
    # Thai digits only (the organization's default), one kind in the whole document.
    assert not re.search(r"[0-9]", everything), re.findall(r".{12}[0-9]+.{12}", everything)[:5]
    pngs = render_pngs(out, artifacts_dir, "official-memo-form")
    assert pngs


def pdf_text_of(data: bytes, folder: Path) -> str:
    path = folder / "published.pdf"
    path.write_bytes(data)
    return pdf_text(path, layout=False)


def marker_of(page: str) -> str | None:
    """The continuation marker printed at the foot of a page ("/ ๒) โครงการ..."), if any."""
    return next((line.strip() for line in page.splitlines() if line.startswith("/ ")), None)


def assert_continuation_markers(pdf: Path, *, min_pages: int = 2) -> list[str]:
    """Every page but the last ends with a marker quoting the opening words of the next
    page (page number and repeated table headings aside); the last has none. Returns the
    pages' raw text."""
    listing = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True)
    raw = [page for page in listing.stdout.split("\f") if page.strip()]
    assert len(raw) >= min_pages, len(raw)
    for number, page in enumerate(raw[:-1]):
        marker = marker_of(page)
        assert marker and marker.endswith("..."), (number + 1, page[:200])
        opening = marker[2:-3].replace(" ", "")
        following = "".join(line for line in raw[number + 1].splitlines() if not line.startswith("/ "))
        following = re.sub(r"^\s*-\s*[0-9๐-๙]+\s*-", "", following).replace(" ", "").replace("\n", "")
        assert opening and opening in following[:1500], (number + 1, marker, following[:200])
    assert marker_of(raw[-1]) is None  # nothing continues after the last page
    return raw


def test_continuation_markers_quote_the_next_page(banpet, chromium, tmp_path, artifacts_dir):
    from tracker.reports.memo_cli import render_memo

    out = tmp_path / "memo.pdf"
    out.write_bytes(render_memo(build_memo(banpet), "pdf"))
    shutil.copy(out, artifacts_dir / "official-memo-markers.pdf")
    assert_pdfa(out)
    raw = assert_continuation_markers(out, min_pages=4)
    for page in raw[:-1]:
        marker = marker_of(page)
        assert "ประเด็นที่เป็นข้อบกพร่อง" not in marker and "ปีงบประมาณพ.ศ." not in marker[2:].replace(" ", "")[:16]
    # The seed's marker: the measures table continues with its next row.
    assert any(marker_of(page).startswith("/ ๒) โครงการ") for page in raw[:-1] if marker_of(page)), [
        marker_of(page) for page in raw
    ]
    render_pngs(out, artifacts_dir, "official-memo-markers")
    # The file published on the public page is the same kind of document.
    from tracker.public.services import render_for_publishing

    published = render_for_publishing(banpet, "analysis", "pdf", as_of=None, now=bangkok(SEED_DAY))
    assert_pdfa(published.body)
    assert "/ ๒) โครงการ" in pdf_text_of(published.body, tmp_path)


def test_the_report_and_its_covering_memo_carry_continuation_markers(banpet, chromium, tmp_path, artifacts_dir):
    """The O43 report and its covering memo, as downloaded, published or written by the
    command, end each page that continues with the next page's opening words."""
    from tracker.reports.cover import build_cover, render_cover_pdf
    from tracker.reports.signoff import followup_chain
    from tracker.reports.views import render_report

    day = date(2023, 8, 1)
    report = build_report(banpet, day, thai_digits=True, signoff=followup_chain(banpet, day))
    out = tmp_path / "report.pdf"
    out.write_bytes(render_report(report, "pdf"))
    shutil.copy(out, artifacts_dir / "official-report-markers.pdf")
    assert_pdfa(out)
    raw = assert_continuation_markers(out, min_pages=3)
    assert not any(re.search(r"[0-9]", marker_of(page)) for page in raw[:-1])  # the document's own digits
    render_pngs(out, artifacts_dir, "official-report-markers")

    findings = "\n\n".join(["มาตรการที่ ๒ ล่าช้าเพราะรอการจัดสรรงบประมาณ ต้องเลื่อนการจัดซื้อครุภัณฑ์ไปไตรมาสถัดไป"] * 12)
    cover = build_cover(
        banpet,
        report,
        memo_date=date(2023, 8, 3),
        reference="กยง ๕๐๑/๒๕๖๖",
        office=SEED_OFFICE,
        addressee="นายกเทศมนตรีตำบลบ้านเป็ด",
        findings=findings,
    )
    out = tmp_path / "cover.pdf"
    out.write_bytes(render_cover_pdf(cover))
    shutil.copy(out, artifacts_dir / "official-cover-markers.pdf")
    check_pdf(out)
    assert_continuation_markers(out, min_pages=2)
    render_pngs(out, artifacts_dir, "official-cover-markers")


def test_a_memo_without_a_date_is_not_printed(banpet, login, runner, tmp_path):
    save_memo(banpet, None, bangkok(SEED_DAY), memo_date=None)
    db.session.commit()
    out = tmp_path / "memo.docx"
    result = runner.invoke(args=["analysis", "--org", "banpet", "--year", "2566", "--format", "docx", "-o", str(out)])
    assert result.exit_code == 2
    assert "ยังไม่ได้ระบุวันที่ของบันทึกข้อความ" in result.output and "--date" in result.output
    assert "Traceback" not in result.output and not out.exists()
    client = admin_client(banpet, login)
    page = client.get(f"/plans/{banpet.id}/memo").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="memo_date"[^>]*\brequired\b', page)
    assert "ยังไม่ได้ระบุวันที่ของบันทึกข้อความ" in page and f"/plans/{banpet.id}/memo.pdf" not in page
    download = client.get(f"/plans/{banpet.id}/memo.docx")
    assert download.status_code == 400 and "ยังไม่ได้ระบุวันที่" in download.get_data(as_text=True)
    refused = client.post(f"/plans/{banpet.id}/memo", data={"reference": "กยง ๑/๒๕๖๕", "memo_date": ""})
    assert refused.status_code == 400 and "กรอกวันที่ของบันทึกข้อความ" in refused.get_data(as_text=True)
    assert build_memo(banpet).header.reference == "กยง ๔๙๔/๒๕๖๕"  # nothing saved
    # The covering memo of the follow-up report asks for its date too.
    result = runner.invoke(
        args=[
            "report",
            "--org",
            "banpet",
            "--year",
            "2566",
            "--as-of",
            "2023-03-31",
            "--format",
            "pdf",
            "-o",
            str(tmp_path / "cover.pdf"),
            "--cover",
        ]
    )
    assert result.exit_code == 2 and "ยังไม่ได้ระบุวันที่ของบันทึกข้อความนำส่ง" in result.output
    response = client.post(f"/plans/{banpet.id}/report/cover", data={"as_of": "2023-03-31", "format": "pdf"})
    assert response.status_code == 400 and "ยังไม่ได้ระบุวันที่ของบันทึกข้อความนำส่ง" in response.get_data(as_text=True)
    # Header options belong to the covering memo only.
    result = runner.invoke(
        args=[
            "report",
            "--org",
            "banpet",
            "--year",
            "2566",
            "--format",
            "pdf",
            "-o",
            str(tmp_path / "r.pdf"),
            "--date",
            "5/4/2566",
        ]
    )
    assert result.exit_code == 2 and "--cover" in result.output


def test_the_covering_memo_of_the_report(banpet, chromium, libreoffice, login, runner, tmp_path, artifacts_dir):
    client = admin_client(banpet, login)
    upload_emblem(client)
    findings = tmp_path / "findings.txt"
    findings.write_text("มาตรการที่ ๒ ล่าช้าเพราะรอการจัดสรรงบประมาณ\n", encoding="utf-8")
    out = tmp_path / "cover.pdf"
    result = runner.invoke(
        args=[
            "report",
            "--org",
            "banpet",
            "--year",
            "2566",
            "--round",
            "6",
            "--format",
            "pdf",
            "-o",
            str(out),
            "--cover",
            "--date",
            "5 เม.ย. 2566",
            "--number",
            "กยง 501/2566",
            "--findings",
            str(findings),
        ]
    )
    assert result.exit_code == 0, result.output
    shutil.copy(out, artifacts_dir / "official-cover.pdf")
    check_pdf(out)
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True).stdout.splitlines()[2:]
    assert images and images[0].split()[0] == "1"  # the emblem, on page 1
    text = " ".join(pdf_pages(out))
    for expected in (
        "บันทึกข้อความ",
        "ที่ กยง ๕๐๑/๒๕๖๖",
        "วันที่ ๕ เมษายน ๒๕๖๖",
        "เรื่อง รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน",
        "ปีงบประมาณ พ.ศ. ๒๕๖๖ รอบ ๖ เดือน",
        "เรียน นายกเทศมนตรีตำบลบ้านเป็ด",
        "ข้อมูล ณ วันที่ ๓๑ มีนาคม ๒๕๖๖",
        "มาตรการที่ ๒ ล่าช้าเพราะรอการจัดสรรงบประมาณ",
        "(ลงชื่อ)",
    ):
        assert expected in text, expected
    assert not re.search(r"[0-9]", text)
    lines = [line.strip() for line in pdf_text(out, layout=False).splitlines() if line.strip()]
    for before, after in zip(lines, lines[1:]):  # compounds ICU would break stay whole
        assert not (before.endswith("หน่วย") and after.startswith("งาน")), (before, after)
        assert not (before.endswith("ส่ง") and after.startswith("เสริม")), (before, after)
    render_pngs(out, artifacts_dir, "official-cover")
    # The web form gives the same memo as DOCX; LibreOffice shows the emblem and Thai digits.
    response = client.post(
        f"/plans/{banpet.id}/report/cover",
        data={"as_of": "2023-03-31", "format": "docx", "memo_date": "5/4/2566", "reference": "กยง ๕๐๑/๒๕๖๖"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    docx = tmp_path / "cover.docx"
    docx.write_bytes(response.data)
    pdf = libreoffice(docx)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
    assert listing and listing[0].split()[0] == "1"
    text = " ".join(pdf_pages(pdf))
    assert "ที่ กยง ๕๐๑/๒๕๖๖" in text and "วันที่ ๕ เมษายน ๒๕๖๖" in text
    render_pngs(pdf, artifacts_dir, "official-cover-libreoffice")


def test_thai_digits_by_default_and_arabic_when_the_organization_chooses(banpet, chromium, login, runner, tmp_path):
    from tracker.reports.memo_docx import memo_docx as write_docx

    client = admin_client(banpet, login)
    # The O43 report is in Thai digits by default on the web, as HTML and from the command line.
    page = client.get(f"/plans/{banpet.id}/report?as_of=2023-08-01").get_data(as_text=True)
    assert "ข้อมูล ณ วันที่ ๑ สิงหาคม ๒๕๖๖" in page
    out = tmp_path / "report.html"
    assert (
        runner.invoke(
            args=[
                "report",
                "--org",
                "banpet",
                "--year",
                "2566",
                "--as-of",
                "2023-08-01",
                "--format",
                "html",
                "-o",
                str(out),
            ]
        ).exit_code
        == 0
    )
    assert "ข้อมูล ณ วันที่ ๑ สิงหาคม ๒๕๖๖" in html_text_of(out.read_text(encoding="utf-8"))
    # An organization that chooses Arabic digits gets them everywhere in each document.
    response = client.post("/admin/documents", data={})
    assert response.status_code == 302
    db.session.expire_all()
    assert banpet.organization.official_thai_digits is False
    memo = build_memo(banpet)
    html = render_memo_html(memo)
    assert not re.search("[๐-๙]", html_text_of(html)) and "12 ตุลาคม 2565" in html_text_of(html)
    assert "counter(page, thai)" not in html
    from tests.report_factory import readable_docx

    document = readable_docx(write_docx(memo))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "12 ตุลาคม 2565" in text and not re.search("[๐-๙]", text)
    page = client.get(f"/plans/{banpet.id}/report?as_of=2023-08-01").get_data(as_text=True)
    assert "ข้อมูล ณ วันที่ 1 สิงหาคม 2566" in page


def html_text_of(html: str) -> str:
    from tests.report_factory import html_text

    return html_text(re.sub(r"<style>.*?</style>", "", html, flags=re.S))


def test_emblem_upload_is_checked_like_evidence(banpet, login, app):
    client = admin_client(banpet, login)
    for data, name, message in (
        (b"%PDF-1.4 not an image", "garuda.png", "ไม่ตรงกับนามสกุล"),
        (emblem_png(), "garuda.gif", "ต้องเป็นไฟล์ภาพ .png หรือ .jpg"),
    ):
        response = upload_emblem(client, data, name)
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and message in page, name
        # Once, next to the file box.
        error = re.search(r'id="f-emblem-error" class="field-error">([^<]*)<', page)
        assert error and message in error.group(1) and page.count(message) == 1, name
        assert re.search(r'aria-describedby="[^"]*f-emblem-error"', page), name
    db.session.expire_all()
    assert banpet.organization.emblem_stored_name is None
    assert upload_emblem(client).status_code == 302
    db.session.expire_all()
    stored = Path(app.config["TRACKER_UPLOAD_DIR"]) / banpet.organization.emblem_stored_name
    assert stored.read_bytes() == emblem_png()
    assert client.get("/admin/documents/emblem").data == emblem_png()
    assert client.post("/admin/documents/emblem/delete").status_code == 302
    assert not stored.exists()
    assert "ยังไม่ได้อัปโหลดตราครุฑ" in client.get("/admin/documents").get_data(as_text=True)
