"""The PDF printer's own process: one long-lived headless Chromium, outside the web worker.

A web worker that printed PDFs itself imported Playwright and drove a fresh
browser per document: 18 MB more per worker for good and a browser start
(most of a second) per PDF. Instead each web process starts this program
once (`python -m tracker.reports.print_worker`, see `pdf.PrintWorker`) and
hands it documents over a pipe; the browser stays up between documents, so a
warm PDF costs the printing only, and the worker's memory stays the web's.

The PDF/A step (reports/pdfa.py, pikepdf) runs here too, for the same reason:
12 MB that a web worker would otherwise keep.

The protocol on stdin/stdout, one request at a time: a request is a 4-byte
big-endian length and that many bytes of JSON, then a length and a body.
``{"executable": …, "archivable": true}`` with HTML (UTF-8) prints it (as
PDF/A when archivable); ``{"op": "pdfa"}`` with a PDF makes it PDF/A. The
answer is one byte and a length and data: ``0`` the PDF, ``1`` an error's
text, ``2`` why the PDF cannot be PDF/A (JSON: ``encrypted``, ``missing``
fonts, or the ``extra`` to install). End of input ends the program (and its
browser).
"""

from __future__ import annotations

import json
import os
import struct
import sys
from typing import Any, BinaryIO

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
]
#: Seconds one rendering may take before it is given up.
TIMEOUT_S = 90

_LENGTH = struct.Struct(">I")


def new_page(browser):
    """A page in a context of its own: JavaScript off, every request refused (the
    documents carry their fonts as data: URIs)."""
    context = browser.new_context(java_script_enabled=False, offline=True)
    context.set_default_timeout(TIMEOUT_S * 1000)
    context.route("**/*", lambda route: route.abort())
    return context.new_page()


def print_on(page, html: str) -> bytes:
    """Print `html` on a page made by `new_page` (the page's earlier document is replaced)."""
    page.set_content(html, wait_until="load")
    return page.pdf(
        format="A4",
        prefer_css_page_size=True,
        print_background=True,
        display_header_footer=False,
        tagged=True,
        outline=True,
    )


def write_frame(stream: BinaryIO, data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)


def read_frame(stream: BinaryIO) -> bytes | None:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return data


class _Browser:
    """Playwright and one Chromium, started at the first document and again after a crash.

    The documents are printed one after another on one page of one context, made with
    the browser and made again after any error: a new context and page per document
    took longer than printing it (0.4–0.6 s of the ~1 s, twice per report with its
    continuation markers). Nothing of a document outlives the next `set_content`:
    JavaScript is off, nothing is fetched, no storage is written.
    """

    def __init__(self) -> None:
        self.pw: Any = None  # playwright's objects, imported only here
        self.browser: Any = None
        self.page: Any = None
        self.executable: str | None = None

    def pdf(self, html: str, executable: str) -> bytes:
        if self.browser is None or not self.browser.is_connected() or executable != self.executable:
            self.close()
            from playwright.sync_api import sync_playwright

            self.pw = sync_playwright().start()
            self.browser = self.pw.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS, timeout=TIMEOUT_S * 1000
            )
            self.executable = executable
        if self.page is None or self.page.is_closed():
            self.page = new_page(self.browser)
        return print_on(self.page, html)

    def close(self) -> None:
        self.page = None
        if self.browser is not None:
            try:
                self.browser.close()
            except Exception:  # already gone
                pass
        if self.pw is not None:
            try:
                self.pw.stop()
            except Exception:
                pass
        self.pw = self.browser = None


class _Refused(Exception):
    """The answer ``2``: the PDF cannot be PDF/A (its reasons as JSON-able data)."""


def _pdfa(pdf: bytes) -> bytes:
    from .pdfa import NotArchivable, make_pdfa

    try:
        return make_pdfa(pdf)
    except ImportError:  # pikepdf (imported by make_pdfa) comes with the [pdf] extra
        raise _Refused({"extra": "pdf"}) from None
    except NotArchivable as exc:
        raise _Refused({"encrypted": exc.encrypted, "missing": exc.missing}) from None


def main() -> int:
    # The answers get a private copy of stdout; whatever else writes to fd 1 (a library,
    # the browser's driver) goes to stderr instead of into the protocol.
    stdout = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer
    browser = _Browser()
    try:
        while True:
            frame = read_frame(stdin)
            body = read_frame(stdin) if frame is not None else None
            if frame is None or body is None:
                return 0
            header = json.loads(frame)
            try:
                if header.get("op") == "pdfa":
                    pdf = _pdfa(body)
                else:
                    pdf = browser.pdf(body.decode("utf-8"), header["executable"])
                    if header.get("archivable"):
                        pdf = _pdfa(pdf)
            except _Refused as refused:
                stdout.write(b"\x02")
                write_frame(stdout, json.dumps(refused.args[0]).encode())
            except Exception as exc:  # handed to the web process, which logs it and says so
                browser.close()
                stdout.write(b"\x01")
                write_frame(stdout, f"{type(exc).__name__}: {exc}".encode())
            else:
                stdout.write(b"\x00")
                write_frame(stdout, pdf)
            stdout.flush()
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
