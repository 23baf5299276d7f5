"""The O42 analysis memo: the seed's tables come out exactly (read back from the
DOCX with python-docx and from the PDF with pdftotext), the per-tool analysis
names the lowest indicators, the measures table is the plan's, another
organization gets its own memo, missing scores are a clear refusal, and the
memo page, downloads and `tracker analysis` behave."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa

from tests.conftest import CHROMIUM, make_user, require_or_skip
from tests.report_factory import bangkok, have_poppler, other_org_admin, pdf_pages, pdf_text, readable_docx, squeeze
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.demo import DEMO_PASSWORD, load_demo
from tracker.errors import ServiceError
from tracker.ita.demo import load_demo_scores
from tracker.ita.services import ContextInput, save_scores
from tracker.orgs.models import Department, Organization
from tracker.plans.models import JournalEntry, Measure, Plan, Step, Weakness
from tracker.reports.memo import MissingScores, build_memo
from tracker.reports.memo_document import MEASURE_HEADERS
from tracker.reports.memo_docx import memo_docx
from tracker.reports.memo_html import render_memo_html
from tracker.reports.memo_saved import save_memo
from tracker.reports.pdf import html_to_pdf
from tracker.thaidate import to_thai_digits

SEED_OFFICE = "งานบริการและเผยแพร่วิชาการ ฝ่ายแผนงานและงบประมาณ กองยุทธศาสตร์และงบประมาณ"
SEED_DAY = date(2022, 10, 12)

#: The seed's table 1, cell by cell.
TABLE1 = [
    ["ภาพรวมระดับประเทศ", "๘๑.๒๕", "B", "๘๗.๕๗", "A", "เพิ่มขึ้น ๖.๓๒"],
    ["ภาพรวมจังหวัดขอนแก่น", "๗๗.๘๔", "B", "๙๒.๔๙", "A", "เพิ่มขึ้น ๑๔.๖๕"],
    ["ภาพรวมหน่วยงาน", "๙๘.๒๒", "AA", "๙๗.๘๘", "AA", "ลดลง ๐.๓๔"],
]
#: The seed's table 2 in its order. The seed writes "ลดลง ๓.๘" and "ลดลง ๕.๓"; the
#: memo shows two decimals everywhere, as in every other difference of the seed.
TABLE2 = [
    ["๑", "การเปิดเผยข้อมูล", "๑๐๐", "๑๐๐", "-"],
    ["๒", "การป้องกันการทุจริต", "๑๐๐", "๑๐๐", "-"],
    ["๓", "การปฏิบัติหน้าที่", "๙๘.๑๖", "๙๘.๖๓", "เพิ่มขึ้น ๐.๔๗"],
    ["๔", "การใช้อำนาจ", "๙๕.๖๔", "๙๘.๓๑", "เพิ่มขึ้น ๒.๖๗"],
    ["๕", "การใช้งบประมาณ", "๙๕.๒๖", "๙๘.๒๓", "เพิ่มขึ้น ๒.๙๗"],
    ["๖", "การแก้ไขปัญหาการทุจริต", "๙๖.๓๑", "๙๗.๘๘", "เพิ่มขึ้น ๑.๕๗"],
    ["๗", "การใช้ทรัพย์สินของราชการ", "๙๕.๕๔", "๙๗.๓๒", "เพิ่มขึ้น ๑.๗๘"],
    ["๘", "คุณภาพการดำเนินงาน", "๙๗.๑๓", "๙๗.๐๘", "ลดลง ๐.๐๕"],
    ["๙", "ประสิทธิภาพการสื่อสาร", "๙๘.๓๙", "๙๔.๕๙", "ลดลง ๓.๘๐"],
    ["๑๐", "การปรับปรุงการทำงาน", "๙๘.๑๙", "๙๒.๘๙", "ลดลง ๕.๓๐"],
]
TABLE3 = [
    ["แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายใน (ด้าน IIT)", "๙๖.๑๘", "๙๘.๐๗", "เพิ่มขึ้น ๑.๘๙"],
    ["แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายนอก (ด้าน EIT)", "๙๗.๙๐", "๙๔.๘๕", "ลดลง ๓.๐๕"],
    ["แบบวัดการเปิดเผยข้อมูลสาธารณะ (ด้าน OIT)", "๑๐๐", "๑๐๐", "-"],
]
LOWEST = [
    "พบว่าตัวชี้วัดที่ ๔ การใช้ทรัพย์สินของราชการ มีผลคะแนนเท่ากับ ๙๗.๓๒ ซึ่งได้คะแนนน้อยที่สุดในกลุ่มเครื่องมือนี้",
    "พบว่าตัวชี้วัดที่ ๘ การปรับปรุงการทำงาน มีผลคะแนนเท่ากับ ๙๒.๘๙ ซึ่งได้คะแนนน้อยที่สุดในกลุ่มเครื่องมือนี้",
]
#: (steps, owner, period) of the four measure rows of part ๓.
MEASURES = [
    (5, "สำนักปลัดเทศบาล", "ก.ค. – ก.ย. ๒๕๖๖"),
    (8, "กองยุทธศาสตร์และงบประมาณ", "ม.ค. – ก.ย. ๒๕๖๖"),
    (6, "กองยุทธศาสตร์และงบประมาณ", "ม.ค. – ก.ย. ๒๕๖๖"),
    (7, "กองยุทธศาสตร์และงบประมาณ", "ม.ค. – ก.ย. ๒๕๖๖"),
]


@pytest.fixture
def banpet(app, ctx):
    """The demo plan of FY 2566 with the seed's scores and the seed memo's header."""
    now = bangkok(SEED_DAY)
    result = load_demo(now)
    load_demo_scores(result.plan.organization, now)
    save_memo(result.plan, None, now, office=SEED_OFFICE, reference="กยง ๔๙๔/๒๕๖๕", memo_date=SEED_DAY)
    db.session.commit()
    return result


def docx_of(plan: Plan) -> docx.document.Document:
    return readable_docx(memo_docx(build_memo(plan, memo_date=SEED_DAY)))


def table_starting(document, first_header: str):
    found = [t for t in document.tables if t.rows[0].cells[0].text == first_header]
    assert len(found) == 1, [t.rows[0].cells[0].text for t in document.tables]
    return found[0]


def cells(row) -> list[str]:
    return [c.text for c in row.cells]


def text_of(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


# -- the seed's numbers -----------------------------------------------------------------


def test_the_docx_tables_are_the_seeds(banpet):
    document = docx_of(banpet.plan)
    table1 = table_starting(document, "ผลการประเมิน")
    assert cells(table1.rows[0])[1:5] == ["ปีงบประมาณ พ.ศ. ๒๕๖๔"] * 2 + ["ปีงบประมาณ พ.ศ. ๒๕๖๕"] * 2
    assert cells(table1.rows[1])[1:5] == ["คะแนน", "ระดับ", "คะแนน", "ระดับ"]
    assert [cells(r) for r in table1.rows[2:]] == TABLE1
    table2 = table_starting(document, "ลำดับ")
    assert [cells(r) for r in table2.rows[2:]] == TABLE2
    table3 = table_starting(document, "เครื่องมือการประเมิน")
    assert cells(table3.rows[0])[1:3] == ["ปีงบประมาณ พ.ศ. ๒๕๖๔", "ปีงบประมาณ พ.ศ. ๒๕๖๕"]
    assert [cells(r) for r in table3.rows[1:]] == TABLE3
    top = table_starting(document, "อันดับ")
    assert [cells(r) for r in top.rows[1:4]] == [
        ["๑", "การเปิดเผยข้อมูล", "๑๐๐"],
        ["๒", "การป้องกันการทุจริต", "๑๐๐"],
        ["๓", "การปฏิบัติหน้าที่", "๙๘.๖๓"],
    ]
    # Each tool's own table, in indicator order, two decimals as in the seed's part ๒.
    tool_tables = [t for t in document.tables if t.rows[0].cells[0].text == "ตัวชี้วัดที่"]
    assert [[cells(r) for r in t.rows[1:]] for t in tool_tables] == [
        [
            ["๑", "การปฏิบัติหน้าที่", "๙๘.๖๓"],
            ["๒", "การใช้งบประมาณ", "๙๘.๒๓"],
            ["๓", "การใช้อำนาจ", "๙๘.๓๑"],
            ["๔", "การใช้ทรัพย์สินของราชการ", "๙๗.๓๒"],
            ["๕", "การแก้ไขปัญหาการทุจริต", "๙๗.๘๘"],
        ],
        [["๖", "คุณภาพการดำเนินงาน", "๙๗.๐๘"], ["๗", "ประสิทธิภาพการสื่อสาร", "๙๔.๕๙"], ["๘", "การปรับปรุงการทำงาน", "๙๒.๘๙"]],
        [["๙", "การเปิดเผยข้อมูล", "๑๐๐"], ["๑๐", "การป้องกันการทุจริต", "๑๐๐"]],
    ]


def test_the_prose_follows_the_numbers(banpet):
    text = text_of(docx_of(banpet.plan))
    assert "เทศบาลตำบลบ้านเป็ด โดยภาพรวมได้คะแนนเท่ากับร้อยละ ๙๗.๘๘ คะแนน" in text
    assert "ระดับ AA มีรายละเอียดดังนี้" in text
    assert "คะแนนสูงสุด ๑๐๐ คะแนน" in text and "คะแนนต่ำสุด ๙๒.๘๙ คะแนน" in text
    assert (
        "ภาพรวมระดับประเทศมีคะแนนเพิ่มขึ้น ๖.๓๒ คะแนน ซึ่งอยู่ในระดับ A ภาพรวมจังหวัดขอนแก่นมีคะแนนเพิ่มขึ้น "
        "๑๔.๖๕ คะแนน ซึ่งอยู่ในระดับ A และเทศบาลตำบลบ้านเป็ดมีคะแนนภาพรวมหน่วยงานลดลง ๐.๓๔ คะแนน "
        "แต่ยังคงอยู่ในระดับ AA"
    ) in text
    assert (
        "เทศบาลตำบลบ้านเป็ดมีคะแนนรายตัวชี้วัดที่ เพิ่มขึ้นจำนวน ๕ ตัวชี้วัด มีคะแนนรายตัวชี้วัดที่ เท่ากับ "
        "ปีงบประมาณที่แล้ว จำนวน ๒ ตัวชี้วัด และมีคะแนนรายตัวชี้วัดที่ ลดลงจำนวน ๓ ตัวชี้วัด"
    ) in text
    assert (
        "การตอบแบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายใน (Internal Integrity and Transparency Assessment: IIT) "
        "มีคะแนน เพิ่มขึ้น ๑.๘๙ คะแนน จากปีงบประมาณ พ.ศ. ๒๕๖๔"
    ) in text
    assert "(Open Data Integrity and Transparency Assessment: OIT) มีคะแนน เท่ากับ ปีงบประมาณ พ.ศ. ๒๕๖๔" in text
    for sentence in LOWEST:
        assert sentence in text
    # OIT's two indicators tie: the memo says so instead of naming a lowest one.
    assert "ค่าคะแนนของตัวชี้วัดทั้ง ๒ ตัว พบว่าทุกตัวชี้วัดมีผลคะแนนเท่ากัน คือ ๑๐๐ คะแนน" in text
    assert "มีค่าคะแนนเท่ากับ ๙๘.๐๗ คะแนน ผลคะแนนในภาพรวม พบว่าอยู่ในระดับดีเยี่ยม" in text


def test_the_memo_header_and_cover(banpet):
    document = docx_of(banpet.plan)
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "บันทึกข้อความ"
    assert f"ส่วนราชการ {SEED_OFFICE}" in paragraphs
    assert "ที่ กยง ๔๙๔/๒๕๖๕\tวันที่ ๑๒ ตุลาคม ๒๕๖๕" in paragraphs
    assert (
        "เรื่อง รายงานการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA) "
        "ประจำปีงบประมาณ พ.ศ. ๒๕๖๕ ของเทศบาลตำบลบ้านเป็ด"
    ) in paragraphs
    assert "เรียน นายกเทศมนตรีตำบลบ้านเป็ด" in paragraphs
    text = "\n".join(paragraphs)
    assert (
        "ตามที่สำนักงานป้องกันการทุจริตแห่งชาติ (สำนักงาน ป.ป.ช.) ได้จัดให้มีการประเมินคุณธรรมและความโปร่งใส"
        "ในการดำเนินงานของหน่วยงานภาครัฐ (ITA) ประจำปีงบประมาณ พ.ศ. ๒๕๖๕ และได้มีการประกาศผลไปแล้วนั้น"
    ) in text
    assert "ตัวชี้วัดที่ ๑๐ การป้องกันการทุจริต ตัวชี้วัดย่อยที่ ๑๐.๒" in text
    assert "ตามข้อ O๔๒ มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน และ O๔๓" in text
    assert (
        "กองยุทธศาสตร์และงบประมาณ จึงขอรายงานการวิเคราะห์ผล" in text
        and "ไปดำเนินการปรับปรุงและพัฒนาในปีงบประมาณ พ.ศ. ๒๕๖๖ ตามรายละเอียดที่แนบมาพร้อมนี้" in text
    )
    assert "จึงเรียนมาเพื่อโปรดทราบ" in text
    # The signature is the plan administrator's.
    assert "(สมศรี ใจดี)" in paragraphs
    assert (
        "๓. มาตรการ/แนวทางการนำผลการประเมิน ในปีงบประมาณ พ.ศ. ๒๕๖๕ ไปดำเนินการปรับปรุงและพัฒนา ในปีงบประมาณ พ.ศ. ๒๕๖๖"
        in paragraphs
    )
    assert (
        "๑. การใช้ทรัพย์สินของราชการ มีบุคลากรในหน่วยงานบางรายมีการนำทรัพย์สินของทางราชการไปใช้เพื่อประโยชน์ส่วนตน "
        "ขาดการรับรู้เกี่ยวกับการใช้ทรัพย์สินของราชการและขั้นตอนการขอยืมทรัพย์สินของทางราชการไปใช้ปฏิบัติงานอย่างถูกต้อง"
    ) in paragraphs


def test_the_measures_table_is_the_plan(banpet):
    document = docx_of(banpet.plan)
    table = table_starting(document, "ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อนที่ต้องแก้ไข")
    rows = table.rows[1:]
    assert len(rows) == 4
    plan_measures = banpet.plan.measures
    for row, measure, (count, owner, period) in zip(rows, plan_measures, MEASURES):
        weakness, title, steps, owner_cell, period_cell, follow_up = row.cells
        step_lines = [p.text for p in steps.paragraphs]
        assert len(step_lines) == count
        assert step_lines == [f"{to_thai_digits(str(s.order))}) {s.title}" for s in measure.steps]
        assert (owner_cell.text, period_cell.text) == (owner, period)
        assert follow_up.text == measure.follow_up
        assert measure.title in title.text
    assert rows[0].cells[0].text.startswith("๑. การใช้ทรัพย์สินของราชการ มีบุคลากรในหน่วยงาน")
    assert (
        rows[1].cells[0].text
        == "๒. การปรับปรุงการทำงาน หน่วยงานควรนำเทคโนโลยีมาใช้ในการดำเนินการ/การให้บริการให้เกิดความสะดวกรวดเร็วมากขึ้น"
    )
    # Weakness 3 has two measures: numbered 1) and 2), the weakness written once.
    assert rows[3].cells[0].text == ""
    assert rows[2].cells[1].text.startswith("๑) โครงการจัดทำคู่มือ")
    assert rows[3].cells[1].text == "๒) โครงการจัดทำมาตรฐานการให้บริการประชาชน"


def test_the_docx_uses_the_official_font_in_every_slot(banpet):
    data = memo_docx(build_memo(banpet.plan, memo_date=SEED_DAY))
    archive = zipfile.ZipFile(io.BytesIO(data))
    styles = archive.read("word/styles.xml").decode()
    normal = re.search(r'<w:style [^>]*w:styleId="Normal".*?</w:style>', styles, re.S).group(0)
    assert 'w:cs="TH SarabunPSK"' in normal and 'w:ascii="TH SarabunPSK"' in normal
    assert '<w:szCs w:val="32"/>' in normal
    body = archive.read("word/document.xml").decode().replace("\u2060", "").replace("\u200b", "")  # thaiwrap.py
    fonts = re.findall(r"<w:rFonts [^>]*/>", body)
    assert fonts and all('w:cs="TH SarabunPSK"' in f for f in fonts)
    # บันทึกข้อความ in bold 29 pt, Thai slots included.
    heading = re.search(r"<w:r>(?:(?!</w:r>).)*บันทึกข้อความ</w:t></w:r>", body, re.S).group(0)
    assert '<w:bCs w:val="1"/>' in heading and '<w:szCs w:val="58"/>' in heading
    # Table headers repeat on every page: both header rows of table 1.
    document = readable_docx(data)
    table1 = table_starting(document, "ผลการประเมิน")
    assert all(r._tr.trPr is not None and r._tr.trPr.xml.count("tblHeader") == 1 for r in table1.rows[:2])
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert (round(section.left_margin.cm, 1), round(section.top_margin.cm, 1)) == (3.0, 2.5)


def test_findings_default_and_the_officers_own_text(banpet):
    memo = build_memo(banpet.plan, memo_date=SEED_DAY)
    iit = memo.tools[0]
    assert iit.findings_default
    assert iit.findings == [
        "ทั้งนี้ หน่วยงานควรนำประเด็นของตัวชี้วัดที่ ๔ การใช้ทรัพย์สินของราชการ "
        "ไปจัดทำมาตรการเพื่อปรับปรุงและพัฒนาการดำเนินงาน ในปีงบประมาณ พ.ศ. ๒๕๖๖"
    ]
    save_memo(
        banpet.plan,
        None,
        bangkok(SEED_DAY),
        findings={
            "EIT": "โดยประเด็นที่มีคะแนนน้อยที่สุดคือ การนำเทคโนโลยีมาใช้\nทั้งนี้ เห็นควรเร่งนำระบบ E-Service มาใช้ในปี 2566",
        },
    )
    db.session.commit()
    memo = build_memo(banpet.plan, memo_date=SEED_DAY)
    eit = memo.tools[1]
    assert not eit.findings_default
    assert eit.findings == ["โดยประเด็นที่มีคะแนนน้อยที่สุดคือ การนำเทคโนโลยีมาใช้", "ทั้งนี้ เห็นควรเร่งนำระบบ E-Service มาใช้ในปี ๒๕๖๖"]
    assert memo.tools[0].findings_default  # the others keep their default
    text = text_of(readable_docx(memo_docx(memo)))
    assert "ทั้งนี้ เห็นควรเร่งนำระบบ E-Service มาใช้ในปี ๒๕๖๖" in text


# -- PDF ------------------------------------------------------------------------------------

#: Columns of the measures table, read alone so that the text of the next columns
#: does not interleave with a title that wraps. The table is on landscape pages: the
#: content box starts 3 cm from the left and is 24.7 cm wide; measures span 17 % – 34 %
#: of it, steps 34 % – 64 %.
CM = 72 / 2.54
WIDE = 29.7 - 3 - 2
MEASURE_COLUMN = (3 * CM + 0.17 * WIDE * CM - 2, 0.17 * WIDE * CM + 4)
STEPS_COLUMN = (3 * CM + 0.34 * WIDE * CM - 2, 0.30 * WIDE * CM + 4)


def column_text(path: Path, crop: tuple[float, float]) -> str:
    """One column's text, squeezed, without what a page break puts into a row that
    runs on: the repeated header row and the page number."""
    text = squeeze(pdf_text(path, layout=False, crop=crop))
    for header in MEASURE_HEADERS:
        text = text.replace(squeeze(header), "")
    return re.sub(r"-[๐-๙]+-", "", text)


def test_the_pdf_text_has_the_tables_and_every_step(banpet, app, tmp_path, artifacts_dir):
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    require_or_skip(have_poppler(), "pdftotext not found: apt-get install poppler-utils")
    pytest.importorskip("playwright.sync_api")
    app.config["TRACKER_CHROMIUM"] = CHROMIUM
    path = tmp_path / "memo.pdf"
    path.write_bytes(html_to_pdf(render_memo_html(build_memo(banpet.plan, memo_date=SEED_DAY))))
    shutil.copy(path, artifacts_dir / "memo-banpet-2566.pdf")
    assert pdf_pages(path) >= 6
    text = pdf_text(path, layout=True)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for row in TABLE1:
        assert " ".join(row[1:]) in " ".join(lines), row
        assert any(line.startswith(row[0]) and line.endswith(row[-1]) for line in lines), row
    for row in TABLE2:
        assert " ".join(row) in lines, row
    for row in TABLE3:
        assert any(line.endswith(" ".join(row[1:])) for line in lines), row
    whole = squeeze(text)
    for sentence in LOWEST:
        assert squeeze(sentence) in whole
    assert "บันทึกข้อความ" in text and "ดำเนินการ" in text and "ดาเนิน" not in text
    plan = banpet.plan
    column = column_text(path, MEASURE_COLUMN)
    missing = [m.title for m in plan.measures if squeeze(m.title) not in column]
    assert not missing, missing
    column = column_text(path, STEPS_COLUMN)
    missing = [s.title for s in plan.steps if squeeze(s.title) not in column]
    assert not missing, missing
    assert len(plan.steps) == 26


# -- another organization --------------------------------------------------------------------


def other_organization(with_2564: bool = True, skip: tuple[int, ...] = ()) -> tuple[Plan, User]:
    """เทศบาลตำบลหนองบัว: other scores, a national row for 2564 only, its own FY 2566 plan and admin."""
    org = Organization(name="เทศบาลตำบลหนองบัว", slug="nongbua", province="เชียงใหม่")
    department = Department(organization=org, name="กองคลัง")
    admin = make_user(org, "admin@nongbua.go.th", Role.admin, department, name="สมหญิง ตั้งใจ")
    admin.position = "นักวิชาการเงินและบัญชี"
    plan = Plan(organization=org, fiscal_year=2566, title="มาตรการ ๒๕๖๖ หนองบัว")
    weakness = Weakness(plan=plan, order=1, title="ประสิทธิภาพการสื่อสาร", detail="ประชาชนไม่ทราบช่องทางติดต่อ")
    measure = Measure(
        weakness=weakness,
        order=1,
        title="โครงการเพิ่มช่องทางการสื่อสาร",
        owner_department=department,
        period_start=date(2023, 2, 1),
        period_end=date(2023, 6, 30),
        follow_up="จำนวนช่องทาง",
    )
    Step(
        measure=measure,
        order=1,
        title="จัดทำเพจของเทศบาล",
        owner_department=department,
        start_date=date(2023, 2, 1),
        due_date=date(2023, 3, 31),
    )
    db.session.add(org)
    db.session.flush()
    now = bangkok(date(2022, 11, 1))
    scores_2565 = {
        1: "90.10",
        2: "88.00",
        3: "91.25",
        4: "89.50",
        5: "90.00",
        6: "85.30",
        7: "80.15",
        8: "86.00",
        9: "75.00",
        10: "70.50",
    }
    save_scores(org, 2565, actor=None, now=now, scores={n: v for n, v in scores_2565.items() if n not in skip})
    if with_2564:
        save_scores(
            org,
            2564,
            actor=None,
            now=now,
            scores={1: "85", 2: "88", 3: "90", 4: "92.50", 5: "80", 6: "85.30", 7: "82", 8: "84", 9: "60", 10: "70.50"},
            contexts={"national": ContextInput(score="81.25")},
        )
    db.session.commit()
    return plan, admin


def test_another_organization_gets_its_own_memo(banpet):
    plan, _ = other_organization()
    memo = build_memo(plan, memo_date=date(2022, 11, 15))
    document = readable_docx(memo_docx(memo))
    text = text_of(document)
    html = re.sub(r"<[^>]+>", "", render_memo_html(memo))  # the text, without the no-break spans
    for output in (text, html):
        assert "บ้านเป็ด" not in output and "ขอนแก่น" not in output and "สมศรี" not in output
        assert "เทศบาลตำบลหนองบัว" in output and "นายกเทศมนตรีตำบลหนองบัว" in output
        assert "กองคลัง เทศบาลตำบลหนองบัว" in output and "จัดทำเพจของเทศบาล" in output
    # 2565: IIT 89.77, EIT 83.82, OIT 72.75 → 26.931 + 25.146 + 29.1 = 81.177 → 81.18 (B);
    # 2564: IIT 87.10, EIT 83.77, OIT 65.25 → 26.13 + 25.131 + 26.1 = 77.361 → 77.36 (B).
    # The national row is known for 2564 only; there is no provincial row.
    table1 = table_starting(document, "ผลการประเมิน")
    assert [cells(r) for r in table1.rows[2:]] == [
        ["ภาพรวมระดับประเทศ", "๘๑.๒๕", "B", "–", "–", "–"],
        ["ภาพรวมหน่วยงาน", "๗๗.๓๖", "B", "๘๑.๑๘", "B", "เพิ่มขึ้น ๓.๘๒"],
    ]
    assert "เทศบาลตำบลหนองบัวมีคะแนนภาพรวมหน่วยงานเพิ่มขึ้น ๓.๘๒ คะแนน และยังคงอยู่ในระดับ B" in text
    table3 = table_starting(document, "เครื่องมือการประเมิน")
    assert [cells(r)[1:] for r in table3.rows[1:]] == [
        ["๘๗.๑๐", "๘๙.๗๗", "เพิ่มขึ้น ๒.๖๗"],
        ["๘๓.๗๗", "๘๓.๘๒", "เพิ่มขึ้น ๐.๐๕"],
        ["๖๕.๒๕", "๗๒.๗๕", "เพิ่มขึ้น ๗.๕๐"],
    ]
    assert "พบว่าตัวชี้วัดที่ ๒ การใช้งบประมาณ มีผลคะแนนเท่ากับ ๘๘.๐๐" in text
    assert "พบว่าตัวชี้วัดที่ ๗ ประสิทธิภาพการสื่อสาร มีผลคะแนนเท่ากับ ๘๐.๑๕" in text
    assert "พบว่าตัวชี้วัดที่ ๑๐ การป้องกันการทุจริต มีผลคะแนนเท่ากับ ๗๐.๕๐" in text
    # OIT 72.75 is level C, the framework's fourth: "พอใช้", and the advice is to improve.
    assert "มีค่าคะแนนเท่ากับ ๗๒.๗๕ คะแนน ผลคะแนนในภาพรวม พบว่าอยู่ในระดับพอใช้ ควรเร่งปรับปรุง" in text
    assert "(สมหญิง ตั้งใจ)" in text
    measures = table_starting(document, "ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อนที่ต้องแก้ไข")
    assert [cells(r) for r in measures.rows[1:]] == [
        [
            "๑. ประสิทธิภาพการสื่อสาร ประชาชนไม่ทราบช่องทางติดต่อ",
            "โครงการเพิ่มช่องทางการสื่อสาร",
            "๑) จัดทำเพจของเทศบาล",
            "กองคลัง",
            "ก.พ. – มิ.ย. ๒๕๖๖",
            "จำนวนช่องทาง",
        ]
    ]


# -- missing scores ----------------------------------------------------------------------------


def test_missing_scores_say_which_years_and_indicators(banpet):
    # No 2564 at all is a first year (the memo says there is no comparison); a gap in 2565 is not.
    plan, _ = other_organization(with_2564=False, skip=(4, 7))
    with pytest.raises(MissingScores) as caught:
        build_memo(plan, memo_date=date(2022, 11, 15))
    message = str(caught.value)
    assert "2564" not in message.split("(the memo")[0].replace("ปีงบประมาณ 2565 ไม่ได้", "")
    assert "ปีงบประมาณ 2565 ขาดคะแนน ตัวชี้วัดที่ 4 การใช้ทรัพย์สินของราชการ, ตัวชี้วัดที่ 7 ประสิทธิภาพการสื่อสาร" in message
    assert isinstance(caught.value, ServiceError)


def test_missing_scores_are_a_400_and_exit_1(banpet, login, runner, tmp_path):
    plan, admin = other_organization(skip=(4,))
    client = login(admin)
    for url in (f"/plans/{plan.id}/memo.docx", f"/plans/{plan.id}/memo.pdf", f"/plans/{plan.id}/memo"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "ปีงบประมาณ 2565 ขาดคะแนน ตัวชี้วัดที่ 4" in response.get_data(as_text=True)
    out = tmp_path / "memo.docx"
    result = runner.invoke(args=["analysis", "--org", "nongbua", "--year", "2566", "--format", "docx", "-o", str(out)])
    assert result.exit_code == 1
    assert "ปีงบประมาณ 2565 ขาดคะแนน ตัวชี้วัดที่ 4" in result.output
    assert "Traceback" not in result.output and not out.exists()


# -- the command line ---------------------------------------------------------------------------


def test_tracker_analysis_writes_the_docx(banpet, runner, tmp_path):
    out = tmp_path / "o42.docx"
    result = runner.invoke(
        args=[
            "analysis",
            "--org",
            "banpet",
            "--year",
            "๒๕๖๖",
            "--format",
            "docx",
            "-o",
            str(out),
            "--date",
            "12 ต.ค. 2565",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "ลงไฟล์" in result.output
    document = readable_docx(str(out))
    assert [cells(r) for r in table_starting(document, "ผลการประเมิน").rows[2:]] == TABLE1


def test_tracker_analysis_writes_the_pdf(banpet, runner, tmp_path, app):
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    pytest.importorskip("playwright.sync_api")
    app.config["TRACKER_CHROMIUM"] = CHROMIUM
    out = tmp_path / "o42.pdf"
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
            "12/10/2565",
        ]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--org", "nowhere", "--year", "2566"], "ไม่พบองค์กร"),
        (["--org", "banpet", "--year", "2570"], "ไม่มีแผนปีงบประมาณ 2570"),
        (["--org", "banpet", "--year", "สองพัน"], "ปีงบประมาณต้องเป็นตัวเลข"),
    ],
)
def test_tracker_analysis_refuses_clearly(banpet, runner, tmp_path, args, message):
    out = tmp_path / "x.docx"
    result = runner.invoke(args=["analysis", *args, "--format", "docx", "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()


# -- the web page ----------------------------------------------------------------------------------


def demo_user(result, role: Role):
    return next(u for u in result.users if u.role is role)


def test_everyone_of_the_organization_reads_the_memo_page(banpet, login):
    plan = banpet.plan
    for role in (Role.viewer, Role.owner, Role.manager):
        response = login(demo_user(banpet, role), DEMO_PASSWORD).get(f"/plans/{plan.id}/memo")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "บันทึกข้อความ" in body and "เพิ่มขึ้น ๑๔.๖๕" in body and "ลดลง ๕.๓๐" in body
        assert f"/plans/{plan.id}/memo.docx" in body
        assert 'name="findings-IIT"' not in body  # read only
    response = login(demo_user(banpet, Role.viewer), DEMO_PASSWORD).get(f"/plans/{plan.id}/memo.docx")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="O42-analysis-banpet-2566.docx"' in response.headers["Content-Disposition"]
    # The same memo as ODT, for LibreOffice (tests/test_official_odt.py lays it out); no other format.
    response = login(demo_user(banpet, Role.viewer), DEMO_PASSWORD).get(f"/plans/{plan.id}/memo.odt")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/vnd.oasis.opendocument.text"
    assert 'filename="O42-analysis-banpet-2566.odt"' in response.headers["Content-Disposition"]
    assert login(demo_user(banpet, Role.viewer), DEMO_PASSWORD).get(f"/plans/{plan.id}/memo.rtf").status_code == 404


def test_admin_edits_the_header_and_findings_journaled(banpet, login):
    plan = banpet.plan
    client = login(demo_user(banpet, Role.admin), DEMO_PASSWORD)
    page = client.get(f"/plans/{plan.id}/memo").get_data(as_text=True)
    assert 'name="findings-IIT"' in page and 'value="กยง ๔๙๔/๒๕๖๕"' in page and 'value="12/10/2565"' in page
    response = client.post(
        f"/plans/{plan.id}/memo",
        data={
            "office": SEED_OFFICE,
            "reference": "กยง ๕๐๐/๒๕๖๕",
            "memo_date": "๑๕ ต.ค. ๒๕๖๕",
            "addressee": "นายกเทศมนตรีตำบลบ้านเป็ด",
            "findings-IIT": "บุคลากรบางรายนำทรัพย์สินไปใช้",
            "findings-EIT": "",
            "findings-OIT": "",
        },
    )
    assert response.status_code == 302
    memo = build_memo(plan)
    assert memo.header.reference == "กยง ๕๐๐/๒๕๖๕" and memo.header.date_text == "๑๕ ตุลาคม ๒๕๖๕"
    assert memo.tools[0].findings == ["บุคลากรบางรายนำทรัพย์สินไปใช้"]
    entries = db.session.scalars(
        sa.select(JournalEntry).where(JournalEntry.entity == "analysis_memo", JournalEntry.actor_id.is_not(None))
    ).all()
    assert {(e.field, e.new_value) for e in entries} == {
        ("reference", "กยง ๕๐๐/๒๕๖๕"),
        ("memo_date", "2022-10-15"),
        ("addressee", "นายกเทศมนตรีตำบลบ้านเป็ด"),
        ("findings.IIT", "บุคลากรบางรายนำทรัพย์สินไปใช้"),
    }
    body = client.get(f"/plans/{plan.id}/memo").get_data(as_text=True)
    assert "บุคลากรบางรายนำทรัพย์สินไปใช้" in body


def test_a_bad_date_is_refused_and_nothing_saved(banpet, login):
    plan = banpet.plan
    client = login(demo_user(banpet, Role.admin), DEMO_PASSWORD)
    response = client.post(f"/plans/{plan.id}/memo", data={"reference": "ใหม่", "memo_date": "31/02/2566"})
    assert response.status_code == 400
    assert "ไม่มีวันที่ 31" in response.get_data(as_text=True)
    assert build_memo(plan).header.reference == "กยง ๔๙๔/๒๕๖๕"


def test_only_admins_edit_and_strangers_see_nothing(banpet, login):
    plan = banpet.plan
    viewer = login(demo_user(banpet, Role.viewer), DEMO_PASSWORD)
    assert viewer.post(f"/plans/{plan.id}/memo", data={"reference": "x"}).status_code == 403
    manager = login(demo_user(banpet, Role.manager), DEMO_PASSWORD)
    assert manager.post(f"/plans/{plan.id}/memo", data={"reference": "x"}).status_code == 403
    outsider = login(other_org_admin())
    for url in (f"/plans/{plan.id}/memo", f"/plans/{plan.id}/memo.docx", f"/plans/{plan.id}/memo.pdf"):
        assert outsider.get(url).status_code == 404
    assert outsider.post(f"/plans/{plan.id}/memo", data={"reference": "x"}).status_code == 404
    admin = login(demo_user(banpet, Role.admin), DEMO_PASSWORD)
    forged = admin.post(f"/plans/{plan.id}/memo", data={"reference": "x", "csrf_token": "bad"})
    assert forged.status_code == 400
    assert build_memo(plan).header.reference == "กยง ๔๙๔/๒๕๖๕"


def test_save_memo_journals_and_refuses_overlong_text(banpet):
    plan = banpet.plan
    with pytest.raises(ServiceError, match="ยาวเกิน 100"):
        save_memo(plan, None, bangkok(SEED_DAY), reference="ก" * 101)
    db.session.rollback()
    assert save_memo(plan, None, bangkok(SEED_DAY), reference="กยง ๔๙๔/๒๕๖๕") == []


def test_a_year_without_a_framework_is_said_plainly(banpet, runner, tmp_path):
    """The FY 2567 plan would analyse 2566, for which no framework ships."""
    result = runner.invoke(args=["rollover", "--org", "banpet", "--from", "2566"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "o42.docx"
    result = runner.invoke(args=["analysis", "--org", "banpet", "--year", "2567", "--format", "docx", "-o", str(out)])
    assert result.exit_code == 1
    assert "ยังไม่มีกรอบการประเมิน ITA ของปีงบประมาณ 2566" in result.output and not out.exists()
