"""The JSON API at /api/v1, for scripts: personal API tokens, the web's permission rules.

Every request but the OpenAPI document needs `Authorization: Bearer <token>`;
the session cookie is ignored here, so a browser's login cannot be borrowed
by another site (and CSRF does not apply). A token acts as its user: reads
are limited to `access.readable_organization_ids`, changes go through the
same services as the web pages. Records the user may not read answer 404.
Every error is `{"error": "<Thai (English)>", "status": <code>}`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .. import access, clock, versions
from ..auth.models import User
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..extensions import csrf
from ..i18n import _, _l
from ..notify.models import OutboxMessage
from ..orgs.models import Department, Organization
from ..plans import queries, services, update
from ..plans.models import Evidence, Measure, Plan, Step, StepStatus, Weakness
from ..plans.progress import Progress
from . import keyset, step_list, tokens
from . import schemas as out
from .inputs import Comment, InputError, OutboxQuery, Query, StatusChange, StepQuery, parse_body, parse_query
from .openapi import document
from .schemas import MAX_ID

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token requests carry no cookie-borne authority, so there is nothing to forge.
csrf.exempt(bp)

SLUG = re.compile(r"[a-z0-9-]{1,64}")

MESSAGES = {
    400: _l("คำขอไม่ถูกต้อง"),
    401: _l("ต้องส่งโทเคนใน Authorization: Bearer <token>"),
    403: _l("คุณไม่มีสิทธิ์ทำรายการนี้"),
    409: _l("มีผู้บันทึกข้อมูลนี้พร้อมกัน โปรดอ่านใหม่แล้วส่งอีกครั้ง"),
    404: _l("ไม่พบข้อมูล"),
    405: _l("วิธีเรียกไม่ถูกต้อง"),
    412: _l("ข้อมูลถูกแก้ไขหลังรุ่นที่ระบุใน If-Match โปรดอ่านใหม่แล้วส่งอีกครั้ง"),
    422: _l("ทำรายการนี้ไม่ได้"),
    500: _l("เกิดข้อผิดพลาดภายในระบบ"),
}


class ApiError(Exception):
    """An answer other than 2xx, with its message (Thai first, English in parentheses)."""

    def __init__(self, status: int, message: str | None = None):
        super().__init__(message or MESSAGES[status])
        self.status = status
        self.message = str(message or MESSAGES[status])


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    # Thai stays readable in the body (no \\u escapes).
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error_response(status: int, message: str) -> Response:
    db.session.rollback()
    headers = {"WWW-Authenticate": 'Bearer realm="tracker"'} if status == 401 else None
    return json_response(out.Error(error=str(message), status=status), status, headers)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.message)


@bp.errorhandler(InputError)
def _input_error(exc: InputError) -> Response:
    return error_response(400, exc.message)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Response:
    return error_response(400, str(exc))


@bp.errorhandler(versions.Stale)
def _stale(exc: versions.Stale) -> Response:
    db.session.rollback()
    conflict = out.Conflict(
        error=exc.message,
        status=409,
        your_version=exc.expected,
        current_version=exc.current,
        changes=[out.Change.of(e) for e in exc.changes],
    )
    return json_response(conflict, 409, {"ETag": f'"{exc.current}"'})


@bp.errorhandler(StaleDataError)
def _stale_row(exc: StaleDataError) -> Response:
    return error_response(409, MESSAGES[409])


@bp.errorhandler(PermissionDenied)
def _permission_denied(exc: PermissionDenied) -> Response:
    return error_response(403, exc.message)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    return error_response(status, MESSAGES.get(status, exc.description or exc.name))


# -- authentication -------------------------------------------------------------------


@bp.before_request
def _authenticate() -> Response | None:
    if request.endpoint == "api.openapi":
        return None
    scheme, _unused, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return error_response(401, MESSAGES[401])
    try:
        g.api_user = tokens.authenticate(secret, clock.now())
    except tokens.TokenRefused as exc:
        return error_response(401, exc.message)
    if db.session.dirty:
        # The token's last use, when it is noted (once per LAST_USED_RESOLUTION). Only then: a
        # commit expires the user, and reading it again would cost a statement on every request.
        db.session.commit()
    return None


def _user() -> User:
    return g.api_user


def _tagged(response: Response, record: Any) -> Response:
    """The record's version as the response's entity tag (RFC 9110), for `If-Match`."""
    response.headers["ETag"] = versions.etag(record)
    return response


def _if_match(record: Any) -> None:
    """Honour `If-Match`: a change to a record whose version the client did not name is 412."""
    if request.headers.get("If-Match") is None:
        return
    if not request.if_match.contains(str(record.version or 1)):
        raise ApiError(412)


# -- reading parameters ------------------------------------------------------------------


def _query(model: type[Any] | None = None) -> Any:
    """The query parameters, validated by their model (none allowed without one)."""
    if model is None:
        unknown = sorted(request.args)
        if unknown:
            names = ", ".join(unknown)[:200]
            raise ApiError(400, _("ไม่รู้จักพารามิเตอร์ %(names)s", names=names))
        return None
    return parse_query(model, request.args.to_dict())


def _body(model: type[Any]) -> Any:
    return parse_body(model, request.get_data() if request.is_json else None)


def _record_id(value: int) -> int:
    # Larger numbers cannot be ids (and would overflow the database's integer).
    if not 1 <= value <= MAX_ID:
        raise ApiError(404)
    return value


# -- records the user may read ---------------------------------------------------------------


def _readable(organization_id: int) -> bool:
    return access.can_read_org(_user(), organization_id)


def _readable_filter(column: sa.SQLColumnExpression[int]) -> sa.ColumnElement[bool]:
    """SQL for "the organization is one the user may read" (None from access: all)."""
    ids = access.readable_organization_ids(_user())
    return sa.true() if ids is None else column.in_(ids)


def _organization(slug: str) -> Organization:
    if not SLUG.fullmatch(slug):
        raise ApiError(404)
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None or not _readable(org.id):
        raise ApiError(404)
    return org


def _plan(plan_id: int) -> Plan:
    plan = queries.load_plan(_record_id(plan_id))
    if plan is None or not _readable(plan.organization_id):
        raise ApiError(404)
    return plan


def _step_options() -> list:
    """What a step's JSON needs, loaded with the step: no query per row."""
    to_plan = joinedload(Step.measure).joinedload(Measure.weakness)
    return [
        to_plan.selectinload(Weakness.measures),
        to_plan.joinedload(Weakness.plan).joinedload(Plan.organization),
        joinedload(Step.owner_department),
        joinedload(Step.assignee),
        joinedload(Step.completed_by),
    ]


