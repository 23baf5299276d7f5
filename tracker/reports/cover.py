"""The covering memo (บันทึกข้อความ) of the O43 follow-up report: the same form as the
O42 memo — ครุฑ, ส่วนราชการ / ที่ / วันที่ / เรื่อง / เรียน, signature and the report's
endorsement chain — saying what the attached report shows as of its date.

Its date is always given (web form field, `tracker report --cover --date`): a covering
memo about a past round never takes today's date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .. import thaidate
from ..errors import ServiceError
from ..i18n import N_, _, thai_only
from ..orgs.documents import data_uri, emblem_bytes
from ..orgs.models import Organization
from ..plans.models import Plan
from .followup_document import FollowupReport
from .memo_document import FINDINGS_LIMIT, MemoHeader, Signer
from .memo_saved import default_addressee, default_office
from .signoff import Chain

__all__ = ["CoverMemo", "build_cover", "render_cover_html", "cover_docx", "cover_filename", "COVER_DATE_REQUIRED"]

COVER_DATE_REQUIRED = N_("ยังไม่ได้ระบุวันที่ของบันทึกข้อความนำส่ง บันทึกจะไม่ใช้วันที่ของวันนี้ให้เอง (กรอกวันที่ หรือใช้ตัวเลือก --date ในคำสั่ง)")


@dataclass
class CoverMemo:
    header: MemoHeader
    sections: list[tuple[str, list[str]]]
    author: Signer
    signoff: Chain | None
    organization_slug: str
    fiscal_year: int
    emblem: tuple[bytes, str] | None = None
    thai_digits: bool = True
    title: str = field(default="")

    @property
    def emblem_uri(self) -> str | None:
        return data_uri(self.emblem)


@thai_only
def build_cover(
    plan: Plan,
    report: FollowupReport,
    *,
    memo_date: date | None,
    reference: str = "",
    office: str = "",
    addressee: str = "",
    findings: str = "",
) -> CoverMemo:
    """The covering memo of `report`; refuses (ServiceError) without a date."""
    if memo_date is None:
        raise ServiceError(_(COVER_DATE_REQUIRED))
    if len(findings or "") > FINDINGS_LIMIT:
        raise ServiceError(_("ข้อค้นพบยาวเกิน %(findings_limit)s ตัวอักษร", findings_limit=FINDINGS_LIMIT))
    organization: Organization = plan.organization
    f = report.f
    digits = report.thai_digits
    summary = report.summary
    round_part = f" {report.round_label}" if report.round_label else ""
    item = f" ({report.items.followup.label})" if report.items.followup is not None else ""
    office = (office or "").strip() or default_office(plan)
    unit = next((w for w in reversed(office.split()) if w.startswith(("กอง", "สำนัก"))), office)
    facts = (
        f"{unit} ได้ติดตามผลการดำเนินการตามมาตรการดังกล่าว ข้อมูล ณ วันที่ {f.date(report.as_of, 'full')} "
        f"มีมาตรการ {summary.measures} มาตรการ ขั้นตอนการดำเนินงาน {summary.total} ขั้นตอน "
        f"ดำเนินการแล้ว {summary.done} ขั้นตอน คิดเป็นร้อยละ {summary.percent}"
        + (f" ยกเลิก {summary.cancelled} ขั้นตอน" if summary.cancelled else "")
        + (f" เกินกำหนด {summary.overdue} ขั้นตอน" if summary.overdue else "")
        + " รายละเอียดตามรายงานที่แนบมาพร้อมนี้"
    )
    extra = [p.strip() for p in (findings or "").splitlines() if p.strip()]
    sections = [
        (
            "๑. เรื่องเดิม",
            [
                f"ตามที่{report.organization}ได้จัดทำมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน "
                f"ตามผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA) "
                f"ปีงบประมาณ พ.ศ. {report.assessed_year or report.fiscal_year - 1} "
                f"เพื่อดำเนินการในปีงบประมาณ พ.ศ. {report.fiscal_year} นั้น"
            ],
        ),
        ("๒. ข้อเท็จจริง", [facts, *extra]),
        (
            "๓. ข้อพิจารณา/ข้อเสนอ",
            [f"จึงเรียนมาเพื่อโปรดทราบ และพิจารณาให้เผยแพร่{report.title}{round_part}{item} บนเว็บไซต์ของหน่วยงาน"],
        ),
    ]
    subject = f"{report.title} ประจำปีงบประมาณ พ.ศ. {report.fiscal_year}{round_part}"

    def t(text: str) -> str:
        return thaidate.to_thai_digits(text) if digits else thaidate.to_arabic_digits(text)

    header = MemoHeader(
        office=t(office),
        reference=t((reference or "").strip()),
        memo_date=memo_date,
        subject=t(subject),
        addressee=t((addressee or "").strip() or default_addressee(organization)),
    )
    return CoverMemo(
        header=header,
        sections=[(t(h), [t(p) for p in paragraphs]) for h, paragraphs in sections],
        author=Signer(t(report.reporter.name), t(report.reporter.position)),
        signoff=report.signoff,
        organization_slug=report.organization_slug,
        fiscal_year=report.fiscal_year,
        emblem=emblem_bytes(organization),
        thai_digits=digits,
        title=t(f"บันทึกข้อความนำส่ง{subject}"),
    )


@thai_only
def render_cover_html(cover: CoverMemo) -> str:
    from flask import render_template

    from .fonts import FONT_FAMILY, font_faces
    from .memo_document import arabic_document
    from .thaiwrap import keep_together

    html = keep_together(
        render_template("reports/cover.html", m=cover, fonts=font_faces(embed=True), font_family=FONT_FAMILY)
    )
    return html if cover.thai_digits else arabic_document(html)


def render_cover_pdf(cover: CoverMemo) -> bytes:
    """The covering memo as PDF/A, with the continuation marker at the foot of each page that continues."""
    from .continuation import html_to_pdf_with_markers

    return html_to_pdf_with_markers(render_cover_html(cover))


@thai_only
def cover_docx(cover: CoverMemo) -> bytes:
    from docx.shared import Cm

    from .docx_common import add_paragraph, add_run, document_bytes, endorsement_chain, memo_heading, new_document
    from .docx_pages import arabic_digits

    doc = new_document()
    memo_heading(doc, cover.emblem)
    h = cover.header

    def labelled(label: str, text: str):
        paragraph = add_paragraph(doc, space_after_pt=2)
        add_run(paragraph, label, bold=True, size_pt=20)
        add_run(paragraph, f" {text}")
        return paragraph

    labelled("ส่วนราชการ", h.office)
    line = labelled("ที่", h.reference or "................................")
    line.paragraph_format.tab_stops.add_tab_stop(Cm(8))
    add_run(line, "\t")
    add_run(line, "วันที่", bold=True, size_pt=20)
    add_run(line, f" {h.date_text}")
    labelled("เรื่อง", h.subject)
    add_paragraph(doc, f"เรียน {h.addressee}", space_before_pt=6, space_after_pt=6)
    for heading, paragraphs in cover.sections:
        add_paragraph(doc, heading, bold=True, space_before_pt=6, keep_with_next=True)
        for text in paragraphs:
            add_paragraph(doc, text, align="thai", first_line_cm=2.5)
    dots = "................................"
    add_paragraph(doc, "(ลงชื่อ) " + dots, align="center", indent_cm=7, space_before_pt=24, keep_with_next=True)
    add_paragraph(doc, f"({cover.author.name or dots})", align="center", indent_cm=7, keep_with_next=True)
    add_paragraph(doc, cover.author.position or dots, align="center", indent_cm=7)
    if cover.signoff is not None:
        endorsement_chain(doc, cover.signoff)
    if not cover.thai_digits:
        arabic_digits(doc)
    return document_bytes(doc)


def cover_filename(cover: CoverMemo, ext: str) -> tuple[str, str]:
    thai = f"บันทึกนำส่งรายงานผลการดำเนินการ-{cover.organization_slug}-{cover.fiscal_year}.{ext}"
    return thai, f"cover-memo-{cover.organization_slug}-{cover.fiscal_year}.{ext}"
