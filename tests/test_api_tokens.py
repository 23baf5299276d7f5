"""Personal API tokens: made and revoked on the user's own page, shown once, stored hashed, journaled."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tracker.api import tokens
from tracker.api.models import ApiToken
from tracker.db import db
from tracker.errors import PermissionDenied, ServiceError
from tracker.plans.models import JournalEntry

PAGE = "/profile/api-tokens"
SECRET = re.compile(r'value="(trk_[A-Za-z0-9_-]+)"')


def _create(client, name: str = "ตารางสรุปของกองคลัง"):
    return client.post(PAGE, data={"name": name})


def _secret(response) -> str:
    match = SECRET.search(response.get_data(as_text=True))
    assert match, "the new token is shown on the page"
    return match.group(1)


def _journal(action: str) -> list[JournalEntry]:
    return list(
        db.session.scalars(
            sa.select(JournalEntry).where(JournalEntry.entity == "api_token", JournalEntry.action == action)
        )
    )


def test_the_profile_page_links_to_the_token_page(world, login):
    page = login(world.owner_palad).get("/profile").get_data(as_text=True)
    assert f'href="{PAGE}"' in page


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(world, login):
    client = login(world.owner_palad)
    response = _create(client)
    assert response.status_code == 201
    secret = _secret(response)
    assert re.fullmatch(r"trk_[A-Za-z0-9_-]{40}", secret)
    assert "จะไม่แสดงโทเคนนี้อีก" in response.get_data(as_text=True)

    row = db.session.scalar(sa.select(ApiToken))
    assert row.user_id == world.owner_palad.id and row.name == "ตารางสรุปของกองคลัง"
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == secret[:12] and len(row.prefix) == 12
    stored = " ".join(str(value) for value in db.session.execute(sa.select(ApiToken.__table__)).one())
    assert secret not in stored and secret[12:] not in stored

    later = client.get(PAGE).get_data(as_text=True)
    assert secret not in later and secret[12:] not in later
    assert f"{row.prefix}…" in later and "ตารางสรุปของกองคลัง" in later and "ยังไม่เคยใช้" in later


def test_creating_is_journaled_without_the_secret(world, login):
    secret = _secret(_create(login(world.owner_palad)))
    [entry] = _journal("create")
    row = db.session.scalar(sa.select(ApiToken))
    assert (entry.entity_id, entry.actor_id, entry.organization_id, entry.new_value) == (
        row.id,
        world.owner_palad.id,
        world.org.id,
        "ตารางสรุปของกองคลัง",
    )
    assert entry.step_id is None and secret not in (entry.note or "")


def test_the_list_shows_when_a_token_was_last_used(client, world, login):
    secret = _secret(_create(login(world.viewer)))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    page = client.get(PAGE).get_data(as_text=True)
    assert "ยังไม่เคยใช้" not in page


def test_revoking_stops_the_token_and_is_journaled(client, world, login):
    secret = _secret(_create(login(world.owner_palad)))
    row = db.session.scalar(sa.select(ApiToken))
    response = client.post(f"{PAGE}/revoke", data={"token_id": row.id})
    assert response.status_code == 302
    assert "ยกเลิกโทเคน" in client.get(PAGE).get_data(as_text=True)
    assert row.revoked_at is not None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    [entry] = _journal("revoke")
    assert (entry.entity_id, entry.actor_id, entry.old_value) == (row.id, world.owner_palad.id, row.name)
    # A second revoke says so instead of pretending.
    client.post(f"{PAGE}/revoke", data={"token_id": row.id})
    assert "ถูกยกเลิกไปแล้ว" in client.get(PAGE).get_data(as_text=True)
    assert len(_journal("revoke")) == 1


def test_nobody_revokes_another_users_token(client, world, login):
    _secret(_create(login(world.owner_palad)))
    row = db.session.scalar(sa.select(ApiToken))
    response = login(world.admin).post(f"{PAGE}/revoke", data={"token_id": row.id})
    assert response.status_code == 404
    assert row.revoked_at is None
    assert "ตารางสรุปของกองคลัง" not in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize("token_id", ["", "abc", "0", "99999999999999999999", "9" * 5000, "๑", "²"])
def test_revoking_nothing_is_a_message_not_an_error(world, login, token_id):
    client = login(world.viewer)
    response = client.post(f"{PAGE}/revoke", data={"token_id": token_id})
    assert response.status_code == 302
    assert "ไม่พบโทเคนที่เลือก" in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize("name, words", [("", "โปรดตั้งชื่อ"), ("   ", "โปรดตั้งชื่อ"), ("ก" * 101, "ไม่เกิน 100")])
def test_a_token_needs_a_reasonable_name(world, login, name, words):
    response = _create(login(world.viewer), name)
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_token_forms_are_protected_against_csrf(world, login):
    client = login(world.viewer)
    assert client.post(PAGE, data={"name": "x", "csrf_token": "bad"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_token_page_needs_a_login(client, world):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_active_tokens_are_limited(ctx, world):
    for n in range(tokens.MAX_ACTIVE_TOKENS):
        tokens.create_token(world.viewer, f"t{n}", NOW)
    with pytest.raises(ServiceError, match="โปรดยกเลิกโทเคนที่ไม่ใช้ก่อน"):
        tokens.create_token(world.viewer, "one more", NOW)
    first = tokens.active_tokens(world.viewer)[0]
    tokens.revoke_token(first, world.viewer, NOW)
    tokens.create_token(world.viewer, "one more", NOW)


def test_a_deactivated_user_cannot_make_tokens(ctx, world):
    world.viewer.active = False
    with pytest.raises(PermissionDenied):
        tokens.create_token(world.viewer, "x", NOW)


def test_secrets_are_random_and_hashes_unique(ctx, world):
    made = {tokens.create_token(world.viewer, f"t{n}", NOW)[1] for n in range(5)}
    assert len(made) == 5
    hashes = set(db.session.scalars(sa.select(ApiToken.token_hash)))
    assert hashes == {tokens.hash_secret(s) for s in made}
