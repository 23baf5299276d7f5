"""PDF/A-2b for the printed documents: an archivable electronic official document.

Chromium's PDF embeds its fonts (subsets) and is not encrypted, but it is not
PDF/A: it has no XMP metadata claiming conformance and no output intent. This
adds both with pikepdf, keeping every page as Chromium drew it:

- XMP metadata with pdfaid:part 2 / conformance B, dc:title and the producer,
  in step with the document information dictionary;
- an OutputIntent (GTS_PDFA1) carrying an sRGB ICC profile made with Pillow's
  littleCMS (ImageCms.createProfile("sRGB")), as Chromium's colours are sRGB;
- a document ID in the trailer, and a check that every font is embedded
  (a document with a missing font is refused rather than called PDF/A).

No validator runs here: veraPDF (Java) is not packaged for Debian or PyPI;
tests/test_pdfa_signing.py checks these parts with pikepdf.

It runs in the printer's process (reports/print_worker.py), not in a web
worker: pikepdf is 12 MB that a worker would keep for good. A web process
imports this module for `NotArchivable` only; pikepdf is imported by the
functions that use it.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING

from ..i18n import _

if TYPE_CHECKING:
    import pikepdf

__all__ = ["make_pdfa", "srgb_profile", "missing_fonts", "NotArchivable", "PDFA_PART", "PDFA_CONFORMANCE"]

PDFA_PART, PDFA_CONFORMANCE = "2", "B"
PRODUCER = "ITA tracker (Chromium, pikepdf)"


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """An sRGB IEC61966-2.1 ICC profile (v2, made by littleCMS through Pillow)."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


class NotArchivable(Exception):
    """Why a PDF cannot be called PDF/A: it is encrypted, or fonts are not embedded.
    Plain data (it crosses the printer's pipe); `message()` says it in the reader's language."""

    def __init__(self, *, encrypted: bool = False, missing: list[str] | None = None) -> None:
        super().__init__(encrypted, missing or [])
        self.encrypted, self.missing = encrypted, missing or []

    def message(self) -> str:
        if self.encrypted:
            return _("ไฟล์ PDF ถูกเข้ารหัส จึงทำเป็น PDF/A ไม่ได้")
        return _("ฟอนต์ไม่ได้ฝังในไฟล์ PDF: %(join_missing)s", join_missing=", ".join(self.missing))


def missing_fonts(pdf: pikepdf.Pdf) -> list[str]:
    """Names of the fonts used on the pages whose program is not in the file."""
    import pikepdf

    missing: set[str] = set()
    for page in pdf.pages:
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        fonts = resources.get("/Font", pikepdf.Dictionary())
        for font in fonts.values():
            if font.get("/Subtype") == "/Type3":
                continue  # drawn by the PDF's own procedures
            descriptor_owner = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = descriptor_owner.get("/FontDescriptor")
            if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add(str(font.get("/BaseFont", "?")))
    return sorted(missing)


def make_pdfa(data: bytes, *, title: str | None = None) -> bytes:
    """The PDF `data` as PDF/A-2b (title from the argument, else the one Chromium set);
    `NotArchivable` when it cannot be."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        if pdf.is_encrypted:
            raise NotArchivable(encrypted=True)
        missing = missing_fonts(pdf)
        if missing:
            raise NotArchivable(missing=missing)
        if title:
            pdf.docinfo["/Title"] = title
        pdf.docinfo["/Producer"] = PRODUCER
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(pdf.docinfo)
            meta["pdfaid:part"] = PDFA_PART
            meta["pdfaid:conformance"] = PDFA_CONFORMANCE
            meta["pdf:Producer"] = PRODUCER
        icc = pdf.make_stream(srgb_profile())
        icc["/N"] = 3
        pdf.Root.OutputIntents = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent,
                    S=pikepdf.Name.GTS_PDFA1,
                    OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                    Info=pikepdf.String("sRGB IEC61966-2.1"),
                    RegistryName=pikepdf.String("http://www.color.org"),
                    DestOutputProfile=icc,
                )
            ]
        )
        if "/Lang" not in pdf.Root:
            pdf.Root.Lang = pikepdf.String("th-TH")
        out = io.BytesIO()
        # fix_metadata_version=False: keep PDF 1.x as Chromium wrote it; qpdf writes a trailer /ID.
        pdf.save(out, fix_metadata_version=False, object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        return out.getvalue()
