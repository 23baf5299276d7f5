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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import thaidate
from ..auth.models import Role, User
from ..clock import local_day
from ..db import db
from ..i18n import _, thai_only
from ..orgs.models import Department
from ..plans.models import Measure, Plan, PlanStatus, Step, StepStatus, Weakness
from ..plans.progress import Progress
from .channels import DIGEST, EMAIL, Router
from .models import OutboxMessage
from .outbox import Queued, load_queued
from .reminders import OrgRow, about_org, organizations, organizations_with_active_plans, sending_now
from .render import (
    PlannedMessage,
    RenderedEmail,
    StepLine,
    enqueue_planned,
    formatters,
    line_message,
    page_links,
    render_email,
    render_line,
    step_line,
    step_sort_key,
)
from .rules import (
    Rules,
    fire_date,
    first_business_day_of_month,
    latest_weekday,
    rules_for_jobs,
)
from .tokens import unsubscribe_url

#: Organizations whose plans (as ORM objects, with their steps) are held at once by a pass:
#: 100 keep a national Monday's digest pass ~50 MB smaller at its peak than 500 did, for
#: six more statements per 500 organizations.
PLANS_CHUNK = 100

WEEKLY = "digest_weekly"
MONTHLY = "digest_monthly"


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
        return Progress(self.done, self.total).percent


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
        return Progress(self.done, self.total).percent


@dataclass(frozen=True)
class DoneLine:
    line: StepLine
    completed_on: date


def active_plans(organization_ids: list[int]) -> dict[int, list[Plan]]:
    """The active plans of these organizations with everything a digest shows, by
    organization, oldest fiscal year first (a fixed number of queries per 500 organizations)."""
    plans: dict[int, list[Plan]] = defaultdict(list)
    for chunk in _chunks(sorted(organization_ids), 500):
        for plan in db.session.scalars(
            sa.select(Plan)
            .where(Plan.organization_id.in_(chunk), Plan.status == PlanStatus.active)
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
            .order_by(Plan.organization_id, Plan.fiscal_year)
        ):
            plans[plan.organization_id].append(plan)
    return plans


class Snapshot:
    """An organization's active plans on a day: progress, overdue, due soon, completions."""

    def __init__(self, organization_id: int, day: date, plans: list[Plan] | None = None):
        self.day = day
        if plans is None:
            plans = active_plans([organization_id]).get(organization_id, [])
        self.plans: list[Plan] = plans
        self.steps: list[Step] = [s for p in self.plans for s in p.steps]

    @property
    def has_news(self) -> bool:
        """Something to say: an active plan with steps."""
        return bool(self.steps)

    def progress(self) -> list[PlanRow]:
        rows = []
        for plan in self.plans:
            measures = []
            for m in plan.measures:
                progress = Progress.of(s.status for s in m.steps)
                measures.append(MeasureRow(m.number, m.title, m.owner_department.name, progress.done, progress.total))
            rows.append(PlanRow(plan.title, plan.fiscal_year, measures))
        return rows

    def _lines(self, steps) -> list[StepLine]:
        return [step_line(s, self.day) for s in sorted(steps, key=step_sort_key)]

    def overdue(self) -> list[StepLine]:
        return self._lines(s for s in self.steps if s.is_overdue(self.day))

    def due_between(self, first: date, last: date) -> list[StepLine]:
        return self._lines(s for s in self.steps if s.is_open and first <= s.due_date <= last)

    def _done(self, keep) -> list[DoneLine]:
        done = [
            (at, s)
            for s in self.steps
            if s.status is StepStatus.done and (at := s.completed_at) is not None and keep(s)
        ]
        done.sort(key=lambda pair: (pair[0], step_sort_key(pair[1])))
        return [DoneLine(step_line(s, self.day), at.astimezone(thaidate.BANGKOK).date()) for at, s in done]

    def completed_since(self, after: datetime, until: datetime) -> list[DoneLine]:
        """Steps completed after `after` (exclusive) up to `until`."""
        return self._done(lambda s: after < s.completed_at <= until)

    def completed_during(self, first: date, last: date) -> list[DoneLine]:
        """Steps completed on Bangkok days first..last."""
        return self._done(lambda s: first <= s.completed_at.astimezone(thaidate.BANGKOK).date() <= last)


# -- recipients -------------------------------------------------------------------------------


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _recipients_where() -> list[sa.ColumnElement[bool]]:
    heads_here = sa.exists().where(Department.head_id == User.id, Department.organization_id == User.organization_id)
    return [User.active.is_(True), User.digest_enabled.is_(True), sa.or_(User.role == Role.manager, heads_here)]


def all_digest_recipients() -> dict[int, list[User]]:
    """Active managers and department heads with digests on, each once, by id; by organization (one query)."""
    found: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(sa.select(User).where(*_recipients_where()).order_by(User.id)):
        found[user.organization_id].append(user)
    return found


