"""Keyset paging of the API's long lists (issue 14): `next_after` → `after` walks a list
by its sort key, never by OFFSET, and a record added meanwhile shifts nothing."""

from __future__ import annotations

import sqlalchemy as sa

from tests.test_api import _message, api, frozen, other_org, token  # noqa: F401 (fixtures)
from tests.test_scale_guards import recording
from tracker.db import db
from tracker.notify.models import OutboxStatus
from tracker.plans.models import Step


def _walk(api, path, secret, **query):
    """Every page by next_after: the items' ids and the number of pages."""
    seen, after, pages = [], None, 0
    while True:
        body = api("GET", path, secret, query={**query, **({"after": after} if after else {})}).get_json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        after = body["next_after"]
        if after is None:
            assert body["next_offset"] is None
            return seen, pages


def test_steps_by_cursor_are_the_steps_by_offset_each_once(api, world, token):
    secret = token(world.viewer)
    seen, pages = _walk(api, "/steps", secret, limit=2)
    numbers = {s.id: s.number for s in db.session.scalars(sa.select(Step))}
    assert [numbers[i] for i in seen] == ["1.1", "1.2", "1.3", "2.1", "2.2"] and pages == 3
    by_offset = [s["id"] for s in api("GET", "/steps", secret, query={"limit": 50}).get_json()["items"]]
    assert seen == by_offset
    # Filters hold on every page.
    open_steps, _pages = _walk(api, "/steps", secret, limit=1, status="open")
    assert open_steps == [s["id"] for s in api("GET", "/steps", secret, query={"status": "open"}).get_json()["items"]]


def test_a_step_added_before_the_cursor_shifts_nothing(api, world, token):
    """With OFFSET a new step on an earlier page would repeat a step on the next page; by key it does not."""
    secret = token(world.viewer)
    first = api("GET", "/steps", secret, query={"limit": 2}).get_json()
    model = world.step(world.m1, 1)
    db.session.add(
        Step(
            measure=world.m1,
            order=0,
            title="ขั้นตอนที่เพิ่มระหว่างอ่าน",
            owner_department=model.owner_department,
            start_date=model.start_date,
            due_date=model.due_date,
        )
    )
    db.session.commit()
    rest, _pages = _walk(api, "/steps", secret, limit=2, after=first["next_after"])
    shown = [s["id"] for s in first["items"]] + rest
    assert len(shown) == len(set(shown)) == 5, "a step shown twice or missed"
    by_offset = api("GET", "/steps", secret, query={"limit": 2, "offset": 2}).get_json()["items"]
    assert by_offset[0]["id"] == first["items"][1]["id"]  # what OFFSET does: the second step again


def test_the_page_after_a_cursor_is_read_by_key_not_offset(app, api, world, token):
    secret = token(world.viewer)
    cursor = api("GET", "/steps", secret, query={"limit": 2}).get_json()["next_after"]
    with recording(db.engine) as seen:
        api("GET", "/steps", secret, query={"limit": 2, "after": cursor})
    listing = [(s, p) for s, p in seen if "FROM steps" in s and "ORDER BY" in s]
    assert len(listing) == 1, listing
    statement, parameters = listing[0]
    # Nothing skipped: no OFFSET (SQLite's dialect always writes one: it must be 0).
    assert "OFFSET" not in statement or list(parameters)[-1] == 0, (statement[-200:], parameters)
    assert "plans.organization_id >" in statement and "steps.id >" in statement


def test_bad_cursors_are_refused_with_a_message(api, world, token):
    secret = token(world.viewer)
    good = api("GET", "/steps", secret, query={"limit": 1}).get_json()["next_after"]
    for bad in ("xyz", "W10", "WyJhIl0", "x" * 201, "W1syXV0"):
        response = api("GET", "/steps", secret, query={"after": bad})
        assert response.status_code == 400, bad
    response = api("GET", "/steps", secret, query={"after": good, "offset": 1})
    assert response.status_code == 400 and "offset" in response.get_json()["error"]
    # An outbox cursor is not a steps cursor (a timestamp where a number belongs).
    assert api("GET", "/outbox", token(world.admin), query={"after": good}).status_code == 400


def test_the_outbox_by_cursor_newest_first(api, world, token, other_org):  # noqa: F811
    for n in range(1, 6):
        _message(world.org, n, OutboxStatus.failed if n % 2 else OutboxStatus.pending)
    _message(other_org["org"], 9)
    db.session.commit()
    secret = token(world.admin)
    everything = [m["id"] for m in api("GET", "/outbox", secret).get_json()["items"]]
    seen, pages = _walk(api, "/outbox", secret, limit=2)
    assert seen == everything and len(seen) == 5 and pages == 3
    failed, _pages = _walk(api, "/outbox", secret, limit=1, status="failed")
    assert len(failed) == 3 and failed == [i for i in everything if i in set(failed)]
