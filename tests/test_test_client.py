"""The test client behaves like a browser against a server: each request runs in
its own app context (own session, own `g`), so a test sees only what a request
committed — a view that forgets to commit fails its test."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tracker.db import db


def test_a_committed_change_is_seen_by_the_test(world, login):
    client = login(world.manager)
    assert world.manager.thai_digits is False

    response = client.post("/profile", data={"action": "prefs", "thai_digits": "on"})

    assert response.status_code == 302
    assert world.manager.thai_digits is True


def test_a_change_the_view_does_not_commit_is_not_seen(world, login, monkeypatch):
    client = login(world.manager)
    # The view's commit only flushes: its change dies with the request's session.
    monkeypatch.setattr(Session, "commit", Session.flush)

    response = client.post("/profile", data={"action": "prefs", "thai_digits": "on"})

    assert response.status_code == 302
    assert world.manager.thai_digits is False


def test_the_test_must_commit_its_own_changes_before_a_request(world, login):
    client = login(world.manager)
    world.manager.display_name = "ยังไม่บันทึก"

    with pytest.raises(AssertionError, match="commit the test's changes"):
        client.get("/")
    db.session.rollback()
