"""Every ``%(name)s`` of a translatable string is filled, in Thai and in English.

The code is read with `ast` and the English catalogue with Babel (nothing is
imported or rendered):

- a ``_()`` / ``gettext`` / ``ngettext`` / ``pgettext`` call whose msgid names
  placeholders passes each as a keyword argument (Flask-Babel formats with
  them; one missing is a KeyError on the page). Lazy strings (``_l``,
  ``lazy_gettext``, ``N_``) and a ``_()`` formatted at once with ``%`` may
  leave them to whoever formats them;
- a ``_("…") % {…}`` names every placeholder in its dict;
- an English msgstr uses only placeholders its msgid has: the English is
  formatted with the values the Thai asked for, nothing else.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
PO = PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po"

#: A placeholder, not an escaped ``%%(``.
PLACEHOLDER = re.compile(r"(?<!%)(?:%%)*%\((\w+)\)")

#: Function name → (index of the msgid argument, index of the plural or None).
NOW = {"_": (0, None), "gettext": (0, None), "gettext_anywhere": (0, None), "ngettext": (0, 1), "pgettext": (1, None)}
LAZY = {
    "_l": (0, None),
    "lazy_gettext": (0, None),
    "lazy_ngettext": (0, 1),
    "lazy_pgettext": (1, None),
    "N_": (0, None),
}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def problems_in(source: str, where: str) -> list[str]:
    """What the calls in `source` leave unfilled (`where`: the file, for the message)."""
    tree = ast.parse(source)
    formatted: dict[int, ast.expr] = {}  # id of a call → the right-hand side of its "%"
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Call):
            formatted[id(node.left)] = node.right
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name not in NOW and name not in LAZY:
            continue
        index, plural = (NOW | LAZY)[name]
        texts = [_literal(node.args[i]) if len(node.args) > i else None for i in (index, plural) if i is not None]
        wanted = set().union(*(placeholders(t) for t in texts if t is not None))
        if not wanted or texts[0] is None:
            continue
        if name in ("ngettext", "lazy_ngettext"):
            wanted.discard("num")  # Flask-Babel passes the count as num
        given = {k.arg for k in node.keywords if k.arg is not None}
        spread = any(k.arg is None for k in node.keywords)
        missing: set[str] = set()
        if id(node) in formatted:
            right = formatted[id(node)]
            if isinstance(right, ast.Dict) and all(_literal(k) is not None for k in right.keys):
                missing = wanted - {_literal(k) for k in right.keys}  # type: ignore[misc]
        elif given or spread:
            missing = set() if spread else wanted - given
        elif name in NOW:
            missing = wanted  # formatted by nobody: "%(name)s" would show as it is
        if missing:
            found.append(f"{where}:{node.lineno}: {texts[0]!r} needs {sorted(missing)}")
    return found


def test_every_placeholder_of_a_call_is_passed():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += problems_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "\n".join(found)


def test_the_english_uses_only_the_placeholders_of_its_thai():
    with PO.open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = set().union(*(placeholders(i) for i in ids))
        for string in strings:
            extra = placeholders(string) - allowed
            if extra:
                found.append(f"{ids[0]!r} → {string!r}: {sorted(extra)} not in the Thai")
    assert not found, "\n".join(found)


def test_the_checks_find_what_they_look_for():
    source = """
_("ก %(a)s %(b)s", a=1)
_("ข %(a)s")
_l("ค %(a)s")
_("ง %(a)s %(b)s") % {"a": 1}
_("จ %(a)s") % values
ngettext("%(num)d ฉ %(a)s", "%(num)d ฉ %(a)s", 2, a=1)
_("ช %(a)s", **values)
_("ซ %%(a)s")
"""
    assert [line.split(": ", 1)[1] for line in problems_in(source, "x.py")] == [
        "'ก %(a)s %(b)s' needs ['b']",
        "'ข %(a)s' needs ['a']",
        "'ง %(a)s %(b)s' needs ['b']",
    ]
