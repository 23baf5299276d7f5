"""Owner reminders and escalations: what should have been queued by `now`.

The rules (issue 3 design; all days are Bangkok dates, D = the day of `now`):

* Mail is queued only on business days, from rules.send_after_minutes.
* Only open steps (not started, in progress) of active plans.
* A step due on u has triggers (reason, T): ("before:N", N business days
  before u) for each N of rules.days_before; ("due", the last business day on
  or before u); ("overdue", M) for every M > u on rules.overdue_weekday.
  A trigger fires on the first business day on or after T.
* On D a step's candidate is the trigger with the latest T that has fired by
  D (on a tie, "due" wins over "before:1"). It is given to a recipient unless
  an OutboxItem (recipient, step, reason, T, u) exists, and only while still
  relevant ("before"/"due" while D <= u; "overdue" always). So after downtime
  the latest reminder is given once and older ones it supersedes are not; a
  moved due date gives new reminders (u is in the key); done or cancelled
  steps get nothing.
* Recipients: the owner department's mailbox, its active owner users, the
  assignee if active — deduplicated by address. When the candidate is an
  overdue trigger M with (M − u) > rules.escalate_after_days days, the
  department head (if active) gets the step too, reason "escalation".
* One message per recipient per day (kind "reminder", about "org:<id>",
  for_date D) listing all their steps. A recipient whose message for D
  already exists gets nothing more today: the new items wait for the next
  business day, where they come if still relevant.

Jobs are plain functions of `now`: `plan_reminders(now)` says what a pass
would queue without writing (for --dry-run); `queue_reminders(now)` queues
it. Both need an app context; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm
from markupsafe import Markup

from .. import thaidate
from ..bulk import among
from ..clock import local_day
from ..db import db
from ..i18n import thai_only
from ..orgs.models import Organization
from ..plans.models import Plan, PlanStatus
from .channels import EMAIL, LINE, Router, event_kind_of_reason
from .models import OutboxMessage
from .outbox import ItemSpec, Queued, load_queued
from .reminder_rows import (
    KIND,
    DepartmentRow,
    Person,
    StepRow,
    _candidate_steps,
    _departments,
    _given,
    _owners_by_department,
    _people,
    _written_today,
)
from .render import (
    PlannedMessage,
    RenderedEmail,
    StepLine,
    enqueue_planned,
    line_message,
    mail_macros,
    render_line,
    step_url_builder,
)
from .rules import Rules, fire_date, latest_weekday, rules_for_jobs, sending_open
from .shapes import ShapedEmails, ShapedLines, Twin

ESCALATION = "escalation"


def about_org(organization_id: int) -> str:
    return f"org:{organization_id}"


# -- the triggers of one step --------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Trigger:
    """One reason to remind about a step, dated by the rule (not by when it is sent)."""

    date: date
    reason: str


def candidate_trigger(due: date, rules: Rules, day: date) -> Trigger | None:
    """The trigger with the latest date that has fired by `day`, relevant or not."""
    wd = rules.overdue_weekday
    if wd is not None:
        # Overdue triggers are all later than the others: the latest fired one wins.
        m = latest_weekday(day, wd)
        while m > due:
            if fire_date(m) <= day:
                return Trigger(m, "overdue")
            m -= timedelta(days=7)
    # Ranked so that on the same date "due" beats "before:1" beats "before:7".
    options: list[tuple[date, int, str]] = [
        (thaidate.add_business_days(due, -n), -n, f"before:{n}") for n in rules.days_before_list
    ]
    if rules.remind_on_due_date:
        options.append((thaidate.previous_business_day(due, include_self=True), 0, "due"))
    fired = [o for o in options if fire_date(o[0]) <= day]
    if not fired:
        return None
    when, _rank, reason = max(fired)
    return Trigger(when, reason)


def reminder_trigger(due: date, rules: Rules, day: date) -> Trigger | None:
    """The candidate if it is still relevant on `day` (see the module docstring)."""
    trigger = candidate_trigger(due, rules, day)
    if trigger is None:
        return None
    if trigger.reason != "overdue" and day > due:
        return None
    return trigger


def escalates(trigger: Trigger, due: date, rules: Rules) -> bool:
    return (
        trigger.reason == "overdue"
        and rules.escalate_after_days is not None
        and (trigger.date - due).days > rules.escalate_after_days
    )


# -- recipients ----------------------------------------------------------------------------


@dataclass
class Recipient:
    """One address and why it is written to; a user when the address is a person's."""

    address: str
    name: str
    user: Person | None = None
    why: list[str] = field(default_factory=list)
    items: list[tuple[StepRow, ItemSpec]] = field(default_factory=list)

    def add_why(self, sentence: str) -> None:
        if sentence not in self.why:
            self.why.append(sentence)


