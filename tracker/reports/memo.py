"""The O42 analysis memo: the ITA result of the year before a plan, analysed,
and the plan's measures — the seed document, generated.

`build_memo(plan)` reads the database once and returns plain
dataclasses in which every text is final (Thai digits, as official documents
are written); the DOCX (`memo_docx`) and the HTML/PDF (`templates/reports/
memo.html`) writers only lay them out, so the formats always agree.

For the plan of fiscal year N the memo analyses the assessment of N-1
against N-2 (`ita.analysis.analyse(organization, N-1)`): the FY 2566 plan
carries the 2565 result. Both years need every indicator's score; otherwise
`MissingScores` says which years and indicators are missing.

The memo's header (ส่วนราชการ, ที่, วันที่, เรียน) and the officer's
findings per ITA tool are kept in `AnalysisMemo` (`memo_saved`); the
dataclasses are in `memo_document`, the HTML page in `memo_html`.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from .. import thaidate
from ..db import db
from ..errors import ServiceError
from ..ita.analysis import ItaAnalysis, ToolRow, analyse
from ..ita.framework import framework_available, framework_for
from ..ita.scores import Difference, YearResult, format_score
from ..ita.spec import FrameworkSpec
from ..orgs.documents import emblem_bytes
from ..orgs.models import Organization
from ..plans.models import Measure, Plan, Weakness
from .followup import default_signatories
from .memo_document import (
    LEVEL_WORDS,
    NACC,
    SUBJECT,
    IndicatorLine,
    MeasureLine,
    MemoDocument,
    MemoHeader,
    Segment,
    Signer,
    SummaryLine,
    ToolLine,
    ToolSection,
    diff_cell,
    score,
    th,
)
from .memo_saved import _reporting_unit, default_addressee, default_office, findings_of, get_memo
from .models import ReportKind
from .signoff import chain_of, latest_submission

__all__ = [
    "MissingScores",
    "build_memo",
]


class MissingScores(ServiceError):
    """The ITA scores the memo needs are not all there; the message lists what is missing."""

    def __init__(self, problems: list[str], assessment_year: int):
        self.problems = problems
        message = (
            f"ยังสร้างบันทึกการวิเคราะห์ผล ITA ปีงบประมาณ {assessment_year} ไม่ได้ เพราะคะแนนยังไม่ครบ "
            f"(the memo needs every indicator's score of {assessment_year}, and of {assessment_year - 1} "
            "when that year has any): "
            + "; ".join(problems)
            + " — กรอกหรือนำเข้าคะแนนที่หน้า “ผล ITA” หรือด้วยคำสั่ง tracker ita import "
            "(enter or import them on the ITA page or with `tracker ita import`)"
        )
        super().__init__(message)


def _missing(result: YearResult | None, year: int) -> str | None:
    if result is None:
        if framework_available(year):  # shipped, but never used: so no score was ever entered
            return f"ยังไม่มีคะแนนของปีงบประมาณ {year} เลย (no scores for {year})"
        return (
            f"ไม่มีกรอบการประเมิน ITA ของปีงบประมาณ {year} (no ITA framework for {year}: "
            "load it with `tracker ita framework FILE`)"
        )
    missing = [i for i in result.indicators if i.score is None]
    if not missing:
        return None
    if len(missing) == len(result.indicators):
        return f"ยังไม่มีคะแนนของปีงบประมาณ {year} เลย (no scores for {year})"
    names = ", ".join(f"ตัวชี้วัดที่ {i.number} {i.name}" for i in missing)
    return f"ปีงบประมาณ {year} ขาดคะแนน {names} (missing in {year}: {', '.join(str(i.number) for i in missing)})"


def _complete_analysis(organization: Organization, assessment_year: int) -> ItaAnalysis:
    """The year's analysis; every score of the assessed year is needed. The previous year is
    either complete or absent altogether (a first year: the memo says there is no comparison)."""
    analysis = analyse(organization, assessment_year)
    previous = None if analysis.first_year else _missing(analysis.previous, assessment_year - 1)
    problems = [p for p in (previous, _missing(analysis.current, assessment_year)) if p]
    if problems:
        raise MissingScores(problems, assessment_year)
    return analysis


# -- building --------------------------------------------------------------------------


def _load_plan(plan_id: int) -> Plan:
    plan = db.session.scalar(
        sa.select(Plan)
        .where(Plan.id == plan_id)
        .options(
            joinedload(Plan.organization),
            selectinload(Plan.weaknesses)
            .selectinload(Weakness.measures)
            .options(joinedload(Measure.owner_department), selectinload(Measure.steps)),
        )
    )
    assert plan is not None
    return plan


def _level_word(level: str | None, spec: FrameworkSpec) -> tuple[str, bool]:
    """("ดีเยี่ยม", True): how a tool's level reads, and whether it is good enough to keep as is."""
    names = spec.grade_names
    rank = names.index(level) if level in names else len(LEVEL_WORDS)
    if rank < len(LEVEL_WORDS):
        return LEVEL_WORDS[rank], rank <= 1
    return "ที่ต้องปรับปรุง", False


