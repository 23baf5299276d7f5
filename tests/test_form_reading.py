"""What a person sends is read by a form (WTForms, tracker/forms/), never by hand.

The source is read with `ast` (nothing is imported): any use of
``request.form``, ``request.args`` or ``request.values`` outside tracker/forms/
must be in ALLOWED below, with the reason it is not a person's input read by
hand. A new hand-read fails this test; turn it into a form instead (a GET
filter: a `forms.query.QueryForm`; a POST: a `forms.Form`, which checks CSRF).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"
READS = {"form", "args", "values"}

#: (module path under tracker/, function) → why it may read the request itself.
ALLOWED: dict[tuple[str, str], str] = {
    # Framework level: not a value a person types into a page.
    ("auth/views.py", "login"): "the `next` address after login, checked by _safe_next",
    ("plans/trash_views.py", "trash_restore"): "the `next` address back, checked by _safe_next",
    ("security.py", "_login_email"): "the login rate limiter's key (before any view runs)",
    ("i18n/__init__.py", "select_language"): "the language selector (?lang=)",
    ("i18n/__init__.py", "switch_url"): "links to the same page in the other language",
    ("i18n/__init__.py", "remember_language"): "the language selector (?lang=)",
    ("web.py", "unauthorized"): "a form sent after the session ended is kept whole (drafts)",
    ("web.py", "csrf_error"): "a form sent with an expired token is kept whole (drafts)",
    ("web.py", "refuse_nul_characters"): "every sent value checked for NUL before any view",
    ("api/views.py", "_query"): "the API's query string, validated by its pydantic model",
    ("plans/my_steps_views.py", "bulk_status"): "the list's query string passed back unread in the redirect",
}
#: Hand-reads that other helpers of the same issue convert on their branches: delete
#: each line once its branch is merged (the test below says when).
PENDING: dict[tuple[str, str], str] = {}


def _hand_reads() -> list[tuple[str, str, int, str]]:
    """(module, function, line, what) of every request.form/args/values outside tracker/forms/."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("forms/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _request_names(tree)
        for function, node in _walk(tree, "<module>"):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in READS
                and (
                    (isinstance(node.value, ast.Name) and node.value.id in names)
                    or (isinstance(node.value, ast.Attribute) and node.value.attr == "request")
                )
            ):
                found.append((relative, function, node.lineno, f"request.{node.attr}"))
    return found


def _request_names(tree: ast.Module) -> set[str]:
    """The names Flask's `request` goes by in a module (``from flask import request as r``)."""
    names = {"request"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            names |= {a.asname or a.name for a in node.names if a.name == "request"}
    return names


def _walk(node: ast.AST, function: str):
    """Every node, with the name of the function (or method) it is written in."""
    for child in ast.iter_child_nodes(node):
        inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
        yield inner, child
        yield from _walk(child, inner)


def test_views_and_services_never_read_the_request_by_hand():
    offenders = [
        f"tracker/{module}:{line} in {function}(): {what}"
        for module, function, line, what in _hand_reads()
        if (module, function) not in ALLOWED and (module, function) not in PENDING
    ]
    assert not offenders, "read these with a form (tracker/forms/):\n" + "\n".join(offenders)


def test_every_allowed_read_is_still_there():
    """The lists name only reads that exist, so they never grow stale."""
    present = {(module, function) for module, function, _line, _what in _hand_reads()}
    stale = sorted((set(ALLOWED) | set(PENDING)) - present)
    assert not stale, f"no longer read by hand, delete from ALLOWED/PENDING: {stale}"


def test_the_check_finds_a_hand_read(tmp_path):
    source = (
        "from flask import request as rq\n"
        "def view():\n"
        "    return rq.form.get('x')\n"
        "def other():\n"
        "    import flask\n"
        "    return flask.request.args['y']\n"
    )
    tree = ast.parse(source)
    names = _request_names(tree)
    hits = [
        (function, node.attr)
        for function, node in _walk(tree, "<module>")
        if isinstance(node, ast.Attribute)
        and node.attr in READS
        and (
            (isinstance(node.value, ast.Name) and node.value.id in names)
            or (isinstance(node.value, ast.Attribute) and node.value.attr == "request")
        )
    ]
    assert hits == [("view", "form"), ("other", "args")]
