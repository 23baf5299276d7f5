"""Ticking steps off: the status rules, the journal, and evidence checks."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW
from tracker.db import db
from tracker.errors import PermissionDenied, ServiceError
from tracker.plans import services
from tracker.plans.models import EvidenceKind, StepStatus

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_owner_marks_own_step_done_and_the_journal_says_from_to_with_note(world):
    step = world.step(world.m1, 1)
    services.change_status(step, "done", world.owner_palad, NOW, note="ประกาศแล้ว เลขที่ 12/2566")
    db.session.commit()
    assert step.status is StepStatus.done
    assert step.completed_at == NOW
    assert step.completed_by is world.owner_palad
    entry = step.journal[-1]
    assert (entry.action, entry.field, entry.old_value, entry.new_value) == ("status", "status", "not_started", "done")
    assert entry.note == "ประกาศแล้ว เลขที่ 12/2566"
    assert entry.actor is world.owner_palad and entry.created_at == NOW


def test_owner_of_another_department_is_refused_and_nothing_changes(world):
    step = world.step(world.m1, 1)
    with pytest.raises(PermissionDenied) as exc:
        services.change_status(step, "done", world.owner_strategy, NOW)
    assert "สำนักปลัดเทศบาล" in exc.value.message
    assert step.status is StepStatus.not_started and step.journal == []


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_readers_cannot_change_steps(world, role):
    with pytest.raises(PermissionDenied):
        services.change_status(world.step(world.m1, 1), "in_progress", getattr(world, role), NOW)


def test_admin_changes_any_step(world):
    services.change_status(world.step(world.m2, 1), "in_progress", world.admin, NOW)
    assert world.step(world.m2, 1).status is StepStatus.in_progress


def test_an_assignee_from_another_department_may_change_the_step(world):
    step = world.step(world.m1, 2)
    step.assignee = world.owner_strategy
    services.change_status(step, "in_progress", world.owner_strategy, NOW)
    assert step.status is StepStatus.in_progress


def test_cancelling_needs_a_reason(world):
    step = world.step(world.m1, 3)
    with pytest.raises(ServiceError, match="เหตุผล"):
        services.change_status(step, "cancelled", world.admin, NOW)
    services.change_status(step, "cancelled", world.admin, NOW, cancel_reason="รวมกับขั้นตอนที่ 2")
    assert step.cancel_reason == "รวมกับขั้นตอนที่ 2"


def test_reopening_a_done_step_clears_its_completion(world):
    step = world.step(world.m1, 1)
    services.change_status(step, "done", world.owner_palad, NOW)
    services.change_status(step, "in_progress", world.owner_palad, NOW + timedelta(days=1), note="ต้องแก้ประกาศ")
    assert step.completed_at is None and step.completed_by is None
    assert [e.new_value for e in step.journal] == ["done", "in_progress"]


@pytest.mark.parametrize("bad", ["finished", "", "DONE "])
def test_unknown_or_same_status_is_refused(world, bad):
    with pytest.raises(ServiceError):
        services.change_status(world.step(world.m1, 1), bad, world.admin, NOW)
    with pytest.raises(ServiceError, match="อยู่แล้ว"):
        services.change_status(world.step(world.m1, 1), "not_started", world.admin, NOW)


def test_a_past_completion_date_is_recorded_at_noon_bangkok(world):
    step = world.step(world.m1, 1)
    services.change_status(step, "done", world.owner_palad, NOW, completed_on=date(2023, 7, 28))
    assert step.completed_at == datetime(2023, 7, 28, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize("when", [date(2023, 8, 2), date(2022, 9, 30)])
def test_completion_dates_in_the_future_or_before_the_fiscal_year_are_refused(world, when):
    with pytest.raises(ServiceError):
        services.change_status(world.step(world.m1, 1), "done", world.owner_palad, NOW, completed_on=when)


def test_a_file_is_stored_under_a_random_name_with_its_checksum(world, app):
    step = world.step(world.m1, 1)
    upload_dir = app.config["TRACKER_UPLOAD_DIR"]
    ev = services.add_file_evidence(
        step, world.owner_palad, "../../ประกาศ.pdf", io.BytesIO(PDF), upload_dir, 10_000, NOW
    )
    assert ev.kind is EvidenceKind.file and ev.original_name == "ประกาศ.pdf" and ev.size == len(PDF)
    path = services.evidence_path(ev, upload_dir)
    assert path.read_bytes() == PDF and path.name != "ประกาศ.pdf" and path.parent == Path(upload_dir)
    import hashlib

    assert ev.sha256 == hashlib.sha256(PDF).hexdigest()
    assert step.journal[-1].action == "evidence_add"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("virus.exe", b"MZ\x90\x00", "ไม่รับไฟล์ชนิด"),
        ("fake.pdf", b"<html>not a pdf</html>", "ไม่ตรงกับนามสกุล"),
        ("noext", b"hello", "ไม่รับไฟล์ชนิด"),
        ("notes.txt", b"binary\x00data", "ไม่ใช่ข้อความ"),
        ("empty.pdf", b"", "ไม่ตรงกับนามสกุล"),
    ],
)
def test_uploads_are_checked_by_type_and_content(world, app, name, content, message):
    upload_dir = Path(app.config["TRACKER_UPLOAD_DIR"])
    before = set(upload_dir.glob("*")) if upload_dir.exists() else set()
    with pytest.raises(ServiceError, match=message):
        services.add_file_evidence(
            world.step(world.m1, 1), world.owner_palad, name, io.BytesIO(content), str(upload_dir), 10_000, NOW
        )
    after = set(upload_dir.glob("*")) if upload_dir.exists() else set()
    assert after == before


def test_an_oversized_file_leaves_nothing_behind(world, app):
    upload_dir = Path(app.config["TRACKER_UPLOAD_DIR"])
    before = set(upload_dir.glob("*")) if upload_dir.exists() else set()
    with pytest.raises(ServiceError, match="ใหญ่เกิน"):
        services.add_file_evidence(
            world.step(world.m1, 1),
            world.owner_palad,
            "big.pdf",
            io.BytesIO(PDF + b"x" * 200_000),
            str(upload_dir),
            100_000,
            NOW,
        )
    assert set(upload_dir.glob("*")) == before


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.go.th/a", "https://", "not a url"])
def test_links_must_be_http(world, url):
    with pytest.raises(ServiceError, match="http"):
        services.add_link_evidence(world.step(world.m1, 1), world.owner_palad, url, "", NOW)


def test_a_link_keeps_its_title(world):
    ev = services.add_link_evidence(
        world.step(world.m1, 1), world.owner_palad, "https://banpet.go.th/news/12", "ประกาศบนเว็บไซต์", NOW
    )
    assert (ev.kind, ev.url, ev.original_name) == (EvidenceKind.link, "https://banpet.go.th/news/12", "ประกาศบนเว็บไซต์")


def test_edit_step_journals_each_field_and_keeps_dates_inside_the_period(world):
    step = world.step(world.m1, 2)
    changed = services.edit_step(
        step, world.admin, NOW, title="จัดทำคู่มือการยืมทรัพย์สิน", due_date=date(2023, 9, 15), owner_department=world.strategy
    )
    assert changed == ["title", "owner_department", "due_date"]
    assert [(e.field, e.old_value, e.new_value) for e in step.journal] == [
        ("title", "จัดทำคู่มือ", "จัดทำคู่มือการยืมทรัพย์สิน"),
        ("owner_department", "สำนักปลัดเทศบาล", "กองยุทธศาสตร์และงบประมาณ"),
        ("due_date", "2023-08-31", "2023-09-15"),
    ]
    with pytest.raises(ServiceError, match="นอกระยะเวลา"):
        services.edit_step(step, world.admin, NOW, due_date=date(2023, 10, 2))
    assert step.due_date == date(2023, 9, 15)
