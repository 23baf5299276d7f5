"""Calendar feeds behind secret URLs, and the page that shows and renews them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import clock, i18n, links, thaidate
from ..access import require_admin
from ..auth.models import User
from ..clock import utcnow
from ..db import db
from ..i18n import _
from ..journal import record
from ..orgs.models import Department
from ..plans import queries
from .forms import CalendarForm
from .ical import build_calendar, feed_steps
from .month import WEEKEND_COLUMNS, month_of
from .tokens import new_calendar_token

bp = Blueprint("calendar", __name__)


def _feed_url(token: str) -> str:
    return links.external_url("calendar.feed", token=token)


def _step_url(step_id: int) -> str:
    return links.external_url("plans.step", step_id=step_id)


@bp.route("/calendar/<token>.ics")
def feed(token: str):
    """No login: calendar clients cannot log in. The token is the secret."""
    if len(token) < 20:
        abort(404)
    user = db.session.scalar(sa.select(User).where(User.calendar_token == token))
    if user is not None and user.active:
        name = f"งาน ITA ของ {user.display_name}"
        steps = feed_steps(department_ids=[user.department_id] if user.department_id else [], assignee_id=user.id)
    else:
        department = db.session.scalar(sa.select(Department).where(Department.calendar_token == token))
        if department is None:
            abort(404)
        name = f"งาน ITA ของ {department.name}"
        steps = feed_steps(department_ids=[department.id])
    body = build_calendar(name, steps, _step_url, links.host(), utcnow())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="ita-steps.ics"'
    response.headers["Cache-Control"] = "private, max-age=900"
    return response


@bp.route("/profile/calendar")
@login_required
def feeds():
    departments: list[Department] = []
    if current_user.is_admin:
        departments = list(
            db.session.scalars(
                sa.select(Department)
                .where(Department.organization_id == current_user.organization_id)
                .order_by(Department.name)
            )
        )
    elif current_user.department is not None:
        departments = [current_user.department]
    return render_template(
        "calendar/feeds.html",
        user_url=_feed_url(current_user.calendar_token) if current_user.calendar_token else None,
        departments=[(d, _feed_url(d.calendar_token) if d.calendar_token else None) for d in departments],
    )


@bp.route("/profile/calendar/renew", methods=["POST"])
@login_required
def renew_mine():
    had = current_user.calendar_token is not None
    current_user.calendar_token = new_calendar_token()
    record(
        organization_id=current_user.organization_id,
        entity="user",
        entity_id=current_user.id,
        action="calendar_token",
        actor=current_user,
        note="renewed" if had else "created",
    )
    db.session.commit()
    flash(
        _("สร้างลิงก์ปฏิทินใหม่แล้ว ลิงก์เดิมใช้ไม่ได้อีก") if had else _("สร้างลิงก์ปฏิทินแล้ว"),
        "success",
    )
    return redirect(url_for("calendar.feeds"))


@bp.route("/calendar/departments/<int:department_id>/renew", methods=["POST"])
@login_required
def renew_department(department_id: int):
    department = db.session.get(Department, department_id)
    if department is None or department.organization_id != current_user.organization_id:
        abort(404)
    require_admin(current_user, department.organization_id)
    department.calendar_token = new_calendar_token()
    record(
        organization_id=department.organization_id,
        entity="department",
        entity_id=department.id,
        action="calendar_token",
        actor=current_user,
    )
    db.session.commit()
    flash(_("สร้างลิงก์ปฏิทินของ %(department_name)s ใหม่แล้ว", department_name=department.name), "success")
    return redirect(url_for("calendar.feeds"))


@bp.get("/calendar")
@login_required
def month():
    """The month of due dates of the user's organization (BE, Sunday first; a list by day on a phone)."""
    organization_id = current_user.organization_id
    today = clock.today()
    english = i18n.current_language() == "en"
    form = CalendarForm.read(
        departments=queries.departments(organization_id),
        month_names=thaidate.MONTHS_FULL_EN if english else thaidate.MONTHS_FULL,
        data={"month": today.month, "year": thaidate.be_year(today)},
    )
    year_be = form.year.data or thaidate.be_year(today)
    shown = month_of(
        organization_id, year_be - thaidate.BE_OFFSET, form.month.data or today.month, today, form.department.data
    )
    department = {"department": form.department.data} if form.department.data else {}
    return render_template(
        "calendar/month.html",
        form=form,
        shown=shown,
        today=today,
        month_name=form.month.choices[shown.month - 1].label,
        weekend_columns=WEEKEND_COLUMNS,
        prev_url=url_for("calendar.month", year=shown.previous[0], month=shown.previous[1], **department),
        next_url=url_for("calendar.month", year=shown.next[0], month=shown.next[1], **department),
        this_month_url=url_for("calendar.month", **department),
    )
