"""Admins edit the plan in the web interface: plan, weaknesses, measures, steps.

Every edit is journaled with its old and new value; a change that would break
the plan (a due date outside its measure's period, deleting worked-on steps)
is refused with 400 and leaves the database as it was. Who may use these pages
at all is specified at the end of this file.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import url_for

from tests.conftest import NOW, make_user
from tracker import thaidate
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans import services as step_services
from tracker.plans.models import JournalEntry, Measure, Plan, PlanStatus, Step, StepStatus, Weakness


def shown(title: str) -> str:
    """A typed title as a reader of Arabic digits (the default) sees it."""
    return thaidate.to_arabic_digits(title)


def journal(entity: str, entity_id: int, field: str | None = None) -> list[JournalEntry]:
    query = sa.select(JournalEntry).where(JournalEntry.entity == entity, JournalEntry.entity_id == entity_id)
    if field is not None:
        query = query.where(JournalEntry.field == field)
    return list(db.session.scalars(query.order_by(JournalEntry.id)))


def page(response) -> str:
    return response.get_data(as_text=True)


def step_rows(measure: Measure) -> list[tuple[int, str]]:
    return [(s.order, s.title) for s in db.session.get(Measure, measure.id).steps]


@pytest.fixture
def admin(world, login):
    return login(world.admin)


# -- the overview -----------------------------------------------------------------


def test_overview_lists_plans_departments_and_users(world, admin):
    response = admin.get(url_for("admin.index"))
    assert response.status_code == 200
    text = page(response)
    assert shown(world.plan.title) in text and "2566" in text
    assert "0 / 5" in text  # done / total steps
    assert world.palad.name in text and world.strategy.name in text
    assert url_for("admin.import_plan") in text and url_for("admin.plan_new") in text


def test_admin_creates_an_empty_plan_for_a_fiscal_year(world, admin):
    response = admin.post(url_for("admin.plan_new"), data={"fiscal_year": "๒๕๖๗", "title": "มาตรการ ๒๕๖๗"})
    assert response.status_code == 302
    plan = db.session.scalar(sa.select(Plan).where(Plan.fiscal_year == 2567))
    assert plan is not None and plan.title == "มาตรการ ๒๕๖๗" and plan.status is PlanStatus.draft
    assert [e.action for e in journal("plan", plan.id)] == ["create"]


def test_a_second_plan_for_the_same_year_is_refused_keeping_the_form(world, admin):
    response = admin.post(url_for("admin.plan_new"), data={"fiscal_year": "2566", "title": "แผนซ้ำ"})
    assert response.status_code == 400
    assert "มีแผนของปีงบประมาณ 2566 อยู่แล้ว" in page(response)
    assert 'value="แผนซ้ำ"' in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Plan.id))) == 1


# -- plan and weaknesses ------------------------------------------------------------


def test_editing_title_and_status_is_journaled_old_to_new(world, admin):
    old_title = world.plan.title
    response = admin.post(
        url_for("admin.plan", plan_id=world.plan.id), data={"title": "แผนฉบับปรับปรุง", "status": "closed"}
    )
    assert response.status_code == 302
    assert world.plan.title == "แผนฉบับปรับปรุง" and world.plan.status is PlanStatus.closed
    [title] = journal("plan", world.plan.id, "title")
    assert (title.old_value, title.new_value, title.actor_id) == (old_title, "แผนฉบับปรับปรุง", world.admin.id)
    [status] = journal("plan", world.plan.id, "status")
    assert (status.old_value, status.new_value) == ("active", "closed")


def test_the_plan_page_shows_its_edit_history(world, admin):
    admin.post(url_for("admin.plan", plan_id=world.plan.id), data={"title": "ชื่อใหม่ของแผน", "status": "active"})
    admin.post(
        url_for("admin.weakness", weakness_id=world.m1.weakness.id), data={"title": "ประเด็นแก้ไขแล้ว", "detail": ""}
    )
    text = page(admin.get(url_for("admin.plan", plan_id=world.plan.id)))
    assert "ประวัติการแก้ไขแผน" in text
    assert "ชื่อใหม่ของแผน" in text and "ประเด็นแก้ไขแล้ว" in text
    assert world.admin.display_name in text


def test_add_and_edit_a_weakness(world, admin):
    response = admin.post(
        url_for("admin.weakness_new", plan_id=world.plan.id), data={"title": "การเปิดเผยข้อมูล", "detail": "คะแนนลดลง"}
    )
    assert response.status_code == 302
    weakness = db.session.scalar(sa.select(Weakness).where(Weakness.title == "การเปิดเผยข้อมูล"))
    assert weakness.order == 3 and weakness.detail == "คะแนนลดลง"
    assert journal("weakness", weakness.id)[0].action == "create"

    response = admin.post(
        url_for("admin.weakness", weakness_id=weakness.id),
        data={"title": "การเปิดเผยข้อมูลสาธารณะ", "detail": "คะแนนลดลง"},
    )
    assert response.status_code == 302
    [edit] = journal("weakness", weakness.id, "title")[1:]
    assert (edit.old_value, edit.new_value) == ("การเปิดเผยข้อมูล", "การเปิดเผยข้อมูลสาธารณะ")


def test_a_weakness_without_a_title_is_refused(world, admin):
    response = admin.post(url_for("admin.weakness_new", plan_id=world.plan.id), data={"title": " ", "detail": "x"})
    assert response.status_code == 400
    assert "โปรดระบุ" in page(response)
    assert len(world.plan.weaknesses) == 2


# -- measures -----------------------------------------------------------------------


def test_a_measure_period_is_typed_the_way_officers_write_it(world, admin):
    weakness = world.m2.weakness
    response = admin.post(
        url_for("admin.measure_new", weakness_id=weakness.id),
        data={
            "title": "โครงการจัดทำคู่มือการปฏิบัติงาน",
            "owner_department": str(world.strategy.id),
            "period": "ม.ค. - ก.ย. ๒๕๖๖",
            "follow_up": "มีคู่มือที่เป็นปัจจุบัน",
        },
    )
    assert response.status_code == 302
    measure = db.session.scalar(sa.select(Measure).where(Measure.title == "โครงการจัดทำคู่มือการปฏิบัติงาน"))
    assert (measure.period_start, measure.period_end) == (date(2023, 1, 1), date(2023, 9, 30))
    assert measure.order == 2 and measure.number == "2.2" and measure.owner_department == world.strategy
    assert journal("measure", measure.id)[0].action == "create"


def test_a_measure_period_may_come_from_two_date_inputs(world, admin):
    response = admin.post(
        url_for("admin.measure_new", weakness_id=world.m1.weakness.id),
        data={
            "title": "โครงการตรวจสอบพัสดุ",
            "owner_department": str(world.palad.id),
            "period": "",
            "period_start": "2023-04-01",
            "period_end": "2023-06-30",
            "follow_up": "",
        },
    )
    assert response.status_code == 302
    measure = db.session.scalar(sa.select(Measure).where(Measure.title == "โครงการตรวจสอบพัสดุ"))
    assert (measure.period_start, measure.period_end) == (date(2023, 4, 1), date(2023, 6, 30))


def test_an_unreadable_period_is_refused_keeping_what_was_typed(world, admin):
    response = admin.post(
        url_for("admin.measure_new", weakness_id=world.m1.weakness.id),
        data={
            "title": "โครงการใหม่",
            "owner_department": str(world.palad.id),
            "period": "ตลอดปี",
            "follow_up": "",
        },
    )
    assert response.status_code == 400
    assert "อ่านช่วงเวลาไม่ได้" in page(response)
    assert 'value="ตลอดปี"' in page(response) and "โครงการใหม่" in page(response)
    assert len(world.m1.weakness.measures) == 1


def test_editing_a_measure_is_journaled_old_to_new(world, admin):
    response = admin.post(
        url_for("admin.measure", measure_id=world.m1.id),
        data={
            "title": world.m1.title,
            "owner_department": str(world.palad.id),
            "period": "มิ.ย. - ก.ย. 2566",
            "follow_up": "ประกาศและคู่มือ",
        },
    )
    assert response.status_code == 302
    assert world.m1.period_start == date(2023, 6, 1) and world.m1.follow_up == "ประกาศและคู่มือ"
    [start] = journal("measure", world.m1.id, "period_start")
    assert (start.old_value, start.new_value) == ("2023-07-01", "2023-06-01")
    [follow_up] = journal("measure", world.m1.id, "follow_up")
    assert (follow_up.old_value, follow_up.new_value) == ("ประกาศแนวทางปฏิบัติ", "ประกาศและคู่มือ")
    assert journal("measure", world.m1.id, "period_end") == []  # unchanged fields leave no entry


def test_a_period_that_would_strand_a_step_due_date_is_refused_naming_the_step(world, admin):
    response = admin.post(
        url_for("admin.measure", measure_id=world.m1.id),
        data={
            "title": "ชื่อใหม่",
            "owner_department": str(world.palad.id),
            "period": "ก.ค. - ส.ค. ๒๕๖๖",
            "follow_up": world.m1.follow_up,
        },
    )
    assert response.status_code == 400
    text = page(response)
    assert "1.3 รายงานผลการดำเนินงาน" in text and "29 ก.ย. 2566" in text
    assert (world.m1.title, world.m1.period_end) == ("โครงการใช้ทรัพย์สินอย่างโปร่งใส", date(2023, 9, 30))
    assert journal("measure", world.m1.id) == []


def test_a_later_period_start_moves_step_start_dates_with_it(world, admin):
    response = admin.post(
        url_for("admin.measure", measure_id=world.m2.id),
        data={
            "title": world.m2.title,
            "owner_department": str(world.strategy.id),
            "period": "มี.ค. - ก.ย. 2566",
            "follow_up": world.m2.follow_up,
        },
    )
    assert response.status_code == 302
    assert [s.start_date for s in world.m2.steps] == [date(2023, 3, 1), date(2023, 3, 1)]
    moved = journal("step", world.step(world.m2, 1).id, "start_date")
    assert [(e.old_value, e.new_value) for e in moved] == [("2023-01-01", "2023-03-01")]


def test_a_new_owner_department_can_take_the_measure_steps_along(world, admin):
    response = admin.post(
        url_for("admin.measure", measure_id=world.m1.id),
        data={
            "title": world.m1.title,
            "owner_department": str(world.strategy.id),
            "period": "",
            "period_start": "2023-07-01",
            "period_end": "2023-09-30",
            "follow_up": world.m1.follow_up,
            "move_steps": "on",
        },
    )
    assert response.status_code == 302
    assert world.m1.owner_department == world.strategy
    assert {s.owner_department.name for s in world.m1.steps} == {world.strategy.name}
    [owner] = journal("measure", world.m1.id, "owner_department")
    assert (owner.old_value, owner.new_value) == (world.palad.name, world.strategy.name)


def test_a_measure_period_outside_the_fiscal_year_is_refused(world, admin):
    response = admin.post(
        url_for("admin.measure_new", weakness_id=world.m1.weakness.id),
        data={
            "title": "โครงการปีหน้า",
            "owner_department": str(world.palad.id),
            "period": "ม.ค. - ก.ย. 2567",
        },
    )
    assert response.status_code == 400
    assert "อยู่นอกปีงบประมาณ 2566" in page(response)


# -- steps --------------------------------------------------------------------------


def test_a_new_step_is_appended_with_a_be_date_typed_as_text(world, admin):
    response = admin.post(
        url_for("admin.step_new", measure_id=world.m1.id),
        data={
            "title": "ติดตามผลการใช้ทรัพย์สิน",
            "owner_department": "",
            "assignee": str(world.owner_palad.id),
            "start_date": "2023-07-01",
            "due_date": "15/09/2566",
        },
    )
    assert response.status_code == 302
    step = world.step(world.m1, 4)
    assert step.title == "ติดตามผลการใช้ทรัพย์สิน" and step.number == "1.4"
    assert step.owner_department == world.palad  # the measure's unless given
    assert step.assignee == world.owner_palad and step.due_date == date(2023, 9, 15)
    assert step.status is StepStatus.not_started
    [created] = journal("step", step.id)
    assert created.action == "create" and created.step_id == step.id


def test_a_step_due_outside_its_measure_period_is_refused_and_nothing_changes(world, admin):
    response = admin.post(
        url_for("admin.step_new", measure_id=world.m1.id),
        data={
            "title": "ขั้นตอนเกินกำหนด",
            "owner_department": str(world.palad.id),
            "start_date": "2023-07-01",
            "due_date": "2023-10-15",
        },
    )
    assert response.status_code == 400
    assert "อยู่นอกระยะเวลาของมาตรการ" in page(response)
    assert "ขั้นตอนเกินกำหนด" in page(response)  # what was typed is still there
    assert len(step_rows(world.m1)) == 3

    step = world.step(world.m1, 2)
    response = admin.post(
        url_for("admin.step", step_id=step.id),
        data={
            "title": "จัดทำคู่มือฉบับใหม่",
            "owner_department": str(world.palad.id),
            "assignee": "",
            "start_date": "2023-07-01",
            "due_date": "15 ต.ค. 2566",
        },
    )
    assert response.status_code == 400
    assert (step.title, step.due_date) == ("จัดทำคู่มือ", date(2023, 8, 31))
    assert journal("step", step.id) == []


def test_editing_a_step_is_journaled_old_to_new(world, admin):
    step = world.step(world.m2, 2)
    response = admin.post(
        url_for("admin.step", step_id=step.id),
        data={
            "title": "ทดสอบระบบกับประชาชน",
            "owner_department": str(world.strategy.id),
            "assignee": str(world.owner_strategy.id),
            "start_date": "2023-01-01",
            "due_date": "2023-08-31",
        },
    )
    assert response.status_code == 302
    entries = {e.field: (e.old_value, e.new_value) for e in journal("step", step.id)}
    assert entries == {
        "title": ("ทดสอบการใช้งานระบบ", "ทดสอบระบบกับประชาชน"),
        "assignee": (None, world.owner_strategy.display_name),
        "due_date": ("2023-08-15", "2023-08-31"),
    }


def start_work(world, step: Step) -> None:
    step_services.change_status(step, StepStatus.in_progress, world.owner_palad, NOW, note="เริ่มแล้ว")
    db.session.commit()


def test_a_step_with_progress_cannot_be_deleted(world, admin):
    step = world.step(world.m1, 1)
    start_work(world, step)
    response = admin.post(url_for("admin.step_delete", step_id=step.id))
    assert response.status_code == 400
    assert "ลบขั้นตอน 1.1 ไม่ได้" in page(response) and "ยกเลิก" in page(response)
    assert len(step_rows(world.m1)) == 3


def test_a_step_with_evidence_cannot_be_deleted(world, admin):
    step = world.step(world.m1, 2)
    step_services.add_link_evidence(step, world.owner_palad, "https://example.go.th/doc", "ร่างคู่มือ", NOW)
    db.session.commit()
    response = admin.post(url_for("admin.step_delete", step_id=step.id))
    assert response.status_code == 400
    assert "หลักฐาน 1 รายการ" in page(response)
    assert len(step_rows(world.m1)) == 3


def test_a_step_that_was_started_and_reset_still_counts_as_worked_on(world, admin):
    step = world.step(world.m1, 3)
    start_work(world, step)
    step_services.change_status(step, StepStatus.not_started, world.owner_palad, NOW, note="กดผิด")
    db.session.commit()
    response = admin.post(url_for("admin.step_delete", step_id=step.id))
    assert response.status_code == 400


def test_deleting_an_untouched_step_renumbers_the_following_ones(world, admin):
    first = world.step(world.m1, 1)
    response = admin.post(url_for("admin.step_delete", step_id=first.id))
    assert response.status_code == 302
    assert step_rows(world.m1) == [(1, "จัดทำคู่มือ"), (2, "รายงานผลการดำเนินงาน")]
    [deleted] = journal("measure", world.m1.id)
    assert (deleted.action, deleted.field, deleted.old_value) == ("delete", "step", "1.1 จัดทำประกาศแนวทางปฏิบัติ")


def test_a_measure_is_deleted_only_while_no_step_has_progress(world, admin):
    start_work(world, world.step(world.m1, 1))
    response = admin.post(url_for("admin.measure_delete", measure_id=world.m1.id))
    assert response.status_code == 400
    assert "1.1 จัดทำประกาศแนวทางปฏิบัติ" in page(response)
    assert db.session.get(Measure, world.m1.id) is not None

    m2_id, weakness = world.m2.id, world.m2.weakness
    response = admin.post(url_for("admin.measure_delete", measure_id=m2_id))
    assert response.status_code == 302
    assert db.session.get(Measure, m2_id) is None
    assert db.session.scalar(sa.select(sa.func.count(Step.id)).where(Step.measure_id == m2_id)) == 0
    assert journal("weakness", weakness.id)[0].old_value == "2 โครงการ E-Service"


def test_deleting_a_weakness_renumbers_the_rest_unless_work_was_done(world, admin):
    step_services.change_status(world.step(world.m2, 1), StepStatus.done, world.owner_strategy, NOW, note="เสร็จ")
    db.session.commit()
    response = admin.post(url_for("admin.weakness_delete", weakness_id=world.m2.weakness.id))
    assert response.status_code == 400
    assert "2.1 กำหนดระบบที่ต้องการพัฒนา" in page(response)

    response = admin.post(url_for("admin.weakness_delete", weakness_id=world.m1.weakness.id))
    assert response.status_code == 302
    plan = db.session.get(Plan, world.plan.id)
    assert [(w.order, w.title) for w in plan.weaknesses] == [(1, "การปรับปรุงการทำงาน")]
    assert [s.number for s in plan.steps] == ["1.1", "1.2"]
    [deleted] = journal("plan", plan.id)
    assert (deleted.action, deleted.field, deleted.old_value) == ("delete", "weakness", "1. การใช้ทรัพย์สินของราชการ")


# -- who may use the admin pages -------------------------------------------------------

#: Every admin route with a method; ids come from the `world` plan.
ADMIN_ROUTES = [
    ("GET", "admin.index", {}),
    ("GET", "admin.plan_new", {}),
    ("POST", "admin.plan_new", {}),
    ("GET", "admin.plan", {"plan_id": "plan"}),
    ("POST", "admin.plan", {"plan_id": "plan"}),
    ("GET", "admin.weakness_new", {"plan_id": "plan"}),
    ("POST", "admin.weakness_new", {"plan_id": "plan"}),
    ("GET", "admin.weakness", {"weakness_id": "weakness"}),
    ("POST", "admin.weakness", {"weakness_id": "weakness"}),
    ("GET", "admin.weakness_delete", {"weakness_id": "weakness"}),
    ("POST", "admin.weakness_delete", {"weakness_id": "weakness"}),
    ("GET", "admin.measure_new", {"weakness_id": "weakness"}),
    ("POST", "admin.measure_new", {"weakness_id": "weakness"}),
    ("GET", "admin.measure", {"measure_id": "measure"}),
    ("POST", "admin.measure", {"measure_id": "measure"}),
    ("GET", "admin.measure_delete", {"measure_id": "measure"}),
    ("POST", "admin.measure_delete", {"measure_id": "measure"}),
    ("GET", "admin.step_new", {"measure_id": "measure"}),
    ("POST", "admin.step_new", {"measure_id": "measure"}),
    ("GET", "admin.step", {"step_id": "step"}),
    ("POST", "admin.step", {"step_id": "step"}),
    ("GET", "admin.step_delete", {"step_id": "step"}),
    ("POST", "admin.step_delete", {"step_id": "step"}),
    ("GET", "admin.department_new", {}),
    ("POST", "admin.department_new", {}),
    ("GET", "admin.department", {"department_id": "department"}),
    ("POST", "admin.department", {"department_id": "department"}),
    ("GET", "admin.users", {}),
    ("GET", "admin.user_new", {}),
    ("POST", "admin.user_new", {}),
    ("GET", "admin.user", {"user_id": "user"}),
    ("POST", "admin.user", {"user_id": "user"}),
    ("POST", "admin.user_password", {"user_id": "user"}),
    ("POST", "admin.user_active", {"user_id": "user"}),
    ("GET", "admin.import_plan", {}),
    ("POST", "admin.import_plan", {}),
    ("POST", "admin.import_confirm", {}),
    ("GET", "admin.export_plan", {"plan_id": "plan"}),
    ("GET", "admin.plan_template", {}),
    ("GET", "admin.signing", {}),
    ("POST", "admin.signing", {}),
    ("POST", "admin.signing_remove", {}),
    ("GET", "admin.documents_settings", {}),
    ("POST", "admin.documents_settings", {}),
    ("GET", "admin.emblem_image", {}),
    ("POST", "admin.emblem_delete", {}),
    ("GET", "admin.step_rules", {}),
    ("POST", "admin.step_rules", {}),
    ("GET", "admin.trash_list", {}),
]
ROUTE_IDS = [f"{method} {endpoint}" for method, endpoint, _ in ADMIN_ROUTES]
PLAN_IMPORT_ENDPOINTS = {"admin.import_plan", "admin.import_confirm", "admin.plan_template"}
PLAN_IMPORT_MESSAGE = "เฉพาะผู้ดูแลระบบ หรือผู้ใช้ระดับจังหวัดหรือส่วนกลาง นำเข้าแผนได้"


def records_of(world) -> dict[str, int]:
    step = world.step(world.m1, 1)
    return {
        "plan": world.plan.id,
        "weakness": world.m1.weakness.id,
        "measure": world.m1.id,
        "step": step.id,
        "department": world.palad.id,
        "user": world.owner_palad.id,
    }


def admin_url(endpoint: str, args: dict[str, str], ids: dict[str, int]) -> str:
    return url_for(endpoint, **{name: ids[record] for name, record in args.items()})


def test_the_access_table_covers_every_admin_route(app):
    routes = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == {(method, endpoint) for method, endpoint, _ in ADMIN_ROUTES}


@pytest.mark.parametrize("role", ["manager", "owner_palad", "viewer"])
@pytest.mark.parametrize(("method", "endpoint", "args"), ADMIN_ROUTES, ids=ROUTE_IDS)
def test_other_roles_get_403_with_a_message_and_nothing_changes(world, login, role, method, endpoint, args):
    client = login(getattr(world, role))
    url = admin_url(endpoint, args, records_of(world))
    before = db.session.scalar(sa.select(sa.func.count(JournalEntry.id)))
    response = client.open(url, method=method, data={"title": "x", "active": "0"} if method == "POST" else None)
    assert response.status_code == 403
    # The plan import is also open to provincial and national users, and its message says so.
    expected = PLAN_IMPORT_MESSAGE if endpoint in PLAN_IMPORT_ENDPOINTS else "เฉพาะผู้ดูแลระบบเท่านั้น"
    assert expected in page(response)
    assert db.session.scalar(sa.select(sa.func.count(JournalEntry.id))) == before


@pytest.mark.parametrize(("method", "endpoint", "args"), ADMIN_ROUTES, ids=ROUTE_IDS)
def test_logged_out_visitors_are_sent_to_the_login_page(world, client, method, endpoint, args):
    response = client.open(
        admin_url(endpoint, args, records_of(world)), method=method, data={} if method == "POST" else None
    )
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.fixture
def other_org(world):
    """A second municipality with its own plan and people; invisible to testorg's admin."""
    org = Organization(name="องค์การบริหารส่วนตำบลอื่น", slug="otherorg", province="มหาสารคาม")
    dept = Department(organization=org, name="สำนักปลัด อบต.")
    plan = Plan(organization=org, fiscal_year=2566, title="แผนของ อบต.อื่น")
    weakness = Weakness(plan=plan, order=1, title="ประเด็นของ อบต.อื่น")
    measure = Measure(
        weakness=weakness,
        order=1,
        title="มาตรการของ อบต.อื่น",
        owner_department=dept,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
    )
    step = Step(
        measure=measure,
        order=1,
        title="ขั้นตอนของ อบต.อื่น",
        owner_department=dept,
        start_date=date(2023, 1, 1),
        due_date=date(2023, 6, 30),
    )
    db.session.add(org)
    user = make_user(org, "admin@other.go.th", Role.admin, dept)
    db.session.commit()
    return {
        "plan": plan.id,
        "weakness": weakness.id,
        "measure": measure.id,
        "step": step.id,
        "department": dept.id,
        "user": user.id,
    }


