"""Secrets in URLs: signed one-click unsubscribe links and calendar feed tokens."""

from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .. import links

UNSUBSCRIBE_SALT = "digest-unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int) -> str:
    return _serializer().dumps({"u": user_id})


def user_id_from_unsubscribe_token(token: str) -> int | None:
    """The user the token was made for, or None when it is forged or damaged."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) else None


def unsubscribe_url(user_id: int) -> str:
    return links.external_url("notify.unsubscribe", token=unsubscribe_token(user_id))


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)
