"""The OpenDocument (ODT) downloads of the official documents (issue 13), read back
with the real tools: LibreOffice lays them out headless; its PDF is read with
pdftotext, pdffonts and pdfimages.

Why an ODT: LibreOffice's DOCX import has no mapping for Word's Thai page-number
format, so a DOCX shows "- 2 -" there (tests/test_official_documents.py). The ODT
is the same document (translated from the Word document the DOCX writer builds),
whose page numbers LibreOffice prints "- ๒ -". Pages are rendered to PNG under
test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import collections
import html
import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document

from tests.report_factory import pdf_text, split_words
from tests.test_official_documents import (  # noqa: F401  (fixtures)
    SEED_DAY,
    admin_client,
    banpet,
    embedded_fonts,
    endorsement_chain,
    libreoffice,
    render_pngs,
    text_sizes,
    upload_emblem,
)
from tracker import thaidate
from tracker.db import db
from tracker.reports.docx_common import new_document
from tracker.reports.odt import ODT_MIMETYPE, odt_bytes
from tracker.reports.odt_body import UnsupportedContent

ODT_NS = {
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
}
PAGE_NUMBER = re.compile(r"^-\s*([0-9๐-๙]+)\s*-$")
CM = 72 / 2.54  # points


@dataclass
class Page:
    #: the words above the text area (2.4 cm from the top): the page number, if any
    header: str
    #: (xMin, xMax, word) of the words below it, in pdftotext's reading order
    words: list[tuple[float, float, str]]

    @property
    def text(self) -> str:
        return " ".join(w for _x0, _x1, w in self.words)


def read_pages(pdf: Path) -> list[Page]:
    """The PDF's pages as pdftotext -bbox reads them."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", xml, re.S):
        header, words = [], []
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page
        ):
            x0, x1, y1, word = float(m.group(1)), float(m.group(2)), float(m.group(3)), html.unescape(m.group(4))
            (header if y1 < 2.4 * CM else words).append((x0, x1, word))
        pages.append(Page(" ".join(w for _a, _b, w in header), words))
    return pages


def page_numbers(pages: list[Page]) -> list[str | None]:
    """The number of each page's "- ๒ -", None where there is none."""
    return [m.group(1) if (m := PAGE_NUMBER.match(page.header)) else None for page in pages]


def body_text(pages: list[Page]) -> str:
    """The pages' text without page numbers or any white space: what both files must say."""
    return "".join(w for page in pages for _x0, _x1, w in page.words)


def odt_paragraphs(data: bytes) -> list[str]:
    """The text of every paragraph of an ODT's body (tables included), in order."""
    from lxml import etree

    def text(el) -> str:
        tag = etree.QName(el).localname
        if tag == "s":
            own = " " * int(el.get(f"{{{ODT_NS['text']}}}c", "1"))
        elif tag == "tab":
            own = "\t"
        elif tag in ("page-number", "frame"):
            own = ""
        else:
            own = (el.text or "") + "".join(text(child) + (child.tail or "") for child in el)
        return own

    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("content.xml"))
    return [text(p) for p in root.iter(f"{{{ODT_NS['text']}}}p")]


