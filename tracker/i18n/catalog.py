"""`tracker translate extract|update|compile|check`: the English catalogue's upkeep.

Thai is the source language, so the msgids are the Thai text in the code and
the templates; ``tracker/translations/en/LC_MESSAGES/messages.po`` gives each
its English, and ``messages.mo`` (committed, so an installed copy shows English
with no build step) is compiled from it. The sources are scanned with Babel as
``babel.cfg`` says: Python with the keywords below, Jinja templates with ``_()``
and ``pgettext()``.

``check`` is what CI runs (tests/test_i18n.py): it fails, listing them, when a
msgid in the sources has no English, an entry is fuzzy, the .po has entries
the sources no longer use, or the .mo is not the .po compiled. This command
speaks English whatever TRACKER_LANGUAGE says: it is the English catalogue's
keeper's tool.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent.parent
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGE = "en"
PO = TRANSLATIONS / LANGUAGE / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
MAPPING = ROOT / "babel.cfg"
#: gettext names the sources use; ``1c,2`` = context first, then the message.
KEYWORDS = {
    "_": None,
    "_l": None,
    "N_": None,
    "NP_": ((1, "c"), 2),
    "gettext": None,
    "gettext_anywhere": None,
    "lazy_gettext": None,
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
}


def extract(root: Path = ROOT) -> Catalog:
    """Every msgid the sources under ``root`` use (Thai)."""
    with MAPPING.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    catalog = Catalog(project="ita-tracker", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        if not message or not (message if isinstance(message, str) else message[0]).strip():
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read(path: Path = PO) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=LANGUAGE)


def write(catalog: Catalog, path: Path = PO) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False, include_previous=True)
    path.write_bytes(buffer.getvalue())


def update(template: Catalog, path: Path = PO) -> Catalog:
    """The .po brought in step with the sources: new msgids added (empty or a fuzzy guess),
    msgids the sources dropped removed, source references refreshed."""
    catalog = read(path)
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
    catalog.obsolete.clear()
    catalog.revision_date = datetime.now().astimezone()
    write(catalog, path)
    return catalog


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_po(po: Path = PO, mo: Path = MO) -> int:
    catalog = read(po)
    mo.write_bytes(compiled(catalog))
    return sum(1 for m in catalog if m.id and m.string)


def _key(message) -> tuple[str | None, str]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


@dataclass
class Problems:
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    stale_mo: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.untranslated or self.fuzzy or self.unused or self.stale_mo)

    def lines(self) -> list[str]:
        out = []
        for title, items in (
            ("no English", self.untranslated),
            ("fuzzy (to review)", self.fuzzy),
            ("no longer in the sources (run `tracker translate update`)", self.unused),
            (".mo differs from the .po (run `tracker translate compile`)", self.stale_mo),
        ):
            if items:
                out.append(f"{title}: {len(items)}")
                out += [f"  {item}" for item in items]
        return out


def _show(key: tuple[str | None, str]) -> str:
    context, msgid = key
    return f"[{context}] {msgid!r}" if context else repr(msgid)


def check(template: Catalog | None = None, po: Path = PO, mo: Path = MO) -> Problems:
    template = template if template is not None else extract()
    catalog = read(po)
    problems = Problems()
    used = {_key(m): m for m in template if m.id}
    have = {_key(m): m for m in catalog if m.id}
    for key, message in used.items():
        entry = have.get(key)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        if entry is None or not entry.string or (not isinstance(entry.string, str) and not all(entry.string)):
            problems.untranslated.append(f"{_show(key)} ({where})")
        elif entry.fuzzy:
            problems.fuzzy.append(f"{_show(key)} ({where})")
    problems.unused = [_show(key) for key in have if key not in used]
    if not mo.exists():
        problems.stale_mo.append(f"{mo} is missing")
    else:
        with mo.open("rb") as f:
            shipped = {_key(m): m.string for m in read_mo(f) if m.id}
        wanted = {key: m.string for key, m in have.items() if m.string and not m.fuzzy}
        diff = sorted({*shipped.items()} ^ {*wanted.items()}, key=str)
        problems.stale_mo = [_show(key) for key, _value in diff[:20]]
    return problems


@click.group("translate")
def translate_command() -> None:
    """Keep the English catalogue in step with the Thai sources (see README "Translations")."""


@translate_command.command("extract")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="write a .pot here")
def extract_command(output: Path | None) -> None:
    """List the msgids the sources use (or write them as a .pot)."""
    template = extract()
    if output is not None:
        with output.open("wb") as f:
            write_po(f, template, width=0)
    click.echo(f"{len(template)} msgids in the sources")


@translate_command.command("update")
def update_command() -> None:
    """Add new msgids to the .po and drop those the sources no longer use."""
    catalog = update(extract())
    missing = sum(1 for m in catalog if m.id and (not m.string or m.fuzzy))
    click.echo(f"{PO.relative_to(ROOT)}: {len(catalog)} msgids, {missing} need English (empty or fuzzy)")


@translate_command.command("compile")
def compile_command() -> None:
    """Compile the .po to the .mo the application reads."""
    count = compile_po()
    click.echo(f"{MO.relative_to(ROOT)}: {count} translations")


@translate_command.command("check")
def check_command() -> None:
    """Fail (exit 1) when a msgid has no English, is fuzzy, is unused, or the .mo is stale."""
    problems = check()
    if problems:
        for line in problems.lines():
            click.echo(line, err=True)
        raise click.exceptions.Exit(1)
    click.echo("The English catalogue is complete and compiled.")
