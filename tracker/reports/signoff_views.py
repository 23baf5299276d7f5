"""Sign-off pages: the list of submissions (with "waiting for me" for managers),
a submission with its chain, submitting (admins), acknowledging (the next
manager only) and withdrawing (admins).

Everything is of the user's own organization: another organization's
submission is a 404. Refusals of the services (not your turn, not a manager)
are 403 pages naming whose turn it is; bad input re-renders the form with 400.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access, thaidate
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from .. import clock
from ..plans import queries
from ..plans.models import Plan
from .followup import ROUNDS, resolve_as_of
from .memo import build_memo, get_memo
from .models import ReportKind, ReportSubmission, SubmissionStatus
from .signoff import (
    COMMENT_SUGGESTIONS,
    KIND_LABELS,
    STATUS_LABELS,
    acknowledge,
    chain_of,
    default_chain,
    next_in_line,
    organization_submissions,
    report_label,
    submit_report,
    waiting_for,
    withdraw,
)

bp = Blueprint("signoff", __name__)

#: Ids are 32-bit integers in the database; a larger one in a form is simply not there.
MAX_ID = 2**31 - 1


def _me() -> User:
    return current_user._get_current_object()


def _plans() -> list[Plan]:
    return list(db.session.scalars(
        sa.select(Plan).where(Plan.organization_id == current_user.organization_id).order_by(Plan.fiscal_year.desc())
    ))


def _submission(submission_id: int) -> ReportSubmission:
    submission = db.session.get(ReportSubmission, submission_id)
    if submission is None or not access.can_read_org(current_user, submission.organization_id):
        abort(404)
    return submission


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "submission_kind_labels": KIND_LABELS,
        "submission_status_labels": STATUS_LABELS,
    }


# -- the list ---------------------------------------------------------------------------

@bp.get("/reports/submissions")
@login_required
def index():
    plans = _plans()
    by_id = {p.id: p for p in plans}
    thai = bool(current_user.thai_digits)

    def row(submission: ReportSubmission) -> dict:
        plan = by_id[submission.plan_id]
        return {"s": submission, "chain": chain_of(submission), "plan": plan,
                "label": report_label(submission, plan, thai_digits=thai)}

    return render_template(
        "reports/submissions.html",
        waiting=[row(s) for s in waiting_for(_me())],
        rows=[row(s) for s in organization_submissions(current_user.organization_id)],
        plans=plans,
        is_admin=access.is_org_admin(current_user, current_user.organization_id),
    )


# -- submitting -------------------------------------------------------------------------

def _render_new(form: dict, error: str | None = None):
    managers = default_chain(current_user.organization_id)
    if "plan_id" not in form:
        current = queries.current_plan(current_user.organization_id)
        form["plan_id"] = str(current.id) if current else ""
    form.setdefault("kind", ReportKind.analysis.value)
    if not any(k.startswith("order-") for k in form):
        for i, manager in enumerate(managers, start=1):
            form[f"order-{manager.id}"] = str(i)
    page = render_template(
        "reports/submit.html", form=form, error=error, plans=_plans(), managers=managers,
        kinds=list(ReportKind), rounds=ROUNDS,
    )
    return page, 400 if error else 200


@bp.get("/reports/submissions/new")
@login_required
def new():
    access.require_admin(current_user, current_user.organization_id)
    return _render_new({k: v for k, v in request.args.items() if k in ("plan_id", "kind", "as_of", "round")})


def _chain_from_form(form) -> list[User]:
    """The managers given a number, in that order (Thai digits accepted)."""
    picked: list[tuple[int, User]] = []
    for manager in default_chain(current_user.organization_id):
        text = thaidate.to_arabic_digits(form.get(f"order-{manager.id}", "")).strip()
        if not text:
            continue
        if not text.isdigit() or int(text) < 1:
            raise ServiceError(f"ลำดับของ {manager.display_name} ต้องเป็นเลข 1, 2, 3 … (the order must be a positive number)")
        picked.append((int(text), manager))
    numbers = [n for n, _ in picked]
    if len(set(numbers)) != len(numbers):
        raise ServiceError("มีลำดับซ้ำกัน โปรดให้แต่ละคนมีลำดับไม่ซ้ำ (two managers have the same number)")
    return [m for _, m in sorted(picked, key=lambda p: p[0])]


@bp.post("/reports/submissions")
@login_required
def create():
    access.require_admin(current_user, current_user.organization_id)
    form = request.form
    try:
        raw_plan = thaidate.to_arabic_digits(form.get("plan_id", "")).strip()
        plan = db.session.get(Plan, int(raw_plan)) if raw_plan.isdigit() and int(raw_plan) <= MAX_ID else None
        if plan is None or plan.organization_id != current_user.organization_id:
            raise ServiceError("โปรดเลือกแผน (choose a plan)")
        try:
            kind = ReportKind(form.get("kind", ""))
        except ValueError:
            raise ServiceError("โปรดเลือกชนิดรายงาน (choose the kind of report)") from None
        today = clock.today()
        if kind is ReportKind.followup:
            as_of, round_ = resolve_as_of(plan.fiscal_year, form.get("as_of"), form.get("round"), today)
        else:
            text = (form.get("as_of") or "").strip()
            try:
                as_of = thaidate.parse_date(text) if text else None
            except thaidate.DateParseError as exc:
                raise ServiceError(f"วันที่: {exc}") from None
            memo = get_memo(plan)
            as_of = as_of or (memo.memo_date if memo and memo.memo_date else today)
            round_ = None
            build_memo(plan)  # the memo must exist: missing scores are said here
        submission = submit_report(
            plan, _me(), clock.now(), kind=kind, chain=_chain_from_form(form), as_of=as_of, round_=round_,
            note=form.get("note", ""),
        )
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        return _render_new(form.to_dict(), error=str(exc))
    flash("ส่งรายงานให้ผู้บริหารพิจารณาตามลำดับแล้ว (submitted)", "success")
    return redirect(url_for("signoff.show", submission_id=submission.id))


# -- one submission ---------------------------------------------------------------------

def _render_show(submission: ReportSubmission, *, error: str | None = None, comment: str | None = None):
    plan = db.session.get(Plan, submission.plan_id)
    assert plan is not None
    nxt = next_in_line(submission)
    if submission.kind is ReportKind.analysis:
        links = [("ดูรายงาน (page)", url_for("memo.page", plan_id=plan.id)),
                 ("Word (DOCX)", url_for("memo.download", plan_id=plan.id, fmt="docx")),
                 ("PDF", url_for("memo.download", plan_id=plan.id, fmt="pdf"))]
    else:
        params = {"as_of": submission.as_of.isoformat()}
        links = [("ดูรายงาน (page)", url_for("reports.followup", plan_id=plan.id, **params))] + [
            (label, url_for("reports.download", plan_id=plan.id, fmt=fmt, **params))
            for fmt, label in (("pdf", "PDF"), ("docx", "Word (DOCX)"), ("xlsx", "Excel (XLSX)"))
        ]
    page = render_template(
        "reports/submission.html",
        s=submission,
        chain=chain_of(submission),
        plan=plan,
        label=report_label(submission, plan, thai_digits=bool(current_user.thai_digits)),
        links=links,
        my_turn=nxt is not None and nxt.user_id == current_user.id,
        can_withdraw=access.is_org_admin(current_user, submission.organization_id)
        and submission.status is SubmissionStatus.pending,
        suggestions=COMMENT_SUGGESTIONS,
        error=error,
        comment=comment if comment is not None else COMMENT_SUGGESTIONS[0],
    )
    return page, 400 if error else 200


@bp.get("/reports/submissions/<int:submission_id>")
@login_required
def show(submission_id: int):
    return _render_show(_submission(submission_id))


@bp.post("/reports/submissions/<int:submission_id>/acknowledge")
@login_required
def acknowledge_view(submission_id: int):
    submission = _submission(submission_id)
    comment = request.form.get("comment", "")
    try:
        # Not a manager, or not the next one: PermissionDenied → 403 naming whose turn it is.
        acknowledge(submission, _me(), clock.now(), comment)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        return _render_show(_submission(submission_id), error=str(exc), comment=comment)
    flash("บันทึกการพิจารณาแล้ว (acknowledged)", "success")
    return redirect(url_for("signoff.show", submission_id=submission_id))


@bp.post("/reports/submissions/<int:submission_id>/withdraw")
@login_required
def withdraw_view(submission_id: int):
    submission = _submission(submission_id)
    try:
        withdraw(submission, _me(), clock.now(), request.form.get("reason", ""))
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        return _render_show(_submission(submission_id), error=str(exc))
    flash("ถอนคืนรายงานแล้ว (withdrawn)", "success")
    return redirect(url_for("signoff.show", submission_id=submission_id))
