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
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, request
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import HTTPException

from .. import access
from ..auth.models import User
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..extensions import csrf
from ..notify.models import OutboxMessage, OutboxStatus
from ..orgs.models import Department, Organization
from .. import clock
from ..plans import queries, services
from ..plans.models import Evidence, Measure, Plan, Step, StepStatus, Weakness
from ..plans.progress import Progress
from . import serialize, tokens
from .openapi import (
    CANCEL_REASON_MAX,
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    NOTE_MAX,
    STEP_STATUS_FILTERS,
    document,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token requests carry no cookie-borne authority, so there is nothing to forge.
csrf.exempt(bp)

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SLUG = re.compile(r"[a-z0-9-]{1,64}")
TRUE_WORDS, FALSE_WORDS = ("true", "1"), ("false", "0")

MESSAGES = {
    400: "คำขอไม่ถูกต้อง (bad request)",
    401: "ต้องส่งโทเคนใน Authorization: Bearer <token> (an API token is required)",
    403: "คุณไม่มีสิทธิ์ทำรายการนี้ (you are not allowed to do this)",
    404: "ไม่พบข้อมูล (not found)",
    405: "วิธีเรียกไม่ถูกต้อง (method not allowed)",
    422: "ทำรายการนี้ไม่ได้ (the request cannot be carried out)",
    500: "เกิดข้อผิดพลาดภายในระบบ (internal error)",
}


class ApiError(Exception):
    """An answer other than 2xx, with its message (Thai first, English in parentheses)."""

    def __init__(self, status: int, message: str | None = None):
        super().__init__(message or MESSAGES[status])
        self.status = status
        self.message = message or MESSAGES[status]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
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
    return json_response({"error": message, "status": status}, status, headers)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.message)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Response:
    return error_response(400, str(exc))


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
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return error_response(401, MESSAGES[401])
    try:
        g.api_user = tokens.authenticate(secret, clock.now())
    except tokens.TokenRefused as exc:
        return error_response(401, exc.message)
    db.session.commit()  # last_used_at
    return None


def _user() -> User:
    return g.api_user


# -- reading parameters ------------------------------------------------------------------

