"""Weekly digests and monthly summaries for managers and department heads.

The rules (issue 3 design; D = the Bangkok day of `now`):

* Queued only on business days from rules.send_after_minutes, to active
  users of the organization who are managers (role manager) or the head of a
  department, with digest_enabled.
* Weekly (kind "digest_weekly", for_date W): weekday wd = the user's
  digest_weekday, else rules.digest_weekday (None: none). W = the latest date
  <= D on weekday wd. Queued on D when W has fired (its first business day on
  or after W is <= D), no weekly digest to this address has a for_date in
  (W − 7 days, W] (or later: after someone moves their weekday back), and
  there is something to say (an active plan with steps).
  Content: progress per measure (done / total, cancelled steps left out of
  the total), overdue steps with owner and days late, steps due within
  rules.lookahead_days, steps completed since the previous weekly digest to
  this address (its created_at; else the last 7 days); a signed one-click
  unsubscribe link.
* Monthly (kind "digest_monthly", for_date F = the first business day of D's
  month): same recipients, when rules.monthly_summary and D >= F, once.
  Content: progress at D, steps completed during the previous calendar month,
  overdue now, open steps due during the rest of this month.

`plan_digests(now)` says what a pass would queue without writing (for
--dry-run); `queue_digests(now)` queues it. The caller commits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import thaidate
from ..auth.models import Role, User
from ..db import db
from ..orgs.models import Department, Organization
from ..plans.models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness
from .models import NotificationRules, OutboxMessage
from .render import (
    PlannedMessage,
    RenderedEmail,
    StepLine,
    enqueue_planned,
    render_email,
    step_line,
    step_sort_key,
)
from .reminders import about_org, organizations_with_active_plans
from .rules import (
    first_business_day_of_month,
    fire_date,
    latest_weekday,
    local_day,
    rules_by_organization,
    sending_open,
)
from .tokens import unsubscribe_url

WEEKLY = "digest_weekly"
MONTHLY = "digest_monthly"
OPEN_STATUSES = (StepStatus.not_started, StepStatus.in_progress)


# -- what the organization's plans look like on a day ---------------------------------------


@dataclass(frozen=True)
class MeasureRow:
    number: str
    title: str
    department: str
    done: int
    #: Steps that count: cancelled ones are left out
    total: int

    @property
    def percent(self) -> int:
        # Floor, like the dashboard: 100% only when every counted step is done.
        return self.done * 100 // self.total if self.total else 0


@dataclass(frozen=True)
class PlanRow:
    title: str
    fiscal_year: int
    measures: list[MeasureRow]

    @property
    def done(self) -> int:
        return sum(m.done for m in self.measures)

    @property
    def total(self) -> int:
        return sum(m.total for m in self.measures)

    @property
    def percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0


@dataclass(frozen=True)
class DoneLine:
    line: StepLine
    completed_on: date


class Snapshot:
    """An organization's active plans on a day: progress, overdue, due soon, completions."""

    def __init__(self, organization_id: int, day: date):
        self.day = day
        self.plans: list[Plan] = list(
            db.session.scalars(
                sa.select(Plan)
                .where(Plan.organization_id == organization_id, Plan.status == PlanStatus.active)
                .options(
                    selectinload(Plan.weaknesses)
                    .selectinload(Weakness.measures)
                    .options(
                        selectinload(Measure.owner_department),
                        selectinload(Measure.steps).options(
                            selectinload(Step.owner_department), selectinload(Step.assignee)
                        ),
                    )
                )
                .order_by(Plan.fiscal_year)
            )
        )
        self.steps: list[Step] = [s for p in self.plans for s in p.steps]

    @property
    def has_news(self) -> bool:
        """Something to say: an active plan with steps."""
        return bool(self.steps)

    def progress(self) -> list[PlanRow]:
        rows = []
        for plan in self.plans:
            measures = [
                MeasureRow(
                    number=m.number, title=m.title, department=m.owner_department.name,
                    done=sum(s.status is StepStatus.done for s in m.steps),
                    total=sum(s.status is not StepStatus.cancelled for s in m.steps),
                )
                for m in plan.measures
            ]
            rows.append(PlanRow(plan.title, plan.fiscal_year, measures))
        return rows

    def _lines(self, steps) -> list[StepLine]:
        return [step_line(s, self.day) for s in sorted(steps, key=step_sort_key)]

    def overdue(self) -> list[StepLine]:
        return self._lines(s for s in self.steps if s.status in OPEN_STATUSES and s.due_date < self.day)

    def due_between(self, first: date, last: date) -> list[StepLine]:
        return self._lines(s for s in self.steps if s.status in OPEN_STATUSES and first <= s.due_date <= last)

    def _done(self, keep) -> list[DoneLine]:
        done = [s for s in self.steps if s.status is StepStatus.done and s.completed_at is not None and keep(s)]
        done.sort(key=lambda s: (s.completed_at, step_sort_key(s)))
        return [DoneLine(step_line(s, self.day), s.completed_at.astimezone(thaidate.BANGKOK).date()) for s in done]

    def completed_since(self, after: datetime, until: datetime) -> list[DoneLine]:
        """Steps completed after `after` (exclusive) up to `until`."""
        return self._done(lambda s: after < s.completed_at <= until)

    def completed_during(self, first: date, last: date) -> list[DoneLine]:
        """Steps completed on Bangkok days first..last."""
        return self._done(lambda s: first <= s.completed_at.astimezone(thaidate.BANGKOK).date() <= last)


# -- recipients -------------------------------------------------------------------------------


