"""Remarks and watching on the step page, and the person's notifications.

Another organization's step answers 404; provincial and national users, who
read only, get 403 on the changes. The step page itself belongs to `plans`:
it shows this feature's panel through `step_follow(step)`, a template global
set here.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import access, clock, drafts
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from ..orgs.models import Organization
from ..plans import queries
from ..plans.models import Plan, Step, StepStatus
from ..plans.views import step_page
from . import services
from .activity import STRUCTURE_FIELDS, activity_page, targets
from .forms import ActivityFilterForm, RemarkForm, WatchForm

bp = Blueprint("follow", __name__)


def _me() -> User:
    return current_user._get_current_object()


def _step(step_id: int) -> Step:
    step = queries.load_step(step_id)
    if step is None or not access.can_read_org(current_user, services.org_of(step)):
        abort(404)
    return step


def step_follow(step: Step, remark_form: RemarkForm | None = None) -> dict:
    """What the step page shows of this feature for the person looking at it."""
    me = _me()
    can = services.can_follow(me, step)
    watching = can and services.is_watching(me, step)
    return {
        "remarks": services.remarks(step),
        "can_follow": can,
        "watching": watching,
        # A remark typed when the session had expired comes back here (tracker/drafts.py).
        "remark_form": remark_form or RemarkForm(formdata=drafts.restored(url_for("follow.remark", step_id=step.id))),
        "watch_form": WatchForm(formdata=None, watch="0" if watching else "1"),
    }


@bp.app_context_processor
def _globals() -> dict:
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(_me())

    def status_label(value: str) -> str:
        try:
            return StepStatus(value).label
        except ValueError:
            return value

    return {"step_follow": step_follow, "unread_notifications": unread_notifications, "status_label": status_label}


@bp.post("/steps/<int:step_id>/remarks")
@login_required
def remark(step_id: int):
    step = _step(step_id)
    services.require_follower(_me(), step)
    form = RemarkForm()
    if form.validate():
        try:
            services.add_remark(step, _me(), form.text.data, clock.now())
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            form.refuse(exc)
        else:
            flash(_("บันทึกความเห็นแล้ว ผู้ติดตามขั้นตอนนี้ได้รับแจ้งแล้ว"), "success")
            return redirect(url_for("plans.step", step_id=step_id, _anchor="remarks-h"))
    # The step page again, with the typed text and the message next to it.
    return step_page(step_id, remark_form=form)


@bp.post("/steps/<int:step_id>/watch")
@login_required
def watch(step_id: int):
    step = _step(step_id)
    services.require_follower(_me(), step)
    form = WatchForm()
    if not form.validate():
        abort(400)
    watching = form.watch.data == "1"
    services.set_watching(step, _me(), watching)
    db.session.commit()
    flash(_("ติดตามขั้นตอนนี้แล้ว") if watching else _("เลิกติดตามขั้นตอนนี้แล้ว"), "success")
    return redirect(url_for("plans.step", step_id=step_id))


def _activity(organization_id: int, plan: Plan | None = None):
    """The activity stream of a plan or, without one, of the whole organization (one page, one template)."""
    form = ActivityFilterForm.read(departments=queries.departments(organization_id))
    entries = activity_page(
        organization_id, plan_id=plan.id if plan else None, department_id=form.department_id, page=form.page_number
    )
    if plan is not None:
        endpoint, scope = "follow.activity", {"plan_id": plan.id}
    else:
        endpoint, scope = "follow.organization_activity", {"organization_id": organization_id}
    return render_template(
        "follow/activity.html",
        plan=plan,
        organization=plan.organization if plan else db.session.get(Organization, organization_id),
        entries=entries,
        targets=targets(entries.items),
        structure_fields=STRUCTURE_FIELDS,
        form=form,
        endpoint=endpoint,
        args={**scope, **({"department": form.department_id} if form.department_id else {})},
        scope=scope,
    )


@bp.route("/plans/<int:plan_id>/activity")
@login_required
def activity(plan_id: int):
    plan = queries.load_plan(plan_id)
    if plan is None or not access.can_read_org(current_user, plan.organization_id):
        abort(404)
    return _activity(plan.organization_id, plan)


@bp.route("/organizations/<int:organization_id>/activity")
@login_required
def organization_activity(organization_id: int):
    """Everything done to the organization's steps, across its plans."""
    if db.session.get(Organization, organization_id) is None or not access.can_read_org(current_user, organization_id):
        abort(404)
    return _activity(organization_id)


@bp.route("/notifications")
@login_required
def notifications():
    me = _me()
    items = services.recent(me)
    unread_ids = {n.id for n in items if n.read_at is None}
    # Seen now: the page shows which were new this time, the header counts none of them.
    services.mark_read(items, clock.now())
    db.session.commit()
    return render_template("follow/notifications.html", items=items, unread_ids=unread_ids)
