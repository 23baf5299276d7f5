"""Thai first, English on request, on Flask-Babel.

Thai is the source language: templates and code write Thai and wrap it in
``_()`` (``_l()`` where the text is defined before any request, as form
labels are); the English catalogue is
``tracker/translations/en/LC_MESSAGES/messages.po`` (compiled to ``.mo`` beside
it; ``tracker translate check`` keeps both in step with the sources). A page
is Thai only or English only: no English hints beside Thai.

The current language comes from ``?lang=en|th`` (which also sets the ``lang``
cookie), else the ``lang`` cookie, else Thai. A cookie rather than the
session: the session is emptied at login and logout, and the public page has
no session, yet the choice should stay. Outside a request (the CLI, jobs) the
language is Thai, or ``TRACKER_LANGUAGE=en`` for a command's own output: its
messages, and its ``--help`` (read before the app is loaded, so ``_l()`` also
translates outside an app context; a click option takes such a help through
``option()``, as click would read a plain one at once).

- ``_(thai, **params)``: the Thai text, or its English in English mode;
  ``%(name)s`` placeholders are filled from ``params`` after translating.
- ``pgettext("heading", thai)``: when the same Thai needs another English there.
- ``gettext_anywhere(thai, **params)``: ``_()`` that works outside an app context
  too (a command's argument checks run before the app is loaded).
- ``N_(thai)``: marks a label kept in a table and translated where it is shown.
- ``in_thai()``: emails and printed documents (PDF, DOCX, XLSX) are official
  Thai whatever the reader's page language; render them inside it.

The JSON API's messages (errors) follow ``?lang=``, else ``Accept-Language``
(``en`` or ``th``; anything else is Thai), else the cookie: the same catalogue.
Its OpenAPI descriptions stay as they are.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, partial, wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import click
import flask_babel
from babel import support
from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, force_locale, get_translations
from flask_babel.speaklater import LazyString

__all__ = [
    "COOKIE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LazyHelpOption",
    "NP_",
    "N_",
    "TRANSLATIONS",
    "_",
    "_l",
    "babel",
    "gettext",
    "current_language",
    "either",
    "gettext_anywhere",
    "in_thai",
    "thai_only",
    "init_app",
    "is_english",
    "lazy_pgettext",
    "option",
    "pgettext",
    "switch_url",
    "thai_digits",
    "translate",
]

#: Language code → its own name, as the switch shows it.
LANGUAGES = {"th": "ไทย", "en": "English"}
DEFAULT_LANGUAGE = "th"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
#: Where the catalogues live: tracker/translations/<lang>/LC_MESSAGES/messages.{po,mo}.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
#: Under this path (the JSON API) ``Accept-Language`` also chooses the language.
API_PREFIX = "/api/"
#: The language of output made outside a request (CLI commands).
ENV_LANGUAGE = "TRACKER_LANGUAGE"

babel = Babel(configure_jinja=False)
F = TypeVar("F", bound=Callable[..., Any])


def _request_catalogue() -> Any:
    """The catalogue of the current locale. Flask-Babel looks it up afresh for every string
    (17 µs: its context, the locale's name, the domain), a page translates a hundred: it is kept
    here in Flask-Babel's own per-request namespace, beside the locale it is for, so that a
    forced locale (`in_thai`) or a `refresh()` finds it stale and looks again."""
    if not has_app_context():
        return get_translations()
    ns = g.get("_flask_babel")
    kept = getattr(ns, "tracker_catalogue", None)
    if kept is not None and kept[0] is getattr(ns, "babel_locale", None) is not None:
        return kept[1]
    translations = get_translations()
    ns = g.get("_flask_babel")
    if ns is not None:
        ns.tracker_catalogue = (getattr(ns, "babel_locale", None), translations)
    return translations


def gettext(text: str, /, **params: Any) -> str:
    """Flask-Babel's ``gettext`` (the text in the current language, ``%(name)s`` filled from
    ``params``) with the catalogue looked up once per request (`_request_catalogue`)."""
    result = _request_catalogue().ugettext(text)
    return result % params if params else result


_ = gettext


def gettext_anywhere(text: str, /, **params: Any) -> str:
    """``_(text)``, also outside an app context, where the language is TRACKER_LANGUAGE's
    (a command's help and argument checks come before its app is loaded)."""
    if has_app_context():
        return gettext(text, **params)
    lang = _valid(os.environ.get(ENV_LANGUAGE)) or DEFAULT_LANGUAGE
    result = text if lang == DEFAULT_LANGUAGE else _catalogue(lang).ugettext(text)
    return result % params if params else result


@cache
def _catalogue(lang: str) -> support.NullTranslations:
    return support.Translations.load(str(TRANSLATIONS), [lang])


def _l(text: str, /, **params: Any) -> LazyString:
    """``_()`` when the text is shown, not when it is defined (a form's label, a command's help)."""
    return LazyString(gettext_anywhere, text, **params)


class LazyHelpOption(click.Option):
    """A click option whose help, an ``_l()`` text, is read when the help is shown:
    click's own cleans a help up, and so reads it, as the command is defined."""

    def __init__(self, *args: Any, help: str | LazyString | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = help  # an _l() text stays lazy until get_help_record

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        lazy = self.help
        self.help = None if lazy is None else str(lazy)  # read now, in the language of now
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = lazy


#: ``click.option`` for a help given as ``_l("…")``.
option = partial(click.option, cls=LazyHelpOption)


def N_(text: str) -> str:
    """Marks ``text`` for the catalogue without translating it (a label in a table)."""
    return text


def NP_(context: str, text: str) -> str:
    """``N_`` for a label translated with ``pgettext(context, …)`` where it is shown."""
    return text


def pgettext(context: str, text: str, **params: Any) -> str:
    """``text`` as the English catalogue gives it in ``context``, else as it gives it
    anywhere: a context is only needed where the same Thai needs other English."""
    translations = _request_catalogue()
    result = translations.upgettext(context, text)
    if result == text:
        result = translations.ugettext(text)
    return result % params if params else result


def lazy_pgettext(context: str, text: str, **params: Any) -> LazyString:
    return LazyString(pgettext, context, text, **params)


def _valid(code: str | None) -> str | None:
    code = (code or "").strip().lower()
    return code if code in LANGUAGES else None


def select_language() -> str:
    """Flask-Babel's locale selector."""
    if has_request_context():
        asked = _valid(request.args.get(COOKIE))
        if asked is None and _is_api():
            # API clients name their language the HTTP way; pages keep the switch's cookie.
            asked = _valid(request.accept_languages.best_match(list(LANGUAGES)))
        return asked or _valid(request.cookies.get(COOKIE)) or DEFAULT_LANGUAGE
    return _valid(os.environ.get(ENV_LANGUAGE)) or DEFAULT_LANGUAGE


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def current_language() -> str:
    """The language of this request's pages (Thai outside a request, or TRACKER_LANGUAGE)."""
    if not has_app_context():
        return _valid(os.environ.get(ENV_LANGUAGE)) or DEFAULT_LANGUAGE
    # Flask-Babel's locale of this request, read where it keeps it (get_locale() when not chosen yet).
    locale = getattr(g.get("_flask_babel"), "babel_locale", None) or flask_babel.get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def is_english() -> bool:
    return current_language() == "en"


@contextmanager
def in_thai() -> Iterator[None]:
    """Thai whatever the page's language: for emails and printed documents."""
    with force_locale(DEFAULT_LANGUAGE):
        yield


def _in_thai_already() -> bool:
    """The app context's locale is Thai already (forced, chosen, or the default outside a request)."""
    if not has_app_context():
        return False
    locale = flask_babel.get_locale()
    return locale is not None and locale.language == DEFAULT_LANGUAGE


def thai_only(func: F) -> F:
    """``func`` run ``in_thai()``: a builder of an email or a printed document."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Already Thai (a mail pass is one thai_only call around thousands of emails): forcing
        # the locale again would drop the loaded catalogue for every email.
        if _in_thai_already():
            return func(*args, **kwargs)
        with in_thai():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def thai_digits() -> bool:
    """The logged-in user's Thai-digits preference, which only Thai pages follow."""
    from flask_login import current_user

    if not has_request_context():
        return False
    user = current_user._get_current_object()  # one lookup through the proxy, not two (per date and number)
    return bool(getattr(user, "is_authenticated", False) and user.thai_digits and not is_english())


def either(thai: str, english: str) -> str:
    """A value put into a message that the catalogue does not hold (a field's name
    given both ways): `english` on English pages and output, else `thai`."""
    return english if is_english() else thai


def translate(text: str, lang: str | None = None, context: str | None = None, **params: Any) -> str:
    """``text`` (a msgid held in a variable) in ``lang`` (default: the current language)."""
    if lang is not None and has_app_context():
        with force_locale(lang):
            return translate(text, context=context, **params)
    if context:
        return pgettext(context, text, **params)
    return gettext(text, **params)


def switch_url(lang: str) -> str:
    """This page in ``lang``: the same address with ``lang=`` set (GET only;
    after a POST, the page's GET address, or the home page)."""
    rule = request.url_rule
    if request.method == "GET" or (rule is not None and "GET" in (rule.methods or ())):
        args = [(k, v) for k, v in request.args.items(multi=True) if k != COOKIE]
        return f"{request.path}?{urlencode([*args, (COOKIE, lang)])}"
    return f"{request.script_root}/?{urlencode([(COOKIE, lang)])}"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_language)
    app.jinja_env.globals.update(
        _=gettext,
        gettext=gettext,
        pgettext=pgettext,
        current_language=current_language,
        lang_switch_url=switch_url,
        LANGUAGES=LANGUAGES,
    )

    def forget_language(*_args: object) -> None:
        # Flask-Babel keeps the locale in g, and tests (and the CLI) keep one app
        # context across requests: choose afresh for each request, and after it.
        flask_babel.refresh()

    app.before_request(forget_language)
    app.teardown_request(forget_language)

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
        elif _is_api():
            response.vary.add("Accept-Language")
        return response
