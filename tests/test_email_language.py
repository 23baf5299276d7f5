"""Emails are written in Thai (the official language): no English aside in parentheses after
a Thai phrase, as in "เลยกำหนด (overdue)". Acronyms that are the names of things stay: ITA."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "emails"
#: A Thai letter (or a closing bracket/quote) followed by "(English words)".
ASIDE = re.compile(r"[\u0E00-\u0E7F)\"”] ?\((?!ITA\)|PAdES\))[A-Za-z][A-Za-z ,.'\-]+\)")


def test_email_templates_have_no_english_asides():
    found = [
        f"{path.name}:{number}: {match.group(0)}"
        for path in sorted(TEMPLATES.iterdir())
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for match in ASIDE.finditer(line)
    ]
    assert not found, found


def test_the_check_finds_an_aside():
    assert ASIDE.search("เลยกำหนด (overdue) – 1 รายการ")
    assert not ASIDE.search("มาตรการส่งเสริมคุณธรรมและความโปร่งใส (ITA) ที่ต้องดำเนินการ")