ROUTES_WITH_IDS = [(m, e, a) for m, e, a in ADMIN_ROUTES if a]


@pytest.mark.parametrize(
    ("method", "endpoint", "args"), ROUTES_WITH_IDS, ids=[f"{m} {e}" for m, e, _ in ROUTES_WITH_IDS]
)
def test_records_of_another_organization_are_not_found(world, admin, other_org, method, endpoint, args):
    response = admin.open(
        admin_url(endpoint, args, other_org),
        method=method,
        data={"title": "แก้ข้ามองค์กร", "active": "0"} if method == "POST" else None,
    )
    assert response.status_code == 404
    assert "แผนของ อบต.อื่น" not in page(response)
    assert db.session.get(Plan, other_org["plan"]).title == "แผนของ อบต.อื่น"
    assert db.session.scalar(sa.select(sa.func.count(JournalEntry.id))) == 0


def test_a_department_or_assignee_of_another_organization_cannot_be_chosen(world, admin, other_org):
    response = admin.post(
        url_for("admin.step_new", measure_id=world.m1.id),
        data={
            "title": "ขั้นตอนใหม่",
            "owner_department": str(other_org["department"]),
            "start_date": "2023-07-01",
            "due_date": "2023-08-01",
        },
    )
    assert response.status_code == 400
    response = admin.post(
        url_for("admin.step_new", measure_id=world.m1.id),
        data={
            "title": "ขั้นตอนใหม่",
            "assignee": str(other_org["user"]),
            "start_date": "2023-07-01",
            "due_date": "2023-08-01",
        },
    )
    assert response.status_code == 400
    assert len(step_rows(world.m1)) == 3


