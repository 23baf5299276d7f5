"""Forms that several features use as they are."""

from __future__ import annotations

from wtforms import StringField

from .base import Form


class ConfirmForm(Form):
    """A button that changes something and asks nothing more (delete, withdraw,
    send again): only the CSRF token travels with it."""


class ActionForm(Form):
    """Which of a page's forms was sent (the name of its button, ``action``); the
    chosen form then reads its own fields and checks the CSRF token."""

    class Meta:
        csrf = False  # read only to choose the form, which carries the token

    action = StringField()
