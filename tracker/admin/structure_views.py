"""Administration pages of a plan's structure: weaknesses, measures and steps.

Registered on the admin blueprint (and its guard) of `views`; same rules: ids are
resolved inside the admin's organization, a refused change re-renders with 400.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from .. import versions
from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..forms import ConfirmForm
from ..i18n import _
from ..plans import structure, trash
from ..plans.models import Measure, Step, Weakness
from ..plans.trash_views import confirm_delete_page, flash_undo
from .forms import (
    MeasureForm,
    StepForm,
    WeaknessForm,
)
from .views import (
    _changed_message,
    _conflict,
    _department_choices,
    _measure,
    _plan,
    _refused,
    _saved,
    _step,
    _user_choices,
    _weakness,
    bp,
)


@bp.route("/plans/<int:plan_id>/weaknesses/new", methods=["GET", "POST"])
def weakness_new(plan_id: int):
    plan = _plan(plan_id)
    form = WeaknessForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/weakness.html", plan=plan, weakness=None, form=form
        ), 400 if form.is_submitted() else 200
    try:
        structure.add_weakness(plan, current_user, utcnow(), title=form.title.data, detail=form.detail.data)
    except ServiceError as exc:
        return _refused("admin/weakness.html", form, exc, plan=plan, weakness=None)
    return _saved(_("เพิ่มประเด็นแล้ว"), "admin.plan", plan_id=plan.id)


def _weakness_form(weakness: Weakness) -> WeaknessForm:
    return WeaknessForm(formdata=None, data={"title": weakness.title, "detail": weakness.detail})


@bp.route("/weaknesses/<int:weakness_id>", methods=["GET", "POST"])
def weakness(weakness_id: int):
    weakness = _weakness(weakness_id)
    context = {"plan": weakness.plan, "weakness": weakness, "delete_form": ConfirmForm()}
    if request.method == "GET":
        return render_template("admin/weakness.html", form=_weakness_form(weakness), **context)
    form = WeaknessForm()
    if not form.validate():
        return _refused("admin/weakness.html", form, **context)
    try:
        changed = structure.edit_weakness(
            weakness, current_user, utcnow(), title=form.title.data, detail=form.detail.data
        )
    except ServiceError as exc:
        return _refused("admin/weakness.html", form, exc, **context)
    return _saved(_changed_message(changed), "admin.plan", plan_id=weakness.plan.id)


@bp.route("/weaknesses/<int:weakness_id>/delete", methods=["GET", "POST"])
def weakness_delete(weakness_id: int):
    """GET: the confirmation page naming what goes with it; POST: into the trash, with an undo."""
    weakness = _weakness(weakness_id)
    plan = weakness.plan
    context = {"plan": plan, "weakness": weakness, "delete_form": ConfirmForm()}
    if request.method == "GET":
        return confirm_delete_page(
            _("ลบประเด็น"),
            _("ประเด็นที่ %(n)s %(title)s", n=weakness.order, title=weakness.title),
            trash.describe(weakness),
            url_for("admin.weakness_delete", weakness_id=weakness.id),
            url_for("admin.weakness", weakness_id=weakness.id),
            _blocked([st for ms in weakness.measures for st in ms.steps]),
        )
    try:
        item = trash.trash_weakness(weakness, current_user, utcnow())
    except ServiceError as exc:
        return _refused("admin/weakness.html", _weakness_form(weakness), exc, **context)
    db.session.commit()
    flash_undo(item, _("ลบประเด็นแล้ว"))
    return redirect(url_for("admin.plan", plan_id=plan.id))


def _measure_form(measure: Measure | None = None, *, stored: bool = False) -> MeasureForm:
    """The measure form: as typed (a POST), or as stored (`stored`, or a new measure on GET)."""
    if stored and measure is not None:
        form = MeasureForm(
            formdata=None,
            data={
                "title": measure.title,
                "owner_department": measure.owner_department_id,
                "period_start": measure.period_start,
                "period_end": measure.period_end,
                "follow_up": measure.follow_up,
                "move_steps": True,
                "version": measure.version,
            },
        )
    else:
        form = MeasureForm()
    _department_choices(form.owner_department)
    return form


def _measure_fields(form: MeasureForm) -> dict[str, Any]:
    """What a valid measure form gives the structure services."""
    start, end = form.valid_dates
    return {
        "title": form.title.data,
        "owner_department": form.owner_department.record,
        "period_start": start,
        "period_end": end,
        "follow_up": form.follow_up.data,
    }


def _measure_context(weakness: Weakness, measure: Measure | None) -> dict[str, Any]:
    return {"plan": weakness.plan, "weakness": weakness, "measure": measure, "delete_form": ConfirmForm()}


@bp.route("/weaknesses/<int:weakness_id>/measures/new", methods=["GET", "POST"])
def measure_new(weakness_id: int):
    weakness = _weakness(weakness_id)
    context = _measure_context(weakness, None)
    form = _measure_form()
    if request.method == "GET":
        return render_template("admin/measure.html", form=form, **context)
    if not form.validate():
        return _refused("admin/measure.html", form, **context)
    try:
        measure = structure.add_measure(weakness, current_user, utcnow(), **_measure_fields(form))
    except ServiceError as exc:
        return _refused("admin/measure.html", form, exc, **context)
    return _saved(_("เพิ่มมาตรการแล้ว เพิ่มขั้นตอนได้ด้านล่าง"), "admin.measure", measure_id=measure.id)


@bp.route("/measures/<int:measure_id>", methods=["GET", "POST"])
def measure(measure_id: int):
    measure = _measure(measure_id)
    context = _measure_context(measure.weakness, measure)
    if request.method == "GET":
        return render_template("admin/measure.html", form=_measure_form(measure, stored=True), **context)
    form = _measure_form(measure)
    if not form.validate():
        return _refused("admin/measure.html", form, **context)
    try:
        changed = structure.edit_measure(
            measure,
            current_user,
            utcnow(),
            move_steps=form.move_steps.data,
            version=form.version.data,
            **_measure_fields(form),
        )
    except versions.Stale as stale:
        return _conflict("admin/measure.html", form, stale, **context)
    except ServiceError as exc:
        return _refused("admin/measure.html", form, exc, **context)
    return _saved(_changed_message(changed), "admin.measure", measure_id=measure.id)


@bp.route("/measures/<int:measure_id>/delete", methods=["GET", "POST"])
def measure_delete(measure_id: int):
    """GET: the confirmation page naming what goes with it; POST: into the trash, with an undo."""
    measure = _measure(measure_id)
    plan = measure.plan
    if request.method == "GET":
        return confirm_delete_page(
            _("ลบมาตรการ"),
            _("มาตรการ %(n)s %(title)s", n=measure.number, title=measure.title),
            trash.describe(measure),
            url_for("admin.measure_delete", measure_id=measure.id),
            url_for("admin.measure", measure_id=measure.id),
            _blocked(list(measure.steps)),
        )
    context = _measure_context(measure.weakness, measure)
    try:
        item = trash.trash_measure(measure, current_user, utcnow())
    except ServiceError as exc:
        return _refused("admin/measure.html", _measure_form(measure, stored=True), exc, **context)
    db.session.commit()
    flash_undo(item, _("ลบมาตรการแล้ว"))
    return redirect(url_for("admin.plan", plan_id=plan.id))


def _step_form(measure: Measure, step: Step | None, data: dict[str, Any] | None = None) -> StepForm:
    """The step form: as typed (a POST), or filled from `data` (a GET)."""
    form = StepForm(new=step is None) if data is None else StepForm(formdata=None, data=data, new=step is None)
    _department_choices(form.owner_department, blank=False)
    _user_choices(form.assignee, keep=step.assignee if step else None)
    return form


def _stored_step(step: Step) -> StepForm:
    return _step_form(
        step.measure,
        step,
        {
            "title": step.title,
            "owner_department": step.owner_department_id,
            "assignee": step.assignee_id,
            "start_date": step.start_date,
            "due_date": step.due_date,
            "version": step.version,
        },
    )


def _step_fields(form: StepForm) -> dict[str, Any]:
    """What a valid step form gives the structure services."""
    return {
        "title": form.title.data,
        "owner_department": form.owner_department.record,
        "assignee": form.assignee.record,
        "start_date": form.start_date.valid_date,
        "due_date": form.due_date.valid_date,
    }


def _step_context(measure: Measure, step: Step | None) -> dict[str, Any]:
    return {"plan": measure.plan, "measure": measure, "step": step, "delete_form": ConfirmForm()}


@bp.route("/measures/<int:measure_id>/steps/new", methods=["GET", "POST"])
def step_new(measure_id: int):
    measure = _measure(measure_id)
    context = _step_context(measure, None)
    if request.method == "GET":
        form = _step_form(
            measure, None, {"owner_department": measure.owner_department_id, "start_date": measure.period_start}
        )
        return render_template("admin/step.html", form=form, **context)
    form = _step_form(measure, None)
    if not form.validate():
        return _refused("admin/step.html", form, **context)
    try:
        structure.add_step(measure, current_user, utcnow(), **_step_fields(form))
    except ServiceError as exc:
        return _refused("admin/step.html", form, exc, **context)
    return _saved(_("เพิ่มขั้นตอนแล้ว"), "admin.measure", measure_id=measure.id)


@bp.route("/steps/<int:step_id>", methods=["GET", "POST"])
def step(step_id: int):
    step = _step(step_id)
    measure = step.measure
    context = _step_context(measure, step)
    if request.method == "GET":
        return render_template("admin/step.html", form=_stored_step(step), **context)
    form = _step_form(measure, step)
    if not form.validate():
        return _refused("admin/step.html", form, **context)
    try:
        changed = structure.update_step(step, current_user, utcnow(), version=form.version.data, **_step_fields(form))
    except versions.Stale as stale:
        return _conflict("admin/step.html", form, stale, **context)
    except ServiceError as exc:
        return _refused("admin/step.html", form, exc, **context)
    return _saved(_changed_message(changed), "admin.measure", measure_id=measure.id)


@bp.route("/steps/<int:step_id>/delete", methods=["GET", "POST"])
def step_delete(step_id: int):
    """GET: the confirmation page; POST: into the trash, with an undo. A worked-on step is refused."""
    step = _step(step_id)
    measure = step.measure
    number = step.number
    if request.method == "GET":
        return confirm_delete_page(
            _("ลบขั้นตอน"),
            _("ขั้นตอน %(n)s %(title)s", n=number, title=step.title),
            trash.describe(step),
            url_for("admin.step_delete", step_id=step.id),
            url_for("admin.step", step_id=step.id),
            _blocked([step]),
        )
    try:
        item = trash.trash_step(step, current_user, utcnow())
    except ServiceError as exc:
        return _refused("admin/step.html", _stored_step(step), exc, **_step_context(measure, step))
    db.session.commit()
    flash_undo(item, _("ลบขั้นตอน %(number)s แล้ว ขั้นตอนถัดไปเลื่อนลำดับขึ้นมา", number=number))
    return redirect(url_for("admin.measure", measure_id=measure.id))


def _blocked(steps: list[Step]) -> str:
    """Why the delete will be refused: the steps that already have progress or evidence."""
    busy = [f"{s.number} {s.title}" for s in steps if structure.step_progress(s)]
    if not busy:
        return ""
    return _(
        "ลบไม่ได้ เพราะมีขั้นตอนที่มีความคืบหน้าหรือหลักฐานแล้ว: %(steps)s หากไม่ทำแล้วให้เปลี่ยนสถานะเป็น “ยกเลิก” แทน",
        steps="; ".join(busy),
    )
