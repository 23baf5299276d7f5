"""Helpers shared by the report tests: the demo plan with progress, another
organization, marking steps done on a given day, and reading PDFs and PNGs
with the real tools (pdftotext, pdftoppm) and the standard library."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from datetime import UTC, date, datetime, time
from pathlib import Path

from tests.conftest import make_user
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.orgs.models import Organization
from tracker.plans.models import Plan, Step, StepStatus
from tracker.plans.services import change_status
from tracker.thaidate import BANGKOK


def bangkok(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """`day` at hour:minute in Bangkok, as aware UTC."""
    return datetime.combine(day, time(hour, minute), BANGKOK).astimezone(UTC)


def load_demo_plan() -> Plan:
    """The bundled Ban Pet demo with its mid-year progress (as `tracker demo --with-progress`)."""
    from tracker.demo import DEMO_PROGRESS_DATE, add_demo_progress, load_demo

    result = load_demo(bangkok(date(2022, 10, 12)))
    add_demo_progress(result.plan, DEMO_PROGRESS_DATE)
    db.session.commit()
    return result.plan


def finish(step: Step, actor: User | None, when: datetime, note: str = "") -> None:
    """Tick a step off as done at `when` (the time the officer did it)."""
    change_status(step, StepStatus.done, actor, when, note=note, check_permission=False)


def other_org_admin() -> User:
    org = Organization(name="เทศบาลตำบลอื่น", slug="otherorg", province="ขอนแก่น")
    db.session.add(org)
    user = make_user(org, "admin@other.go.th", Role.admin, name="ผู้ดูแลอื่น")
    db.session.commit()
    return user


def html_text(html: str) -> str:
    """The text of an HTML document as a reader sees it: tags (the no-break spans
    of reports/thaiwrap.py among them) removed."""
    return re.sub(r"<[^>]+>", "", html)


def readable_docx(data: bytes | str):
    """A DOCX opened with python-docx as a reader sees its text: without the WORD
    JOINERs and with plain spaces for the no-break ones that keep Thai words, dates
    and names on one line (reports/thaiwrap.py)."""
    import io
    import zipfile

    import docx

    raw = open(data, "rb").read() if isinstance(data, str) else data
    source, target = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.endswith(".xml"):
                content = (
                    content.decode("utf-8")
                    .replace("\u2060", "")
                    .replace("\u200b", "")
                    .replace("\u00a0", " ")
                    .encode("utf-8")
                )
            out.writestr(item, content)
    return docx.Document(io.BytesIO(target.getvalue()))


# -- PDF -------------------------------------------------------------------------


def have_poppler() -> bool:
    return bool(shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdfinfo"))


def pdf_text(path: Path, *, layout: bool, crop: tuple[float, float] | None = None) -> str:
    """pdftotext of the whole document; `crop` = (x, width) in points keeps one column."""
    args = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    if crop is not None:
        x, width = crop
        args += ["-r", "72", "-x", str(int(x)), "-y", "0", "-W", str(int(width)), "-H", "842"]
    args += [str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    assert match, info
    return int(match.group(1))


def zero_width_words(path: Path) -> list[str]:
    """Words of no width: marks painted without their base letter (a stray at a page foot)."""
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [
        m.group(3)
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', xml)
        if m.group(1) == m.group(2)
    ]


def squeeze(text: str) -> str:
    """Text with every whitespace and line break removed: titles wrap in table cells."""
    return re.sub(r"\s+", "", text)


def read_png(path: Path) -> tuple[int, int, int, bytes]:
    """(width, height, channels, raw pixels) of an 8-bit PNG, decoded with zlib only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0, header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * channels
    out = bytearray()
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        out += line
        previous = line
    return width, height, channels, bytes(out)


def non_white_share(path: Path) -> float:
    width, height, channels, pixels = read_png(path)
    colour = min(channels, 3)
    dark = sum(1 for i in range(0, len(pixels), channels) if min(pixels[i : i + colour]) < 200)
    return dark / (width * height)


#: Long Thai words no line of a document may end inside (issue 13).
KEPT_WORDS = ("การประเมิน", "ดำเนินการ", "ระยะเวลา", "ยุทธศาสตร์", "งบประมาณ", "ผู้รับผิดชอบ", "มาตรการ")
_YEAR_HEAD = re.compile(r"(?:พ\.ศ\.|(?<![0-9๐-๙.])[0-9๐-๙]{1,3})$")
_YEAR_TAIL = re.compile(r"^[0-9๐-๙]{1,4}(?![0-9๐-๙.])")
_BE_YEAR = re.compile(r"(?:25|๒๕)[0-9๐-๙]{2}")


def split_words(text: str, words: tuple[str, ...] = KEPT_WORDS) -> list[str]:
    """Line ends of pdftotext output (raw order: each cell's lines in turn) that fall
    inside one of `words` or inside a year ("พ.ศ." / "25" at a line end, digits next)."""
    lines = [line.strip() for line in text.replace("\f", "\n").splitlines()]
    lines = [line for line in lines if line]
    found = []
    for this, following in zip(lines, lines[1:]):
        for word in words:
            for cut in range(1, len(word)):
                if this.endswith(word[:cut]) and following.startswith(word[cut:]):
                    if not (this.endswith(word) or following.startswith(word)):
                        found.append(f"{this[-20:]} / {following[:20]}")
        head, tail = _YEAR_HEAD.search(this), _YEAR_TAIL.match(following)
        if head and tail and (head.group(0) == "พ.ศ." or _BE_YEAR.fullmatch(head.group(0) + tail.group(0))):
            found.append(f"{this[-20:]} / {following[:20]}")
    return found
