"""Talking to the LINE Messaging API through the official SDK (line-bot-sdk v3).

The base URL is TRACKER_LINE_API_URL (LINE's https://api.line.me by default)
so that the tests' emulator can stand in. The SDK's own retries are turned
off: the outbox decides when to try again (tracker/line/delivery.py), and
every push carries the row's X-Line-Retry-Key.

The SDK (hundreds of pydantic models, ~40 MB per process) is imported at the
first call, not with the app: a web worker that never talks to LINE does not
carry it. Callers catch `line_client.ApiException` (an `except` clause reads
the attribute only when an exception is raised, by then the SDK is loaded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import urllib3
from flask import current_app

from .crypto import decrypt
from .models import LineChannel

if TYPE_CHECKING:
    from linebot.v3.messaging import ApiClient, Configuration
    from linebot.v3.messaging.exceptions import ApiException

DEFAULT_API_URL = "https://api.line.me"


def __getattr__(name: str) -> Any:
    """`ApiException`, the SDK's error, imported with the SDK on first use."""
    if name == "ApiException":
        from linebot.v3.messaging.exceptions import ApiException

        return ApiException
    raise AttributeError(name)


@dataclass(frozen=True)
class PushOutcome:
    """What LINE said to one push: accepted (200, or 409 for a retry key it already
    executed), retry later (429, 5xx, no answer), or refused for good (other 4xx)."""

    accepted: bool
    retry: bool
    error: str = ""
    #: From a 429's Retry-After header, if it had one
    retry_after: timedelta | None = None
    #: The transport failed or LINE asked us to slow down: stop this pass
    stop: bool = False


def _configuration(token: str) -> Configuration:
    from linebot.v3.messaging import Configuration

    config = Configuration(host=current_app.config.get("TRACKER_LINE_API_URL") or DEFAULT_API_URL, access_token=token)
    config.retries = False  # urllib3 must not resend a POST on its own
    return config


def api(channel: LineChannel) -> ApiClient:
    """An SDK client for this channel (use as a context manager)."""
    return api_for_token(decrypt(channel.token_encrypted))


def api_for_token(token: str) -> ApiClient:
    from linebot.v3.messaging import ApiClient

    return ApiClient(_configuration(token))


def timeout() -> float:
    return float(current_app.config.get("TRACKER_LINE_TIMEOUT") or 10)


def _error_text(exc: ApiException) -> str:
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else (exc.body or "")
    try:
        message = json.loads(body).get("message", body)
    except (ValueError, AttributeError):
        message = body
    return f"LINE {exc.status}: {message}".strip()


def _retry_after(exc: ApiException) -> timedelta | None:
    raw = (exc.headers or {}).get("Retry-After") or (exc.headers or {}).get("retry-after")
    if raw and str(raw).strip().isdigit():
        return timedelta(seconds=int(str(raw).strip()))
    return None


def push(client: ApiClient, to: str, messages: list[dict], retry_key: str) -> PushOutcome:
    """One push of up to five message objects to one person, executed once per retry key."""
    from linebot.v3.messaging import Message, MessagingApi, PushMessageRequest
    from linebot.v3.messaging.exceptions import ApiException

    request = PushMessageRequest(to=to, messages=[Message.from_dict(m) for m in messages])
    try:
        MessagingApi(client).push_message_with_http_info(
            request, x_line_retry_key=retry_key, _request_timeout=timeout()
        )
    except ApiException as exc:
        if exc.status == 409:  # this retry key was accepted before: the push went out once
            return PushOutcome(accepted=True, retry=False)
        if exc.status == 429:
            return PushOutcome(False, True, _error_text(exc), _retry_after(exc), stop=True)
        if exc.status == 0 or exc.status >= 500:
            return PushOutcome(False, True, _error_text(exc))
        if exc.status in (401, 403):  # the token was revoked or replaced: an admin must act
            return PushOutcome(False, True, _error_text(exc), stop=True)
        return PushOutcome(False, False, _error_text(exc))
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        # No answer: LINE may or may not have executed it; the retry key settles that.
        return PushOutcome(False, True, f"LINE unreachable: {type(exc).__name__}: {exc}", stop=True)
    return PushOutcome(accepted=True, retry=False)


def reply_text(client: ApiClient, reply_token: str, text: str) -> None:
    """Answer a webhook event (replies are free: they do not count against the quota)."""
    from linebot.v3.messaging import MessagingApi, ReplyMessageRequest, TextMessage

    MessagingApi(client).reply_message(
        ReplyMessageRequest(reply_token=reply_token, messages=[TextMessage(text=text)]), _request_timeout=timeout()
    )


def issue_link_token(client: ApiClient, line_user_id: str) -> str:
    from linebot.v3.messaging import MessagingApi

    return MessagingApi(client).issue_link_token(line_user_id, _request_timeout=timeout()).link_token


def bot_info(client: ApiClient):
    """basic_id, display_name, user_id of the Official Account (checks the token)."""
    from linebot.v3.messaging import MessagingApi

    return MessagingApi(client).get_bot_info(_request_timeout=timeout())


def quota(client: ApiClient) -> tuple[str, int | None, int]:
    """(type, value, used this month) as LINE counts them."""
    from linebot.v3.messaging import MessagingApi

    messaging = MessagingApi(client)
    q = messaging.get_message_quota(_request_timeout=timeout())
    used = messaging.get_message_quota_consumption(_request_timeout=timeout())
    return q.type, q.value, used.total_usage
