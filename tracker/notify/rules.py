"""An organization's reminder rules, people's digest preferences, and the clock
the mail jobs share (Bangkok day, sending window, when a trigger fires).

Jobs read the rules with `rules_for_jobs` (pages: `rules_for`), which never
write: an organization without a row gets the defaults (a transient object).
The admin page creates the row on first save (`update_rules`). Services flush,
never commit; every change is journaled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import access, clock, thaidate
from ..access import require_admin
from ..auth.models import User
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..i18n import N_, _, _l
from ..journal import apply_changes
from .models import NotificationRules

#: The defaults of the design (issue 3): 7 and 1 business days before, on the
#: due date, every Monday while overdue, the head after 7 days, Monday digests,
#: a monthly summary, 14 days ahead, from 08:00 Bangkok.
DEFAULTS: dict[str, Any] = {
    "days_before": "7,1",
    "remind_on_due_date": True,
    "overdue_weekday": 0,
    "escalate_after_days": 7,
    "digest_weekday": 0,
    "monthly_summary": True,
    "lookahead_days": 14,
    "send_after_minutes": 8 * 60,
    # Issue 11: a report waiting for its next signer more than 3 business days reminds them.
    "signoff_reminder_days": 3,
}
FIELDS = tuple(DEFAULTS)

WEEKDAYS = (
    N_("วันจันทร์"),
    N_("วันอังคาร"),
    N_("วันพุธ"),
    N_("วันพฤหัสบดี"),
    N_("วันศุกร์"),
    N_("วันเสาร์"),
    N_("วันอาทิตย์"),
)

MAX_DAYS_BEFORE = 60
MAX_REMINDERS_BEFORE = 5
MAX_ESCALATE_DAYS = 365
MAX_LOOKAHEAD_DAYS = 90
MAX_SIGNOFF_REMINDER_DAYS = 30


class RulesError(ServiceError):
    """Rules that cannot be accepted; `problems` holds one Thai (English) line each."""

    def __init__(self, problems: list[str]):
        super().__init__(" · ".join(problems))
        self.problems = problems


class Rules(Protocol):
    """What the mail jobs and previews read: a saved row, a default row or a JobRules copy."""

    @property
    def days_before(self) -> str: ...
    @property
    def days_before_list(self) -> list[int]: ...
    @property
    def remind_on_due_date(self) -> bool: ...
    @property
    def overdue_weekday(self) -> int | None: ...
    @property
    def escalate_after_days(self) -> int | None: ...
    @property
    def digest_weekday(self) -> int | None: ...
    @property
    def monthly_summary(self) -> bool: ...
    @property
    def lookahead_days(self) -> int: ...
    @property
    def send_after_minutes(self) -> int: ...
    @property
    def signoff_reminder_days(self) -> int: ...


# -- reading -----------------------------------------------------------------------


def default_rules(organization_id: int) -> NotificationRules:
    """The defaults as an unsaved row (column defaults only apply on insert)."""
    return NotificationRules(organization_id=organization_id, **DEFAULTS)


def rules_by_organization(organization_ids: Iterable[int]) -> dict[int, NotificationRules]:
    """Each organization's rules in one query; defaults where there is no row. Never writes."""
    ids = list(organization_ids)
    found = (
        {
            r.organization_id: r
            for r in db.session.scalars(sa.select(NotificationRules).where(NotificationRules.organization_id.in_(ids)))
        }
        if ids
        else {}
    )
    return {i: found.get(i) or default_rules(i) for i in ids}


@dataclass(frozen=True)
class JobRules:
    """The rules as a mail job reads them: a plain copy of a saved row or of the defaults."""

    days_before: str
    remind_on_due_date: bool
    overdue_weekday: int | None
    escalate_after_days: int | None
    digest_weekday: int | None
    monthly_summary: bool
    lookahead_days: int
    send_after_minutes: int
    signoff_reminder_days: int

    @classmethod
    def of(cls, row: NotificationRules | None) -> JobRules:
        if row is None:
            return cls(**DEFAULTS)
        return cls(**{name: getattr(row, name) for name in FIELDS})

    @property
    def days_before_list(self) -> list[int]:
        return sorted({int(x) for x in self.days_before.split(",") if x.strip()}, reverse=True)