def _step(step_id: int, *, detail: bool = False) -> Step:
    options = _step_options()
    if detail:
        options.append(selectinload(Step.evidence).joinedload(Evidence.uploaded_by))
    step = db.session.scalar(sa.select(Step).where(Step.id == _record_id(step_id)).options(*options))
    if step is None or not _readable(step.measure.weakness.plan.organization_id):
        raise ApiError(404)
    return step


def _plan_totals(plan_ids: list[int]) -> dict[int, Progress]:
    """Progress of each plan (cancelled steps not counted), in one query."""
    return queries.progress_by(Weakness.plan_id, Weakness.plan_id.in_(plan_ids)) if plan_ids else {}


def _paging(q: Query) -> tuple[int, int]:
    """`limit` and `offset`; a cursor (`after`) replaces the offset, the two together are refused."""
    if q.after is not None and q.offset:
        raise InputError(_("ใช้ after คู่กับ offset ไม่ได้"))
    return q.limit, q.offset


def _capped_count(stmt: sa.Select, limit: int, offset: int) -> int:
    """Matching records counted up to `Page.cap`: the count stops where the next pages
    stop mattering, instead of walking every match of a nationwide filter."""
    capped = stmt.with_only_columns(sa.literal(1)).order_by(None).limit(out.Page.cap(limit, offset))
    return db.session.scalar(sa.select(sa.func.count()).select_from(capped.subquery())) or 0


