"""Plan pages: dashboard, measures, a step's page, my steps. A step's update (status,
note, evidence, in one form) is posted to update_views.

Reads go through `queries`, changes through `services`; the views check
access, commit, and turn a ServiceError into the page again with the message
(HTTP 400). Another organization's records answer 404, never 403.
"""

from __future__ import annotations

import logging
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import access, clock, drafts, i18n, thaidate, versions
from ..auth.models import User
from ..i18n import N_, NP_
from . import chart, listing, queries, services, update
from .forms import StepUpdateForm
from .list_forms import StepFilterForm
from .models import JournalEntry, Step, StepStatus
from .progress import Progress

bp = Blueprint("plans", __name__)


log = logging.getLogger(__name__)


ACTION_LABELS = {
    "status": N_("เปลี่ยนสถานะ"),
    "comment": N_("บันทึกความคืบหน้า"),
    "remark": N_("แสดงความเห็น"),
    "evidence_add": N_("แนบหลักฐาน"),
    "evidence_remove": N_("ลบหลักฐาน"),
    "evidence_public": N_("เปลี่ยนการเผยแพร่หลักฐาน"),
    "edit": "แก้ไข",
    "create": N_("สร้าง"),
    "delete": "ลบ",
    "restore": N_("กู้คืน"),
    "purge": N_("ลบถาวร"),
    "import": "นำเข้า",
    "result": NP_("journal", "บันทึกผลการติดตาม"),  # "Record the result" is the button
    "rollover": N_("ยกแผนไปปีงบประมาณใหม่"),
}


FIELD_LABELS = {
    "status": "สถานะ",
    "title": "ชื่อขั้นตอน",
    "owner_department": "หน่วยงานรับผิดชอบ",
    "assignee": "ผู้ได้รับมอบหมาย",
    "start_date": "วันเริ่ม",
    "due_date": "วันครบกำหนด",
    "evidence": "หลักฐาน",
    "public": N_("การเผยแพร่"),
}


VISIBILITY_LABELS = {"public": "เผยแพร่ต่อสาธารณะ", "internal": N_("ภายในหน่วยงาน")}


def _me() -> User:
    return current_user._get_current_object()  # the real User, not the proxy


def _readable(organization_id: int) -> None:
    # Records of other organizations do not exist for this user: 404, not 403.
    if not access.can_read_org(current_user, organization_id):
        abort(404)


def _max_upload() -> int:
    return int(current_app.config["MAX_CONTENT_LENGTH"])


# -- template helpers --------------------------------------------------------------


def _thai_digits() -> bool:
    return i18n.thai_digits()


def journal_value(entry: JournalEntry, value: str | None) -> str:
    """A journal value as people read it: Thai status labels, BE dates."""
    if value is None or value == "":
        return "–"
    if entry.field == "status":
        try:
            return i18n.translate(StepStatus(value).label)
        except ValueError:
            return value
    if entry.field == "public":
        return i18n.translate(VISIBILITY_LABELS[value]) if value in VISIBILITY_LABELS else value
    if entry.field in ("start_date", "due_date"):
        try:
            return thaidate.format_date(
                date.fromisoformat(value), thai_digits=_thai_digits(), lang=i18n.current_language()
            )
        except ValueError:
            return value
    return value


def file_size(n: int) -> str:
    if n >= 1024 * 1024:
        text = f"{n / (1024 * 1024):.1f} MB"
    elif n >= 1024:
        text = f"{n / 1024:.0f} KB"
    else:
        text = i18n.translate(N_("%(n)s ไบต์"), n=n)
    return thaidate.to_thai_digits(text) if _thai_digits() else text


@bp.app_template_global()
def status_badge(status: StepStatus) -> Markup:
    """A step's status as a badge: a function rather than a macro, as it is on every row of
    the step lists (a Jinja macro call costs several times a function call)."""
    return Markup('<span class="badge status-{}">{}</span>').format(status.value, i18n.gettext(status.label))


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "journal_value": journal_value,
        "file_size": file_size,
        "action_labels": ACTION_LABELS,
        "field_labels": FIELD_LABELS,
    }


def _import_url() -> str | None:
    """The admin's plan import page, once that part of the app exists."""
    if "admin.import_plan" in current_app.view_functions:
        return url_for("admin.import_plan")
    return None


#: `app.extensions` key of the function that renders the user's home page, or None for the plan dashboard
ROLE_HOME = "tracker.role_home"


# -- dashboard -------------------------------------------------------------------------


@bp.route("/")
@login_required
def home():
    if access.is_oversight(current_user):
        # An office has no plan of its own: its home is the overview of its organizations.
        return redirect(url_for("province.overview"))
    # Each role lands where its work is: the home pages (tracker/homes) register here; a role
    # without one (a viewer) sees the current plan's dashboard, as everyone does at /plans/<id>.
    role_home = current_app.extensions.get(ROLE_HOME)
    if role_home is not None and (page := role_home()) is not None:
        return page
    plan = queries.current_plan(current_user.organization_id)
    if plan is None:
        return render_template("plans/no_plan.html", import_url=_import_url())
    return _dashboard(plan.id)


