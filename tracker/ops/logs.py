"""Logs: one line per event, each carrying the id of the request it belongs to.

- Every record goes through one handler on the root logger, to stderr (the
  process manager — systemd, Docker, gunicorn — collects it). Two formats,
  chosen with TRACKER_LOG_FORMAT:

  text (default), key=value after the message, one line per event::

      2023-08-01T03:00:00.123Z INFO tracker.access request_id=9f3c… request method=POST path=/login
      status=302 duration_ms=41.7 user_id=3          (one line; wrapped here)

  json, one object per line (for Loki, Elasticsearch, CloudWatch …)::

      {"time": "2023-08-01T03:00:00.123Z", "level": "INFO", "logger": "tracker.access", "message": "request",
       "request_id": "9f3c…", "method": "POST", "path": "/login", "status": 302, "duration_ms": 41.7, "user_id": 3}

  A traceback stays on its event's line (newlines escaped in text, a field
  in JSON), so `grep request_id=…` finds everything of one request.
- The request id is the incoming `X-Request-ID` when it is short and made of
  safe characters (a proxy's id then links both logs), otherwise a new one;
  it is echoed in the response's `X-Request-ID` header and shown on error
  pages. Jobs (a scheduler beat) get an id of their own.
- One access line per request (`tracker.access`): method, path, status,
  duration, user id, request id. Health checks that pass are logged at DEBUG
  so a load balancer's polling does not drown the log. Path segments that
  carry a secret (calendar feed and unsubscribe tokens) are redacted; query
  strings, form fields, cookies and headers are never logged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_app_context, request

REQUEST_ID_HEADER = "X-Request-ID"
#: Accepted incoming ids: what proxies generate (hex, UUIDs, "1-5f3a…"), nothing that could break a log line.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")

access_log = logging.getLogger("tracker.access")

#: Attributes every LogRecord has; anything else was passed with `extra=` and is a field.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


def new_request_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex


def current_request_id() -> str | None:
    return g.get("request_id") if has_app_context() else None


class RequestIdFilter(logging.Filter):
    """Stamp each record with the request (or job) id of the context it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def _fields(record: logging.LogRecord) -> dict:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRS and not k.startswith("_")}


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    if record.exc_info:
        return formatter.formatException(record.exc_info)
    if record.stack_info:
        return formatter.formatStack(record.stack_info)
    return None


_BARE = re.compile(r"[^\s\"=\\]+")


def _text_value(value: object) -> str:
    text = "" if value is None else str(value)
    if _BARE.fullmatch(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def one_line(text: str) -> str:
    return text.rstrip("\n").replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


class TextFormatter(logging.Formatter):
    """`time LEVEL logger request_id=… message key=value …`, always one line."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [_timestamp(record), record.levelname, record.name]
        request_id = getattr(record, "request_id", None)
        if request_id:
            parts.append(f"request_id={request_id}")
        parts.append(one_line(record.getMessage()))
        parts.extend(f"{key}={_text_value(value)}" for key, value in _fields(record).items())
        exc = _exception_text(self, record)
        if exc:
            parts.append(f"exc={json.dumps(exc, ensure_ascii=False)}")
        return " ".join(p for p in parts if p)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage().rstrip("\n"),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            data["request_id"] = request_id
        for key, value in _fields(record).items():
            data.setdefault(key, value)
        exc = _exception_text(self, record)
        if exc:
            data["exc"] = exc
        return json.dumps(data, ensure_ascii=False, default=str)


class StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is when the record is emitted (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


class _NoWerkzeugRequestLines(logging.Filter):
    """The development server logs each request itself; our access line replaces it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.rstrip("\n").endswith('] "%s" %s %s'))


class _QuietAlembicChecks(logging.Filter):
    """Alembic says which dialect it found each time the schema is merely checked (every start,
    every command); keep its "Running upgrade …" lines and drop that chatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(("Context impl", "Will assume")))


def configure_logging(level: str = "INFO", fmt: str = "text") -> logging.Handler:
    """Install (or replace) the app's handler on the root logger."""
    level, fmt = level.upper(), fmt.lower()
    if level not in LEVELS:
        raise SystemExit(f"TRACKER_LOG_LEVEL must be one of {', '.join(LEVELS)}, got {level!r}")
    if fmt not in FORMATS:
        raise SystemExit(f"TRACKER_LOG_FORMAT must be text or json, got {fmt!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(old)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in (("werkzeug", _NoWerkzeugRequestLines), ("alembic.runtime.migration", _QuietAlembicChecks)):
        logger = logging.getLogger(name)
        if not any(isinstance(f, quiet) for f in logger.filters):
            logger.addFilter(quiet())
    return handler


def _incoming_request_id() -> str | None:
    value = request.headers.get(REQUEST_ID_HEADER, "")
    return value if SAFE_REQUEST_ID.fullmatch(value) else None


def _logged_path() -> str:
    """The path, with route values that are secrets (tokens) replaced."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and value:
            path = path.replace(str(value), "[redacted]")
    return path


def _user_id() -> int | None:
    # Only a user this request already loaded: logging must not cost a query.
    user = g.get("_login_user")
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def init_request_logging(app: Flask) -> None:
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = _incoming_request_id() or new_request_id()

    def finish_request(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        quiet = request.endpoint == "ops.healthz" and response.status_code == 200
        access_log.log(
            logging.DEBUG if quiet else logging.INFO,
            "request",
            extra={
                "method": request.method,
                "path": _logged_path(),
                "status": response.status_code,
                "duration_ms": duration,
                "user_id": _user_id(),
            },
        )
        return response

    # First in, so that every other hook (CSRF, login throttling) already logs with the id;
    # after_request hooks run in reverse, so the access line is written last.
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request_funcs.setdefault(None, []).insert(0, finish_request)
