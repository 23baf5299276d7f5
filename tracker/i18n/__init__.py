"""Thai first, English on request: a small gettext without dependencies.

Thai is the source language: templates and code write Thai and wrap it in
``_()``; ``tracker/i18n/en.py`` maps each Thai source string to English.
The current language comes from ``?lang=en`` (which also sets the ``lang``
cookie), else the ``lang`` cookie, else Thai. A cookie rather than the
session: the session is emptied at login and logout, and the public page has
no session, yet the choice should stay.

- ``_(thai, **params)``: the Thai text, or its English entry in English mode
  (the Thai text when the catalogue has none); ``%(name)s`` placeholders are
  filled from ``params`` after translating, so data never reaches the lookup.
- ``_(thai, context="heading")``: the entry "heading|ไทย" when the same Thai
  needs another English there.
- ``bi(thai)``: a heading's Thai text with its English as a ``<small>`` hint,
  or the English alone in English mode.
- ``localize(message)``: messages raised by services are written
  "ไทย (English)"; in English mode the English inside the final parentheses.

Emails, reports printed as official documents and the JSON API stay as they
are: only the web interface switches.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, has_request_context, request
from markupsafe import Markup, escape

from .. import thaidate
from .en import EN

__all__ = [
    "COOKIE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "_",
    "_l",
    "bi",
    "current_language",
    "en_hint",
    "english_part",
    "init_app",
    "is_english",
    "localize",
    "public_date",
    "public_period",
    "switch_url",
    "thai_digits",
    "translate",
]

#: Language code → its own name, as the switch shows it.
LANGUAGES = {"th": "ไทย", "en": "English"}
DEFAULT_LANGUAGE = "th"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _valid(code: str | None) -> str | None:
    code = (code or "").strip().lower()
    return code if code in LANGUAGES else None


def current_language() -> str:
    """The language of this request's pages ("th" outside a request: emails, CLI)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    # Cached on the request's own environ, not in g: an app context (and its g) may
    # outlive one request. A page asks once per translated string and date (hundreds).
    environ = request.environ
    language = environ.get("tracker.language")
    if language is None:
        language = environ["tracker.language"] = (
            _valid(request.args.get(COOKIE)) or _valid(request.cookies.get(COOKIE)) or DEFAULT_LANGUAGE
        )
    return language


def is_english() -> bool:
    return current_language() == "en"


def _english(text: str, context: str | None = None) -> str | None:
    # One Thai word may need two English ones ("หน่วยงาน": a column "Department",
    # a heading "Departments"): the catalogue key "context|ไทย" holds the second.
    return (context and EN.get(f"{context}|{text}")) or EN.get(text)


def thai_digits() -> bool:
    """The logged-in user's Thai-digits preference, which only Thai pages follow."""
    from flask_login import current_user

    if not has_request_context():
        return False
    user = current_user._get_current_object()
    # Cached per request and user (a login or logout within the request changes the user).
    cached = request.environ.get("tracker.thai_digits")
    if cached is not None and cached[0] is user:
        return cached[1]
    value = bool(getattr(user, "is_authenticated", False) and user.thai_digits and not is_english())
    request.environ["tracker.thai_digits"] = (user, value)
    return value


def translate(text: str, lang: str | None = None, context: str | None = None, **params: Any) -> str:
    """``text`` in ``lang`` (default: the current language), placeholders filled."""
    if (lang or current_language()) == "en":
        text = _english(text, context) or text
    return text % params if params else text


def _(text: str, context: str | None = None, **params: Any) -> str:
    return translate(text, context=context, **params)


class LazyText:
    """``_(text)`` looked up when shown, not when defined: form labels and
    messages are class attributes, created before any request has a language."""

    __slots__ = ("text", "context", "params")

    def __init__(self, text: str, context: str | None = None, **params: Any) -> None:
        self.text, self.context, self.params = text, context, params

    def __str__(self) -> str:
        return translate(self.text, context=self.context, **self.params)

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __mod__(self, values: Any) -> str:
        return str(self) % values

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.text)

    def __len__(self) -> int:
        return len(str(self))

    def __repr__(self) -> str:
        return f"_l({self.text!r})"


def _l(text: str, context: str | None = None, **params: Any) -> LazyText:
    return LazyText(text, context=context, **params)


def bi(text: str, context: str | None = None) -> Markup:
    """A heading in Thai with its English beneath as a hint; English only in English mode."""
    english = _english(text, context)
    if is_english():
        return escape(english or text)
    if english is None:
        return escape(text)
    return Markup("{} <small>{}</small>").format(text, english)


def en_hint(english: str) -> Markup:
    """ " <small>English</small>" after Thai text in Thai mode; nothing in English
    mode, where the text beside it is English already."""
    return Markup("") if is_english() else Markup(" <small>{}</small>").format(english)


def _is_thai(char: str) -> bool:
    return "\u0e00" <= char <= "\u0e7f"


def english_part(message: str) -> str | None:
    """The English of a "ไทย (English)" message: the text inside its final
    parentheses (nested parentheses allowed), when it does not start in Thai."""
    text = message.rstrip()
    if not text.endswith(")"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                inner = text[i + 1 : -1].strip()
                if i == 0 or not inner or _is_thai(inner[0]):
                    return None  # nothing in Thai before it, or a Thai aside
                return inner[0].upper() + inner[1:]
    return None


def localize(message: object) -> str:
    """A bilingual service message as the reader's language wants it."""
    text = str(message)
    if not is_english():
        return text
    return english_part(text) or EN.get(text, text)


def switch_url(lang: str) -> str:
    """This page in ``lang``: the same address with ``lang=`` set (GET only;
    after a POST, the page's GET address, or the home page)."""
    rule = request.url_rule
    if request.method == "GET" or (rule is not None and "GET" in (rule.methods or ())):
        args = [(k, v) for k, v in request.args.items(multi=True) if k != COOKIE]
        return f"{request.path}?{urlencode([*args, (COOKIE, lang)])}"
    return f"{request.script_root}/?{urlencode([(COOKIE, lang)])}"


def public_date(value: date | datetime | None, style: str = "abbr") -> str:
    """A BE date in the page's language with Arabic digits, whoever reads it: for
    pages served alike to everyone (the public page), where per-user filters do not belong."""
    return thaidate.format_date(value, style=style, lang=current_language())


def public_period(start: date, end: date) -> str:
    return thaidate.format_period(start, end, thai_digits=False, lang=current_language())


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        _=_,
        bi=bi,
        en_hint=en_hint,
        localize=localize,
        current_language=current_language,
        lang_switch_url=switch_url,
        LANGUAGES=LANGUAGES,
        public_date=public_date,
        public_period=public_period,
    )

    @app.after_request
    def remember_language(response: Response) -> Response:
        # ?lang=… switches for good: keep the choice in a long-lived cookie.
        asked = _valid(request.args.get(COOKIE))
        if asked and asked != request.cookies.get(COOKIE):
            response.set_cookie(
                COOKIE,
                asked,
                max_age=COOKIE_MAX_AGE,
                samesite="Lax",
                httponly=True,
                secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            )
        if response.mimetype == "text/html":
            response.vary.add("Cookie")  # the same address reads differently per language
        return response
