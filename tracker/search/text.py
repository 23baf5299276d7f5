"""The search text: normalised query terms, and the matching fragment shown with marks.

Both sides compare the same way: Unicode NFC, Thai digits read as Arabic digits,
case folded per character (lengths never change, so positions found in the
folded text are positions in the shown text).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

from .. import thaidate

#: Fewest characters (spaces not counted) a query must have.
MIN_LENGTH = 2
#: Longest query kept, in characters.
MAX_LENGTH = 100
#: Most terms used; further ones are ignored (each term is one more condition per column).
MAX_TERMS = 8

#: Invisible characters that Thai text copied from documents often carries between words.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalise(raw: str | None) -> str:
    """The query as searched: NFC, invisible characters dropped, spaces collapsed, capped."""
    text = unicodedata.normalize("NFC", raw or "")
    text = _INVISIBLE.sub("", text)
    return " ".join(text.split())[:MAX_LENGTH].strip()


def too_short(text: str) -> bool:
    return len(text.replace(" ", "")) < MIN_LENGTH


def terms_of(text: str) -> list[str]:
    """The distinct space-separated terms of a normalised query (all must match), at most MAX_TERMS."""
    seen: dict[str, None] = {}
    for term in text.split():
        seen.setdefault(term, None)
    return list(seen)[:MAX_TERMS]


def variants(term: str) -> list[str]:
    """How a term may be written in the data: as typed, with Arabic digits, with Thai digits."""
    arabic = thaidate.to_arabic_digits(term)
    thai = thaidate.to_thai_digits(arabic)
    return list(dict.fromkeys([arabic, thai]))


def _fold(text: str) -> str:
    """Compare form: Arabic digits, lower case where that keeps the length."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in thaidate.to_arabic_digits(text))


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where any term occurs in `text`, merged where they overlap, in order."""
    folded = _fold(text)
    found = []
    for term in terms:
        key = _fold(term)
        start = folded.find(key)
        while key and start >= 0:
            found.append((start, start + len(key)))
            start = folded.find(key, start + len(key))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def matches(text: str | None, terms: list[str]) -> bool:
    return bool(text) and bool(_spans(unicodedata.normalize("NFC", text or ""), terms))


def _mark(text: str, spans: list[tuple[int, int]], offset: int) -> Markup:
    out = Markup("")
    at = 0
    for start, end in spans:
        start, end = max(start - offset, 0), min(end - offset, len(text))
        if start >= len(text) or end <= 0:
            continue
        out += escape(text[at:start]) + Markup("<mark>") + escape(text[start:end]) + Markup("</mark>")
        at = end
    return out + escape(text[at:])


def _cluster_start(text: str, i: int) -> int:
    """Move back to the start of a character cluster: never cut a vowel or tone mark off its consonant."""
    while 0 < i < len(text) and unicodedata.category(text[i]) in ("Mn", "Mc"):
        i -= 1
    return i


@dataclass(frozen=True)
class Fragment:
    html: Markup
    found: bool


def fragment(text: str | None, terms: list[str], width: int = 90) -> Fragment:
    """`text` (escaped) with each term marked; a long text is cut to about `width`
    characters around the first match, with … where it was cut."""
    text = unicodedata.normalize("NFC", " ".join((text or "").split()))
    spans = _spans(text, terms)
    if len(text) <= width:
        return Fragment(_mark(text, spans, 0), bool(spans))
    first = spans[0][0] if spans else 0
    start = _cluster_start(text, max(0, first - width // 3))
    end = min(len(text), start + width)
    while end < len(text) and unicodedata.category(text[end]) in ("Mn", "Mc"):
        end += 1
    html = _mark(text[start:end], [s for s in spans if s[1] > start and s[0] < end], start)
    return Fragment(
        (Markup("…") if start > 0 else Markup("")) + html + (Markup("…") if end < len(text) else Markup("")),
        bool(spans),
    )
