"""The one HTML → PDF renderer of the product (follow-up report, analysis memo).

Headless Chromium (Debian's, driven by Playwright) first: its PDFs keep Thai
text extractable — `pdftotext` gives back every cluster, SARA AM (ำ)
included — which a published O43/O42 document must be (searchable,
copyable). WeasyPrint is only a fallback: it shapes Thai well but its PDFs
lose SARA AM in extraction (docs/notes.md). Playwright is the `.[pdf]` extra.
With neither, a ServiceError says so plainly (HTTP 400 page, CLI exit 1), never a traceback.

The HTML must be self-contained (fonts as data: URIs): the page is rendered
with JavaScript off and every network request refused.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO, cast

from flask import current_app, has_app_context

from .. import extras
from ..errors import ServiceError
from ..i18n import _, _l
from .print_worker import CHROMIUM_ARGS, DEFAULT_CHROMIUM, TIMEOUT_S, read_frame, write_frame

__all__ = ["DEFAULT_CHROMIUM", "CHROMIUM_ARGS", "chromium_path", "renderer_available", "html_to_pdf"]

log = logging.getLogger(__name__)

# Renderings waiting at once in one process (the printer takes one at a time).
_SLOTS = threading.BoundedSemaphore(2)

NO_RENDERER = _l(
    "สร้างไฟล์ PDF ไม่ได้: ไม่พบโปรแกรม Chromium ที่ {path} และไม่ได้ติดตั้ง WeasyPrint โปรดติดตั้ง chromium (apt-get install chromium) หรือกำหนด TRACKER_CHROMIUM"
)
FAILED = _l("สร้างไฟล์ PDF ไม่สำเร็จ โปรดลองอีกครั้งหรือแจ้งผู้ดูแลระบบ ({detail})")


def chromium_path() -> str:
    """TRACKER_CHROMIUM from the app's config or the environment, else Debian's path."""
    configured = current_app.config.get("TRACKER_CHROMIUM") if has_app_context() else None
    return configured or os.environ.get("TRACKER_CHROMIUM") or DEFAULT_CHROMIUM


def _playwright_installed() -> bool:
    """Found, not imported: Playwright is imported by the printer process only."""
    import importlib.util

    return importlib.util.find_spec("playwright") is not None


def _weasyprint_installed() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: the Python package is there but pango is not
        return False
    return True


def renderer_available(chromium: str | None = None) -> str | None:
    """ "chromium", "weasyprint" or None: what html_to_pdf would use."""
    if Path(chromium or chromium_path()).is_file() and _playwright_installed():
        return "chromium"
    if _weasyprint_installed():
        return "weasyprint"
    return None


def html_to_pdf(html: str, *, chromium: str | None = None, archivable: bool = True) -> bytes:
    """Print self-contained HTML to an A4 PDF/A-2b (page size, margins and page
    numbers come from the HTML's own @page rules; PDF/A parts from pdfa.py).
    `archivable=False`: Chromium's PDF as it is, for a print that is only read
    back (the continuation markers' first print), never handed out."""
    path = chromium or chromium_path()
    kind = renderer_available(path)
    if kind == "chromium":
        return _with_slot(lambda: _PRINTER.pdf(html, path, archivable=archivable))
    finish = to_pdfa if archivable else (lambda data: data)
    if kind == "weasyprint":
        log.warning("Chromium not found at %s: PDF made with WeasyPrint, whose text extraction loses SARA AM", path)
        return finish(_with_slot(lambda: _weasyprint_pdf(html)))
    if Path(path).is_file():
        # Chromium is there but Playwright, which drives it, is not: name the extra.
        raise ServiceError(str(extras.MissingExtra("pdf")))
    raise ServiceError(NO_RENDERER.format(path=path))


def to_pdfa(data: bytes) -> bytes:
    """The PDF as PDF/A-2b, made in the printer's process (pikepdf stays out of web workers)."""
    return _PRINTER.pdfa(data)


def _with_slot(render):
    if not _SLOTS.acquire(timeout=TIMEOUT_S):
        raise ServiceError(FAILED.format(detail=_("มีงานสร้าง PDF ค้างอยู่มาก")))
    try:
        return render()
    finally:
        _SLOTS.release()


class PrintWorker:
    """This process's printer: `tracker.reports.print_worker` in a child process, started at
    the first PDF and kept (its browser stays up); started again if it dies or hangs."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tracker.reports.print_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
                cwd=Path(__file__).resolve().parents[2],
            )
        return self.process

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def pdf(self, html: str, executable: str, *, archivable: bool = True) -> bytes:
        """`html` printed by Chromium at `executable`, as PDF/A unless `archivable` is False."""
        return self._ask({"executable": executable, "archivable": archivable}, html.encode("utf-8"))

    def pdfa(self, data: bytes) -> bytes:
        """The PDF `data` as PDF/A-2b."""
        return self._ask({"op": "pdfa"}, data)

    def _ask(self, header: dict, body: bytes) -> bytes:
        with self.lock:
            process = self._start()
            assert process.stdin is not None and process.stdout is not None
            stdin, stdout = cast(BinaryIO, process.stdin), cast(BinaryIO, process.stdout)
            outcome: dict[str, object] = {}

            def exchange() -> None:
                try:
                    write_frame(stdin, json.dumps(header).encode())
                    write_frame(stdin, body)
                    stdin.flush()
                    status = stdout.read(1)
                    outcome["status"], outcome["data"] = status, read_frame(stdout)
                except OSError as exc:  # the printer died
                    outcome["error"] = exc

            thread = threading.Thread(target=exchange, name="pdf-print", daemon=True)
            thread.start()
            thread.join(TIMEOUT_S + 15)
            if thread.is_alive():
                self.stop()
                raise ServiceError(FAILED.format(detail=_("หมดเวลา")))
            data = outcome.get("data")
            if outcome.get("status") == b"\x00" and isinstance(data, bytes):
                return data
            if outcome.get("status") == b"\x02" and isinstance(data, bytes):
                reasons = json.loads(data)
                if "extra" in reasons:
                    raise ServiceError(str(extras.MissingExtra(reasons["extra"])))
                from .pdfa import NotArchivable

                raise ServiceError(NotArchivable(encrypted=reasons["encrypted"], missing=reasons["missing"]).message())
            if outcome.get("status") == b"\x01" and isinstance(data, bytes):
                log.error("PDF rendering failed: %s", data.decode("utf-8", "replace"))
                raise ServiceError(FAILED.format(detail=data.decode("utf-8", "replace").split(":")[0]))
            self.stop()
            log.error("the PDF printer process stopped: %s", outcome.get("error"))
            raise ServiceError(FAILED.format(detail=_("โปรแกรมพิมพ์ PDF หยุดทำงาน")))


#: One printer per process (a gunicorn worker, the CLI, a test run)
_PRINTER = PrintWorker()
atexit.register(_PRINTER.stop)


def _weasyprint_pdf(html: str) -> bytes:
    import weasyprint

    def refuse(url: str, *args, **kwargs):
        if url.startswith("data:"):
            return weasyprint.default_url_fetcher(url, *args, **kwargs)
        raise ValueError(f"not fetched: {url}")

    try:
        return weasyprint.HTML(string=html, url_fetcher=refuse).write_pdf()
    except Exception as exc:
        log.error("WeasyPrint failed", exc_info=exc)
        raise ServiceError(FAILED.format(detail=type(exc).__name__)) from None
