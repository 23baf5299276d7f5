"""An outbox row's email is written directly (`mail.compose`), and its bytes are
exactly those of the Flask-Mail message the row describes (`mail.build_email`):
the same headers, encodings, boundaries and line breaks, for any text."""

from __future__ import annotations

import email
import smtplib
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from types import SimpleNamespace

import pytest
from flask import current_app
from flask_mail import BadHeaderError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.notify import mail

THAI = "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮะัาำิีึืุูเแโใไๅๆ็่้๊๋์๐๑๒๓๔๕๖๗๘๙"
#: Thai, ASCII (with RFC 5322 specials and encoded-word look-alikes), spaces, other scripts.
TEXT = st.text(alphabet=st.sampled_from(list(THAI) + list("Ab z09.,;:\"'()<>@[]=?_-\t") + ["é", "中", "😀"]))


def row(**fields) -> SimpleNamespace:
    values = dict(
        kind="reminder_due",
        user_id=7,
        subject="[ITA] แจ้งเตือน: ขั้นตอนครบกำหนดวันนี้ (3 รายการ) เทศบาลตำบลบ้านเป็ด",
        recipient_name="นางสาวสมหญิง ใจดี",
        recipient="somying@banpet.go.th",
        body_text="ขั้นตอนที่ ๓ ครบกำหนดวันที่ ๑๕ ส.ค. ๒๕๖๖\nกองยุทธศาสตร์และงบประมาณ\n",
        body_html="<p>ขั้นตอนที่ ๓ ครบกำหนด</p>\n" * 40,
        created_at=datetime(2026, 11, 30, 1, 30, tzinfo=UTC),
        message_id="<ita.reminder.1@banpet.example>",
    )
    values.update(fields)
    return SimpleNamespace(**values)


def flask_mail_bytes(r) -> tuple[str, list[str], bytes]:
    message = mail.build_email(r)
    return (*mail.envelope(message), message.as_bytes())


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"body_html": None},  # text only: one part, its headers first
        {"body_html": ""},
        {"body_text": "", "body_html": ""},
        {"body_text": ""},
        {"kind": "digest_weekly"},  # List-Unsubscribe, with its one-click twin
        {"kind": "digest_monthly", "user_id": None},  # nobody to unsubscribe
        {"subject": ""},  # no Subject header at all
        {"subject": "Plain ASCII " * 12},  # long ASCII: not encoded, not folded
        {"recipient_name": None},
        {"recipient_name": 'Smith, John "JJ"'},  # quoted
        {"recipient_name": "กองยุทธศาสตร์และงบประมาณ สำนักงานเทศบาลตำบลบ้านเป็ด อำเภอเมืองขอนแก่น"},
        {"body_text": "x" * 57 * 3},  # base64 lines exactly full
        {"body_text": "a\r\nb\rc\n\n"},
    ],
)
def test_compose_writes_what_flask_mail_builds(ctx, fields):
    r = row(**fields)
    assert mail.compose(r) == flask_mail_bytes(r)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subject=TEXT,
    name=TEXT,
    body=TEXT,
    html=st.none() | TEXT,
    kind=st.sampled_from(["reminder_due", "digest_weekly"]),
)
def test_compose_equals_flask_mail_for_any_text(ctx, subject, name, body, html, kind):
    r = row(subject=subject, recipient_name=name, body_text=body, body_html=html, kind=kind)
    assert mail.compose(r) == flask_mail_bytes(r)


def test_a_configured_sender_is_written_as_flask_mail_writes_it(ctx):
    current_app.config["MAIL_DEFAULT_SENDER"] = "เทศบาลตำบลบ้านเป็ด <ita@banpet.go.th>"
    try:
        r = row()
        composed = mail.compose(r)
        assert composed == flask_mail_bytes(r)
        assert composed.envelope_from.endswith("<ita@banpet.go.th>")
    finally:
        del current_app.config["MAIL_DEFAULT_SENDER"]


def test_what_a_mail_client_reads(ctx):
    composed = mail.compose(row())
    parsed = email.message_from_bytes(composed.data, policy=policy.default)
    assert str(parsed["Subject"]) == row().subject
    # RFC 2047 readers join adjacent encoded-words (the stdlib's address parser keeps a space: see the adapter).
    raw_to = email.message_from_bytes(composed.data)["To"]
    assert str(make_header(decode_header(raw_to))) == "นางสาวสมหญิง ใจดี <somying@banpet.go.th>"
    assert parsed["Message-ID"] == "<ita.reminder.1@banpet.example>"
    assert parsed["Date"] == "Mon, 30 Nov 2026 08:30:00 +0700"
    assert parsed.get_body(("plain",)).get_content() == row().body_text
    assert parsed.get_body(("html",)).get_content() == row().body_html
    assert max(len(line) for line in composed.data.split(b"\r\n")) <= 998  # RFC 5321
    # RCPT TO: the address smtplib takes out of the To header's value.
    assert [smtplib.quoteaddr(r) for r in composed.recipients] == ["<somying@banpet.go.th>"]


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "ครบกำหนด\nBcc: someone@else.example"},
        {"recipient_name": "สมหญิง\r\nBcc: someone@else.example"},
        {"recipient": "somying@banpet.go.th\nBcc: x@y"},
    ],
)
def test_a_line_break_in_a_header_is_refused_as_flask_mail_refuses_it(ctx, fields):
    r = row(**fields)
    assert mail.build_email(r).has_bad_headers()
    with pytest.raises(BadHeaderError):
        mail.compose(r)
    # The .eml of such a row can still be looked at: Flask-Mail's bytes, unchecked.
    assert mail.compose(r, check=False).data == mail.build_email(r).as_bytes()


def test_rows_outside_the_direct_path_are_flask_mails_own(ctx):
    # A non-ASCII address (IDN) and a folded subject: Flask-Mail builds them itself.
    for r in (row(recipient="somying@บ้านเป็ด.ไทย"), row(subject="ครบกำหนด\r\n วันนี้")):
        assert mail.compose(r) == flask_mail_bytes(r)
