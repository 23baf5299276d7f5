"""The follow-up results report (O43) as a Word document, for officers who edit
before they sign. Same content and order as the HTML/PDF version."""

from __future__ import annotations

from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Cm

from ..i18n import N_
from .docx_common import (
    add_hyperlink,
    add_paragraph,
    add_row,
    add_run,
    add_signature,
    add_table,
    document_bytes,
    new_document,
    set_cell_text,
    shade_cell,
)
from .docx_pages import add_page_numbers
from .followup_document import FollowupReport, MeasureRow
from .odt import odt_bytes

__all__ = ["followup_word", "followup_docx", "followup_odt"]

SMALL = 14  # pt: table text, still legible in TH SarabunPSK
#: "มาตรการที่" and "เลยกำหนด" (14 pt bold, 1.5 cm) fit their columns whole: LibreOffice split them letter-wise.
SUMMARY_WIDTHS = (1.9, 4.7, 2.1, 1.4, 1.9, 4.0)
#: The completion date ("๒๙ ก.ค. ๒๕๖๖" at 14 pt) fits its column on one line: never split between month and year.
STEP_WIDTHS = (1.3, 5.2, 2.9, 3.2, 3.4)
CHART_WIDTHS = (2.4, 10.0, 3.6)
BAR_FILL = "1B7A3A"
BAR_EMPTY = "E3E7EC"


def followup_docx(report: FollowupReport) -> bytes:
    return document_bytes(followup_word(report))


def followup_odt(report: FollowupReport) -> bytes:
    """The same document for LibreOffice, whose page numbers then print in Thai digits."""
    return odt_bytes(followup_word(report))


def followup_word(report: FollowupReport) -> DocumentObject:
    """The report as a python-docx document: what the DOCX and the ODT are made of."""
    f = report.f
    s = report.summary
    doc = new_document()
    add_page_numbers(doc, thai_digits=report.thai_digits)

    lines = report.heading_lines()
    for line in lines:
        add_paragraph(doc, line, bold=True, align="center")
    add_paragraph(doc)

    add_paragraph(doc, f.t("1. สรุปผลการดำเนินการ"), bold=True, keep_with_next=True)
    text = (
        f"{report.organization} ได้ดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน "
        f"ประจำปีงบประมาณ พ.ศ. {report.fiscal_year} จำนวน {s.measures} มาตรการ "
        f"ข้อมูล ณ วันที่ {f.date(report.as_of, 'full')} ดำเนินการแล้ว {s.done} ขั้นตอน "
        f"จากทั้งหมด {s.total} ขั้นตอน คิดเป็นร้อยละ {s.percent}"
    )
    if s.overdue:
        text += f" เลยกำหนดและยังไม่แล้วเสร็จ {s.overdue} ขั้นตอน"
    if s.cancelled:
        text += f" ยกเลิก {s.cancelled} ขั้นตอน (ไม่นับรวม)"
    if s.measures:
        text += f" บันทึกผลการติดตามแล้ว {s.results_recorded} จาก {s.measures} มาตรการ"
    add_paragraph(doc, f.t(text), first_line_cm=2.5, space_after_pt=4)

    table = add_table(
        doc,
        ["มาตรการที่", "มาตรการ / ผู้รับผิดชอบ", "ดำเนินการแล้ว / ทั้งหมด", N_("ร้อยละ"), "เลยกำหนด", "ผลการติดตาม"],
        SUMMARY_WIDTHS,
        size_pt=SMALL,
    )
    centre = ["center", "left", "center", "center", "center", "left"]
    for m in report.measures:
        progress = [f.t(f"{m.done} / {m.total}")] + ([f.t(f"ยกเลิก {m.cancelled}")] if m.cancelled else [])
        add_row(
            table,
            [
                f.t(m.number),
                [f.t(m.title), f.t(m.department)],
                progress,
                f.t(m.percent),
                f.t(m.overdue),
                _result_short(m, report),
            ],
            size_pt=SMALL,
            align=centre,
        )
    if report.measures:
        cells = add_row(
            table,
            [
                "รวม",
                "",
                f.t(f"{s.done} / {s.total}"),
                f.t(s.percent),
                f.t(s.overdue),
                f.t(f"{s.results_recorded} / {s.measures} มาตรการ"),
            ],
            size_pt=SMALL,
            bold=True,
            align=centre,
        )
        cells[0].merge(cells[1])
    else:
        add_row(table, ["", "แผนนี้ยังไม่มีมาตรการ", "", "", "", ""], size_pt=SMALL)

    if report.measures:
        add_paragraph(
            doc, "ความคืบหน้ารายมาตรการ (ร้อยละของขั้นตอนที่ดำเนินการแล้ว)", bold=True, space_before_pt=6, keep_with_next=True
        )
        _chart(doc, report)

    part2 = add_paragraph(doc, f.t("2. ผลการดำเนินการรายมาตรการ"), bold=True, space_before_pt=8, keep_with_next=True)
    # Part 2 opens a page: after the chart LibreOffice left its heading alone at the foot of
    # page 1 (its keep-with-next chain runs into a table whose first row is tall).
    part2.paragraph_format.page_break_before = True
    for w in report.weaknesses:
        add_paragraph(doc, f.t(f"ประเด็นที่ {w.order} {w.title}"), bold=True, space_before_pt=6, keep_with_next=True)
        for m in w.measures:
            _measure(doc, report, m)
    if not report.weaknesses:
        add_paragraph(doc, "แผนนี้ยังไม่มีประเด็น")

    _signatures(doc, report)
    _signoff(doc, report)
    return doc