def rules_for_jobs() -> defaultdict[int, JobRules]:
    """Every organization's rules for a mail job, in one query: a copy of each saved row
    by organization, and one shared copy of the defaults for all the others. Never
    writes. Most organizations never change their rules; making an unsaved row for each
    of 7,850 cost a mail pass more than its query.
    """
    shared = JobRules.of(None)
    rules: defaultdict[int, JobRules] = defaultdict(lambda: shared)
    rules.update((r.organization_id, JobRules.of(r)) for r in db.session.scalars(sa.select(NotificationRules)))
    return rules


def rules_for(organization_id: int) -> NotificationRules:
    return rules_by_organization([organization_id])[organization_id]


def get_or_create_rules(organization_id: int) -> NotificationRules:
    """The organization's row, created with the defaults if missing. Flushes."""
    query = sa.select(NotificationRules).where(NotificationRules.organization_id == organization_id)
    rules = db.session.scalar(query)
    if rules is not None:
        return rules
    rules = default_rules(organization_id)
    try:
        # A savepoint: another process creating the row at the same moment
        # must not spoil the caller's transaction.
        with db.session.begin_nested():
            db.session.add(rules)
    except IntegrityError:
        rules = db.session.scalar(query)
        assert rules is not None
    return rules


def sending_open(rules: Rules, now: datetime) -> bool:
    """Mail is queued only on business days, from rules.send_after_minutes local time."""
    local = clock.local_now(now)
    return thaidate.is_business_day(local.date()) and local.hour * 60 + local.minute >= rules.send_after_minutes


def fire_date(trigger: date) -> date:
    """The day a trigger dated `trigger` is acted on: it, or the next business day."""
    return thaidate.next_business_day(trigger, include_self=True)


def latest_weekday(day: date, weekday: int) -> date:
    """The latest date on or before `day` falling on `weekday` (0 = Monday)."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def first_business_day_of_month(day: date) -> date:
    return thaidate.next_business_day(day.replace(day=1), include_self=True)


# -- describing -------------------------------------------------------------------------


def weekday_label(weekday: int | None, off: str = _l("ไม่ส่ง")) -> str:
    return off if weekday is None else _(WEEKDAYS[weekday])


def minutes_label(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -- validating and changing the rules ----------------------------------------------------


@dataclass
class _Checker:
    problems: list[str]

    def weekday(self, value: Any, label: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
            self.problems.append(_("%(label)s: ต้องเป็นวันในสัปดาห์", label=label))
            return None
        return value

    def whole(self, value: Any, label: str, low: int, high: int, *, optional: bool = False) -> int | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problems.append(_("%(label)s: ต้องเป็นจำนวนเต็ม %(low)s–%(high)s", label=label, low=low, high=high))
            return None
        return value

    def flag(self, value: Any, label: str) -> bool:
        if not isinstance(value, bool):
            self.problems.append(_("%(label)s: ต้องเป็นใช่หรือไม่ใช่", label=label))
            return False
        return value


def normalize_days_before(value: Any, problems: list[str]) -> str:
    """ "7, 1" / "๗ ๑" / [1, 7] → "7,1" (descending, no duplicates); problems appended."""
    label = _("แจ้งล่วงหน้า")
    if isinstance(value, (list, tuple)):
        parts = [str(v) for v in value]
    elif isinstance(value, str):
        parts = thaidate.to_arabic_digits(value).replace(",", " ").split()
    else:
        problems.append(_("%(label)s: รูปแบบไม่ถูกต้อง", label=label))
        return ""
    numbers: set[int] = set()
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= MAX_DAYS_BEFORE:
            problems.append(
                _(
                    "%(label)s: “%(part_20)s” ต้องเป็นจำนวนวันทำการ 1–%(max_days_before)s คั่นด้วยจุลภาค",
                    label=label,
                    part_20=part[:20],
                    max_days_before=MAX_DAYS_BEFORE,
                )
            )
            return ""
        numbers.add(int(part))
    if len(numbers) > MAX_REMINDERS_BEFORE:
        problems.append(
            _("%(label)s: ได้ไม่เกิน %(max_reminders_before)s ครั้ง", label=label, max_reminders_before=MAX_REMINDERS_BEFORE)
        )
        return ""
    return ",".join(str(n) for n in sorted(numbers, reverse=True))


def validate_rules(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check typed values (see DEFAULTS for the fields); raise RulesError listing every problem."""
    problems: list[str] = []
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        problems.append(_("ไม่รู้จักการตั้งค่า %(join_unknown)s", join_unknown=", ".join(unknown)))
    check = _Checker(problems)
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name == "days_before":
            clean[name] = normalize_days_before(value, problems)
        elif name == "remind_on_due_date":
            clean[name] = check.flag(value, _("แจ้งในวันครบกำหนด"))
        elif name == "monthly_summary":
            clean[name] = check.flag(value, _("สรุปประจำเดือน"))
        elif name == "overdue_weekday":
            clean[name] = check.weekday(value, _("วันแจ้งงานที่เลยกำหนด"))
        elif name == "digest_weekday":
            clean[name] = check.weekday(value, _("วันส่งสรุปประจำสัปดาห์"))
        elif name == "escalate_after_days":
            clean[name] = check.whole(value, _("แจ้งหัวหน้าเมื่อเลยกำหนดเกิน"), 0, MAX_ESCALATE_DAYS, optional=True)
        elif name == "lookahead_days":
            clean[name] = check.whole(value, _("สรุปงานที่จะครบกำหนดภายใน"), 1, MAX_LOOKAHEAD_DAYS)
        elif name == "send_after_minutes":
            clean[name] = check.whole(value, _("เวลาเริ่มส่งอีเมล"), 0, 24 * 60 - 1)
        elif name == "signoff_reminder_days":
            label = _("เตือนผู้บริหารเมื่อรายงานรอการพิจารณาเกิน")
            clean[name] = check.whole(value, label, 1, MAX_SIGNOFF_REMINDER_DAYS)
    if problems:
        raise RulesError(problems)
    return clean


