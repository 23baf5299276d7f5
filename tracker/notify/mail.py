"""The one way an outbox row becomes an email, over Flask-Mail.

The workarounds of Flask-Mail's bugs (no send timeout, 8-bit utf-8 bodies,
re-folded headers) live in `flask_mail_adapter`; this module builds on its
`Connection` and `Message`. `compose` writes an ordinary row's email directly,
byte for byte as that `Message` would (a tenth of the CPU), and hands any
other row to it.

TLS (MAIL_USE_TLS: STARTTLS; MAIL_USE_SSL: implicit TLS, port 465) always
verifies the server's certificate and name against the system's CAs
(Flask-Mail and smtplib, left alone, verify nothing). A server whose
certificate comes from a private CA is trusted by naming that CA's PEM file in
TRACKER_MAIL_CA_FILE. A failed verification stops the batch with a message
that says so (`describe_error`).

Flask-Mail reads its settings once, at `init_app`; the sender reads
`current_app.config` at each delivery instead (`settings()`), so a configured
server is used without a restart and tests can point the app at a sink.
"""

from __future__ import annotations

import functools
import hashlib
import smtplib
import ssl
from binascii import b2a_base64
from email.header import decode_header, make_header
from email.policy import EmailPolicy
from email.utils import format_datetime
from types import TracebackType
from typing import NamedTuple

import flask_mail
from flask import Flask, current_app

from ..i18n import _
from ..thaidate import BANGKOK
from . import flask_mail_adapter as adapter

DEFAULT_SENDER = "ระบบติดตามมาตรการ ITA <noreply@localhost>"

#: Kinds of message that carry a one-click unsubscribe (RFC 8058).
UNSUBSCRIBABLE_KINDS = ("digest_weekly", "digest_monthly")

mail = flask_mail.Mail()


def init_app(app: Flask) -> None:
    # Registers app.extensions["mail"], which flask_mail.Message reads while
    # it builds a message; sending goes through `connect()` below.
    mail.init_app(app)


def server_configured(app: Flask | None = None) -> bool:
    """False in the embedded default: delivery then captures instead of sending."""
    config = (app or current_app).config
    return bool((config.get("MAIL_SERVER") or "").strip())


def settings(app: Flask | None = None):
    """Flask-Mail's settings object, read from the config now (not at start-up)."""
    return adapter.settings((app or current_app).config)


def describe_error(exc: BaseException) -> str:
    """A transport error as the outbox shows it; a failed certificate check says what to do."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _(
            "ตรวจสอบใบรับรอง TLS ของเซิร์ฟเวอร์อีเมลไม่ผ่าน (%(exc_verify_message)s) ถ้าเซิร์ฟเวอร์ใช้ใบรับรองจาก CA ภายในองค์กร ให้ระบุไฟล์ CA ใน TRACKER_MAIL_CA_FILE",
            exc_verify_message=exc.verify_message,
        )
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class TimeoutConnection(adapter.Connection):
    """The adapter's connection (with its socket timeout), opened at the first message.

    Opening late makes a refused connection the failure of the message being
    sent (counted, backed off) rather than of the whole batch before it began.
    It never "suppresses" sending: not sending is what captured mode is for.
    """

    def __enter__(self) -> TimeoutConnection:
        self.host = None
        self.num_emails = 0
        return self

    def send(self, message: flask_mail.Message, envelope_from: str | tuple[str, str] | None = None) -> None:
        if self.host is None:
            self.host = self.configure_host()
        super().send(message, envelope_from)

    def send_bytes(self, envelope_from: str, recipients: list[str], data: bytes) -> None:
        """Send ready-made message bytes on the kept connection (what Flask-Mail's `send`
        does for a checked message, without building it again or its signal)."""
        if self.host is None:
            self.host = self.configure_host()
        self.host.sendmail(envelope_from, recipients, data)
        self.num_emails += 1
        if self.num_emails == self.mail.max_emails:  # MAIL_MAX_EMAILS: a fresh connection every N
            self.num_emails = 0
            self.host.quit()
            self.host = self.configure_host()

    def close(self, broken: bool = False) -> None:
        """QUIT politely, or just drop the socket when the server is gone or silent
        (QUIT would wait for another timeout)."""
        host, self.host = self.host, None
        if host is None:
            return
        if broken:
            host.close()
            return
        try:
            host.quit()
        except (smtplib.SMTPException, OSError):
            host.close()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(broken=exc_type is not None)


def connect(app: Flask | None = None) -> TimeoutConnection:
    """A connection to the configured server (opened on `with`)."""
    return TimeoutConnection(settings(app))


class _RawFetchPolicy(EmailPolicy):
    """The adapter's SMTP policy, but reading a header back gives its stored text, as
    compat32 does, instead of parsing it into a header object each time (the generator
    reads Content-Type several times per part: most of the CPU of building an email).
    Writing is unchanged, so are the bytes."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        return "".join(value.splitlines())


_WRITE_AS_ENCODED = _RawFetchPolicy(**adapter.SMTP_AS_ENCODED.__dict__)


