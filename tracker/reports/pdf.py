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

import logging
import os
import threading
from pathlib import Path

from flask import current_app, has_app_context

from .. import extras
from ..errors import ServiceError

__all__ = ["DEFAULT_CHROMIUM", "CHROMIUM_ARGS", "chromium_path", "renderer_available", "html_to_pdf"]

log = logging.getLogger(__name__)

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
# Each rendering starts a browser (~150 MB); at most two at once on a small server.
_SLOTS = threading.BoundedSemaphore(2)

NO_RENDERER = (
    "สร้างไฟล์ PDF ไม่ได้: ไม่พบโปรแกรม Chromium ที่ {path} และไม่ได้ติดตั้ง WeasyPrint "
    "โปรดติดตั้ง chromium (apt-get install chromium) หรือกำหนด TRACKER_CHROMIUM "
    "(cannot make a PDF: Chromium was not found at {path} and WeasyPrint is not installed; "
    "install chromium or set TRACKER_CHROMIUM)"
)
FAILED = (
    "สร้างไฟล์ PDF ไม่สำเร็จ โปรดลองอีกครั้งหรือแจ้งผู้ดูแลระบบ ({detail}) "
    "(the PDF could not be made; try again or tell the administrator)"
)


def chromium_path() -> str:
    """TRACKER_CHROMIUM from the app's config or the environment, else Debian's path."""
    configured = current_app.config.get("TRACKER_CHROMIUM") if has_app_context() else None
    return configured or os.environ.get("TRACKER_CHROMIUM") or DEFAULT_CHROMIUM


def _playwright_installed() -> bool:
    return extras.installed("pdf")


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


def html_to_pdf(html: str, *, chromium: str | None = None) -> bytes:
    """Print self-contained HTML to an A4 PDF/A-2b (page size, margins and page
    numbers come from the HTML's own @page rules; PDF/A parts from pdfa.py)."""
    path = chromium or chromium_path()
    kind = renderer_available(path)
    if kind == "chromium":
        return _archivable(_with_slot(lambda: _in_thread(lambda: _chromium_pdf(html, path))))
    if kind == "weasyprint":
        log.warning("Chromium not found at %s: PDF made with WeasyPrint, whose text extraction loses SARA AM", path)
        return _archivable(_with_slot(lambda: _weasyprint_pdf(html)))
    if Path(path).is_file():
        # Chromium is there but Playwright, which drives it, is not: name the extra.
        raise ServiceError(str(extras.MissingExtra("pdf")))
    raise ServiceError(NO_RENDERER.format(path=path))


def _archivable(data: bytes) -> bytes:
    """The PDF as PDF/A-2b (pikepdf comes with the [pdf] extra, as Playwright does)."""
    try:
        from .pdfa import make_pdfa
    except ImportError:
        raise ServiceError(str(extras.MissingExtra("pdf"))) from None
    return make_pdfa(data)


def _with_slot(render):
    if not _SLOTS.acquire(timeout=TIMEOUT_S):
        raise ServiceError(FAILED.format(detail="มีงานสร้าง PDF ค้างอยู่มาก (too many PDFs being made)"))
    try:
        return render()
    finally:
        _SLOTS.release()


def _in_thread(render):
    """Run Playwright's sync API in a thread of its own: it refuses to run where
    an asyncio loop is already running (an async server, a test's browser)."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["pdf"] = render()
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="pdf-render", daemon=True)
    thread.start()
    thread.join(TIMEOUT_S + 15)
    if thread.is_alive():
        raise ServiceError(FAILED.format(detail="หมดเวลา (timed out)"))
    error = outcome.get("error")
    if isinstance(error, ServiceError):
        raise error
    if isinstance(error, BaseException):
        log.error("PDF rendering failed", exc_info=error)
        raise ServiceError(FAILED.format(detail=type(error).__name__)) from None
    pdf = outcome["pdf"]
    assert isinstance(pdf, bytes)
    return pdf


def _chromium_pdf(html: str, executable: str) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=TIMEOUT_S * 1000)
        try:
            context = browser.new_context(java_script_enabled=False, offline=True)
            context.set_default_timeout(TIMEOUT_S * 1000)
            # Nothing may be fetched: the document carries its fonts as data: URIs.
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
            browser.close()


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
