"""Notification settings: the organization's rules (admins), a person's digest
preferences, and the signed one-click unsubscribe link of the digests.

/unsubscribe/<token> is reached from an email, without logging in: the signed
token is the authentication, so the view is exempt from CSRF. GET only shows
a confirmation (mail scanners follow links); POST turns digests off — also
the RFC 8058 one-click POST mail clients send with `List-Unsubscribe=One-Click`.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import require_admin
from ..auth.models import Role, User
from ..clock import utcnow
from ..db import db
from ..extensions import csrf, login_manager
from ..orgs.models import Department
from . import rules as rules_service
from .forms import PreferencesForm, RulesForm
from .rules import RulesError, minutes_label, weekday_label
from .tokens import user_id_from_unsubscribe_token

bp = Blueprint("notify", __name__)


# -- the organization's rules ---------------------------------------------------------------


@bp.route("/admin/notifications", methods=["GET", "POST"])
def rules_page():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    org_id = current_user.organization_id
    require_admin(current_user, org_id)
    rules = rules_service.rules_for(org_id)
    if request.method == "GET":
        return render_template("notify/rules.html", form=RulesForm.of(rules), problems=[])
    form = RulesForm()
    problems: list[str] = []
    typed = form.validate()
    try:
        if typed:
            changed = rules_service.update_rules(org_id, current_user, utcnow(), **form.values())
        else:
            # Every problem at once: the rules' own checks on what the form could read.
            rules_service.validate_rules(form.values())
    except RulesError as exc:
        db.session.rollback()
        problems = exc.problems
    if typed and not problems:
        db.session.commit()
        flash(
            "บันทึกกฎการแจ้งเตือนแล้ว (rules saved)" if changed else "ไม่มีการเปลี่ยนแปลง (nothing changed)",
            "success",
        )
        return redirect(url_for("notify.rules_page"))
    return render_template("notify/rules.html", form=form, problems=problems), 400


# -- a person's digest preferences ------------------------------------------------------------


def _receives_digests(user: User) -> bool:
    is_head = db.session.scalar(sa.select(Department.id).where(Department.head_id == user.id).limit(1)) is not None
    return user.role is Role.manager or is_head


@bp.route("/profile/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    user: User = current_user._get_current_object()
    rules = rules_service.rules_for(user.organization_id)
    problems: list[str] = []
    org_weekday = weekday_label(rules.digest_weekday)
    if request.method == "GET":
        form = PreferencesForm(
            formdata=None,
            org_weekday=org_weekday,
            data={
                "digest_enabled": user.digest_enabled,
                "digest_weekday": "" if user.digest_weekday is None else str(user.digest_weekday),
            },
        )
    else:
        form = PreferencesForm(org_weekday=org_weekday)
        if form.validate():
            try:
                rules_service.set_digest_preferences(
                    user, user, utcnow(), enabled=form.digest_enabled.data, weekday=form.weekday
                )
            except RulesError as exc:
                db.session.rollback()
                problems = exc.problems
            else:
                db.session.commit()
                flash("บันทึกการตั้งค่าการแจ้งเตือนแล้ว (notification settings saved)", "success")
                return redirect(url_for("notify.preferences"))
    return render_template(
        "notify/preferences.html",
        form=form,
        problems=problems,
        org_weekday=org_weekday,
        rules=rules,
        receives_digests=_receives_digests(user),
        send_after=minutes_label(rules.send_after_minutes),
        days_before=rules.days_before_list,
        overdue_weekday=weekday_label(rules.overdue_weekday),
    ), (400 if problems or form.has_errors else 200)


# -- one-click unsubscribe ------------------------------------------------------------------------


BAD_LINK = (
    "ลิงก์ยกเลิกการรับสรุปไม่ถูกต้องหรือไม่สมบูรณ์ โปรดคัดลอกลิงก์จากอีเมลให้ครบ "
    "หรือเข้าสู่ระบบแล้วปิดการรับสรุปที่หน้าตั้งค่า (this unsubscribe link is invalid or incomplete)"
)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    user_id = user_id_from_unsubscribe_token(token)
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        return render_template("error.html", status=400, title="ลิงก์ไม่ถูกต้อง (Bad link)", message=BAD_LINK), 400
    if request.method == "GET":
        return render_template("notify/unsubscribe.html", user=user, token=token, done=False)
    if user.digest_enabled:
        rules_service.set_digest_preferences(user, None, utcnow(), enabled=False, weekday=user.digest_weekday)
        db.session.commit()
    # RFC 8058: a mail client's one-click POST needs only a 2xx, but a person gets a page.
    return render_template("notify/unsubscribe.html", user=user, token=token, done=True)
