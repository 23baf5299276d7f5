"""/healthz: reachable without login, JSON of counts and ages only, 503 when
this host cannot serve (database down) and — when asked strictly — when the
scheduler has stopped beating.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import requests

from tracker import create_app
from tracker.clock import utcnow
from tracker.db import db
from tracker.notify.models import OutboxMessage, OutboxStatus, SchedulerBeat
from tracker.notify.outbox import enqueue


def _beat(ago: timedelta, name: str = "host:1") -> None:
    db.session.add(SchedulerBeat(name=name, beat_at=utcnow() - ago))


def _message(world, status: OutboxStatus, created_ago: timedelta, n: int) -> OutboxMessage:
    row = enqueue(
        organization_id=world.org.id,
        about=f"org:{world.org.id}",
        kind="reminder",
        for_date=date(2023, 8, n),
        recipient=f"secret.person{n}@example.go.th",
        subject=f"หัวเรื่องลับ {n}",
        body_text="เนื้อหาภายใน",
        body_html="<p>เนื้อหาภายใน</p>",
    )
    row.status = status
    row.created_at = utcnow() - created_ago
    return row


def test_a_healthy_instance_answers_200_with_counts_and_ages_only(app, world, client):
    _beat(timedelta(seconds=30), "web:1")
    _beat(timedelta(hours=3), "old-host:9")  # the newest beat counts
    _message(world, OutboxStatus.pending, timedelta(minutes=5), 1)
    _message(world, OutboxStatus.pending, timedelta(minutes=90), 2)
    _message(world, OutboxStatus.failed, timedelta(days=1), 3)
    _message(world, OutboxStatus.sent, timedelta(days=2), 4)
    db.session.commit()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok" and body["database"]["latency_ms"] >= 0
    assert body["scheduler"]["status"] == "ok"
    assert 25 <= body["scheduler"]["age_seconds"] <= 120
    assert body["scheduler"]["max_age_seconds"] == 600
    assert body["outbox"]["pending"] == 2 and body["outbox"]["failed"] == 1 and body["outbox"]["sending"] == 0
    assert 90 * 60 <= body["outbox"]["oldest_pending_age_seconds"] <= 90 * 60 + 120
    text = response.get_data(as_text=True)
    for secret in (
        "secret.person",
        "หัวเรื่องลับ",
        "เนื้อหาภายใน",
        app.config["SECRET_KEY"],
        app.config["SQLALCHEMY_DATABASE_URI"],
        world.org.slug,
        "old-host",
        "web:1",
    ):
        assert secret not in text


def test_a_stale_scheduler_degrades_but_serves_unless_strict(app, world, client):
    _beat(timedelta(minutes=11))
    db.session.commit()

    relaxed = client.get("/healthz")
    strict = client.get("/healthz?strict=1")

    assert relaxed.status_code == 200
    assert relaxed.get_json()["status"] == "degraded"
    assert relaxed.get_json()["scheduler"]["status"] == "stale"
    assert strict.status_code == 503 and strict.get_json()["scheduler"]["status"] == "stale"


def test_the_allowed_beat_age_is_configurable(app, world, client, monkeypatch):
    _beat(timedelta(minutes=11))
    db.session.commit()
    monkeypatch.setitem(app.config, "TRACKER_HEALTH_MAX_BEAT_AGE", 15)

    response = client.get("/healthz?strict=1")

    assert response.status_code == 200
    scheduler = response.get_json()["scheduler"]
    assert (scheduler["status"], scheduler["max_age_seconds"]) == ("ok", 900)
    assert 11 * 60 <= scheduler["age_seconds"] < 15 * 60


def test_a_scheduler_that_never_ran_is_reported_as_never(app, client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["scheduler"] == {"status": "never", "last_beat_at": None, "age_seconds": None, "max_age_seconds": 600}
    assert body["outbox"] == {"pending": 0, "oldest_pending_age_seconds": None, "sending": 0, "failed": 0}
    assert client.get("/healthz?strict=1").status_code == 503


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-folder-for-health/sub/tracker.sqlite3",
        "postgresql://tracker:pw-must-not-leak@127.0.0.1:1/tracker",
    ],
    ids=["sqlite-unopenable", "postgresql-refused"],
)
def test_an_unreachable_database_gives_503_without_details(app, url):
    broken = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})

    response = broken.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "down",
        "checked_at": response.get_json()["checked_at"],
        "database": {"status": "unreachable"},
    }
    text = response.get_data(as_text=True)
    assert "pw-must-not-leak" not in text and "nonexistent-folder" not in text and "1/tracker" not in text


def test_a_database_without_the_schema_gives_503(app, tmp_path):
    empty = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})

    response = empty.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["status"] == "down" and response.get_json()["database"] == {"status": "error"}


def test_healthz_from_outside_needs_no_login_and_no_cookie(app, live_server):
    with app.app_context():
        _beat(timedelta(seconds=5))
        db.session.commit()

    response = requests.get(f"{live_server}/healthz", timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.text)["status"] == "ok"
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Request-ID"]
