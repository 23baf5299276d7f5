"""Typed text is never lost (issue 11): a form sent after the session ended, with
an expired CSRF token or with a file over the limit is kept on the server and
comes back into the form on the page of the form (after the login when one is
needed). A page answering a form names the address a reload should ask for."""

from __future__ import annotations

import html
import io
import re

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, PASSWORD
from tracker import clock, drafts
from tracker.db import db
from tracker.drafts import FormDraft
from tracker.plans.models import JournalEntry

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def draft_rows() -> list[FormDraft]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(FormDraft)))


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, name
    return html.unescape(found.group(1)).strip()


def test_a_note_sent_after_logging_out_elsewhere_comes_back_after_the_login(world, client, login):
    step = world.step(world.m1, 1)
    login(world.owner_palad)
    token = client.csrf_token()
    client.post("/logout")  # in another tab

    note = "ประชุมคณะทำงานครั้งที่ 2 แล้ว สรุปร่างคู่มือได้ 80%"
    response = client.post(f"/steps/{step.id}/comment", data={"comment": note, "csrf_token": token})
    assert response.status_code == 302
    assert response.location == f"/login?next=/steps/{step.id}"  # the page, not the POST-only form
    [row] = draft_rows()
    assert row.action == f"/steps/{step.id}/comment" and row.page == f"/steps/{step.id}" and note in row.fields
    assert "csrf_token" not in row.fields
    assert "หมดเวลาการเข้าสู่ระบบ" in client.get("/login").get_data(as_text=True)

    back = client.post(f"/login?next=/steps/{step.id}", data={"email": world.owner_palad.email, "password": PASSWORD})
    assert back.status_code == 302 and back.location.endswith(f"/steps/{step.id}")
    page = client.get(f"/steps/{step.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert textarea(text, "note") == note
    assert "ใส่ข้อความที่คุณพิมพ์ไว้กลับในแบบฟอร์มแล้ว" in text
    assert draft_rows() == []  # given back once
    assert textarea(client.get(f"/steps/{step.id}").get_data(as_text=True), "note") == ""
    # Nothing was saved behind the user's back.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == 0


def test_an_expired_form_of_a_logged_in_user_goes_back_to_its_page_with_the_text(world, login):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    response = client.post(
        f"/steps/{step.id}/status",
        data={"status": "cancelled", "cancel_reason": "รวมกับขั้นตอนที่ 2", "csrf_token": "expired"},
        headers={**ORIGIN, "Referer": f"http://localhost/steps/{step.id}"},
    )
    assert response.status_code == 303 and response.location == f"/steps/{step.id}"
    page = client.get(f"/steps/{step.id}").get_data(as_text=True)
    assert "แบบฟอร์มหมดอายุ" in page
    assert 'value="รวมกับขั้นตอนที่ 2"' in page
    assert re.search(r'value="cancelled"[^>]*checked|checked[^>]*value="cancelled"', page)


def test_an_expired_session_and_form_goes_through_the_login(world, app):
    step = world.step(world.m1, 1)
    client = app.test_client()  # no session at all: the token cannot be checked
    response = client.post(
        f"/steps/{step.id}/comment", data={"comment": "บันทึกยาว " * 500, "csrf_token": "old"}, headers=ORIGIN
    )
    assert response.status_code == 303 and "/login?next=" in response.location
    assert len(response.headers.get("Set-Cookie", "")) < 1000  # the text is in the database, not the cookie
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post(
        f"/login?next=/steps/{step.id}",
        data={"email": world.owner_palad.email, "password": PASSWORD, "csrf_token": token},
    )
    assert textarea(client.get(f"/steps/{step.id}").get_data(as_text=True), "note").startswith("บันทึกยาว")


def test_a_forged_cross_site_form_keeps_nothing(world, login):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    response = client.post(
        f"/steps/{step.id}/comment",
        data={"comment": "จากเว็บอื่น", "csrf_token": "forged"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 400
    assert draft_rows() == []


def test_a_draft_is_only_for_its_author(world, app, client, login):
    step = world.step(world.m1, 1)
    login(world.owner_palad)
    client.post(f"/steps/{step.id}/comment", data={"comment": "ของสำนักปลัด", "csrf_token": "expired"}, headers=ORIGIN)
    assert len(draft_rows()) == 1
    login(world.admin)  # another person on the same browser
    assert "ของสำนักปลัด" not in client.get(f"/steps/{step.id}").get_data(as_text=True)


def test_passwords_are_never_kept(world, login):
    client = login(world.admin)
    client.post(
        f"/admin/users/{world.viewer.id}/password",
        data={"new_password": "ลับมาก-2566", "new_password_confirm": "ลับมาก-2566", "csrf_token": "expired"},
        headers=ORIGIN,
    )
    assert all("ลับมาก" not in row.fields for row in draft_rows())


def test_a_file_over_the_limit_gets_the_products_page_and_the_other_fields_are_kept(world, login, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    response = client.post(
        f"/steps/{step.id}/evidence",
        data={
            "kind": "file",
            "public": "1",
            "note": "ภาพถ่ายการประชุม",
            "file": (io.BytesIO(PDF + b"0" * 70_000), "ใหญ่.pdf"),
        },
        content_type="multipart/form-data",
        headers={**ORIGIN, "Referer": f"http://localhost/steps/{step.id}"},
    )
    assert response.status_code == 413
    page = html.unescape(response.get_data(as_text=True))
    assert "ไฟล์ใหญ่เกิน 0 MB" in page or "ไฟล์ใหญ่เกิน" in page
    assert f'href="/steps/{step.id}"' in page and "ข้อมูลอื่นที่กรอกไว้ยังอยู่" in page
    [row] = draft_rows()
    assert "ภาพถ่ายการประชุม" in row.fields and "ใหญ่.pdf" not in row.fields


def test_the_file_input_names_the_limit_for_the_browser(world, login, app):
    page = login(world.owner_palad).get(f"/steps/{world.step(world.m1, 1).id}").get_data(as_text=True)
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert re.search(rf'<input[^>]*type="file"[^>]*data-max-bytes="{limit}"', page) or re.search(
        rf'<input[^>]*data-max-bytes="{limit}"[^>]*type="file"', page
    )
    assert "data-msg-too-large" in page and "app.js" in page


def test_a_page_answering_a_form_tells_the_browser_to_reload_by_get(world, login):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    refused = client.post(f"/steps/{step.id}/status", data={"status": "cancelled"})
    assert refused.status_code == 400
    assert f'data-reload-url="/steps/{step.id}"' in refused.get_data(as_text=True)
    assert "data-reload-url" not in client.get(f"/steps/{step.id}").get_data(as_text=True)


def test_the_page_of_a_form(app):
    with app.test_request_context():
        assert drafts.page_of("/steps/13/comment") == "/steps/13"
        assert drafts.page_of("/steps/13/evidence") == "/steps/13"
        assert drafts.page_of("/admin/plans/5") == "/admin/plans/5"
        # The delete asks first (a confirmation page at its own address): that page is the form's page.
        assert drafts.page_of("/evidence/4/delete") == "/evidence/4/delete"
        assert drafts.page_of("/nowhere/at/all") == "/"


def test_a_follow_up_result_sent_after_the_session_ended_comes_back(world, client, login):
    measure = world.m1
    login(world.owner_palad)
    token = client.csrf_token()
    client.post("/logout")
    url = f"/measures/{measure.id}/result"
    response = client.post(url, data={"value": "1,250", "unit": "ครั้ง", "note": "สรุปผลไตรมาส 3", "csrf_token": token})
    assert response.location == f"/login?next={url}"
    client.post(f"/login?next={url}", data={"email": world.owner_palad.email, "password": PASSWORD})
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert 'value="1,250"' in page and 'value="ครั้ง"' in page and textarea(page, "note") == "สรุปผลไตรมาส 3"


def test_a_reload_keeps_the_query_of_a_page_that_posts_to_itself(app, world, client):
    response = client.post("/login?next=/my-steps", data={"email": world.admin.email, "password": "wrong"})
    assert response.status_code == 401
    assert 'data-reload-url="/login?next=/my-steps"' in html.unescape(response.get_data(as_text=True))
