"""Remarks on a step, watchers, in-app notifications and their emails (tracker/follow)."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, make_user
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.errors import PermissionDenied, ServiceError
from tracker.follow import services
from tracker.follow.models import EventKind, Notification, StepWatch
from tracker.notify.models import OutboxMessage
from tracker.orgs.models import Department, Organization
from tracker.plans import services as plan_services
from tracker.plans.models import JournalEntry, StepStatus


def notified(kind: EventKind) -> dict[str, str]:
    """recipient email → notification text, as stored."""
    rows = db.session.scalars(sa.select(Notification).where(Notification.kind == kind))
    return {db.session.get(User, n.user_id).email: n.text for n in rows}


def emails(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# -- services ---------------------------------------------------------------------------------


def test_a_managers_remark_notifies_the_department_in_app_and_by_email(world):
    step = world.step(world.m1, 1)  # สำนักปลัด
    services.add_remark(step, world.manager, "  ขอให้เร่งดำเนินการภายในสัปดาห์นี้  ", NOW)
    db.session.commit()
    entry = db.session.scalar(sa.select(JournalEntry).where(JournalEntry.action == "remark"))
    assert entry.note == "ขอให้เร่งดำเนินการภายในสัปดาห์นี้" and entry.actor_id == world.manager.id
    assert notified(EventKind.remark) == {world.owner_palad.email: "ขอให้เร่งดำเนินการภายในสัปดาห์นี้"}
    (mail,) = emails("step_remark")
    assert mail.recipient == world.owner_palad.email
    assert "ปลัด แสดงความเห็นในขั้นตอนที่ 1 มาตรการที่ 1" in mail.subject
    assert "ขอให้เร่งดำเนินการภายในสัปดาห์นี้" in mail.body_text and f"/steps/{step.id}" in mail.body_text
    assert "ขอให้เร่งดำเนินการภายในสัปดาห์นี้" in mail.body_html


def test_commenters_and_explicit_watchers_are_told_the_actor_is_not(world):
    step = world.step(world.m1, 1)
    services.set_watching(step, world.viewer, True)
    services.add_remark(step, world.manager, "ความเห็นแรก", NOW)
    services.add_remark(step, world.owner_palad, "รับทราบ กำลังดำเนินการ", NOW)
    db.session.commit()
    second = {
        db.session.get(User, n.user_id).email
        for n in db.session.scalars(sa.select(Notification).where(Notification.text == "รับทราบ กำลังดำเนินการ"))
    }
    # The manager commented before, so now watches by default; the viewer chose to watch.
    assert second == {world.manager.email, world.viewer.email}


def test_unwatching_stops_the_notifications_and_emails(world):
    step = world.step(world.m1, 1)
    services.set_watching(step, world.owner_palad, False)
    assert not services.is_watching(world.owner_palad, step)
    services.add_remark(step, world.manager, "ความเห็น", NOW)
    db.session.commit()
    assert count(Notification) == 0 and emails("step_remark") == []
    services.set_watching(step, world.owner_palad, True)
    assert services.is_watching(world.owner_palad, step)


def test_a_status_change_tells_the_watchers(world):
    step = world.step(world.m1, 1)
    services.set_watching(step, world.manager, True)
    plan_services.change_status(step, StepStatus.in_progress, world.owner_palad, NOW)
    db.session.commit()
    assert notified(EventKind.status) == {world.manager.email: "in_progress"}
    (mail,) = emails("step_status")
    assert mail.recipient == world.manager.email and "“กำลังดำเนินการ”" in mail.subject


def test_the_email_preference_is_respected(world):
    step = world.step(world.m1, 1)
    world.owner_palad.email_events = "status"
    services.add_remark(step, world.manager, "ความเห็น", NOW)
    db.session.commit()
    # Told in the app, not by email.
    assert notified(EventKind.remark) == {world.owner_palad.email: "ความเห็น"}
    assert emails("step_remark") == []


def test_empty_or_oversized_remarks_and_outsiders_are_refused(world):
    step = world.step(world.m1, 1)
    with pytest.raises(ServiceError):
        services.add_remark(step, world.manager, "   ", NOW)
    with pytest.raises(ServiceError):
        services.add_remark(step, world.manager, "ก" * 4001, NOW)
    national_office = Organization(name="กรมส่งเสริมการปกครองท้องถิ่น", slug="dla")
    national = make_user(national_office, "nat@dla.go.th", Role.national)
    db.session.flush()
    with pytest.raises(PermissionDenied):
        services.add_remark(step, national, "ความเห็น", NOW)
    with pytest.raises(PermissionDenied):
        services.set_watching(step, national, True)
    assert count(Notification) == 0 and count(StepWatch) == 0


def test_unread_count_and_marking_read(world):
    step = world.step(world.m1, 1)
    services.add_remark(step, world.manager, "หนึ่ง", NOW)
    services.add_remark(step, world.manager, "สอง", NOW)
    assert services.unread_count(world.owner_palad) == 2
    assert services.mark_read(services.recent(world.owner_palad), NOW) == 2
    assert services.unread_count(world.owner_palad) == 0


# -- pages ------------------------------------------------------------------------------------


def test_a_remark_from_the_step_page_reaches_the_owner(world, login, app):
    step = world.step(world.m1, 1)
    client = login(world.manager)
    page = client.get(f"/steps/{step.id}").get_data(as_text=True)
    assert "ความเห็นและข้อสั่งการ" in page
    response = client.post(f"/steps/{step.id}/remarks", data={"text": "โปรดแนบประกาศด้วย"})
    assert response.status_code == 302
    with app.app_context():  # what was committed, not what the request's session holds
        assert count(Notification) == 1 and len(emails("step_remark")) == 1
    client = login(world.owner_palad)
    home = client.get("/my-steps").get_data(as_text=True)
    assert 'class="badge unread-count">1</span>' in home
    page = html.unescape(client.get("/notifications").get_data(as_text=True))
    assert "ปลัด แสดงความเห็นใน" in page and "โปรดแนบประกาศด้วย" in page and "ใหม่" in page
    again = client.get("/my-steps").get_data(as_text=True)
    assert "unread-count" not in again
    page = html.unescape(client.get("/notifications").get_data(as_text=True))
    assert "ใหม่</span>" not in page


def test_an_empty_remark_shows_the_page_again_with_a_message(world, login):
    step = world.step(world.m1, 1)
    response = login(world.viewer).post(f"/steps/{step.id}/remarks", data={"text": "  "})
    assert response.status_code == 400
    assert "โปรดพิมพ์ความเห็นหรือข้อสั่งการ" in response.get_data(as_text=True)
    assert count(JournalEntry) == 0 and count(Notification) == 0


def test_watch_and_unwatch_buttons(world, login):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    assert "เลิกติดตาม" in client.get(f"/steps/{step.id}").get_data(as_text=True)
    assert client.post(f"/steps/{step.id}/watch", data={"watch": "0"}).status_code == 302
    assert "ติดตามขั้นตอนนี้</button>" in client.get(f"/steps/{step.id}").get_data(as_text=True)
    assert client.post(f"/steps/{step.id}/watch", data={"watch": "maybe"}).status_code == 400


def test_outsiders_cannot_comment_or_watch(world, login):
    step = world.step(world.m1, 1)
    other = Organization(name="เทศบาลอื่น", slug="other", province="ขอนแก่น")
    stranger = make_user(other, "x@other.go.th", Role.admin)
    provincial_office = Organization(name="สถจ.ขอนแก่น", slug="pkk", province="ขอนแก่น")
    provincial = make_user(provincial_office, "p@pkk.go.th", Role.provincial)
    db.session.add(Department(organization=other, name="สำนักปลัด"))
    db.session.commit()
    client = login(stranger)
    assert client.post(f"/steps/{step.id}/remarks", data={"text": "x"}).status_code == 404
    assert client.post(f"/steps/{step.id}/watch", data={"watch": "1"}).status_code == 404
    client = login(provincial)
    assert client.post(f"/steps/{step.id}/remarks", data={"text": "x"}).status_code == 403
    assert client.post(f"/steps/{step.id}/watch", data={"watch": "1"}).status_code == 403
    assert count(JournalEntry) == 0 and count(Notification) == 0 and count(StepWatch) == 0


def test_the_profile_page_sets_which_events_come_by_email(world, login, app):
    client = login(world.owner_palad)
    page = client.get("/profile").get_data(as_text=True)
    assert "ความเห็นหรือข้อสั่งการในขั้นตอนที่ฉันติดตาม" in page
    response = client.post("/profile", data={"action": "email_events", "events": ["status"]})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, world.owner_palad.id).email_events == "status"
    response = client.post("/profile", data={"action": "email_events", "events": ["bogus"]})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, world.owner_palad.id).email_events == "status"
    # Nothing ticked: no email at all, the notifications stay.
    assert client.post("/profile", data={"action": "email_events"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, world.owner_palad.id).email_events == ""


def test_a_report_for_sign_off_tells_each_signer_in_turn(world, login, app):
    from datetime import date

    from tracker.reports.models import ReportKind
    from tracker.reports.signoff import acknowledge, submit_report

    mayor = make_user(world.org, "mayor@test.go.th", Role.manager, name="นายก")
    db.session.commit()
    submission = submit_report(
        world.plan, world.admin, NOW, kind=ReportKind.followup, chain=[world.manager, mayor], as_of=date(2023, 8, 1)
    )
    db.session.commit()
    assert set(notified(EventKind.signoff)) == {world.manager.email}  # the first in the chain only
    (mail,) = emails("report_signoff")
    assert mail.recipient == world.manager.email and f"/reports/submissions/{submission.id}" in mail.body_text
    acknowledge(submission, world.manager, NOW, "ทราบ")
    db.session.commit()
    assert set(notified(EventKind.signoff)) == {world.manager.email, mayor.email}
    assert {m.recipient for m in emails("report_signoff")} == {world.manager.email, mayor.email}
    page = login(mayor).get("/notifications").get_data(as_text=True)
    assert "ผู้ดูแล ส่งรายงานให้คุณพิจารณา" not in page  # the actor of the mayor's turn is the manager
    assert "ปลัด ส่งรายงานให้คุณพิจารณา" in html.unescape(page)
    assert f"/reports/submissions/{submission.id}" in page


def test_a_status_change_without_a_person_tells_nobody(world):
    step = world.step(world.m1, 1)
    services.set_watching(step, world.manager, True)
    plan_services.change_status(step, StepStatus.in_progress, None, NOW)
    db.session.commit()
    assert count(Notification) == 0 and emails("step_status") == []


def test_the_plans_activity_stream_filters_by_department(world, login):
    palad_step, strategy_step = world.step(world.m1, 1), world.step(world.m2, 1)
    services.add_remark(palad_step, world.manager, "เร่งรัดสำนักปลัด", NOW)
    plan_services.change_status(strategy_step, StepStatus.in_progress, world.owner_strategy, NOW)
    db.session.commit()
    client = login(world.viewer)
    page = html.unescape(client.get(f"/plans/{world.plan.id}/activity").get_data(as_text=True))
    assert "เร่งรัดสำนักปลัด" in page and "ยังไม่เริ่ม → กำลังดำเนินการ" in page
    assert f"/steps/{palad_step.id}" in page and f"/steps/{strategy_step.id}" in page
    only = html.unescape(
        client.get(f"/plans/{world.plan.id}/activity?department={world.strategy.id}").get_data(as_text=True)
    )
    assert "เร่งรัดสำนักปลัด" not in only and "ยังไม่เริ่ม → กำลังดำเนินการ" in only
    assert client.get(f"/plans/{world.plan.id}/activity?department=999999").status_code == 400
    assert client.get("/plans/999999/activity").status_code == 404
