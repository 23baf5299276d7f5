"""An organization's working rules for its steps (issue 11): what a step needs
before it is marked done. Changed by the organization's admin, journaled."""

from __future__ import annotations

from datetime import datetime

from ..auth.models import User
from ..errors import ServiceError
from ..i18n import _
from .documents import journal_setting
from .models import DoneRule, Organization


def set_done_rule(org: Organization, actor: User | None, value: DoneRule | str, now: datetime) -> bool:
    """Set what "done" needs (none, a note, evidence, both); returns whether it changed."""
    try:
        rule = DoneRule(value)
    except ValueError:
        raise ServiceError(_("โปรดเลือกว่าต้องมีอะไรก่อนเปลี่ยนเป็น “ดำเนินการแล้ว”"), field="done_requires") from None
    old = org.done_requires
    if old is rule:
        return False
    journal_setting(org, actor, now, "done_requires", old, rule)
    org.done_requires = rule
    return True
