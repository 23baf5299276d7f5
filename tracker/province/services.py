"""The overview across organizations: one row per organization for a fiscal year.

Every figure comes from aggregate queries (GROUP BY over the year's steps and
journal), joined to the organizations in one statement, so a page costs the
same few queries for a province of 50 organizations and for the whole
country's 7,850: the rows of one page, and one summary over all of them.
Sorting, filtering and paging happen in the database.

Organizations in scope are those `access.readable_organization_ids` gives,
minus the oversight offices themselves (an organization with a provincial or
national user is an office, not a local government with a plan).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from ..auth.models import OVERSIGHT_ROLES, User
from ..bulk import distinct_values
from ..db import db
from ..i18n import _l
from ..orgs.models import Organization
from ..plans.counters import overdue_sum
from ..plans.listing import Page
from ..plans.models import (
    PROGRESS_ACTIONS,
    JournalEntry,
    Measure,
    Plan,
    PlanCounter,
    PlanDueCount,
    PlanStatus,
    Step,
    StepStatus,
    Weakness,
)
from ..plans.progress import Progress

PER_PAGE = 50


STARTED_STATUSES = (StepStatus.in_progress, StepStatus.done)


MAX_TEXT = 100


class State(enum.IntEnum):
    """Where an organization stands in the year, in sorting order."""

    no_plan = 0  #: no plan for the fiscal year
    not_started = 1  #: a plan, but no step in progress or done
    started = 2

    @property
    def label(self) -> str:
        return {0: "ยังไม่มีแผน", 1: "ยังไม่เริ่ม", 2: "เริ่มดำเนินการแล้ว"}[self.value]


SHOW_FILTERS: dict[str, str] = {
    "not_started": _l("ยังไม่เริ่ม หรือยังไม่มีแผน"),
    "no_plan": _l("ยังไม่มีแผน"),
    "overdue": _l("มีขั้นตอนเลยกำหนด"),
}


#: Sortable columns: ?sort=<key>, or ?sort=-<key> for descending.
SORTS: dict[str, str] = {
    "name": "องค์กร",
    "province": "จังหวัด",
    "state": "สถานะ",
    "done": "ดำเนินการแล้ว",
    "total": "ขั้นตอนทั้งหมด",
    "percent": "ร้อยละ",
    "overdue": "เลยกำหนด",
    "activity": "ความเคลื่อนไหวล่าสุด",
}


# -- the request ---------------------------------------------------------------------


def _clean(text: str | None) -> str:
    """Typed text as a search term: spaces collapsed, control characters (a NUL
    byte PostgreSQL refuses) dropped, at most MAX_TEXT characters."""
    return " ".join("".join(ch for ch in (text or "") if ch.isprintable() or ch.isspace()).split())[:MAX_TEXT]


@dataclass(frozen=True)
class OverviewQuery:
    """The overview's choices (read from the query string by forms.OverviewForm)."""

    fiscal_year: int
    q: str = ""
    show: str = ""
    province: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.show or self.province)

    def query_args(self, **override: object) -> dict[str, object]:
        """The choices as URL parameters, defaults left out (links keep the others)."""
        args: dict[str, object] = {
            "year": self.fiscal_year,
            "q": self.q,
            "show": self.show,
            "province": self.province,
            "sort": ("-" if self.descending else "") + self.sort,
            "page": self.page,
        }
        args.update(override)
        if args.get("sort") == "name":
            args["sort"] = None
        if args.get("page") == 1:
            args["page"] = None
        return {k: v for k, v in args.items() if v not in (None, "")}

    def sort_link(self, key: str) -> str:
        """?sort= for a column heading: ascending first, then the other way."""
        if key == self.sort:
            return key if self.descending else f"-{key}"
        # Figures are most useful largest (or latest) first; names A to Z.
        return key if key in ("name", "province", "state") else f"-{key}"


# -- the rows ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgRow:
    organization_id: int
    name: str
    slug: str
    province: str
    plan_id: int | None
    plan_title: str | None
    plan_status: PlanStatus | None
    total: int
    done: int
    overdue: int
    started: int
    last_activity: datetime | None

    @property
    def percent(self) -> int:
        return Progress(self.done, self.total).percent

    @property
    def state(self) -> State:
        if self.plan_id is None:
            return State.no_plan
        return State.started if self.started else State.not_started


