"""Many emails, or many lines of emails, rendered once per *shape* instead of once each.

A national pass writes thousands of emails from one template pair, and a step's
line into every email of its recipients. What changes between two of them is
mostly text (a name, a title, an address): the templates write it as it is. So
the templates are rendered once per shape, with a marker where each text goes,
and every email or line of that shape is the shape's literal parts with its own
texts put in — escaped in the HTML unless Markup — byte for byte what Jinja would
have written. What the templates compute from (dates, numbers in the recipient's
digits, whether a list or a text is empty, list lengths) is part of the shape.

This holds for templates that write a text argument as it is (`{{ name }}`,
`{% for x in texts %}{{ x }}`, a text joined with `~`), as the email templates
do; a template that transforms a marker (a filter, `n()`) makes the shape raise.
`tests/test_reminders_shapes.py` renders reminders both ways and compares.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from ..i18n import thai_only
from .render import RenderedEmail, StepLine, email_env, formatters, page_links, split_subject, tidy_text

#: Marks a slot where a shape's rendering holds a value: a control character no template,
#: formatter or escape writes, around the slot's number in ASCII digits.
_MARK = "\x1a"
_SLOT = re.compile("\x1a([0-9]+)\x1a")


def _parts(rendered: str) -> str:
    """A shape's rendering as a `str.format` template: its literal text, and `{n}` where slot n goes."""
    pieces = _SLOT.split(rendered)
    template = []
    for i, piece in enumerate(pieces):
        if i % 2:
            template.append("{" + piece + "}")
        elif _MARK in piece:  # the template changed a value instead of writing it as it is
            raise ValueError("an email template transformed a value that is rendered by shape")
        else:
            template.append(piece.replace("{", "{{").replace("}", "}}"))
    return "".join(template)


@dataclass(frozen=True)
class Twin:
    """A list of texts an email shows differently in its two parts: `text` in the text,
    `html` (Markup, written as it is) in the HTML; for `ShapedEmails`."""

    text: list[str]
    html: list[Markup]


