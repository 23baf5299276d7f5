"""Make the documents' font, tracker/static/fonts/LaksamanOfficial-{Regular,Bold}.ttf,
from Debian's TLWG Laksaman (fonts-tlwg-laksaman-ttf, GPL-2+ with font exception).

Laksaman is TLWG's version of TH Sarabun New with its glyphs enlarged: TLWG's own
fontconfig rule (89-tlwg-laksaman-synthetic.conf) draws "TH Sarabun" as Laksaman
scaled by 0.66. This script applies that same factor once, in the font itself, by
enlarging the em square (unitsPerEm 1000 → 1515) and leaving every outline alone,
so that "16 pt" in a document is 16 pt in the PDF *and* looks like TH SarabunPSK
16 pt. It also renames the family (a modified font gets a name of its own) and
keeps the licence, extending the font exception to this version as the licence
allows. Run it again to regenerate the files (needs `pip install fonttools`):

    python scripts/make_official_font.py [/usr/share/fonts/truetype/tlwg]
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools.ttLib import TTFont

#: TLWG's factor between Laksaman and TH Sarabun at the same point size.
SCALE = 0.66
FAMILY = "Laksaman Official"
PS_FAMILY = "LaksamanOfficial"
STYLES = {"Regular": "Laksaman.ttf", "Bold": "Laksaman-Bold.ttf"}
OUT = Path(__file__).resolve().parent.parent / "tracker" / "static" / "fonts"


def convert(source: Path, style: str, target: Path) -> None:
    font = TTFont(source)
    head = font["head"]
    head.unitsPerEm = round(head.unitsPerEm / SCALE)
    names = font["name"]
    full = f"{FAMILY} {style}" if style != "Regular" else FAMILY
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 4):
            names.setName(
                full if record.nameID == 4 else f"{PS_FAMILY}-{style};TLWG-0.66",
                record.nameID,
                record.platformID,
                record.platEncID,
                record.langID,
            )
        elif record.nameID == 6:
            names.setName(f"{PS_FAMILY}-{style}", 6, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 0:
            names.setName(
                record.toUnicode() + "\n\nLaksaman Official: Laksaman with its em square enlarged "
                "by 1/0.66 (TLWG's TH Sarabun factor) for the ITA tracker.",
                0,
                record.platformID,
                record.platEncID,
                record.langID,
            )
    font.save(target)


def main() -> None:
    source_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/usr/share/fonts/truetype/tlwg")
    for style, name in STYLES.items():
        target = OUT / f"{PS_FAMILY}-{style}.ttf"
        convert(source_dir / name, style, target)
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
