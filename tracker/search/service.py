"""Finding what a person may read, by any substring of its text.

One `search()` per request: for each kind of record, one count (stopped at
CAP) and one select of the page's rows with what they show loaded alongside,
so the number of statements does not grow with the number of results.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from .. import access, thaidate
from ..auth.models import User
from ..db import db
from ..i18n import N_
from ..plans import listing
from ..plans.models import Evidence, JournalEntry, Measure, Plan, Step, Weakness
from . import text as stext

#: Most results counted and paged through per kind; more are "more than CAP".
CAP = 500
#: Results per kind on the overview (all kinds at once).
OVERVIEW_SIZE = 5
#: Results per page of one kind.
PER_PAGE = 20


@dataclass(frozen=True)
class Kind:
    key: str
    label: str


KINDS = (
    Kind("steps", N_("ขั้นตอน")),
    Kind("notes", N_("บันทึกและความเห็นในขั้นตอน")),
    Kind("evidence", N_("หลักฐาน")),
    Kind("measures", N_("มาตรการ")),
    Kind("weaknesses", N_("ประเด็นที่ต้องปรับปรุง")),
    Kind("plans", N_("แผน")),
)
KIND_KEYS = frozenset(k.key for k in KINDS)


@dataclass
class Hit:
    """One result: the record, where it opens, and its text with the terms marked."""

    kind: str
    record: Any
    endpoint: str
    values: dict[str, int]
    title: Markup
    #: The matching part of a longer text (a note, a detail), when the title alone does not show it
    snippet: Markup | None = None
    anchor: str = ""


@dataclass
class Group:
    kind: Kind
    #: One page of hits; its total is what was counted, at most CAP
    page: listing.Page
    #: More than CAP matched
    capped: bool

    @property
    def hits(self) -> list[Hit]:
        return self.page.items

    @property
    def total(self) -> int:
        return self.page.total


def _matching(columns: Sequence[sa.SQLColumnExpression[Any]], terms: list[str]) -> sa.ColumnElement[bool]:
    """Every term is in one of `columns` (each term as typed or with Thai/Arabic digits)."""
    return sa.and_(
        *(
            sa.or_(*(listing.contains(column, variant) for column in columns for variant in stext.variants(term)))
            for term in terms
        )
    )


def _readable(ids: set[int] | None) -> sa.ColumnElement[bool] | None:
    """The condition on Plan for organizations `ids` (None: all); None: nothing at all."""
    if ids is None:
        return sa.true()
    if not ids:
        return None
    return Plan.organization_id.in_(sorted(ids))


def _through_plan(stmt: sa.Select) -> sa.Select:
    """Join a statement that reaches Measure on to its weakness and plan."""
    return stmt.join(Weakness, Measure.weakness_id == Weakness.id).join(Plan, Weakness.plan_id == Plan.id)


def _step_number_match(terms: list[str]) -> sa.ColumnElement[bool] | None:
    """A query that is one step number ("2.7", "๒.๗") also finds the step of that number."""
    if len(terms) != 1:
        return None
    number = thaidate.to_arabic_digits(terms[0]).rstrip(".")
    if not _STEP_NUMBER.fullmatch(number):
        return None
    return listing.step_search(number)


#: A step's number as people write it: "2", "2.7", "3.2.4" (as listing.step_search reads it)
_STEP_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+){0,2}")


_STEP_PATH = joinedload(Step.measure).joinedload(Measure.weakness)


def _steps(terms: list[str]) -> tuple[sa.Select, list, Callable[[Any], Hit]]:
    found = _matching([Step.title, Step.cancel_reason], terms)
    by_number = _step_number_match(terms)
    if by_number is not None:
        found = sa.or_(found, by_number)
    stmt = _through_plan(sa.select(Step).join(Measure, Step.measure_id == Measure.id)).where(found)
    stmt = stmt.order_by(Plan.fiscal_year.desc(), Plan.id, Weakness.order, Measure.order, Step.order)
    options = [
        _STEP_PATH.selectinload(Weakness.measures),
        _STEP_PATH.joinedload(Weakness.plan).joinedload(Plan.organization),
    ]

    def hit(step: Step) -> Hit:
        title = stext.fragment(step.title, terms, width=400)
        reason = stext.fragment(step.cancel_reason, terms) if step.cancel_reason else None
        snippet = reason.html if reason is not None and reason.found and not title.found else None
        return Hit("steps", step, "plans.step", {"step_id": step.id}, title.html, snippet)

    return stmt, options, hit


def _notes(terms: list[str]) -> tuple[sa.Select, list, Callable[[Any], Hit]]:
    stmt = _through_plan(
        sa.select(JournalEntry).join(Step, JournalEntry.step_id == Step.id).join(Measure, Step.measure_id == Measure.id)
    ).where(JournalEntry.note.is_not(None), _matching([JournalEntry.note], terms))
    stmt = stmt.order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
    path = joinedload(JournalEntry.step).joinedload(Step.measure).joinedload(Measure.weakness)
    options = [
        joinedload(JournalEntry.actor),
        path.selectinload(Weakness.measures),
        path.joinedload(Weakness.plan).joinedload(Plan.organization),
    ]

    def hit(entry: JournalEntry) -> Hit:
        step = entry.step
        assert step is not None  # joined above
        return Hit(
            "notes",
            entry,
            "plans.step",
            {"step_id": step.id},
            stext.fragment(step.title, terms, width=400).html,
            stext.fragment(entry.note, terms, width=160).html,
            anchor="journal-h",
        )

    return stmt, options, hit


def _evidence(terms: list[str]) -> tuple[sa.Select, list, Callable[[Any], Hit]]:
    # Evidence of a step reaches its plan through the step; evidence of a follow-up result through its measure.
    stmt = _through_plan(
        sa.select(Evidence)
        .outerjoin(Step, Evidence.step_id == Step.id)
        .join(Measure, Measure.id == sa.func.coalesce(Evidence.measure_id, Step.measure_id))
    ).where(_matching([Evidence.original_name], terms))
    stmt = stmt.order_by(Evidence.created_at.desc(), Evidence.id.desc())
    step_path = joinedload(Evidence.step).joinedload(Step.measure).joinedload(Measure.weakness)
    measure_path = joinedload(Evidence.measure).joinedload(Measure.weakness)
    options = [
        step_path.selectinload(Weakness.measures),
        step_path.joinedload(Weakness.plan).joinedload(Plan.organization),
        measure_path.selectinload(Weakness.measures),
        measure_path.joinedload(Weakness.plan).joinedload(Plan.organization),
    ]

    def hit(ev: Evidence) -> Hit:
        title = stext.fragment(ev.original_name, terms, width=400).html
        if ev.step_id is not None:
            return Hit("evidence", ev, "plans.step", {"step_id": ev.step_id}, title, anchor="evidence-h")
        assert ev.measure_id is not None  # the table's check: a step or a measure
        return Hit("evidence", ev, "reports.result", {"measure_id": ev.measure_id}, title)

    return stmt, options, hit


def _measures(terms: list[str]) -> tuple[sa.Select, list, Callable[[Any], Hit]]:
    stmt = _through_plan(sa.select(Measure)).where(_matching([Measure.title, Measure.follow_up], terms))
    stmt = stmt.order_by(Plan.fiscal_year.desc(), Plan.id, Weakness.order, Measure.order)
    weakness = joinedload(Measure.weakness)
    options = [
        weakness.selectinload(Weakness.measures),
        weakness.joinedload(Weakness.plan).joinedload(Plan.organization),
    ]

    def hit(m: Measure) -> Hit:
        title = stext.fragment(m.title, terms, width=400)
        follow_up = stext.fragment(m.follow_up, terms)
        snippet = follow_up.html if follow_up.found and not title.found else None
        return Hit("measures", m, "plans.measure", {"measure_id": m.id}, title.html, snippet)

    return stmt, options, hit


def _weaknesses(terms: list[str]) -> tuple[sa.Select, list, Callable[[Any], Hit]]:
    stmt = sa.select(Weakness).join(Plan, Weakness.plan_id == Plan.id)
    stmt = stmt.where(_matching([Weakness.title, Weakness.detail], terms))
    stmt = stmt.order_by(Plan.fiscal_year.desc(), Plan.id, Weakness.order)

    def hit(w: Weakness) -> Hit:
        title = stext.fragment(w.title, terms, width=400)
        detail = stext.fragment(w.detail, terms)
        snippet = detail.html if detail.found and not title.found else None
        return Hit("weaknesses", w, "plans.dashboard", {"plan_id": w.plan_id}, title.html, snippet, "measures-h")

    return stmt, [joinedload(Weakness.plan).joinedload(Plan.organization)], hit


def _plans(terms: list[str]) -> tuple[sa.Select, list, Callable[[Any], Hit]]:
    stmt = sa.select(Plan).where(_matching([Plan.title], terms)).order_by(Plan.fiscal_year.desc(), Plan.id)

    def hit(p: Plan) -> Hit:
        return Hit("plans", p, "plans.dashboard", {"plan_id": p.id}, stext.fragment(p.title, terms, width=400).html)

    return stmt, [joinedload(Plan.organization)], hit


_QUERIES = {
    "steps": _steps,
    "notes": _notes,
    "evidence": _evidence,
    "measures": _measures,
    "weaknesses": _weaknesses,
    "plans": _plans,
}


def _group(kind: Kind, readable: sa.ColumnElement[bool], terms: list[str], page: int, per_page: int) -> Group:
    stmt, options, to_hit = _QUERIES[kind.key](terms)
    stmt = stmt.where(readable)
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).limit(CAP + 1).subquery()))
    total = min(counted or 0, CAP)
    page = min(max(page, 1), max(1, -(-total // per_page)))
    offset = (page - 1) * per_page
    # Never past CAP: the last page holds what is left of it.
    limit = max(min(per_page, total - offset), 0)
    rows: Iterable[Any] = (
        db.session.scalars(stmt.offset(offset).limit(limit).options(*options)).unique() if limit else []
    )
    return Group(kind, listing.Page([to_hit(r) for r in rows], total, page, per_page), (counted or 0) > CAP)


@dataclass
class Results:
    groups: list[Group]
    #: The user reads more than one organization: each result names its own
    several_orgs: bool = False

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)


def search(user: User, query: str, *, kind: str | None = None, page: int = 1) -> Results:
    """What `user` may read that contains every term of `query` (already normalised):
    one group per kind with its first OVERVIEW_SIZE hits, or only `kind`, paged.
    A query shorter than MIN_LENGTH finds nothing; so does a user who may read nothing."""
    terms = stext.terms_of(query)
    ids = access.readable_organization_ids(user)
    readable = _readable(ids)
    several = ids is None or len(ids) > 1
    if not terms or stext.too_short(query) or readable is None:
        return Results([], several)
    if kind is not None:
        chosen = next(k for k in KINDS if k.key == kind)
        return Results([_group(chosen, readable, terms, page, PER_PAGE)], several)
    return Results([_group(k, readable, terms, 1, OVERVIEW_SIZE) for k in KINDS], several)
