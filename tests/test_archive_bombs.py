"""Archive bombs: small files that declare gigabytes once unpacked.

- As evidence (.zip, or an Office file) one is stored as it came and never
  unpacked: the product reads only its ZIP directory.
- Every Office file the product itself parses (XLSX plan and score files
  today; DOCX readers call the same `tracker.uploads.check_office_archive`)
  is refused with a Thai message before any parser sees it.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.db import db
from tracker.errors import ServiceError
from tracker.plans.models import Evidence
from tracker.uploads import MAX_UNCOMPRESSED, check_office_archive

HUGE = 0xFFFFFFF0  # what the bomb declares: 4 GiB


def declaring_huge_size(data: bytes, member: str) -> bytes:
    """The ZIP with `member`'s uncompressed size set to 4 GiB in its local and central headers."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    struct.pack_into("<I", out, info.header_offset + 22, HUGE)  # local file header
    central = out.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46 : central + 46 + name_length].decode() == member:
            struct.pack_into("<I", out, central + 24, HUGE)
            break
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    return declaring_huge_size(zip_of({"readme.txt": b"evidence", "data.bin": b"\0" * 4096}), "data.bin")


def docx_bomb() -> bytes:
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    return declaring_huge_size(buffer.getvalue(), "word/document.xml")


def xlsx_bomb(tmp_path: Path) -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return declaring_huge_size(buffer.getvalue(), "xl/worksheets/sheet1.xml")


def forbid_unpacking(monkeypatch) -> list[str]:
    """From now on, fail the test if anything reads a member of a ZIP (reading the directory is fine)."""
    opened: list[str] = []

    def refuse(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        raise AssertionError(f"a ZIP member was unpacked: {name}")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    return opened


def test_the_bombs_really_declare_gigabytes():
    for data in (zip_bomb(), docx_bomb()):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert sum(i.file_size for i in archive.infolist()) > HUGE - 1


@pytest.mark.parametrize("name, make", [("หลักฐาน.zip", zip_bomb), ("บันทึก.docx", docx_bomb)])
def test_an_evidence_bomb_is_stored_as_it_came_and_never_unpacked(app, world, login, monkeypatch, name, make):
    data = make()
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    unpacked = forbid_unpacking(monkeypatch)

    response = client.post(
        f"/steps/{step.id}/evidence",
        data={"kind": "file", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    [evidence] = db.session.scalars(sa.select(Evidence).where(Evidence.step_id == step.id)).all()
    assert (evidence.original_name, evidence.size, evidence.sha256) == (
        name,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    stored = Path(app.config["TRACKER_UPLOAD_DIR"]) / evidence.stored_name
    assert stored.read_bytes() == data
    assert client.get(f"/evidence/{evidence.id}").data == data  # downloaded byte for byte, still packed
    assert unpacked == []


def test_an_xlsx_plan_bomb_is_refused_in_thai_before_parsing(runner, world, tmp_path, monkeypatch):
    path = tmp_path / "แผน.xlsx"
    path.write_bytes(xlsx_bomb(tmp_path))
    forbid_unpacking(monkeypatch)  # openpyxl would read the workbook's parts first

    result = runner.invoke(args=["import-plan", str(path)])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "เมื่อคลายการบีบอัดจะมีขนาดใหญ่ผิดปกติ" in result.output and "จึงไม่เปิดอ่าน" in result.output


def test_an_xlsx_score_bomb_is_refused_in_thai_before_parsing(runner, world, tmp_path, monkeypatch):
    path = tmp_path / "คะแนน.xlsx"
    path.write_bytes(xlsx_bomb(tmp_path))
    forbid_unpacking(monkeypatch)

    result = runner.invoke(args=["ita", "import", str(path)])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "เมื่อคลายการบีบอัดจะมีขนาดใหญ่ผิดปกติ" in result.output


def test_the_office_check_limits_total_size_and_ratio_and_passes_real_files():
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    check_office_archive(buffer.getvalue(), ".xlsx")  # a real workbook passes
    check_office_archive(b"not a zip at all", ".docx")  # the parser will say it cannot read it
    ratio_bomb = zip_of({"word/document.xml": b" " * (20 * 1024 * 1024)})  # 20 MB of spaces, ~20 KB packed
    with pytest.raises(ServiceError, match="ขนาดใหญ่ผิดปกติ"):
        check_office_archive(ratio_bomb, ".docx")
    with pytest.raises(ServiceError, match=r"\(409\d MB\)"):
        check_office_archive(docx_bomb(), ".docx")
    assert MAX_UNCOMPRESSED < HUGE
