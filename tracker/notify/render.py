"""Emails from templates, and the messages the jobs want queued.

One email = one template pair under `templates/emails/`: `<name>.txt` and
`<name>.html`. Convention: the FIRST LINE of the rendered `.txt` is the
subject; the rest (after blank lines) is the plain-text body. The HTML
template receives the subject as `subject`.

Templates are rendered with the app's Jinja environment but without the web
context processors: what an email shows must not depend on who happens to be
logged in when a job runs. Dates (Buddhist Era) and numbers follow the
recipient's own Thai-digit preference through the `d()` and `n()` helpers.
Links are absolute, from TRACKER_BASE_URL (`tracker.links`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app

from .. import links, thaidate
from ..i18n import thai_only
from .models import OutboxMessage
from .outbox import ItemSpec, enqueue_many

if TYPE_CHECKING:
    from ..plans.models import Step


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class PlannedMessage:
    """A message a job would queue: exactly the arguments of `outbox.enqueue`."""

    organization_id: int
    about: str
    kind: str
    for_date: date
    recipient: str
    recipient_name: str
    user_id: int | None
    subject: str
    body_text: str
    body_html: str
    items: tuple[ItemSpec, ...] = field(default=())
    #: "email" or "line"; a LINE message keeps the email version above for falling back
    channel: str = "email"
    line_to: str | None = None
    #: JSON list of LINE message objects
    line_messages: str | None = None


def mail_domain() -> str:
    """The host of TRACKER_BASE_URL: the right-hand side of our Message-IDs."""
    return links.host()


def step_url(step_id: int) -> str:
    return links.external_url("plans.step", step_id=step_id)


def page_links() -> dict[str, str]:
    return {
        "home_url": links.external_url("plans.home"),
        "my_steps_url": links.external_url("plans.my_steps"),
        "profile_url": links.external_url("auth.profile"),
        "notifications_url": links.external_url("notify.preferences"),
    }


def formatters(thai_digits: bool) -> dict[str, Any]:
    """`d(day, style)` → BE date, `n(x)` → number, both in the recipient's digits."""

    def d(value: date | datetime | None, style: str = "abbr") -> str:
        return thaidate.format_date(value, style=style, thai_digits=thai_digits)

    def n(value: object) -> str:
        text = str(value)
        return thaidate.to_thai_digits(text) if thai_digits else text

    return {"d": d, "n": n, "thai_digits": thai_digits}


_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


def _tidy_text(text: str) -> str:
    """Loops in text templates leave stray blank lines: keep at most one."""
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"


@thai_only
def render_email(name: str, *, thai_digits: bool = False, **context: Any) -> RenderedEmail:
    """Render `emails/<name>.txt` and `.html` with `context` plus links and formatters."""
    env = current_app.jinja_env
    values = {**page_links(), **formatters(thai_digits), **context}
    text = env.get_template(f"emails/{name}.txt").render(values)
    first, _, body = text.lstrip().partition("\n")
    subject = " ".join(first.split())
    if not subject:
        raise ValueError(f"emails/{name}.txt rendered no subject line")
    html = env.get_template(f"emails/{name}.html").render({**values, "subject": subject})
    return RenderedEmail(subject=subject, text=_tidy_text(body), html=html.strip() + "\n")


#: LINE's limit for one text message is 5,000 characters; ours stay far below.
LINE_TEXT_LIMIT = 2000


@thai_only
def render_line(name: str, *, thai_digits: bool = False, **context: Any) -> str:
    """Render `line/messages/<name>.txt`: the short Thai text of a LINE message."""
    values = {**page_links(), **formatters(thai_digits), **context}
    text = _tidy_text(current_app.jinja_env.get_template(f"line/messages/{name}.txt").render(values)).strip()
    if len(text) > LINE_TEXT_LIMIT:
        text = text[: LINE_TEXT_LIMIT - 1] + "…"
    return text


def line_message(planned: PlannedMessage, line_to: str, text: str, flex: dict | None = None) -> PlannedMessage:
    """The LINE twin of a planned email: the same key on channel "line"."""
    import dataclasses
    import json

    message = (
        {"type": "text", "text": text} if flex is None else {"type": "flex", "altText": text[:400], "contents": flex}
    )
    return dataclasses.replace(
        planned, channel="line", line_to=line_to, line_messages=json.dumps([message], ensure_ascii=False)
    )


@dataclass(frozen=True)
class StepLine:
    """A step as an email lists it."""

    step_id: int
    #: The step's position within its measure ("ขั้นตอนที่ 2")
    order: int
    measure_number: str
    title: str
    department: str
    assignee: str
    due: date
    url: str
    #: Calendar days past the due date (0 when not late)
    days_late: int
    #: Business days after today up to and including the due date
    business_days_left: int
    due_on_holiday: bool


def step_line(step: Step, day: date) -> StepLine:
    """The step as seen on `day` (days late, business days left)."""
    due = step.due_date
    return StepLine(
        step_id=step.id,
        order=step.order,
        measure_number=step.measure.number,
        title=step.title,
        department=step.owner_department.name if step.owner_department else "",
        assignee=step.assignee.display_name if step.assignee else "",
        due=due,
        url=step_url(step.id),
        days_late=max(0, (day - due).days),
        business_days_left=thaidate.business_days_count(day + timedelta(days=1), due),
        due_on_holiday=not thaidate.is_business_day(due),
    )


def step_sort_key(step: Step) -> tuple:
    """By due date, then in plan order."""
    m = step.measure
    return (step.due_date, m.weakness.plan_id, m.weakness.order, m.order, step.order)


def enqueue_planned(planned: list[PlannedMessage], now: datetime) -> list[OutboxMessage]:
    """Queue planned messages; returns those actually created (a key already
    queued by another pass or process is skipped). Flushes; the caller commits."""
    messages = [
        dict(
            organization_id=p.organization_id,
            about=p.about,
            kind=p.kind,
            for_date=p.for_date,
            recipient=p.recipient,
            subject=p.subject,
            body_text=p.body_text,
            body_html=p.body_html,
            recipient_name=p.recipient_name,
            user_id=p.user_id,
            items=p.items,
            channel=p.channel,
            line_to=p.line_to,
            line_messages=p.line_messages,
        )
        for p in planned
    ]
    return enqueue_many(messages, domain=mail_domain(), now=now)
