"""The user's own API tokens in the web interface: list, create (secret shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import clock
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..i18n import _
from . import tokens
from .forms import RevokeForm, TokenForm
from .models import ApiToken

bp = Blueprint("api_tokens", __name__, url_prefix="/profile/api-tokens")


def _me() -> User:
    return current_user._get_current_object()


def _page(
    *, secret: str | None = None, created: ApiToken | None = None, form: TokenForm | None = None, status: int = 200
):
    page = render_template(
        "api/tokens.html",
        tokens=tokens.user_tokens(_me()),
        secret=secret,
        created=created,
        form=form or TokenForm(formdata=None),
        revoke_form=RevokeForm(formdata=None),
    )
    return page, status


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("")
@login_required
def create():
    form = TokenForm()
    if not form.validate():
        return _page(form=form, status=400)
    try:
        token, secret = tokens.create_token(_me(), form.name.data, clock.now())
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        form.refuse(exc)
        form.name.data = (form.name.data or "")[: tokens.NAME_MAX]
        form.name.raw_data = None
        return _page(form=form, status=400)
    # Rendered, not redirected: the secret must not travel through the session cookie.
    return _page(secret=secret, created=token, status=201)


@bp.post("/revoke")
@login_required
def revoke():
    raw = (RevokeForm().token_id.data or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= 2_147_483_647:
        flash(_("ไม่พบโทเคนที่เลือก"), "error")
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
    flash(
        _("ยกเลิกโทเคน “%(token_name)s” แล้ว สคริปต์ที่ใช้โทเคนนี้จะใช้งานไม่ได้อีก", token_name=token.name),
        "success",
    )
    return redirect(url_for("api_tokens.index"))