def _change_words(difference: Difference, previous_year: int) -> str:
    """ "เพิ่มขึ้น ๖.๓๒ คะแนน", "ลดลง ๐.๓๔ คะแนน", "เท่ากับปีงบประมาณ พ.ศ. ๒๕๖๔"."""
    if difference.direction == "equal":
        return f"เท่ากับปีงบประมาณ พ.ศ. {th(previous_year)}"
    return f"{difference.word} {score(difference.magnitude)} คะแนน"


def _table1_prose(analysis: ItaAnalysis, organization: str) -> str:
    if analysis.first_year:
        return (
            f"จากตารางที่ ๑ {organization}มีคะแนนภาพรวมหน่วยงาน {score(analysis.overall)} คะแนน "
            f"อยู่ในระดับ {analysis.level} ไม่มีผลการประเมินของปีงบประมาณ พ.ศ. {th(analysis.previous_year)} "
            "ให้เปรียบเทียบ"
        )
    clauses: list[str] = []
    for row in analysis.summary[:-1]:
        if row.difference.direction is None:
            continue
        clauses.append(
            f"{row.label}มีคะแนน{_change_words(row.difference, analysis.previous_year)} ซึ่งอยู่ในระดับ {row.current_level}"
        )
    own = analysis.organization
    text = f"{organization}มีคะแนนภาพรวมหน่วยงาน{_change_words(own.difference, analysis.previous_year)}"
    if own.previous_level == own.current_level:
        keep = "แต่ยังคงอยู่ใน" if own.difference.direction == "down" else "และยังคงอยู่ใน"
        text += f" {keep}ระดับ {own.current_level}"
    else:
        text += f" จากระดับ {own.previous_level} เป็นระดับ {own.current_level}"
    if clauses:
        text = " ".join(clauses) + " และ" + text
    return "จากตารางที่ ๑ แสดงให้เห็นว่า " + text


def _table2_prose(analysis: ItaAnalysis, organization: str) -> str:
    if analysis.first_year:
        return (
            f"จากตารางที่ ๒ {organization}มีคะแนนรายตัวชี้วัดสูงสุด {score(analysis.highest)} คะแนน "
            f"และต่ำสุด {score(analysis.lowest)} คะแนน (ไม่มีคะแนนของปีก่อนให้เปรียบเทียบ)"
        )
    counts = analysis.counts
    parts = []
    if counts.up:
        parts.append(f"มีคะแนนรายตัวชี้วัดที่ เพิ่มขึ้นจำนวน {th(counts.up)} ตัวชี้วัด")
    if counts.equal:
        parts.append(f"มีคะแนนรายตัวชี้วัดที่ เท่ากับ ปีงบประมาณที่แล้ว จำนวน {th(counts.equal)} ตัวชี้วัด")
    if counts.down:
        parts.append(f"มีคะแนนรายตัวชี้วัดที่ ลดลงจำนวน {th(counts.down)} ตัวชี้วัด")
    if len(parts) > 1:
        parts[-1] = "และ" + parts[-1]
    text = f"จากตารางที่ ๒ แสดงให้เห็นว่า {organization}" + " ".join(parts)
    if counts.unknown:
        text += f" และเปรียบเทียบไม่ได้ {th(counts.unknown)} ตัวชี้วัด เพราะไม่มีในกรอบการประเมินของปีก่อน"
    return text


