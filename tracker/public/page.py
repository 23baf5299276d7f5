"""The public progress page: what an organization shows citizens and assessors
about one plan, without login.

`public_plan(slug, fiscal_year, today)` returns plain dataclasses holding only
what may be public — titles, departments, dates, statuses, progress, the
follow-up figure and evidence marked public — so the template cannot reach
a journal note, a comment, a cancel reason, a person or an internal
evidence item even by mistake. Drafts are not public.

The follow-up result's note (MeasureResult.note) stays internal: its form
never told the officer it would be published; the published O43 report is
where the narrative goes public, by an admin's decision.

A fixed number of queries whatever the plan's size (see `QUERIES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from .. import thaidate
from ..db import db
from ..ita.items import plan_items
from ..ita.spec import Items
from ..orgs.models import Organization
from ..plans.models import Evidence, EvidenceKind, Measure, MeasureResult, Plan, PlanStatus, Step, StepStatus, Weakness
from ..plans.progress import Progress
from .models import PublishedReport

__all__ = [
    "PUBLIC_STATUSES",
    "PublicEvidence",
    "PublicStep",
    "PublicMeasure",
    "PublicWeakness",
    "PublicReport",
    "PublicPlan",
    "find_organization",
    "public_plans",
    "public_plan",
    "public_evidence",
    "public_report",
]

#: Plans a visitor may see: a draft is still being written.
PUBLIC_STATUSES = (PlanStatus.active, PlanStatus.closed)


@dataclass(frozen=True)
class PublicEvidence:
    id: int
    name: str
    kind: EvidenceKind
    #: The link itself for a link; "" for a file (downloaded through the public route)
    url: str
    size: int

    @property
    def is_link(self) -> bool:
        return self.kind is EvidenceKind.link


@dataclass(frozen=True)
class PublicStep:
    number: str
    title: str
    department: str
    start_date: date
    due_date: date
    status: StepStatus
    completed_on: date | None
    overdue: bool
    evidence: tuple[PublicEvidence, ...] = ()

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class PublicMeasure:
    number: str
    title: str
    department: str
    period_start: date
    period_end: date
    follow_up: str
    #: The follow-up indicator's recorded figure and unit, when there is one
    result_value: Decimal | None
    result_unit: str
    progress: Progress
    steps: tuple[PublicStep, ...]
    result_evidence: tuple[PublicEvidence, ...] = ()


@dataclass(frozen=True)
class PublicWeakness:
    order: int
    title: str
    measures: tuple[PublicMeasure, ...]


@dataclass(frozen=True)
class PublicReport:
    id: int
    title: str
    kind: str
    format: str
    as_of: date
    size: int
    published_at: datetime


@dataclass(frozen=True)
class PublicPlan:
    organization: str
    slug: str
    province: str
    fiscal_year: int
    title: str
    status: PlanStatus
    as_of: date
    weaknesses: tuple[PublicWeakness, ...]
    reports: tuple[PublicReport, ...] = ()
    #: The organization's other public fiscal years, newest first
    other_years: tuple[int, ...] = field(default=())
    #: The ITA year the measures answer and the OIT items its framework names (O42/O43 in 2565)
    assessed_year: int = 0
    items: Items = field(default_factory=Items)

    @property
    def measures(self) -> list[PublicMeasure]:
        return [m for w in self.weaknesses for m in w.measures]

    @property
    def overall(self) -> Progress:
        return sum((m.progress for m in self.measures), Progress())

    @property
    def steps(self) -> list[PublicStep]:
        return [s for m in self.measures for s in m.steps]


# -- lookups ----------------------------------------------------------------------------


def find_organization(slug: str) -> Organization | None:
    slug = (slug or "").strip()
    if not slug or len(slug) > 64:
        return None
    return db.session.scalar(sa.select(Organization).where(Organization.slug == slug))


def public_plans(organization: Organization) -> list[Plan]:
    """The organization's public plans, newest fiscal year first."""
    return list(
        db.session.scalars(
            sa.select(Plan)
            .where(Plan.organization_id == organization.id, Plan.status.in_(PUBLIC_STATUSES))
            .order_by(Plan.fiscal_year.desc())
        )
    )


def _plan(organization: Organization, fiscal_year: int) -> Plan | None:
    return db.session.scalar(
        sa.select(Plan)
        .where(
            Plan.organization_id == organization.id,
            Plan.fiscal_year == fiscal_year,
            Plan.status.in_(PUBLIC_STATUSES),
        )
        .options(
            selectinload(Plan.weaknesses)
            .selectinload(Weakness.measures)
            .options(
                joinedload(Measure.owner_department),
                selectinload(Measure.steps).joinedload(Step.owner_department),
            )
        )
    )


def _plan_step_ids(plan_id: int) -> sa.Select:
    return sa.select(Step.id).join(Step.measure).join(Measure.weakness).where(Weakness.plan_id == plan_id)


def _plan_measure_ids(plan_id: int) -> sa.Select:
    return sa.select(Measure.id).join(Measure.weakness).where(Weakness.plan_id == plan_id)


