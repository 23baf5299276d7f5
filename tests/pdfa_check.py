"""What a PDF/A-2b file must carry, read back with pikepdf (veraPDF, the reference
validator, is Java and packaged neither for Debian nor on PyPI, so it cannot run here).

`assert_pdfa` checks the parts of ISO 19005-2 (level B) that a Chromium PDF could miss:
the XMP identification (pdfaid part 2, conformance B) in step with the document
information, one sRGB output intent, the trailer ID, every font program embedded, the
transparency that PDF/A-2 allows (standard blend modes, no transfer functions or
halftones), no image interpolation or alternates, no JavaScript, embedded files or
additional actions, and every annotation printable and visible. Used for every PDF the
product writes: the analysis memo, the follow-up report, its covering memo and the
published (signed or unsigned) file.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pikepdf

from tracker.reports.pdfa import PDFA_CONFORMANCE, PDFA_PART, missing_fonts

#: The blend modes of ISO 32000-1 table 136/137 that PDF/A-2 (6.4) allows.
BLEND_MODES = {
    "/Normal",
    "/Compatible",
    "/Multiply",
    "/Screen",
    "/Overlay",
    "/Darken",
    "/Lighten",
    "/ColorDodge",
    "/ColorBurn",
    "/HardLight",
    "/SoftLight",
    "/Difference",
    "/Exclusion",
    "/Hue",
    "/Saturation",
    "/Color",
    "/Luminosity",
}
_PRINT, _HIDDEN, _INVISIBLE, _NOVIEW = 4, 2, 1, 32


def _dicts(pdf: pikepdf.Pdf):
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            yield obj.stream_dict, obj
        elif isinstance(obj, pikepdf.Dictionary):
            yield obj, obj


def assert_pdfa(data: bytes | Path) -> None:
    """Fail with the offending part unless `data` carries what PDF/A-2b requires."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    assert raw.startswith(b"%PDF-1."), raw[:8]
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        assert not pdf.is_encrypted
        # Identification and metadata (6.6): XMP, unfiltered, in step with the Info dictionary.
        assert "/Metadata" in pdf.Root and "/Filter" not in pdf.Root.Metadata
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == (PDFA_PART, PDFA_CONFORMANCE)
        if "/Title" in pdf.docinfo:
            assert meta["dc:title"] == str(pdf.docinfo["/Title"])
        assert meta["pdf:Producer"] == str(pdf.docinfo["/Producer"])
        # One output intent with an RGB ICC profile (6.2.3): device colours and transparency.
        intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
        assert len(intents) == 1, "one GTS_PDFA1 output intent"
        icc = intents[0].DestOutputProfile
        profile = icc.read_bytes()
        assert profile[36:40] == b"acsp" and profile[16:20] == b"RGB " and int(icc.N) == 3
        # File structure (6.1): a document ID in the trailer.
        assert len(pdf.trailer.ID) == 2 and all(len(bytes(part)) == 16 for part in pdf.trailer.ID)
        # Fonts (6.2.11): every font program in the file.
        assert missing_fonts(pdf) == []
        for font in (d for d, _ in _dicts(pdf) if d.get("/Type") == "/FontDescriptor"):
            assert any(k in font for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/FontName")
        # Actions (6.5, 6.6): nothing runs.
        names = pdf.Root.get("/Names", {})
        assert "/JavaScript" not in names and "/EmbeddedFiles" not in names
        assert "/AA" not in pdf.Root
        opening = pdf.Root.get("/OpenAction")
        assert opening is None or isinstance(opening, pikepdf.Array) or opening.get("/S") != "/JavaScript"
        for page in pdf.pages:
            assert "/AA" not in page.obj
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") == "/Popup":
                    continue
                flags = int(annot.get("/F", 0))
                assert flags & _PRINT and not flags & (_HIDDEN | _INVISIBLE | _NOVIEW), (annot.get("/Subtype"), flags)
                action = annot.get("/A")
                assert action is None or action.get("/S") in ("/URI", "/GoTo"), action
        for d, _ in _dicts(pdf):
            # Transparency and graphics state (6.2.5, 6.2.10).
            if d.get("/Type") == "/ExtGState" or any(k in d for k in ("/BM", "/TR", "/HTP")):
                modes = d.get("/BM")
                for mode in modes if isinstance(modes, pikepdf.Array) else [modes] if modes is not None else []:
                    assert str(mode) in BLEND_MODES, mode
                if d.get("/Type") == "/ExtGState":
                    assert "/TR" not in d and "/HTP" not in d
                    assert d.get("/TR2", pikepdf.Name.Default) == pikepdf.Name.Default
            # Images (6.2.8).
            if d.get("/Subtype") == "/Image":
                assert not bool(d.get("/Interpolate", False)) and "/Alternates" not in d and "/OPI" not in d
            if d.get("/Subtype") == "/Form":
                assert "/OPI" not in d and "/PS" not in d
    # Poppler agrees that every font is embedded.
    if shutil.which("pdffonts"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "doc.pdf"
            path.write_bytes(raw)
            listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        rows = listing.splitlines()[2:]
        assert rows and all(row.split()[-5] == "yes" for row in rows), listing
