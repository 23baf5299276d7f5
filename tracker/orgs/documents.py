"""An organization's settings for its official documents: the ครุฑ emblem printed
at the top of a บันทึกข้อความ, and whether documents are written in Thai digits.

The emblem is uploaded once by an admin, checked like evidence (extension, first
bytes and the whole image: PNG or JPEG only) and stored the same way (random name
in TRACKER_UPLOAD_DIR, size and sha256). Documents embed it as a data: URI (PDF,
HTML) or a picture (DOCX); without one they print no emblem at all — never an
empty box — and the document pages tell the admin to upload it.
"""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from flask import current_app, has_app_context

from ..auth.models import User
from ..errors import ServiceError
from ..i18n import _
from ..journal import record
from ..plans.filecheck import check_content
from ..plans.services import CONTENT_TYPES, check_upload, clean_filename, store_upload
from .models import Organization

__all__ = [
    "EMBLEM_TYPES",
    "EMBLEM_MAX_BYTES",
    "set_emblem",
    "remove_emblem",
    "emblem_bytes",
    "emblem_data_uri",
    "data_uri",
    "set_thai_digits",
    "journal_setting",
]

EMBLEM_TYPES = (".png", ".jpg", ".jpeg")
EMBLEM_MAX_BYTES = 2 * 1024 * 1024


def journal_setting(org: Organization, actor: User | None, now: datetime, field: str, old: Any, new: Any) -> None:
    """An edit of the organization's settings (its documents, its step rules), journaled old → new."""
    record(
        organization_id=org.id,
        entity="organization",
        entity_id=org.id,
        action="edit",
        actor=actor,
        field=field,
        old=old,
        new=new,
        at=now,
    )


def _upload_dir() -> Path:
    return Path(current_app.config["TRACKER_UPLOAD_DIR"])


def set_emblem(org: Organization, actor: User | None, filename: str, stream: IO[bytes], now: datetime) -> None:
    """Check and store the emblem image; the previous file goes once the caller commits
    (`old_emblem_file` tells which)."""
    filename = clean_filename(filename)
    ext = Path(filename).suffix.lower()
    if ext not in EMBLEM_TYPES:
        raise ServiceError(_("ตราครุฑต้องเป็นไฟล์ภาพ .png หรือ .jpg"))
    check_upload(filename, stream.read(512))
    stream.seek(0)
    stored = store_upload(stream, str(_upload_dir()), ext, EMBLEM_MAX_BYTES)
    path = _upload_dir() / stored.stored_name
    try:
        check_content(path, ext)
    except ServiceError:
        path.unlink(missing_ok=True)
        raise
    old = org.emblem_stored_name
    org.emblem_stored_name = stored.stored_name
    org.emblem_content_type = CONTENT_TYPES[ext]
    org.emblem_sha256 = stored.sha256
    journal_setting(org, actor, now, "emblem", old, f"{filename} ({stored.size} bytes, sha256 {stored.sha256[:12]}…)")


def remove_emblem(org: Organization, actor: User | None, now: datetime) -> str | None:
    """Forget the emblem; returns the stored name to delete after the commit."""
    old = org.emblem_stored_name
    if old is None:
        return None
    org.emblem_stored_name = org.emblem_content_type = org.emblem_sha256 = None
    journal_setting(org, actor, now, "emblem", old, None)
    return old


def set_thai_digits(org: Organization, actor: User | None, value: bool, now: datetime) -> bool:
    if org.official_thai_digits == value:
        return False
    journal_setting(org, actor, now, "official_thai_digits", org.official_thai_digits, value)
    org.official_thai_digits = value
    return True


def emblem_bytes(org: Organization | None) -> tuple[bytes, str] | None:
    """(image, content type) of the organization's emblem, or None (none uploaded, or the
    file is gone: the document then prints without it rather than failing)."""
    if org is None or not org.emblem_stored_name or not has_app_context():
        return None
    path = _upload_dir() / org.emblem_stored_name
    try:
        return path.read_bytes(), org.emblem_content_type or "image/png"
    except OSError:
        current_app.logger.warning("emblem file of %s is missing: %s", org.slug, path)
        return None


def emblem_data_uri(org: Organization | None) -> str | None:
    return data_uri(emblem_bytes(org))


def data_uri(emblem: tuple[bytes, str] | None) -> str | None:
    """(image, content type) as a data: URI for a self-contained page, None for None."""
    if emblem is None:
        return None
    data, content_type = emblem
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