def _table3_point(tool: ToolRow, previous_year: int) -> list[Segment]:
    lead = Segment(f"การตอบ{tool.name} ({tool.name_en}: {tool.code}) มีคะแนน ")
    if tool.difference.direction is None:
        return [lead, Segment(f"{score(tool.current)} คะแนน ไม่มีคะแนนของปีงบประมาณ พ.ศ. {th(previous_year)} ให้เปรียบเทียบ")]
    if tool.difference.direction == "equal":
        return [lead, Segment("เท่ากับ", bold=True), Segment(f" ปีงบประมาณ พ.ศ. {th(previous_year)}")]
    return [
        lead,
        Segment(tool.difference.word, bold=True),
        Segment(f" {score(tool.difference.magnitude)} คะแนน จากปีงบประมาณ พ.ศ. {th(previous_year)}"),
    ]


def _tool_section(
    index: int, tool: ToolRow, analysis: ItaAnalysis, plan: Plan, findings: dict[str, str]
) -> ToolSection:
    count = len(tool.indicators)
    spec = _spec(plan, analysis.fiscal_year)
    word, keep = _level_word(spec.level_of(tool.current) if tool.current is not None else None, spec)
    advice = "ควรรักษามาตรฐานของการดำเนินงานที่ดีไว้ในปีต่อไป" if keep else "ควรเร่งปรับปรุงและพัฒนาการดำเนินงานในปีต่อไป"
    intro = (
        f"มีค่าคะแนนเท่ากับ {score(tool.current)} คะแนน ผลคะแนนในภาพรวม พบว่าอยู่ในระดับ{word} "
        f"{advice} โดยประกอบด้วย {th(count)} ตัวชี้วัด ดังนี้"
    )
    if tool.all_equal:
        analysis_text = (
            f"จากการวิเคราะห์ ค่าคะแนนของตัวชี้วัดทั้ง {th(count)} ตัว พบว่าทุกตัวชี้วัดมีผลคะแนนเท่ากัน คือ {score(tool.current)} คะแนน"
        )
        default = (
            "เห็นควรรักษามาตรฐานการดำเนินงานของตัวชี้วัดในกลุ่มเครื่องมือนี้ไว้ "
            f"และทบทวนการดำเนินงานให้เป็นปัจจุบันอยู่เสมอในปีงบประมาณ พ.ศ. {th(plan.fiscal_year)}"
        )
    else:
        named = " และ".join(f"ตัวชี้วัดที่ {th(i.number)} {i.name}" for i in tool.lowest)
        lowest_score = score(tool.lowest[0].current) if tool.lowest else "-"
        where = f"ตัวชี้วัดทั้ง {th(count)} ตัว" if count > 1 else "ตัวชี้วัด"
        analysis_text = (
            f"จากการวิเคราะห์ ค่าคะแนนของ{where} พบว่า{named} มีผลคะแนนเท่ากับ {lowest_score} ซึ่งได้คะแนนน้อยที่สุดในกลุ่มเครื่องมือนี้"
        )
        default = (
            f"ทั้งนี้ หน่วยงานควรนำประเด็นของ{named} ไปจัดทำมาตรการเพื่อปรับปรุงและพัฒนาการดำเนินงาน "
            f"ในปีงบประมาณ พ.ศ. {th(plan.fiscal_year)}"
        )
    written = findings.get(tool.code, "")
    paragraphs = [th(p.strip()) for p in written.replace("\r\n", "\n").split("\n") if p.strip()]
    return ToolSection(
        code=tool.code,
        heading=f"{th(index)}. {tool.name} ด้าน ({tool.code})",
        intro=intro,
        rows=[(th(i.number), i.name, score(i.current)) for i in tool.indicators],
        analysis=analysis_text,
        findings=paragraphs or [default],
        findings_default=not paragraphs,
    )


def _spec(plan: Plan, year: int) -> FrameworkSpec:
    framework = framework_for(plan.organization_id, year, load_shipped=False)
    assert framework is not None  # the analysis of `year` loaded it
    return framework.spec