def parse_time_of_day(text: str) -> int:
    """ "08:00" / "8.30" / "๘:๐๐" → minutes after midnight; ValueError otherwise."""
    raw = thaidate.to_arabic_digits(text.strip()).replace(".", ":").removesuffix("น").strip()
    hours, sep, minutes = raw.partition(":")
    if not hours.isdigit() or (sep and not minutes.isdigit()):
        raise ValueError(text)
    h, m = int(hours), int(minutes or 0)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(text)
    return h * 60 + m


def update_rules(organization_id: int, actor: User | None, now: datetime, **values: Any) -> list[str]:
    """Change an organization's rules (admins only; actor None = command line).

    Takes any of the DEFAULTS fields, typed (notify.forms.RulesForm reads them
    from the page). Validates all of them first (RulesError lists every problem,
    nothing is written), then journals each changed field. Returns the names
    of the changed fields. Flushes; the caller commits.
    """
    if actor is not None:
        require_admin(actor, organization_id)
    clean = validate_rules(values)
    rules = get_or_create_rules(organization_id)
    changes = [(name, getattr(rules, name), new) for name, new in clean.items() if getattr(rules, name) != new]
    return apply_changes(
        rules, changes, organization_id=organization_id, entity="notification_rules", actor=actor, at=now
    )


# -- a person's digest preferences ----------------------------------------------------------


def set_digest_preferences(
    user: User, actor: User | None, now: datetime, *, enabled: bool, weekday: int | None
) -> list[str]:
    """Turn a user's digests on/off and pick their weekday (None: the organization's).

    Only the user (or an admin of the organization, or the signed unsubscribe
    link with actor None) may do this. Journaled per changed field; flushes.
    """
    if actor is not None and not access.may_change_settings_of(actor, user):
        raise PermissionDenied(_("เปลี่ยนได้เฉพาะการตั้งค่าของตนเอง"))
    problems: list[str] = []
    weekday = _Checker(problems).weekday(weekday, _("วันรับสรุปประจำสัปดาห์"))
    if not isinstance(enabled, bool):
        problems.append(_("รับสรุป: ต้องเป็นใช่หรือไม่ใช่"))
    if problems:
        raise RulesError(problems)
    changes = [
        (name, getattr(user, name), new)
        for name, new in (("digest_enabled", enabled), ("digest_weekday", weekday))
        if getattr(user, name) != new
    ]
    return apply_changes(user, changes, organization_id=user.organization_id, entity="user", actor=actor, at=now)
