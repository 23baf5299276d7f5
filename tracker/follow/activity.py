"""The activity stream, read from the journal: who did what, when, with a link.

One implementation, two scopes: a plan's stream (/plans/<id>/activity) and an
organization's (/organizations/<id>/activity), both filterable by department
and paged, newest first. A line is a step's entry (status, note, evidence,
remark, edit) or an entry of the plan's structure and results: the plan, a
weakness, a measure (its edits and its follow-up result). Entries of records
that no longer exist are left out (each line links to its record); entries of
other organizations never match, whatever the records' plan says.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from ..db import db
from ..i18n import N_
from ..plans.listing import Page, paginate
from ..plans.models import JournalEntry, Measure, Plan, Step, Weakness
from ..plans.queries import _step_options

#: Entries on one page
PER_PAGE = 50

#: Records besides steps whose entries the stream shows (JournalEntry.entity)
STRUCTURE = ("plan", "weakness", "measure")

#: The fields of a plan, weakness or measure an edit names
STRUCTURE_FIELDS = {
    "title": N_("ชื่อ"),
    "detail": N_("รายละเอียด"),
    "status": N_("สถานะ"),
    "period_start": N_("วันเริ่มระยะเวลา"),
    "period_end": N_("วันสิ้นสุดระยะเวลา"),
    "follow_up": N_("การติดตามผล"),
    "owner_department": N_("หน่วยงานผู้รับผิดชอบ"),
}


def activity_query(organization_id: int, *, plan_id: int | None = None, department_id: int | None = None) -> sa.Select:
    """The journal entries of the organization's plans (of one plan, of one department when
    given), newest first. A department filter keeps its steps' and its measures' entries."""
    step_measure, step_weakness = aliased(Measure), aliased(Weakness)
    measure, measure_weakness, weakness = aliased(Measure), aliased(Weakness), aliased(Weakness)
    no_step = JournalEntry.step_id.is_(None)
    plan_of = sa.func.coalesce(
        step_weakness.plan_id,
        sa.case(
            (JournalEntry.entity == "plan", JournalEntry.entity_id),
            (JournalEntry.entity == "weakness", weakness.plan_id),
            (JournalEntry.entity == "measure", measure_weakness.plan_id),
        ),
    )
    query = (
        sa.select(JournalEntry)
        .outerjoin(Step, JournalEntry.step_id == Step.id)
        .outerjoin(step_measure, Step.measure_id == step_measure.id)
        .outerjoin(step_weakness, step_measure.weakness_id == step_weakness.id)
        .outerjoin(measure, sa.and_(no_step, JournalEntry.entity == "measure", measure.id == JournalEntry.entity_id))
        .outerjoin(measure_weakness, measure.weakness_id == measure_weakness.id)
        .outerjoin(weakness, sa.and_(no_step, JournalEntry.entity == "weakness", weakness.id == JournalEntry.entity_id))
        .join(Plan, Plan.id == plan_of)
        .where(
            JournalEntry.organization_id == organization_id,
            Plan.organization_id == organization_id,
            sa.or_(Step.id.is_not(None), sa.and_(no_step, JournalEntry.entity.in_(STRUCTURE))),
        )
        .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
    )
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    if department_id is not None:
        query = query.where(
            sa.or_(Step.owner_department_id == department_id, measure.owner_department_id == department_id)
        )
    return query


@dataclass(frozen=True)
class Target:
    """What a structure entry is about: the record's words and, where there is one, its page."""

    kind: str  # plan, weakness, measure
    number: str
    title: str
    plan: Plan


def activity_page(
    organization_id: int,
    *,
    plan_id: int | None = None,
    department_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """One page of the stream, with what each line shows (actor, step number, plan) loaded alongside
    (the records of its structure entries: `targets`)."""
    options = [joinedload(JournalEntry.actor)] + [
        joinedload(JournalEntry.step).options(option) for option in _step_options(with_plan=True)
    ]
    query = activity_query(organization_id, plan_id=plan_id, department_id=department_id)
    return paginate(query, page, per_page, options)


def targets(entries: list[JournalEntry]) -> dict[tuple[str, int], Target]:
    """(entity, id) → the record a structure entry of the page names: one query per kind present."""
    ids: dict[str, set[int]] = {kind: set() for kind in STRUCTURE}
    for e in entries:
        if e.step_id is None and e.entity in ids and e.entity_id is not None:
            ids[e.entity].add(e.entity_id)
    found: dict[tuple[str, int], Target] = {}
    if ids["measure"]:
        for m in db.session.scalars(
            sa.select(Measure)
            .where(Measure.id.in_(ids["measure"]))
            .options(
                joinedload(Measure.weakness).joinedload(Weakness.plan),
                joinedload(Measure.weakness).selectinload(Weakness.measures),
            )
        ):
            found["measure", m.id] = Target("measure", m.number, m.title, m.weakness.plan)
    if ids["weakness"]:
        for w in db.session.scalars(
            sa.select(Weakness).where(Weakness.id.in_(ids["weakness"])).options(joinedload(Weakness.plan))
        ):
            found["weakness", w.id] = Target("weakness", str(w.order), w.title, w.plan)
    if ids["plan"]:
        for p in db.session.scalars(sa.select(Plan).where(Plan.id.in_(ids["plan"]))):
            found["plan", p.id] = Target("plan", str(p.fiscal_year), p.title, p)
    return found


def plan_activity(plan: Plan, department_id: int | None = None, page: int = 1) -> Page:
    return activity_page(plan.organization_id, plan_id=plan.id, department_id=department_id, page=page)
