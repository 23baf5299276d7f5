"""Checks that an uploaded file is what its extension says, beyond its first bytes.

`services.check_upload` compares the leading bytes; that alone accepts any
ZIP renamed .docx, or a PNG signature followed by anything. Once stored, the
whole file is checked here: Office Open XML files must be ZIPs holding
`[Content_Types].xml` and their main part, OpenDocument files ZIPs whose
`mimetype` entry names their type, ZIPs must open, images must have a
readable header with a size, old Office files the full OLE signature.
Without a decoder library: only headers are read, never whole images.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from ..errors import ServiceError
from ..i18n import _

#: Office Open XML: the part every file of the kind has.
OOXML_MAIN_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".pptx": "ppt/presentation.xml"}
ODF_MIMETYPE = {
    ".odt": b"application/vnd.oasis.opendocument.text",
    ".ods": b"application/vnd.oasis.opendocument.spreadsheet",
}
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_DIMENSION = 100_000


def _refuse(ext: str, why: str) -> ServiceError:
    return ServiceError(_("เนื้อหาไฟล์ไม่ใช่ไฟล์ %(ext)s ที่ถูกต้อง (%(why)s)", ext=ext, why=why))


def _zip_names(path: Path, ext: str) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(ext, "ZIP เสียหาย / broken ZIP") from None


def _check_ooxml(path: Path, ext: str) -> None:
    names = set(_zip_names(path, ext))
    if "[Content_Types].xml" not in names or OOXML_MAIN_PART[ext] not in names:
        raise _refuse(ext, f"ไม่มี [Content_Types].xml หรือ {OOXML_MAIN_PART[ext]}")


def _check_odf(path: Path, ext: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            mimetype = archive.read("mimetype").strip()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _refuse(ext, "ไม่มี mimetype") from None
    if mimetype != ODF_MIMETYPE[ext]:
        raise _refuse(ext, "mimetype ไม่ตรง")


def _size_ok(width: int, height: int) -> bool:
    return 0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION


def _png_size(head: bytes) -> tuple[int, int] | None:
    # Signature, then the IHDR chunk: length 13, "IHDR", width, height.
    if len(head) >= 24 and head[12:16] == b"IHDR" and struct.unpack(">I", head[8:12])[0] == 13:
        return struct.unpack(">II", head[16:24])
    return None


def _gif_size(head: bytes) -> tuple[int, int] | None:
    return struct.unpack("<HH", head[6:10]) if len(head) >= 10 else None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    if len(head) < 30 or head[8:12] != b"WEBP":
        return None
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _jpeg_size(path: Path) -> tuple[int, int] | None:
    """Walk the JPEG segments to the frame header (SOFn), which holds the size."""
    with open(path, "rb") as fh:
        if fh.read(2) != b"\xff\xd8":
            return None
        while True:
            if fh.read(1) != b"\xff":  # every segment starts with a marker
                return None
            byte = fh.read(1)
            while byte == b"\xff":  # fill bytes
                byte = fh.read(1)
            if not byte or byte == b"\xd9":  # end of file or of image, and no frame seen
                return None
            marker = byte[0]
            if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
                continue
            length_bytes = fh.read(2)
            if len(length_bytes) < 2:
                return None
            length = struct.unpack(">H", length_bytes)[0]
            if length < 2:
                return None
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                frame = fh.read(5)
                if len(frame) < 5:
                    return None
                height, width = struct.unpack(">HH", frame[1:5])
                return width, height
            fh.seek(length - 2, 1)


def _check_image(path: Path, ext: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(64)
    if ext == ".png":
        size = _png_size(head)
    elif ext == ".gif":
        size = _gif_size(head)
    elif ext == ".webp":
        size = _webp_size(head)
    else:
        size = _jpeg_size(path)
    if size is None or not _size_ok(*size):
        raise _refuse(ext, "อ่านส่วนหัวของภาพไม่ได้ / unreadable image header")


def check_content(path: Path, ext: str) -> None:
    """Raise ServiceError when the stored file at `path` is not a valid `ext` file."""
    if ext in OOXML_MAIN_PART:
        _check_ooxml(path, ext)
    elif ext in ODF_MIMETYPE:
        _check_odf(path, ext)
    elif ext == ".zip":
        _zip_names(path, ext)
    elif ext in (".png", ".gif", ".webp", ".jpg", ".jpeg"):
        _check_image(path, ext)
    elif ext in (".doc", ".xls", ".ppt"):
        with open(path, "rb") as fh:
            if fh.read(8) != OLE_SIGNATURE:
                raise _refuse(ext, "OLE signature")
