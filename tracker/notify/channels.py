"""Which channel (email, LINE) each notification takes: the event kinds and the routing rule.

The rule, in one place:

* Each message belongs to an event kind (EVENT_KINDS). A person picks, per
  kind, "email", "line", "both" or "none"; without a choice of their own the
  organization's default applies (set with its LINE account), else email.
* LINE is possible only when the organization has connected its LINE Official
  Account and the person has linked their LINE account; otherwise "line" and
  "both" mean email. A shared department mailbox (no person) always gets email.

Later issues register their kinds with `register_event_kind`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ..db import db
from ..i18n import N_

EMAIL, LINE = "email", "line"
#: A person's choices, in the order forms show them
CHOICES = ("email", "line", "both", "none")
CHOICE_CHANNELS = {"email": (EMAIL,), "line": (LINE,), "both": (EMAIL, LINE), "none": ()}
CHOICE_LABELS = {"email": "อีเมล", "line": "LINE", "both": N_("อีเมลและ LINE"), "none": N_("ไม่รับ")}


@dataclass(frozen=True)
class EventKind:
    key: str
    #: Thai label (translated through tracker.i18n in templates)
    label: str


#: Event kinds a person chooses a channel for, in the order forms show them.
EVENT_KINDS: dict[str, EventKind] = {}


def register_event_kind(key: str, label: str) -> EventKind:
    kind = EVENT_KINDS.setdefault(key, EventKind(key, label))
    return kind


REMINDER = register_event_kind("reminder", N_("แจ้งเตือนก่อนครบกำหนดและในวันครบกำหนด"))
OVERDUE = register_event_kind("overdue", N_("แจ้งงานเลยกำหนด (รวมที่แจ้งหัวหน้าหน่วยงาน)"))
DIGEST = register_event_kind("digest", "สรุปประจำสัปดาห์และประจำเดือน")


def event_kind_of_reason(reason: str) -> str:
    """The event kind of a reminder item ("before:7", "due", "overdue", "escalation")."""
    return OVERDUE.key if reason in ("overdue", "escalation") else REMINDER.key


class Router:
    """Channel choices, LINE accounts and links of everyone, read once for a job's pass."""

    def __init__(self, organization_ids: Iterable[int] | None = None) -> None:
        from ..line.models import LineChannel, LineLink, NotificationChoice

        ids = None if organization_ids is None else sorted(set(organization_ids))
        channels = sa.select(LineChannel)
        links = sa.select(LineLink)
        if ids is not None:
            channels = channels.where(LineChannel.organization_id.in_(ids))
            links = links.where(LineLink.organization_id.in_(ids))
        self.defaults: dict[int, dict] = {
            c.organization_id: dict(c.default_choices or {}) for c in db.session.scalars(channels)
        }
        self.links: dict[int, str] = {link.user_id: link.line_user_id for link in db.session.scalars(links)}
        self.choices: dict[int, dict[str, str]] = {}
        choices = sa.select(NotificationChoice)
        if ids is not None:
            from ..auth.models import User

            choices = choices.join(User, User.id == NotificationChoice.user_id).where(User.organization_id.in_(ids))
        for choice in db.session.scalars(choices):
            self.choices.setdefault(choice.user_id, {})[choice.event_kind] = choice.choice

    def choice(self, organization_id: int, user_id: int | None, kind: str) -> str:
        if user_id is None:
            return "email"
        own = self.choices.get(user_id, {}).get(kind)
        if own in CHOICE_CHANNELS:
            return own
        default = self.defaults.get(organization_id, {}).get(kind)
        return default if default in CHOICE_CHANNELS else "email"

    def line_to(self, organization_id: int, user_id: int | None) -> str | None:
        """The person's LINE user ID when LINE is possible for them, else None."""
        if user_id is None or organization_id not in self.defaults:
            return None
        return self.links.get(user_id)

    def channels(self, organization_id: int, user_id: int | None, kind: str) -> tuple[str, ...]:
        """The channels a message of this kind takes: LINE only where possible, else email."""
        wanted = CHOICE_CHANNELS[self.choice(organization_id, user_id, kind)]
        if LINE in wanted and self.line_to(organization_id, user_id) is None:
            wanted = tuple(dict.fromkeys(EMAIL if c == LINE else c for c in wanted))
        return wanted
