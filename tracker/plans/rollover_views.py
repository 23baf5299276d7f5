"""The rollover button of the admin plan page: copy the plan into the next
fiscal year as a draft, then open the new plan. Admins of the plan's own
organization only (another organization's plan is a 404)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from .. import clock
from ..access import require_admin
from ..db import db
from ..extensions import login_manager
from ..thaidate import to_thai_digits
from .models import Plan
from .rollover import rollover_plan

bp = Blueprint("rollover", __name__)


@bp.post("/admin/plans/<int:plan_id>/rollover")
def rollover(plan_id: int):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.organization_id != current_user.organization_id:
        abort(404)
    require_admin(current_user, plan.organization_id)
    # A ServiceError (the next year already has a plan) becomes the 400 page with its message.
    new_plan = rollover_plan(plan, plan.fiscal_year + 1, current_user._get_current_object(), clock.now())
    db.session.commit()
    flash(
        f"สร้างแผนปีงบประมาณ {to_thai_digits(str(new_plan.fiscal_year))} จากแผนปี "
        f"{to_thai_digits(str(plan.fiscal_year))} แล้ว (สถานะร่าง) โปรดทบทวนก่อนเปิดใช้ "
        "(rolled over as a draft: review it before activating it)",
        "success",
    )
    return redirect(url_for("admin.plan", plan_id=new_plan.id))
