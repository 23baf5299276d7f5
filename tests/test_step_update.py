"""One way to update a step (issue 11): a new status, a note, the completion date
(Buddhist Era), files and links in one submit, all or nothing; the organization's
rule for "done" (none / a note / evidence / both), obeyed by the page, the older
forms and the API alike; the conflict page for a stale update; evidence with Thai
names that opens in the browser with a download link beside it."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tracker import clock, thaidate, versions
from tracker.api import tokens
from tracker.db import db
from tracker.errors import ServiceError
from tracker.orgs.models import DoneRule, Organization
from tracker.plans import services
from tracker.plans.models import Evidence, JournalEntry, Step, StepStatus
from tracker.plans.update import StepUpdate, Upload, update_step

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03" + b"\x00" * 200
MAX = 10 * 1024 * 1024


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 Aug 2566, 10:00 in Bangkok


@pytest.fixture
def upload_dir(app) -> Path:
    path = Path(app.config["TRACKER_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def fresh(step: Step) -> Step:
    db.session.rollback()
    return db.session.get(Step, step.id)


def counts() -> tuple[int, int]:
    """(evidence rows, journal entries) in the database."""
    db.session.rollback()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)),
        db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)),
    )


def set_rule(world, rule: DoneRule) -> None:
    db.session.get(Organization, world.org.id).done_requires = rule
    db.session.commit()


def pdf(name: str = "รายงานการประชุม.pdf") -> Upload:
    return Upload(name, io.BytesIO(PDF))


# -- the service: all or nothing --------------------------------------------------------------


def test_one_update_changes_the_status_keeps_the_note_date_files_and_links_as_one_change(world, tmp_path):
    step = world.step(world.m1, 1)
    done = update_step(
        step,
        world.owner_palad,
        NOW,
        StepUpdate(
            status="done",
            note="ลงนามประกาศแล้ว ติดบอร์ดหน้าสำนักงาน",
            completed_on=thaidate.parse_date("28/07/2566"),
            files=[pdf(), Upload("ประกาศ.pdf", io.BytesIO(PDF))],
            links=[("https://banpet.go.th/news/1", "ประกาศบนเว็บไซต์")],
            version=step.version,
        ),
        upload_dir=str(tmp_path),
        max_bytes=MAX,
    )
    db.session.commit()
    step = fresh(step)
    assert done.status is StepStatus.done and step.status is StepStatus.done
    assert step.completed_at.astimezone(thaidate.BANGKOK).date().isoformat() == "2023-07-28"
    assert sorted(ev.original_name for ev in step.evidence) == ["ประกาศ.pdf", "ประกาศบนเว็บไซต์", "รายงานการประชุม.pdf"]
    assert files_under(tmp_path) == {ev.stored_name for ev in step.evidence if ev.stored_name}
    entries = list(
        db.session.scalars(sa.select(JournalEntry).where(JournalEntry.step_id == step.id).order_by(JournalEntry.id))
    )
    assert [e.action for e in entries] == ["status", "evidence_add", "evidence_add", "evidence_add"]
    # One change: the same time, actor and step version; the note once, on the status entry.
    assert {(e.created_at, e.actor_id, e.entity_version) for e in entries} == {(NOW, world.owner_palad.id, 2)}
    assert [e.note for e in entries] == ["ลงนามประกาศแล้ว ติดบอร์ดหน้าสำนักงาน", None, None, None]


def test_a_note_alone_is_a_progress_note_and_the_status_stays(world, tmp_path):
    step = world.step(world.m1, 1)
    done = update_step(
        step, world.owner_palad, NOW, StepUpdate(note="ร่างเสร็จครึ่งหนึ่ง"), upload_dir=str(tmp_path), max_bytes=MAX
    )
    db.session.commit()
    assert done.status is None and fresh(step).status is StepStatus.not_started
    [entry] = db.session.scalars(sa.select(JournalEntry))
    assert (entry.action, entry.note) == ("comment", "ร่างเสร็จครึ่งหนึ่ง")


REFUSALS = [
    # (what goes wrong, the update, the field the message belongs to, words of the message)
    (
        "a file of a refused type",
        StepUpdate(status="done", note="เสร็จ", files=[pdf(), Upload("setup.exe", io.BytesIO(EXE))]),
        "files",
        "ไฟล์ “setup.exe”: ไม่รับไฟล์ชนิด .exe",
    ),
    (
        "a file whose bytes are not its type",
        StepUpdate(status="done", note="เสร็จ", files=[pdf(), Upload("รายงาน.pdf", io.BytesIO(b"<html>"))]),
        "files",
        "เนื้อหาไฟล์ไม่ตรงกับนามสกุล .pdf",
    ),
    (
        "a file over the size limit",
        StepUpdate(status="done", note="เสร็จ", files=[pdf(), Upload("ใหญ่.pdf", io.BytesIO(PDF + b"0" * 2048))]),
        "files",
        "ไฟล์ใหญ่เกิน",
    ),
    (
        "a link that is not http",
        StepUpdate(status="done", note="เสร็จ", files=[pdf()], links=[("javascript:alert(1)", "x")]),
        "links",
        "ลิงก์ต้องขึ้นต้นด้วย http:// หรือ https://",
    ),
    (
        "a completion date in the future",
        StepUpdate(status="done", note="เสร็จ", files=[pdf()], completed_on=thaidate.parse_date("15/08/2566")),
        "completed_on",
        "อยู่ในอนาคต",
    ),
    (
        "a completion date before the plan's fiscal year",
        StepUpdate(status="done", note="เสร็จ", files=[pdf()], completed_on=thaidate.parse_date("30/09/2565")),
        "completed_on",
        "อยู่ก่อนปีงบประมาณของแผน",
    ),
    (
        "a status the step is already in",
        StepUpdate(status="not_started", note="เสร็จ", files=[pdf()]),
        "status",
        "อยู่ในสถานะ “ยังไม่เริ่ม” อยู่แล้ว",
    ),
    (
        "cancelling without a reason",
        StepUpdate(status="cancelled", files=[pdf()]),
        "cancel_reason",
        "โปรดระบุเหตุผลที่ยกเลิก",
    ),
    ("nothing at all", StepUpdate(), None, "ไม่มีอะไรให้บันทึก"),
]


@pytest.mark.parametrize(("case", "change", "field", "words"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_part_writes_nothing_at_all(world, tmp_path, case, change, field, words):
    step = world.step(world.m1, 1)
    with pytest.raises(ServiceError) as refused:
        update_step(step, world.owner_palad, NOW, change, upload_dir=str(tmp_path), max_bytes=len(PDF) + 1024)
    assert words in str(refused.value) and refused.value.field == field
    db.session.rollback()
    assert fresh(step).status is StepStatus.not_started
    assert counts() == (0, 0)  # no evidence row, no journal entry
    assert files_under(tmp_path) == set()  # and no file left behind


def test_a_transition_the_rules_refuse_writes_nothing(world, tmp_path):
    step = world.step(world.m1, 1)
    services.change_status(step, StepStatus.done, world.admin, NOW, note="เสร็จ")
    db.session.commit()
    before = counts()
    with pytest.raises(ServiceError, match="เปลี่ยนจาก “ดำเนินการแล้ว” เป็น “ยกเลิก” ไม่ได้"):
        update_step(
            step,
            world.owner_palad,
            NOW,
            StepUpdate(status="cancelled", cancel_reason="ซ้ำ", files=[pdf()]),
            upload_dir=str(tmp_path),
            max_bytes=MAX,
        )
    assert counts() == before and files_under(tmp_path) == set()


def test_a_stale_update_is_refused_with_what_changed_and_writes_nothing(world, tmp_path):
    step = world.step(world.m1, 1)
    shown = step.version
    services.change_status(step, StepStatus.in_progress, world.admin, NOW, note="เริ่มแล้ว")
    db.session.commit()
    before = counts()
    with pytest.raises(versions.Stale) as stale:
        update_step(
            step,
            world.owner_palad,
            NOW,
            StepUpdate(status="done", note="เสร็จ", files=[pdf()], version=shown),
            upload_dir=str(tmp_path),
            max_bytes=MAX,
        )
    assert [(e.old_value, e.new_value) for e in stale.value.changes] == [("not_started", "in_progress")]
    assert counts() == before and files_under(tmp_path) == set()


# -- the organization's rule for "done" ---------------------------------------------------------

NOTE = "หน่วยงานของคุณกำหนดให้พิมพ์บันทึก"
EVIDENCE = "หน่วยงานของคุณกำหนดให้มีหลักฐาน"
LINK = [("https://banpet.go.th/news/1", "ประกาศ")]

RULES = [
    # rule, the update's note, its links, the message refusing it (None: accepted)
    (DoneRule.none, "", [], None),
    (DoneRule.note, "", [], NOTE),
    (DoneRule.note, "  ", LINK, NOTE),
    (DoneRule.note, "ประกาศแล้ว", [], None),
    (DoneRule.evidence, "ประกาศแล้ว", [], EVIDENCE),
    (DoneRule.evidence, "", LINK, None),
    (DoneRule.note_and_evidence, "ประกาศแล้ว", [], EVIDENCE),
    (DoneRule.note_and_evidence, "", LINK, NOTE),
    (DoneRule.note_and_evidence, "ประกาศแล้ว", LINK, None),
]


@pytest.mark.parametrize(("rule", "note", "links", "refused"), RULES)
def test_done_needs_what_the_organization_asks_for(world, tmp_path, rule, note, links, refused):
    set_rule(world, rule)
    step = world.step(world.m1, 1)
    change = StepUpdate(status="done", note=note, links=links)
    if refused is None:
        update_step(step, world.owner_palad, NOW, change, upload_dir=str(tmp_path), max_bytes=MAX)
        db.session.commit()
        assert fresh(step).status is StepStatus.done
    else:
        with pytest.raises(ServiceError, match=refused) as error:
            update_step(step, world.owner_palad, NOW, change, upload_dir=str(tmp_path), max_bytes=MAX)
        assert error.value.field == ("note" if refused == NOTE else "files")
        assert fresh(step).status is StepStatus.not_started and counts() == (0, 0)


def test_the_default_rule_is_a_note():
    assert Organization(name="ใหม่", slug="new").done_requires in (None, DoneRule.note)
    column = Organization.__table__.c.done_requires
    assert column.server_default.arg == "note" and column.default.arg is DoneRule.note


def test_evidence_already_on_the_step_counts(world, tmp_path):
    set_rule(world, DoneRule.note_and_evidence)
    step = world.step(world.m1, 1)
    services.add_link_evidence(step, world.owner_palad, "https://banpet.go.th/a", "ประกาศ", NOW)
    db.session.commit()
    update_step(
        step, world.owner_palad, NOW, StepUpdate(status="done", note="เสร็จ"), upload_dir=str(tmp_path), max_bytes=MAX
    )
    assert step.status is StepStatus.done


def test_the_rule_is_about_done_only(world, tmp_path):
    set_rule(world, DoneRule.note_and_evidence)
    step = world.step(world.m1, 1)
    update_step(step, world.owner_palad, NOW, StepUpdate(status="in_progress"), upload_dir=str(tmp_path), max_bytes=MAX)
    assert step.status is StepStatus.in_progress


@pytest.fixture
def api_token(world):
    def _token(user) -> str:
        _, secret = tokens.create_token(user, "สคริปต์", NOW)
        db.session.commit()
        return secret

    return _token


@pytest.mark.parametrize(
    ("rule", "body", "refused"),
    [
        (DoneRule.note, {"status": "done"}, NOTE),
        (DoneRule.evidence, {"status": "done", "note": "เสร็จแล้ว"}, EVIDENCE),
        (DoneRule.note, {"status": "done", "note": "เสร็จแล้ว"}, None),
        (DoneRule.none, {"status": "done"}, None),
    ],
)
def test_the_api_obeys_the_rule(world, client, api_token, rule, body, refused):
    set_rule(world, rule)
    step = world.step(world.m1, 1)
    response = client.post(
        f"/api/v1/steps/{step.id}/status",
        json=body,
        headers={"Authorization": f"Bearer {api_token(world.owner_palad)}"},
        csrf=False,
    )
    if refused is None:
        assert response.status_code == 200 and response.get_json()["status"] == "done"
    else:
        assert response.status_code == 422
        assert refused in response.get_json()["error"]
        assert fresh(step).status is StepStatus.not_started
        assert db.session.scalars(sa.select(JournalEntry).where(JournalEntry.step_id == step.id)).all() == []


# -- the page -------------------------------------------------------------------------------------


def test_the_page_offers_one_form_and_states_the_rule(world, login):
    step = world.step(world.m1, 1)
    page = login(world.owner_palad).get(f"/steps/{step.id}").get_data(as_text=True)
    [form] = re.findall(rf'<form[^>]*action="/steps/{step.id}/update".*?</form>', page, re.S)
    for name in ("status", "note", "completed_on", "cancel_reason", "files", "links", "public", "version"):
        assert f'name="{name}"' in form, name
    [files] = re.findall(r'<input[^>]*name="files"[^>]*>', form)
    assert " multiple" in files and 'type="file"' in files
    assert "คงสถานะเดิม" in form  # a note or evidence alone is an update too
    assert "หน่วยงานของคุณกำหนดว่า: ต้องพิมพ์บันทึก" in page
    assert form.count('type="submit"') == 1


def test_one_submit_with_a_be_date_a_file_and_links(world, login, upload_dir):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    response = client.post(
        f"/steps/{step.id}/update",
        data={
            "status": "done",
            "note": "ลงนามประกาศแล้ว",
            "completed_on": "28/07/2566",
            "files": [(io.BytesIO(PDF), "ประกาศที่ลงนาม.pdf")],
            "links": "https://banpet.go.th/news/1 ประกาศบนเว็บไซต์\n\nhttps://banpet.go.th/news/2",
            "version": str(step.version),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(f"/steps/{step.id}").get_data(as_text=True)
    assert "บันทึกสถานะ “ดำเนินการแล้ว” แล้ว · แนบหลักฐาน 3 รายการแล้ว" in page
    assert "28 ก.ค. 2566 โดย เจ้าหน้าที่สำนักปลัด" in page
    evidence = page.split('id="evidence-h"', 1)[1].split("</section>", 1)[0]
    for shown in ("ประกาศที่ลงนาม.pdf", "ประกาศบนเว็บไซต์", "https://banpet.go.th/news/2"):
        assert shown in evidence
    step = fresh(step)
    assert step.status is StepStatus.done and len(step.evidence) == 3


def test_a_refused_update_keeps_what_was_typed_says_the_file_was_not_attached_and_writes_nothing(
    world, login, upload_dir
):
    step = world.step(world.m1, 1)
    before = files_under(upload_dir)
    response = login(world.owner_palad).post(
        f"/steps/{step.id}/update",
        data={
            "status": "done",
            "note": "ลงนามประกาศแล้ว",
            "completed_on": "28/07/2566",
            "files": [(io.BytesIO(PDF), "ประกาศ.pdf"), (io.BytesIO(EXE), "setup.exe")],
            "links": "https://banpet.go.th/news/1 ประกาศบนเว็บไซต์",
        },
        content_type="multipart/form-data",
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "ไฟล์ “setup.exe”: ไม่รับไฟล์ชนิด .exe" in page
    assert "ยังไม่ได้แนบ ประกาศ.pdf, setup.exe โปรดเลือกไฟล์อีกครั้ง" in page
    assert re.search(r">\s*ลงนามประกาศแล้ว</textarea>", page)
    assert re.search(r">\s*https://banpet.go.th/news/1 ประกาศบนเว็บไซต์</textarea>", page)
    assert 'value="28/07/2566"' in page
    assert re.search(r'name="status"[^>]*value="done"[^>]*checked|checked[^>]*name="status"[^>]*value="done"', page)
    assert fresh(step).status is StepStatus.not_started
    assert counts() == (0, 0) and files_under(upload_dir) == before


def test_done_without_a_note_is_refused_on_the_page_in_thai(world, login):
    step = world.step(world.m1, 1)
    response = login(world.owner_palad).post(f"/steps/{step.id}/update", data={"status": "done"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="status-note-error"' in page and NOTE in page
    assert fresh(step).status is StepStatus.not_started and counts() == (0, 0)


def test_the_older_status_address_obeys_the_same_rule(world, login):
    step = world.step(world.m1, 1)
    response = login(world.owner_palad).post(f"/steps/{step.id}/status", data={"status": "done"})
    assert response.status_code == 400 and NOTE in response.get_data(as_text=True)
    assert fresh(step).status is StepStatus.not_started


def test_a_stale_update_shows_the_conflict_page_with_the_typed_text_and_saves_on_the_second_submit(world, login):
    step = world.step(world.m1, 1)
    shown = step.version
    services.change_status(step, StepStatus.in_progress, world.admin, NOW, note="ผู้ดูแลเริ่มงานแล้ว")
    db.session.commit()
    client = login(world.owner_palad)
    sent = {"status": "done", "note": "ลงนามประกาศแล้ว", "links": "https://banpet.go.th/news/1", "version": str(shown)}
    response = client.post(f"/steps/{step.id}/update", data=sent)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    box = page.split('id="conflict"', 1)[1].split("</section>", 1)[0]
    assert "ผู้ดูแล" in box and "ยังไม่เริ่ม" in box and "กำลังดำเนินการ" in box and "ผู้ดูแลเริ่มงานแล้ว" in box
    assert re.search(r">\s*ลงนามประกาศแล้ว</textarea>", page)
    now_version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    assert int(now_version) == fresh(step).version
    assert counts()[0] == 0

    again = client.post(f"/steps/{step.id}/update", data={**sent, "version": now_version})
    assert again.status_code == 302
    step = fresh(step)
    assert step.status is StepStatus.done and [ev.url for ev in step.evidence] == ["https://banpet.go.th/news/1"]


def test_the_admin_sets_the_rule_on_the_settings_page_and_it_is_journaled(world, login):
    client = login(world.admin)
    page = client.get("/admin/step-rules").get_data(as_text=True)
    assert "กติกาการบันทึกขั้นตอน" in page
    assert re.search(r'value="note"[^>]*checked|checked[^>]*value="note"', page)  # the default
    for label in ("ไม่ต้องมีบันทึกหรือหลักฐาน", "ต้องพิมพ์บันทึก", "ต้องมีหลักฐาน (ไฟล์หรือลิงก์)", "ต้องพิมพ์บันทึกและมีหลักฐาน"):
        assert label in page

    response = client.post("/admin/step-rules", data={"done_requires": "note_and_evidence"})
    assert response.status_code == 302
    assert "ต้องพิมพ์บันทึกและมีหลักฐาน" in client.get("/admin/step-rules").get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Organization, world.org.id).done_requires is DoneRule.note_and_evidence
    [entry] = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "organization"))
    assert (entry.field, entry.old_value, entry.new_value, entry.actor_id) == (
        "done_requires",
        "note",
        "note_and_evidence",
        world.admin.id,
    )

    refused = client.post("/admin/step-rules", data={"done_requires": "always"})
    assert refused.status_code == 400 and "โปรดเลือกว่าต้องมีอะไรก่อนเปลี่ยนเป็น" in refused.get_data(as_text=True)
    assert login(world.owner_palad).get("/admin/step-rules").status_code == 403


# -- evidence with Thai names ---------------------------------------------------------------------


def test_a_pdf_with_a_thai_name_opens_inline_keeps_its_name_and_has_a_download_link_beside_it(world, login, upload_dir):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    name = "รายงานการประชุม ครั้งที่ ๒ (ฉบับลงนาม).pdf"
    client.post(
        f"/steps/{step.id}/update",
        data={"note": "แนบรายงาน", "files": [(io.BytesIO(PDF), name)]},
        content_type="multipart/form-data",
    )
    [ev] = fresh(step).evidence
    assert ev.original_name == name
    opened = client.get(f"/evidence/{ev.id}")
    disposition = opened.headers["Content-Disposition"]
    assert opened.mimetype == "application/pdf" and disposition.startswith("inline;")
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == name  # RFC 5987, every character kept
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    assert opened.headers["Content-Security-Policy"].startswith("sandbox")
    saved = client.get(f"/evidence/{ev.id}?download=1")
    assert saved.headers["Content-Disposition"].startswith("attachment;") and saved.data == PDF
    page = client.get(f"/steps/{step.id}").get_data(as_text=True)
    item = re.search(rf'<li>\s*<a href="/evidence/{ev.id}".*?</li>', page, re.S).group(0)
    assert 'target="_blank"' in item and f'href="/evidence/{ev.id}?download=1" download' in item
