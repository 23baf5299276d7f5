"""Administration: plan, measures, steps, users, departments."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@login_required
def index():
    return "admin"
