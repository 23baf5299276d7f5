"""The admin trash page (ถังขยะ): every deleted item of the organization, with
restore; items older than `plans.trash.TRASH_DAYS` are purged by the scheduler.
Registered on the admin blueprint (and its guard) of `views`.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..forms import ConfirmForm
from ..plans import trash
from .views import bp


@bp.get("/trash")
def trash_list():
    items = trash.items_of(current_user.organization_id)
    return render_template(
        "admin/trash.html",
        items=items,
        kind_labels=trash.KIND_LABELS,
        purge_after=trash.purge_after,
        trash_days=trash.TRASH_DAYS,
        form=ConfirmForm(),
    )
