"""Drafts: what a person typed into a form the server could not take — their
session had ended (logged out in another tab), the form's CSRF token was
stale, the file was over the size limit — kept on the server until they are
back on the page of the form, where it is put back into the form.

The text lives in a row (`form_drafts`); the session cookie holds only the
row's random key (a cookie holds 4 KB, a note may hold more). The session is
emptied at login (tracker/auth/views.py), so the login carries the keys over
(`keys`/`restore_keys`). Passwords, the CSRF token and files are never kept.
A draft is for the browser that typed it and, when it was typed logged in,
for that user only; it is given back once, on the next visit of its page
(`take_for_page`, called by web.py before the view; a view may fill its form
from `restored`), and expires after `LIFETIME`.

The browser keeps its own copy too (tracker/static/app.js, sessionStorage):
either one brings the text back.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, g, request, session
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound

from .clock import utcnow
from .db import Model, UTCDateTime, db

#: How long a kept draft waits for its author to come back.
LIFETIME = timedelta(hours=24)
#: Drafts one browser session points to (older keys fall off).
MAX_PER_SESSION = 10
#: Characters of typed text kept per draft (a progress note is far shorter).
MAX_CHARS = 200_000
SESSION_KEY = "form_drafts"
#: Never kept: secrets and the form's own token.
SKIPPED_FIELDS = ("csrf_token",)


class FormDraft(Model):
    """Fields typed into one form that could not be saved, waiting for their author."""

    __tablename__ = "form_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random; the session cookie holds it, nothing else can name the row
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Who typed it, when they were logged in; only they get it back
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The path the form posts to, e.g. /steps/13/comment
    action: Mapped[str] = mapped_column(sa.String(500))
    #: The page that shows the form, e.g. /steps/13
    page: Mapped[str] = mapped_column(sa.String(1000))
    #: {"field": ["value", …]} as JSON
    fields: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    @property
    def values(self) -> MultiDict:
        return MultiDict([(name, value) for name, values in json.loads(self.fields).items() for value in values])


def _kept_fields(form: MultiDict) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    size = 0
    for name, values in form.lists():
        if name in SKIPPED_FIELDS or "password" in name.lower():
            continue
        kept = [v[:MAX_CHARS] for v in values if isinstance(v, str)]
        size += sum(len(v) for v in kept)
        if size > MAX_CHARS:
            break
        fields[name] = kept
    return fields


def _typed(fields: dict[str, list[str]]) -> bool:
    # A form whose visible fields are all empty holds nothing to lose.
    return any(v.strip() for name, values in fields.items() if name not in ("version", "kind") for v in values)


def page_of(path: str) -> str:
    """The page that shows the form posting to `path`: `path` itself when it answers GET,
    else the nearest parent that does (/steps/13/comment → /steps/13), else the home page."""
    adapter = current_app.url_map.bind("localhost")
    candidate = path
    while candidate and candidate != "/":
        try:
            endpoint, _ = adapter.match(candidate, method="GET")
        except (NotFound, MethodNotAllowed):
            pass
        except Exception:  # a redirect (trailing slash) or another routing answer: not a page
            pass
        else:
            if endpoint != "static":
                return candidate
        candidate = candidate.rsplit("/", 1)[0]
    return "/"


def reload_url() -> str:
    """Where a reload of the page answering this POST should go: the page, by GET
    (its query kept when the form posts to the page's own address, e.g. /login?next=…)."""
    page = page_of(request.path)
    query = request.query_string.decode("latin-1")
    return f"{page}?{query}" if page == request.path and query else page


def same_origin() -> bool:
    """The request came from one of our own pages (a browser sends Origin or Referer with a form)."""
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value:
            return urlsplit(value).netloc == request.host
    return False


def form_page() -> str:
    """The page the form being posted was on: the Referer when it is one of ours and a page, else `page_of`."""
    referer = request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        if parts.netloc == request.host and parts.path.startswith("/") and parts.path != request.path:
            if page_of(parts.path) == parts.path:
                return parts.path + (f"?{parts.query}" if parts.query else "")
    return page_of(request.path)


def keep(form: MultiDict, *, user_id: int | None, page: str, action: str | None = None) -> FormDraft | None:
    """Keep what was typed into the form posted now; None when nothing was typed.

    Adds the row (the caller commits) and its key to the session."""
    fields = _kept_fields(form)
    if not _typed(fields):
        return None
    now = utcnow()
    db.session.execute(sa.delete(FormDraft).where(FormDraft.expires_at < now))
    draft = FormDraft(
        key=secrets.token_urlsafe(32),
        user_id=user_id,
        action=(action or request.path)[:500],
        page=page[:1000],
        fields=json.dumps(fields, ensure_ascii=False),
        created_at=now,
        expires_at=now + LIFETIME,
    )
    db.session.add(draft)
    session[SESSION_KEY] = [*keys(), draft.key][-MAX_PER_SESSION:]
    return draft


def keys() -> list[str]:
    value = session.get(SESSION_KEY)
    return [k for k in value if isinstance(k, str)] if isinstance(value, list) else []


def restore_keys(saved: list[str]) -> None:
    """After the session was emptied (login): point to the same drafts again."""
    if saved:
        session[SESSION_KEY] = saved[-MAX_PER_SESSION:]


def _mine(user_id: int | None) -> list[FormDraft]:
    held = keys()
    if not held:
        return []
    rows = db.session.scalars(
        sa.select(FormDraft)
        .where(FormDraft.key.in_(held), FormDraft.expires_at >= utcnow())
        .order_by(FormDraft.created_at, FormDraft.id)
    )
    return [d for d in rows if d.user_id is None or d.user_id == user_id]


def _forget(drafts: list[FormDraft]) -> None:
    gone = {d.key for d in drafts}
    for draft in drafts:
        db.session.delete(draft)
    session[SESSION_KEY] = [k for k in keys() if k not in gone]


def take_for_page(page: str, user_id: int | None) -> list[dict[str, Any]]:
    """Every draft of a form on `page` as {"action", "fields"}, removed from the store (the caller commits)."""
    path = urlsplit(page).path
    found = [d for d in _mine(user_id) if urlsplit(d.page).path == path]
    if not found:
        return []
    latest: dict[str, FormDraft] = {}
    for draft in found:
        latest[draft.action] = draft
    out = [{"action": d.action, "fields": json.loads(d.fields)} for d in latest.values()]
    _forget(found)
    return out


def restored(action: str) -> MultiDict | None:
    """What was typed into the form posting to `action`, when this request brought it back
    (web.py takes the page's drafts before the view runs); None otherwise."""
    for draft in g.get("restored_drafts", ()):
        if draft["action"] == action:
            return MultiDict([(name, value) for name, values in draft["fields"].items() for value in values])
    return None
