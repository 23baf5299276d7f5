"""iCalendar feeds of deadlines: valid for calendar clients, secret, renewable."""

from __future__ import annotations

from datetime import date

import icalendar
import pytest

from tracker.db import db
from tracker.notify.ical import fold
from tracker.notify.tokens import new_calendar_token
from tracker.plans.models import PlanStatus, StepStatus


def feed(client, token):
    return client.get(f"/calendar/{token}.ics")


@pytest.fixture
def palad_token(world):
    world.owner_palad.calendar_token = new_calendar_token()
    db.session.commit()
    return world.owner_palad.calendar_token


def test_a_user_feed_lists_the_department_deadlines_as_all_day_events(client, world, palad_token):
    response = feed(client, palad_token)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.data
    assert body.count(b"\r\n") == body.count(b"\n"), "every line ends with CRLF"
    assert all(len(line) <= 75 for line in body.split(b"\r\n")), "lines are folded at 75 octets"
    cal = icalendar.Calendar.from_ical(body)
    events = [e for e in cal.walk("VEVENT")]
    assert [e.decoded("DTSTART") for e in events] == [date(2023, 7, 31), date(2023, 8, 31), date(2023, 9, 29)]
    first = events[0]
    assert first.decoded("DTEND") == date(2023, 8, 1)
    assert str(first["UID"]) == f"step-{world.step(world.m1, 1).id}@127.0.0.1"
    assert "จัดทำประกาศแนวทางปฏิบัติ" in str(first["SUMMARY"])
    assert str(first["URL"]).endswith(f"/steps/{world.step(world.m1, 1).id}")


def test_assigned_steps_of_other_departments_are_in_the_user_feed(client, world, palad_token):
    world.step(world.m2, 2).assignee = world.owner_palad
    db.session.commit()
    cal = icalendar.Calendar.from_ical(feed(client, palad_token).data)
    assert len(list(cal.walk("VEVENT"))) == 4


def test_cancelled_steps_and_inactive_plans_are_left_out(client, world, palad_token):
    world.step(world.m1, 1).status = StepStatus.cancelled
    db.session.commit()
    assert len(list(icalendar.Calendar.from_ical(feed(client, palad_token).data).walk("VEVENT"))) == 2
    world.plan.status = PlanStatus.closed
    db.session.commit()
    assert list(icalendar.Calendar.from_ical(feed(client, palad_token).data).walk("VEVENT")) == []


def test_a_department_feed(client, world):
    world.strategy.calendar_token = new_calendar_token()
    db.session.commit()
    cal = icalendar.Calendar.from_ical(feed(client, world.strategy.calendar_token).data)
    assert [str(e["SUMMARY"]).split(" ", 2)[1] for e in cal.walk("VEVENT")] == ["2.1", "2.2"]


def test_unknown_tokens_and_inactive_users_get_404(client, world, palad_token):
    assert feed(client, "x" * 43).status_code == 404
    world.owner_palad.active = False
    db.session.commit()
    assert feed(client, palad_token).status_code == 404


def test_renewing_the_link_revokes_the_old_one(client, world, login, palad_token):
    login(world.owner_palad)
    assert client.post("/profile/calendar/renew").status_code == 302
    assert world.owner_palad.calendar_token != palad_token
    assert feed(client, palad_token).status_code == 404
    assert feed(client, world.owner_palad.calendar_token).status_code == 200
    page = client.get("/profile/calendar").get_data(as_text=True)
    assert f"/calendar/{world.owner_palad.calendar_token}.ics" in page


def test_only_admins_renew_department_links(client, world, login):
    login(world.owner_strategy)
    assert client.post(f"/calendar/departments/{world.strategy.id}/renew").status_code == 403
    login(world.admin)
    assert client.post(f"/calendar/departments/{world.strategy.id}/renew").status_code == 302
    assert world.strategy.calendar_token


def test_folding_never_splits_a_thai_character():
    line = "SUMMARY:" + "ดำเนินการ" * 30
    folded = fold(line).encode("utf-8")
    for part in folded.split(b"\r\n"):
        assert len(part) <= 75
        part.decode("utf-8")  # each physical line is valid UTF-8
    assert fold(line).replace("\r\n ", "") == line
