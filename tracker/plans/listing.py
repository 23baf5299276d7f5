"""Lists of steps on the plan pages: filters and search read from the query string
(a bad value is a clear 400, never a 500), a plan's steps and a person's open steps,
and paging.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .. import thaidate
from ..auth.models import User
from ..db import db
from ..errors import ServiceError

# How many rows a page shows and the longest search kept are the query forms' rules.
from ..forms.query import MAX_PER_PAGE as MAX_PER_PAGE
from ..forms.query import MAX_SEARCH as MAX_SEARCH
from ..forms.query import PER_PAGE as PER_PAGE
from ..i18n import N_, _, _l
from ..orgs.models import Department
from . import step_rows
from .models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness
from .queries import DUE_SOON_DAYS, _due_soon, _step_options
from .step_rows import StepRow

# -- the dashboard's step list -------------------------------------------------------


STATUS_FILTERS: dict[str, str] = {
    "open": N_("ยังไม่เสร็จ (ยังไม่เริ่ม + กำลังดำเนินการ)"),
    **{s.value: s.label for s in StepStatus},
}


DUE_FILTERS: dict[str, str] = {
    "overdue": _l("เลยกำหนดเท่านั้น"),
    "soon": _l("ครบกำหนดภายใน %(due_soon_days)s วัน", due_soon_days=DUE_SOON_DAYS),
}


def department_arg(args: Mapping[str, str], departments: list[Department]) -> int | None:
    """The `department` query parameter: one of the organization's departments, or None."""
    department_id = _int_arg(args, "department", "หน่วยงาน")
    if department_id is not None and department_id not in {d.id for d in departments}:
        raise ServiceError(_("ไม่พบหน่วยงานที่เลือก"))
    return department_id


def _int_arg(args: Mapping[str, str], name: str, label: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    raw = thaidate.to_arabic_digits(raw)
    # The length cap keeps int() from refusing (4300+ digits) and the database from overflowing.
    if not raw.isdigit() or not raw.isascii() or len(raw) > 18:
        raise ServiceError(f"{label} ต้องเป็นตัวเลข: {raw[:20]!r} ({name} must be a whole number)")
    return int(raw)


def search_arg(args: Mapping[str, str]) -> str:
    """The `q` query parameter: search text, spaces squeezed, at most MAX_SEARCH characters."""
    return " ".join((args.get("q") or "").split())[:MAX_SEARCH]


def page_args(args: Mapping[str, str]) -> tuple[int, int]:
    """`page` and `per_page` from the query string, kept within bounds."""
    page = _int_arg(args, "page", "หน้า") or 1
    per_page = _int_arg(args, "per_page", "จำนวนต่อหน้า") or PER_PAGE
    return max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)


def contains(column: sa.SQLColumnExpression[str], q: str) -> sa.ColumnElement[bool]:
    """`column` contains the text `q` (case-insensitive; % and _ in `q` are plain characters)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


_NUMBER_RE = re.compile(r"\d+(?:\.\d+){0,2}")


def step_search(q: str) -> sa.ColumnElement[bool] | None:
    """Steps whose title contains `q`, or whose number is or starts with it.

    A number is searched as people read it: "2" is every step of weakness 2,
    "2.1" is step 2.1 (or the steps of measure 2.1 when weakness 2 has several
    measures), "3.2.4" one step. Thai digits work too. The query must join
    Step → Measure → Weakness.
    """
    if not q:
        return None
    found: sa.ColumnElement[bool] = contains(Step.title, q)
    number = thaidate.to_arabic_digits(q).rstrip(".")
    if _NUMBER_RE.fullmatch(number):
        parts = [int(x) for x in number.split(".")]
        sibling = aliased(Measure)
        several = sa.select(sa.func.count(sibling.id)).where(sibling.weakness_id == Weakness.id).scalar_subquery() > 1
        match: sa.ColumnElement[bool] = Weakness.order == parts[0]
        if len(parts) == 2:
            match = sa.and_(
                match, sa.or_(sa.and_(~several, Step.order == parts[1]), sa.and_(several, Measure.order == parts[1]))
            )
        elif len(parts) == 3:
            match = sa.and_(match, several, Measure.order == parts[1], Step.order == parts[2])
        found = sa.or_(found, match)
    return found


@dataclass
class StepFilters:
    """The dashboard's filters (read by list_forms.StepFilterForm)."""

    department_id: int | None = None
    status: str = ""
    due: str = ""
    page: int = 1
    per_page: int = PER_PAGE
    #: Search text: title words or a step number such as "2.1"
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.department_id or self.status or self.due or self.q)

    def query_args(self, **override: object) -> dict[str, object]:
        """The filters as URL parameters (for pagination links), empty ones left out."""
        args: dict[str, object] = {
            "department": self.department_id,
            "status": self.status,
            "due": self.due,
            "q": self.q,
            "per_page": self.per_page if self.per_page != PER_PAGE else None,
            "page": self.page if self.page != 1 else None,
        }
        args.update(override)
        if args.get("page") == 1:
            args["page"] = None
        return {k: v for k, v in args.items() if v not in (None, "")}

    def conditions(self, day: date) -> list[sa.ColumnExpressionArgument[bool]]:
        where: list[sa.ColumnExpressionArgument[bool]] = []
        if self.department_id:
            where.append(Step.owner_department_id == self.department_id)
        if self.status == "open":
            where.append(Step.is_open)
        elif self.status:
            where.append(Step.status == StepStatus(self.status))
        if self.due == "overdue":
            where.append(Step.is_overdue(day))
        elif self.due == "soon":
            where.append(_due_soon(day))
        search = step_search(self.q)
        if search is not None:
            where.append(search)
        return where


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)


