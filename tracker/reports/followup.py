"""The O43 follow-up results report: what a plan's steps had achieved by an "as of" date.

`build_report(plan, as_of, ...)` reads the database once and returns plain
dataclasses; the HTML (and so the PDF), DOCX and XLSX writers only format
them, so the four formats always say the same thing.

Rules of the "as of" cut (end of the as-of day, Bangkok):

* a step is done when it is done now and its completion time is on or before
  the cut (a completion the officer back-dated counts on its date);
* a step cancelled now is shown as ยกเลิก and left out of every total;
* any other step is "in progress" if the journal shows it was started by the
  cut, else "not started"; it is overdue when its due date is before the
  as-of date;
* notes and evidence are those recorded by the cut, except for a step done by
  the cut, whose whole record is shown (evidence is often attached a few days
  after the work it proves).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import joinedload, selectinload

from .. import clock, links, thaidate
from ..auth.models import Role, User
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from ..ita.items import file_prefix, plan_items
from ..plans.models import (
    Evidence,
    JournalEntry,
    Measure,
    MeasureResult,
    Plan,
    Step,
    StepStatus,
    Weakness,
    is_overdue_on,
)
from .followup_document import (
    ROUNDS,
    EvidenceItem,
    FollowupReport,
    MeasureRow,
    ResultInfo,
    Signatory,
    StepRow,
    WeaknessRow,
)
from .fonts import FONT_FAMILY, font_faces
from .signoff import Chain
from .thaiwrap import keep_together

__all__ = [
    "round_date",
    "round_of",
    "resolve_as_of",
    "default_signatories",
    "load_plan",
    "build_report",
    "render_html",
    "report_filename",
]


def round_date(fiscal_year: int, round_: int) -> date:
    """31 มี.ค. (6 months) or 30 ก.ย. (12 months) of BE fiscal year `fiscal_year`."""
    end = thaidate.fiscal_year_bounds(fiscal_year)[1]
    if round_ == 6:
        return date(end.year, 3, 31)
    if round_ == 12:
        return end
    raise ServiceError(_("รอบรายงานต้องเป็น 6 หรือ 12 เดือน ไม่ใช่ %(round)s", round=round_))


def round_of(fiscal_year: int, as_of: date) -> int | None:
    return next((r for r in ROUNDS if round_date(fiscal_year, r) == as_of), None)


def resolve_as_of(
    fiscal_year: int, as_of: str | date | None, round_: str | int | None, today: date
) -> tuple[date, int | None]:
    """The report's date from what the user gave: a date, a round, both (they
    must agree) or neither (today, or the end of a fiscal year already over)."""
    chosen_round: int | None = None
    if round_ not in (None, ""):
        text = thaidate.to_arabic_digits(str(round_)).strip()
        if text not in {str(r) for r in ROUNDS}:
            raise ServiceError(_("รอบรายงานต้องเป็น 6 หรือ 12 เดือน ไม่ใช่ “%(text_10)s”", text_10=text[:10]))
        chosen_round = int(text)
    day: date | None
    if isinstance(as_of, date):
        day = as_of
    elif as_of is None or not as_of.strip():
        day = None
    else:
        try:
            day = thaidate.parse_date(as_of)
        except thaidate.DateParseError as exc:
            raise ServiceError(f"วันที่รายงาน: {exc}") from None
    if chosen_round is not None:
        preset = round_date(fiscal_year, chosen_round)
        if day is not None and day != preset:
            raise ServiceError(
                _(
                    "วันที่ %(thaidate_format_date_day)s ไม่ตรงกับ%(rounds_chosen_round)s (%(value3)s)",
                    thaidate_format_date_day=thaidate.format_date(day),
                    rounds_chosen_round=ROUNDS[chosen_round],
                    value3=thaidate.format_date(preset),
                )
            )
        day = preset
    if day is None:
        day = min(today, thaidate.fiscal_year_bounds(fiscal_year)[1])
    return day, round_of(fiscal_year, day)


def _cut(as_of: date) -> datetime:
    """The first instant after the as-of day in Bangkok: everything before it counts."""
    return datetime.combine(as_of + timedelta(days=1), time(0), thaidate.BANGKOK)


# -- signatures ----------------------------------------------------------------------


def default_signatories(organization_id: int) -> tuple[User | None, User | None]:
    """The reporter is the organization's (first) administrator, who keeps the
    plan; the reviewer is its first manager (one statement for both)."""
    first: dict[Role, User] = {}
    for user in db.session.scalars(
        sa.select(User).where(
            User.organization_id == organization_id,
            User.role.in_((Role.admin, Role.manager)),
            User.active.is_(True),
            User.id.in_(
                sa.select(sa.func.min(User.id))
                .where(
                    User.organization_id == organization_id,
                    User.role.in_((Role.admin, Role.manager)),
                    User.active.is_(True),
                )
                .group_by(User.role)
            ),
        )
    ):
        first[user.role] = user
    return first.get(Role.admin), first.get(Role.manager)


def _signatory(label: str, user: User | None, name: str | None, position: str | None) -> Signatory:
    """A signature line: what the user typed wins over the default person."""
    name = (name or "").strip()[:200]
    position = (position or "").strip()[:200]
    return Signatory(
        label=label,
        name=name or (user.display_name if user else ""),
        position=position or (user.position if user else ""),
    )


# -- building ------------------------------------------------------------------------


def load_plan(plan_id: int) -> Plan | None:
    """The plan with everything the report prints of it (organization, weaknesses,
    measures, steps, departments): four statements. The report's views load the
    plan this way once, for their access check and for `build_report`."""
    return db.session.scalar(
        sa.select(Plan)
        .where(Plan.id == plan_id)
        .options(
            joinedload(Plan.organization),
            selectinload(Plan.weaknesses)
            .selectinload(Weakness.measures)
            .options(
                joinedload(Measure.owner_department),
                selectinload(Measure.steps).joinedload(Step.owner_department),
            ),
        )
    )


def _loaded(plan: Plan) -> Plan:
    """`plan` itself when `load_plan` read it (its tree is in the session), else read that way."""
    if not {"organization", "weaknesses"} & sa.inspect(plan).unloaded:
        return plan
    loaded = load_plan(plan.id)
    assert loaded is not None
    return loaded


def _evidence_url(base_url: str | None, ev: Evidence) -> str:
    # Step and result evidence alike: the download goes through the app's access check.
    return links.external_url("plans.evidence", base=base_url, evidence_id=ev.id)


def build_report(
    plan: Plan,
    as_of: date,
    *,
    thai_digits: bool = False,
    base_url: str | None = None,
    reporter_name: str | None = None,
    reporter_position: str | None = None,
    reviewer_name: str | None = None,
    reviewer_position: str | None = None,
    now: datetime | None = None,
    signoff: Chain | None = None,
) -> FollowupReport:
    """Assemble the report of `plan` as of the end of `as_of` (Bangkok); `signoff`
    is the chain to print (`signoff.followup_chain(plan, as_of)`)."""
    plan = _loaded(plan)
    cut = _cut(as_of)
    steps = plan.steps
    step_ids = [s.id for s in steps]
    measure_ids = [m.id for m in plan.measures]

    journal: dict[int, list[JournalEntry]] = {}
    if step_ids:
        for entry in db.session.scalars(
            sa.select(JournalEntry)
            .where(
                JournalEntry.step_id.in_(step_ids),
                sa.or_(
                    JournalEntry.action == "status", sa.and_(JournalEntry.note.is_not(None), JournalEntry.note != "")
                ),
            )
            .order_by(JournalEntry.created_at, JournalEntry.id)
            .options(joinedload(JournalEntry.actor))
        ):
            journal.setdefault(entry.step_id, []).append(entry)  # type: ignore[arg-type]

    evidence: dict[tuple[str, int], list[Evidence]] = {}
    if step_ids or measure_ids:
        for ev in db.session.scalars(
            sa.select(Evidence)
            # A UNION of two index lookups: an OR of the two made the database read all evidence.
            .where(
                Evidence.id.in_(
                    sa.union(
                        sa.select(Evidence.id).where(Evidence.step_id.in_(step_ids)),
                        sa.select(Evidence.id).where(Evidence.measure_id.in_(measure_ids)),
                    )
                )
            )
            .order_by(Evidence.created_at, Evidence.id)
        ):
            key = ("step", ev.step_id) if ev.step_id is not None else ("measure", ev.measure_id)
            evidence.setdefault(key, []).append(ev)  # type: ignore[arg-type]

    results = (
        {
            r.measure_id: r
            for r in db.session.scalars(
                sa.select(MeasureResult)
                .where(MeasureResult.measure_id.in_(measure_ids))
                .options(joinedload(MeasureResult.updated_by))
            )
        }
        if measure_ids
        else {}
    )

    def step_row(step: Step) -> StepRow:
        entries = journal.get(step.id, [])
        done = step.status is StepStatus.done and step.completed_at is not None and step.completed_at < cut
        if step.status is StepStatus.cancelled:
            status = StepStatus.cancelled
        elif done:
            status = StepStatus.done
        else:
            status_changes = [e for e in entries if e.action == "status"]
            started = any(e.created_at < cut and e.new_value == StepStatus.in_progress.value for e in status_changes)
            # Statuses set without a journal (older data): trust the current one.
            if not status_changes and step.status is StepStatus.in_progress:
                started = True
            status = StepStatus.in_progress if started else StepStatus.not_started
        noted = [e for e in entries if e.note and (done or e.created_at < cut)]
        note = noted[-1] if noted else None
        items = [
            EvidenceItem(ev.original_name, _evidence_url(base_url, ev), ev.kind)
            for ev in evidence.get(("step", step.id), [])
            if done or ev.created_at < cut
        ]
        return StepRow(
            id=step.id,
            number=step.number,
            title=step.title,
            department=step.owner_department.name,
            start_date=step.start_date,
            due_date=step.due_date,
            status=status,
            overdue=is_overdue_on(status, step.due_date, as_of),
            completed_on=step.completed_at.astimezone(thaidate.BANGKOK).date() if done and step.completed_at else None,
            note=(note.note or "") if note else "",
            note_by=(note.actor.display_name if note and note.actor else ""),
            note_on=note.created_at.astimezone(thaidate.BANGKOK).date() if note else None,
            cancel_reason=(step.cancel_reason or "") if status is StepStatus.cancelled else "",
            evidence=items,
        )

    def result_info(measure: Measure) -> ResultInfo | None:
        result = results.get(measure.id)
        items = [
            EvidenceItem(ev.original_name, _evidence_url(base_url, ev), ev.kind)
            for ev in evidence.get(("measure", measure.id), [])
        ]
        if result is None and not items:
            return None
        return ResultInfo(
            value=result.value if result else None,
            unit=result.unit if result else "",
            note=result.note if result else "",
            updated_on=result.updated_at.astimezone(thaidate.BANGKOK).date() if result else None,
            updated_by=result.updated_by.display_name if result and result.updated_by else "",
            evidence=items,
        )

    weaknesses = [
        WeaknessRow(
            order=w.order,
            title=w.title,
            detail=w.detail or "",
            measures=[
                MeasureRow(
                    id=m.id,
                    number=m.number,
                    title=m.title,
                    department=m.owner_department.name,
                    period_start=m.period_start,
                    period_end=m.period_end,
                    follow_up=m.follow_up or "",
                    steps=[step_row(s) for s in m.steps],
                    result=result_info(m),
                )
                for m in w.measures
            ],
        )
        for w in plan.weaknesses
    ]
    admin, manager = default_signatories(plan.organization_id)
    return FollowupReport(
        plan_id=plan.id,
        organization=plan.organization.name,
        organization_slug=plan.organization.slug,
        province=plan.organization.province or "",
        fiscal_year=plan.fiscal_year,
        plan_title=plan.title,
        as_of=as_of,
        round=round_of(plan.fiscal_year, as_of),
        weaknesses=weaknesses,
        reporter=_signatory("ผู้รายงาน", admin, reporter_name, reporter_position),
        reviewer=_signatory("ผู้ตรวจสอบ", manager, reviewer_name, reviewer_position),
        generated_at=now or clock.utcnow(),
        thai_digits=thai_digits,
        signoff=signoff,
        assessed_year=plan.assessed_year,
        items=plan_items(plan),
    )


def render_html(report: FollowupReport, *, standalone: bool = True, controls: dict | None = None) -> str:
    """The report as one HTML page. `standalone`: fonts embedded, no app links
    (the PDF source and the .html download); `controls`: the web page's form."""
    html = render_template(
        "reports/followup.html",
        r=report,
        f=report.f,
        s=report.summary,
        fonts=font_faces(embed=standalone),
        font_family=FONT_FAMILY,
        controls=controls,
        chart=progress_chart(report),
    )
    # Printed and downloaded documents never break a line inside a word, date or name.
    return keep_together(html) if standalone else html