def _background(spec: FrameworkSpec, assessment_year: int) -> str:
    """๑. เรื่องเดิม: the assessment, and the sub-indicator and items its framework names (none invented)."""
    items = spec.items
    cited = ""
    if items.citation is not None:
        c = items.citation
        indicator = spec.indicator(c.indicator)
        name = f" {indicator.name}" if indicator is not None else ""
        cited = f" และสอดคล้องกับตัวชี้วัดที่ {c.indicator}{name} ตัวชี้วัดย่อยที่ {c.sub_indicator} {c.title}"
    refs = [ref.label for ref in (items.measures, items.followup) if ref is not None]
    where = f" ตามข้อ {' และ '.join(refs)}" if refs else ""
    return th(
        f"ตามที่{NACC} ได้จัดให้มีการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA) "
        f"ประจำปีงบประมาณ พ.ศ. {assessment_year} และได้มีการประกาศผลไปแล้วนั้น "
        f"เพื่อให้เป็นไปตามแนวทางการประเมินฯ ที่กำหนด{cited}{where} นั้น"
    )


def _names(pairs: tuple[tuple[int, str], ...]) -> str:
    return ", ".join(f"ตัวชี้วัดที่ {n} {name}" for n, name in pairs)


def comparison_notes(analysis: ItaAnalysis) -> list[str]:
    """What the comparison covers, in the memo's words (Arabic digits; the memo converts)."""
    notes: list[str] = []
    year, previous = analysis.fiscal_year, analysis.previous_year
    current = analysis.current
    if current.rating is not None:
        text = f"ผลการประเมินตามเกณฑ์ของปีงบประมาณ พ.ศ. {year} อยู่ในระดับ “{current.rating}”"
        if current.rating_lowered_from:
            failed = " และ ".join(c.text() for c in current.rating_failed)
            text += (
                f" แม้คะแนนภาพรวม {format_score(current.overall)} ถึงเกณฑ์ระดับ “{current.rating_lowered_from}” "
                f"แต่ไม่เป็นไปตามเงื่อนไข {failed} จึงได้ระดับ “{current.rating}”"
            )
        notes.append(text)
    if current.passed is not None:
        notes.append("ผ่านเกณฑ์การประเมิน" if current.passed else "ยังไม่ผ่านเกณฑ์การประเมิน")
    if analysis.first_year:
        notes.append(
            f"ไม่มีผลการประเมินของปีงบประมาณ พ.ศ. {previous} ในระบบ รายงานนี้จึงแสดงผลของปีงบประมาณ "
            f"พ.ศ. {year} โดยไม่มีการเปรียบเทียบกับปีก่อน"
        )
        return notes
    if analysis.frameworks_differ:
        notes.append(
            f"กรอบการประเมินของปีงบประมาณ พ.ศ. {previous} และ พ.ศ. {year} แตกต่างกัน "
            "จึงเปรียบเทียบเฉพาะเครื่องมือและตัวชี้วัดที่มีในทั้งสองปี"
        )
        if analysis.only_current:
            notes.append(f"ตัวชี้วัดที่มีเฉพาะปี {year} (ไม่มีคะแนนปีก่อนให้เปรียบเทียบ): {_names(analysis.only_current)}")
        if analysis.only_previous:
            notes.append(f"ตัวชี้วัดของปี {previous} ที่ไม่มีในกรอบปี {year}: {_names(analysis.only_previous)}")
        if analysis.only_current_tools:
            notes.append(f"เครื่องมือที่มีเฉพาะปี {year}: {', '.join(analysis.only_current_tools)}")
        if analysis.only_previous_tools:
            notes.append(f"เครื่องมือของปี {previous} ที่ไม่มีในปี {year}: {', '.join(analysis.only_previous_tools)}")
        for code, before, now in analysis.reweighted_tools:
            notes.append(
                f"น้ำหนักของ {code} เปลี่ยนจาก {(before * 100).normalize():f}% "
                f"เป็น {(now * 100).normalize():f}% คะแนนภาพรวมของสองปีจึงคำนวณต่างกัน"
            )
    return notes


