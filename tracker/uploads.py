"""Office files the product parses (XLSX plan and score files; DOCX next): checked first.

An Office Open XML file is a ZIP. A small one can declare gigabytes of XML
(an "archive bomb"): parsing it would eat the memory of the web worker. So
every Office file is checked here before anything parses it: the sizes its
ZIP directory declares, in total and against what is stored. Python's zipfile
never inflates a member beyond its declared size, so checking the declared
sizes bounds what a parser can be given. Only the ZIP directory is read here.

Evidence files are stored as they come and never unpacked (see
`plans.filecheck`, which reads ZIP directories only); this check is for the
files the product itself opens. Call `check_office_archive(data, ".docx")`
before parsing a DOCX, as the XLSX readers do.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import ServiceError
from .i18n import _

T = TypeVar("T")

#: The most uncompressed bytes an Office file we parse may declare (a real plan is < 5 MB).
MAX_UNCOMPRESSED = 100 * 1024 * 1024
#: The highest compression ratio accepted for a member bigger than RATIO_FLOOR
#: (XML compresses 5–20×; repetitive sheets reach ~100×; bombs 1000× and more).
MAX_RATIO = 200
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 10_000

#: What a damaged Office file raises while a reader parses it (lxml's and the
#: standard library's XML errors are SyntaxErrors): a refusal, not a bug.
DAMAGED_OFFICE_ERRORS: tuple[type[Exception], ...] = (
    SyntaxError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    OSError,
    struct.error,
    # openpyxl/python-docx meeting a feature they cannot read, or nesting too deep to follow
    RuntimeError,
)


def _too_big(ext: str, why: str) -> ServiceError:
    return ServiceError(
        _(
            "ไฟล์ %(ext)s นี้เมื่อคลายการบีบอัดจะมีขนาดใหญ่ผิดปกติ (%(why)s) จึงไม่เปิดอ่าน ให้ตรวจสอบไฟล์หรือบันทึกใหม่จากโปรแกรมตารางคำนวณ/เอกสาร",
            ext=ext,
            why=why,
        )
    )


def check_office_archive(data: bytes, ext: str) -> None:
    """Refuse (ServiceError, Thai message) an Office file whose ZIP declares too much.

    A file that is not a ZIP at all passes: the parser then says it cannot read it.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
        return
    if len(members) > MAX_MEMBERS:
        raise _too_big(ext, f"{len(members)} ส่วน / parts")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise _too_big(ext, f"{total // (1024 * 1024)} MB")
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise _too_big(ext, f"{m.filename}: {m.file_size // max(m.compress_size, 1)}:1")


#: How far past the size limit a refused upload is still read to find the form's other fields
#: (the browser sends it all anyway, and shows our page only once it could send it).
DRAIN_FACTOR = 4


class _Discard(io.BytesIO):
    """Where a refused file's bytes go: nowhere."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # counts, keeps nothing
        return len(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return 0

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0


def fields_beside_files(request, *, limit_bytes: int):
    """The text fields of a multipart form refused as too large (413), its files thrown away.

    None when the body is not a form, is far over the limit (it is then not read
    at all), or cannot be read. Form fields are small; files are not kept."""
    from werkzeug.formparser import FormDataParser
    from werkzeug.wsgi import get_input_stream

    length = request.content_length
    if not length or length > DRAIN_FACTOR * limit_bytes or request.mimetype != "multipart/form-data":
        return None
    try:
        stream = get_input_stream(request.environ, max_content_length=None)
        parser = FormDataParser(
            stream_factory=lambda *args, **kwargs: _Discard(),
            max_form_memory_size=1024 * 1024,
            max_content_length=None,
            silent=True,
        )
        _stream, form, _files = parser.parse(stream, request.mimetype, length, request.mimetype_params)
    except Exception:  # a broken or cut-off body: nothing to keep
        return None
    return form


def read_xlsx(
    data: bytes, read: Callable[[Any], T], fail: Callable[[str], ServiceError], keep: type[ServiceError]
) -> T:
    """`read(workbook)` of an uploaded .xlsx, opened the safe way: the archive checked
    first, then read-only and values only. A file that is no readable workbook, or is
    damaged inside (a read-only workbook shows that only while its sheets are iterated),
    raises `fail(message)`, the caller's own error; errors of type `keep` that `read`
    raises pass through as they are."""
    from openpyxl import load_workbook

    try:
        check_office_archive(data, ".xlsx")
    except ServiceError as exc:
        raise fail(str(exc)) from None

    def unreadable(exc: BaseException) -> ServiceError:
        return fail(_("เปิดเป็นไฟล์ Excel (.xlsx) ไม่ได้", exc___class_____name=exc.__class__.__name__))

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises assorted errors on damaged files
        raise unreadable(exc) from None
    try:
        return read(wb)
    except keep:
        raise
    except DAMAGED_OFFICE_ERRORS as exc:
        raise unreadable(exc) from None
    finally:
        wb.close()