# -- reads ---------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return json_response(document())


@bp.get("/me")
def me():
    _query()
    return json_response(out.Me.of(_user()))


@bp.get("/organizations")
def organizations():
    _query()
    orgs = db.session.scalars(
        sa.select(Organization).where(_readable_filter(Organization.id)).order_by(Organization.slug)
    )
    return json_response(out.OrganizationList(items=[out.Organization.of(o) for o in orgs]))


@bp.get("/organizations/<slug>")
def organization(slug: str):
    _query()
    org = _organization(slug)
    return json_response(out.OrganizationDetail.of_detail(org, queries.departments(org.id)))


@bp.get("/organizations/<slug>/plans")
def organization_plans(slug: str):
    _query()
    org = _organization(slug)
    plans = list(
        db.session.scalars(sa.select(Plan).where(Plan.organization_id == org.id).order_by(Plan.fiscal_year.desc()))
    )
    totals = _plan_totals([p.id for p in plans])
    return json_response(out.PlanList(items=[out.Plan.of(p, totals.get(p.id, Progress())) for p in plans]))


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    _query()
    p = _plan(plan_id)
    by_measure = queries.measure_progress(p.id)
    return _tagged(
        json_response(
            out.PlanDetail(
                **out.Plan.of(p, queries.total_progress(by_measure)).model_dump(),
                weaknesses=[out.Weakness.of(w, by_measure) for w in p.weaknesses],
            )
        ),
        p,
    )


@bp.get("/measures/<int:measure_id>")
def measure(measure_id: int):
    _query()
    m = db.session.scalar(
        sa.select(Measure)
        .where(Measure.id == _record_id(measure_id))
        .options(
            joinedload(Measure.weakness).joinedload(Weakness.plan),
            joinedload(Measure.weakness).selectinload(Weakness.measures),
            joinedload(Measure.owner_department),
        )
    )
    if m is None or not _readable(m.weakness.plan.organization_id):
        raise ApiError(404)
    steps = db.session.scalars(
        sa.select(Step).where(Step.measure_id == m.id).order_by(Step.order).options(*_step_options())
    ).unique()
    today = clock.today()
    w = m.weakness
    return _tagged(
        json_response(
            out.MeasureDetail(
                **out.Measure.of(m, queries.progress_of_measure(m.id)).model_dump(),
                weakness=out.WeaknessRef(id=w.id, order=w.order, title=w.title),
                steps=[out.Step.of(s, today) for s in steps],
            )
        ),
        m,
    )


@bp.get("/steps")
def steps():
    q: StepQuery = _query(StepQuery)
    user, today = _user(), clock.today()
    where: list[sa.ColumnExpressionArgument[bool]] = [_readable_filter(Plan.organization_id)]
    # Filters naming a record the user cannot read answer 404, like its own URL would.
    if q.organization:
        where.append(Plan.organization_id == _organization(q.organization).id)
    if q.plan is not None:
        where.append(Plan.id == q.plan)
    if q.measure is not None:
        where.append(Measure.id == q.measure)
    if q.department is not None:
        dep = db.session.get(Department, q.department)
        if dep is None or not _readable(dep.organization_id):
            raise ApiError(404, _("ไม่พบหน่วยงาน"))
        where.append(Step.owner_department_id == q.department)
    if q.status == "open":
        where.append(Step.is_open)
    elif q.status:
        where.append(Step.status == StepStatus(q.status))
    if q.due_after is not None:
        where.append(Step.due_date >= q.due_after)
    if q.due_before is not None:
        where.append(Step.due_date <= q.due_before)
    if q.overdue is not None:
        late = Step.is_overdue(today)
        where.append(late if q.overdue else sa.not_(late))
    if q.mine:
        mine = Step.assignee_id == user.id
        if user.department_id is not None:
            mine = sa.or_(mine, Step.owner_department_id == user.department_id)
        where.append(mine)
    limit, offset = _paging(q)
    key = (Plan.organization_id, Plan.fiscal_year, Weakness.order, Measure.order, Step.order, Step.id)
    if q.after is not None:
        where.append(keyset.after(key, keyset.decode(q.after, [int] * len(key))))
    base = sa.select(Step).join(Step.measure).join(Measure.weakness).join(Weakness.plan).where(*where)
    total = _capped_count(base, limit, offset)
    rows = step_list.rows_of(db.session.execute(step_list.select_page(base, key, offset, limit)))
    cursor = keyset.encode(step_list.cursor_key(rows[-1][0])) if rows else None
    return json_response(
        out.StepPage(
            items=[out.Step(**out.Step.fields_of_row(r, x, today)) for r, x in rows],
            **out.Page.counts(total, limit, offset, cursor),
        )
    )


