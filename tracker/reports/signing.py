"""The organization's electronic signature on published PDFs (PAdES baseline B-B).

An admin uploads the organization's certificate once, as a PKCS#12 file
(.p12/.pfx) with its password. Both are checked at once (a wrong password or a
file that is not PKCS#12 is refused with a Thai message and nothing is stored)
and kept only encrypted: a Fernet key derived from TRACKER_SECRET_KEY with HKDF
(SHA-256) seals the file and the password together, so the database alone — a
backup, a dump — never reveals the key or the password. Whoever holds
TRACKER_SECRET_KEY and the database can sign; rotating the secret key makes the
stored certificate unreadable (upload it again), which `load_signer` reports.

Publishing a PDF (public/services.py) signs it when a certificate is stored:
pyHanko adds an invisible signature as an incremental update, so the PDF/A
document is unchanged underneath and the signature covers every byte before it.
No timestamp authority is asked (B-B): the signing time is the signer's claim.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app

from ..access import require_admin
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..i18n import _, _l
from ..journal import record
from ..orgs.models import Organization
from .models import SigningCertificate

__all__ = ["CertificateInfo", "store_certificate", "remove_certificate", "certificate_of", "load_signer", "sign_pdf"]

#: A PKCS#12 file is a few kilobytes; this only guards memory.
MAX_P12_BYTES = 256 * 1024
_HKDF_INFO = b"ita-tracker signing certificate v1"
NOT_PKCS12 = _l("เปิดไฟล์ใบรับรองไม่ได้: ไฟล์ไม่ใช่ PKCS#12 (.p12/.pfx) หรือรหัสผ่านไม่ถูกต้อง")


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    not_after: datetime


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"]
    secret_bytes = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret_bytes)
    return Fernet(base64.urlsafe_b64encode(key))


def _open_p12(data: bytes, password: str):
    """(key, certificate, chain) of a PKCS#12 file, or a ServiceError in Thai."""
    if not data:
        raise ServiceError(_("โปรดเลือกไฟล์ใบรับรอง .p12 หรือ .pfx"))
    if len(data) > MAX_P12_BYTES:
        raise ServiceError(_("ไฟล์ใบรับรองใหญ่เกินไป"))
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password.encode("utf-8") or None)
    except (ValueError, TypeError):
        raise ServiceError(NOT_PKCS12) from None
    if key is None or certificate is None:
        raise ServiceError(_("ไฟล์ใบรับรองต้องมีทั้งกุญแจส่วนตัวและใบรับรอง"))
    return key, certificate, chain or []


def _name(name: x509.Name) -> str:
    return name.rfc4514_string()[:500]


def store_certificate(org: Organization, actor: User, data: bytes, password: str, now: datetime) -> CertificateInfo:
    """Check and store (encrypted) the organization's PKCS#12 file; replaces the old one."""
    require_admin(actor, org.id)
    _key, certificate, _chain = _open_p12(data, password)
    not_after = certificate.not_valid_after_utc
    if not_after <= now:
        raise ServiceError(_("ใบรับรองหมดอายุแล้วเมื่อ %(day)s", day=not_after.strftime("%Y-%m-%d")))
    sealed = _fernet().encrypt(
        json.dumps(
            {
                "p12": base64.b64encode(data).decode("ascii"),
                "password": password,
            }
        ).encode("utf-8")
    )
    info = CertificateInfo(_name(certificate.subject), _name(certificate.issuer), not_after)
    row = certificate_of(org) or SigningCertificate(organization_id=org.id)
    row.sealed, row.subject, row.issuer, row.not_after = sealed, info.subject, info.issuer, info.not_after
    row.uploaded_by, row.uploaded_at = actor, now
    db.session.add(row)
    db.session.flush()
    record(
        organization_id=org.id,
        entity="signing_certificate",
        entity_id=row.id,
        action="uploaded",
        actor=actor,
        new=info.subject,
        at=now,
    )
    return info


def remove_certificate(org: Organization, actor: User, now: datetime) -> None:
    require_admin(actor, org.id)
    row = certificate_of(org)
    if row is None:
        return
    record(
        organization_id=org.id,
        entity="signing_certificate",
        entity_id=row.id,
        action="removed",
        actor=actor,
        old=row.subject,
        at=now,
    )
    db.session.delete(row)
    db.session.flush()


def certificate_of(org: Organization) -> SigningCertificate | None:
    return db.session.scalar(sa.select(SigningCertificate).where(SigningCertificate.organization_id == org.id))


def load_signer(org: Organization):
    """pyHanko's signer for the organization's stored certificate, or None."""
    from pyhanko.sign import signers

    row = certificate_of(org)
    if row is None:
        return None
    try:
        sealed = json.loads(_fernet().decrypt(row.sealed))
    except InvalidToken:
        raise ServiceError(_("ถอดรหัสใบรับรองที่เก็บไว้ไม่ได้ (TRACKER_SECRET_KEY เปลี่ยนไป) โปรดอัปโหลดใบรับรองอีกครั้ง")) from None
    signer = signers.SimpleSigner.load_pkcs12_data(
        base64.b64decode(sealed["p12"]),
        other_certs=[],
        passphrase=sealed["password"].encode("utf-8") or None,
    )
    if signer is None:
        raise ServiceError(NOT_PKCS12)
    return signer


def _producer_left_to_pyhanko(data: bytes) -> bytes:
    """`data` without a producer. pyHanko's signing revision appends itself to the
    information dictionary's /Producer ("ITA tracker …; pyHanko x") but writes only
    "pyHanko x" as the XMP pdf:Producer; PDF/A wants the two equal, and they are when
    pyHanko finds no producer to append to."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/Producer" not in pdf.docinfo:
            return data
        del pdf.docinfo["/Producer"]
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            if "pdf:Producer" in meta:
                del meta["pdf:Producer"]
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False, object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        return out.getvalue()


def sign_pdf(data: bytes, org: Organization, *, reason: str, location: str = "") -> bytes:
    """`data` signed with the organization's certificate (PAdES B-B, invisible
    signature), or `data` unchanged when no certificate is stored."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = load_signer(org)
    if signer is None:
        return data
    meta = signers.PdfSignatureMetadata(
        field_name="OrganizationSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason[:200],
        location=location[:200] or None,
        name=org.name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(_producer_left_to_pyhanko(data)), strict=False)
    # pyHanko's sync API calls asyncio.run(), which refuses to start inside a running event loop
    # (Playwright's sync API keeps one in the thread that printed the PDF): sign in a thread of its own.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        out = pool.submit(signers.PdfSigner(meta, signer=signer).sign_pdf, writer).result()
    return out.getvalue()