def _query(allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        names = ", ".join(unknown)[:200]
        raise ApiError(400, f"ไม่รู้จักพารามิเตอร์ {names} (unknown query parameters: {names}; "
                            f"known: {', '.join(allowed) or 'none'})")


def _int_arg(name: str, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    # The length check comes first: int() refuses strings of 4300+ digits.
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or not low <= int(raw) <= high:
        raise ApiError(400, f"{name} ต้องเป็นจำนวนเต็ม {low}–{high} ({name} must be a whole number "
                            f"from {low} to {high})")
    return int(raw)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    return _iso_date(raw, name)


def _iso_date(raw: str, name: str) -> date:
    try:
        if not ISO_DATE.fullmatch(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} ต้องเป็นวันที่แบบ ค.ศ. YYYY-MM-DD เช่น 2023-08-01 "
                            f"({name} must be an ISO 8601 date such as 2023-08-01)") from None


def _bool_arg(name: str) -> bool | None:
    raw = (request.args.get(name) or "").lower()
    if raw == "":
        return None
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ApiError(400, f"{name} ต้องเป็น true หรือ false ({name} must be true or false)")


def _paging() -> tuple[int, int]:
    limit = _int_arg("limit", 1, MAX_LIMIT) or DEFAULT_LIMIT
    offset = _int_arg("offset", 0, MAX_ID) or 0
    return limit, offset


def _record_id(value: int) -> int:
    # Larger numbers cannot be ids (and would overflow the database's integer).
    if not 1 <= value <= MAX_ID:
        raise ApiError(404)
    return value


# -- records the user may read ---------------------------------------------------------------

def _readable(organization_id: int) -> bool:
    return access.can_read_org(_user(), organization_id)


def _readable_filter(column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
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


# -- reads ---------------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    return json_response(document())


@bp.get("/me")
def me():
    _query(())
    return json_response(serialize.me(_user()))


@bp.get("/organizations")
def organizations():
    _query(())
    orgs = db.session.scalars(
        sa.select(Organization).where(_readable_filter(Organization.id)).order_by(Organization.slug)
    )
    return json_response({"items": [serialize.organization(o) for o in orgs]})


@bp.get("/organizations/<slug>")
def organization(slug: str):
    _query(())
    org = _organization(slug)
    return json_response(serialize.organization_detail(org, queries.departments(org.id)))


@bp.get("/organizations/<slug>/plans")
def organization_plans(slug: str):
    _query(())
    org = _organization(slug)
    plans = list(
        db.session.scalars(
            sa.select(Plan).where(Plan.organization_id == org.id).order_by(Plan.fiscal_year.desc())
        )
    )
    totals = _plan_totals([p.id for p in plans])
    return json_response({"items": [serialize.plan(p, totals.get(p.id, Progress())) for p in plans]})


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    _query(())
    p = _plan(plan_id)
    by_measure = queries.measure_progress(p.id)
    return json_response({
        **serialize.plan(p, queries.total_progress(by_measure)),
        "weaknesses": [serialize.weakness(w, by_measure) for w in p.weaknesses],
    })


@bp.get("/measures/<int:measure_id>")
def measure(measure_id: int):
    _query(())
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
    return json_response({
        **serialize.measure(m, queries.progress_of_measure(m.id)),
        "weakness": {"id": w.id, "order": w.order, "title": w.title},
        "steps": [serialize.step(s, today) for s in steps],
    })


STEP_PARAMS = ("organization", "plan", "measure", "department", "status", "due_after", "due_before",
               "overdue", "mine", "limit", "offset")


@bp.get("/steps")
def steps():
    _query(STEP_PARAMS)
    user, today = _user(), clock.today()
    where: list[sa.ColumnElement[bool]] = [_readable_filter(Plan.organization_id)]
    # Filters naming a record the user cannot read answer 404, like its own URL would.
    if slug := request.args.get("organization"):
        where.append(Plan.organization_id == _organization(slug).id)
    for name, column in (("plan", Plan.id), ("measure", Measure.id)):
        if (value := _int_arg(name, 1, MAX_ID)) is not None:
            where.append(column == value)
    if (department_id := _int_arg("department", 1, MAX_ID)) is not None:
        dep = db.session.get(Department, department_id)
        if dep is None or not _readable(dep.organization_id):
            raise ApiError(404, "ไม่พบหน่วยงาน (department not found)")
        where.append(Step.owner_department_id == department_id)
    status = request.args.get("status", "")
    if status:
        if status not in STEP_STATUS_FILTERS:
            raise ApiError(400, f"status ต้องเป็นหนึ่งใน {', '.join(STEP_STATUS_FILTERS)} "
                                f"(status must be one of {', '.join(STEP_STATUS_FILTERS)})")
        if status == "open":
            where.append(Step.is_open)
        else:
            where.append(Step.status == StepStatus(status))
    if (due_after := _date_arg("due_after")) is not None:
        where.append(Step.due_date >= due_after)
    if (due_before := _date_arg("due_before")) is not None:
        where.append(Step.due_date <= due_before)
    overdue = _bool_arg("overdue")
    if overdue is not None:
        late = Step.is_overdue(today)
        where.append(late if overdue else sa.not_(late))
    if _bool_arg("mine"):
        mine = Step.assignee_id == user.id
        if user.department_id is not None:
            mine = sa.or_(mine, Step.owner_department_id == user.department_id)
        where.append(mine)
    limit, offset = _paging()

    base = sa.select(Step).join(Step.measure).join(Measure.weakness).join(Weakness.plan).where(*where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = db.session.scalars(
        base.order_by(Plan.organization_id, Plan.fiscal_year, Weakness.order, Measure.order, Step.order, Step.id)
        .offset(offset)
        .limit(limit)
        .options(*_step_options())
    ).unique()
    return json_response(serialize.page([serialize.step(s, today) for s in rows], total, limit, offset))


@bp.get("/steps/<int:step_id>")
def step(step_id: int):
    _query(())
    return json_response(serialize.step_detail(_step(step_id, detail=True), clock.today()))


@bp.get("/steps/<int:step_id>/journal")
def step_journal(step_id: int):
    _query(())
    s = _step(step_id)
    return json_response({"items": [serialize.journal_entry(e) for e in queries.step_journal(s.id)]})


@bp.get("/outbox")
def outbox():
    _query(("status", "limit", "offset"))
    user = _user()
    access.require_admin(user, user.organization_id)
    where = [OutboxMessage.organization_id == user.organization_id]
    status = request.args.get("status", "")
    if status:
        try:
            where.append(OutboxMessage.status == OutboxStatus(status))
        except ValueError:
            names = ", ".join(s.value for s in OutboxStatus)
            raise ApiError(400, f"status ต้องเป็นหนึ่งใน {names} (status must be one of {names})") from None
    limit, offset = _paging()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(*where)) or 0
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(*where)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return json_response(serialize.page([serialize.outbox_message(m) for m in rows], total, limit, offset))


# -- changes -----------------------------------------------------------------------------------

def _text(value: Any, name: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{name} ต้องเป็นข้อความ ({name} must be a string)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, f"{name} มีอักขระที่ไม่ใช่ Unicode ที่ถูกต้อง ({name} is not valid Unicode)") from None
    if "\x00" in value:
        raise ApiError(400, f"{name} มีอักขระ NUL ({name} contains a NUL character)")
    if len(value) > max_length:
        raise ApiError(400, f"{name} ยาวเกิน {max_length} ตัวอักษร ({name} is longer than {max_length} characters)")
    return value


def _body(fields: dict[str, bool]) -> dict[str, Any]:
    """The JSON object sent, checked against the field names (True: required)."""
    try:
        data = request.get_json(silent=True) if request.is_json else None
    except RecursionError:  # "[[[[…" nested deeper than the parser goes; not a ValueError
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "ต้องส่งข้อมูลเป็นออบเจ็กต์ JSON พร้อม Content-Type: application/json "
                            "(the body must be a JSON object sent as application/json)")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names = ", ".join(unknown)[:200]
        raise ApiError(400, f"ไม่รู้จักช่อง {names} (unknown fields: {names}; known: {', '.join(fields)})")
    for name, required in fields.items():
        if required and data.get(name) is None:
            raise ApiError(400, f"ต้องระบุ {name} ({name} is required)")
    return data


@bp.post("/steps/<int:step_id>/status")
def change_status(step_id: int):
    user = _user()
    s = _step(step_id)
    access.require_step_editor(user, s)
    data = _body({"status": True, "note": False, "completed_on": False, "cancel_reason": False})
    status = _text(data["status"], "status", 32)
    if status not in {st.value for st in StepStatus}:
        names = ", ".join(st.value for st in StepStatus)
        raise ApiError(400, f"status ต้องเป็นหนึ่งใน {names} (status must be one of {names})")
    note = _text(data.get("note") or "", "note", NOTE_MAX)
    cancel_reason = _text(data.get("cancel_reason") or "", "cancel_reason", CANCEL_REASON_MAX)
    completed_on = None
    if data.get("completed_on") is not None:
        if status != StepStatus.done.value:
            raise ApiError(400, "ระบุ completed_on ได้เฉพาะเมื่อ status เป็น done "
                                "(completed_on is only for status done)")
        completed_on = _iso_date(_text(data["completed_on"], "completed_on", 10), "completed_on")
    try:
        services.change_status(s, status, user, clock.now(), note=note, completed_on=completed_on,
                               cancel_reason=cancel_reason)
    except ServiceError as exc:
        # A well-formed request that the step's state refuses, e.g. done → cancelled.
        raise ApiError(422, str(exc)) from None
    db.session.commit()
    return json_response(serialize.step(_step(step_id), clock.today()))


@bp.post("/steps/<int:step_id>/comments")
def add_comment(step_id: int):
    user = _user()
    s = _step(step_id)
    access.require_step_editor(user, s)
    data = _body({"note": True})
    note = _text(data["note"], "note", NOTE_MAX)
    try:
        entry = services.add_comment(s, user, note, clock.now())
    except ServiceError as exc:
        raise ApiError(422, str(exc)) from None
    db.session.commit()
    return json_response(serialize.journal_entry(entry), 201)
