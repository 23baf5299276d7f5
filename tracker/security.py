"""Security wiring: login throttling, session protection, security headers, trusted proxies.

- Login throttling (Flask-Limiter): failed logins are counted per client
  address and per email address, TRACKER_LOGIN_RATE_LIMIT each (default
  "10 per minute"). Only failures count, so an office behind one address
  logging in at 08:30 is never blocked; once the limit is reached every
  attempt, right or wrong, gets HTTP 429 with a Retry-After header and a
  Thai/English message until the window passes. Counters live in the
  database (tracker/ratelimit.py), so every gunicorn worker and every host
  counts the same failures; TRACKER_RATELIMIT_STORAGE_URI may name another
  shared store (e.g. redis://host:6379). memory:// counts per process only.
- Behind a reverse proxy set TRACKER_PROXY_COUNT (usually 1): the client
  address and https are then read from X-Forwarded-For / -Proto, which the
  throttling and the Secure/HSTS decisions rely on. Never set it when clients
  reach the app directly (they could forge those headers).
- Sessions: cookies HttpOnly, SameSite=Lax, Secure when TRACKER_BASE_URL is
  https (or TRACKER_SECURE_COOKIES=1); Flask-Login's "strong" session
  protection; the session is emptied on login (tracker/auth/views.py) so
  nothing from before the login — a planted value, an old CSRF token — lives on.
- Headers on every response: the Content-Security-Policy below (no inline
  script anywhere: templates use static files only; inline styles remain
  allowed), nosniff, Referrer-Policy, X-Frame-Options, Permissions-Policy,
  and HSTS when served over https.
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, flash, jsonify, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from . import ratelimit  # noqa: F401  (registers the trackerdb:// store before the limiter starts)
from .db import db
from .i18n import _, _l

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Templates carry style="" attributes and <style> blocks (reports, emails).
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        # The outbox shows an email's HTML in a sandboxed srcdoc frame (inherits this policy).
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000"

TOO_MANY_LOGINS = _l("เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป โปรดรอ {seconds} วินาทีแล้วลองใหม่")

limiter = Limiter(key_func=get_remote_address, strategy="moving-window")


def _login_limit() -> str:
    return current_app.config["TRACKER_LOGIN_RATE_LIMIT"]


def _login_failed(response: Response) -> bool:
    return response.status_code == 401


def _login_email() -> str:
    # Prefixed so an "email" can never collide with an address key; empty skips the limit.
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"email:{email}" if email else ""


#: Decorators for the login view: failed attempts per client address and per email.
limit_login_by_address = limiter.limit(_login_limit, methods=["POST"], deduct_when=_login_failed)
limit_login_by_email = limiter.limit(_login_limit, key_func=_login_email, methods=["POST"], deduct_when=_login_failed)


def retry_after_seconds() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRACKER_PROXY_COUNT") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from .extensions import login_manager

    login_manager.session_protection = "strong"
    limiter.init_app(app)

    https = app.config.get("TRACKER_BASE_URL", "").startswith("https://")

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if https or request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(exc: RateLimitExceeded):
        db.session.rollback()
        seconds = retry_after_seconds()
        message = TOO_MANY_LOGINS.format(seconds=seconds)
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            response = jsonify(error=message, status=429)
        elif request.endpoint == "auth.login":
            from .auth.forms import LoginForm  # the auth blueprint's own form, again with what was typed

            flash(message, "error")
            response = current_app.make_response(render_template("auth/login.html", form=LoginForm()))
        else:
            response = current_app.make_response(
                render_template("error.html", status=429, title=_("ลองใหม่ภายหลัง"), message=message)
            )
        response.status_code = 429
        response.headers["Retry-After"] = str(seconds)
        return response
