"""The API's messages in the client's language: ``Accept-Language: en`` (or ``?lang=en``)
gives the English catalogue's words, anything else Thai."""

from __future__ import annotations

import pytest

from tests.conftest import NOW
from tracker.api import tokens
from tracker.db import db

THAI_401 = "ต้องส่งโทเคนใน Authorization: Bearer <token>"
ENGLISH_401 = "Send a token in Authorization: Bearer <token>"


@pytest.fixture
def bearer(world):
    _, secret = tokens.create_token(world.viewer, "สคริปต์ทดสอบ", NOW)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def error_of(response) -> str:
    assert response.mimetype == "application/json"
    return response.get_json()["error"]


@pytest.mark.parametrize(
    "headers, query, english",
    [
        ({}, "", False),
        ({"Accept-Language": "en"}, "", True),
        ({"Accept-Language": "en-US,en;q=0.9"}, "", True),
        ({"Accept-Language": "th-TH,th;q=0.9,en;q=0.8"}, "", False),
        ({"Accept-Language": "fr, de;q=0.5"}, "", False),
        ({}, "?lang=en", True),
        ({"Accept-Language": "en"}, "?lang=th", False),
    ],
)
def test_a_missing_token_is_said_in_the_clients_language(client, headers, query, english):
    response = client.get(f"/api/v1/steps{query}", headers=headers)
    assert response.status_code == 401
    assert error_of(response) == (ENGLISH_401 if english else THAI_401)
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_every_kind_of_error_follows_accept_language(client, bearer):
    english = {**bearer, "Accept-Language": "en"}
    unknown = client.get("/api/v1/organizations?stauts=done", headers=english)
    assert unknown.status_code == 400 and error_of(unknown) == "Unknown query parameters: stauts; known: none"
    assert error_of(client.get("/api/v1/organizations?stauts=done", headers=bearer)) == "ไม่รู้จักพารามิเตอร์ stauts"
    missing = client.get("/api/v1/steps/999999", headers=english)
    assert missing.status_code == 404 and error_of(missing) == "Not found"
    assert error_of(client.get("/api/v1/steps/999999", headers=bearer)) == "ไม่พบข้อมูล"
    bad = client.get("/api/v1/steps?status=finished", headers=english)
    assert bad.status_code == 400 and "status" in error_of(bad)
    assert not any("\u0e00" <= ch <= "\u0e7f" for ch in error_of(bad)), error_of(bad)


def test_accept_language_does_not_change_the_pages_language(client, world, login):
    page = login(world.viewer).get("/my-steps", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="th"' in page


@pytest.mark.parametrize(
    "body, thai, english",
    [
        ({"status": "finished"}, "status ต้องเป็นหนึ่งใน", "status must be one of"),
        ({}, "ต้องระบุ status", "status is required"),
        ({"status": "done", "when": "today"}, "ไม่รู้จักช่อง when", "Unknown fields: when"),
        ({"status": "done", "completed_on": "28/07/2566"}, "ต้องเป็นวันที่แบบ ค.ศ.", "must be an ISO 8601 date"),
    ],
)
def test_a_bad_body_is_said_in_thai_or_in_english(client, world, body, thai, english):
    _, secret = tokens.create_token(world.owner_palad, "สคริปต์ทดสอบ", NOW)
    db.session.commit()
    step = world.step(world.m1, 1)
    url, bearer = f"/api/v1/steps/{step.id}/status", {"Authorization": f"Bearer {secret}"}
    said_in_thai = error_of(client.post(url, json=body, headers=bearer, csrf=False))
    said_in_english = error_of(client.post(url, json=body, headers={**bearer, "Accept-Language": "en"}, csrf=False))
    assert thai in said_in_thai and english not in said_in_thai  # Thai only: no English beside it
    assert english in said_in_english and not any("\u0e00" <= ch <= "\u0e7f" for ch in said_in_english)
    assert step.status.value == "not_started"