def _why(user: User, heads: dict[int, list[str]]) -> list[str]:
    why = []
    if user.role is Role.manager:
        why.append(_("คุณได้รับสรุปนี้ในฐานะผู้บริหาร"))
    if heads.get(user.id):
        why.append(
            _("คุณได้รับสรุปนี้ในฐานะหัวหน้าของ%(และ_join_heads_user_id)s", และ_join_heads_user_id=" และ".join(heads[user.id]))
        )
    return why


def weekly_digest_date(user: User, rules: Rules, day: date) -> date | None:
    """W: the latest date <= day on the user's digest weekday, or None (no weekly digest)."""
    weekday = user.digest_weekday if user.digest_weekday is not None else rules.digest_weekday
    if weekday is None:
        return None
    return latest_weekday(day, weekday)


# -- one organization -------------------------------------------------------------------------


@dataclass
class _History:
    """What was already sent to the recipients of these organizations (a few queries per 500)."""

    #: (about, recipient) → (latest for_date, latest created_at) of its weekly digests
    weekly: dict[tuple[str, str], tuple[date, datetime]]
    #: (about, recipient) of this month's summaries
    monthly: set[tuple[str, str]]
    #: organization → head user id → names of the departments the user heads
    heads: dict[int, dict[int, list[str]]]

    @classmethod
    def load(cls, organization_ids: list[int], month_first: date) -> _History:
        weekly: dict[tuple[str, str], tuple[date, datetime]] = {}
        monthly: set[tuple[str, str]] = set()
        heads: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for chunk in _chunks(sorted(organization_ids), 500):
            abouts = [about_org(i) for i in chunk]
            for about, recipient, for_date, created_at in db.session.execute(
                sa.select(
                    OutboxMessage.about,
                    OutboxMessage.recipient,
                    sa.func.max(OutboxMessage.for_date),
                    sa.func.max(OutboxMessage.created_at),
                )
                .where(OutboxMessage.about.in_(abouts), OutboxMessage.kind == WEEKLY)
                .group_by(OutboxMessage.about, OutboxMessage.recipient)
            ):
                weekly[(about, recipient)] = (for_date, created_at)
            monthly.update(
                (about, recipient)
                for about, recipient in db.session.execute(
                    sa.select(OutboxMessage.about, OutboxMessage.recipient).where(
                        OutboxMessage.about.in_(abouts),
                        OutboxMessage.kind == MONTHLY,
                        OutboxMessage.for_date == month_first,
                    )
                )
            )
            for dept in db.session.scalars(
                sa.select(Department)
                .where(Department.organization_id.in_(chunk), Department.head_id.is_not(None))
                .order_by(Department.name)
            ):
                heads[dept.organization_id][dept.head_id].append(dept.name)  # type: ignore[index]
        return cls(weekly, monthly, heads)


