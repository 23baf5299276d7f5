"""The home page "/" of each role (registered with plans' home through `init_app`).

Owner: งานของฉัน. Manager (ปลัด, นายก) and a department's head: the reports waiting
for their sign-off, the late work per department (counts linking to the filtered
lists) and the steps they watch. Organization admin: the health of the plans and
shortcuts to import and publish. Everyone else (a viewer) keeps the plan dashboard,
which stays at /plans/<id> for every reader.
"""

from __future__ import annotations

from flask import Flask, render_template
from flask_login import current_user

from .. import access, clock
from ..auth.models import Role, User
from ..db import db
from ..plans import queries as plan_queries
from ..plans.listing import DUE_SOON_DAYS
from ..plans.models import Plan
from ..plans.my_steps_views import my_steps
from ..plans.views import ROLE_HOME
from ..reports.signoff import report_label, waiting_for
from . import queries


def _me() -> User:
    return current_user._get_current_object()


def role_home():
    """The page "/" shows the logged-in member, or None for the plan dashboard."""
    me = _me()
    if me.role is Role.admin:
        return admin_home(me)
    if me.role is Role.manager or access.is_department_head(me):
        return manager_home(me)
    if me.role is Role.owner:
        return my_steps()
    return None


def manager_home(me: User):
    day = clock.today()
    waiting = waiting_for(me)
    plans = {p.id: p for p in db.session.scalars(db.select(Plan).where(Plan.id.in_({s.plan_id for s in waiting})))}
    thai = bool(me.thai_digits)
    return render_template(
        "homes/manager.html",
        waiting=[(s, report_label(s, plans[s.plan_id], thai_digits=thai)) for s in waiting],
        late=queries.late_by_department(me.organization_id, day),
        watched=queries.watched_steps(me, day),
        plan=plan_queries.current_plan(me.organization_id),
        # A manager with a department widens งานของฉัน to the organization to filter by department.
        list_scope="all" if me.department_id and me.role is not Role.owner else None,
        can_filter_department=me.role is not Role.owner,
        due_soon_days=DUE_SOON_DAYS,
        today=day,
    )


def admin_home(me: User):
    plan = plan_queries.current_plan(me.organization_id)
    if plan is None:
        return None  # no plan yet: the page that says how to import one
    day = clock.today()
    return render_template(
        "homes/admin.html", health=queries.plan_health(me.organization_id, day), plan=plan, today=day
    )


def init_app(app: Flask) -> None:
    app.extensions[ROLE_HOME] = role_home
