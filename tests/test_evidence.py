"""Evidence on a step: uploads within size and type limits, links, downloads
of the exact bytes, deletion, and never an orphan file or a lost one."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tracker import clock
from tracker.db import db
from tracker.plans import services, trash
from tracker.plans.models import Evidence, EvidenceKind, JournalEntry

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
#: A real 1×1 PNG: uploads are checked beyond their signature (tracker/plans/filecheck.py).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"
    b"\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def upload_dir(app) -> Path:
    path = Path(app.config["TRACKER_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def evidence_rows() -> list[Evidence]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Evidence).order_by(Evidence.id)))


def upload(client, step, name: str, content: bytes):
    return client.post(
        f"/steps/{step.id}/evidence",
        data={"kind": "file", "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


# -- files ----------------------------------------------------------------------------


def test_an_uploaded_file_is_stored_under_a_random_name_and_downloads_byte_for_byte(world, login, upload_dir):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    before = files_in(upload_dir)

    assert upload(client, step, "ภาพประกาศ.png", PNG).status_code == 302

    [ev] = evidence_rows()
    assert (ev.kind, ev.original_name, ev.size) == (EvidenceKind.file, "ภาพประกาศ.png", len(PNG))
    assert ev.sha256 == hashlib.sha256(PNG).hexdigest()
    assert files_in(upload_dir) - before == {ev.stored_name}
    assert "ภาพประกาศ" not in ev.stored_name

    response = login(world.viewer).get(f"/evidence/{ev.id}")  # anyone of the organization may read it
    assert response.status_code == 200
    assert response.data == PNG
    assert response.mimetype == "image/png"
    # An image opens in the browser, sandboxed, under its Thai name (RFC 5987) ...
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and "filename*=UTF-8''%E0%B8%A0" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    # ... and the download link beside it saves it.
    saved = login(world.viewer).get(f"/evidence/{ev.id}?download=1")
    assert saved.data == PNG and saved.mimetype == "image/png"
    assert saved.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E0%B8%A0" in saved.headers["Content-Disposition"]
    assert saved.headers["X-Content-Type-Options"] == "nosniff"
    step_page = login(world.viewer).get(f"/steps/{step.id}").get_data(as_text=True)
    assert f"/evidence/{ev.id}?download=1" in step_page


def test_the_upload_form_states_the_size_limit_and_types(world, login, app):
    page = login(world.owner_palad).get(f"/steps/{world.step(world.m1, 1).id}").get_data(as_text=True)
    limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    assert f"ขนาดไม่เกิน {limit} MB" in page and ".pdf" in page and 'enctype="multipart/form-data"' in page


def test_an_oversized_upload_is_413_and_leaves_no_file_and_no_row(world, login, app, upload_dir, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    step = world.step(world.m1, 1)
    before = files_in(upload_dir)

    response = upload(login(world.owner_palad), step, "ใหญ่.pdf", PDF + b"0" * (1024 * 1024 + 1))

    assert response.status_code == 413
    assert "ไฟล์ใหญ่เกิน 1 MB" in response.get_data(as_text=True)
    assert files_in(upload_dir) == before
    assert evidence_rows() == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, "ไม่รับไฟล์ชนิด .exe"),
        ("รายงาน.pdf", b"<html><script>alert(1)</script></html>", "เนื้อหาไฟล์ไม่ตรงกับนามสกุล .pdf"),
        ("ไม่มีนามสกุล", b"plain", "ไม่รับไฟล์ชนิด (ไม่มีนามสกุล)"),
        ("ว่าง.txt", b"", "ไฟล์ว่างเปล่า"),
    ],
)
def test_a_disallowed_file_is_refused_with_the_message_and_nothing_is_kept(
    world, login, upload_dir, name, content, message
):
    step = world.step(world.m1, 1)
    before = files_in(upload_dir)
    response = upload(login(world.owner_palad), step, name, content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert files_in(upload_dir) == before
    assert evidence_rows() == []


def test_the_file_form_without_a_file_is_refused(world, login):
    response = login(world.owner_palad).post(
        f"/steps/{world.step(world.m1, 1).id}/evidence", data={"kind": "file"}, content_type="multipart/form-data"
    )
    assert response.status_code == 400 and "โปรดเลือกไฟล์" in response.get_data(as_text=True)


@pytest.fixture
def refusing_database(app):
    """The database refuses every new evidence row (a real failure, at flush time)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION refuse_evidence() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence FOR EACH ROW EXECUTE FUNCTION refuse_evidence()",
        ]
        drop = ["DROP TRIGGER refuse_evidence ON evidence", "DROP FUNCTION refuse_evidence()"]
    else:
        create = ["CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence BEGIN SELECT RAISE(ABORT, 'refused'); END"]
        drop = ["DROP TRIGGER refuse_evidence"]
    with engine.begin() as conn:
        for statement in create:
            conn.execute(sa.text(statement))
    yield
    db.session.rollback()
    with engine.begin() as conn:
        for statement in drop:
            conn.execute(sa.text(statement))


def test_a_database_failure_after_the_file_was_stored_leaves_no_orphan_file(
    world, login, upload_dir, refusing_database
):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    before = files_in(upload_dir)
    with pytest.raises(sa.exc.DBAPIError):  # the test app propagates the 500
        upload(client, step, "รายงาน.pdf", PDF)
    assert files_in(upload_dir) == before