def _result_short(m: MeasureRow, report: FollowupReport) -> str:
    f = report.f
    if m.result and m.result.recorded:
        text = m.result.figure(f) or f.t(m.result.note)
        return text if len(text) <= 80 else text[:79] + "…"
    return "ยังไม่บันทึก"


def _chart(doc, report: FollowupReport) -> None:
    """One row per measure: its number, a bar of shaded cells, the figures."""
    f = report.f
    table = add_table(doc, ["มาตรการที่", "ความคืบหน้า", "ร้อยละ (แล้ว/ทั้งหมด)"], CHART_WIDTHS, size_pt=SMALL)
    for m in report.measures:
        cells = add_row(
            table,
            [f.t(m.number), "", f.t(f"{m.percent}% ({m.done}/{m.total})")],
            size_pt=SMALL,
            align=["center", "left", "center"],
        )
        _bar(cells[1], m.percent, CHART_WIDTHS[1] - 0.3)


def _bar(cell, percent: int, width_cm: float) -> None:
    bar = cell.add_table(rows=1, cols=2 if 0 < percent < 100 else 1)
    bar.autofit = False
    bar.alignment = WD_TABLE_ALIGNMENT.LEFT
    widths = [width_cm * percent / 100, width_cm * (100 - percent) / 100] if 0 < percent < 100 else [width_cm]
    fills = [BAR_FILL, BAR_EMPTY] if 0 < percent < 100 else [BAR_FILL if percent >= 100 else BAR_EMPTY]
    for column, bar_cell, width, fill in zip(bar.columns, bar.rows[0].cells, widths, fills):
        column.width = Cm(width)
        bar_cell.width = Cm(width)
        shade_cell(bar_cell, fill)
        set_cell_text(bar_cell, "", size_pt=8)
    # A cell must end with a paragraph; drop the empty one before the bar to keep rows tight.
    first = cell.paragraphs[0]
    if not first.text:
        first._p.getparent().remove(first._p)


