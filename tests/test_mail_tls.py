"""Mail over TLS: STARTTLS and implicit TLS against a real TLS SMTP server on
127.0.0.1 with a self-signed certificate. Verification is on by default: the
self-signed server is refused with a message that says why and what to set,
the message stays queued; naming the certificate (a private CA) in
TRACKER_MAIL_CA_FILE makes it trusted; a certificate for another host name is
refused even then.
"""

from __future__ import annotations

import pytest
from conftest import NOW
from outbox_factory import queue
from smtp_sink import SmtpSink, make_certificate

from tracker.db import db
from tracker.notify.delivery import deliver
from tracker.notify.models import OutboxMessage, OutboxStatus

#: Its module-scoped setup is built once: xdist keeps the module's tests on one worker.
pytestmark = pytest.mark.xdist_group("mail_tls")

MODES = {
    "starttls": {"MAIL_USE_TLS": True, "MAIL_USE_SSL": False},
    "implicit": {"MAIL_USE_TLS": False, "MAIL_USE_SSL": True},
}


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    return {
        "right": make_certificate(directory, "127.0.0.1", "localhost"),
        "other-host": make_certificate(directory, "mail.example.go.th"),
    }


@pytest.fixture(params=list(MODES))
def tls_sink(request, certificates, app):
    def start(which: str = "right", ca: str | None = None):
        sink = SmtpSink(tls=request.param, certificate=certificates[which])
        sink.start()
        started.append(sink)
        app.config.update(
            MAIL_SERVER=sink.host,
            MAIL_PORT=sink.port,
            MAIL_USERNAME=None,
            MAIL_PASSWORD=None,
            MAIL_TIMEOUT=5,
            TRACKER_MAIL_CA_FILE=str(certificates[ca][0]) if ca else None,
            **MODES[request.param],
        )
        return sink

    saved = {
        k: app.config.get(k)
        for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_TIMEOUT", "TRACKER_MAIL_CA_FILE")
    }
    started: list[SmtpSink] = []
    yield start
    for sink in started:
        sink.stop()
    app.config.update(saved)


def test_a_server_whose_certificate_is_trusted_gets_the_mail_over_tls(ctx, tls_sink):
    sink = tls_sink(ca="right")  # the private CA named in TRACKER_MAIL_CA_FILE
    rows = queue(2, now=NOW)

    report = deliver(NOW)

    assert report.sent == [r.id for r in rows] and report.stopped is None
    assert [m.tls for m in sink.received] == [True, True]
    assert set(sink.message_ids()) == {r.message_id for r in rows}


def test_an_unverified_certificate_is_refused_by_default_with_a_clear_message(ctx, tls_sink, runner):
    sink = tls_sink()  # self-signed, no TRACKER_MAIL_CA_FILE: the system's CAs do not know it
    [row] = queue(1, now=NOW)

    report = deliver(NOW)

    assert report.sent == [] and report.retried == [row.id]
    assert "ตรวจสอบใบรับรอง TLS ของเซิร์ฟเวอร์อีเมลไม่ผ่าน" in report.stopped and "TRACKER_MAIL_CA_FILE" in report.stopped
    db.session.expire_all()
    kept = db.session.get(OutboxMessage, row.id)
    assert kept.status is OutboxStatus.pending and kept.attempts == 1
    assert kept.last_error.startswith("ตรวจสอบใบรับรอง TLS ของเซิร์ฟเวอร์อีเมลไม่ผ่าน")
    assert "self-signed certificate" in kept.last_error
    assert sink.received == [] and sink.data_count == 0  # not a byte of the message went out

    result = runner.invoke(args=["deliver", "--now", "2023-08-02T10:00"])
    assert result.exit_code == 1 and "TRACKER_MAIL_CA_FILE" in result.output


def test_a_trusted_certificate_for_another_host_name_is_refused(ctx, tls_sink):
    sink = tls_sink("other-host", ca="other-host")
    [row] = queue(1, now=NOW)

    report = deliver(NOW)

    assert report.sent == [] and report.retried == [row.id]
    assert "ตรวจสอบใบรับรอง TLS ของเซิร์ฟเวอร์อีเมลไม่ผ่าน" in report.stopped and "mismatch" in report.stopped.lower()
    assert sink.received == []
