"""Bad input on the forms read by WTForms since issue 10 (GET filters and a few POSTs):
what the person sees is a Thai message (an error page, or the form again with
the message beside the field) with a 4xx, never a 500, and nothing changes.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import connect_line
from tracker.db import db
from tracker.line.models import LineChannel, NotificationChoice


def refused(response, *messages: str) -> str:
    page = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, page[:500])
    for message in messages:
        assert message in page, message
    return page


# -- GET filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, message",
    [
        ("department=abc", "ไม่พบหน่วยงานที่เลือก"),
        ("department=99999", "ไม่พบหน่วยงานที่เลือก"),
        ("department=" + "9" * 30, "ไม่พบหน่วยงานที่เลือก"),
        ("status=finished", "ไม่รู้จักสถานะ “finished”"),
        ("due=yesterday", "ไม่รู้จักตัวกรองวันครบกำหนด “yesterday”"),
        ("page=-1", "หน้าต้องเป็นตัวเลข: “-1”"),
        ("per_page=๑x", "จำนวนต่อหน้าต้องเป็นตัวเลข: “1x”"),
    ],
)
def test_the_dashboards_filters_refuse_what_they_cannot_use(world, login, query, message):
    refused(login(world.viewer).get(f"/plans/{world.plan.id}?{query}"), "ข้อมูลไม่ถูกต้อง", message)


def test_the_dashboards_filters_read_thai_digits_and_ignore_control_characters(world, login):
    client = login(world.viewer)
    page = client.get(f"/plans/{world.plan.id}?department={world.palad.id}&page=๑&q=%00ขั้น").get_data(as_text=True)
    assert re.search(rf'<option value="{world.palad.id}" selected>', page)
    assert 'name="q" type="search" value="ขั้น"' in page


def test_the_activity_page_refuses_an_unknown_department(world, login):
    refused(login(world.viewer).get(f"/plans/{world.plan.id}/activity?department=99999"), "ไม่พบหน่วยงานที่เลือก")


@pytest.mark.parametrize(
    "query, message",
    [("role=superuser", "ไม่รู้จักบทบาท “superuser”"), ("page=x", "หน้าต้องเป็นตัวเลข: “x”")],
)
def test_the_users_list_refuses_an_unknown_role_or_page(world, login, query, message):
    refused(login(world.admin).get(f"/admin/users?{query}"), message)


def test_the_outbox_refuses_a_bad_page(world, login):
    refused(login(world.admin).get("/admin/outbox?page=abc"), "หน้าต้องเป็นตัวเลข: “abc”")


@pytest.mark.parametrize(
    "query, message",
    [
        ("as_of=31/02/2566", "วันที่รายงาน: ไม่มีวันที่ 31 กุมภาพันธ์ 2566"),
        ("as_of=hello", "วันที่รายงาน: อ่านวันที่ไม่ได้"),
        ("round=7", "รอบรายงานต้องเป็น 6 หรือ 12 เดือน"),
        ("round=6&as_of=2023-08-01", "ไม่ตรงกับ"),
    ],
)
def test_the_report_controls_show_the_page_again_with_the_message(world, login, query, message):
    client = login(world.viewer)
    page = refused(client.get(f"/plans/{world.plan.id}/report?{query}"), message)
    assert 'id="as_of"' in page  # the controls are there to try again
    refused(client.get(f"/plans/{world.plan.id}/report.docx?{query}"), message)


def test_the_covering_memo_refuses_a_date_that_does_not_exist(world, login):
    response = login(world.admin).post(
        f"/plans/{world.plan.id}/report/cover", data={"as_of": "2023-03-31", "memo_date": "30/02/2566"}
    )
    refused(response, "วันที่ของบันทึก: ไม่มีวันที่ 30 กุมภาพันธ์ 2566")


def test_the_publish_page_shows_a_bad_date_from_a_link_beside_the_field(world, login):
    response = login(world.admin).get(f"/plans/{world.plan.id}/publish?as_of=31/02/2566")
    page = refused(response, "ไม่มีวันที่ 31 กุมภาพันธ์ 2566")
    assert re.search(r'<input[^>]*name="as_of"[^>]*value="31/02/2566"', page)


def test_submission_presets_from_a_link_are_checked_like_typed_ones(world, login):
    page = login(world.admin).get("/reports/submissions/new?kind=forged&as_of=31/02/2566&plan_id=abc")
    assert page.status_code < 500
    text = page.get_data(as_text=True)
    assert "ไม่มีวันที่ 31 กุมภาพันธ์ 2566" in text


def test_the_health_check_reads_strict_as_a_flag(client):
    assert client.get("/healthz?strict=maybe").status_code in (200, 503)


# -- POST forms ---------------------------------------------------------------------------------


LINE_SETTINGS = {
    "channel_id": "1657000000",
    "channel_secret": "",
    "access_token": "",
    "monthly_cap": "300",
    "default_reminder": "email",
    "default_overdue": "email",
    "default_digest": "email",
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"default_digest": "carrier-pigeon"}, "ช่องทางของ “"),
        ({"monthly_cap": "๓๐๐x"}, "เพดานจำนวนการส่งต่อเดือนต้องเป็นจำนวนเต็มบวก"),
        ({"monthly_cap": "0"}, "เพดานจำนวนการส่งต่อเดือนต้องเป็นจำนวนเต็มบวก"),
        ({"channel_id": "9" * 41}, "Channel ID: ยาวเกิน 40 ตัวอักษร"),
        ({"access_token": "x" * 1001}, "ยาวเกิน 1000 ตัวอักษร"),
    ],
)
def test_line_settings_refuse_bad_values_and_keep_the_account(world, login, line_emulator, change, message):
    connect_line(world.org, world.admin, line_emulator)
    before = db.session.scalars(sa.select(LineChannel)).one()
    cap, defaults = before.monthly_cap, dict(before.default_choices or {})
    page = refused(login(world.admin).post("/admin/line", data={**LINE_SETTINGS, **change}), "บันทึกไม่ได้", message)
    assert 'name="channel_id"' in page  # the form again
    db.session.expire_all()
    after = db.session.scalars(sa.select(LineChannel)).one()
    assert (after.monthly_cap, dict(after.default_choices or {})) == (cap, defaults)


def test_line_profile_refuses_a_forged_channel_and_keeps_the_choices(world, login, line_emulator):
    connect_line(world.org, world.admin, line_emulator)
    response = login(world.viewer).post(
        "/profile/line", data={"choice_reminder": "fax", "choice_overdue": "", "choice_digest": ""}
    )
    refused(response, "บันทึกไม่ได้", "ไม่ถูกต้อง")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationChoice)) == 0


def test_a_link_token_too_long_or_missing_is_refused(world, login, line_emulator):
    connect_line(world.org, world.admin, line_emulator)
    client = login(world.viewer)
    refused(client.get("/line/link?linkToken=" + "a" * 300), "ลิงก์เชื่อมบัญชี LINE ไม่ครบ")
    refused(client.post("/line/link", data={"linkToken": "bad token!"}), "ลิงก์เชื่อมบัญชี LINE ไม่ถูกต้อง")


def test_a_signing_password_too_long_is_refused(world, login):
    pytest.importorskip("pyhanko")
    response = login(world.admin).post("/admin/signing", data={"password": "x" * 1001})
    refused(response, "รหัสผ่านของไฟล์: ยาวเกิน 1000 ตัวอักษร")
