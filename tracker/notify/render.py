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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from jinja2 import Environment

from .. import links, thaidate
from ..bulk import collector_paused
from ..i18n import thai_only
from .outbox import ItemSpec, Queued, enqueue_stream

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


def step_url_builder() -> Callable[[int], str]:
    """`step_url` for many steps: the URL map bound to TRACKER_BASE_URL once, and the
    address built once around a probe number that each step's id then replaces."""
    adapter = links.bound_adapter()
    probe = "9876543210"
    head, found, tail = adapter.build("plans.step", {"step_id": int(probe)}, force_external=True).partition(probe)
    if found and probe not in tail:
        return lambda step_id: f"{head}{int(step_id)}{tail}"
    return lambda step_id: adapter.build("plans.step", {"step_id": step_id}, force_external=True)


def page_links() -> dict[str, str]:
    """The pages every email links to, under TRACKER_BASE_URL (built once per base URL)."""
    made = current_app.extensions.setdefault("tracker.email_page_links", {})
    base = links.base_url()
    if base not in made:
        adapter = links.bound_adapter(base)
        made[base] = {
            name: adapter.build(endpoint, {}, force_external=True)
            for name, endpoint in (
                ("home_url", "plans.home"),
                ("my_steps_url", "plans.my_steps"),
                ("profile_url", "auth.profile"),
                ("notifications_url", "notify.preferences"),
            )
        }
    return dict(made[base])


def _format_date(thai_digits: bool):
    def d(value: date | datetime | None, style: str = "abbr") -> str:
        return thaidate.format_date(value, style=style, thai_digits=thai_digits)

    return d


def _format_number(thai_digits: bool):
    def n(value: object) -> str:
        text = str(value)
        return thaidate.to_thai_digits(text) if thai_digits else text

    return n


#: The two sets of formatters, made once: Arabic digits and Thai digits.
_FORMATTERS = {
    flag: {"d": _format_date(flag), "n": _format_number(flag), "thai_digits": flag} for flag in (False, True)
}


def formatters(thai_digits: bool) -> dict[str, Any]:
    """`d(day, style)` → BE date, `n(x)` → number, both in the recipient's digits."""
    return _FORMATTERS[bool(thai_digits)]


def email_env(thai_digits: bool) -> Environment:
    """The app's Jinja environment with the recipient's formatters as globals.

    One overlay per digit preference, made once per app: the shared macros
    (`emails/_macros.*`) are imported without context, so Jinja compiles and
    runs each macro module once per environment instead of once per email; the
    macros see `d` and `n` as globals and get everything else as arguments.
    """
    envs = current_app.extensions.setdefault("tracker.email_envs", {})
    key = bool(thai_digits)
    env = envs.get(key)
    if env is None or env.linked_to is not current_app.jinja_env:
        env = current_app.jinja_env.overlay()
        env.globals = {**current_app.jinja_env.globals, **formatters(key)}
        # The macro modules, run once: the templates take them as `mail_macros`
        # (an `{% import %}` would check the importing context's globals every time).
        env.globals["mail_macros"] = {
            kind: env.get_template(f"emails/_macros.{kind}").module for kind in ("html", "txt")
        }
        envs[key] = env
    return env


def mail_macros(thai_digits: bool) -> dict[str, Any]:
    """The shared macro modules (`emails/_macros.txt`/`.html`) of `email_env(thai_digits)`, by kind."""
    macros = email_env(thai_digits).globals["mail_macros"]
    assert isinstance(macros, dict)
    return macros


_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


def tidy_text(text: str) -> str:
    """Loops in text templates leave stray blank lines: keep at most one."""
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"


def split_subject(text: str, name: str) -> tuple[str, str]:
    """A rendered `.txt`: its first line as the subject (spaces collapsed), and the rest."""
    first, _, body = text.lstrip().partition("\n")
    subject = " ".join(first.split())
    if not subject:
        raise ValueError(f"emails/{name}.txt rendered no subject line")
    return subject, body


@thai_only
def render_email(name: str, *, thai_digits: bool = False, **context: Any) -> RenderedEmail:
    """Render `emails/<name>.txt` and `.html` with `context` plus links and formatters."""
    env = email_env(thai_digits)
    values = {**page_links(), **formatters(thai_digits), **context}
    subject, body = split_subject(env.get_template(f"emails/{name}.txt").render(values), name)
    html = env.get_template(f"emails/{name}.html").render({**values, "subject": subject})
    return RenderedEmail(subject=subject, text=tidy_text(body), html=html.strip() + "\n")


#: LINE's limit for one text message is 5,000 characters; ours stay far below.
LINE_TEXT_LIMIT = 2000


@thai_only
def render_line(name: str, *, thai_digits: bool = False, **context: Any) -> str:
    """Render `line/messages/<name>.txt`: the short Thai text of a LINE message."""
    values = {**page_links(), **formatters(thai_digits), **context}
    text = tidy_text(email_env(thai_digits).get_template(f"line/messages/{name}.txt").render(values)).strip()
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


def enqueue_planned(planned: Iterable[PlannedMessage], now: datetime) -> list[Queued]:
    """Queue planned messages as they come (in batches); returns those actually created (a key
    already queued by another pass or process is skipped). Flushes; the caller commits."""
    messages = (
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
    )
    with collector_paused():  # thousands of messages rendered and inserted: see bulk.collector_paused
        return enqueue_stream(messages, domain=mail_domain(), now=now)