class ShapedEmails:
    """`render_email` for the many emails of one pass, byte for byte the same, without
    running Jinja per email.

    The template pair is rendered once per *shape* of the context: which digits,
    the value of every argument that is not text (dates, numbers, flags), the
    length of every list of texts, and which texts are empty or Markup. In that
    rendering each text is a marker; an email of the same shape is then the
    shape's literal parts with its texts put in (escaped in the HTML unless they
    are Markup), followed by what `render_email` does with the result (subject
    line, tidied text). This holds for templates that write a text argument as it
    is (`{{ name }}`, `{% for x in texts %}{{ x }}`), the way the email templates
    do; a template that transforms one raises. `tests/test_reminders_shapes.py`
    checks the reminders both ways.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.shapes: dict[tuple, tuple[str, str]] = {}
        #: The same for every email of the pass: written into the shapes as they are.
        self.links = page_links()

    def render(self, *, thai_digits: bool = False, **context: Any) -> RenderedEmail:
        text_values: list[str] = []
        html_values: list[str] = []
        key: list[tuple] = [(bool(thai_digits),)]
        # An empty Twin is an empty list to the templates.
        context = {k: [] if isinstance(v, Twin) and not v.text else v for k, v in context.items()}
        for name, value in context.items():
            kind = _kind(value)
            if kind == "twin":
                key.append((name, kind, len(value.text)))
                text_values += value.text
                html_values += value.html
            elif kind == "texts":
                key.append((name, kind, len(value), isinstance(value[0], Markup)))
                text_values += value
                html_values += [v if isinstance(v, Markup) else escape(v) for v in value]
            elif kind == "text":
                key.append((name, kind, isinstance(value, Markup)))
                text_values.append(value)
                html_values.append(value if isinstance(value, Markup) else escape(value))
            else:
                key.append((name, kind, tuple(value) if isinstance(value, list) else value))
        shape = self.shapes.get(shape_key := tuple(key))
        if shape is None:
            shape = self.shapes[shape_key] = self._shape(bool(thai_digits), context)
        subject, body = split_subject(shape[0].format(*text_values), self.name)
        html_values.append(escape(subject))
        html = shape[1].format(*html_values)
        return RenderedEmail(subject=subject, text=tidy_text(body), html=html.strip() + "\n")

    @thai_only
    def _shape(self, thai_digits: bool, context: dict[str, Any]) -> tuple[str, str]:
        """The template pair rendered with markers for the texts of this shape."""
        count = 0

        def marker(markup: bool) -> str:
            nonlocal count
            mark = f"{_MARK}{count}{_MARK}"
            count += 1
            return Markup(mark) if markup else mark

        text_context: dict[str, Any] = {}
        html_context: dict[str, Any] = {}
        for name, value in context.items():
            kind = _kind(value)
            if kind == "twin":
                marks = [marker(False) for _v in value.text]
                text_context[name], html_context[name] = marks, [Markup(m) for m in marks]
            elif kind == "texts":
                text_context[name] = html_context[name] = [marker(isinstance(v, Markup)) for v in value]
            elif kind == "text":
                text_context[name] = html_context[name] = marker(isinstance(value, Markup))
            else:
                text_context[name] = html_context[name] = value
        env = email_env(thai_digits)
        digits = formatters(thai_digits)
        text = env.get_template(f"emails/{self.name}.txt").render({**digits, **self.links, **text_context})
        html_context["subject"] = marker(False)
        html = env.get_template(f"emails/{self.name}.html").render({**digits, **self.links, **html_context})
        return _parts(text), _parts(html)


def _kind(value: object) -> str:
    """How `ShapedEmails` takes an argument: a text (non-empty), a list of texts (non-empty,
    all Markup or none), a Twin, or a value of the shape (anything else)."""
    if isinstance(value, str):
        return "text" if value else "value"
    if isinstance(value, Twin):
        return "twin" if value.text else "value"
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) and v for v in value):
        return "texts" if len({isinstance(v, Markup) for v in value}) == 1 else "value"
    return "value"


class ShapedLines:
    """A text/HTML pair of renderings of one StepLine (a macro pair, say), called for many
    lines: rendered once per shape, the line's texts (title, department, assignee,
    URL) put in. `render(line, *args)` gives (text, Markup); `args` are part of the shape.
    """

    #: StepLine fields put in; every other field but step_id is part of the shape
    TEXTS = ("title", "department", "assignee", "url")
    SHAPE = ("order", "measure_number", "due", "days_late", "business_days_left", "due_on_holiday")

    def __init__(self, render: Callable[..., tuple[str, Markup]]) -> None:
        self.render = render
        self.shapes: dict[tuple, tuple[str, str]] = {}
        #: how many times `render` ran (tests/test_reminders_shapes.py)
        self.rendered = 0

    def __call__(self, line: StepLine, *args: Any) -> tuple[str, Markup]:
        texts = [line.title, line.department, line.assignee, line.url]
        key = (
            args,
            line.order,
            line.measure_number,
            line.due,
            line.days_late,
            line.business_days_left,
            line.due_on_holiday,
            *(bool(t) for t in texts),
        )
        shape = self.shapes.get(key)
        if shape is None:
            marked = StepLine(
                step_id=line.step_id,
                order=line.order,
                measure_number=line.measure_number,
                due=line.due,
                days_late=line.days_late,
                business_days_left=line.business_days_left,
                due_on_holiday=line.due_on_holiday,
                **{
                    name: f"{_MARK}{i}{_MARK}" if value else ""
                    for i, (name, value) in enumerate(zip(self.TEXTS, texts))
                },
            )
            text, html = self.render(marked, *args)
            self.rendered += 1
            shape = self.shapes[key] = (_parts(text), _parts(html))
        return shape[0].format(*texts), Markup(shape[1].format(*[escape(t) for t in texts]))