def docx_paragraphs(data: bytes) -> list[str]:
    """The text of every paragraph of a DOCX's body (tables included), in order; not the
    empty paragraph of a cell covered by the one above it (w:vMerge), which Word hides."""
    from docx.oxml.ns import qn

    body = Document(io.BytesIO(data)).element.body
    covered = {
        p
        for tc in body.iter(qn("w:tc"))
        for merge in tc.iterfind(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
        if merge.get(qn("w:val"), "continue") == "continue"
        for p in tc.iter(qn("w:p"))
    }
    return [
        "".join(
            t.text or "" if t.tag == qn("w:t") else "\t"
            for r in p.iter(qn("w:r"))
            for t in r
            if t.tag in (qn("w:t"), qn("w:tab"))
        )
        for p in body.iter(qn("w:p"))
        if p not in covered
    ]


def check_package(data: bytes) -> zipfile.ZipFile:
    """An ODF package: "mimetype" first and stored, a manifest naming every part."""
    package = zipfile.ZipFile(io.BytesIO(data))
    first = package.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert package.read("mimetype").decode() == ODT_MIMETYPE
    manifest = package.read("META-INF/manifest.xml").decode()
    for name in package.namelist():
        if name not in ("mimetype", "META-INF/manifest.xml"):
            assert f'manifest:full-path="{name}"' in manifest, name
    return package


def check_official_layout(odt: Path, pdf: Path, docx_pdf: Path, *, thai: bool) -> list[Page]:
    """What an ODT of an official document is in LibreOffice; returns its PDF's pages."""
    styles = zipfile.ZipFile(odt).read("styles.xml").decode()
    # TH SarabunPSK 16 pt named for every script, the official margins.
    for slot in ("style:font-name", "style:font-name-asian", "style:font-name-complex"):
        assert f'{slot}="TH SarabunPSK"' in styles, slot
    assert 'style:font-size-complex="16pt"' in styles
    assert 'fo:margin-left="3.000cm"' in styles and 'fo:margin-right="2.000cm"' in styles
    pages = read_pages(pdf)
    numbers = page_numbers(pages)
    assert len(pages) >= 2 and numbers[0] is None, numbers  # none on page 1
    want = [thaidate.to_thai_digits(str(n)) if thai else str(n) for n in range(2, len(pages) + 1)]
    assert numbers[1:] == want, numbers
    # The bundled face standing in for TH SarabunPSK, embedded.
    for row in embedded_fonts(pdf):
        assert row[0].split("+")[-1].startswith("LaksamanOfficial"), row
        assert row[-5] == "yes", row
    # The text at 16 pt, tables at their own sizes: the sizes the DOCX prints.
    sizes = text_sizes(pdf)
    assert 16.0 in sizes and set(sizes) == set(text_sizes(docx_pdf)), (sizes, text_sizes(docx_pdf))
    # Page 1's text starts 3 cm from the left edge and ends at least 2 cm from the right.
    left, right = min(w[0] for w in pages[0].words), max(w[1] for w in pages[0].words)
    assert 3 * CM - 2 <= left <= 3 * CM + 8, left
    assert right <= 21 * CM - 2 * CM + 1, right
    # Lines end between words only, as in the DOCX; the text is the DOCX's text.
    text = pdf_text(pdf, layout=False)
    assert split_words(text) == [], split_words(text)[:5]
    assert "\u2060" not in text and "\u200b" not in text
    # The same characters printed as from the DOCX (a table cell may wrap at another word,
    # which changes pdftotext's reading order: the paragraphs' own text is compared exactly
    # in the files).
    assert collections.Counter(body_text(pages)) == collections.Counter(body_text(read_pages(docx_pdf)))
    return pages


def test_the_memo_as_odt_prints_thai_page_numbers_in_libreoffice(banpet, libreoffice, login, tmp_path, artifacts_dir):
    client = admin_client(banpet, login)
    assert upload_emblem(client).status_code == 302
    endorsement_chain(banpet)
    page = client.get(f"/plans/{banpet.id}/memo").get_data(as_text=True)
    assert f'href="/plans/{banpet.id}/memo.odt"' in page and "ดาวน์โหลด OpenDocument (ODT) สำหรับ LibreOffice" in page
    response = client.get(f"/plans/{banpet.id}/memo.odt")
    assert response.status_code == 200 and response.content_type == ODT_MIMETYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and ".odt" in disposition
    odt_data = response.data
    docx_data = client.get(f"/plans/{banpet.id}/memo.docx").data
    assert odt_paragraphs(odt_data) == docx_paragraphs(docx_data)  # the same document, paragraph by paragraph
    package = check_package(odt_data)
    assert any(name.startswith("Pictures/") for name in package.namelist())  # the emblem

    odt, docx = tmp_path / "memo-odt.odt", tmp_path / "memo-docx.docx"
    odt.write_bytes(odt_data)
    docx.write_bytes(docx_data)
    pdf = libreoffice(odt, docx)
    shutil.copy(pdf, artifacts_dir / "official-memo-odt-libreoffice.pdf")
    pages = check_official_layout(odt, pdf, docx.with_suffix(".pdf"), thai=True)
    first = pages[0].text
    for expected in ("บันทึกข้อความ", "ส่วนราชการ", "ที่ กยง ๔๙๔/๒๕๖๕", "วันที่ ๑๒ ตุลาคม ๒๕๖๕", "(ลงชื่อ)"):
        assert expected in first, expected
    everything = " ".join(page.header + " " + page.text for page in pages)
    assert "ความเห็นผู้อำนวยการกองยุทธศาสตร์และงบประมาณ เห็นควรเสนอปลัดเทศบาลเพื่อโปรดพิจารณา" in everything
    assert not re.search(r"[0-9]", everything)  # Thai digits only, page numbers included
    # The emblem, 1.5 cm high, on page 1 (at the left of the heading).
    images = subprocess.run(
        ["pdfimages", "-list", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert images and images[0].split()[2] == "image", images
    columns = images[0].split()  # LibreOffice resamples it: pixels / ppi is its printed size
    assert abs(int(columns[4]) / int(columns[13]) * 2.54 - 1.5) < 0.05, images
    # The measures table on pages across, as in the DOCX.
    info = subprocess.run(["pdfinfo", "-l", "99", str(pdf)], capture_output=True, text=True).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    assert float(sizes[0][0]) < float(sizes[0][1]) and float(sizes[-1][0]) > float(sizes[-1][1]), sizes
    render_pngs(pdf, artifacts_dir, "official-memo-odt-libreoffice")
    render_pngs(docx.with_suffix(".pdf"), artifacts_dir, "official-memo-docx-libreoffice")


def test_the_report_and_its_covering_memo_as_odt(banpet, libreoffice, login, tmp_path, artifacts_dir):
    client = admin_client(banpet, login)
    upload_emblem(client)
    page = client.get(f"/plans/{banpet.id}/report?as_of=2023-08-01").get_data(as_text=True)
    link = re.search(r'href="(/plans/\d+/report\.odt\?[^"]*)">OpenDocument \(ODT\) สำหรับ LibreOffice<', page)
    assert link, "no ODT link on the report page"
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and response.content_type == ODT_MIMETYPE
    docx_data = client.get(f"/plans/{banpet.id}/report.docx?as_of=2023-08-01&thai_digits=1").data
    assert odt_paragraphs(response.data) == docx_paragraphs(docx_data)
    check_package(response.data)
    cover = client.post(
        f"/plans/{banpet.id}/report/cover",
        data={"as_of": "2023-08-01", "format": "odt", "memo_date": "3/8/2566", "reference": "กยง ๕๐๑/๒๕๖๖"},
    )
    assert cover.status_code == 200 and cover.content_type == ODT_MIMETYPE
    assert any(n.startswith("Pictures/") for n in check_package(cover.data).namelist())

    odt, docx, cover_odt = tmp_path / "report-odt.odt", tmp_path / "report-docx.docx", tmp_path / "cover.odt"
    odt.write_bytes(response.data)
    docx.write_bytes(docx_data)
    cover_odt.write_bytes(cover.data)
    pdf = libreoffice(odt, docx, cover_odt)
    shutil.copy(pdf, artifacts_dir / "official-report-odt-libreoffice.pdf")
    pages = check_official_layout(odt, pdf, docx.with_suffix(".pdf"), thai=True)
    assert "ข้อมูล ณ วันที่ ๑ สิงหาคม ๒๕๖๖" in pages[0].text
    render_pngs(pdf, artifacts_dir, "official-report-odt-libreoffice")
    render_pngs(docx.with_suffix(".pdf"), artifacts_dir, "official-report-docx-libreoffice")
    cover_text = " ".join(page.text for page in read_pages(cover_odt.with_suffix(".pdf")))
    assert "ที่ กยง ๕๐๑/๒๕๖๖" in cover_text and "วันที่ ๓ สิงหาคม ๒๕๖๖" in cover_text
    images = subprocess.run(
        ["pdfimages", "-list", str(cover_odt.with_suffix(".pdf"))], capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert images and images[0].split()[0] == "1"  # the emblem, on page 1
    render_pngs(cover_odt.with_suffix(".pdf"), artifacts_dir, "official-cover-odt-libreoffice")


def test_arabic_digits_when_the_organization_chooses_them(banpet, libreoffice, login, runner, tmp_path):
    client = admin_client(banpet, login)
    assert client.post("/admin/documents", data={}).status_code == 302  # Thai digits off
    db.session.expire_all()
    out = tmp_path / "report.odt"
    result = runner.invoke(
        args=["report", "--org", "banpet", "--year", "2566", "--as-of", "2023-08-01", "--format", "odt", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    memo = tmp_path / "memo.odt"
    result = runner.invoke(
        args=[
            "analysis",
            "--org",
            "banpet",
            "--year",
            "2566",
            "--format",
            "odt",
            "-o",
            str(memo),
            "--date",
            "12/10/2565",
        ]
    )
    assert result.exit_code == 0, result.output
    libreoffice(out, memo)
    for path in (out, memo):
        pages = read_pages(path.with_suffix(".pdf"))
        assert page_numbers(pages)[1:] == [str(n) for n in range(2, len(pages) + 1)], path.name
    # The memo's text too (the report keeps digits typed in its data as they were: the DOCX's text).
    assert not re.search("[๐-๙]", " ".join(page.header + page.text for page in read_pages(memo.with_suffix(".pdf"))))


def test_the_commands_write_odt(banpet, runner, tmp_path):
    cover = tmp_path / "cover.odt"
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
            "odt",
            "-o",
            str(cover),
            "--cover",
            "--date",
            "5 เม.ย. 2566",
        ]
    )
    assert result.exit_code == 0, result.output
    check_package(cover.read_bytes())
    # (the joiners that keep a date on one line aside)
    said = [
        p.replace("\u2060", "").replace("\u200b", "").replace("\xa0", " ") for p in odt_paragraphs(cover.read_bytes())
    ]
    assert any("วันที่ ๕ เมษายน ๒๕๖๖" in p for p in said), said[:12]
    refused = runner.invoke(
        args=[
            "report",
            "--org",
            "banpet",
            "--year",
            "2566",
            "--format",
            "xlsx",
            "-o",
            str(cover),
            "--cover",
            "--date",
            "5/4/2566",
        ]
    )
    assert refused.exit_code == 2 and "pdf, docx หรือ odt" in refused.output


def test_a_construct_the_translation_does_not_know_is_refused(app):
    """A writer that grows something new must teach the translation: never a silently lost text."""
    doc = new_document()
    paragraph = doc.add_paragraph()
    run = paragraph.add_run()
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, " NUMPAGES "), ("separate", None), (None, "9"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText" if "NUMPAGES" in text else "w:t")
            el.text = text
        run._r.append(el)
    with pytest.raises(UnsupportedContent, match="NUMPAGES"):
        odt_bytes(doc)
    fine = new_document()
    fine.add_paragraph("ข้อความ  สองช่อง")
    assert odt_paragraphs(odt_bytes(fine)) == ["ข้อความ  สองช่อง"]
