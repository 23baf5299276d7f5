"""The user's own API tokens in the web interface: list, create (secret shown once), revoke."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from .. import clock
from . import tokens
from .models import ApiToken

bp = Blueprint("api_tokens", __name__, url_prefix="/profile/api-tokens")


def _me() -> User:
    return current_user._get_current_object()


def _page(*, secret: str | None = None, created: ApiToken | None = None, error: str | None = None,
          name: str = "", status: int = 200):
    page = render_template(
        "api/tokens.html",
        tokens=tokens.user_tokens(_me()),
        secret=secret,
        created=created,
        error=error,
        name=name,
        name_max=tokens.NAME_MAX,
    )
    return page, status


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("")
@login_required
def create():
    name = request.form.get("name", "")
    try:
        token, secret = tokens.create_token(_me(), name, clock.now())
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        return _page(error=str(exc), name=name[:tokens.NAME_MAX], status=400)
    # Rendered, not redirected: the secret must not travel through the session cookie.
    return _page(secret=secret, created=token, status=201)


@bp.post("/revoke")
@login_required
def revoke():
    raw = (request.form.get("token_id") or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= 2_147_483_647:
        flash("ไม่พบโทเคนที่เลือก (choose a token to revoke)", "error")
        return redirect(url_for("api_tokens.index"))
    token = db.session.get(ApiToken, int(raw))
    if token is None or token.user_id != current_user.id:
        abort(404)  # someone else's token does not exist for this user
    try:
        tokens.revoke_token(token, _me(), clock.now())
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("api_tokens.index"))
    flash(f"ยกเลิกโทเคน “{token.name}” แล้ว สคริปต์ที่ใช้โทเคนนี้จะใช้งานไม่ได้อีก "
          "(token revoked: scripts using it stop working)", "success")
    return redirect(url_for("api_tokens.index"))
