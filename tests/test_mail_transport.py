"""Mail transport: Flask-Mail 0.10 with its defects mended (notify/flask_mail_adapter.py), against a real SMTP server.

Display names are decoded with the RFC 2047 decoder (`email.header`):
Python's newer address parser (policy.default) keeps the folding space
between two adjacent encoded-words of a display name, which RFC 2047 §6.2
says to drop, so it would report a space that is not in the name. (The
standard library's own EmailMessage shows the same on a long Thai name.)
"""

from __future__ import annotations

import email.charset
import smtplib
import time
from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses

from conftest import NOW
from outbox_factory import THAI_HTML, THAI_TEXT, queue
from smtp_sink import refused_port

from tracker.db import db
from tracker.notify import mail
from tracker.notify.delivery import deliver
from tracker.notify.models import OutboxMessage, OutboxStatus


def display_name(raw_header: str) -> str:
    """The display name of a one-address header, decoded as RFC 2047 says."""
    [(name, _addr)] = getaddresses([raw_header])
    return str(make_header(decode_header(name)))


def _raw(raw: bytes, name: str) -> str:
    """A header's undecoded value, unfolded, straight from the bytes on the wire."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ")
    for line in unfolded.split("\r\n"):
        key, _, value = line.partition(":")
        if key.lower() == name.lower():
            return value.strip()
    raise KeyError(name)


def test_utf8_bodies_are_base64_again_after_importing_flask_mail():
    # flask_mail's import sets utf-8 bodies to 8-bit for the whole process;
    # our module puts the standard library's BASE64 back.
    import flask_mail  # noqa: F401

    assert email.charset.CHARSETS["utf-8"][1] == email.charset.BASE64


def test_thai_subject_names_and_both_parts_arrive_intact(ctx, mail_config, smtp_sink):
    name = "นางสาวสมศรี ใจดีมาก ผู้อำนวยการกองยุทธศาสตร์และงบประมาณ"
    [row] = queue(recipient="Somsri@Example.go.th", recipient_name=name)

    report = deliver(NOW)

    assert report.sent == [row.id] and not report.stopped
    [got] = smtp_sink.received
    assert got.rcpt_tos == ["somsri@example.go.th"]
    msg = got.message
    assert msg["Subject"] == row.subject
    assert display_name(_raw(got.raw, "To")) == name
    assert display_name(_raw(got.raw, "From")) == "ระบบติดตามมาตรการ ITA"
    assert msg["From"].addresses[0].addr_spec == "noreply@localhost"
    assert msg.get_body(("plain",)).get_content() == THAI_TEXT
    assert msg.get_body(("html",)).get_content() == THAI_HTML
    assert msg["Message-ID"] == row.message_id
    assert msg["Date"] == "Tue, 01 Aug 2023 08:00:00 +0700"  # queued at 08:00 Bangkok
    assert msg["Auto-Submitted"] == "auto-generated"
    # Nothing left as raw 8-bit text, every line far within RFC 5322's 998.
    assert got.raw.isascii()
    assert max(len(line) for line in got.raw.split(b"\r\n")) <= 100


def test_a_long_thai_html_line_is_delivered_and_decodes_exactly(ctx, mail_config, smtp_sink):
    html = (
        "<table><tr>"
        + "".join(f"<td>ขั้นตอนที่ {n} การดำเนินงานตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน</td>" for n in range(300))
        + "</tr></table>"
    )
    assert "\n" not in html and len(html.encode()) > 50_000
    [row] = queue(body_html=html)

    report = deliver(NOW)

    assert report.sent == [row.id]
    [got] = smtp_sink.received
    assert got.message.get_body(("html",)).get_content() == html


def test_the_sink_refuses_over_long_lines_like_a_real_server(smtp_sink):
    # What Flask-Mail's 8-bit bodies did to such a line: the sink must refuse
    # it, or the test above would prove nothing.
    line = ("การดำเนินงาน" * 200).encode()
    data = b"Subject: long\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + line
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as smtp:
        try:
            smtp.sendmail("a@example.go.th", ["b@example.go.th"], data)
        except smtplib.SMTPDataError as exc:
            refused = exc
        else:
            refused = None
    assert refused is not None and refused.smtp_code == 500 and b"Line too long" in refused.smtp_error
    assert smtp_sink.received == []


def test_a_silent_server_times_out_and_the_message_waits_for_the_next_try(app, ctx, mail_config, smtp_sink):
    app.config["MAIL_TIMEOUT"] = 1
    smtp_sink.hang(15)
    first, second = queue(2)

    started = time.monotonic()
    report = deliver(NOW)
    elapsed = time.monotonic() - started

    assert elapsed < 5, f"deliver blocked for {elapsed:.1f} s"
    assert report.retried == [first.id] and report.sent == []
    assert "timed out" in report.stopped
    db.session.expire_all()
    first, second = db.session.get(OutboxMessage, first.id), db.session.get(OutboxMessage, second.id)
    assert (first.status, first.attempts, first.next_attempt_at) == (
        OutboxStatus.pending,
        1,
        NOW + timedelta(minutes=2),
    )
    assert "timed out" in first.last_error and first.claimed_by is None
    # The batch stopped: the second message was not even tried.
    assert (second.status, second.attempts, second.last_error) == (OutboxStatus.pending, 0, None)
    assert smtp_sink.received == []

    smtp_sink.accept()
    assert deliver(NOW + timedelta(minutes=2)).sent == [second.id, first.id]
    assert smtp_sink.message_ids() == {first.message_id: 1, second.message_id: 1}


def test_a_refused_connection_gives_the_message_back_and_stops_the_batch(app, ctx, mail_config, smtp_sink):
    app.config["MAIL_PORT"] = refused_port()
    rows = queue(3)

    report = deliver(NOW)

    assert report.retried == [rows[0].id] and report.sent == [] and report.failed == []
    assert "ConnectionRefusedError" in report.stopped
    db.session.expire_all()
    states = [(r.status, r.attempts) for r in db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))]
    assert states == [(OutboxStatus.pending, 1), (OutboxStatus.pending, 0), (OutboxStatus.pending, 0)]

    app.config["MAIL_PORT"] = smtp_sink.port
    later = NOW + timedelta(minutes=2)
    assert sorted(deliver(later).sent) == [r.id for r in rows]
    assert sorted(smtp_sink.message_ids().values()) == [1, 1, 1]


def test_mail_settings_are_read_at_each_delivery(app):
    # Flask-Mail reads settings once at init_app; ours follow the config.
    saved = app.config["MAIL_SERVER"], app.config["MAIL_TIMEOUT"]
    try:
        app.config.update(MAIL_SERVER="mail.example.go.th", MAIL_TIMEOUT=7)
        with app.app_context():
            assert mail.server_configured()
            state = mail.settings()
            assert (state.server, state.timeout) == ("mail.example.go.th", 7.0)
            app.config["MAIL_SERVER"] = None
            assert not mail.server_configured()
    finally:
        app.config["MAIL_SERVER"], app.config["MAIL_TIMEOUT"] = saved
