"""A reminder pass renders by shape (tracker/notify/shapes.py): Jinja runs once per shape
of an email or of a step's line, not once per email, and what it writes is byte for byte
what rendering each email with Jinja writes.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import jinja2
import pytest
from markupsafe import Markup

from tests.conftest import make_user
from tests.test_notify_scale import add_organization
from tracker.auth.models import Role
from tracker.db import db
from tracker.i18n import in_thai
from tracker.notify import reminders
from tracker.notify.render import StepLine, email_env, formatters, page_links, split_subject, tidy_text
from tracker.notify.shapes import ShapedEmails, ShapedLines, Twin
from tracker.orgs.models import Department
from tracker.thaidate import BANGKOK

MONDAY = datetime(2023, 4, 3, 8, 30, tzinfo=BANGKOK)
DAY = MONDAY.date()

#: Texts a template must write as they are: markup characters, Thai, spaces at the ends
NAMES = ("กองช่าง & <สำนักปลัด>", 'นาย "ก" ใจดี', "  ช่องว่าง  ", "a'b")


def line(step_id: int, *, title: str, department: str, assignee: str, due: date, days_late: int = 0) -> StepLine:
    return StepLine(
        step_id=step_id,
        order=step_id % 4 + 1,
        measure_number=f"{step_id % 3 + 1}.{step_id % 2 + 1}",
        title=title,
        department=department,
        assignee=assignee,
        due=due,
        url=f"https://ita.example/steps/{step_id}?a=1&b=<2>",
        days_late=days_late,
        business_days_left=step_id % 9,
        due_on_holiday=step_id % 2 == 0,
    )


LINES = [
    line(
        i, title=NAMES[i % 4] + f" {i}", department=NAMES[(i + 1) % 4], assignee=["", *NAMES][i % 5], due=d, days_late=n
    )
    for i, (d, n) in enumerate(((date(2023, 3, 20), 14), (DAY, 0), (date(2023, 4, 12), 0), (date(2023, 1, 9), 84)) * 3)
]


def test_the_shape_fields_of_a_step_line_are_all_of_them():
    fields = {f.name for f in dataclasses.fields(StepLine)}
    assert fields == {"step_id", *ShapedLines.TEXTS, *ShapedLines.SHAPE}


def by_jinja(step: StepLine, thai_digits: bool, section: str) -> tuple[str, Markup]:
    macros = email_env(thai_digits).globals["mail_macros"]
    return macros["txt"].reminder_step(step, section, DAY), macros["html"].reminder_step(step, section, DAY)


@pytest.mark.parametrize("thai_digits", [False, True])
def test_a_step_line_by_shape_is_what_jinja_writes(app, ctx, thai_digits):
    shaped = ShapedLines(by_jinja)
    for section in ("overdue", "due", "before", "escalation"):
        for step in LINES:
            assert shaped(step, thai_digits, section) == by_jinja(step, thai_digits, section)
    # Lines that differ only in their texts (and ids) share a shape: Jinja does not run again.
    rendered = shaped.rendered
    for section in ("overdue", "due", "before", "escalation"):
        for step in LINES:
            other = dataclasses.replace(
                step,
                step_id=step.step_id + 1000,
                title=step.title + " อีก",
                url=step.url + "9",
                assignee=step.assignee * 2,
            )
            assert shaped(other, thai_digits, section) == by_jinja(other, thai_digits, section)
    assert shaped.rendered == rendered


def reminder_by_jinja(thai_digits: bool, **context):
    """emails/reminder.* rendered by Jinja, each part with its own side of the Twins."""
    env = email_env(thai_digits)
    side = {
        kind: {k: (getattr(v, kind) if isinstance(v, Twin) else v) for k, v in context.items()}
        for kind in ("text", "html")
    }
    values = {**page_links(), **formatters(thai_digits)}
    with in_thai():
        subject, body = split_subject(env.get_template("emails/reminder.txt").render({**values, **side["text"]}), "r")
        html = env.get_template("emails/reminder.html").render({**values, **side["html"], "subject": subject})
    return subject, tidy_text(body), html.strip() + "\n"


@pytest.mark.parametrize("thai_digits", [False, True])
def test_a_reminder_by_shape_is_what_jinja_writes(app, ctx, thai_digits):
    shaped = ShapedEmails("reminder")
    sections = ("overdue", "due", "before", "escalation")
    for n in range(12):
        twins = {}
        for i, (name, section) in enumerate(zip(("overdue", "due_today", "upcoming", "escalated"), sections)):
            chosen = [s for s in LINES if (s.step_id + i) % (n % 4 + 2) == 0][: (n + i) % 4]
            made = [by_jinja(s, thai_digits, section) for s in chosen]
            twins[name] = Twin([t for t, _h in made], [h for _t, h in made])
        context = dict(
            org_name=NAMES[n % 4],
            day=DAY,
            recipient_name=NAMES[(n + 1) % 4] if n != 5 else "",
            count=n + 1,
            why=[NAMES[j % 4] for j in range(n % 3)],
            **twins,
        )
        email = shaped.render(thai_digits=thai_digits, **context)
        assert (email.subject, email.text, email.html) == reminder_by_jinja(thai_digits, **context)


def test_a_template_that_transforms_a_text_is_refused(app, ctx):
    from tracker.notify.shapes import _parts

    with pytest.raises(ValueError):
        _parts("ab \x1a๑\x1a cd")  # n() turned the marker's digits into Thai digits
    template = _parts("ab {x} \x1a1\x1a cd \x1a0\x1a}")
    assert template.format("zero", "{one}") == "ab {x} {one} cd zero}"  # literal braces stay literal


def test_a_pass_runs_jinja_per_shape_not_per_email_or_recipient(app, ctx, monkeypatch):
    """Five recipients share an organization's two steps (a department mailbox and four
    owners): each step's line is rendered once, and one shape serves every email."""
    org = add_organization(1)
    dept = db.session.query(Department).filter_by(organization_id=org.id).one()
    for n in range(3):
        make_user(org, f"owner{n}@org1.go.th", Role.owner, dept)
    db.session.commit()
    step_calls: list[tuple] = []
    render = reminders._render_step

    def counted(step, *args):
        step_calls.append((step.step_id, *args))
        return render(step, *args)

    monkeypatch.setattr(reminders, "_render_step", counted)
    template_renders = []
    original = jinja2.Template.render

    def counted_render(self, *args, **kwargs):
        template_renders.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", counted_render)
    messages = reminders.plan_reminders(MONDAY)

    assert len(messages) == 5
    assert all([i.reason for i in m.items] == ["overdue", "before:7"] for m in messages)
    # Two steps in two sections: two line shapes, each rendered once for all five emails.
    assert len(step_calls) == 2
    # The mailbox's email and the owners' differ only in their texts: one shape, two templates.
    assert sorted(template_renders) == ["emails/reminder.html", "emails/reminder.txt"]
    assert len({m.body_html for m in messages}) == 5