def _address(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return email or None


class _Recipients:
    """Recipients of one organization's day, merged by address."""

    def __init__(self) -> None:
        self.by_address: dict[str, Recipient] = {}

    def get(self, address: str, name: str, user: Person | None) -> Recipient:
        r = self.by_address.get(address)
        if r is None:
            r = self.by_address[address] = Recipient(address, name, user)
        elif r.user is None and user is not None:
            # A person's address that is also a mailbox: address them as the person.
            r.user, r.name = user, name
        return r


def step_recipients(
    dept: DepartmentRow, assignee: Person | None, owners: list[Person]
) -> dict[str, tuple[str, Person | None, str]]:
    """address → (name, user or None, why) for the owners' side of a step, deduplicated.

    `owners` are the active owner users of the step's department.
    """
    found: dict[str, tuple[str, Person | None, str]] = {}
    mailbox = _address(dept.email)
    if mailbox:
        found[mailbox] = (dept.name, None, f"อีเมลนี้เป็นอีเมลแจ้งเตือนของ{dept.name}")
    people = [(u, f"คุณเป็นเจ้าหน้าที่ผู้รับผิดชอบของ{dept.name}") for u in owners]
    if assignee is not None and assignee.active:
        people.append((assignee, "คุณได้รับมอบหมายให้รับผิดชอบขั้นตอนในอีเมลนี้"))
    for user, why in people:
        address = _address(user.email)
        if address and (address not in found or found[address][1] is None):
            found[address] = (user.display_name, user, why)
    return found


# -- the day of every organization -----------------------------------------------------------


def reminder_horizon(rules: Rules, day: date) -> date:
    """The latest due date whose triggers can have fired by `day` (a business day).

    A step due after add_business_days(day, N) has its N-business-days-before
    trigger after `day`, and its other triggers later still: the pass need not
    read it at all. Only open steps due by the horizon are candidates, so a
    pass reads the steps of the next two weeks and the overdue ones, not every
    open step of the country.
    """
    return thaidate.add_business_days(day, max([*rules.days_before_list, 1]))


def _rules_key(rules: Rules) -> tuple:
    return (rules.days_before, rules.remind_on_due_date, rules.overdue_weekday)


def _plan_organizations(organization_ids: list[int], rules: Mapping[int, Rules], day: date) -> Iterator[PlannedMessage]:
    """The reminders of these organizations on `day`, read in a fixed number of queries
    and rendered one by one as the caller takes them (a national Monday's bodies are
    never all in memory at once)."""
    if not organization_ids:
        return
    by_id = set(organization_ids)
    horizon = max(reminder_horizon(r, day) for r in {_rules_key(rules[i]): rules[i] for i in organization_ids}.values())
    triggers: dict[int, Trigger] = {}
    reminded: list[tuple[StepRow, int]] = []
    # Many steps share a due date and most organizations the default rules.
    memo: dict[tuple, Trigger | None] = {}
    for step, org_id in _candidate_steps(horizon):
        if org_id not in by_id:
            continue
        org_rules = rules[org_id]
        key = (step.due_date, _rules_key(org_rules))
        if key not in memo:
            memo[key] = reminder_trigger(step.due_date, org_rules, day)
        trigger = memo[key]
        if trigger is not None:
            triggers[step.id] = trigger
            reminded.append((step, org_id))
    if not reminded:
        return
    departments = _departments({s.owner_department_id for s, _o in reminded})
    owners = _owners_by_department(set(departments))
    people = _people(
        {s.assignee_id for s, _o in reminded if s.assignee_id} | {d.head_id for d in departments.values() if d.head_id}
    )
    given = _given([s.id for s, _o in reminded], min(t.date for t in triggers.values()))
    recipients: dict[int, _Recipients] = defaultdict(_Recipients)

    def give(
        org_id: int, address: str, name: str, user: Person | None, why: str, step: StepRow, reason: str, when: date
    ) -> None:
        if (address, step.id, reason, when, step.due_date) in given:
            return
        r = recipients[org_id].get(address, name, user)
        r.add_why(why)
        r.items.append((step, ItemSpec(step.id, reason, when, step.due_date)))

    # A department's steps with the same assignee have the same recipients.
    step_recipients_of: dict[tuple[int, int | None], dict[str, tuple[str, Person | None, str]]] = {}
    for step, org_id in reminded:
        org_rules = rules[org_id]
        trigger = triggers[step.id]
        dept = departments[step.owner_department_id]
        assignee = people.get(step.assignee_id) if step.assignee_id else None
        found = step_recipients_of.get(who := (dept.id, step.assignee_id))
        if found is None:
            found = step_recipients_of[who] = step_recipients(dept, assignee, owners.get(dept.id, []))
        for address, (name, user, why) in found.items():
            give(org_id, address, name, user, why, step, trigger.reason, trigger.date)
        head = people.get(dept.head_id) if dept.head_id else None
        if escalates(trigger, step.due_date, org_rules) and head is not None and head.active:
            head_address = _address(head.email)
            if head_address:
                why = f"คุณเป็นหัวหน้าของ{dept.name} ซึ่งมีขั้นตอนที่เลยกำหนดเกิน {org_rules.escalate_after_days} วัน"
                give(org_id, head_address, head.display_name, head, why, step, ESCALATION, trigger.date)
    del reminded, triggers

    already = _written_today([about_org(org_id) for org_id in recipients], day)
    orgs = organizations(list(recipients))
    router = Router(list(recipients))
    emails = _Emails(_Lines(day, departments, people))
    for org_id in sorted(recipients):
        org, about = orgs[org_id], about_org(org_id)
        by_address = recipients.pop(org_id).by_address
        for address in sorted(by_address):
            r = by_address[address]
            if (about, address) in already or not r.items:
                continue
            yield from _route(router, org, about, address, r, day, emails)
        emails.next_organization()


def _route(
    router: Router, org: OrgRow, about: str, address: str, r: Recipient, day: date, emails: _Emails
) -> list[PlannedMessage]:
    """One recipient's reminder of the day on each channel they chose, per event kind:
    each channel's message lists only the steps whose kind goes by that channel."""
    user_id = r.user.id if r.user else None
    # A handful of event kinds: the router is asked once per kind, not per step.
    routes: dict[str, tuple[str, ...]] = {}
    for _step, item in r.items:
        kind = event_kind_of_reason(item.reason)
        if kind not in routes:
            routes[kind] = router.channels(org.id, user_id, kind)
    by_channel: dict[str, list[tuple[StepRow, ItemSpec]]] = {}
    if len(set(routes.values())) == 1:  # the usual case: every step by the same channels
        by_channel = dict.fromkeys(next(iter(routes.values())), r.items)
    else:
        for step, item in r.items:
            for channel in routes[event_kind_of_reason(item.reason)]:
                by_channel.setdefault(channel, []).append((step, item))
    planned = []
    # Email first: an item carried by both is recorded with the email.
    for channel in sorted(by_channel, key=EMAIL.__ne__):
        part = r if by_channel[channel] is r.items else replace(r, items=by_channel[channel])
        email = emails.render(org, part, day)
        message = PlannedMessage(
            organization_id=org.id,
            about=about,
            kind=KIND,
            for_date=day,
            recipient=address,
            recipient_name=r.name,
            user_id=user_id,
            subject=email.subject,
            body_text=email.text,
            body_html=email.html,
            items=tuple(item for _s, item in part.items),
        )
        if channel == LINE:
            line_to = router.line_to(org.id, user_id)
            assert line_to is not None
            message = line_message(message, line_to, render_line_reminder(org, part, day, emails.lines))
        planned.append(message)
    return planned


# -- the email --------------------------------------------------------------------------------


class _Lines:
    """StepLines of one pass, each made once (a step is in the emails of all its recipients)."""

    def __init__(self, day: date, departments: dict[int, DepartmentRow], people: dict[int, Person]) -> None:
        self.day, self.departments, self.people = day, departments, people
        self.step_url = step_url_builder()
        self._made: dict[int, StepLine] = {}
        self._by_due: dict[date, tuple[int, bool]] = {}

    def clear(self) -> None:
        self._made.clear()

    def __call__(self, step: StepRow) -> StepLine:
        line = self._made.get(step.id)
        if line is None:
            assignee = self.people.get(step.assignee_id) if step.assignee_id else None
            due, day = step.due_date, self.day
            by_due = self._by_due.get(due)
            if by_due is None:  # many steps share a due date
                by_due = self._by_due[due] = (
                    thaidate.business_days_count(day + timedelta(days=1), due),
                    not thaidate.is_business_day(due),
                )
            line = self._made[step.id] = StepLine(
                step_id=step.id,
                order=step.order,
                measure_number=step.measure_number,
                title=step.title,
                department=self.departments[step.owner_department_id].name,
                assignee=assignee.display_name if assignee else "",
                due=due,
                url=self.step_url(step.id),
                days_late=max(0, (day - due).days),
                business_days_left=by_due[0],
                due_on_holiday=by_due[1],
            )
        return line


_SECTIONS = ("overdue", "due", "before", ESCALATION)


def _section_rows(r: Recipient) -> tuple[dict[str, list[StepRow]], int]:
    """The recipient's steps by section (overdue, due, before, escalation), each in email
    order, and their number."""
    sections: dict[str, list[StepRow]] = {k: [] for k in _SECTIONS}
    own: set[int] = set()
    for step, item in r.items:
        section = item.reason.split(":")[0]
        if section != ESCALATION:
            own.add(step.id)
        sections[section].append(step)
    # A head who is also an owner of the step sees it once, with the owners' reminder.
    sections[ESCALATION] = [s for s in sections[ESCALATION] if s.id not in own]
    for rows in sections.values():
        rows.sort(key=_email_order)
    return sections, len({step.id for step, _item in r.items})


def _email_order(step: StepRow) -> tuple:
    return (step.due_date, *step.plan_order)


def _sections(r: Recipient, lines: _Lines) -> tuple[dict[str, list[StepLine]], int]:
    """The recipient's steps by section as StepLines, and their number."""
    sections, count = _section_rows(r)
    return {k: [lines(s) for s in v] for k, v in sections.items()}, count


def _render_step(line: StepLine, thai_digits: bool, section: str, day: date) -> tuple[str, Markup]:
    """A step's line in a reminder, text and HTML (`emails/_macros.*` reminder_step)."""
    macros = mail_macros(thai_digits)
    return macros["txt"].reminder_step(line, section, day), macros["html"].reminder_step(line, section, day)


class _Emails:
    """The reminder emails of one pass: each step's line rendered once per section and
    digits (a step is in the emails of all its recipients, who are all of its
    organization) and by shape, the emails by shape (`shapes`)."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.shaped = ShapedEmails("reminder")
        self.shaped_lines = ShapedLines(_render_step)
        self.fragments: dict[tuple[bool, str, int], tuple[str, Markup]] = {}

    def next_organization(self) -> None:
        """Forget the lines of the organization done: no later email lists its steps."""
        self.fragments.clear()
        self.lines.clear()

    def fragment(self, thai_digits: bool, section: str, step: StepRow) -> tuple[str, Markup]:
        key = (thai_digits, section, step.id)
        made = self.fragments.get(key)
        if made is None:
            made = self.fragments[key] = self.shaped_lines(self.lines(step), thai_digits, section, self.lines.day)
        return made

    def render(self, org: OrgRow, r: Recipient, day: date) -> RenderedEmail:
        """One recipient's reminder of the day: overdue, due today, coming up, escalated."""
        thai_digits = bool(r.user and r.user.thai_digits)
        sections, count = _section_rows(r)
        text: dict[str, list[str]] = {}
        html: dict[str, list[Markup]] = {}
        for section, rows in sections.items():
            made = [self.fragment(thai_digits, section, step) for step in rows]
            text[section] = [t for t, _h in made]
            html[section] = [h for _t, h in made]
        context = dict(org_name=org.name, day=day, recipient_name=r.name, count=count, why=r.why)
        return self.shaped.render(
            thai_digits=thai_digits,
            **context,
            overdue=Twin(text["overdue"], html["overdue"]),
            due_today=Twin(text["due"], html["due"]),
            upcoming=Twin(text["before"], html["before"]),
            escalated=Twin(text[ESCALATION], html[ESCALATION]),
        )


def render_line_reminder(org: OrgRow, r: Recipient, day: date, lines: _Lines) -> str:
    """The same reminder as a short LINE text: each step, its due date (BE) and its link."""
    sections, count = _sections(r, lines)
    return render_line(
        "reminder",
        thai_digits=bool(r.user and r.user.thai_digits),
        org_name=org.name,
        day=day,
        count=count,
        overdue=sections["overdue"],
        due_today=sections["due"],
        upcoming=sections["before"],
        escalated=sections[ESCALATION],
    )


# -- the job ----------------------------------------------------------------------------------


def organizations_with_active_plans() -> list[int]:
    """Ids of the organizations with an active plan, in order."""
    return list(
        db.session.scalars(
            sa.select(Plan.organization_id)
            .where(Plan.status == PlanStatus.active)
            .distinct()
            .order_by(Plan.organization_id)
        )
    )


@dataclass(frozen=True, slots=True)
class OrgRow:
    """An organization as a pass's emails name it."""

    id: int
    name: str


def organizations(ids: list[int]) -> dict[int, OrgRow]:
    """The organizations with these ids: a pass reads only those it writes to."""
    rows = db.session.execute(sa.select(Organization.id, Organization.name).where(among(Organization.id, sorted(ids))))
    return {i: OrgRow(i, name) for i, name in rows}


def sending_now(organization_ids: list[int], rules: Mapping[int, Rules], now: datetime) -> list[int]:
    """The organizations whose sending window is open at `now` (rules shared by many are asked once)."""
    memo: dict[int, bool] = {}
    open_ids = []
    for i in organization_ids:
        r = rules[i]
        if id(r) not in memo:
            memo[id(r)] = sending_open(r, now)
        if memo[id(r)]:
            open_ids.append(i)
    return open_ids


def iter_reminders(now: datetime) -> Iterator[PlannedMessage]:
    """What a reminder pass at `now` (aware) would queue, rendered as it is taken. Reads only."""
    rules = rules_for_jobs()
    return _plan_organizations(sending_now(organizations_with_active_plans(), rules, now), rules, local_day(now))


def plan_reminders(now: datetime) -> list[PlannedMessage]:
    """What a reminder pass at `now` (aware) would queue, for every organization. Reads only."""
    return list(iter_reminders(now))


@thai_only
def queue_reminder_batches(now: datetime) -> list[Queued]:
    """Queue the reminders and escalations due by `now` (aware), rendered and inserted in
    batches; returns what was created as plain records (id, kind, date, recipient, subject).

    What the scheduler and `tracker remind` run: memory stays bounded by a batch,
    and nothing is read back. Idempotent: a second pass at the same or a later
    time of the same day creates nothing already given. Flushes; the caller commits.
    """
    return enqueue_planned(iter_reminders(now), now)


@thai_only
def queue_reminders(now: datetime) -> list[OutboxMessage]:
    """`queue_reminder_batches`, returning the new messages as rows (bodies loaded on access)."""
    return load_queued(queue_reminder_batches(now))
