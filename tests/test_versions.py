"""Stale tabs (issue 11): every edit of a step, measure, plan, user or follow-up
result carries the version it was made from. A save made from an older version
is refused with HTTP 409: the page lists who changed what meanwhile (from → to)
above the form, which keeps what was typed and now carries the current version,
so sending it again saves it. The API answers 409 with the same facts, gives
ETags and honours If-Match (412)."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from tests.conftest import NOW
from tracker import clock, versions
from tracker.api import tokens
from tracker.auth.models import User
from tracker.db import db
from tracker.plans import results, services, structure
from tracker.plans.models import JournalEntry, Measure, MeasureResult, Plan, Step, StepStatus


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def other_tab(app, user):
    """A second browser tab… of another person: its own client, logged in."""
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": "demo-pass-2566"}).status_code == 302
    return client


def version_in(page: str, action: str) -> str:
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, action
    found = re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"', form.group(0))
    assert found, "no version field in the form"
    return found.group(1)


def reload(record):
    db.session.rollback()
    return db.session.get(type(record), record.id)


# -- the story of the issue: tab A marks done, tab B still shows "ยังไม่เริ่ม" -----------------


def test_a_stale_status_change_is_refused_with_what_changed_and_the_typed_text_kept(app, world, login):
    step = world.step(world.m1, 1)
    tab_b = login(world.owner_palad)
    page = tab_b.get(f"/steps/{step.id}").get_data(as_text=True)
    seen = version_in(page, f"/steps/{step.id}/update")
    assert seen == "1"

    tab_a = other_tab(app, world.admin)
    assert tab_a.post(f"/steps/{step.id}/status", data={"status": "done", "note": "ประกาศแล้ว"}).status_code == 302

    typed = "เริ่มร่างคู่มือแล้ว รอหัวหน้าตรวจ"
    response = tab_b.post(f"/steps/{step.id}/status", data={"status": "in_progress", "note": typed, "version": seen})
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    box = page.split('id="conflict"', 1)[1].split("</section>", 1)[0]
    assert "มีผู้บันทึกข้อมูลนี้ก่อนคุณ" in box
    assert "ผู้ดูแล" in box  # who
    assert "ยังไม่เริ่ม" in box and "ดำเนินการแล้ว" in box  # from → to
    assert "ประกาศแล้ว" in box  # their note
    assert "<time" in box  # when
    # The form keeps the text and the choice, and now carries the current version.
    assert typed in page
    assert re.search(r'<input[^>]*checked[^>]*value="in_progress"|<input[^>]*value="in_progress"[^>]*checked', page)
    assert version_in(page, f"/steps/{step.id}/update") == "2"
    assert reload(step).status is StepStatus.done

    # One click: the same form sent again saves what was typed.
    again = tab_b.post(f"/steps/{step.id}/status", data={"status": "in_progress", "note": typed, "version": "2"})
    assert again.status_code == 302
    step = reload(step)
    assert step.status is StepStatus.in_progress and step.version == 3
    assert (
        db.session.scalar(
            sa.select(JournalEntry.note).where(JournalEntry.step_id == step.id).order_by(JournalEntry.id.desc())
        )
        == typed
    )


def test_a_note_or_evidence_meanwhile_is_no_conflict(world, login):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    seen = version_in(client.get(f"/steps/{step.id}").get_data(as_text=True), f"/steps/{step.id}/update")
    client.post(f"/steps/{step.id}/comment", data={"comment": "โทรประสานแล้ว"})
    response = client.post(f"/steps/{step.id}/status", data={"status": "in_progress", "version": seen})
    assert response.status_code == 302


def test_a_form_without_a_version_is_not_checked(world, login):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    for status in ("in_progress", "not_started"):
        assert client.post(f"/steps/{step.id}/status", data={"status": status, "version": "x"}).status_code == 302


# -- the admin forms and the follow-up result --------------------------------------------------


def test_a_stale_measure_edit_is_refused_and_sent_again_saves_it(app, world, login):
    measure = world.m1
    client = login(world.admin)
    seen = version_in(
        client.get(f"/admin/measures/{measure.id}").get_data(as_text=True), f"/admin/measures/{measure.id}"
    )
    with app.app_context():
        m = db.session.get(Measure, measure.id)
        structure.edit_measure(m, db.session.get(User, world.manager.id), NOW, title="ชื่อที่ปลัดแก้")
        db.session.commit()
    form = {
        "title": "ชื่อที่ผู้ดูแลพิมพ์",
        "owner_department": str(world.palad.id),
        "period_start": "01/07/2566",
        "period_end": "30/09/2566",
        "follow_up": "ประกาศแนวทางปฏิบัติ",
        "version": seen,
    }
    response = client.post(f"/admin/measures/{measure.id}", data=form)
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert "ชื่อที่ปลัดแก้" in page and "ปลัด" in page and "ชื่อที่ผู้ดูแลพิมพ์" in page
    form["version"] = version_in(page, f"/admin/measures/{measure.id}")
    assert client.post(f"/admin/measures/{measure.id}", data=form).status_code == 302
    assert reload(measure).title == "ชื่อที่ผู้ดูแลพิมพ์"


def test_stale_plan_step_and_user_edits_are_refused(app, world, login):
    client = login(world.admin)
    plan, step, user = world.plan, world.step(world.m1, 2), world.viewer
    pages = {
        "plan": f"/admin/plans/{plan.id}",
        "step": f"/admin/steps/{step.id}",
        "user": f"/admin/users/{user.id}",
    }
    seen = {name: version_in(client.get(url).get_data(as_text=True), url) for name, url in pages.items()}
    with app.app_context():
        actor = db.session.get(User, world.manager.id)
        structure.edit_plan(db.session.get(Plan, plan.id), actor, NOW, title="แผนที่แก้แล้ว")
        services.edit_step(db.session.get(Step, step.id), actor, NOW, title="ขั้นตอนที่แก้แล้ว")
        from tracker.auth import services as user_services

        user_services.edit_user(db.session.get(User, user.id), actor, NOW, display_name="ชื่อใหม่")
        db.session.commit()
    forms = {
        "plan": {"title": "แผนของฉัน", "status": "active"},
        "step": {
            "title": "ขั้นตอนของฉัน",
            "owner_department": str(world.palad.id),
            "start_date": "01/07/2566",
            "due_date": "31/08/2566",
        },
        "user": {"display_name": "ชื่อของฉัน", "position": "", "role": "viewer", "department": "", "active": "y"},
    }
    for name, url in pages.items():
        response = client.post(url, data={**forms[name], "version": seen[name]})
        assert response.status_code == 409, name
        page = html.unescape(response.get_data(as_text=True))
        assert "มีผู้บันทึกข้อมูลนี้ก่อนคุณ" in page and "ปลัด" in page, name
        assert version_in(page, url) == "2", name
    assert reload(plan).title == "แผนที่แก้แล้ว"


def test_a_stale_follow_up_result_is_refused(app, world, login):
    measure = world.m1
    client = login(world.owner_palad)
    url = f"/measures/{measure.id}/result"
    seen = version_in(client.get(url).get_data(as_text=True), url)
    assert seen == "0"  # none yet: one saved meanwhile is not overwritten unseen
    with app.app_context():
        results.set_result(db.session.get(Measure, measure.id), db.session.get(User, world.admin.id), NOW, value="12")
        db.session.commit()
    response = client.post(url, data={"value": "15", "unit": "ครั้ง", "note": "", "version": seen})
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert "ผู้ดูแล" in page and "12" in page
    assert client.post(url, data={"value": "15", "unit": "ครั้ง", "note": "", "version": "1"}).status_code == 302
    assert db.session.scalar(sa.select(MeasureResult.version).where(MeasureResult.measure_id == measure.id)) == 2


# -- the versions themselves -------------------------------------------------------------------


def test_each_edit_moves_the_version_and_the_journal_notes_it(world):
    step = world.step(world.m1, 1)
    services.change_status(step, "in_progress", world.owner_palad, NOW)
    services.edit_step(step, world.admin, NOW, title="ใหม่", due_date=step.due_date)
    services.add_comment(step, world.owner_palad, "บันทึก", NOW)
    db.session.commit()
    assert step.version == 3
    entries = db.session.execute(
        sa.select(JournalEntry.action, JournalEntry.entity_version).where(JournalEntry.step_id == step.id)
    ).all()
    assert [tuple(e) for e in entries] == [("status", 2), ("edit", 3), ("comment", 3)]
    assert [e.action for e in versions.changes_since(step, 1)] == ["status", "edit"]
    with pytest.raises(versions.Stale) as caught:
        versions.check(step, 2)
    assert caught.value.current == 3 and [e.field for e in caught.value.changes] == ["title"]


def test_two_saves_racing_meet_the_row_version(world):
    step = world.step(world.m1, 1)
    # Another worker saved in between: the row is at version 2, this session still holds 1.
    db.session.execute(
        sa.update(Step).where(Step.id == step.id).values(version=2), execution_options={"synchronize_session": False}
    )
    step.title = "ช้าไปหนึ่งก้าว"
    versions.bump(step)
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()


def test_a_login_is_no_edit_of_the_user(world, login):
    login(world.owner_palad)
    assert reload(world.owner_palad).version == 1


# -- the API -------------------------------------------------------------------------------------


@pytest.fixture
def api(world, client):
    _, secret = tokens.create_token(world.owner_palad, "test", NOW)
    db.session.commit()

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {secret}", **kwargs.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method, headers=headers, csrf=False, **kwargs)

    return call


def test_the_api_gives_etags_and_honours_if_match(world, api):
    step = world.step(world.m1, 1)
    got = api("GET", f"/steps/{step.id}")
    assert got.headers["ETag"] == '"1"' and got.get_json()["version"] == 1
    assert api("GET", f"/plans/{world.plan.id}").headers["ETag"] == '"1"'
    assert api("GET", f"/measures/{world.m1.id}").headers["ETag"] == '"1"'

    done = api(
        "POST", f"/steps/{step.id}/status", json={"status": "done", "note": "ประกาศแล้ว"}, headers={"If-Match": '"1"'}
    )
    assert done.status_code == 200 and done.headers["ETag"] == '"2"' and done.get_json()["version"] == 2

    late = api("POST", f"/steps/{step.id}/status", json={"status": "in_progress"}, headers={"If-Match": '"1"'})
    assert late.status_code == 412 and late.get_json()["status"] == 412
    assert reload(step).status is StepStatus.done
    weak = api("POST", f"/steps/{step.id}/comments", json={"note": "x"}, headers={"If-Match": 'W/"2"'})
    assert weak.status_code == 412  # RFC 9110: If-Match compares strongly
    assert api("POST", f"/steps/{step.id}/comments", json={"note": "x"}, headers={"If-Match": "*"}).status_code == 201


def test_the_api_answers_a_stale_version_with_409_and_what_changed(world, api):
    step = world.step(world.m1, 1)
    services.change_status(step, "done", world.admin, NOW, note="ประกาศแล้ว")
    db.session.commit()
    response = api("POST", f"/steps/{step.id}/status", json={"status": "in_progress", "version": 1})
    assert response.status_code == 409
    body = response.get_json()
    assert body["status"] == 409 and body["your_version"] == 1 and body["current_version"] == 2
    assert response.headers["ETag"] == '"2"'
    [change] = body["changes"]
    assert change["field"] == "status" and change["old_value"] == "not_started" and change["new_value"] == "done"
    assert change["actor"]["display_name"] == "ผู้ดูแล" and change["note"] == "ประกาศแล้ว" and change["version"] == 2
    assert "มีผู้บันทึกข้อมูลนี้ก่อนคุณ" in body["error"]
    assert reload(step).status is StepStatus.done
    ok = api("POST", f"/steps/{step.id}/status", json={"status": "in_progress", "version": 2})
    assert ok.status_code == 200