@bp.route("/plans/current")
@login_required
def current():
    """The current plan's dashboard (the menu's ภาพรวม), whatever the person's home page."""
    if access.is_oversight(current_user):
        return redirect(url_for("province.overview"))
    plan = queries.current_plan(current_user.organization_id)
    if plan is None:
        return render_template("plans/no_plan.html", import_url=_import_url())
    return redirect(url_for("plans.dashboard", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>")
@login_required
def dashboard(plan_id: int):
    return _dashboard(plan_id)


def _dashboard(plan_id: int):
    plan = queries.load_plan(plan_id)
    if plan is None:
        abort(404)
    _readable(plan.organization_id)
    departments = queries.departments(plan.organization_id)
    filters = StepFilterForm.read(departments=departments).filters
    day = clock.today()
    progress = queries.measure_progress(plan.id)
    # One read of the plan's steps for the chart and the overdue/due-soon counts.
    chart_rows = chart.step_rows(plan.id)
    return render_template(
        "plans/dashboard.html",
        plan=plan,
        other_plans=queries.other_plans(plan),
        progress=progress,
        empty_progress=Progress(),
        overall=queries.total_progress(progress),
        counts=queries.due_counts_of(chart_rows, day),
        departments=departments,
        filters=filters,
        status_filters=listing.STATUS_FILTERS,
        due_filters=listing.DUE_FILTERS,
        due_soon_days=queries.DUE_SOON_DAYS,
        steps=listing.plan_steps(plan.id, filters, day),
        chart=chart.chart_of(
            chart_rows, plan.fiscal_year, day, lang=i18n.current_language(), thai_digits=_thai_digits()
        ),
        today=day,
    )


@bp.route("/measures/<int:measure_id>")
@login_required
def measure(measure_id: int):
    m = queries.load_measure(measure_id)
    if m is None:
        abort(404)
    _readable(m.weakness.plan.organization_id)
    step_ids = [s.id for s in m.steps]
    return render_template(
        "plans/measure.html",
        measure=m,
        plan=m.weakness.plan,
        progress=queries.progress_of_measure(m.id),
        notes=queries.latest_notes(step_ids),
        evidence_counts=queries.evidence_counts(step_ids),
        today=clock.today(),
    )


# -- a step ------------------------------------------------------------------------------


def _get_step(step_id: int) -> Step:
    step = queries.load_step(step_id)
    if step is None:
        abort(404)
    _readable(step.measure.weakness.plan.organization_id)
    return step


def _next_statuses(step: Step) -> list[StepStatus]:
    allowed = services.TRANSITIONS[step.status]
    return [s for s in StepStatus if s in allowed]


def update_form(step: Step) -> StepUpdateForm:
    """The step's update form, empty or with the text kept from an expired session or
    form (tracker/drafts.py) when this request brought it back."""
    return StepUpdateForm(
        formdata=_restored_draft(step),
        current=step.status,
        next_statuses=_next_statuses(step),
        data={"version": step.version},
    )


def _restored_draft(step: Step):
    """What was typed into the update form (or the older status and note forms) before the
    session or the form expired, when this request brought it back; None otherwise."""
    for endpoint in ("plans.update_step", "plans.change_status"):
        kept = drafts.restored(url_for(endpoint, step_id=step.id))
        if kept is not None:
            return kept
    kept = drafts.restored(url_for("plans.comment", step_id=step.id))
    if kept is not None:
        kept.setlist("note", kept.poplist("comment"))  # the older note form's box is the update's note
    return kept


def _render_step(
    step_id: int,
    *,
    form: StepUpdateForm | None = None,
    conflict: versions.Stale | None = None,
    extra_forms: dict | None = None,
):
    """The step page; after a refused update, again with the message and what was typed
    (409 with what changed meanwhile when the step moved on since the form was shown).

    `extra_forms`: forms of features shown on the page (by name, for the template)."""
    step = _get_step(step_id)
    rule = update.done_rule(step)
    page = render_template(
        "plans/step.html",
        step=step,
        plan=step.measure.weakness.plan,
        journal=update.group_journal(queries.step_journal(step.id)),
        evidence_names={ev.id: ev.original_name for ev in step.evidence},
        can_edit=access.can_edit_step(current_user, step),
        next_statuses=_next_statuses(step),
        done_rule=rule,
        allowed_types=" ".join(sorted(services.ALLOWED_UPLOADS)),
        max_upload_mb=_max_upload() // (1024 * 1024),
        update_form=form or update_form(step),
        conflict=conflict,
        **(extra_forms or {}),
    )
    if conflict is not None:
        return page, 409
    refused = any(f is not None and f.has_errors for f in (form, *(extra_forms or {}).values()))
    return page, 400 if refused else 200


def step_page(step_id: int, **extra_forms):
    """The step page for a feature's refused form (e.g. a remark): status 400 when it has errors."""
    return _render_step(step_id, extra_forms=extra_forms)


def _editable_step(step_id: int) -> Step:
    """The step for a change: 404 for another organization, 403 for a reader."""
    step = _get_step(step_id)
    access.require_step_editor(current_user, step)
    return step


@bp.route("/steps/<int:step_id>")
@login_required
def step(step_id: int):
    return _render_step(step_id)
