"""The continuation marker of a Thai official document: at the foot of every page that
continues, the first words of the next page ("/ ๒) โครงการจัดทำ..."), as the seed memo has.

Chromium has no running footer that can read the next page. So the document is printed
twice: the first PDF tells (pdftotext, per page) which words open each page; the second
print adds them in the bottom-right page-margin box through a `@counter-style` whose
symbol for page N is the marker of page N — a margin box does not change the page
area, so the second print breaks its pages exactly as the first. Without pdftotext
(poppler-utils) the first print is returned as it is, and the log says why.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from html import unescape
from pathlib import Path

from .pdf import html_to_pdf, to_pdfa
from .thaiwrap import UNIT_RE

__all__ = ["MARKER_CHARS", "page_texts", "markers", "html_to_pdf_with_markers"]

log = logging.getLogger(__name__)

#: How much of the next page a marker quotes at most (the seed: "๒) โครงการจัดทำ"), cut
#: at a space or at the edge of a word the documents keep whole — never inside a word.
MARKER_CHARS = 30
_PAGE_NUMBER = re.compile(r"^-\s*[0-9๐-๙]+\s*-$")
_SPACE = re.compile(r"\s+")


def page_texts(pdf: bytes) -> list[str] | None:
    """The text of each page in content order (`pdftotext -raw`), or None without pdftotext."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="tracker-pdf-") as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run([exe, "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60)
    if done.returncode != 0:
        log.warning("pdftotext failed (%s): no continuation markers", done.returncode)
        return None
    pages = done.stdout.decode("utf-8", "replace").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _opening(text: str, skip: Iterable[str]) -> str:
    """The first words of a page: its page number and the table headings that repeat on
    every page are not what continues."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not _PAGE_NUMBER.match(line)]
    flat = _SPACE.sub("", " ".join(lines))
    body = " ".join(lines)
    heads = [_SPACE.sub("", h) for h in skip if h.strip()]
    removed = True
    while removed:  # repeated headings, in whatever order the cells were printed
        removed = False
        for head in heads:
            if flat.startswith(head):
                flat = flat[len(head) :]
                body = _drop_prefix(body, head)
                removed = True
    body = body.strip()
    if len(body) <= MARKER_CHARS:
        return body
    edges = {m.start() for m in re.finditer(" ", body)}
    for match in UNIT_RE.finditer(body[: MARKER_CHARS + 40]):  # a date or a year is not cut either
        edges -= set(range(match.start() + 1, match.end()))
        edges.update((match.start(), match.end()))
    fitting = [edge for edge in edges if 6 <= edge <= MARKER_CHARS]
    if fitting:
        return body[: max(fitting)].strip()
    later = sorted(edge for edge in edges if edge > MARKER_CHARS)
    return body[: later[0]].strip() if later else body[:MARKER_CHARS]


def _drop_prefix(text: str, head: str) -> str:
    """`text` without its first len(head) non-space characters."""
    count = 0
    for index, char in enumerate(text):
        if not char.isspace():
            count += 1
            if count == len(head):
                return text[index + 1 :]
    return ""


def markers(pages: list[str], skip: Iterable[str] = ()) -> list[str]:
    """The marker at the foot of each page: "/ <first words of the next page>...", "" on the last."""
    skip = list(skip)
    out = []
    for number in range(len(pages)):
        following = _opening(pages[number + 1], skip) if number + 1 < len(pages) else ""
        out.append(f"/ {following}..." if following else "")
    return out


def header_cells(html: str) -> list[str]:
    """The texts of the tables' header cells: they repeat at the top of every page a table
    continues on, and a marker quotes what continues, not them."""
    cells = []
    for head in re.findall(r"<thead\b.*?</thead>", html, flags=re.S | re.I):
        for cell in re.findall(r"<th\b[^>]*>(.*?)</th>", head, flags=re.S | re.I):
            text = _SPACE.sub(" ", re.sub(r"<[^>]+>", "", cell)).strip()
            if text:
                cells.append(unescape(text))
    return sorted(set(cells), key=len, reverse=True)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def marker_css(marks: list[str], font_family: str) -> str:
    symbols = " ".join(_css_string(m or " ") for m in marks)
    box = (
        f'@bottom-right {{ content: counter(page, continuation); font-family: "{font_family}", sans-serif; '
        "font-size: 16pt; vertical-align: top; }"
    )
    return (
        f"@counter-style continuation {{ system: fixed; symbols: {symbols}; fallback: continuation-none; }}\n"
        '@counter-style continuation-none { system: cyclic; symbols: " "; }\n'
        f"@page {{ {box} }}\n@page wide {{ {box} }}\n"
    )


def html_to_pdf_with_markers(html: str, *, skip: Iterable[str] = ()) -> bytes:
    """Print `html` with a continuation marker at the foot of each page that continues."""
    from .fonts import FONT_FAMILY

    page = str(html)  # plain text: a Markup's replace() would escape the added style sheet
    skip = [*skip, *header_cells(page)]
    first = html_to_pdf(page, archivable=False)  # read back only: no PDF/A pass
    pages = page_texts(first)
    if pages is None:
        log.warning("pdftotext (poppler-utils) not found: the PDF has no continuation markers")
        return to_pdfa(first)
    if len(pages) < 2:
        return to_pdfa(first)  # one page: no marker
    css = marker_css(markers(pages, skip), FONT_FAMILY)
    return html_to_pdf(page.replace("</head>", f"<style>\n{css}</style>\n</head>", 1))
