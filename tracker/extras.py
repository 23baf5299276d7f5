"""Optional parts installed as pip extras, and the message when one is missing.

PDF printing drives Chromium through Playwright (`.[pdf]`, ~165 MB) and a
PostgreSQL server needs psycopg (`.[postgres]`); the embedded SQLite default
needs neither. Whoever needs such a module asks for it here, so the person
reading the error learns which extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .i18n import _, either

#: extra name → (module it provides, what it is for in Thai, in English)
EXTRAS = {
    "pdf": ("playwright.sync_api", "การสร้างไฟล์ PDF", "printing PDFs"),
    "postgres": ("psycopg", "ฐานข้อมูล PostgreSQL", "a PostgreSQL database"),
}


class MissingExtra(RuntimeError):
    """An optional part is not installed; the message says how to install it."""

    def __init__(self, extra: str):
        module, thai, english = EXTRAS[extra]
        self.extra = extra
        super().__init__(
            _(
                "%(thai)s ต้องติดตั้งส่วนเสริม [%(extra)s] ก่อน: pip install 'ita-tracker[%(extra)s]' (หรือ pip install -e '.[%(extra)s]' ในโฟลเดอร์ของโปรแกรม)",
                thai=either(thai, english),
                extra=extra,
            )
        )


def installed(extra: str) -> bool:
    try:
        load(extra)
    except MissingExtra:
        return False
    return True


def load(extra: str) -> ModuleType:
    """Import the extra's module, or raise MissingExtra naming the extra."""
    try:
        return importlib.import_module(EXTRAS[extra][0])
    except ImportError:
        raise MissingExtra(extra) from None
