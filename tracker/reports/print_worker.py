"""The PDF printer's own process: one long-lived headless Chromium, outside the web worker.

A web worker that printed PDFs itself imported Playwright and drove a fresh
browser per document: 18 MB more per worker for good and a browser start
(most of a second) per PDF. Instead each web process starts this program
once (`python -m tracker.reports.print_worker`, see `pdf.PrintWorker`) and
hands it documents over a pipe; the browser stays up between documents, so a
warm PDF costs the printing only, and the worker's memory stays the web's.

The protocol on stdin/stdout, one request at a time: a request is a 4-byte
big-endian length and that many bytes of JSON ``{"executable": …}``, then
a length and the HTML (UTF-8); the answer is one byte (``0`` a PDF, ``1`` an
error) and a length and the PDF or the error's text. End of input ends the
program (and its browser).
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


def print_page(browser, html: str) -> bytes:
    """Print `html` in a fresh context of a running Playwright browser (JavaScript off,
    every request refused: the document carries its fonts as data: URIs)."""
    context = browser.new_context(java_script_enabled=False, offline=True)
    try:
        context.set_default_timeout(TIMEOUT_S * 1000)
        context.route("**/*", lambda route: route.abort())
        page = context.new_page()
        page.set_content(html, wait_until="load")
        return page.pdf(
            format="A4",
            prefer_css_page_size=True,
            print_background=True,
            display_header_footer=False,
            tagged=True,
            outline=True,
        )
    finally:
        context.close()


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
    """Playwright and one Chromium, started at the first document and again after a crash."""

    def __init__(self) -> None:
        self.pw: Any = None  # playwright's objects, imported only here
        self.browser: Any = None
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
        return print_page(self.browser, html)

    def close(self) -> None:
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
            header = read_frame(stdin)
            html = read_frame(stdin) if header is not None else None
            if header is None or html is None:
                return 0
            try:
                pdf = browser.pdf(html.decode("utf-8"), json.loads(header)["executable"])
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
