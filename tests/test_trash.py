"""Deletes go to a trash and can be undone: the trash service, its pages and its job.

A deleted item disappears for real (its rows are deleted), so every page,
count, report, API answer and reminder is right; the trash keeps the rows to
restore them at their old place, with the journal links the delete cut.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import url_for

from tests.conftest import NOW, make_user
from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Organization
from tracker.plans import counters, services, trash
from tracker.plans.models import Evidence, JournalEntry, Measure, Step, StepStatus, TrashItem, Weakness

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def upload_dir(app) -> Path:
    path = Path(app.config["TRACKER_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def step_titles(measure_id: int) -> list[tuple[int, str]]:
    db.session.expire_all()
    return [(s.order, s.title) for s in db.session.get(Measure, measure_id).steps]


def page(response) -> str:
    return response.get_data(as_text=True)


# -- the service -------------------------------------------------------------------


def test_a_deleted_weakness_takes_its_measures_and_steps_and_comes_back_whole(world):
    w1 = world.m1.weakness
    w1_id, m1_id, plan_id = w1.id, world.m1.id, world.plan.id
    step_ids = [s.id for s in world.m1.steps]
    assert trash.describe(w1) == "1 มาตรการ, 3 ขั้นตอน"
    item = trash.trash_weakness(w1, world.admin, NOW)
    db.session.commit()
    assert item.summary == "1 มาตรการ, 3 ขั้นตอน"
    assert (count(Weakness), count(Measure), count(Step)) == (1, 1, 2)
    # The other weakness moved up to number 1.
    assert [w.order for w in db.session.scalars(sa.select(Weakness))] == [1]

    trash.restore(item, world.admin, NOW + timedelta(minutes=1))
    db.session.commit()
    assert (count(Weakness), count(Measure), count(Step), count(TrashItem)) == (2, 2, 5, 0)
    assert counters.mismatches(db.session.connection()) == []  # the plan's figures follow
    restored = db.session.get(Weakness, w1_id)
    assert restored.order == 1 and restored.plan_id == plan_id
    assert [s.id for s in db.session.get(Measure, m1_id).steps] == step_ids
    assert [w.title for w in db.session.scalars(sa.select(Weakness).order_by(Weakness.order))] == [
        "การใช้ทรัพย์สินของราชการ",
        "การปรับปรุงการทำงาน",
    ]
    actions = [
        (e.action, e.field)
        for e in db.session.scalars(
            sa.select(JournalEntry).where(JournalEntry.entity == "plan").order_by(JournalEntry.id)
        )
    ]
    assert actions == [("delete", "weakness"), ("restore", "weakness")]


def test_a_step_comes_back_at_its_place_with_its_journal(world):
    first, second = world.step(world.m1, 1), world.step(world.m1, 2)
    services.edit_step(second, world.admin, NOW, title="จัดทำคู่มือฉบับใหม่")
    db.session.commit()
    second_id = second.id
    entries = db.session.scalar(sa.select(sa.func.count()).where(JournalEntry.step_id == second_id))
    assert entries
    item = trash.trash_step(second, world.admin, NOW)
    db.session.commit()
    assert step_titles(world.m1.id) == [(1, first.title), (2, "รายงานผลการดำเนินงาน")]
    trash.restore(item, world.admin, NOW)
    db.session.commit()
    assert counters.mismatches(db.session.connection()) == []
    assert step_titles(world.m1.id) == [(1, first.title), (2, "จัดทำคู่มือฉบับใหม่"), (3, "รายงานผลการดำเนินงาน")]
    # The step's own history is linked to it again, plus the restore itself.
    linked = db.session.scalars(
        sa.select(JournalEntry.action).where(JournalEntry.step_id == second_id).order_by(JournalEntry.id)
    ).all()
    assert len(linked) == entries + 1 and linked[-1] == "restore"


def test_a_step_with_progress_is_not_trashed(world):
    step = world.step(world.m1, 1)
    services.change_status(step, StepStatus.in_progress, world.owner_palad, NOW)
    db.session.commit()
    with pytest.raises(Exception, match="ไม่ได้"):
        trash.trash_step(step, world.admin, NOW)
    db.session.rollback()
    assert count(TrashItem) == 0 and count(Step) == 5


def test_a_step_of_a_deleted_measure_waits_for_its_measure(world):
    step = world.step(world.m2, 2)
    step_item = trash.trash_step(step, world.admin, NOW)
    measure_item = trash.trash_measure(world.m2, world.admin, NOW)
    db.session.commit()
    with pytest.raises(Exception, match="กู้คืนรายการนั้นก่อน"):
        trash.restore(step_item, world.admin, NOW)
    db.session.rollback()
    trash.restore(db.session.get(TrashItem, measure_item.id), world.admin, NOW)
    trash.restore(db.session.get(TrashItem, step_item.id), world.admin, NOW)
    db.session.commit()
    assert count(Step) == 5 and count(Measure) == 2


def test_a_freed_id_taken_meanwhile_gets_a_fresh_one(world):
    measure_id = world.m2.id
    last = max(db.session.scalars(sa.select(Step)), key=lambda s: s.id)
    item = trash.trash_step(last, world.admin, NOW)
    db.session.commit()
    from tracker.plans import structure

    newcomer = structure.add_step(
        db.session.get(Measure, measure_id),
        world.admin,
        NOW,
        title="ขั้นตอนใหม่",
        start_date=world.m2.period_start,
        due_date=world.m2.period_end,
    )
    db.session.commit()
    trash.restore(item, world.admin, NOW)
    db.session.commit()
    titles = [t for _, t in step_titles(measure_id)]
    assert titles == ["กำหนดระบบที่ต้องการพัฒนา", "ทดสอบการใช้งานระบบ", "ขั้นตอนใหม่"]
    assert db.session.get(Step, newcomer.id).title == "ขั้นตอนใหม่"


def test_purge_drops_old_items_and_their_files_and_journals_it(world, upload_dir):
    step = world.step(world.m1, 1)
    ev = services.add_file_evidence(
        step, world.owner_palad, "รายงาน.pdf", io.BytesIO(PDF), str(upload_dir), 10_000_000, NOW
    )
    db.session.commit()
    path = upload_dir / ev.stored_name
    assert path.exists()
    item = trash.trash_evidence(ev, world.owner_palad, NOW)
    db.session.commit()
    assert item.summary == "" and count(Evidence) == 0
    assert path.exists()  # kept while the item can be restored
    assert trash.purge_trash(db.session, NOW + timedelta(days=trash.TRASH_DAYS - 1), str(upload_dir)) == 0
    assert trash.purge_trash(db.session, NOW + timedelta(days=trash.TRASH_DAYS + 1), str(upload_dir)) == 1
    db.session.commit()
    assert not path.exists() and count(TrashItem) == 0
    [purged] = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.action == "purge"))
    assert purged.old_value.startswith("หลักฐาน “รายงาน.pdf”")


# -- hidden everywhere until restored -------------------------------------------------


def test_a_deleted_step_is_gone_from_the_api_and_the_reminders_until_restored(world, client):
    from datetime import date, datetime

    from tracker.api import tokens
    from tracker.notify.models import OutboxItem
    from tracker.notify.reminders import queue_reminders
    from tracker.thaidate import BANGKOK

    step = world.step(world.m2, 2)  # due 15 Aug 2023
    step_id = step.id
    _, secret = tokens.create_token(world.admin, "สคริปต์", NOW)
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}

    def api_step_ids() -> set[int]:
        body = client.get("/api/v1/steps", headers=headers).get_json()
        return {s["id"] for s in body["items"]}

    assert step_id in api_step_ids()
    item = trash.trash_step(step, world.admin, NOW)
    db.session.commit()
    assert step_id not in api_step_ids()
    assert client.get(f"/api/v1/steps/{step_id}", headers=headers).status_code == 404

    due_day = datetime(2023, 8, 15, 8, 5, tzinfo=BANGKOK)
    queue_reminders(due_day - timedelta(days=1))  # Monday: "due tomorrow", but the step is in the trash
    db.session.commit()
    assert not db.session.scalar(sa.select(sa.func.count(OutboxItem.id)).where(OutboxItem.step_id == step_id))

    trash.restore(db.session.get(TrashItem, item.id), world.admin, NOW)
    db.session.commit()
    assert step_id in api_step_ids()
    queue_reminders(due_day)
    db.session.commit()
    reasons = db.session.scalars(sa.select(OutboxItem.reason).where(OutboxItem.step_id == step_id)).all()
    assert reasons, "the restored step is reminded again"
    assert date(2023, 8, 15) == db.session.get(Step, step_id).due_date


# -- the pages ------------------------------------------------------------------------


def test_delete_asks_first_says_what_goes_and_can_be_undone(world, login):
    admin = login(world.admin)
    weakness_id = world.m1.weakness.id
    confirm = admin.get(url_for("admin.weakness_delete", weakness_id=weakness_id))
    assert confirm.status_code == 200
    text = page(confirm)
    assert "3 ขั้นตอน" in text and "1 มาตรการ" in text and "ยืนยันการลบ" in text
    assert count(Weakness) == 2  # a GET changes nothing

    response = admin.post(url_for("admin.weakness_delete", weakness_id=weakness_id), follow_redirects=True)
    assert response.status_code == 200
    text = page(response)
    assert "ลบประเด็นแล้ว" in text and "เลิกทำ" in text
    assert count(Weakness) == 1 and count(Step) == 2
    [item] = db.session.scalars(sa.select(TrashItem))
    assert item.deleted_by_id == world.admin.id

    trash_page = page(admin.get(url_for("admin.trash_list")))
    assert "การใช้ทรัพย์สินของราชการ" in trash_page and "3 ขั้นตอน" in trash_page

    undone = admin.post(
        url_for("plans.trash_restore", item_id=item.id), data={"next": "/admin/trash"}, follow_redirects=True
    )
    assert undone.status_code == 200 and "กู้คืน" in page(undone)
    assert count(Weakness) == 2 and count(Step) == 5 and count(TrashItem) == 0
    assert "ถังขยะว่าง" in page(undone)


def test_the_confirm_page_of_a_worked_on_step_explains_and_offers_no_delete(world, login):
    step = world.step(world.m1, 1)
    services.change_status(step, StepStatus.in_progress, world.owner_palad, NOW)
    db.session.commit()
    admin = login(world.admin)
    text = page(admin.get(url_for("admin.step_delete", step_id=step.id)))
    assert "ลบไม่ได้" in text and "ยืนยันการลบ" not in text
    assert admin.post(url_for("admin.step_delete", step_id=step.id)).status_code == 400
    assert count(Step) == 5 and count(TrashItem) == 0


def test_an_officer_removes_evidence_after_confirming_and_undoes_it(world, login, upload_dir):
    step = world.step(world.m1, 1)
    ev = services.add_file_evidence(
        step, world.owner_palad, "รายงานผล ๑.pdf", io.BytesIO(PDF), str(upload_dir), 10_000_000, NOW
    )
    db.session.commit()
    ev_id, stored = ev.id, ev.stored_name
    officer = login(world.owner_palad)
    confirm = officer.get(url_for("plans.delete_evidence", evidence_id=ev_id))
    assert confirm.status_code == 200 and "รายงานผล ๑.pdf" in page(confirm)
    response = officer.post(url_for("plans.delete_evidence", evidence_id=ev_id), follow_redirects=True)
    assert "เลิกทำ" in page(response) and count(Evidence) == 0
    assert (upload_dir / stored).exists()
    [item] = db.session.scalars(sa.select(TrashItem))
    officer.post(url_for("plans.trash_restore", item_id=item.id), data={"next": f"/steps/{step.id}"})
    assert db.session.get(Evidence, ev_id).stored_name == stored
    assert officer.get(url_for("plans.evidence", evidence_id=ev_id)).data == PDF
    actions = db.session.scalars(
        sa.select(JournalEntry.action).where(JournalEntry.step_id == step.id).order_by(JournalEntry.id)
    ).all()
    assert actions[-2:] == ["evidence_remove", "restore"]


def test_restore_by_someone_else_or_another_organization_is_refused_and_changes_nothing(world, login):
    item = trash.trash_step(world.step(world.m1, 3), world.admin, NOW)
    db.session.commit()
    other = Organization(name="อบต.อื่น", slug="otherorg", province="ขอนแก่น")
    db.session.add(other)
    outsider = make_user(other, "admin@other.go.th", Role.admin)
    db.session.commit()

    assert login(outsider).post(url_for("plans.trash_restore", item_id=item.id)).status_code == 404
    assert login(outsider).get(url_for("admin.step_delete", step_id=world.step(world.m1, 1).id)).status_code == 404
    # An officer of the organization may undo only their own deletes.
    assert login(world.owner_palad).post(url_for("plans.trash_restore", item_id=item.id)).status_code == 403
    # A forged request without the form's token is refused.
    response = login(world.admin).post(url_for("plans.trash_restore", item_id=item.id), csrf=False)
    assert response.status_code == 400
    assert count(Step) == 4 and count(TrashItem) == 1
    assert login(world.owner_palad).get(url_for("admin.trash_list")).status_code in (403, 404)


def test_the_scheduler_beat_purges_the_old_trash(world):
    from tracker.scheduler import tick

    trash.trash_step(world.step(world.m1, 3), world.admin, NOW)
    db.session.commit()
    tick(NOW + timedelta(days=1), deliver_mail=False)
    assert count(TrashItem) == 1
    tick(NOW + timedelta(days=trash.TRASH_DAYS, minutes=1), deliver_mail=False)
    assert count(TrashItem) == 0 and count(Step) == 4