@bp.get("/steps/<int:step_id>")
def step(step_id: int):
    _query()
    s = _step(step_id, detail=True)
    return _tagged(json_response(out.StepDetail.of(s, clock.today())), s)


@bp.get("/steps/<int:step_id>/journal")
def step_journal(step_id: int):
    _query()
    s = _step(step_id)
    return json_response(out.Journal(items=[out.JournalEntry.of(e) for e in queries.step_journal(s.id)]))


@bp.get("/outbox")
def outbox():
    q: OutboxQuery = _query(OutboxQuery)
    user = _user()
    access.require_admin(user, user.organization_id)
    where = [OutboxMessage.organization_id == user.organization_id]
    if q.status is not None:
        where.append(OutboxMessage.status == q.status)
    limit, offset = _paging(q)
    key = (OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if q.after is not None:
        where.append(keyset.after(key, keyset.decode(q.after, [datetime, int])))
    total = _capped_count(sa.select(OutboxMessage.id).where(*where), limit, offset)
    rows = list(
        db.session.scalars(sa.select(OutboxMessage).where(*where).order_by(*key).offset(offset or None).limit(limit))
    )
    cursor = keyset.encode([rows[-1].created_at, rows[-1].id]) if rows else None
    return json_response(
        out.OutboxPage(items=[out.OutboxMessage.of(m) for m in rows], **out.Page.counts(total, limit, offset, cursor))
    )


# -- changes -----------------------------------------------------------------------------------


@bp.post("/steps/<int:step_id>/status")
def change_status(step_id: int):
    user = _user()
    s = _step(step_id)
    access.require_step_editor(user, s)
    body: StatusChange = _body(StatusChange)
    _if_match(s)
    try:
        # The step page's update service: the same transitions and the organization's rule for "done".
        update.update_step(
            s,
            user,
            clock.now(),
            update.StepUpdate(
                status=body.status.value,
                note=body.note or "",
                completed_on=body.completed_on,
                cancel_reason=body.cancel_reason or "",
                version=body.version,
            ),
            upload_dir=current_app.config["TRACKER_UPLOAD_DIR"],
            max_bytes=0,  # no files through this call
        )
    except ServiceError as exc:
        # A well-formed request that the step's state refuses, e.g. done → cancelled.
        raise ApiError(422, str(exc)) from None
    db.session.commit()
    s = _step(step_id)
    return _tagged(json_response(out.Step.of(s, clock.today())), s)


@bp.post("/steps/<int:step_id>/comments")
def add_comment(step_id: int):
    user = _user()
    s = _step(step_id)
    access.require_step_editor(user, s)
    body: Comment = _body(Comment)
    _if_match(s)
    try:
        entry = services.add_comment(s, user, body.note, clock.now())
    except ServiceError as exc:
        raise ApiError(422, str(exc)) from None
    db.session.commit()
    return json_response(out.JournalEntry.of(entry), 201)
