"""Errors that services raise and the web, API and CLI turn into clear messages."""

from __future__ import annotations

from .i18n import _, _l, either


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

    def __init__(self, message: str = _l("คุณไม่มีสิทธิ์ทำรายการนี้")):
        super().__init__(message)
        self.message = message


def clean_text(value: str | None, what: str, english: str, *, required: bool = True, limit: int | None = None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_("โปรดระบุ%(what)s", what=either(what, english)))
    if limit is not None and len(value) > limit:
        raise ServiceError(_("%(what)sยาวเกิน %(limit)s ตัวอักษร", what=either(what, english), limit=limit))
    return value
