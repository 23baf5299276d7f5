"""Flask-Mail 0.10.0, mended: every workaround of its bugs, and nothing else.

Each workaround has a test in tests/test_flask_mail_adapter.py that shows the
bug on plain Flask-Mail. When that test fails, upstream has fixed the bug:
delete the workaround and its test (docs/notes.md, "Flask-Mail 0.10.0").

1. No send timeout (upstream issue #114): `Connection.configure_host` opens
   smtplib with `timeout=` (the settings' `timeout`, from MAIL_TIMEOUT), so a
   server that accepts and then says nothing cannot block a sender forever.
2. On import Flask-Mail registers utf-8 with 8-bit bodies for the whole
   process: a long Thai HTML line goes out as one line of kilobytes and real
   servers refuse it ("Line too long"; RFC 5321 allows 998 octets). utf-8 is
   registered again with BASE64 bodies, the standard library's own default.
3. Its `policy.SMTP` re-parses and re-folds the headers it has already
   RFC 2047-encoded and folded, and the address parser keeps the space
   between two encoded-words: long Thai display names arrive with spaces
   inside words. `Message` writes them as encoded (`refold_source="none"`).
"""

from __future__ import annotations

import smtplib
import ssl
from email import charset as _charset
from email import policy

import flask_mail

# 2. Right after `import flask_mail`, whose import set utf-8 bodies to 8-bit.
_charset.add_charset("utf-8", _charset.SHORTEST, _charset.BASE64, "utf-8")

#: 3. The SMTP policy without re-folding headers that are already encoded.
SMTP_AS_ENCODED = policy.SMTP.clone(refold_source="none")

#: 1. Seconds a socket operation may take when MAIL_TIMEOUT is not set.
DEFAULT_TIMEOUT = 30.0


def settings(config) -> flask_mail._MailMixin:
    """Flask-Mail's settings object for `config`, with the timeout it lacks."""
    state = flask_mail.Mail().init_mail(config)
    # Two settings Flask-Mail's object has no field for; Connection reads them with getattr.
    state.timeout = float(config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT)  # type: ignore[attr-defined]
    # A private CA's PEM file to trust (TRACKER_MAIL_CA_FILE); None: the system's CAs.
    state.ca_file = config.get("TRACKER_MAIL_CA_FILE") or None  # type: ignore[attr-defined]
    return state


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificate and host name verified (smtplib, left alone, verifies nothing); the system's CAs or `ca_file`."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class Connection(flask_mail.Connection):
    """1. Flask-Mail's connection, whose socket gives up after `mail.timeout` seconds."""

    def configure_host(self) -> smtplib.SMTP:
        m = self.mail
        timeout = getattr(m, "timeout", DEFAULT_TIMEOUT)
        context = tls_context(getattr(m, "ca_file", None)) if (m.use_ssl or m.use_tls) else None
        host: smtplib.SMTP
        if m.use_ssl:
            host = smtplib.SMTP_SSL(m.server, m.port, timeout=timeout, context=context)
        else:
            host = smtplib.SMTP(m.server, m.port, timeout=timeout)
        try:
            host.set_debuglevel(int(m.debug))
            if m.use_tls:
                host.starttls(context=context)
            if m.username and m.password:
                host.login(m.username, m.password)
        except BaseException:
            host.close()
            raise
        return host


class Message(flask_mail.Message):
    """3. Flask-Mail's message, its encoded headers written as they are."""

    def _message(self):
        msg = super()._message()
        msg.policy = SMTP_AS_ENCODED
        return msg
