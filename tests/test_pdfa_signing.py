"""Electronic official documents: every printed PDF is PDF/A-2b (metadata, sRGB output
intent, embedded fonts, document ID), and a published PDF carries the organization's
PAdES signature when the admin has stored its certificate (PKCS#12, kept encrypted).

veraPDF (Java, not on PyPI or Debian) does not run here: the PDF/A parts are read with
pikepdf. Signatures are validated with pyHanko against a CA the test makes itself."""

from __future__ import annotations

import hashlib
import io
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
import sqlalchemy as sa
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from tests.conftest import CHROMIUM, NOW, require_or_skip
from tests.pdfa_check import assert_pdfa
from tracker.db import db
from tracker.plans.models import JournalEntry
from tracker.public.models import PublishedReport
from tracker.reports import signing
from tracker.reports.followup import build_report
from tracker.reports.models import SigningCertificate
from tracker.reports.pdfa import PRODUCER
from tracker.reports.views import render_report

#: Its module-scoped setup is built once: xdist keeps the module's tests on one worker.
pytestmark = pytest.mark.xdist_group("pdfa_signing")

P12_PASSWORD = "รหัสผ่าน-2566"


def need_chromium() -> None:
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium")


# -- a certificate authority of the test's own -----------------------------------------------


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"), x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def pki():
    """(CA certificate, PKCS#12 of the organization's key and certificate issued by the CA)."""
    start = datetime(2023, 1, 1, tzinfo=UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Root CA"))
        .issuer_name(_name("Test Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("เทศบาลตำบลทดสอบ"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_cert_sign=False,
                crl_sign=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"org", key, leaf, [ca], serialization.BestAvailableEncryption(P12_PASSWORD.encode("utf-8"))
    )
    return ca, p12


def validate(data: bytes, ca: x509.Certificate):
    trust = asn1_x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER))
    [embedded] = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    context = ValidationContext(trust_roots=[trust], allow_fetching=False)
    # pyHanko's sync validator calls asyncio.run(): a thread of its own, whatever loop the session runs.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate_pdf_signature, embedded, context).result()


def journal(entity: str) -> list[JournalEntry]:
    return list(db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == entity)))


# -- PDF/A -------------------------------------------------------------------------------------


def test_a_printed_pdf_is_pdfa_2b_with_its_fonts_embedded(world, tmp_path):
    need_chromium()
    report = build_report(world.plan, date(2023, 8, 1))
    data = render_report(report, "pdf")
    assert_pdfa(data)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert not pdf.is_encrypted
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
        assert meta["dc:title"] == str(pdf.docinfo["/Title"]) and report.title in meta["dc:title"]
        assert meta["pdf:Producer"] == str(pdf.docinfo["/Producer"]) == PRODUCER
        assert "/Filter" not in pdf.Root.Metadata  # PDF/A: the XMP stream stays readable
        [intent] = pdf.Root.OutputIntents
        assert (intent.S, intent.Type) == ("/GTS_PDFA1", "/OutputIntent")
        assert str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
        icc = intent.DestOutputProfile.read_bytes()
        assert icc[36:40] == b"acsp" and icc[16:20] == b"RGB " and intent.DestOutputProfile.N == 3
        assert len(pdf.trailer.ID) == 2 and len(bytes(pdf.trailer.ID[0])) == 16  # the document ID
        assert str(pdf.Root.Lang) == "th"
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows)  # column "emb"
    assert any("Laksaman" in row for row in rows)


