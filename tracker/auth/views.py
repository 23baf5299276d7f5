"""Log in, log out, and a user's own settings."""

from __future__ import annotations

import functools
import secrets
from urllib.parse import urlparse

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from .. import drafts
from ..db import db
from ..forms.common import ActionForm
from ..i18n import _
from ..security import limit_login_by_address, limit_login_by_email
from .forms import DisplayForm, EmailEventsForm, LoginForm, PasswordChangeForm
from .models import EMAIL_EVENTS, User, password_hash_method
from .services import PASSWORD_RULE, check_password_policy

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parsed = urlparse(target)
    # Only same-site paths: no scheme, no host, no protocol-relative "//evil".
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


@bp.route("/login", methods=["GET", "POST"])
@limit_login_by_address
@limit_login_by_email
def login():
    if current_user.is_authenticated:
        return redirect(url_for("plans.home"))
    form = LoginForm()
    status = 200
    if request.method == "POST":
        email = (form.email.data or "").strip().lower()
        password = form.password.data or ""
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            # As slow as a wrong password, so timing does not tell which emails exist.
            check_password_hash(_dummy_hash(password_hash_method()), password)
        elif user.active and user.check_password(password):
            # A fresh session: nothing set before the login (or planted in it) carries
            # over, the CSRF token included (Flask-WTF caches it in g: drop that too).
            # Only the keys of text typed before the session ended go on (tracker/drafts.py).
            kept = drafts.keys()
            session.clear()
            drafts.restore_keys(kept)
            g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
            login_user(user, remember=bool(form.remember.data))
            flash(_("ยินดีต้อนรับ %(user_display_name)s", user_display_name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("plans.home"))
        # Which of the two was wrong is not said, on purpose: one message above the form.
        flash(_("อีเมลหรือรหัสผ่านไม่ถูกต้อง"), "error")
        status = 401
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("ออกจากระบบแล้ว"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    display = DisplayForm(formdata=None, thai_digits=current_user.thai_digits)
    password = PasswordChangeForm(formdata=None)
    events = EmailEventsForm(formdata=None, events=[k for k in (current_user.email_events or "").split(",") if k])
    action = ActionForm().action.data if request.method == "POST" else None
    if action == "prefs":
        display = DisplayForm()
        if display.validate():
            current_user.thai_digits = display.thai_digits.data
            db.session.commit()
            flash(_("บันทึกการตั้งค่าแล้ว"), "success")
            return redirect(url_for("auth.profile"))
    elif action == "email_events":
        events = EmailEventsForm()
        if events.validate():
            current_user.email_events = ",".join(k for k in EMAIL_EVENTS if k in (events.events.data or []))
            db.session.commit()
            flash(_("บันทึกการเลือกรับอีเมลแล้ว"), "success")
            return redirect(url_for("auth.profile"))
    elif action == "password":
        password = PasswordChangeForm()
        if password.validate():
            if not current_user.check_password(password.current_password.data or ""):
                password.current_password.errors = [_("รหัสผ่านปัจจุบันไม่ถูกต้อง")]
            elif problem := check_password_policy(password.new_password.data or ""):
                password.new_password.errors = [str(problem)]
            else:
                current_user.set_password(password.new_password.data)
                db.session.commit()
                flash(_("เปลี่ยนรหัสผ่านแล้ว"), "success")
                return redirect(url_for("auth.profile"))
    refused = display.has_errors or password.has_errors or events.has_errors
    return render_template(
        "auth/profile.html",
        password_rule=PASSWORD_RULE,
        display_form=display,
        password_form=password,
        events_form=events,
    ), 400 if refused else 200