def _measure_lines(plan: Plan) -> list[MeasureLine]:
    lines: list[MeasureLine] = []
    for weakness in plan.weaknesses:
        label = th(f"{weakness.order}. {weakness.title}" + (f" {weakness.detail}" if weakness.detail else ""))
        several = len(weakness.measures) > 1
        for i, measure in enumerate(weakness.measures):
            title = th(f"{measure.order}) {measure.title}" if several else measure.title)
            lines.append(
                MeasureLine(
                    weakness=label if i == 0 else "",
                    measure=title,
                    steps=[th(f"{s.order}) {s.title}") for s in measure.steps],
                    owner=th(measure.owner_department.name),
                    period=thaidate.format_period(measure.period_start, measure.period_end, thai_digits=True),
                    follow_up=th(measure.follow_up or "-"),
                )
            )
    return lines


def build_memo(
    plan: Plan,
    *,
    now: datetime | None = None,
    memo_date: date | None = None,
    office: str | None = None,
    reference: str | None = None,
    addressee: str | None = None,
    findings: dict[str, str] | None = None,
) -> MemoDocument:
    """The memo of `plan` (fiscal year N): the N-1 assessment against N-2 and the plan's measures.

    The keyword fields (the command's options) replace the saved ones for this document
    only. The date is never today's by default: without a given or saved date the header's
    date is None and `require_date` refuses to print the memo.
    Raises MissingScores (a ServiceError) when a score of either year is missing.
    """
    plan = _load_plan(plan.id)
    organization = plan.organization
    org_name = organization.name
    year = plan.assessed_year
    previous_year = year - 1
    analysis = _complete_analysis(organization, year)
    spec = _spec(plan, year)
    memo = get_memo(plan)
    findings = {**findings_of(memo), **{k: v for k, v in (findings or {}).items() if v.strip()}}

    office = office or (memo.office if memo and memo.office else "") or default_office(plan)
    reference = reference or (memo.reference if memo and memo.reference else "")
    header = MemoHeader(
        office=th(office),
        reference=th(reference),
        memo_date=memo_date or (memo.memo_date if memo else None),
        subject=th(f"{SUBJECT} ประจำปีงบประมาณ พ.ศ. {year} ของ{org_name}"),
        addressee=th(
            addressee or (memo.addressee if memo and memo.addressee else "") or default_addressee(organization)
        ),
    )
    submission = latest_submission(plan, ReportKind.analysis)
    author_user = (
        submission.submitted_by
        if submission and submission.submitted_by
        else default_signatories(plan.organization_id)[0]
    )
    author = Signer(th(author_user.display_name), th(author_user.position)) if author_user else Signer("", "")

    unit = _reporting_unit(office, org_name)
    facts = th(
        f"{unit} จึงขอรายงานการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA) "
        f"ประจำปีงบประมาณ พ.ศ. {year} และจัดทำมาตรการ/แนวทางการนำผลการประเมินในปีงบประมาณ พ.ศ. {year} "
        f"ไปดำเนินการปรับปรุงและพัฒนาในปีงบประมาณ พ.ศ. {plan.fiscal_year} ตามรายละเอียดที่แนบมาพร้อมนี้"
    )
    years_caption = f"ในปีงบประมาณ พ.ศ. {th(previous_year)} และ พ.ศ. {th(year)}"
    own = analysis.organization
    return MemoDocument(
        plan_id=plan.id,
        organization=org_name,
        organization_slug=organization.slug,
        fiscal_year=plan.fiscal_year,
        assessment_year=year,
        previous_year=previous_year,
        header=header,
        background=_background(spec, year),
        facts=facts,
        proposal="จึงเรียนมาเพื่อโปรดทราบ",
        author=author,
        signoff=chain_of(submission) if submission is not None else None,
        report_title=[
            "รายงานการวิเคราะห์ผลการประเมินระดับคุณธรรมและความโปร่งใส",
            "ในการดำเนินการของหน่วยงานภาครัฐ (ITA)",
            f"ประจำปีงบประมาณ พ.ศ. {th(year)} ของ{org_name}",
        ],
        part1_heading="๑. ผลการประเมินระดับคุณธรรมและความโปร่งใส ในการดำเนินการของหน่วยงานภาครัฐ (ITA)",
        overall_sentence=(
            f"{org_name} โดยภาพรวมได้คะแนนเท่ากับร้อยละ {score(own.current)} คะแนน "
            f"ซึ่งถือว่ามีคุณธรรมและความโปร่งใสในการดำเนินงาน ระดับ {th(own.current_level)} มีรายละเอียดดังนี้"
        ),
        overall_score=score(own.current),
        overall_level=own.current_level or "",
        top_scores=[(th(i.rank), i.name, score(i.current)) for i in analysis.ranking],
        highest=score(analysis.highest),
        lowest=score(analysis.lowest),
        year_heading_previous=f"ปีงบประมาณ พ.ศ. {th(previous_year)}",
        year_heading_current=f"ปีงบประมาณ พ.ศ. {th(year)}",
        table1_caption=(
            "ตารางที่ ๑ : แสดงผลเปรียบเทียบการประเมินระดับคุณธรรมและความโปร่งใส "
            f"ในการดำเนินการของหน่วยงานภาครัฐ (ITA) {years_caption}"
        ),
        table1=[
            SummaryLine(
                r.label,
                score(r.previous),
                r.previous_level or "–",
                score(r.current),
                r.current_level or "–",
                diff_cell(r.difference),
            )
            for r in analysis.summary
        ],
        table1_prose=_table1_prose(analysis, org_name),
        table2_caption=(
            "ตารางที่ ๒ : แสดงผลเปรียบเทียบการประเมินระดับคุณธรรมและความโปร่งใส "
            f"ในการดำเนินการของหน่วยงานภาครัฐ (ITA) รายตัวชี้วัด {years_caption}"
        ),
        table2=[
            IndicatorLine(th(place), r.name, score(r.previous), score(r.current), diff_cell(r.difference))
            for place, r in enumerate(analysis.ranking, start=1)
        ],
        table2_prose=_table2_prose(analysis, org_name),
        table3_caption=(
            "ตารางที่ ๓ : แสดงผลเปรียบเทียบค่าคะแนนของเครื่องมือที่ใช้ในการประเมินระดับคุณธรรมและความโปร่งใส"
            f"ในการดำเนินการของหน่วยงานภาครัฐ (ITA) {years_caption}"
        ),
        table3=[
            ToolLine(t.label, score(t.previous), score(t.current), diff_cell(t.difference)) for t in analysis.tools
        ],
        table3_prose="จากตารางที่ ๓ แสดงให้เห็นค่าคะแนนของเครื่องมือการประเมินดังต่อไปนี้",
        table3_points=[_table3_point(t, previous_year) for t in analysis.tools],
        part2_heading=f"๒. การวิเคราะห์ผลการประเมิน ITA ในปีงบประมาณ พ.ศ. {th(year)}",
        tools=[_tool_section(i, t, analysis, plan, findings) for i, t in enumerate(analysis.tools, start=1)],
        part3_heading=(
            f"๓. มาตรการ/แนวทางการนำผลการประเมิน ในปีงบประมาณ พ.ศ. {th(year)} "
            f"ไปดำเนินการปรับปรุงและพัฒนา ในปีงบประมาณ พ.ศ. {th(plan.fiscal_year)}"
        ),
        part3_intro=(
            "จากการวิเคราะห์ผลการประเมินระดับคุณธรรมและความโปร่งใสในการดำเนินการของหน่วยงานภาครัฐ (ITA) "
            f"ในปีงบประมาณ พ.ศ. {th(year)} ของ{org_name} จะเห็นได้ว่า มีประเด็นที่เป็นข้อบกพร่องหรือจุดอ่อน"
            f"ที่จะต้องทำการแก้ไข ซึ่งนำไปสู่มาตรการส่งเสริมคุณธรรมและความโปร่งใสของ{org_name} ดังนี้"
        ),
        weaknesses=[th(f"{w.order}. {w.title}" + (f" {w.detail}" if w.detail else "")) for w in plan.weaknesses],
        measures=_measure_lines(plan),
        generated_at=now,
        emblem=emblem_bytes(organization),
        thai_digits=organization.official_thai_digits,
        comparison_notes=[th(n) for n in comparison_notes(analysis)],
        items=spec.items,
    )
