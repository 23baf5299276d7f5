"""The package's layering, read from the source with `ast` (nothing is imported).

`plans` is the domain core: the features around it (reports, notify, …) read
it and call it, never the other way round, and no two modules import each
other, not even from inside a function. Imports under `if TYPE_CHECKING:`
are annotations only and may name models anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"

#: The domain core and the shared plumbing below every feature.
CORE = {
    "plans",
    "orgs",
    "auth",
    "journal",
    "access",
    "thaidate",
    "db",
    "bulk",
    "database",
    "clock",
    "config",
    "extensions",
    "errors",
    "i18n",
    "security",
    "links",
    "extras",
    "uploads",
    "ratelimit",
    "forms",
    "versions",
    "drafts",
    "shapes",
    "memory",
}
#: Features built on the core: they may import it, it never imports them.
CONSUMERS = {
    "reports",
    "notify",
    "province",
    "public",
    "api",
    "admin",
    "ita",
    "demo",
    "ops",
    "memoimport",
    "line",
    "follow",
    "homes",
    "search",
}
#: Where the application is put together: they import everything and nothing imports them back.
COMPOSITION = {"", "cli", "commands", "models", "web", "scheduler"}


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


MODULES = _modules()


def _known(name: str) -> str | None:
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in MODULES else None


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".")
            if not is_package:
                base.pop()
            base = base[: len(base) - node.level + 1]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        # `from .x import y` imports the module x.y when there is one, else x.
        names = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in MODULES else origin for alias in node.names]
    return [known for name in names if name.split(".")[0] == "tracker" and (known := _known(name))]


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """Imports between tracker modules (at any depth), and those under TYPE_CHECKING apart."""
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    typing_only = []
    for module, (path, is_package) in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(module, is_package, node):
                    if target == module:
                        continue
                    if id(node) in guarded:
                        typing_only.append((module, target))
                    else:
                        edges[module].add(target)
    return edges, typing_only


EDGES, TYPING_ONLY = _graph()


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def import_circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return circles


def test_every_package_and_top_level_module_has_a_declared_layer():
    layers = {_layer(m) for m in MODULES}
    assert layers <= CORE | CONSUMERS | COMPOSITION, sorted(layers - CORE - CONSUMERS - COMPOSITION)
    assert not CORE & CONSUMERS and not CORE & COMPOSITION and not CONSUMERS & COMPOSITION


def test_no_two_modules_import_each_other_even_inside_functions():
    assert import_circles(EDGES) == []


def test_the_circle_check_does_find_a_circle():
    assert import_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_never_imports_a_feature_built_on_it():
    upward = sorted(
        (module, target)
        for module, targets in EDGES.items()
        for target in targets
        if _layer(module) in CORE and _layer(target) in CONSUMERS
    )
    assert upward == []


def test_nothing_imports_the_composition_modules_back():
    back = sorted(
        (module, target)
        for module, targets in EDGES.items()
        for target in targets
        if _layer(target) in COMPOSITION - {""} and _layer(module) not in COMPOSITION
    )
    assert back == []


@pytest.mark.parametrize("module, target", TYPING_ONLY)
def test_imports_for_annotations_only_name_models(module, target):
    assert target.endswith(".models"), f"{module} imports {target} under TYPE_CHECKING"
