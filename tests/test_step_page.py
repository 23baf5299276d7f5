"""The step page: facts, status changes with a note, comments, the journal, and
who may do what. Other organizations' records do not exist (404)."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, make_user
from tracker import clock, thaidate
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans import services
from tracker.plans.models import Evidence, JournalEntry, Measure, Plan, Step, StepStatus, Weakness

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 Aug 2566, 10:00 in Bangkok


def fresh(step: Step) -> Step:
    """The step as the database has it now."""
    db.session.rollback()
    return db.session.get(Step, step.id)


def journal_of(step: Step) -> list[JournalEntry]:
    db.session.rollback()
    return list(
        db.session.scalars(sa.select(JournalEntry).where(JournalEntry.step_id == step.id).order_by(JournalEntry.id))
    )


def progress_text(page: str, label: str) -> str:
    m = re.search(rf'aria-label="{re.escape(label)}".*?<span class="progress-text">([^<]+)</span>', page, re.S)
    assert m, label
    return m.group(1)


# -- the story of issue 2 ----------------------------------------------------------


def test_an_owner_marks_a_step_done_with_a_note_and_a_file_in_one_submit_and_the_dashboard_follows(world, login):
    step = world.step(world.m2, 2)
    client = login(world.owner_strategy)

    response = client.post(
        f"/steps/{step.id}/update",
        data={
            "status": "done",
            "note": "ทดสอบระบบกับประชาชน 20 คนแล้ว",
            "files": (io.BytesIO(PDF), "รายงานผลการทดสอบ.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.location.endswith(f"/steps/{step.id}")

    page = client.get(f"/steps/{step.id}").get_data(as_text=True)
    assert "บันทึกสถานะ “ดำเนินการแล้ว” แล้ว · แนบหลักฐาน 1 รายการแล้ว" in page  # the flash after the redirect
    assert "รายงานผลการทดสอบ.pdf" in page
    journal = page.split('id="journal-h"', 1)[1]
    [change] = re.findall(r"<li>(.*?)</li>", journal, re.S)  # one update, one change in the journal
    assert "ยังไม่เริ่ม → ดำเนินการแล้ว" in change
    assert "ทดสอบระบบกับประชาชน 20 คนแล้ว" in change
    assert "แนบหลักฐาน" in change and "รายงานผลการทดสอบ.pdf" in change

    dashboard = client.get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert progress_text(dashboard, "ความคืบหน้ามาตรการที่ 2") == "1/2 (50%)"
    assert progress_text(dashboard, "ความคืบหน้ารวมของแผน") == "1/5 (20%)"

    step = fresh(step)
    assert step.status is StepStatus.done
    assert step.completed_by_id == world.owner_strategy.id
    assert step.completed_at == NOW
    assert [ev.original_name for ev in step.evidence] == ["รายงานผลการทดสอบ.pdf"]


def test_the_step_page_shows_every_fact(world, login):
    step = world.step(world.m1, 2)
    step.assignee = world.owner_palad
    services.change_status(step, StepStatus.cancelled, world.admin, NOW, cancel_reason="รวมกับขั้นตอนที่ 3")
    db.session.commit()

    page = login(world.viewer).get(f"/steps/{step.id}").get_data(as_text=True)
    assert "ขั้นตอน 1.2 จัดทำคู่มือ" in page
    assert "โครงการใช้ทรัพย์สินอย่างโปร่งใส" in page and "สำนักปลัดเทศบาล" in page
    assert "เจ้าหน้าที่สำนักปลัด" in page  # the assignee
    assert "1 ก.ค. 2566" in page and "31 ส.ค. 2566" in page  # start and due, Buddhist Era
    assert "ยกเลิก" in page and "รวมกับขั้นตอนที่ 3" in page


def test_a_completion_date_may_be_typed_in_the_buddhist_era(world, login):
    step = world.step(world.m1, 1)
    response = login(world.owner_palad).post(
        f"/steps/{step.id}/status", data={"status": "done", "note": "ประกาศแล้ว", "completed_on": "25/07/2566"}
    )
    assert response.status_code == 302
    step = fresh(step)
    assert step.completed_at.astimezone(thaidate.BANGKOK).date() == date(2023, 7, 25)
    page = login(world.owner_palad).get(f"/steps/{step.id}").get_data(as_text=True)
    assert "25 ก.ค. 2566 โดย เจ้าหน้าที่สำนักปลัด" in page


def test_a_completion_date_from_the_date_picker_is_accepted(world, login):
    step = world.step(world.m1, 1)
    login(world.owner_palad).post(
        f"/steps/{step.id}/update", data={"status": "done", "note": "ประกาศแล้ว", "completed_on": "2023-07-28"}
    )
    assert fresh(step).completed_at == datetime(2023, 7, 28, 5, 0, tzinfo=UTC)  # noon in Bangkok


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"status": "done", "completed_on": "15/08/2566"}, "อยู่ในอนาคต"),
        ({"status": "done", "completed_on": "วันพรุ่งนี้"}, "อ่านวันที่ไม่ได้"),
        ({"status": "not_started"}, "อยู่ในสถานะ “ยังไม่เริ่ม” อยู่แล้ว"),
        ({"status": "finished"}, "สถานะไม่ถูกต้อง"),
        ({}, "โปรดเลือกสถานะใหม่"),
    ],
)
def test_a_refused_status_change_shows_the_message_keeps_the_note_and_changes_nothing(world, login, form, message):
    step = world.step(world.m1, 1)
    response = login(world.owner_palad).post(f"/steps/{step.id}/status", data={**form, "note": "สิ่งที่พิมพ์ไว้"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert re.search(r">\s*สิ่งที่พิมพ์ไว้</textarea>", page)  # what was typed is still there
    assert fresh(step).status is StepStatus.not_started
    assert journal_of(step) == []


def test_the_status_form_offers_only_the_allowed_next_statuses(world, login):
    step = world.step(world.m1, 1)
    services.change_status(step, StepStatus.done, world.admin, NOW)
    db.session.commit()
    page = login(world.owner_palad).get(f"/steps/{step.id}").get_data(as_text=True)
    offered = set(re.findall(r'name="status"[^>]*value="(\w+)"', page))
    assert offered == {"not_started", "in_progress"}  # reopen, never done → cancelled directly


def test_cancelling_needs_a_reason(world, login):
    step = world.step(world.m1, 3)
    client = login(world.owner_palad)
    refused = client.post(f"/steps/{step.id}/status", data={"status": "cancelled", "note": "", "cancel_reason": " "})
    assert refused.status_code == 400 and "โปรดระบุเหตุผลที่ยกเลิก" in refused.get_data(as_text=True)
    assert fresh(step).status is StepStatus.not_started

    response = client.post(f"/steps/{step.id}/status", data={"status": "cancelled", "cancel_reason": "รวมไว้ในขั้นตอนที่ 2"})
    assert response.status_code == 302
    step = fresh(step)
    assert step.status is StepStatus.cancelled and step.cancel_reason == "รวมไว้ในขั้นตอนที่ 2"
    assert "รวมไว้ในขั้นตอนที่ 2" in client.get(f"/steps/{step.id}").get_data(as_text=True)


def test_a_comment_is_journaled_and_an_empty_one_refused(world, login):
    step = world.step(world.m1, 2)
    client = login(world.owner_palad)
    assert client.post(f"/steps/{step.id}/comment", data={"comment": "  "}).status_code == 400
    response = client.post(f"/steps/{step.id}/comment", data={"comment": "ร่างคู่มือเสร็จครึ่งหนึ่ง"})
    assert response.status_code == 302
    [entry] = journal_of(step)
    assert (entry.action, entry.note, entry.actor_id) == ("comment", "ร่างคู่มือเสร็จครึ่งหนึ่ง", world.owner_palad.id)
    page = client.get(f"/steps/{step.id}").get_data(as_text=True)
    assert "บันทึกความคืบหน้าแล้ว" in page and "ร่างคู่มือเสร็จครึ่งหนึ่ง" in page


def test_the_journal_shows_who_when_and_from_to_newest_first(world, login):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    client.post(f"/steps/{step.id}/status", data={"status": "in_progress", "note": "เริ่มร่างประกาศ"})
    client.post(f"/steps/{step.id}/status", data={"status": "done", "note": "ลงนามแล้ว"})
    journal = client.get(f"/steps/{step.id}").get_data(as_text=True).split('id="journal-h"', 1)[1]
    items = re.findall(r"<li>(.*?)</li>", journal, re.S)
    assert len(items) == 2
    assert "กำลังดำเนินการ → ดำเนินการแล้ว" in items[0] and "ลงนามแล้ว" in items[0]
    assert "ยังไม่เริ่ม → กำลังดำเนินการ" in items[1] and "เริ่มร่างประกาศ" in items[1]
    assert "1 ส.ค. 2566 10:00 น." in items[0] and "เจ้าหน้าที่สำนักปลัด" in items[0]


# -- who may change a step --------------------------------------------------------

CHANGES = [
    ("update", {"status": "done", "note": "เสร็จแล้ว", "links": "https://example.go.th/a ลิงก์"}),
    ("status", {"status": "done", "note": "เสร็จแล้ว"}),
    ("comment", {"comment": "บันทึก"}),
    ("evidence", {"kind": "link", "url": "https://example.go.th/a", "title": "ลิงก์"}),
]


@pytest.mark.parametrize(("action", "form"), CHANGES)
def test_an_owner_of_another_department_gets_403_and_nothing_changes(world, login, action, form):
    step = world.step(world.m2, 2)  # belongs to กองยุทธศาสตร์และงบประมาณ
    response = login(world.owner_palad).post(f"/steps/{step.id}/{action}", data=form)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 403
    assert "ขั้นตอนนี้เป็นของ กองยุทธศาสตร์และงบประมาณ" in page
    assert "คุณแก้ไขได้เฉพาะขั้นตอนของหน่วยงานตนเอง" in page
    assert fresh(step).status is StepStatus.not_started
    assert journal_of(step) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


@pytest.mark.parametrize("who", ["viewer", "manager", "owner_palad"])
def test_readers_see_the_step_but_no_forms(world, login, who):
    step = world.step(world.m2, 1)
    page = login(getattr(world, who)).get(f"/steps/{step.id}").get_data(as_text=True)
    assert "กำหนดระบบที่ต้องการพัฒนา" in page
    main = page.split("<main", 1)[1]
    # No change of the step itself; only the remark and watch forms (tracker/follow) every member has.
    actions = re.findall(r'<form[^>]*action="([^"]*)"', main)
    assert sorted(actions) == sorted([f"/steps/{step.id}/watch", f"/steps/{step.id}/remarks"])
    assert "คุณดูข้อมูลได้อย่างเดียว" in page


@pytest.mark.parametrize("who", ["viewer", "manager"])
@pytest.mark.parametrize(("action", "form"), CHANGES)
def test_viewers_and_managers_get_403_on_every_change(world, login, who, action, form):
    step = world.step(world.m1, 1)
    response = login(getattr(world, who)).post(f"/steps/{step.id}/{action}", data=form)
    assert response.status_code == 403
    assert journal_of(step) == []


@pytest.mark.parametrize("who", ["admin", "owner_palad"])
def test_the_owning_department_and_admins_see_the_forms(world, login, who):
    step = world.step(world.m1, 1)
    page = login(getattr(world, who)).get(f"/steps/{step.id}").get_data(as_text=True)
    # One form for the whole update (status, note, date, files, links), sending files.
    [form] = re.findall(rf'<form[^>]*action="/steps/{step.id}/update"[^>]*>', page)
    assert 'enctype="multipart/form-data"' in form
    for older in ("status", "comment", "evidence"):
        assert f'action="/steps/{step.id}/{older}"' not in page


def test_a_step_assigned_to_an_owner_of_another_department_is_theirs_to_change(world, login):
    step = world.step(world.m2, 2)
    step.assignee = world.owner_palad
    db.session.commit()
    response = login(world.owner_palad).post(f"/steps/{step.id}/status", data={"status": "in_progress"})
    assert response.status_code == 302
    assert fresh(step).status is StepStatus.in_progress


def test_every_form_carries_a_csrf_token_and_labelled_inputs(world, login):
    page = login(world.admin).get(f"/steps/{world.step(world.m1, 1).id}").get_data(as_text=True)
    main = page.split("<main", 1)[1]
    forms = re.findall(r"<form.*?</form>", main, re.S)
    assert forms
    for form in forms:
        assert 'name="csrf_token"' in form
        for input_id in re.findall(r'<(?:input|textarea|select)[^>]*\bid="([^"]+)"', form):
            assert f'for="{input_id}"' in form


@pytest.mark.parametrize("token", [{"csrf_token": "forged"}, {}])
def test_a_forged_or_missing_csrf_token_is_refused_and_nothing_changes(world, login, token):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    response = client.post(f"/steps/{step.id}/status", data={"status": "done", **token}, csrf=bool(token))
    assert response.status_code == 400
    assert "แบบฟอร์มไม่ถูกต้องหรือหมดอายุ" in response.get_data(as_text=True)
    assert fresh(step).status is StepStatus.not_started
    assert journal_of(step) == []


# -- other organizations -----------------------------------------------------------


@pytest.fixture
def elsewhere(world):
    """Another municipality with its own plan, step and evidence."""
    org = Organization(name="เทศบาลตำบลอื่น", slug="other", province="ขอนแก่น")
    dept = Department(organization=org, name="สำนักปลัดเทศบาล")
    plan = Plan(organization=org, fiscal_year=2566, title="แผนของที่อื่น")
    weakness = Weakness(plan=plan, order=1, title="จุดอ่อนของที่อื่น")
    measure = Measure(
        weakness=weakness,
        order=1,
        title="มาตรการของที่อื่น",
        owner_department=dept,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
    )
    step = Step(
        measure=measure,
        order=1,
        title="ขั้นตอนของที่อื่น",
        owner_department=dept,
        start_date=date(2023, 1, 1),
        due_date=date(2023, 9, 29),
    )
    db.session.add(org)
    admin = make_user(org, "admin@other.go.th", Role.admin)
    db.session.flush()
    evidence = services.add_link_evidence(step, admin, "https://other.go.th/x", "หลักฐานของที่อื่น", NOW)
    db.session.commit()
    return {"plan": plan.id, "measure": measure.id, "step": step.id, "evidence": evidence.id}


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/plans/{plan}"),
        ("get", "/measures/{measure}"),
        ("get", "/steps/{step}"),
        ("get", "/evidence/{evidence}"),
        ("post", "/steps/{step}/update"),
        ("post", "/steps/{step}/status"),
        ("post", "/steps/{step}/comment"),
        ("post", "/steps/{step}/evidence"),
        ("post", "/evidence/{evidence}/delete"),
    ],
)
def test_another_organizations_records_are_404_even_for_an_admin(world, login, elsewhere, method, url):
    client = login(world.admin)
    form = {"status": "done", "comment": "x"} if method == "post" else None
    response = getattr(client, method)(url.format(**elsewhere), data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "ของที่อื่น" not in page
    db.session.rollback()
    assert db.session.get(Step, elsewhere["step"]).status is StepStatus.not_started
    assert db.session.get(Evidence, elsewhere["evidence"]) is not None


def test_unknown_ids_are_404(world, login):
    client = login(world.admin)
    for url in ("/plans/999999", "/measures/999999", "/steps/999999", "/evidence/999999"):
        assert client.get(url).status_code == 404


def test_pages_require_login(world, client):
    for url in ("/", f"/plans/{world.plan.id}", f"/steps/{world.step(world.m1, 1).id}", "/my-steps"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location