def _plan_organizations(
    organization_ids: list[int], rules: Mapping[int, Rules], day: date, now: datetime
) -> Iterator[PlannedMessage]:
    """The digests of these organizations on `day`, read in a fixed number of queries per 500
    organizations; only organizations with a digest to write have their plans loaded.
    Rendered one by one as the caller takes them."""
    everyone = all_digest_recipients()
    users_by_org = {i: everyone[i] for i in organization_ids if everyone.get(i)}
    if not users_by_org:
        return
    month_first = first_business_day_of_month(day)
    history = _History.load(list(users_by_org), month_first)
    wanted: dict[int, list[tuple[User, str, date | None, bool, bool]]] = {}
    for org_id, users in users_by_org.items():
        about = about_org(org_id)
        for user in users:
            address = user.email.strip().lower()
            w = weekly_digest_date(user, rules[org_id], day)
            last = history.weekly.get((about, address))
            wants_weekly = (
                w is not None
                and fire_date(w) <= day
                # Not "<= w": a digest for a later date (the person moved their
                # weekday back) also counts, so a week never brings two.
                and not (last is not None and last[0] > w - timedelta(days=7))
            )
            wants_monthly = (
                rules[org_id].monthly_summary and day >= month_first and (about, address) not in history.monthly
            )
            if wants_weekly or wants_monthly:
                wanted.setdefault(org_id, []).append((user, address, w, wants_weekly, wants_monthly))
    if not wanted:
        return
    orgs = organizations(list(wanted))
    router = Router(list(wanted))
    ids = sorted(wanted)
    # Plans are loaded PLANS_CHUNK organizations at a time and let go after their digests:
    # a national Monday never holds every organization's plans at once.
    for start in range(0, len(ids), PLANS_CHUNK):
        chunk = ids[start : start + PLANS_CHUNK]
        plans = active_plans(chunk)
        for org_id in chunk:
            org = orgs[org_id]
            snapshot = Snapshot(org.id, day, plans.get(org.id, []))
            if not snapshot.has_news:
                continue
            about, org_rules = about_org(org.id), rules[org.id]
            for user, address, w, wants_weekly, wants_monthly in wanted[org.id]:
                context: dict[str, Any] = dict(
                    thai_digits=user.thai_digits,
                    org_name=org.name,
                    day=day,
                    recipient_name=user.display_name,
                    why=_why(user, history.heads.get(org.id, {})),
                    unsubscribe_url=unsubscribe_url(user.id),
                    progress=snapshot.progress(),
                    overdue=snapshot.overdue(),
                )
                if wants_weekly:
                    assert w is not None
                    last = history.weekly.get((about, address))
                    previous = last[1] if last is not None else None
                    since = previous if previous is not None else now - timedelta(days=7)
                    lookahead_end = day + timedelta(days=org_rules.lookahead_days)
                    email = render_email(
                        "digest_weekly",
                        **context,
                        lookahead_days=org_rules.lookahead_days,
                        due_soon=snapshot.due_between(day, lookahead_end),
                        completed=snapshot.completed_since(since, now),
                        since=since,
                        first_digest=previous is None,
                    )
                    yield from _messages(
                        router,
                        org,
                        about,
                        WEEKLY,
                        w,
                        address,
                        user,
                        email,
                        dict(context, title="สรุปงาน ITA ประจำสัปดาห์", upcoming=snapshot.due_between(day, lookahead_end)),
                    )
                if wants_monthly:
                    this_month = day.replace(day=1)
                    previous_month_end = this_month - timedelta(days=1)
                    previous_month = previous_month_end.replace(day=1)
                    month_end = (this_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
                    email = render_email(
                        "digest_monthly",
                        **context,
                        month=this_month,
                        previous_month=previous_month,
                        due_this_month=snapshot.due_between(day, month_end),
                        completed=snapshot.completed_during(previous_month, previous_month_end),
                    )
                    yield from _messages(
                        router,
                        org,
                        about,
                        MONTHLY,
                        month_first,
                        address,
                        user,
                        email,
                        dict(context, title="สรุปงาน ITA ประจำเดือน", upcoming=snapshot.due_between(day, month_end)),
                    )


def _messages(
    router: Router,
    org: OrgRow,
    about: str,
    kind: str,
    for_date: date,
    address: str,
    user: User,
    email: RenderedEmail,
    line_context: dict,
) -> list[PlannedMessage]:
    """The digest on each channel the person chose for digests (email first)."""
    message = PlannedMessage(
        organization_id=org.id,
        about=about,
        kind=kind,
        for_date=for_date,
        recipient=address,
        recipient_name=user.display_name,
        user_id=user.id,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
    )
    planned = []
    for channel in router.channels(org.id, user.id, DIGEST.key):
        if channel == EMAIL:
            planned.append(message)
            continue
        line_to = router.line_to(org.id, user.id)
        assert line_to is not None
        text = render_line("digest", **line_context)
        planned.append(line_message(message, line_to, text, digest_flex(line_context)))
    return planned


def digest_flex(context: dict) -> dict:
    """A flex bubble for the digest: title, progress per plan, overdue count, a button."""
    d = formatters(context.get("thai_digits", False))
    n = d["n"]
    rows: list[dict] = [
        {"type": "text", "text": f"{p.title}: {n(p.done)}/{n(p.total)} ({n(p.percent)}%)", "wrap": True, "size": "sm"}
        for p in context["progress"]
    ]
    rows.append(
        {
            "type": "text",
            "text": f"เลยกำหนด {n(len(context['overdue']))} รายการ · "
            f"ครบกำหนดเร็ว ๆ นี้ {n(len(context['upcoming']))} รายการ",
            "wrap": True,
            "size": "sm",
            "color": "#B42318" if context["overdue"] else "#344054",
        }
    )
    return {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {"type": "text", "text": context["title"], "weight": "bold", "wrap": True},
                {
                    "type": "text",
                    "text": f"{context['org_name']} · {d['d'](context['day'])}",
                    "size": "xs",
                    "color": "#667085",
                    "wrap": True,
                },
            ],
        },
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "action": {"type": "uri", "label": "เปิดภาพรวม", "uri": page_links()["home_url"]},
                }
            ],
        },
    }


# -- the job ------------------------------------------------------------------------------------


def iter_digests(now: datetime) -> Iterator[PlannedMessage]:
    """What a digest pass at `now` (aware) would queue, rendered as it is taken. Reads only."""
    rules = rules_for_jobs()
    return _plan_organizations(sending_now(organizations_with_active_plans(), rules, now), rules, local_day(now), now)


def plan_digests(now: datetime) -> list[PlannedMessage]:
    """What a digest pass at `now` (aware) would queue, for every organization. Reads only."""
    return list(iter_digests(now))


@thai_only
def queue_digest_batches(now: datetime) -> list[Queued]:
    """Queue the weekly digests and monthly summaries due by `now` (aware), rendered and
    inserted in batches; returns plain records of what was created. Idempotent like the
    reminders. Flushes; the caller commits."""
    return enqueue_planned(iter_digests(now), now)


@thai_only
def queue_digests(now: datetime) -> list[OutboxMessage]:
    """`queue_digest_batches`, returning the new messages as rows (bodies loaded on access)."""
    return load_queued(queue_digest_batches(now))
