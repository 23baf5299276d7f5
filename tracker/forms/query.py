"""Forms read from the query string (GET): a list's filters, search and page.

They change nothing, so they carry no CSRF token. `QueryForm.read` reads
``request.args`` (the one place that does: views never parse the query string
by hand) and refuses a value it cannot use with its Thai message (HTTP 400
through `ServiceError`), never a guess and never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Self

from flask import request
from wtforms import Field, SearchField
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from .. import thaidate
from ..errors import ServiceError
from ..i18n import _l
from .base import Form

#: Longest search text kept from the query string.
MAX_SEARCH = 100

#: Rows per page of a list, unless asked otherwise, and the most a page shows.
PER_PAGE = 50
MAX_PER_PAGE = 200


class QueryForm(Form):
    """Base of the GET forms: no CSRF token, read from the query string."""

    class Meta:
        csrf = False  # it only chooses what is shown

    @classmethod
    def sent(cls, **kwargs: Any) -> Self:
        """The form of this request's query string, not yet validated."""
        return cls(formdata=request.args, **kwargs)

    @classmethod
    def read(cls, **kwargs: Any) -> Self:
        """The form of this request's query string, validated; `ServiceError` (400) with
        every problem's message when a value cannot be used."""
        form = cls.sent(**kwargs)
        if not form.validate():
            raise ServiceError(" ".join(form.messages()) or str(_l("ข้อมูลไม่ถูกต้อง")))
        return form

    def messages(self) -> list[str]:
        """Every problem, once, in the order of the fields (the messages name their field)."""
        found: list[str] = []
        for message in [m for field in self for m in field.errors] + list(self.form_errors):
            if str(message) not in found:
                found.append(str(message))
        return found


def squeezed(limit: int = MAX_SEARCH) -> Callable[[Any], str]:
    """A filter: spaces squeezed, at most `limit` characters."""

    def squeeze(text: Any) -> str:
        if not isinstance(text, str):
            return ""
        # Control characters (a NUL byte PostgreSQL refuses) are dropped.
        return " ".join("".join(ch for ch in text if ch.isprintable() or ch.isspace()).split())[:limit]

    return squeeze


class SearchArg(SearchField):
    """Search text (``q``): spaces squeezed, at most `limit` characters."""

    def __init__(self, label: Any = None, *, limit: int = MAX_SEARCH, **kwargs: Any) -> None:
        render_kw = {"maxlength": limit, **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, filters=[squeezed(limit)], render_kw=render_kw, **kwargs)


class NumberArg(Field):
    """A whole number from the query string, Thai digits welcome; None when absent.

    ``message`` is shown for anything else (``%(value)s``: what was given, shortened);
    at most 18 digits, so neither Python nor the database is asked for more.
    """

    widget = TextInput()

    def __init__(self, label: Any = None, validators: Iterable[Any] | None = None, *, message: Any, **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0] if isinstance(valuelist[0], str) else ""
        text = thaidate.to_arabic_digits(raw).strip()
        if not text:
            self.data = None
        elif text.isascii() and text.isdigit() and len(text) <= 18:
            self.data = int(text)
        else:
            self.data = None
            raise ValueError(str(self.message) % {"value": text[:20]})

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class ChoiceArg(Field):
    """One of a few known words (a status, a sort order), or "" for none.

    ``allowed``: the words, or a callable giving them; anything else gets
    ``message`` (``%(value)s``: what was given, shortened). ``data`` is the word.
    """

    widget = TextInput()

    def __init__(
        self,
        label: Any = None,
        validators: Iterable[Any] | None = None,
        *,
        allowed: Iterable[str] | Callable[[], Iterable[str]],
        message: Any,
        **kwargs: Any,
    ):
        super().__init__(label, validators, **kwargs)
        self.allowed, self.message = allowed, message

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = valuelist[0].strip() if isinstance(valuelist[0], str) else ""

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, str) else ""

    def pre_validate(self, form: Any) -> None:
        allowed = self.allowed() if callable(self.allowed) else self.allowed
        if self.data and self.data not in set(allowed):
            raise ValidationError(str(self.message) % {"value": self.data[:30]})

    def _value(self) -> str:
        return self.data or ""


_PAGE = _l("หน้าต้องเป็นตัวเลข: “%(value)s”")
_PER_PAGE = _l("จำนวนต่อหน้าต้องเป็นตัวเลข: “%(value)s”")


class PagedForm(QueryForm):
    """A list shown a page at a time: ``page`` and ``per_page``, kept within bounds."""

    page = NumberArg(message=_PAGE)
    per_page = NumberArg(message=_PER_PAGE)

    @property
    def page_number(self) -> int:
        return max(self.page.data or 1, 1)

    @property
    def rows_per_page(self) -> int:
        return min(max(self.per_page.data or PER_PAGE, 1), MAX_PER_PAGE)
