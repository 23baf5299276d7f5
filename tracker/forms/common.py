"""Forms that several features use as they are."""

from __future__ import annotations

from .base import Form


class ConfirmForm(Form):
    """A button that changes something and asks nothing more (delete, withdraw,
    send again): only the CSRF token travels with it."""