def _measure(doc, report: FollowupReport, m: MeasureRow) -> None:
    f = report.f
    add_paragraph(doc, f.t(f"มาตรการที่ {m.number} {m.title}"), bold=True, space_before_pt=4, keep_with_next=True)
    facts = add_paragraph(doc, keep_with_next=True)
    add_run(facts, "ผู้รับผิดชอบ ", bold=True)
    add_run(facts, f.t(m.department) + "  ")
    add_run(facts, "ระยะเวลา ", bold=True)
    add_run(facts, f.period(m.period_start, m.period_end) + "  ")
    add_run(facts, "ความคืบหน้า ", bold=True)
    progress = f.t(f"{m.done}/{m.total} ขั้นตอน (ร้อยละ {m.percent})")
    if m.overdue:
        progress += f.t(f" เลยกำหนด {m.overdue} ขั้นตอน")
    add_run(facts, progress)

    table = add_table(
        doc,
        ["ลำดับ", "วิธีการดำเนินการ", "สถานะ", "วันที่แล้วเสร็จ", "ผลการดำเนินการ / หลักฐาน"],
        STEP_WIDTHS,
        size_pt=SMALL,
    )
    for st in m.steps:
        title = [f.t(st.title)] + ([f.t(st.department)] if st.department != m.department else [])
        status = [st.status_label] + ([f"เลยกำหนด ({f.date(st.due_date)})"] if st.overdue else [])
        if st.cancelled and st.cancel_reason:
            note = f.t(f"เหตุผลที่ยกเลิก: {st.cancel_reason}")
        elif st.note:
            who = ", ".join(x for x in (f.t(st.note_by), f.date(st.note_on)) if x)
            note = f.t(st.note) + (f" ({who})" if who else "")
        else:
            note = "" if st.evidence else "–"
        cells = add_row(
            table,
            [f.t(st.number), title, status, f.date(st.completed_on) if st.completed_on else "–", note],
            size_pt=SMALL,
            align=["center", "left", "left", "center", "left"],
        )
        reuse_first = not note  # an empty cell: its first paragraph takes the first link
        for ev in st.evidence:
            paragraph = cells[4].paragraphs[0] if reuse_first else cells[4].add_paragraph()
            reuse_first = False
            add_hyperlink(paragraph, ev.url, f.t(ev.name), size_pt=SMALL)
    if not m.steps:
        add_row(table, ["", "มาตรการนี้ยังไม่มีขั้นตอน", "", "", ""], size_pt=SMALL)

    follow = add_paragraph(doc, space_before_pt=4)
    add_run(follow, "การติดตามผล ", bold=True)
    add_run(follow, f.t(m.follow_up) or "–")
    result = add_paragraph(doc)
    add_run(result, "ผลการติดตาม ", bold=True)
    r = m.result
    if r and r.recorded:
        parts = [p for p in (r.figure(f), f.t(r.note)) if p]
        if r.updated_on:
            parts.append(f"(บันทึกเมื่อ {f.date(r.updated_on)})")
        add_run(result, " ".join(parts))
        for ev in r.evidence:
            paragraph = add_paragraph(doc, "หลักฐาน: ", indent_cm=1)
            add_hyperlink(paragraph, ev.url, f.t(ev.name))
    else:
        add_run(result, "ยังไม่ได้บันทึกผล")


def _signatures(doc, report: FollowupReport) -> None:
    f = report.f
    add_paragraph(doc)
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    for cell, person in zip(table.rows[0].cells, (report.reporter, report.reviewer)):
        cell.width = Cm(8)
        add_signature(cell, person.label, f.t(person.name), f.t(person.position), indent_cm=0)
        first = cell.paragraphs[0]
        if not first.text:
            first._p.getparent().remove(first._p)


SIGNOFF_WIDTHS = (1.4, 6.2, 4.8, 3.6)


def _signoff(doc, report: FollowupReport) -> None:
    """The sign-off chain (reports/signoff.py), when the report was submitted."""
    chain = report.signoff
    if chain is None:
        return
    f = report.f
    add_paragraph(doc, f"การพิจารณาตามลำดับ ({chain.status_label})", bold=True, space_before_pt=12, keep_with_next=True)
    table = add_table(doc, ["ลำดับ", "ผู้พิจารณา", "ความเห็น", "วันที่"], SIGNOFF_WIDTHS, size_pt=SMALL)
    for e in chain.entries:
        status = f.t(e.comment) if e.done else ("รอการพิจารณา" if e.is_next else "ยังไม่ถึงลำดับ")
        add_row(
            table,
            [
                f.t(e.order),
                [f.t(e.name)] + ([f.t(e.position)] if e.position else []),
                status,
                f.date(e.acknowledged_at, "full") if e.done else "–",
            ],
            size_pt=SMALL,
            align=["center", "left", "left", "center"],
        )