@dataclass(frozen=True)
class Summary:
    organizations: int = 0
    with_plan: int = 0
    no_plan: int = 0
    #: Organizations with a plan of which no step is in progress or done
    not_started: int = 0
    with_overdue: int = 0
    done: int = 0
    total: int = 0

    @property
    def progress(self) -> Progress:
        return Progress(self.done, self.total)


def _tally(condition: sa.ColumnExpressionArgument[bool]) -> sa.FunctionElement:
    """How many rows meet `condition`, as an aggregate (NULL over no rows; `.over()` makes it a window)."""
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _count(condition: sa.ColumnExpressionArgument[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(_tally(condition), 0)


def _in_scope(column: sa.SQLColumnExpression[int], scope_ids: set[int] | None) -> sa.ColumnElement[bool]:
    if scope_ids is None:
        return sa.true()
    return column.in_(sorted(scope_ids))


def step_totals(plan_filter: list[sa.ColumnElement[bool]], today: date) -> sa.Subquery:
    """Per plan: counted steps (cancelled left out), done, overdue and started steps."""
    return (
        sa.select(
            Weakness.plan_id.label("plan_id"),
            _count(Step.status != StepStatus.cancelled).label("total"),
            _count(Step.status == StepStatus.done).label("done"),
            _count(Step.is_overdue(today)).label("overdue"),
            _count(Step.status.in_(STARTED_STATUSES)).label("started"),
        )
        .select_from(Step)
        .join(Measure, Step.measure_id == Measure.id)
        .join(Weakness, Measure.weakness_id == Weakness.id)
        .join(Plan, Weakness.plan_id == Plan.id)
        .where(*plan_filter)
        .group_by(Weakness.plan_id)
        .subquery("totals")
    )


def last_activity(plan_filter: list[sa.ColumnElement[bool]]) -> sa.Subquery:
    """Per plan: when work on one of its steps was last recorded."""
    return (
        sa.select(Weakness.plan_id.label("plan_id"), sa.func.max(JournalEntry.created_at).label("last_activity"))
        .select_from(JournalEntry)
        .join(Step, JournalEntry.step_id == Step.id)
        .join(Measure, Step.measure_id == Measure.id)
        .join(Weakness, Measure.weakness_id == Weakness.id)
        .join(Plan, Weakness.plan_id == Plan.id)
        .where(*plan_filter, JournalEntry.action.in_(PROGRESS_ACTIONS))
        .group_by(Weakness.plan_id)
        .subquery("activity")
    )


def is_office() -> sa.ColumnElement[bool]:
    """The organization has an oversight user: a provincial or national office.

    Not correlated: the few offices are read once, whatever the number of
    organizations (a correlated EXISTS per organization let SQLite plan a
    nested loop over every pair)."""
    return Organization.id.in_(
        sa.select(User.organization_id).where(User.role.in_(sorted(OVERSIGHT_ROLES)), User.organization_id.is_not(None))
    )


def _base(scope_ids: set[int] | None, query: OverviewQuery, today: date):
    """The overview's statement (unsorted, unpaged) and its sort expressions.

    Figures come from the counters the step services keep (`plans.counters`):
    one row per plan, not an aggregate over the year's steps and journal."""
    total = sa.func.coalesce(PlanCounter.total, 0)
    done = sa.func.coalesce(PlanCounter.done, 0)
    started = sa.func.coalesce(PlanCounter.started, 0)
    # No plan or no steps: no figure (NULL, shown as 0 and sorted last), as for the other counts.
    # The kept count when it is of `today` (from the day's first scheduler beat), else summed.
    kept = PlanCounter.overdue_on == today
    overdue = sa.case(
        (PlanCounter.plan_id.is_(None), None), (kept, PlanCounter.overdue), else_=overdue_sum(Plan.id, today)
    )
    # Sorted by the exact share done, which orders rows as their shown Progress.percent does.
    percent = sa.case((PlanCounter.total > 0, PlanCounter.done * 1.0 / PlanCounter.total), else_=None)
    state = sa.case(
        (Plan.id.is_(None), int(State.no_plan)),
        (started == 0, int(State.not_started)),
        else_=int(State.started),
    )
    conditions: list[sa.ColumnElement[bool]] = [_in_scope(Organization.id, scope_ids), ~is_office()]
    if query.q:
        needle = query.q.lower()
        conditions.append(
            sa.or_(
                sa.func.lower(Organization.name).contains(needle, autoescape=True),
                sa.func.lower(Organization.slug).contains(needle, autoescape=True),
            )
        )
    if query.province:
        conditions.append(sa.func.trim(Organization.province) == query.province)
    if query.show == "no_plan":
        conditions.append(Plan.id.is_(None))
    elif query.show == "not_started":
        conditions.append(state < int(State.started))
    elif query.show == "overdue":
        conditions.append(
            sa.or_(
                sa.and_(kept, PlanCounter.overdue > 0),
                sa.and_(
                    PlanCounter.overdue_on.is_distinct_from(today),
                    sa.exists().where(
                        PlanDueCount.plan_id == Plan.id, PlanDueCount.due_date < today, PlanDueCount.open_steps > 0
                    ),
                ),
            )
        )
    stmt = (
        sa.select(
            Organization.id.label("organization_id"),
            Organization.name,
            Organization.slug,
            Organization.province,
            Plan.id.label("plan_id"),
            Plan.title.label("plan_title"),
            Plan.status.label("plan_status"),
            total.label("total"),
            done.label("done"),
            overdue.label("overdue"),
            started.label("started"),
            PlanCounter.last_activity.label("last_activity"),
            state.label("state"),
        )
        .select_from(Organization)
        .outerjoin(Plan, sa.and_(Plan.organization_id == Organization.id, Plan.fiscal_year == query.fiscal_year))
        .outerjoin(PlanCounter, PlanCounter.plan_id == Plan.id)
        .where(*conditions)
    )
    # A name: one of the statement's own columns (computed once, whatever the sort).
    sorts: dict[str, str | sa.SQLColumnExpression] = {
        "name": "name",
        "province": "province",
        "state": "state",
        "done": PlanCounter.done,
        "total": PlanCounter.total,
        "percent": percent,
        "overdue": "overdue",
        "activity": "last_activity",
    }
    return stmt, sorts


def _ordered(stmt, sorts: dict, query: OverviewQuery):
    key = sorts[query.sort]
    if isinstance(key, str):
        key = stmt.selected_columns[key]
    # Organizations without the figure (no plan, no activity) last, whichever the direction.
    return stmt.order_by(
        sa.case((key.is_(None), 1), else_=0),
        key.desc() if query.descending else key.asc(),
        Organization.name,
        Organization.id,
    )


def _row(mapping: Mapping) -> OrgRow:
    values = {name: mapping[name] for name in OrgRow.__dataclass_fields__}
    values["province"] = values["province"] or ""
    for name in ("total", "done", "overdue", "started"):
        values[name] = int(values[name] or 0)
    return OrgRow(**values)


def _figures(rows) -> list[sa.FunctionElement]:
    """The summary's figures over the rows of `rows` (the overview as a subquery), in
    `Summary`'s order, as aggregates: plain for `summary`, windows for a page (`_page_statement`)."""
    return [
        sa.func.count(),
        _tally(rows.c.plan_id.is_not(None)),
        _tally(rows.c.plan_id.is_(None)),
        _tally(rows.c.state == int(State.not_started)),
        _tally(rows.c.overdue > 0),
        sa.func.sum(rows.c.done),
        sa.func.sum(rows.c.total),
    ]


def _page_statement(scope_ids: set[int] | None, query: OverviewQuery, today: date, page: int):
    """The rows of one page, each with the totals of all rows. The overview is a subquery
    evaluated once (OFFSET 0 keeps PostgreSQL from folding it into the outer statement,
    which computed each plan's overdue count again for the sort), then sorted and cut."""
    stmt, sorts = _base(scope_ids, query, today)
    key = sorts[query.sort]
    if not isinstance(key, str):
        stmt, key = stmt.add_columns(key.label("sort_key")), "sort_key"
    rows = stmt.offset(0).subquery("overview")
    key = rows.c[key]
    totals = [sa.func.coalesce(f.over(), 0).label(f"total_{n}") for n, f in enumerate(_figures(rows))]
    return (
        sa.select(rows, *totals)
        .order_by(
            # Organizations without the figure (no plan, no activity) last, whichever the direction.
            sa.case((key.is_(None), 1), else_=0),
            key.desc() if query.descending else key.asc(),
            rows.c.name,
            rows.c.organization_id,
        )
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )


def summary(scope_ids: set[int] | None, query: OverviewQuery, today: date) -> Summary:
    """Totals over every organization the query selects (one statement)."""
    stmt, _unused = _base(scope_ids, query, today)
    rows = stmt.subquery("overview")
    result = db.session.execute(sa.select(*_figures(rows)).select_from(rows)).one()
    return Summary(*(int(v or 0) for v in result))


def overview_page(scope_ids: set[int] | None, query: OverviewQuery, today: date) -> tuple[Page, Summary]:
    """One page (PER_PAGE rows) of the overview and the summary of all its rows.

    PostgreSQL: one statement, the totals as window aggregates (national scope, sorted by
    overdue: 58 ms against 92 ms for two statements, benchmarks/README.md). SQLite computes
    the windows slower than a second pass (78 against 63 ms): the summary, then the page."""
    if db.session.get_bind().dialect.name != "postgresql":
        totals = summary(scope_ids, query, today)
        page = min(query.page, max(1, -(-totals.organizations // PER_PAGE)))
        stmt, sorts = _base(scope_ids, query, today)
        result = db.session.execute(_ordered(stmt, sorts, query).offset((page - 1) * PER_PAGE).limit(PER_PAGE))
        return Page([_row(r._mapping) for r in result], totals.organizations, page, PER_PAGE), totals
    rows = db.session.execute(_page_statement(scope_ids, query, today, query.page)).all()
    if not rows and query.page > 1:  # past the last page: the last page
        last = max(1, -(-summary(scope_ids, query, today).organizations // PER_PAGE))
        rows = db.session.execute(_page_statement(scope_ids, query, today, last)).all()
    if not rows:
        return Page([], 0, 1, PER_PAGE), Summary()
    totals = Summary(*(int(rows[0]._mapping[f"total_{n}"] or 0) for n in range(7)))
    page = min(query.page, max(1, -(-totals.organizations // PER_PAGE)))
    return Page([_row(r._mapping) for r in rows], totals.organizations, page, PER_PAGE), totals


def overview_rows(scope_ids: set[int] | None, query: OverviewQuery, today: date) -> list[OrgRow]:
    """Every row the query selects, sorted (for the XLSX export)."""
    stmt, sorts = _base(scope_ids, query, today)
    return [_row(r._mapping) for r in db.session.execute(_ordered(stmt, sorts, query))]


def fiscal_years(scope_ids: set[int] | None, current: int) -> list[int]:
    """Years with a plan in scope, and the current one; newest first."""
    if scope_ids is None:  # the whole country: a probe of the index per year, not 23,550 plans
        years = set(distinct_values(Plan.fiscal_year))
    else:
        years = set(
            db.session.scalars(sa.select(Plan.fiscal_year).where(_in_scope(Plan.organization_id, scope_ids)).distinct())
        )
    return sorted(years | {current}, reverse=True)


def provinces(scope_ids: set[int] | None) -> list[str]:
    """The provinces of the organizations in scope (for the national filter)."""
    name = sa.func.trim(Organization.province)
    return sorted(
        p
        for p in db.session.scalars(
            sa.select(name).where(_in_scope(Organization.id, scope_ids), name != "", ~is_office()).distinct()
        )
        if p
    )


@dataclass(frozen=True)
class PlanRow:
    plan: Plan
    progress: Progress
    overdue: int
    last_activity: datetime | None


def organization_plans(organization_id: int, today: date) -> list[PlanRow]:
    """Every plan of the organization with its progress, newest year first (two queries)."""
    plan_filter = [Plan.organization_id == organization_id]
    totals = step_totals(plan_filter, today)
    activity = last_activity(plan_filter)
    rows = db.session.execute(
        sa.select(Plan, totals.c.total, totals.c.done, totals.c.overdue, activity.c.last_activity)
        .outerjoin(totals, totals.c.plan_id == Plan.id)
        .outerjoin(activity, activity.c.plan_id == Plan.id)
        .where(*plan_filter)
        .order_by(Plan.fiscal_year.desc())
    )
    return [
        PlanRow(plan, Progress(int(done or 0), int(total or 0)), int(overdue or 0), last)
        for plan, total, done, overdue, last in rows
    ]