def test_a_forged_csrf_token_is_refused(world, admin):
    response = admin.post(
        url_for("admin.plan", plan_id=world.plan.id), data={"title": "ปลอม", "status": "closed", "csrf_token": "forged"}
    )
    assert response.status_code == 400
    response = admin.post(url_for("admin.step_delete", step_id=world.step(world.m1, 1).id), csrf=False)
    assert response.status_code == 400
    assert world.plan.title != "ปลอม" and len(step_rows(world.m1)) == 3


def test_every_admin_form_carries_a_csrf_token(world, admin):
    ids = records_of(world)
    for method, endpoint, args in ADMIN_ROUTES:
        if method != "GET" or endpoint in ("admin.export_plan", "admin.plan_template"):
            continue
        text = page(admin.get(admin_url(endpoint, args, ids)))
        # Search forms are GET and carry none; every POST form carries one.
        assert text.count('<form method="post"') == text.count('name="csrf_token"'), endpoint


def test_saving_a_step_keeps_an_assignee_who_was_deactivated_since(world, admin):
    step = world.step(world.m1, 1)
    step.assignee = world.owner_palad
    world.owner_palad.active = False
    db.session.commit()
    form = page(admin.get(url_for("admin.step", step_id=step.id)))
    assert f'<option selected value="{world.owner_palad.id}">' in form
    response = admin.post(
        url_for("admin.step", step_id=step.id),
        data={
            "title": "จัดทำประกาศแนวทางปฏิบัติฉบับใหม่",
            "owner_department": str(world.palad.id),
            "assignee": str(world.owner_palad.id),
            "start_date": "2023-07-01",
            "due_date": "2023-07-31",
        },
    )
    assert response.status_code == 302
    assert step.assignee == world.owner_palad
    assert [e.field for e in journal("step", step.id)] == ["title"]


def test_a_deactivated_user_cannot_be_newly_assigned(world, admin):
    world.owner_palad.active = False
    db.session.commit()
    response = admin.post(
        url_for("admin.step", step_id=world.step(world.m1, 2).id),
        data={
            "title": "จัดทำคู่มือ",
            "owner_department": str(world.palad.id),
            "assignee": str(world.owner_palad.id),
            "start_date": "2023-07-01",
            "due_date": "2023-08-31",
        },
    )
    assert response.status_code == 400
    assert "ถูกปิดการใช้งานแล้ว" in page(response)


def test_ids_beyond_the_database_range_are_simply_not_found(world, admin):
    assert admin.get(f"/admin/plans/{2**63}").status_code == 404
    response = admin.post(
        url_for("admin.step_new", measure_id=world.m1.id),
        data={
            "title": "ขั้นตอนใหม่",
            "owner_department": str(2**63),
            "start_date": "2023-07-01",
            "due_date": "2023-08-01",
        },
    )
    assert response.status_code == 400
