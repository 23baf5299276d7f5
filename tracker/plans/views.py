"""Plan pages: dashboard, measures, steps, my steps."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import login_required

bp = Blueprint("plans", __name__)


@bp.route("/")
@login_required
def home():
    return redirect(url_for("plans.my_steps"))


@bp.route("/my-steps")
@login_required
def my_steps():
    return "my steps"
