"""Follow-up results of measures: who may record them, how figures are read,
evidence, the journal, and the pages."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tests.report_factory import other_org_admin
from tracker import access
from tracker.db import db
from tracker.errors import PermissionDenied, ServiceError
from tracker.plans import results
from tracker.plans.models import Evidence, EvidenceKind, JournalEntry, MeasureResult, TrashItem

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def journal_of(measure) -> list[tuple[str | None, str | None, str | None]]:
    return [
        (e.field, e.old_value, e.new_value)
        for e in db.session.scalars(
            sa.select(JournalEntry)
            .where(JournalEntry.entity == "measure", JournalEntry.entity_id == measure.id)
            .order_by(JournalEntry.id)
        )
        if e.action == "result"
    ]


def test_an_owner_of_the_department_records_a_figure_with_a_note_and_a_link(world):
    changed = results.set_result(
        world.m2, world.owner_strategy, NOW, value="1,250 ครั้ง", note="ผู้ใช้บริการ E-Service ม.ค.–ก.ค."
    )
    link = results.add_result_link(
        world.m2, world.owner_strategy, "https://banpet.example/stat.pdf", "สถิติ E-Service", NOW
    )
    db.session.commit()

    assert changed == ["value", "unit", "note"]
    result = db.session.scalar(sa.select(MeasureResult).where(MeasureResult.measure_id == world.m2.id))
    assert (result.value, result.unit, result.note) == (Decimal("1250.00"), "ครั้ง", "ผู้ใช้บริการ E-Service ม.ค.–ก.ค.")
    assert result.updated_by_id == world.owner_strategy.id and result.updated_at == NOW
    assert (link.measure_id, link.step_id, link.kind) == (world.m2.id, None, EvidenceKind.link)
    entries = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "measure")).all()
    assert {e.actor_id for e in entries} == {world.owner_strategy.id}
    assert all(e.action == "result" and e.entity_id == world.m2.id for e in entries)
    assert journal_of(world.m2) == [
        ("value", None, "1250"),
        ("unit", None, "ครั้ง"),
        ("note", None, "ผู้ใช้บริการ E-Service ม.ค.–ก.ค."),
        ("evidence", None, "สถิติ E-Service"),
    ]


def test_another_department_and_readers_may_not_record(world):
    for user in (world.owner_palad, world.manager, world.viewer):
        with pytest.raises(PermissionDenied):
            results.set_result(world.m2, user, NOW, value="5", unit="ครั้ง")
        with pytest.raises(PermissionDenied):
            results.add_result_link(world.m2, user, "https://banpet.example/x", "x", NOW)
    assert results.set_result(world.m2, world.admin, NOW, value="5", unit="ครั้ง") == ["value", "unit"]
    assert access.can_edit_result(world.owner_palad, world.m1)
    assert not access.can_edit_result(world.owner_strategy, world.m1)


def test_a_change_journals_old_and_new_and_no_change_journals_nothing(world):
    results.set_result(world.m2, world.admin, NOW, value="87.5", unit="%", note="")
    assert results.set_result(world.m2, world.admin, NOW, value="87.50 %", unit="", note="") == []
    assert results.set_result(world.m2, world.admin, NOW, value="91", unit="%") == ["value"]
    db.session.commit()
    assert journal_of(world.m2)[-1] == ("value", "87.5", "91")
    assert len(journal_of(world.m2)) == 3


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("1,250", "ครั้ง", (Decimal("1250.00"), "ครั้ง")),
        ("๑,๒๕๐ ครั้ง", "", (Decimal("1250.00"), "ครั้ง")),
        ("87.5%", "", (Decimal("87.50"), "%")),
        (" 92 ", "ร้อยละ", (Decimal("92.00"), "ร้อยละ")),
        ("", "", (None, "")),
        ("1234567", "", (Decimal("1234567.00"), "")),
    ],
)
def test_figures_as_people_type_them(text, unit, expected):
    assert results.parse_value(text, unit) == expected


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("มาก", "", "ต้องเป็นตัวเลข"),
        ("12,34", "", "จุลภาค"),
        ("1.234", "", "ไม่เกิน 2 ตำแหน่ง"),
        ("5 ครั้ง", "ราย", "ไม่ตรงกับช่องหน่วย"),
        ("10000000000000", "", "มากเกินไป"),
    ],
)
def test_bad_figures_are_refused(text, unit, message):
    with pytest.raises(ServiceError, match=message):
        results.parse_value(text, unit)


def test_a_unit_without_a_value_or_an_empty_result_is_refused(world):
    with pytest.raises(ServiceError, match="ไม่มีค่า"):
        results.set_result(world.m2, world.admin, NOW, value="", unit="ครั้ง")
    with pytest.raises(ServiceError, match="ค่าหรือหมายเหตุ"):
        results.set_result(world.m2, world.admin, NOW, value="", note="  ")


def test_a_file_as_evidence_is_checked_stored_and_journaled(world, app):
    upload_dir = app.config["TRACKER_UPLOAD_DIR"]
    ev = results.add_result_file(world.m1, world.owner_palad, "ประกาศ.pdf", io.BytesIO(PDF), upload_dir, 10_000, NOW)
    db.session.commit()
    stored = Path(upload_dir) / ev.stored_name
    assert stored.read_bytes() == PDF and ev.original_name == "ประกาศ.pdf" and ev.measure_id == world.m1.id
    with pytest.raises(ServiceError, match="ไม่ตรงกับนามสกุล"):
        results.add_result_file(
            world.m1, world.owner_palad, "fake.pdf", io.BytesIO(b"MZ\x90\x00"), upload_dir, 10_000, NOW
        )
    results.remove_result_evidence(ev, world.owner_palad, NOW)
    db.session.commit()
    assert journal_of(world.m1) == [("evidence", None, "ประกาศ.pdf"), ("evidence", "ประกาศ.pdf", None)]


# -- pages ----------------------------------------------------------------------------


def test_the_owner_records_a_result_on_the_page(world, login):
    client = login(world.owner_strategy)
    page = client.get(f"/measures/{world.m2.id}/result")
    assert page.status_code == 200 and 'name="value"' in page.get_data(as_text=True)
    response = client.post(f"/measures/{world.m2.id}/result", data={"value": "1,250", "unit": "ครั้ง", "note": "สถิติครึ่งปี"})
    assert response.status_code == 302
    response = client.post(
        f"/measures/{world.m2.id}/result/evidence",
        data={"kind": "link", "url": "https://banpet.example/stat", "title": "สถิติ"},
    )
    assert response.status_code == 302
    page = client.get(f"/measures/{world.m2.id}/result").get_data(as_text=True)
    assert "1,250 ครั้ง" in page and "สถิติครึ่งปี" in page and "สถิติ</a>" in page
    # The measure page shows the result and links to this page.
    measure_page = client.get(f"/measures/{world.m2.id}").get_data(as_text=True)
    assert "1,250 ครั้ง" in measure_page and f"/measures/{world.m2.id}/result" in measure_page
    # Result evidence downloads through the app's evidence route.
    ev = db.session.scalar(sa.select(Evidence).where(Evidence.measure_id == world.m2.id))
    assert client.get(f"/evidence/{ev.id}").headers["Location"] == "https://banpet.example/stat"


def test_a_bad_figure_on_the_page_is_a_400_with_the_message_and_nothing_saved(world, login):
    client = login(world.owner_strategy)
    response = client.post(f"/measures/{world.m2.id}/result", data={"value": "หนึ่งพัน", "unit": "", "note": "x"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "ต้องเป็นตัวเลข" in body and "หนึ่งพัน" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeasureResult)) == 0


def test_another_department_gets_403_and_another_organization_404(world, login):
    client = login(world.owner_palad)
    assert client.post(f"/measures/{world.m2.id}/result", data={"value": "1"}).status_code == 403
    assert (
        client.post(
            f"/measures/{world.m2.id}/result/evidence", data={"kind": "link", "url": "https://x.example"}
        ).status_code
        == 403
    )
    page = client.get(f"/measures/{world.m2.id}/result")
    assert page.status_code == 200 and 'name="value"' not in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeasureResult)) == 0

    outsider = other_org_admin()
    client = login(outsider)
    assert client.get(f"/measures/{world.m2.id}/result").status_code == 404
    assert client.post(f"/measures/{world.m2.id}/result", data={"value": "1"}).status_code == 404


def test_evidence_is_removed_by_an_editor_only(world, login, app):
    ev = results.add_result_file(
        world.m1, world.owner_palad, "a.pdf", io.BytesIO(PDF), app.config["TRACKER_UPLOAD_DIR"], 10_000, NOW
    )
    db.session.commit()
    ev_id, path = ev.id, Path(app.config["TRACKER_UPLOAD_DIR"]) / ev.stored_name
    url = f"/measures/{world.m1.id}/result/evidence/{ev_id}/delete"
    assert login(world.owner_strategy).post(url).status_code == 403
    assert login(world.owner_palad).post(f"/measures/{world.m2.id}/result/evidence/{ev_id}/delete").status_code == 404
    assert path.exists()
    confirm = login(world.owner_palad).get(url)
    assert confirm.status_code == 200 and "a.pdf" in confirm.get_data(as_text=True)
    assert login(world.owner_palad).post(url).status_code == 302
    assert db.session.get(Evidence, ev_id) is None
    # In the trash: the file stays for an undo, the officer may restore it.
    [item] = db.session.scalars(sa.select(TrashItem))
    assert path.exists() and item.kind == "result_evidence"
    assert login(world.owner_palad).post(f"/trash/{item.id}/restore").status_code == 302
    assert db.session.get(Evidence, ev_id).measure_id == world.m1.id
