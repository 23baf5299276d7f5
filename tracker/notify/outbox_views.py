"""The outbox in the web interface: what was (or would be) sent, to whom, and why not.

Admins only, and only their own organization's messages (another
organization's message is a 404, never a leak). A message is shown from the
same email object that is sent, so what an admin reads is what went out.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import i18n
from ..access import admin_pages_guard
from ..clock import utcnow
from ..db import db
from ..i18n import N_, _, _l
from ..plans.listing import contains, paginate
from ..plans.models import Step
from . import mail
from .delivery import RESENDABLE, resend
from .forms import OutboxFilterForm
from .models import OutboxMessage, OutboxStatus

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

PER_PAGE = 50

KIND_LABELS = {
    "reminder": N_("แจ้งเตือนขั้นตอน"),
    "escalation": N_("แจ้งหัวหน้าหน่วยงาน"),
    "digest_weekly": N_("สรุปประจำสัปดาห์"),
    "digest_monthly": "สรุปประจำเดือน",
    # tracker/follow: one email per in-app notification
    "step_remark": N_("ความเห็นในขั้นตอนที่ติดตาม"),
    "step_status": N_("สถานะของขั้นตอนที่ติดตาม"),
    "report_signoff": N_("รายงานรอการพิจารณา"),
    "report_signoff_reminder": N_("เตือนรายงานที่รอการพิจารณาเกินกำหนด"),
}


REASON_LABELS = {
    "due": _l("ครบกำหนดวันนี้"),
    "overdue": _l("เลยกำหนด"),
    "escalation": _l("เลยกำหนดนาน แจ้งหัวหน้าหน่วยงาน"),
}


def reason_label(reason: str) -> str:
    if reason.startswith("before:"):
        return i18n.translate(N_("ล่วงหน้า %(days)s วันทำการ"), days=reason.split(":", 1)[1])
    return i18n.translate(REASON_LABELS[reason]) if reason in REASON_LABELS else reason


# Every page and form here: logged in, and an admin of one's own organization.
bp.before_request(admin_pages_guard)


@bp.context_processor
def helpers() -> dict:
    return {
        "kind_label": lambda k: i18n.translate(KIND_LABELS[k]) if k in KIND_LABELS else k,
        "reason_label": reason_label,
        "statuses": list(OutboxStatus),
        "server_configured": mail.server_configured(),
    }


def _own_message(message_id: int) -> OutboxMessage:
    row = db.session.get(OutboxMessage, message_id)
    if row is None or row.organization_id != current_user.organization_id:
        abort(404)
    return row


@bp.get("")
def index():
    form = OutboxFilterForm.read()
    status = form.chosen_status
    page = form.page_number
    q = form.q.data or ""
    own = OutboxMessage.organization_id == current_user.organization_id
    query = sa.select(OutboxMessage).where(own).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if q:
        query = query.where(
            sa.or_(
                *(
                    contains(column, q)
                    for column in (OutboxMessage.recipient, OutboxMessage.recipient_name, OutboxMessage.subject)
                )
            )
        )
    messages = paginate(query, page, PER_PAGE)
    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).where(own).group_by(OutboxMessage.status)
        ).all()
    )
    list_args = {k: v for k, v in {"status": status.value if status else None, "q": q}.items() if v}
    return render_template(
        "outbox/index.html",
        messages=messages,
        status=status,
        counts=counts,
        q=q,
        form=form,
        list_args=list_args,
        line=_line_month(current_user.organization_id),
    )


def _line_month(organization_id: int) -> dict | None:
    """This month's LINE pushes against the organization's cap, when LINE is connected."""
    from ..line.delivery import pushes_this_month
    from ..line.services import channel_of

    channel = channel_of(organization_id)
    if channel is None:
        return None
    pushes, messages = pushes_this_month(organization_id, utcnow())
    return {"pushes": pushes, "messages": messages, "cap": channel.monthly_cap}


@bp.get("/<int:message_id>")
def show(message_id: int):
    row = _own_message(message_id)
    shown = ("from", "to", "subject", "date", "message-id", "list-unsubscribe")
    headers = [(name, value) for name, value in mail.build_email(row).decoded_headers() if name.lower() in shown]
    steps = {s.id: s for s in db.session.scalars(sa.select(Step).where(Step.id.in_([i.step_id for i in row.items])))}
    line_texts = [m.get("text") or m.get("altText", "") for m in json.loads(row.line_messages or "[]")]
    return render_template(
        "outbox/show.html",
        row=row,
        headers=headers,
        steps=steps,
        resendable=row.status in RESENDABLE,
        line_texts=line_texts,
    )


@bp.get("/<int:message_id>.eml")
def download(message_id: int):
    row = _own_message(message_id)
    return Response(
        mail.compose(row, check=False).data,
        mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="outbox-{row.id}.eml"'},
    )


@bp.post("/<int:message_id>/resend")
def resend_message(message_id: int):
    row = _own_message(message_id)
    resend(row, current_user, utcnow())
    db.session.commit()
    flash(_("นำข้อความกลับเข้าคิวรอส่งแล้ว"), "success")
    return redirect(url_for("outbox.show", message_id=row.id))
