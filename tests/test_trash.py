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
from tracker.plans import services, trash
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
    restored = db.session.get(Weakness, w1_id)
    assert restored.order == 1 and restored.plan_id == plan_id
    assert [s.id for s in db.session.get(Measure, m1_id).steps] == step_ids
    assert [w.title for w in db.session.scalars(sa.select(Weakness).order_by(Weakness.order))] == [
        "การใช้ทรัพย์สินของราชการ",
        "การปรับปรุงการทำงาน",
    ]
    actions = [
        (e.action, e.field)
        for e in db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "plan").order_by(JournalEntry.id))
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
    assert step_titles(world.m1.id) == [(1, first.title), (2, "จัดทำคู่มือฉบับใหม่"), (3, "รายงานผลการดำเนินงาน")]
    # The step's own history is linked to it again, plus the restore itself.
    linked = db.session.scalars(sa.select(JournalEntry.action).where(JournalEntry.step_id == second_id)).all()
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