def _of_plan(plan_id: int) -> sa.ColumnElement[bool]:
    """Evidence of one of the plan's steps, or of one of its measures' results.

    A UNION of two index lookups: `step_id IN … OR measure_id IN …` made the
    database read every evidence row of the country."""
    return Evidence.id.in_(
        sa.union(
            sa.select(Evidence.id).where(Evidence.step_id.in_(_plan_step_ids(plan_id))),
            sa.select(Evidence.id).where(Evidence.measure_id.in_(_plan_measure_ids(plan_id))),
        )
    )


def _evidence_item(ev: Evidence) -> PublicEvidence:
    return PublicEvidence(
        id=ev.id,
        name=ev.original_name,
        kind=ev.kind,
        url=(ev.url or "") if ev.kind is EvidenceKind.link else "",
        size=ev.size or 0,
    )


def _progress(steps: list[PublicStep]) -> Progress:
    return Progress.of(s.status for s in steps)


# -- the page ----------------------------------------------------------------------------


def public_plan(organization: Organization, fiscal_year: int, today: date) -> PublicPlan | None:
    """The public view of the organization's plan of `fiscal_year`; None for none or a draft."""
    plan = _plan(organization, fiscal_year)
    if plan is None:
        return None
    evidence: dict[tuple[str, int], list[PublicEvidence]] = {}
    for ev in db.session.scalars(
        sa.select(Evidence)
        .where(Evidence.public.is_(True), _of_plan(plan.id))
        .order_by(Evidence.created_at, Evidence.id)
    ):
        key = ("step", ev.step_id) if ev.step_id is not None else ("measure", ev.measure_id)
        evidence.setdefault(key, []).append(_evidence_item(ev))  # type: ignore[arg-type]
    results = {
        r.measure_id: r
        for r in db.session.scalars(
            sa.select(MeasureResult).where(MeasureResult.measure_id.in_(_plan_measure_ids(plan.id)))
        )
    }

    def step(s: Step) -> PublicStep:
        done = s.status is StepStatus.done and s.completed_at is not None
        return PublicStep(
            number=s.number,
            title=s.title,
            department=s.owner_department.name,
            start_date=s.start_date,
            due_date=s.due_date,
            status=s.status,
            completed_on=s.completed_at.astimezone(thaidate.BANGKOK).date() if done and s.completed_at else None,
            overdue=s.is_overdue(today),
            evidence=tuple(evidence.get(("step", s.id), ())),
        )

    def measure(m: Measure) -> PublicMeasure:
        steps = [step(s) for s in m.steps]
        result = results.get(m.id)
        value = result.value if result is not None else None
        return PublicMeasure(
            number=m.number,
            title=m.title,
            department=m.owner_department.name,
            period_start=m.period_start,
            period_end=m.period_end,
            follow_up=m.follow_up or "",
            result_value=value,
            result_unit=(result.unit or "") if result is not None and value is not None else "",
            progress=_progress(steps),
            steps=tuple(steps),
            result_evidence=tuple(evidence.get(("measure", m.id), ())),
        )

    reports = tuple(
        PublicReport(
            id=r.id,
            title=r.title,
            kind=r.kind,
            format=r.format,
            as_of=r.as_of,
            size=r.size,
            published_at=r.published_at,
        )
        for r in db.session.scalars(
            sa.select(PublishedReport)
            .where(PublishedReport.plan_id == plan.id, PublishedReport.withdrawn_at.is_(None))
            .order_by(PublishedReport.as_of.desc(), PublishedReport.published_at.desc(), PublishedReport.id.desc())
        )
    )
    other_years = tuple(
        db.session.scalars(
            sa.select(Plan.fiscal_year)
            .where(
                Plan.organization_id == organization.id,
                Plan.status.in_(PUBLIC_STATUSES),
                Plan.id != plan.id,
            )
            .order_by(Plan.fiscal_year.desc())
        )
    )
    return PublicPlan(
        organization=organization.name,
        slug=organization.slug,
        province=organization.province or "",
        fiscal_year=plan.fiscal_year,
        title=plan.title,
        status=plan.status,
        as_of=today,
        weaknesses=tuple(
            PublicWeakness(order=w.order, title=w.title, measures=tuple(measure(m) for m in w.measures))
            for w in plan.weaknesses
        ),
        reports=reports,
        other_years=other_years,
        assessed_year=plan.assessed_year,
        items=plan_items(plan),
    )


def public_evidence(organization: Organization, fiscal_year: int, evidence_id: int) -> Evidence | None:
    """An evidence item marked public of this organization's public plan of that year, else None."""
    plan_id = db.session.scalar(
        sa.select(Plan.id).where(
            Plan.organization_id == organization.id,
            Plan.fiscal_year == fiscal_year,
            Plan.status.in_(PUBLIC_STATUSES),
        )
    )
    if plan_id is None:
        return None
    return db.session.scalar(
        sa.select(Evidence).where(Evidence.id == evidence_id, Evidence.public.is_(True), _of_plan(plan_id))
    )


def public_report(organization: Organization, fiscal_year: int, report_id: int) -> PublishedReport | None:
    """A published, not withdrawn report of this organization's public plan of that year, else None."""
    return db.session.scalar(
        sa.select(PublishedReport)
        .join(Plan, Plan.id == PublishedReport.plan_id)
        .where(
            PublishedReport.id == report_id,
            PublishedReport.withdrawn_at.is_(None),
            Plan.organization_id == organization.id,
            Plan.fiscal_year == fiscal_year,
            Plan.status.in_(PUBLIC_STATUSES),
        )
    )