def digest_recipients(organization_id: int) -> list[User]:
    """Active managers and department heads with digests on, each once, by id."""
    head_ids = sa.select(Department.head_id).where(
        Department.organization_id == organization_id, Department.head_id.is_not(None)
    )
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.organization_id == organization_id,
                User.active.is_(True),
                User.digest_enabled.is_(True),
                sa.or_(User.role == Role.manager, User.id.in_(head_ids)),
            )
            .order_by(User.id)
        )
    )


def _why(user: User, heads: dict[int, list[str]]) -> list[str]:
    why = []
    if user.role is Role.manager:
        why.append("คุณได้รับสรุปนี้ในฐานะผู้บริหาร (you are a manager)")
    if heads.get(user.id):
        why.append(f"คุณได้รับสรุปนี้ในฐานะหัวหน้าของ{' และ'.join(heads[user.id])} (you head a department)")
    return why


def weekly_digest_date(user: User, rules: NotificationRules, day: date) -> date | None:
    """W: the latest date <= day on the user's digest weekday, or None (no weekly digest)."""
    weekday = user.digest_weekday if user.digest_weekday is not None else rules.digest_weekday
    if weekday is None:
        return None
    return latest_weekday(day, weekday)


# -- one organization -------------------------------------------------------------------------


def _plan_organization(org: Organization, rules: NotificationRules, day: date, now: datetime) -> list[PlannedMessage]:
    users = digest_recipients(org.id)
    if not users:
        return []
    about = about_org(org.id)
    addresses = [u.email.strip().lower() for u in users]
    weekly: dict[str, list[tuple[date, datetime]]] = defaultdict(list)
    for recipient, for_date, created_at in db.session.execute(
        sa.select(OutboxMessage.recipient, OutboxMessage.for_date, OutboxMessage.created_at).where(
            OutboxMessage.about == about, OutboxMessage.kind == WEEKLY, OutboxMessage.recipient.in_(addresses)
        )
    ):
        weekly[recipient].append((for_date, created_at))
    month_first = first_business_day_of_month(day)
    monthly_done = set(
        db.session.scalars(
            sa.select(OutboxMessage.recipient).where(
                OutboxMessage.about == about, OutboxMessage.kind == MONTHLY,
                OutboxMessage.for_date == month_first, OutboxMessage.recipient.in_(addresses),
            )
        )
    )
    heads: dict[int, list[str]] = defaultdict(list)
    for dept in db.session.scalars(
        sa.select(Department).where(Department.organization_id == org.id).order_by(Department.name)
    ):
        if dept.head_id is not None:
            heads[dept.head_id].append(dept.name)
    snapshot: Snapshot | None = None
    planned: list[PlannedMessage] = []
    for user, address in zip(users, addresses):
        w = weekly_digest_date(user, rules, day)
        wants_weekly = (
            w is not None and fire_date(w) <= day
            # Not "<= w": a digest for a later date (the person moved their
            # weekday back) also counts, so a week never brings two.
            and not any(f > w - timedelta(days=7) for f, _c in weekly[address])
        )
        wants_monthly = rules.monthly_summary and day >= month_first and address not in monthly_done
        if not (wants_weekly or wants_monthly):
            continue
        if snapshot is None:
            snapshot = Snapshot(org.id, day)
        if not snapshot.has_news:
            return []
        context = dict(
            thai_digits=user.thai_digits, org_name=org.name, day=day, recipient_name=user.display_name,
            why=_why(user, heads), unsubscribe_url=unsubscribe_url(user.id), progress=snapshot.progress(),
            overdue=snapshot.overdue(),
        )
        if wants_weekly:
            assert w is not None
            previous = max((c for _f, c in weekly[address]), default=None)
            since = previous if previous is not None else now - timedelta(days=7)
            lookahead_end = day + timedelta(days=rules.lookahead_days)
            email = render_email(
                "digest_weekly", **context, lookahead_days=rules.lookahead_days,
                due_soon=snapshot.due_between(day, lookahead_end),
                completed=snapshot.completed_since(since, now),
                since=since, first_digest=previous is None,
            )
            planned.append(_message(org, about, WEEKLY, w, address, user, email))
        if wants_monthly:
            this_month = day.replace(day=1)
            previous_month_end = this_month - timedelta(days=1)
            previous_month = previous_month_end.replace(day=1)
            month_end = (this_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            email = render_email(
                "digest_monthly", **context, month=this_month, previous_month=previous_month,
                due_this_month=snapshot.due_between(day, month_end),
                completed=snapshot.completed_during(previous_month, previous_month_end),
            )
            planned.append(_message(org, about, MONTHLY, month_first, address, user, email))
    return planned


def _message(
    org: Organization, about: str, kind: str, for_date: date, address: str, user: User, email: RenderedEmail
) -> PlannedMessage:
    return PlannedMessage(
        organization_id=org.id, about=about, kind=kind, for_date=for_date, recipient=address,
        recipient_name=user.display_name, user_id=user.id, subject=email.subject, body_text=email.text,
        body_html=email.html,
    )


# -- the job ------------------------------------------------------------------------------------


def plan_digests(now: datetime) -> list[PlannedMessage]:
    """What a digest pass at `now` (aware) would queue, for every organization. Reads only."""
    day = local_day(now)
    orgs = organizations_with_active_plans()
    rules = rules_by_organization(o.id for o in orgs)
    planned: list[PlannedMessage] = []
    for org in orgs:
        if sending_open(rules[org.id], now):
            planned.extend(_plan_organization(org, rules[org.id], day, now))
    return planned


def queue_digests(now: datetime) -> list[OutboxMessage]:
    """Queue the weekly digests and monthly summaries due by `now` (aware); returns the new messages.

    Idempotent like the reminders. Flushes; the caller commits.
    """
    return enqueue_planned(plan_digests(now), now)
