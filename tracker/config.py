"""Configuration from TRACKER_* environment variables.

Every setting has an embedded default so that a fresh checkout runs with no
configuration at all: a SQLite file and a generated secret key in the
instance folder.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TRUE = {"1", "true", "yes", "on"}


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"TRACKER_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    raw = env(name)
    return default if raw is None or raw == "" else raw.strip().lower() in TRUE


def env_int(name: str, default: int) -> int:
    raw = env(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"TRACKER_{name} must be a whole number, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = env(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise SystemExit(f"TRACKER_{name} must be a positive number of seconds, got {raw!r}")
    return value


def secret_key(instance_path: Path) -> str:
    """TRACKER_SECRET_KEY, or one generated once and kept in the instance folder."""
    given = env("SECRET_KEY")
    if given:
        return given
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting together must end up with the same key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def database_url(instance_path: Path) -> str:
    url = env("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'tracker.sqlite3'}"
    return normalize_url(url)


def normalize_url(url: str) -> str:
    """Accept the common postgres:// spellings and pick psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load(instance_path: Path) -> dict:
    url = database_url(instance_path)
    upload_dir = env("UPLOAD_DIR") or str(instance_path / "evidence")
    base_url = (env("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    return {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        "TRACKER_BASE_URL": base_url,
        # The embedded default (SQLite) migrates itself; a server database
        # is upgraded by an operator with `tracker db upgrade`.
        "TRACKER_AUTO_MIGRATE": env_bool("AUTO_MIGRATE", url.startswith("sqlite")),
        "TRACKER_UPLOAD_DIR": upload_dir,
        "MAX_CONTENT_LENGTH": env_int("MAX_UPLOAD_MB", 20) * 1024 * 1024,
        "TRACKER_TIMEZONE": "Asia/Bangkok",
        # Cookies: Secure follows an https base URL unless TRACKER_SECURE_COOKIES says otherwise.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_bool("SECURE_COOKIES", base_url.startswith("https://")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env_bool("SECURE_COOKIES", base_url.startswith("https://")),
        # Security (tracker/security.py): failed logins allowed per client address
        # and per email, counted in the database every worker and host shares
        # (tracker/ratelimit.py) unless another store is named (redis://…).
        "TRACKER_LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT") or "10 per minute",
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI") or "trackerdb://",
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted.
        "TRACKER_PROXY_COUNT": env_int("PROXY_COUNT", 0),
        # Operations (tracker/ops): logs and /healthz.
        "TRACKER_LOG_LEVEL": (env("LOG_LEVEL") or "INFO").upper(),
        "TRACKER_LOG_FORMAT": (env("LOG_FORMAT") or "text").lower(),
        "TRACKER_HEALTH_MAX_BEAT_AGE": env_int("HEALTH_MAX_BEAT_AGE", 10),
        "WTF_CSRF_TIME_LIMIT": None,
        # werkzeug's password hash method; tests set a cheap one, production keeps scrypt.
        "TRACKER_PASSWORD_HASH_METHOD": "scrypt",
        # Mail (tracker/notify/mail.py). No server: messages are captured in
        # the outbox instead of sent, readable there and downloadable as .eml.
        "MAIL_SERVER": env("MAIL_SERVER") or None,
        "MAIL_PORT": env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": env("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER") or "ระบบติดตามมาตรการ ITA <noreply@localhost>",
        "MAIL_TIMEOUT": env_int("MAIL_TIMEOUT", 30),
        # LINE (tracker/line). The API's base URL is a setting so that a test
        # emulator can stand in; ACCESS_URL is where account linking is confirmed.
        "TRACKER_LINE_API_URL": (env("LINE_API_URL") or "https://api.line.me").rstrip("/"),
        "TRACKER_LINE_ACCESS_URL": (env("LINE_ACCESS_URL") or "https://access.line.me").rstrip("/"),
        "TRACKER_LINE_TIMEOUT": env_int("LINE_TIMEOUT", 10),
        # Key material for secrets stored in the database (LINE credentials); the
        # secret key when unset. Changing it makes the stored credentials unreadable.
        "TRACKER_ENCRYPTION_KEY": env("ENCRYPTION_KEY") or None,
        # TLS to the mail server is always verified; a private CA's PEM file to trust.
        "TRACKER_MAIL_CA_FILE": env("MAIL_CA_FILE") or None,
        # A sender's claim on a message lives this long without renewal (live
        # senders renew it every third of it): the sweeper frees it after that.
        "TRACKER_OUTBOX_LEASE_SECONDS": env_float("OUTBOX_LEASE_SECONDS", 600.0),
    }


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # Several processes (web, scheduler) share the file: wait for locks.
        return {"connect_args": {"timeout": 30}}
    # A database that stops answering must fail requests (and /healthz) in
    # seconds, not hang them for the operating system's TCP timeout.
    return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
