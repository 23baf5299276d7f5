"""The Flask-Mail workarounds, each next to a demonstration of the bug it works
around on plain Flask-Mail.

Every `test_upstream_*` asserts that the bug is still there. The day one of
them fails, Flask-Mail has fixed that bug: delete the matching workaround in
tracker/notify/flask_mail_adapter.py and the two tests here. The other test
of each pair shows what the workaround does.
"""

from __future__ import annotations

import email
import smtplib
import subprocess
import sys
from email import policy
from email.header import decode_header, make_header
from email.utils import getaddresses

import flask_mail
import pytest
from flask import Flask

from tracker.notify import flask_mail_adapter as adapter

#: Long enough that Flask-Mail folds it into several encoded-words.
LONG_THAI_NAME = "กองยุทธศาสตร์และงบประมาณ สำนักงานเทศบาลตำบลบ้านเป็ด อำเภอเมืองขอนแก่น จังหวัดขอนแก่น"


class _RecordingSMTP:
    """Stands in for smtplib.SMTP and remembers how it was opened."""

    opened: list[dict] = []

    def __init__(self, host, port, **kwargs):
        self.opened.append({"host": host, "port": port, **kwargs})

    def set_debuglevel(self, level):
        pass

    def close(self):
        pass


@pytest.fixture
def recording_smtp(monkeypatch):
    _RecordingSMTP.opened = []
    monkeypatch.setattr(smtplib, "SMTP", _RecordingSMTP)
    return _RecordingSMTP.opened


def _state(**config):
    return flask_mail.Mail().init_mail({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 2525, **config})


# -- 1. no send timeout (upstream issue #114) ------------------------------------------------


def test_upstream_flask_mail_opens_smtp_without_a_timeout(recording_smtp):
    flask_mail.Connection(_state()).configure_host()
    assert recording_smtp == [{"host": "127.0.0.1", "port": 2525}]  # no timeout: a silent server blocks forever


def test_the_adapter_opens_smtp_with_the_configured_timeout(recording_smtp):
    adapter.Connection(
        adapter.settings({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 2525, "MAIL_TIMEOUT": 7})
    ).configure_host()
    adapter.Connection(adapter.settings({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 2525})).configure_host()
    assert recording_smtp == [
        {"host": "127.0.0.1", "port": 2525, "timeout": 7.0},
        {"host": "127.0.0.1", "port": 2525, "timeout": adapter.DEFAULT_TIMEOUT},
    ]


# -- 2. 8-bit utf-8 bodies for the whole process ---------------------------------------------

_BODY_ENCODING_AFTER = """
import email.charset
{imports}
print(email.charset.CHARSETS["utf-8"][1])
"""


def _utf8_body_encoding(imports: str) -> int | None:
    # A fresh interpreter: this one has already imported the adapter.
    out = subprocess.run(
        [sys.executable, "-c", _BODY_ENCODING_AFTER.format(imports=imports)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return None if out == "None" else int(out)


def test_upstream_flask_mail_sets_utf8_bodies_to_8bit_on_import():
    assert _utf8_body_encoding("") == email.charset.BASE64
    assert _utf8_body_encoding("import flask_mail") is None  # None = 8bit: long lines unwrapped


def test_the_adapter_puts_base64_utf8_bodies_back():
    assert _utf8_body_encoding("import flask_mail\nimport tracker.notify.flask_mail_adapter") == email.charset.BASE64
    assert email.charset.CHARSETS["utf-8"][1] == email.charset.BASE64


# -- 3. re-folded encoded headers ------------------------------------------------------------


def _to_display_name(message_class) -> str:
    app = Flask("mail-bug")
    app.config["MAIL_SUPPRESS_SEND"] = True
    flask_mail.Mail(app)
    with app.app_context():
        message = message_class(
            "ทดสอบ", recipients=[(LONG_THAI_NAME, "palad@example.go.th")], body="x", sender="noreply@example.go.th"
        )
        raw = message.as_bytes()
    header = email.message_from_bytes(raw, policy=policy.compat32)["To"]
    [(name, address)] = getaddresses([header])
    assert address == "palad@example.go.th"
    return str(make_header(decode_header(name)))


def test_upstream_flask_mail_refolds_encoded_headers_and_splits_thai_words():
    got = _to_display_name(flask_mail.Message)
    assert got != LONG_THAI_NAME
    assert got.replace(" ", "") == LONG_THAI_NAME.replace(" ", "")  # same letters, spaces inside words


def test_the_adapter_keeps_a_long_thai_display_name_whole():
    assert _to_display_name(adapter.Message) == LONG_THAI_NAME
