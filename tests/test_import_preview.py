"""Units of the plan import for a person (issue 11): places in words, the preview's
marks against the plan in the database, close department names, the kept file."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import NOW
from tracker.errors import ServiceError
from tracker.plans import pending
from tracker.plans.exporter import export_plan_yaml
from tracker.plans.import_preview import (
    CHANGED,
    NEW,
    REMOVED,
    SAME,
    build_preview,
    rename_departments,
    similar_departments,
)
from tracker.plans.planfile import load_plan_bytes
from tracker.plans.planfile.places import with_cell, words_place


@pytest.mark.parametrize(
    "path, words",
    [
        (("weaknesses", 0, "measures", 0, "steps", 1, "due"), "ประเด็นที่ 1 › มาตรการที่ 1 › ขั้นตอนที่ 2 › วันครบกำหนด"),
        (("weaknesses", 1, "measures", 0, "period", "start"), "ประเด็นที่ 2 › มาตรการที่ 1 › ระยะเวลาดำเนินการ › วันเริ่ม"),
        (("weaknesses", 0, "measures"), "ประเด็นที่ 1 › มาตรการ"),
        (("departments", 2, "email"), "หน่วยงานที่ 3 › อีเมล"),
        (("organization", "slug"), "องค์กร › รหัสองค์กร"),
        (("fiscal_year",), "ปีงบประมาณ"),
        (("title",), "ชื่อแผน"),
        (("weaknesses", 0, "titel"), "ประเด็นที่ 1 › “titel”"),
        ((), ""),
    ],
)
def test_places_are_words_a_person_reads(ctx, path, words):
    assert words_place(path) == words


def test_an_xlsx_place_adds_the_cell_after_the_words(ctx):
    cell = "แผ่นงาน “ขั้นตอน (steps)” แถว 3 คอลัมน์ M “วันครบกำหนด (due)”"
    assert with_cell(("weaknesses", 0, "measures", 0, "steps", 1, "due"), cell) == (
        f"ประเด็นที่ 1 › มาตรการที่ 1 › ขั้นตอนที่ 2 › วันครบกำหนด ({cell})"
    )
    assert with_cell((), cell) == cell


def _spec(world, text_edit=lambda t: t):
    return load_plan_bytes(text_edit(export_plan_yaml(world.plan)).encode(), "plan.yaml")


def test_the_same_plan_is_all_unchanged(world):
    preview = build_preview(_spec(world), world.plan, {}, {})
    assert not preview.created
    assert {item.mark for depth in range(3) for item in preview.items(depth)} == {SAME}
    steps = preview.items(2)
    assert [(s.number, s.due, s.owner) for s in steps[:2]] == [
        ("1.1", date(2023, 7, 31), "สำนักปลัดเทศบาล"),
        ("1.2", date(2023, 8, 31), "สำนักปลัดเทศบาล"),
    ]


def test_changes_say_from_and_to_and_mark_only_what_changed(world):
    spec = _spec(world, lambda t: t.replace("due: 2023-08-15", "due: 2023-08-31").replace("จัดทำคู่มือ", "คู่มือ"))
    preview = build_preview(spec, world.plan, {}, {})
    by_number = {s.number: s for s in preview.items(2)}
    assert by_number["1.2"].mark == CHANGED
    assert [(c.label, c.old, c.new) for c in by_number["1.2"].changes] == [("ชื่อ", "จัดทำคู่มือ", "คู่มือ")]
    assert [(c.label, c.old, c.new) for c in by_number["2.2"].changes] == [
        ("วันครบกำหนด", date(2023, 8, 15), date(2023, 8, 31))
    ]
    assert by_number["1.1"].mark == SAME and preview.count(CHANGED) == 2


def test_a_new_plan_is_all_new_with_computed_due_dates(world):
    spec = _spec(world, lambda t: t.replace("due: 2023-07-31\n", "\n"))
    preview = build_preview(spec, None, {}, {})
    assert preview.created and preview.count(NEW) == 2 + 2 + 5
    assert all(s.due is not None for s in preview.items(2))
    assert preview.items(2)[0].due is not None and preview.items(2)[0].due != date(2023, 7, 31)  # computed


def test_items_beyond_the_file_are_marked_removed_with_their_steps(world):
    spec = _spec(world)
    spec.weaknesses = spec.weaknesses[:1]
    preview = build_preview(spec, world.plan, {}, {})
    removed = [w for w in preview.weaknesses if w.mark == REMOVED]
    assert [(w.number, w.title) for w in removed] == [("2", "การปรับปรุงการทำงาน")]
    assert [s.title for s in removed[0].children[0].children] == ["กำหนดระบบที่ต้องการพัฒนา", "ทดสอบการใช้งานระบบ"]
    assert preview.count(REMOVED) == 1 + 1 + 2


@pytest.mark.parametrize(
    "name, close",
    [
        ("สำนักปลัด", "สำนักปลัดเทศบาล"),  # shortened
        ("สำนักปลัด เทศบาล", "สำนักปลัดเทศบาล"),  # spaced
        ("กองยุทธศาสตร์และงบประมาน", "กองยุทธศาสตร์และงบประมาณ"),  # a typo
        ("กองช่าง", None),  # another department
        ("สำนักปลัดเทศบาล", None),  # the same: nothing to ask
    ],
)
def test_close_department_names_are_found(world, name, close):
    spec = _spec(world, lambda t: t.replace("owner: สำนักปลัดเทศบาล", f"owner: {name}", 1))
    departments = [world.palad, world.strategy]
    found = {s.name: s.existing for s in similar_departments(spec, departments)}
    assert found.get(name) == close


def test_renaming_writes_the_chosen_existing_name_everywhere(world):
    spec = _spec(world, lambda t: t.replace("สำนักปลัดเทศบาล", "สำนักปลัด"))
    preview = build_preview(spec, world.plan, {}, {"สำนักปลัด": "สำนักปลัดเทศบาล"})
    assert {s.owner_in_file for s in preview.items(2)[:3]} == {"สำนักปลัด"}
    assert preview.count(CHANGED) == 0
    rename_departments(spec, {"สำนักปลัด": "สำนักปลัดเทศบาล"})
    assert "สำนักปลัด" not in spec.owner_names()


def test_a_kept_file_is_taken_once_by_its_user_for_its_organization(world):
    token = pending.keep(b"data", "plan.yaml", user_id=world.admin.id, organization_id=world.org.id, now=NOW)
    with pytest.raises(ServiceError, match="ไม่พบไฟล์ที่ตรวจสอบไว้"):
        pending.take(token, user_id=world.manager.id, organization_id=world.org.id, now=NOW)
    with pytest.raises(ServiceError, match="ไม่พบไฟล์ที่ตรวจสอบไว้"):
        pending.take(token, user_id=world.admin.id, organization_id=world.org.id + 1, now=NOW)
    kept = pending.take(token, user_id=world.admin.id, organization_id=world.org.id, now=NOW)
    assert (kept.filename, kept.data) == ("plan.yaml", b"data")
    with pytest.raises(ServiceError, match="ไม่พบไฟล์ที่ตรวจสอบไว้"):
        pending.take(token, user_id=world.admin.id, organization_id=world.org.id, now=NOW)


def test_a_kept_file_expires_and_expired_files_are_dropped(world):
    token = pending.keep(b"data", "plan.yaml", user_id=world.admin.id, organization_id=world.org.id, now=NOW)
    later = NOW + pending.LIFETIME + timedelta(seconds=1)
    with pytest.raises(ServiceError, match="หมดอายุ"):
        pending.take(token, user_id=world.admin.id, organization_id=world.org.id, now=later)
    pending.keep(b"x", "b.yaml", user_id=world.admin.id, organization_id=world.org.id, now=NOW)
    pending.keep(b"y", "c.yaml", user_id=world.admin.id, organization_id=world.org.id, now=later + pending.LIFETIME)
    from tracker.db import db

    assert db.session.query(pending.PendingImport).count() == 1
