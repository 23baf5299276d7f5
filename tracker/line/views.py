"""LINE pages: the organization's account (admins), the webhook, confirming a link,
and a person's LINE link and channel choices. Thin views over services.py."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import require_admin
from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..extensions import csrf, login_manager
from ..i18n import N_, _
from ..notify.channels import EVENT_KINDS
from ..orgs.models import Organization
from . import client as line_client
from . import services, webhook
from .crypto import SecretUnreadable
from .delivery import pushes_this_month
from .forms import LinkForm, LinkQueryForm, profile_form, settings_form
from .models import DEFAULT_MONTHLY_CAP

log = logging.getLogger(__name__)

bp = Blueprint("line", __name__)


def _webhook_url(org: Organization) -> str:
    return f"{current_app.config['TRACKER_BASE_URL'].rstrip('/')}/line/webhook/{org.slug}"


# -- the organization's account (admins) ------------------------------------------------------


def _admin_org() -> Organization:
    require_admin(current_user, current_user.organization_id)
    org = db.session.get(Organization, current_user.organization_id)
    assert org is not None
    return org


def _live_quota(channel) -> tuple[str, int | None, int] | str:
    """LINE's own count of this month's messages, or why it could not be read."""
    try:
        with line_client.api(channel) as api:
            return line_client.quota(api)
    except SecretUnreadable:
        return "ถอดรหัสข้อมูลบัญชีไม่ได้ โปรดบันทึก Channel secret และ access token ใหม่"
    except line_client.ApiException as exc:
        return f"LINE ตอบ HTTP {exc.status}"
    except Exception as exc:  # urllib3 / socket errors: the page still shows
        return _("ติดต่อ LINE ไม่ได้ (%(type_exc___name)s)", type_exc___name=type(exc).__name__)


def _read(form: Any) -> list[str]:
    """What the form could not read, as "label: message" (nothing: it was read)."""
    return [] if form.validate() else form.labelled_errors()


def _saved_channel(org: Organization, form: Any) -> list[str]:
    """Save the account as typed (committed), or the service's problems (rolled back)."""
    try:
        services.save_channel(
            org.id,
            current_user,
            utcnow(),
            channel_id=form.channel_id.data or "",
            channel_secret=form.channel_secret.data or "",
            access_token=form.access_token.data or "",
            monthly_cap=form.monthly_cap.data or "",
            defaults=form.choices(),
        )
    except services.LineError as exc:
        db.session.rollback()
        return exc.problems
    db.session.commit()
    return []


@bp.route("/admin/line", methods=["GET", "POST"])
def settings():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    org = _admin_org()
    channel = services.channel_of(org.id)
    problems: list[str] = []
    if request.method == "POST":
        form = settings_form()
        problems = _read(form) or _saved_channel(org, form)
        if not problems:
            flash(N_("บันทึกการเชื่อมต่อ LINE แล้ว"), "success")
            return redirect(url_for("line.settings"))
    else:
        defaults = (channel.default_choices or {}) if channel else {}
        form = settings_form(
            formdata=None,
            data={
                "channel_id": channel.channel_id if channel else "",
                "monthly_cap": str(channel.monthly_cap if channel else DEFAULT_MONTHLY_CAP),
                **{f"default_{k}": defaults.get(k, "email") for k in EVENT_KINDS},
            },
        )
    usage = pushes_this_month(org.id, utcnow()) if channel else (0, 0)
    quota = _live_quota(channel) if channel and request.method == "GET" else None
    return render_template(
        "line/settings.html",
        org=org,
        channel=channel,
        form=form,
        problems=problems,
        webhook_url=_webhook_url(org),
        usage=usage,
        quota=quota,
        kinds=list(EVENT_KINDS.values()),
        own_link=services.link_of(current_user),
    ), (400 if problems else 200)


