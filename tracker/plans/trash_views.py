"""Deleting with a confirmation page and an undo: shared by the pages that delete.

`confirm_delete_page` renders the page a delete link leads to (a plain form,
no JavaScript needed) naming what goes with the item; after the delete,
`flash_undo` shows the message with an "เลิกทำ" button that restores the
trash item (`plans.trash_restore`). The organization's admins see every
deleted item on the admin trash page (admin.trash). Registered on the plans
blueprint of `views`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from .. import access, clock
from ..db import db
from ..errors import ServiceError
from ..forms import ConfirmForm
from ..i18n import _
from . import trash
from .models import Evidence, TrashItem
from .views import _me, bp

#: The session key of the trash item the next page offers to undo.
UNDO_KEY = "undo_trash_item"


def confirm_delete_page(title: str, label: str, summary: str, action: str, back: str, warning: str = ""):
    """The page between a delete link and the delete itself."""
    return render_template(
        "confirm_delete.html",
        title=title,
        label=label,
        summary=summary,
        action=action,
        back=back,
        warning=warning,
        form=ConfirmForm(),
        trash_days=trash.TRASH_DAYS,
    )


def delete_evidence_page(ev: Evidence, title: str, action: str, back: str):
    """A piece of evidence's delete: GET the confirmation page, POST it into the trash (the
    file stays until purged) with an undo, then back to `back`. The caller checks access."""
    if request.method == "GET":
        return confirm_delete_page(title, f"“{ev.original_name}”", "", action, back)
    if not ConfirmForm().validate_on_submit():
        raise ServiceError(_("แบบฟอร์มหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"))
    name = ev.original_name
    item = trash.trash_evidence(ev, _me(), clock.now())
    db.session.commit()
    flash_undo(item, _("ลบหลักฐาน “%(name)s” แล้ว", name=name))
    return redirect(back)


def flash_undo(item: TrashItem, message: str) -> None:
    """Flash the delete's message; the next page shows an undo button for `item`."""
    flash(message, "success")
    session[UNDO_KEY] = item.id


@bp.app_context_processor
def undo_offer() -> dict:
    def pop_undo() -> TrashItem | None:
        item_id = session.pop(UNDO_KEY, None) if current_user.is_authenticated else None
        if item_id is None:
            return None
        item = db.session.get(TrashItem, item_id)
        if item is None or not trash.may_restore(current_user, item):
            return None
        return item

    return {"pop_undo": pop_undo}


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.post("/trash/<int:item_id>/restore")
@login_required
def trash_restore(item_id: int):
    """Undo a delete: the organization's admins, or whoever deleted the item."""
    form = ConfirmForm()
    if not form.validate():
        raise ServiceError(_("แบบฟอร์มหมดอายุ โปรดลองอีกครั้ง"))
    item = db.session.get(TrashItem, item_id)
    if item is None or not access.can_read_org(current_user, item.organization_id):
        abort(404)
    if not trash.may_restore(current_user, item):
        abort(403)
    label = item.label
    try:
        trash.restore(item, _me(), clock.now())
    except ServiceError:
        db.session.rollback()
        raise
    db.session.commit()
    flash(_("กู้คืน%(label)sแล้ว", label=label), "success")
    back = _safe_next(request.form.get("next")) or url_for("plans.home")
    return redirect(back)
