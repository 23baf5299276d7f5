"""งานของฉัน (/my-steps), an owner's home: their steps, overdue first (with the days late),
then those due within 14 days, then the rest; filters by status and due; one change of
status for several ticked steps with one note; saved filters.

Owners (and anyone with a department) see their own work; readers without a
department, or asking for it, see the whole organization.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from .. import access, clock, versions
from ..auth.models import Role, User
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..forms.fields import record_id
from ..i18n import _
from . import listing, queries, saved_filters, services
from .forms import BulkStatusForm, DeleteSavedFilterForm, MyStepsFilterForm, SavedFilterForm
from .models import StepStatus
from .views import bp


def _me() -> User:
    return current_user._get_current_object()


def _whole_org(me: User, form: MyStepsFilterForm) -> bool:
    return me.role is not Role.owner and (me.department_id is None or form.scope.data == "all")


def _render(
    *,
    bulk_form: BulkStatusForm | None = None,
    saved_form: SavedFilterForm | None = None,
    conflict: versions.Stale | None = None,
    error: str | None = None,
    status: int = 200,
):
    """The list for the filters in the query string (a bad filter: the form with its message, 400)."""
    me = _me()
    departments = queries.departments(me.organization_id)
    form = MyStepsFilterForm.sent(departments=departments)
    day = clock.today()
    if not form.validate():
        steps = listing.Page([], 0, 1, listing.PER_PAGE)
        whole_org = _whole_org(me, form)
        status = 400
    else:
        whole_org = _whole_org(me, form)
        steps = listing.my_steps_page(
            me.organization_id, form.filters(whole_org=whole_org), day, user=None if whole_org else me
        )
    list_args = form.query_args(whole_org=whole_org) if not form.errors else {}
    bulk = bulk_form or BulkStatusForm(formdata=None)
    page = render_template(
        "plans/my_steps.html",
        form=form,
        steps=steps,
        list_args=list_args,
        whole_org=whole_org,
        can_see_whole_org=me.role is not Role.owner,
        several_plans=len({s.plan_id for s in steps.items}) > 1,
        groups=listing.DUE_GROUPS,
        due_group=listing.due_group,
        days_late=listing.days_late,
        due_soon_days=listing.DUE_SOON_DAYS,
        today=day,
        # Ticking boxes is offered where the person may change steps; each step is still checked.
        can_bulk=access.may_change_steps(me),
        editable={
            s.id
            for s in steps.items
            if access.can_edit_step_of(me, s.organization_id, s.owner_department_id, s.assignee_id)
        },
        bulk_form=bulk,
        selected={step_id for step_id, _version in (bulk.steps.data or [])},
        conflict=conflict,
        error=error,
        saved=saved_filters.of_user(me),
        plan=queries.current_plan(me.organization_id),
        can_save=access.may_write(me),
        saved_form=saved_form or SavedFilterForm(formdata=None, query=saved_filters.query_string(list_args)),
        delete_form=DeleteSavedFilterForm(formdata=None),
    )
    return page, status


@bp.route("/my-steps")
@login_required
def my_steps():
    return _render()


@bp.post("/my-steps/status")
@login_required
def bulk_status():
    """One status and one note for the ticked steps: all of them or none."""
    me = _me()
    access.require_step_changer(me)
    form = BulkStatusForm()
    if form.validate():
        try:
            changed = services.change_status_many(
                me.organization_id, form.steps.data, form.status.data, me, clock.now(), note=form.note.data
            )
            db.session.commit()
        except versions.Stale as stale:
            db.session.rollback()
            return _render(bulk_form=form, conflict=stale, status=409)
        except PermissionDenied as exc:
            db.session.rollback()
            return _render(bulk_form=form, error=str(exc.message), status=403)
        except ServiceError as exc:
            db.session.rollback()
            form.refuse(exc)
        else:
            label = _(StepStatus(form.status.data).label)
            flash(_("เปลี่ยนสถานะ %(n)s ขั้นตอนเป็น “%(label)s” แล้ว", n=len(changed), label=label), "success")
            shown: dict[str, Any] = request.args.to_dict()  # back to the list as it was filtered
            return redirect(url_for("plans.my_steps", **shown))
    return _render(bulk_form=form, status=400)


# -- saved filters ------------------------------------------------------------------------------


@bp.post("/my-steps/filters")
@login_required
def save_filter():
    me = _me()
    form = SavedFilterForm()
    if form.validate():
        # The filters are checked as the list reads them: a hand-made query is refused, not kept.
        args = MultiDict(parse_qsl(form.query.data or "", keep_blank_values=True))
        filters = MyStepsFilterForm(formdata=args, departments=queries.departments(me.organization_id))
        if not filters.validate():
            form.form_errors.append(_("ตัวกรองไม่ถูกต้อง บันทึกไม่ได้"))
        else:
            try:
                row = saved_filters.save(me, form.name.data, filters.query_args(whole_org=_whole_org(me, filters)))
                db.session.commit()
            except ServiceError as exc:
                db.session.rollback()
                form.refuse(exc)
            else:
                flash(_("บันทึกตัวกรอง “%(name)s” แล้ว", name=row.name), "success")
                return redirect(url_for("plans.my_steps") + (f"?{row.query}" if row.query else ""))
    return _render(saved_form=form, status=400)


@bp.post("/my-steps/filters/delete")
@login_required
def delete_filter():
    form = DeleteSavedFilterForm()
    if not form.validate():
        return _render(error=_("แบบฟอร์มไม่ถูกต้อง โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"), status=400)
    try:
        filter_id = record_id(form.filter_id.data)
    except ValueError:
        filter_id = None
    if filter_id is None:
        return _render(error=_("ไม่พบตัวกรองที่เลือก"), status=400)
    row = saved_filters.delete(_me(), filter_id)
    if row is None:
        abort(404)  # another person's filter does not exist for this one
    db.session.commit()
    flash(_("ลบตัวกรอง “%(name)s” แล้ว", name=row.name), "success")
    return redirect(url_for("plans.my_steps"))