# -- links ----------------------------------------------------------------------------


def test_a_link_is_kept_with_its_title_and_opens_by_redirect(world, login):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    response = client.post(
        f"/steps/{step.id}/evidence",
        data={"kind": "link", "url": "https://banpet.go.th/news/ประกาศ", "title": "ประกาศบนเว็บไซต์เทศบาล"},
    )
    assert response.status_code == 302
    [ev] = evidence_rows()
    assert (ev.kind, ev.original_name) == (EvidenceKind.link, "ประกาศบนเว็บไซต์เทศบาล")
    assert "ประกาศบนเว็บไซต์เทศบาล" in client.get(f"/steps/{step.id}").get_data(as_text=True)

    opened = client.get(f"/evidence/{ev.id}")
    assert opened.status_code == 302 and unquote(opened.location) == "https://banpet.go.th/news/ประกาศ"


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "data:text/html,hi", "ftp://x.go.th/a", "banpet.go.th"]
)
def test_a_link_that_is_not_http_is_refused_and_the_typed_title_kept(world, login, url):
    step = world.step(world.m1, 1)
    response = login(world.owner_palad).post(
        f"/steps/{step.id}/evidence", data={"kind": "link", "url": url, "title": "หลักฐานของฉัน"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "ลิงก์ต้องขึ้นต้นด้วย http:// หรือ https://" in page
    # Shown again in the step's one form, in its links box, as typed.
    assert re.search(r'<textarea[^>]*name="links"[^>]*>\s*[^<]*หลักฐานของฉัน</textarea>', page)
    assert evidence_rows() == []


# -- deletion -------------------------------------------------------------------------


def test_deleting_evidence_removes_the_row_keeps_the_file_in_the_trash_and_is_journaled(world, login, upload_dir):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    upload(client, step, "ภาพ.png", PNG)
    [ev] = evidence_rows()
    ev_id, path = ev.id, upload_dir / ev.stored_name
    assert path.exists()

    response = client.post(f"/evidence/{ev_id}/delete")

    assert response.status_code == 302 and response.location.endswith(f"/steps/{step.id}")
    assert evidence_rows() == []
    actions = db.session.scalars(sa.select(JournalEntry.action).where(JournalEntry.step_id == step.id)).all()
    assert sorted(actions) == ["evidence_add", "evidence_remove"]
    assert client.get(f"/evidence/{ev_id}").status_code == 404
    # The file waits in the trash (for an undo) and goes with the scheduler's purge.
    assert path.exists()
    trash.purge_trash(db.session, NOW + timedelta(days=trash.TRASH_DAYS + 1), str(upload_dir))
    db.session.commit()
    assert not path.exists()


@pytest.mark.parametrize("who", ["viewer", "manager", "owner_strategy"])
def test_only_editors_of_the_step_may_delete_evidence(world, login, upload_dir, who):
    step = world.step(world.m1, 1)
    upload(login(world.owner_palad), step, "ภาพ.png", PNG)
    [ev] = evidence_rows()

    response = login(getattr(world, who)).post(f"/evidence/{ev.id}/delete")

    assert response.status_code == 403
    assert len(evidence_rows()) == 1
    assert (upload_dir / ev.stored_name).exists()


def test_evidence_of_a_measures_follow_up_opens_for_readers_but_is_not_deleted_as_a_steps(world, login):
    ev = Evidence(
        measure=world.m2,
        kind=EvidenceKind.link,
        url="https://banpet.go.th/stats",
        original_name="สถิติ",
        uploaded_by=world.admin,
        created_at=NOW,
    )
    db.session.add(ev)
    db.session.commit()
    client = login(world.viewer)
    assert client.get(f"/evidence/{ev.id}").location == "https://banpet.go.th/stats"
    refused = login(world.admin).post(f"/evidence/{ev.id}/delete")
    assert refused.status_code == 400 and "เป็นของผลการติดตามมาตรการ" in refused.get_data(as_text=True)
    assert len(evidence_rows()) == 1


def test_a_missing_file_on_disk_is_404_not_a_crash(world, login, upload_dir):
    step = world.step(world.m1, 1)
    ev = services.add_file_evidence(
        step, world.owner_palad, "ภาพ.png", io.BytesIO(PNG), str(upload_dir), 10 * 1024 * 1024, NOW
    )
    db.session.commit()
    (upload_dir / ev.stored_name).unlink()
    assert login(world.viewer).get(f"/evidence/{ev.id}").status_code == 404


def test_evidence_of_a_measure_result_is_not_removed_as_a_step_s(world, tmp_path):
    """Found by mypy: the service assumed every evidence row has a step (a measure's has none)."""
    ev = services.new_link_evidence(world.admin, "https://example.go.th/result", "ผลการติดตาม", NOW)
    ev.measure = world.m1
    db.session.add(ev)
    db.session.commit()
    with pytest.raises(services.ServiceError, match="ผลการติดตามมาตรการ"):
        services.remove_evidence(ev, world.admin, NOW, str(tmp_path))
    db.session.rollback()
    assert db.session.get(Evidence, ev.id) is not None