@dataclass
class ChartBar:
    label: str
    percent: int
    text: str
    y: int


@dataclass
class Chart:
    width: int
    height: int
    label_width: int
    bar_width: int
    bar_height: int
    bars: list[ChartBar]
    ticks: list[tuple[int, str]]


def progress_chart(report: FollowupReport) -> Chart:
    """Geometry of the SVG bar chart (one bar per measure); the template draws it."""
    f = report.f
    row, bar_height, top = 30, 18, 8
    label_width, bar_width = 110, 420
    bars = [
        ChartBar(
            label=f.t(f"มาตรการที่ {m.number}"),
            percent=m.percent,
            text=f.t(f"{m.percent}% ({m.done}/{m.total})"),
            y=top + i * row,
        )
        for i, m in enumerate(report.measures)
    ]
    ticks = [(label_width + bar_width * p // 100, f.t(f"{p}%")) for p in (0, 25, 50, 75, 100)]
    height = top + max(len(bars), 1) * row + 22
    return Chart(label_width + bar_width + 80, height, label_width, bar_width, bar_height, bars, ticks)


def report_filename(report: FollowupReport, ext: str) -> tuple[str, str]:
    """(Thai file name, ASCII fallback) for a download of the report."""
    stamp = report.as_of.isoformat()
    thai = f"รายงานผลการดำเนินการตามมาตรการ-{report.organization_slug}-{report.fiscal_year}-ณ-{stamp}.{ext}"
    ascii_name = (
        f"{file_prefix(report.items, 'followup')}-{report.organization_slug}-{report.fiscal_year}-{stamp}.{ext}"
    )
    return thai, ascii_name
