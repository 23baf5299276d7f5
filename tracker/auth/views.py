"""Log in, log out, and a user's own settings."""
from __future__ import annotations

from urllib.parse import urlparse

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..db import db
from .models import User
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


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("plans.home"))
    status = 200
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()
        password = request.form.get("password") or ""
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None and user.active and user.check_password(password):
            login_user(user, remember=bool(request.form.get("remember")))
            flash(f"ยินดีต้อนรับ {user.display_name} (welcome)", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("plans.home"))
        flash("อีเมลหรือรหัสผ่านไม่ถูกต้อง (wrong email or password)", "error")
        status = 401
    return render_template("auth/login.html"), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("ออกจากระบบแล้ว (logged out)", "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action == "prefs":
            current_user.thai_digits = request.form.get("thai_digits") == "on"
            db.session.commit()
            flash("บันทึกการตั้งค่าแล้ว (settings saved)", "success")
            return redirect(url_for("auth.profile"))
        if action == "password":
            old = request.form.get("current_password") or ""
            new = request.form.get("new_password") or ""
            problem = None
            if not current_user.check_password(old):
                problem = "รหัสผ่านปัจจุบันไม่ถูกต้อง (the current password is wrong)"
            elif new != (request.form.get("confirm_password") or ""):
                problem = "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน (the new passwords differ)"
            else:
                problem = check_password_policy(new)
            if problem:
                flash(problem, "error")
                status = 400
            else:
                current_user.set_password(new)
                db.session.commit()
                flash("เปลี่ยนรหัสผ่านแล้ว (password changed)", "success")
                return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", password_rule=PASSWORD_RULE), status
