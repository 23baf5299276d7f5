"""Errors that services raise and the web, API and CLI turn into clear messages."""
from __future__ import annotations


class ServiceError(ValueError):
    """Input that cannot be accepted; the message is shown to the user as is.

    ``field``: the form field the problem is about, so a page can show the
    message next to that field (forms.Form.refuse) rather than above the form.
    """

    def __init__(self, message: str = "", *, field: str | None = None):
        super().__init__(message)
        self.field = field


class PermissionDenied(Exception):
    """The user may not do this; shown with HTTP 403."""

    def __init__(self, message: str = "คุณไม่มีสิทธิ์ทำรายการนี้ (you are not allowed to do this)"):
        super().__init__(message)
        self.message = message
