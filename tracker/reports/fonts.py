"""The fonts of the reports: the official documents' Laksaman Official, embedded or
linked by @font-face, and the bundled Sarabun of the public web pages.
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

from flask import url_for
from markupsafe import Markup

__all__ = [
    "font_faces",
    "web_font_faces",
]


FONTS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"


#: Fontsource's subsets of Sarabun (OFL), the web pages' font: file stem → unicode-range.
FONT_SUBSETS = {
    "thai": "U+02D7,U+0303,U+0331,U+0E01-0E5B,U+200C-200D,U+25CC",
    "latin": (
        "U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,"
        "U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD"
    ),
}


#: The family the web pages' CSS names for the bundled Sarabun.
WEB_FONT_FAMILY = "ReportSarabun"


#: The official documents' font (README, "Fonts"): TLWG Laksaman — derived from TH
#: SarabunPSK — with its em enlarged by TLWG's factor (scripts/make_official_font.py),
#: so that 16 pt in the CSS is 16 pt in the PDF and looks like TH SarabunPSK 16 pt.
#: Always loaded by @font-face from the package, never looked up on the system
#: (fontconfig maps "TH Sarabun…" to a scaled Laksaman and garbles the PDF).
FONT_FAMILY = "Laksaman Official"


OFFICIAL_FONTS = {400: "LaksamanOfficial-Regular.ttf", 700: "LaksamanOfficial-Bold.ttf"}


@cache
def _font_data(name: str) -> str:
    return base64.b64encode((FONTS_DIR / name).read_bytes()).decode("ascii")


def font_faces(embed: bool) -> Markup:
    """@font-face rules for the official documents' font: data URIs for a
    self-contained file (PDF source, HTML download), static URLs for a web page."""
    rules = []
    for weight, name in OFFICIAL_FONTS.items():
        src = f"data:font/ttf;base64,{_font_data(name)}" if embed else url_for("static", filename=f"fonts/{name}")
        rules.append(
            f"@font-face{{font-family:'{FONT_FAMILY}';font-style:normal;font-weight:{weight};"
            f"src:url({src}) format('truetype');}}"
        )
    return Markup("\n".join(rules))


def web_font_faces() -> Markup:
    """@font-face rules for the bundled Sarabun of the public web pages."""
    rules = []
    for weight in (400, 700):
        for subset, unicode_range in FONT_SUBSETS.items():
            name = f"sarabun-{subset}-{weight}-normal.woff2"
            rules.append(
                f"@font-face{{font-family:'{WEB_FONT_FAMILY}';font-style:normal;font-weight:{weight};"
                f"src:url({url_for('static', filename=f'fonts/{name}')}) format('woff2');unicode-range:{unicode_range};}}"
            )
    return Markup("\n".join(rules))