class OutboxEmail(adapter.Message):
    """A Flask-Mail message whose bytes depend only on the outbox row.

    Message-ID and Date come from the row, and the MIME boundaries are derived
    from the Message-ID instead of being random, so the .eml an admin
    downloads is byte for byte what the server receives, and a resend is the
    same message.
    """

    def __init__(self, *args, date_header: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.date_header = date_header
        self._bytes: bytes | None = None

    def as_bytes(self) -> bytes:
        # The bytes depend only on the row, and delivery checks them before
        # Flask-Mail sends them: build them once (half the CPU of a delivery).
        if self._bytes is None:
            self._bytes = super().as_bytes()
        return self._bytes

    def _message(self):
        msg = super()._message()
        msg.policy = _WRITE_AS_ENCODED
        msg.replace_header("Date", self.date_header)
        seed = hashlib.sha256(self.msgId.encode()).hexdigest()
        for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
            part.set_boundary(f"=={seed[:24]}.{n}==")
        return msg

    def decoded_headers(self) -> list[tuple[str, str]]:
        """The top-level headers as a person reads them (RFC 2047 decoded)."""
        # raw_items: the values as written, not re-parsed by the policy (see the adapter).
        return [(name, str(make_header(decode_header(value)))) for name, value in self._message().raw_items()]


def _extra_headers(row) -> dict[str, str]:
    headers = {"Auto-Submitted": "auto-generated"}  # RFC 3834: no auto-replies to it
    if row.kind in UNSUBSCRIBABLE_KINDS and row.user_id is not None:
        from .tokens import unsubscribe_url

        headers["List-Unsubscribe"] = f"<{unsubscribe_url(row.user_id)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def _sender() -> str:
    return current_app.config.get("MAIL_DEFAULT_SENDER") or DEFAULT_SENDER


def _date_header(row) -> str:
    # The day it was queued, on the Bangkok clock the reader lives by.
    return format_datetime(row.created_at.astimezone(BANGKOK))


def build_email(row) -> OutboxEmail:
    """The email of an outbox row as a Flask-Mail message (what `compose` writes, byte for byte)."""
    message = OutboxEmail(
        subject=row.subject,
        recipients=[(row.recipient_name or "", row.recipient)],
        body=row.body_text,
        html=row.body_html or None,
        sender=_sender(),
        extra_headers=_extra_headers(row),
        date_header=_date_header(row),
    )
    message.msgId = row.message_id
    return message


class Composed(NamedTuple):
    """An email ready for SMTP: the envelope and the bytes of the message."""

    envelope_from: str
    recipients: list[str]
    data: bytes


def compose(row, *, check: bool = True) -> Composed:
    """The email of an outbox row, for sending and for the .eml download.

    Flask-Mail's message (`build_email`) goes through the standard library's
    MIME objects and generator: 1.5–2 ms per email, most of a sender's CPU.
    An ordinary row (one line of subject, one ASCII address) is written here
    directly in the same layout, from the same header encoders (Flask-Mail's
    `sanitize_subject`/`sanitize_address`, memoised: senders, people and
    subjects repeat); tests/test_mail_compose.py holds the two byte for byte
    equal. Any other row goes through Flask-Mail itself, and with `check` a
    line break where no header may have one raises BadHeaderError.
    """
    sender = _sender()
    name = row.recipient_name or ""
    if not _plain(row.subject, name, row.recipient, sender):
        message = build_email(row)
        if check and message.has_bad_headers():
            raise flask_mail.BadHeaderError("a line break in the subject or an address")
        return Composed(*envelope(message), message.as_bytes())
    from_, to = _address(sender), _address((name, row.recipient))
    headers = [
        ("Subject", _subject(row.subject)) if row.subject else None,
        ("From", from_),
        ("To", to),
        ("Date", _date_header(row)),
        ("Message-ID", row.message_id),
        *_extra_headers(row).items(),
    ]
    seed = hashlib.sha256(row.message_id.encode()).hexdigest()[:24]
    text = _text_part("plain", row.body_text)
    if row.body_html:
        outer, inner = f"=={seed}.0==", f"=={seed}.1=="
        alternative = (
            _header_lines([("Content-Type", f'multipart/alternative; boundary="{inner}"'), ("MIME-Version", "1.0")])
            + f"\r\n--{inner}\r\n{text}\r\n--{inner}\r\n{_text_part('html', row.body_html)}\r\n--{inner}--\r\n"
        )
        top = [("Content-Type", f'multipart/mixed; boundary="{outer}"'), ("MIME-Version", "1.0")]
        body = f"\r\n--{outer}\r\n{alternative}\r\n--{outer}--\r\n"
        data = _header_lines(top + [h for h in headers if h]) + body
    else:
        head, _, payload = text.partition("\r\n\r\n")
        data = head + "\r\n" + _header_lines([h for h in headers if h]) + "\r\n" + payload
    return Composed(from_, [to], data.encode("ascii"))


def _plain(subject: str, name: str, recipient: str, sender: str) -> bool:
    fields = (subject or "") + name + recipient + sender
    return "\n" not in fields and "\r" not in fields and recipient.isascii()


@functools.lru_cache(maxsize=4096)
def _address(address: str | tuple[str, str]) -> str:
    return flask_mail.sanitize_address(address)


@functools.lru_cache(maxsize=4096)
def _subject(subject: str) -> str:
    return flask_mail.sanitize_subject(subject)


def _header_lines(headers) -> str:
    # As the generator writes a stored value under refold_source="none": its own lines, CRLF.
    return "".join(name + ": " + "\r\n".join(value.splitlines()) + "\r\n" for name, value in headers)


def _text_part(subtype: str, text: str) -> str:
    """A text/* part in utf-8, base64 in lines of 76 (the charset the adapter registers)."""
    raw = text.encode("utf-8")
    lines = "".join(b2a_base64(raw[i : i + 57]).decode("ascii")[:-1] + "\r\n" for i in range(0, len(raw), 57))
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{lines}"
    )


def envelope(message: OutboxEmail) -> tuple[str, list[str]]:
    """MAIL FROM and RCPT TO of a message, as Flask-Mail's `send` gives them."""
    return flask_mail.sanitize_address(message.sender), list(flask_mail.sanitize_addresses(message.send_to))
