#!/usr/bin/env python3
"""Wrap table labels that are translated where they are shown in ``N_()``, so that
``tracker translate update`` keeps them: for each catalogue msgid the sources no
longer mention through a gettext call, find it as a plain string literal in
tracker/ and mark it. Rerunnable; prints what it could not find."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.i18n import catalog  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from split_bilingual import Visitor, _add_import  # noqa: E402

SKIP = set(sys.argv[1:])


def main() -> int:
    used = {(m.context, m.id) for m in catalog.extract() if m.id}
    wanted = {m.id for m in catalog.read() if m.id and (m.context, m.id) not in used and m.context is None}
    found: set[str] = set()
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        if rel in SKIP or "/i18n/" in rel:
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        v = Visitor(source.encode(), rel, None)
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                v.parents[id(child)] = parent
        edits = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in wanted:
                parent = v.parents.get(id(node))
                if isinstance(parent, ast.Call) and getattr(parent.func, "id", None) in {"_", "_l", "N_", "NP_"}:
                    continue
                if isinstance(parent, ast.Dict) and node in parent.keys:
                    continue
                if isinstance(parent, ast.JoinedStr):
                    continue
                start, end = v.span(node)
                edits.append((start, end, "N_(" + v.source[start:end].decode() + ")"))
                found.add(node.value)
        if edits:
            data = v.source
            for start, end, text in sorted(edits, reverse=True):
                data = data[:start] + text.encode() + data[end:]
            path.write_text(_add_import(data.decode(), {"N_"}, rel), encoding="utf-8")
            print(f"{rel}: {len(edits)} marked")
    for text in sorted(wanted - found):
        print("not found:", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