# -- storing the certificate -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "password", "message"),
    [
        (b"not a certificate at all", P12_PASSWORD, "ไฟล์ไม่ใช่ PKCS#12 (.p12/.pfx) หรือรหัสผ่านไม่ถูกต้อง"),
        (None, "ผิด", "ไฟล์ไม่ใช่ PKCS#12 (.p12/.pfx) หรือรหัสผ่านไม่ถูกต้อง"),
        (b"", P12_PASSWORD, "โปรดเลือกไฟล์ใบรับรอง"),
    ],
)
def test_the_upload_refuses_a_wrong_password_or_another_file_and_stores_nothing(
    world, login, pki, upload, password, message
):
    _ca, p12 = pki
    admin = login(world.admin)
    response = admin.post(
        "/admin/signing",
        data={
            "p12": (io.BytesIO(p12 if upload is None else upload), "org.p12"),
            "password": password,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "Traceback" not in page
    db.session.rollback()
    assert db.session.scalars(sa.select(SigningCertificate)).all() == []
    assert journal("signing_certificate") == []


def test_the_certificate_is_stored_encrypted_and_only_admins_store_it(world, login, pki):
    _ca, p12 = pki
    assert login(world.manager).post(
        "/admin/signing",
        data={"p12": (io.BytesIO(p12), "org.p12"), "password": P12_PASSWORD},
        content_type="multipart/form-data",
    ).status_code in (302, 403)
    db.session.rollback()
    assert db.session.scalars(sa.select(SigningCertificate)).all() == []

    admin = login(world.admin)
    response = admin.post(
        "/admin/signing",
        data={"p12": (io.BytesIO(p12), "org.p12"), "password": P12_PASSWORD},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = admin.get("/admin/signing").get_data(as_text=True)
    assert "CN=เทศบาลตำบลทดสอบ,C=TH" in page and "CN=Test Root CA,C=TH" in page
    db.session.rollback()
    [row] = db.session.scalars(sa.select(SigningCertificate)).all()
    assert row.organization_id == world.org.id
    assert P12_PASSWORD.encode("utf-8") not in row.sealed and p12[:64] not in row.sealed
    assert [e.action for e in journal("signing_certificate")] == ["uploaded"]

    assert admin.post("/admin/signing/remove").status_code == 302
    assert "ยังไม่มีใบรับรอง" in admin.get("/admin/signing").get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalars(sa.select(SigningCertificate)).all() == []
    assert [e.action for e in journal("signing_certificate")] == ["uploaded", "removed"]


# -- signing published PDFs ------------------------------------------------------------------------


def test_a_published_pdf_is_signed_validates_and_a_changed_byte_breaks_it(world, login, pki, app, artifacts_dir):
    need_chromium()
    ca, p12 = pki
    signing.store_certificate(world.org, world.admin, p12, P12_PASSWORD, NOW)
    db.session.commit()
    admin = login(world.admin)
    response = admin.post(
        f"/plans/{world.plan.id}/publish", data={"kind": "followup", "format": ["pdf"], "round": "6", "as_of": ""}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    [report] = db.session.scalars(sa.select(PublishedReport)).all()
    body = admin.get(f"/p/testorg/2566/reports/{report.id}.pdf").data
    assert hashlib.sha256(body).hexdigest() == report.sha256  # the hash the public page shows

    status = validate(body, ca)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == "เทศบาลตำบลทดสอบ"
    assert status.coverage.name == "ENTIRE_FILE"
    (artifacts_dir / "published-signed.pdf").write_bytes(body)
    assert_pdfa(body)  # still PDF/A with the signature
    with pikepdf.open(io.BytesIO(body)) as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "2"
        [field] = pdf.Root.AcroForm.Fields
        assert field.FT == "/Sig" and int(field.F) & 0b110 == 0b100  # printable, not hidden (PDF/A)
    (artifacts_dir / "published-signed.pdf").write_bytes(body)

    # One byte changed inside the signed document (same length, so the file still opens).
    at = body.index(b"LaksamanOfficial")
    changed = body[:at] + b"X" + body[at + 1 :]
    broken = validate(changed, ca)
    assert not broken.intact and not broken.bottom_line

    # Trusting another CA: intact but not trusted.
    other = pki_other_ca()
    untrusted = validate(body, other)
    assert untrusted.intact and not untrusted.trusted and not untrusted.bottom_line


def pki_other_ca() -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name("Other CA"))
        .issuer_name(_name("Other CA"))
        .public_key(key.public_key())
        .serial_number(9)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def test_without_a_certificate_the_published_pdf_is_unsigned(world, app):
    need_chromium()
    from tracker.public.services import render_for_publishing

    rendered = render_for_publishing(world.plan, "followup", "pdf", as_of=date(2023, 8, 1), now=NOW)
    assert_pdfa(rendered.body)
    assert PdfFileReader(io.BytesIO(rendered.body), strict=False).embedded_signatures == []
