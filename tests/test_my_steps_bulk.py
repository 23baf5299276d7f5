"""งานของฉัน: filters read by a form, one change of status for several ticked steps with
one note (all or nothing, each step journaled, versions respected, only the person's
own steps), and saved filters (each person's own)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, make_user
from tests.test_my_steps import add_plan
from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans import services
from tracker.plans.models import JournalEntry, PlanStatus, Step, StepStatus
from tracker.plans.saved_filters import SavedFilter


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 Aug 2566


def listed(page: str) -> list[str]:
    return re.findall(r'<a href="/steps/\d+">([^<]+)</a>', page)


def journal_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) or 0


def statuses(world) -> dict[str, str]:
    db.session.expire_all()
    return {s.title: s.status.value for m in (world.m1, world.m2) for s in m.steps}


def pick(*steps: Step) -> list[str]:
    return [f"{s.id}:{s.version}" for s in steps]


# -- filters ----------------------------------------------------------------------------------------


def test_filters_by_status_and_due(world, login):
    services.change_status(world.step(world.m1, 2), StepStatus.done, world.admin, NOW)
    db.session.commit()
    client = login(world.owner_palad)
    assert listed(client.get("/my-steps").get_data(as_text=True)) == ["จัดทำประกาศแนวทางปฏิบัติ", "รายงานผลการดำเนินงาน"]
    assert listed(client.get("/my-steps?status=done").get_data(as_text=True)) == ["จัดทำคู่มือ"]
    every = client.get("/my-steps?status=all").get_data(as_text=True)
    assert listed(every) == ["จัดทำประกาศแนวทางปฏิบัติ", "จัดทำคู่มือ", "รายงานผลการดำเนินงาน"]
    assert listed(client.get("/my-steps?due=overdue").get_data(as_text=True)) == ["จัดทำประกาศแนวทางปฏิบัติ"]
    page = client.get("/my-steps?status=all&due=overdue").get_data(as_text=True)
    assert re.search(r'<option selected value="all">ทุกสถานะ</option>', page)
    assert re.search(r'<option selected value="overdue">', page)


@pytest.mark.parametrize(
    "query, message",
    [
        ("status=finished", "ตัวเลือกไม่ถูกต้อง"),
        ("due=tomorrow", "ตัวเลือกไม่ถูกต้อง"),
        ("page=abc", "เลขหน้าต้องเป็นตัวเลข: abc"),
        ("per_page=" + "9" * 40, None),  # a huge number is bounded, not an error
    ],
)
def test_a_bad_filter_is_a_clear_400_not_a_500(world, login, query, message):
    response = login(world.manager).get(f"/my-steps?{query}")
    page = response.get_data(as_text=True)
    if message is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 400 and message in page
        assert listed(page) == []


def test_another_organizations_department_is_refused(world, login):
    other = Organization(name="อบต.อื่น", slug="other", province="ขอนแก่น")
    dept = Department(organization=other, name="กองอื่น")
    db.session.add_all([other, dept])
    db.session.commit()
    response = login(world.manager).get(f"/my-steps?department={dept.id}")
    assert response.status_code == 400 and "ไม่พบหน่วยงานที่เลือก" in response.get_data(as_text=True)


# -- bulk change of status ------------------------------------------------------------------------------


def test_an_owner_changes_several_steps_at_once_with_one_note(world, login):
    s2, s3 = world.step(world.m1, 2), world.step(world.m1, 3)
    client = login(world.owner_palad)
    page = client.get("/my-steps").get_data(as_text=True)
    assert f'value="{s2.id}:1"' in page and f'value="{world.step(world.m2, 1).id}:1"' not in page
    response = client.post(
        "/my-steps/status", data={"steps": pick(s2, s3), "status": "in_progress", "note": "เริ่มพร้อมกันทั้งสองขั้นตอน"}
    )
    assert response.status_code == 302
    assert statuses(world) == {
        "จัดทำประกาศแนวทางปฏิบัติ": "not_started",
        "จัดทำคู่มือ": "in_progress",
        "รายงานผลการดำเนินงาน": "in_progress",
        "กำหนดระบบที่ต้องการพัฒนา": "not_started",
        "ทดสอบการใช้งานระบบ": "not_started",
    }
    entries = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.action == "status")).all()
    assert sorted((e.step_id, e.old_value, e.new_value, e.note) for e in entries) == [
        (s2.id, "not_started", "in_progress", "เริ่มพร้อมกันทั้งสองขั้นตอน"),
        (s3.id, "not_started", "in_progress", "เริ่มพร้อมกันทั้งสองขั้นตอน"),
    ]
    assert (s2.version, s3.version) == (2, 2)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "เปลี่ยนสถานะ 2 ขั้นตอนเป็น “กำลังดำเนินการ” แล้ว" in page


def test_a_step_of_another_department_refuses_the_lot(world, login):
    before = journal_count()
    response = login(world.owner_palad).post(
        "/my-steps/status",
        data={"steps": pick(world.step(world.m1, 2), world.step(world.m2, 1)), "status": "done", "note": "เสร็จ"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "ขั้นตอนที่ 2.1: ขั้นตอนนี้เป็นของ กองยุทธศาสตร์และงบประมาณ" in page
    assert set(statuses(world).values()) == {"not_started"} and journal_count() == before


def test_a_step_of_another_organization_is_not_found_and_nothing_is_written(world, login):
    other = Organization(name="อบต.อื่น", slug="other", province="ขอนแก่น")
    dept = Department(organization=other, name="สำนักปลัด")
    foreign = add_plan(other, dept, 2566, PlanStatus.active, "ของที่อื่น", date(2023, 9, 1))
    before = journal_count()
    for who in ("owner_palad", "admin"):
        response = login(getattr(world, who)).post(
            "/my-steps/status", data={"steps": pick(world.step(world.m1, 2), foreign), "status": "done", "note": "x"}
        )
        assert response.status_code == 403
        assert "ไม่พบขั้นตอนที่เลือกบางรายการ" in response.get_data(as_text=True)
    db.session.expire_all()
    assert foreign.status is StepStatus.not_started and journal_count() == before
    assert set(statuses(world).values()) == {"not_started"}


def test_a_stale_step_refuses_the_lot_and_shows_what_changed(world, login):
    s1, s2 = world.step(world.m1, 1), world.step(world.m1, 2)
    shown = pick(s1, s2)  # the page as it was
    services.change_status(s2, StepStatus.in_progress, world.admin, NOW, note="ผู้ดูแลเริ่มให้แล้ว")
    db.session.commit()
    before = journal_count()
    response = login(world.owner_palad).post(
        "/my-steps/status", data={"steps": shown, "status": "done", "note": "เสร็จทั้งสองขั้นตอน"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "มีผู้บันทึกข้อมูลนี้ก่อนคุณ" in page and "ผู้ดูแลเริ่มให้แล้ว" in page
    assert "เสร็จทั้งสองขั้นตอน" in page  # what was typed is kept
    assert f'value="{s1.id}:1" id="pick-{s1.id}" checked' in page  # and what was ticked, at the current version
    assert f'value="{s2.id}:2" id="pick-{s2.id}" checked' in page
    assert statuses(world)["จัดทำประกาศแนวทางปฏิบัติ"] == "not_started" and journal_count() == before


@pytest.mark.parametrize(
    "data, message",
    [
        ({"status": "done"}, "โปรดเลือกขั้นตอนอย่างน้อยหนึ่งขั้นตอน"),
        ({"steps": ["abc"], "status": "done"}, "ไม่พบขั้นตอนที่เลือก"),
        ({"steps": ["{s}:1"], "status": "flying"}, "ตัวเลือกไม่ถูกต้อง"),
        ({"steps": ["{s}:1"], "status": "cancelled"}, "ขั้นตอนที่ 1.2: โปรดระบุเหตุผลที่ยกเลิก"),
        ({"steps": ["{s}:1"], "status": "not_started"}, "ขั้นตอนที่ 1.2: ขั้นตอนนี้อยู่ในสถานะ “ยังไม่เริ่ม” อยู่แล้ว"),
    ],
)
def test_a_refused_change_says_why_and_writes_nothing(world, login, data, message):
    s = world.step(world.m1, 2)
    data = {k: [x.format(s=s.id) for x in v] if isinstance(v, list) else v for k, v in data.items()}
    before = journal_count()
    response = login(world.owner_palad).post("/my-steps/status", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert set(statuses(world).values()) == {"not_started"} and journal_count() == before


@pytest.mark.parametrize("who", ["manager", "viewer"])
def test_readers_cannot_change_steps(world, login, who):
    client = login(getattr(world, who))
    assert 'name="steps"' not in client.get("/my-steps").get_data(as_text=True)
    response = client.post("/my-steps/status", data={"steps": pick(world.step(world.m1, 2)), "status": "done"})
    assert response.status_code == 403 and set(statuses(world).values()) == {"not_started"}


def test_without_the_csrf_token_nothing_changes(world, login):
    client = login(world.owner_palad)
    response = client.post(
        "/my-steps/status", data={"steps": pick(world.step(world.m1, 2)), "status": "in_progress"}, csrf=False
    )
    assert response.status_code in (302, 400)
    assert set(statuses(world).values()) == {"not_started"}


# -- saved filters -----------------------------------------------------------------------------------------


def test_a_filter_is_saved_used_and_deleted(world, login):
    client = login(world.owner_palad)
    response = client.post("/my-steps/filters", data={"name": "งานที่ช้า", "query": "due=overdue&status=all"})
    assert response.status_code == 302 and response.headers["Location"] == "/my-steps?due=overdue&status=all"
    page = client.get("/my-steps").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">งานที่ช้า</a>', page)[1].replace("&amp;", "&")
    assert listed(client.get(link).get_data(as_text=True)) == ["จัดทำประกาศแนวทางปฏิบัติ"]

    # The same name again replaces the filters it keeps.
    client.post("/my-steps/filters", data={"name": "งานที่ช้า", "query": "due=soon"})
    rows = db.session.scalars(sa.select(SavedFilter)).all()
    assert [(r.name, r.query) for r in rows] == [("งานที่ช้า", "due=soon")]

    response = client.post("/my-steps/filters/delete", data={"filter_id": rows[0].id})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedFilter)) == 0
    page = client.get("/my-steps").get_data(as_text=True)
    assert "ลบตัวกรอง “งานที่ช้า” แล้ว" in page and ">งานที่ช้า</a>" not in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "  ", "query": "due=overdue"}, "โปรดตั้งชื่อตัวกรอง"),
        ({"name": "แปลก", "query": "status=flying"}, "ตัวกรองไม่ถูกต้อง บันทึกไม่ได้"),
    ],
)
def test_a_bad_filter_is_not_saved(world, login, data, message):
    response = login(world.owner_palad).post("/my-steps/filters", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedFilter)) == 0


def test_saved_filters_are_each_persons_own(world, login):
    client = login(world.owner_palad)
    client.post("/my-steps/filters", data={"name": "ของสำนักปลัด", "query": "due=overdue"})
    mine = db.session.scalar(sa.select(SavedFilter))

    client = login(world.owner_strategy)
    assert "ของสำนักปลัด" not in client.get("/my-steps").get_data(as_text=True)
    assert client.post("/my-steps/filters/delete", data={"filter_id": mine.id}).status_code == 404
    outsider_org = Organization(name="อบต.อื่น", slug="other", province="ขอนแก่น")
    db.session.add(outsider_org)
    outsider = make_user(outsider_org, "outsider@other.go.th", Role.admin)
    db.session.commit()
    assert login(outsider).post("/my-steps/filters/delete", data={"filter_id": mine.id}).status_code == 404
    assert db.session.scalar(sa.select(SavedFilter.name)) == "ของสำนักปลัด"