@bp.post("/admin/line/test")
def test_message():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    org = _admin_org()
    channel = services.channel_of(org.id)
    link = services.link_of(current_user)
    if channel is None:
        raise ServiceError("ยังไม่ได้เชื่อมต่อบัญชี LINE")
    if link is None:
        raise ServiceError("เชื่อมบัญชี LINE ของคุณเองก่อน (หน้าข้อมูลของฉัน → LINE) แล้วจึงส่งข้อความทดสอบ")
    text = f"ข้อความทดสอบจากระบบติดตามมาตรการ ITA ของ{org.name}: การเชื่อมต่อ LINE ใช้งานได้"
    try:
        with line_client.api(channel) as api:
            outcome = line_client.push(api, link.line_user_id, [{"type": "text", "text": text}], str(uuid.uuid4()))
    except SecretUnreadable as exc:
        raise ServiceError("ถอดรหัสข้อมูลบัญชีไม่ได้ โปรดบันทึก Channel secret และ access token ใหม่") from exc
    if outcome.accepted:
        flash(N_("ส่งข้อความทดสอบไปยัง LINE ของคุณแล้ว"), "success")
    else:
        flash(f"ส่งข้อความทดสอบไม่สำเร็จ: {outcome.error}", "error")
    return redirect(url_for("line.settings"))


@bp.post("/admin/line/disconnect")
def disconnect():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    org = _admin_org()
    services.disconnect(org.id, current_user, utcnow())
    db.session.commit()
    flash(N_("ยกเลิกการเชื่อมต่อ LINE แล้ว การแจ้งเตือนทั้งหมดจะส่งทางอีเมล"), "success")
    return redirect(url_for("line.settings"))


# -- the webhook ----------------------------------------------------------------------------------


@bp.post("/line/webhook/<slug>")
@csrf.exempt
def receive(slug: str):
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    try:
        channel, events = webhook.parse(org, request.get_data(as_text=True), request.headers.get("X-Line-Signature"))
    except webhook.Refused as exc:
        log.warning("LINE webhook for %r refused: %s", slug, exc.reason)
        return {"message": exc.reason}, exc.status
    replies = webhook.handle(channel, events, utcnow())
    db.session.commit()
    webhook.send_replies(channel, replies)
    return {"message": "ok"}, 200


# -- linking -------------------------------------------------------------------------------------


@bp.route("/line/link", methods=["GET", "POST"])
@login_required
def confirm_link():
    form = LinkForm() if request.method == "POST" else LinkQueryForm.sent()
    link_token = (form.linkToken.data or "") if form.validate() else ""
    channel = services.channel_of(current_user.organization_id)
    if request.method == "POST":
        url = services.start_linking(current_user, link_token, utcnow())
        db.session.commit()
        return redirect(url)
    if channel is None:
        raise ServiceError("องค์กรของคุณยังไม่ได้เชื่อมต่อบัญชี LINE Official Account")
    if not link_token:
        raise ServiceError("ลิงก์เชื่อมบัญชี LINE ไม่ครบ โปรดเปิดลิงก์จากข้อความของบัญชีทางการอีกครั้ง")
    return render_template(
        "line/link.html",
        channel=channel,
        form=LinkForm(formdata=None, linkToken=link_token),
        current_link=services.link_of(current_user),
    )


@bp.route("/profile/line", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    channel = services.channel_of(user.organization_id)
    problems: list[str] = []
    defaults = (channel.default_choices or {}) if channel else {}
    if request.method == "POST":
        form = profile_form(defaults)
        problems = _read(form)
        if not problems:
            try:
                changed = services.set_choices(user, form.choices(), utcnow())
            except services.LineError as exc:
                db.session.rollback()
                problems = exc.problems
            else:
                db.session.commit()
                flash(N_("บันทึกช่องทางการแจ้งเตือนแล้ว") if changed else N_("ไม่มีการเปลี่ยนแปลง"), "success")
                return redirect(url_for("line.profile"))
    else:
        own = services.own_choices(user)
        form = profile_form(defaults, formdata=None, data={f"choice_{k}": own.get(k, "") for k in EVENT_KINDS})
    return render_template(
        "line/profile.html",
        channel=channel,
        link=services.link_of(user),
        form=form,
        problems=problems,
        kinds=list(EVENT_KINDS.values()),
    ), (400 if problems else 200)


@bp.post("/profile/line/unlink")
@login_required
def unlink():
    if services.unlink(current_user, current_user, utcnow()):
        db.session.commit()
        flash(N_("ยกเลิกการเชื่อมบัญชี LINE แล้ว การแจ้งเตือนจะส่งทางอีเมลแทน"), "success")
    return redirect(url_for("line.profile"))
