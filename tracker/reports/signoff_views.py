"""Sign-off pages: the list of submissions (with "waiting for me" for managers),
a submission with its chain, submitting (admins), acknowledging (the next
manager only) and withdrawing (admins).

Everything is of the user's own organization: another organization's
submission is a 404. Refusals of the services (not your turn, not a manager)
are 403 pages naming whose turn it is; bad input re-renders the form with 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from .. import access, clock, i18n, thaidate
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from ..plans import queries
from ..plans.models import Plan
from .followup import resolve_as_of
from .forms import AcknowledgeForm, SubmitForm, SubmitPresetForm, WithdrawForm, submit_form
from .memo import build_memo
from .memo_saved import get_memo
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


def _me() -> User:
    return current_user._get_current_object()


def _plans() -> list[Plan]:
    return list(
        db.session.scalars(
            sa.select(Plan)
            .where(Plan.organization_id == current_user.organization_id)
            .order_by(Plan.fiscal_year.desc())
        )
    )


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
        return {
            "s": submission,
            "chain": chain_of(submission),
            "plan": plan,
            "label": report_label(submission, plan, thai_digits=thai),
        }

    return render_template(
        "reports/submissions.html",
        waiting=[row(s) for s in waiting_for(_me())],
        rows=[row(s) for s in organization_submissions(current_user.organization_id)],
        plans=plans,
        is_admin=access.is_org_admin(current_user, current_user.organization_id),
    )


# -- submitting -------------------------------------------------------------------------


def _submit_form(*, typed: bool) -> SubmitForm:
    """The submit form: as typed (a POST), or from the address's plan_id/kind/as_of/round
    with the organization's managers numbered in their usual order."""
    managers = default_chain(current_user.organization_id)
    if typed:
        form = submit_form(managers)
    else:
        data: dict[str, object] = {"kind": ReportKind.analysis.value}
        current = queries.current_plan(current_user.organization_id)
        data["plan_id"] = current.id if current else None
        data.update({f"order-{m.id}": str(i) for i, m in enumerate(managers, start=1)})
        form = submit_form(managers, formdata=None, data=data)
        # Links from a report page preset some fields; they are read like typed ones.
        presets = SubmitPresetForm.sent()
        for name, raw in presets.given().items():
            form[name].process(MultiDict({name: raw}))
            form[name].errors = [str(e) for e in form[name].process_errors]  # shown beside the field
    thai = bool(current_user.thai_digits)
    form.plan_id.set_records(
        _plans(),
        text=lambda p: "{} · {}".format(
            i18n._(
                "แผนปีงบประมาณ %(year)s", year=thaidate.to_thai_digits(str(p.fiscal_year)) if thai else p.fiscal_year
            ),
            p.title,
        ),
    )
    return form


def _render_new(form: SubmitForm):
    page = render_template("reports/submit.html", form=form)
    return page, 400 if form.has_errors else 200


@bp.get("/reports/submissions/new")
@login_required
def new():
    access.require_admin(current_user, current_user.organization_id)
    return _render_new(_submit_form(typed=False))


@bp.post("/reports/submissions")
@login_required
def create():
    access.require_admin(current_user, current_user.organization_id)
    form = _submit_form(typed=True)
    if not form.validate():
        return _render_new(form)
    plan = form.plan_id.record
    try:
        kind = ReportKind(form.kind.data)
        today = clock.today()
        if kind is ReportKind.followup:
            as_of, round_ = resolve_as_of(plan.fiscal_year, form.as_of.data, form.round.data, today)
        else:
            memo = get_memo(plan)
            as_of = form.as_of.data or (memo.memo_date if memo and memo.memo_date else today)
            round_ = None
            build_memo(plan)  # the memo must exist: missing scores are said here
        submission = submit_report(
            plan,
            _me(),
            clock.now(),
            kind=kind,
            chain=form.chain,
            as_of=as_of,
            round_=round_,
            note=form.note.data,
        )
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        form.refuse(exc)
        return _render_new(form)
    flash(_("ส่งรายงานให้ผู้บริหารพิจารณาตามลำดับแล้ว"), "success")
    return redirect(url_for("signoff.show", submission_id=submission.id))


# -- one submission ---------------------------------------------------------------------


def _render_show(
    submission: ReportSubmission,
    *,
    acknowledge_form: AcknowledgeForm | None = None,
    withdraw_form: WithdrawForm | None = None,
):
    plan = db.session.get(Plan, submission.plan_id)
    assert plan is not None
    nxt = next_in_line(submission)
    if submission.kind is ReportKind.analysis:
        links = [
            (_("ดูรายงาน"), url_for("memo.page", plan_id=plan.id)),
            ("Word (DOCX)", url_for("memo.download", plan_id=plan.id, fmt="docx")),
            ("PDF", url_for("memo.download", plan_id=plan.id, fmt="pdf")),
        ]
    else:
        as_of = submission.as_of.isoformat()
        links = [(_("ดูรายงาน"), url_for("reports.followup", plan_id=plan.id, as_of=as_of))] + [
            (label, url_for("reports.download", plan_id=plan.id, fmt=fmt, as_of=as_of))
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
        acknowledge_form=acknowledge_form or AcknowledgeForm(formdata=None, comment=COMMENT_SUGGESTIONS[0]),
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
    )
    refused = any(f is not None and f.has_errors for f in (acknowledge_form, withdraw_form))
    return page, 400 if refused else 200


@bp.get("/reports/submissions/<int:submission_id>")
@login_required
def show(submission_id: int):
    return _render_show(_submission(submission_id))


def _decide(
    submission_id: int,
    form: AcknowledgeForm | WithdrawForm,
    action: Callable[[ReportSubmission, Any], object],
    done: str,
    form_name: str,
):
    """A manager's or an admin's decision on a submission: `action(submission, form)` when
    the form is valid, committed, then back to the submission; a refusal re-renders it (400)."""
    submission = _submission(submission_id)
    if form.validate():
        try:
            action(submission, form)
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            form.refuse(exc)
        else:
            flash(done, "success")
            return redirect(url_for("signoff.show", submission_id=submission_id))
    return _render_show(_submission(submission_id), **{form_name: form})


@bp.post("/reports/submissions/<int:submission_id>/acknowledge")
@login_required
def acknowledge_view(submission_id: int):
    # Not a manager, or not the next one: PermissionDenied → 403 naming whose turn it is.
    return _decide(
        submission_id,
        AcknowledgeForm(),
        lambda submission, form: acknowledge(submission, _me(), clock.now(), form.comment.data),
        _("บันทึกการพิจารณาแล้ว"),
        "acknowledge_form",
    )


@bp.post("/reports/submissions/<int:submission_id>/withdraw")
@login_required
def withdraw_view(submission_id: int):
    return _decide(
        submission_id,
        WithdrawForm(),
        lambda submission, form: withdraw(submission, _me(), clock.now(), form.reason.data),
        _("ถอนคืนรายงานแล้ว"),
        "withdraw_form",
    )
