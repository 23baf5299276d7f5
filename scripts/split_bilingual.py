#!/usr/bin/env python3
"""Split "ไทย (English)" (and "ไทย · english") literals into a Thai msgid and its English in the catalogue.

The interface used to write messages twice, "ไทย (English)", and show the part
in the final parentheses in English mode. A page now shows one language: this
codemod rewrites each such literal that reaches a page into ``_("ไทย")`` (or
``_l("ไทย")`` where it is evaluated before any request: module and class level)
and adds "ไทย" → "English" to tracker/translations/en/LC_MESSAGES/messages.po.
It also drops the old helpers: ``bi(x)`` → ``_(x)``, ``localize(x)`` → ``x``,
``{{ en_hint(...) }}`` → nothing, ``_(x, context=c)`` → ``pgettext(c, x)``.

Rerunnable: files already converted are left alone, so run it again after
merging code that brought new bilingual literals:

    python scripts/split_bilingual.py            # rewrite, then: tracker translate update/compile
    python scripts/split_bilingual.py --dry-run  # list what would change

Left alone on purpose (reported as "kept"): emails and printed documents
(official Thai, read as written), the JSON API and its OpenAPI text, data files,
acronyms and names in parentheses ("(E-Service)", "(ITA)", "(PDF)"), and text
whose English is not in final parentheses or uses placeholders the Thai does not
(listed as "manual", for a person to rewrite).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "tracker" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
THAI = re.compile("[\u0e01-\u0e4f\u0e5a\u0e5b]")
BILINGUAL = re.compile(r"[\u0e00-\u0e7f]+ \([A-Za-z]")

#: Not pages: official Thai documents and emails, the JSON API, the CLI's own files.
SKIP_PARTS = (
    "tracker/i18n/",
    "tracker/api/openapi.py",
    "tracker/api/schemas.py",
    "tracker/api/inputs.py",
    "tracker/plans/exporter.py",
    "tracker/reports/followup_docx.py",
    "tracker/reports/memo_docx.py",
    "templates/emails/",
    "templates/line/",
    "templates/reports/_memo_body.html",
    "templates/reports/cover.html",
)
#: File formats: their module-level text (sheet names, column headings) is what the reader of
#: the file parses, so only the messages inside functions are converted there.
FORMAT_DEFINITIONS = ("tracker/plans/planfile/xlsx_layout.py", "tracker/plans/planfile/xlsx.py")
#: Words in parentheses that are names, not translations: "ITA", "O43", "E-Service", "PAdES".
PROPER = re.compile(r"^(?:[A-Z0-9][A-Z0-9\-./+]*|[A-Za-z]+-?[A-Z][\w\-]*|Excel|Outlook|Google|Chromium)$")
#: A lowercase English phrase in parentheses: a translation the codemod could not split.
LOOKS_ENGLISH = re.compile(r"\([a-z]{2,}[a-z ,;:']*")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]|\{(\w+)\}")
POSITIONAL = re.compile(r"%[sdifr]|\{\}|\{\d")
TRANSLATING = {"_", "_l", "gettext", "lazy_gettext", "translate"}


def split(text: str) -> tuple[str, str] | None:
    """("ไทย", "English") of a "ไทย (English)" text, or None when it is not one."""
    body = text.rstrip()
    dotted = re.match(r"^(.*[\u0e01-\u0e4f].*?) · ([a-z][^\u0e00-\u0e7f·()]*)$", body, re.S)
    if dotted and not POSITIONAL.search(text):  # form labels written "ไทย · english"
        english = dotted[2].strip()
        return dotted[1].rstrip(), english[0].upper() + english[1:]
    trailing = ""
    if body[-1:] in ".:" and body[-2:-1] == ")":
        body, trailing = body[:-1], body[-1]
    if not body.endswith(")"):
        return None
    depth = 0
    for i in range(len(body) - 1, -1, -1):
        if body[i] == ")":
            depth += 1
        elif body[i] == "(":
            depth -= 1
            if depth == 0:
                break
    else:
        return None
    before, inner = body[:i], body[i + 1 : -1].strip()
    if not before.strip() or not THAI.search(before) or not inner or THAI.search(inner):
        return None
    if not re.match(r"[A-Za-z]", inner) or not re.search(r"[A-Za-z]{2}", inner) or PROPER.match(inner):
        return None  # "(ITA)", "(E-Service)", "(O43)": names, not translations
    if POSITIONAL.search(text):
        return None
    thai = before.rstrip() + (":" if trailing == ":" else "")
    english = inner[0].upper() + inner[1:] + trailing
    return thai, english


# -- the catalogue ----------------------------------------------------------------------------------


def load_po():
    from babel.messages.pofile import read_po

    with PO.open("rb") as f:
        return read_po(f, locale="en")


def save_po(catalog) -> None:
    from babel.messages.pofile import write_po

    with PO.open("wb") as f:
        write_po(f, catalog, width=0, sort_output=False)


class Found:
    def __init__(self, catalog) -> None:
        self.catalog = catalog
        self.added = 0
        self.converted = 0
        self.manual: list[str] = []
        self.clashes: list[str] = []

    def add(self, thai: str, english: str, where: str) -> None:
        old = self.catalog.get(thai)
        if old is None:
            self.catalog.add(thai, english)
            self.added += 1
        elif old.string != english and old.string.rstrip(".").lower() != english.rstrip(".").lower():
            # The catalogue's English was written for the page; keep it, and say so.
            self.clashes.append(f"{where}: {thai!r}: kept {old.string!r}, not {english!r}")
        self.converted += 1


# -- Python ---------------------------------------------------------------------------------------


def pystr(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _name_for(expr: ast.expr, taken: dict[str, str]) -> str:
    source = ast.unparse(expr)
    for name, src in taken.items():
        if src == source:
            return name
    name = re.sub(r"\W+", "_", source).strip("_").lower()
    if not name.isidentifier() or len(name) > 24 or name in taken:
        name = f"value{len(taken) + 1}"
    taken[name] = source
    return name


def _fstring_text(node: ast.JoinedStr) -> tuple[str, dict[str, str]] | None:
    """An f-string as a %(name)s text and its name → expression source."""
    parts, names = [], {}
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value.replace("%", "%%"))
        elif isinstance(value, ast.FormattedValue) and value.conversion in (-1, ord("r")) and value.format_spec is None:
            parts.append(f"%({_name_for(value.value, names)}){'r' if value.conversion == ord('r') else 's'}")
        else:
            return None
    return "".join(parts), names


class Visitor(ast.NodeVisitor):
    """Collects (start, end, replacement) byte spans of bilingual literals."""

    def __init__(self, source: bytes, where: str, found: Found) -> None:
        self.source, self.where, self.found = source, where, found
        self.lines = [0]
        for line in source.splitlines(keepends=True):
            self.lines.append(self.lines[-1] + len(line))
        self.edits: list[tuple[int, int, str]] = []
        self.eager = [False]
        self.parents: dict[int, ast.AST] = {}
        self.uses: set[str] = set()
        self.skip: set[int] = set()

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.lines[node.lineno - 1] + node.col_offset,
            self.lines[node.end_lineno - 1] + node.end_col_offset,
        )

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.parents[id(child)] = node
        super().generic_visit(node)

    def _function(self, node) -> None:
        for child in ast.iter_child_nodes(node):
            self.parents[id(child)] = node
        for deco in node.decorator_list:
            self.visit(deco)
        self.visit(node.args)  # defaults: evaluated when the module loads
        self.eager.append(True)
        for stmt in node.body:
            self._skip_docstring(node)
            self.visit(stmt)
        self.eager.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.parents[id(node.body)] = node
        self.eager.append(True)
        self.visit(node.body)
        self.eager.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any(ast.unparse(b).endswith("Enum") for b in node.bases):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and BILINGUAL.search(sub.value):
                    self.found.manual.append(f"{self.where}:{sub.lineno}: in an Enum: {sub.value[:60]!r}")
            return
        self._skip_docstring(node)
        self.generic_visit(node)

    def visit_Module(self, node: ast.Module) -> None:
        self._skip_docstring(node)
        self.generic_visit(node)

    def _skip_docstring(self, node) -> None:
        body = getattr(node, "body", [])
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self.skip.add(id(body[0].value))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name in {"localize", "english_part"} and len(node.args) == 1 and not node.keywords:
            arg = node.args[0]
            start, end = self.span(node)
            if isinstance(arg, ast.Constant | ast.JoinedStr):
                self.skip.add(id(arg))
                result = self._literal(arg, wrap=True)
                if result is None:
                    self.found.manual.append(f"{self.where}:{node.lineno}: {ast.unparse(arg)[:90]}")
                    a0, a1 = self.span(arg)
                    self.edits.append((start, end, "str(" + self.source[a0:a1].decode() + ")"))
                else:
                    self.edits.append((start, end, result[1]))
                return
            self.edits.append((start, self.span(arg)[0], "_(str("))
            self.edits.append((self.span(arg)[1], end, "))"))
            self.uses.add("_")
        self.generic_visit(node)

    def _literal(self, node: ast.expr, wrap: bool) -> tuple[str, str] | None:
        """(thai, new code) for a bilingual literal, or None."""
        if isinstance(node, ast.Constant):
            parts = split(node.value)
            if parts is None:
                return None
            thai, english = parts
            self.found.add(thai, english, f"{self.where}:{node.lineno}")
            if not wrap:
                return thai, pystr(thai)
            fn = "_" if self.eager[-1] else "_l"
            self.uses.add(fn)
            return thai, f"{fn}({pystr(thai)})"
        converted = _fstring_text(node)
        if converted is None:
            return None
        text, names = converted
        parts = split(text)
        if parts is None:
            return None
        thai, english = parts
        self.found.add(thai, english, f"{self.where}:{node.lineno}")
        fn = "_" if self.eager[-1] else "_l"
        self.uses.add(fn)
        args = "".join(f", {n}={src}" for n, src in names.items())
        if not wrap:
            return None  # an f-string inside _() cannot be a msgid: rewrite the call
        return thai, f"{fn}({pystr(thai)}{args})"

    def visit_Constant(self, node: ast.Constant) -> None:
        self._string(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        texts = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
        if id(node) not in self.skip and THAI.search(texts) and (" (" in texts or " · " in texts):
            self._string(node)

    def _string(self, node) -> None:
        if id(node) in self.skip:
            return
        if isinstance(node, ast.Constant) and not (
            isinstance(node.value, str) and THAI.search(node.value) and (" (" in node.value or " · " in node.value)
        ):
            return
        parent = self.parents.get(id(node))
        start, end = self.span(node)
        inside = (
            isinstance(parent, ast.Call)
            and parent.args
            and parent.args[0] is node
            and (getattr(parent.func, "id", None) or getattr(parent.func, "attr", None)) in TRANSLATING
        )
        if isinstance(parent, ast.Dict) and node in parent.keys:
            self.found.manual.append(f"{self.where}:{node.lineno}: a dict key: {ast.unparse(node)[:60]}")
            return
        if inside:
            if isinstance(node, ast.JoinedStr):
                self.found.manual.append(
                    f"{self.where}:{node.lineno}: an f-string inside _(): {ast.unparse(node)[:60]}"
                )
                return
            result = self._literal(node, wrap=False)
        elif not self.eager[-1] and self.where in FORMAT_DEFINITIONS:
            return  # a sheet name or a column heading of a file format
        else:
            result = self._literal(node, wrap=True)
        if result is None:
            if LOOKS_ENGLISH.search(ast.unparse(node)):
                self.found.manual.append(f"{self.where}:{node.lineno}: {ast.unparse(node)[:90]}")
            return
        self.edits.append((start, end, result[1]))


def _add_import(source: str, names: set[str], where: str) -> str:
    tree = ast.parse(source)
    have = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("i18n"):
            have |= {a.asname or a.name for a in node.names}
    need = sorted(names - have)
    if not need:
        return source
    last = 0
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            last = node.end_lineno
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            break
    lines = source.splitlines(keepends=True)
    depth = where.count("/")  # tracker/x/y.py → "..i18n"
    module = "." * depth + "i18n" if depth > 1 else ".i18n"
    lines.insert(last, f"from {module} import {', '.join(need)}\n")
    return "".join(lines)


def _throwaway_underscores(tree: ast.AST, source: bytes, visitor: Visitor) -> list[tuple[int, int, str]] | None:
    """Edits renaming each throwaway ``_`` variable to ``_unused``, so ``_()`` stays gettext;
    None when ``_`` is read as a variable somewhere (a person must look)."""
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "_":
            if isinstance(node.ctx, ast.Store):
                start, end = visitor.span(node)
                edits.append((start, end, "_unused"))
            elif not isinstance(visitor.parents.get(id(node)), ast.Call) or visitor.parents[id(node)].func is not node:
                return None
        if isinstance(node, ast.arg) and node.arg == "_":
            return None
    return edits


def convert_python(path: Path, found: Found, dry: bool) -> bool:
    source = path.read_text(encoding="utf-8")
    if not (THAI.search(source) and (" (" in source or " · " in source)) and "localize(" not in source:
        return False
    tree = ast.parse(source)
    where = str(path.relative_to(ROOT))
    visitor = Visitor(source.encode(), where, found)
    visitor.visit(tree)
    if not visitor.edits:
        return False
    renames = _throwaway_underscores(tree, visitor.source, visitor) if "_" in visitor.uses else []
    if renames is None:
        found.manual.append(f"{where}: reads `_` as a variable: rename it, then rerun")
        return False
    data = visitor.source
    for start, end, text in sorted(visitor.edits + renames, reverse=True):
        data = data[:start] + text.encode() + data[end:]
    new = data.decode()
    new = _add_import(new, visitor.uses, where)
    new = re.sub(r"(from \.+i18n import [^\n]*?), localize\b", r"\1", new)
    new = re.sub(r"(from \.+i18n import )localize, ", r"\1", new)
    ast.parse(new)
    if not dry:
        path.write_text(new, encoding="utf-8")
    return True


# -- templates ------------------------------------------------------------------------------------

TEMPLATE_CALL = re.compile(
    r"""(?<![\w.])(?P<fn>_|bi|gettext)\(\s*(?P<q>["'])(?P<text>(?:(?!(?P=q)).)*)(?P=q)"""
    r"""(?P<rest>(?:\s*,\s*context=(?P<q2>["'])(?P<context>\w+)(?P=q2))?)"""
)


def _matching(text: str, open_at: int) -> int:
    """Index just past the ")" matching the "(" at ``open_at``."""
    depth, quote = 0, None
    for i in range(open_at, len(text)):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError("unbalanced parentheses")


def _unwrap(text: str, name: str, keep: bool) -> str:
    pattern = re.compile(rf"(?<![\w.]){name}\(")
    while m := pattern.search(text):
        end = _matching(text, m.end() - 1)
        inner = text[m.end() : end - 1]
        text = text[: m.start()] + (inner if keep else "") + text[end:]
    return text


def convert_template(path: Path, found: Found, dry: bool) -> bool:
    text = path.read_text(encoding="utf-8")
    where = str(path.relative_to(ROOT))
    new = re.sub(r"\{\{\s*en_hint\((?:[^{}]|\{[^{}]*\})*?\)\s*\}\}", "", text)
    new = re.sub(r"(?<![\w.])localize\(", "_(", new)  # a label or message held in a variable

    def call(m: re.Match) -> str:
        literal = m["text"]
        parts = split(literal)
        if parts is not None:
            thai, english = parts
            if m["context"]:
                found.manual.append(f"{where}: context on a bilingual text: {literal[:60]}")
            else:
                found.add(thai, english, where)
                literal = thai
        q = m["q"]
        if m["context"]:
            return f"pgettext({m['q2']}{m['context']}{m['q2']}, {q}{literal}{q}"
        return f"_({q}{literal}{q}"

    new = TEMPLATE_CALL.sub(call, new)
    for line_no, line in enumerate(new.splitlines(), 1):
        for m in re.finditer(r"[\u0e00-\u0e7f][^<>{}\"']*? \([A-Za-z][^<>{}]*\)", line):
            if split(m[0]) is not None:
                found.manual.append(f"{where}:{line_no}: outside _(): {m[0][:80]}")
    if new == text:
        return False
    if not dry:
        path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files to convert (default: tracker/ and templates/)")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.paths] or [
        *sorted((ROOT / "tracker").rglob("*.py")),
        *sorted((ROOT / "templates").rglob("*.html")),
    ]
    found = Found(load_po())
    changed = []
    for path in paths:
        rel = str(path.relative_to(ROOT))
        if any(rel.startswith(part) for part in SKIP_PARTS):
            continue
        convert = convert_python if path.suffix == ".py" else convert_template
        if convert(path, found, args.dry_run):
            changed.append(rel)
    if not args.dry_run:
        save_po(found.catalog)
    print(f"{len(changed)} files changed, {found.converted} literals converted, {found.added} new msgids")
    for line in found.clashes:
        print("clash:", line)
    for line in found.manual:
        print("manual:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