def plan_steps(plan_id: int, filters: StepFilters, day: date) -> Page:
    """One page of a plan's steps in plan order (weakness, measure, step), filtered, as StepRows."""
    base = (
        sa.select(Step)
        .join(Step.measure)
        .join(Measure.weakness)
        .join(Weakness.plan)
        .where(Weakness.plan_id == plan_id, *filters.conditions(day))
    )
    return rows_page(base.order_by(Weakness.order, Measure.order, Step.order), filters.page, filters.per_page)


def paginate(stmt: sa.Select, page: int, per_page: int, options: list | tuple = ()) -> Page:
    """One page of `stmt`'s rows (one count and one select); a page past the end shows the last one."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = min(page, max(1, -(-total // per_page)))
    items = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page).options(*options)).unique())
    return Page(items, total, page, per_page)


def rows_page(stmt: sa.Select, page: int, per_page: int) -> Page:
    """One page of `stmt` (a select of steps joined to their measure, weakness and plan) as
    plain StepRows, counted in the same statement (`count(*) OVER ()`): one statement, no ORM
    objects. A page past the end shows the last one (then a count and the page again)."""
    rows_stmt = step_rows.select_rows(stmt).add_columns(sa.func.count().over())
    rows = db.session.execute(rows_stmt.offset((page - 1) * per_page).limit(per_page)).all()
    if rows:
        total = rows[0][-1]
    elif page > 1:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
        page = max(1, -(-total // per_page))
        rows = db.session.execute(rows_stmt.offset((page - 1) * per_page).limit(per_page)).all() if total else []
    else:
        total = 0
    return Page([step_rows.StepRow.of(row) for row in rows], total, page, per_page)


def open_steps(
    organization_id: int,
    *,
    department_id: int | None = None,
    user: User | None = None,
    q: str = "",
) -> list[Step]:
    """Open steps of the organization's active plans, soonest due first.

    With `user`: only the steps of the user's department or assigned to the
    user. With `department_id`: only that department's steps. With `q`: only
    those found by step_search().
    """
    stmt = _open_steps_stmt(organization_id, department_id, user, q)
    return list(db.session.scalars(stmt.options(*_step_options(with_plan=True))).unique())


def open_steps_page(
    organization_id: int,
    *,
    department_id: int | None = None,
    user: User | None = None,
    q: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """open_steps() one page at a time."""
    stmt = _open_steps_stmt(organization_id, department_id, user, q)
    return paginate(stmt, page, per_page, _step_options(with_plan=True))


#: A step's place on งานของฉัน: overdue, due within DUE_SOON_DAYS days, or later (or closed).
DUE_GROUPS: dict[str, str] = {
    "overdue": N_("เลยกำหนด"),
    "soon": N_("ครบกำหนดภายใน %(due_soon_days)s วัน"),
    "later": N_("ขั้นตอนอื่น"),
}


def due_group(step: Step | StepRow, day: date) -> str:
    """ "overdue", "soon" or "later": the part of งานของฉัน the step is listed in."""
    if step.is_overdue(day):
        return "overdue"
    if step.is_open and day <= step.due_date <= day + timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return "later"


def days_late(step: Step | StepRow, day: date) -> int:
    """Whole days since an overdue step's due date (0 when it is not overdue)."""
    return (day - step.due_date).days if step.is_overdue(day) else 0


def my_steps_page(organization_id: int, filters: StepFilters, day: date, *, user: User | None = None) -> Page:
    """One page of the steps of the organization's active plans matching `filters`: overdue first,
    then those due within DUE_SOON_DAYS days, then the rest, soonest due first in each part.

    With `user`: only the steps of the user's department or assigned to the user (`filters`'
    department, if any, narrows further). One statement (`rows_page`), rows as StepRows."""
    group = sa.case((Step.is_overdue(day), 0), (_due_soon(day), 1), else_=2)
    stmt = (
        _active_steps(organization_id, user)
        .where(*filters.conditions(day))
        .order_by(group, Step.due_date, Plan.fiscal_year, Weakness.order, Measure.order, Step.order)
    )
    return rows_page(stmt, filters.page, filters.per_page)


def _active_steps(organization_id: int, user: User | None) -> sa.Select:
    """Steps of the organization's active plans; with `user`, only the user's own."""
    stmt = (
        sa.select(Step)
        .join(Step.measure)
        .join(Measure.weakness)
        .join(Weakness.plan)
        .where(Plan.organization_id == organization_id, Plan.status == PlanStatus.active)
    )
    if user is not None:
        mine = Step.assignee_id == user.id
        if user.department_id is not None:
            mine = sa.or_(mine, Step.owner_department_id == user.department_id)
        stmt = stmt.where(mine)
    return stmt


def _open_steps_stmt(organization_id: int, department_id: int | None, user: User | None, q: str) -> sa.Select:
    stmt = _active_steps(organization_id, user).where(Step.is_open)
    if department_id is not None:
        stmt = stmt.where(Step.owner_department_id == department_id)
    search = step_search(q)
    if search is not None:
        stmt = stmt.where(search)
    return stmt.order_by(Step.due_date, Plan.fiscal_year, Weakness.order, Measure.order, Step.order)
