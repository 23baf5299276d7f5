"""Full addresses of our pages for emails, calendar feeds, reports and exports.

They are built by the app's own URL map, as `url_for(..., _external=True)`
does, but bound to TRACKER_BASE_URL (scheme, host and path prefix) instead of
to the request being served: a link in an email queued while an admin browses
http://127.0.0.1:5000 must still point at the public address, and jobs run
without any request. SERVER_NAME stays unset, so the app keeps answering under
whatever host name a proxy or the test client uses.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def base_url() -> str:
    """TRACKER_BASE_URL without a trailing slash."""
    return current_app.config["TRACKER_BASE_URL"].rstrip("/")


def host() -> str:
    """The host name of TRACKER_BASE_URL (for Message-IDs and calendar UIDs)."""
    return urlsplit(base_url()).hostname or "tracker.local"


def bound_adapter(base: str | None = None):
    """The app's URL map bound to TRACKER_BASE_URL (or `base`), for building many addresses."""
    parts = urlsplit((base or base_url()).rstrip("/"))
    return current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http")


def external_url(endpoint: str, *, base: str | None = None, **values) -> str:
    """The full address of `endpoint` (a url_for endpoint) under TRACKER_BASE_URL,
    or under `base` when one is given (a report rendered for another site)."""
    return bound_adapter(base).build(endpoint, values, force_external=True)
