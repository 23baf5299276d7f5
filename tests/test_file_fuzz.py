"""Every file kind the product reads, mutated: never a traceback, never a 500,
and a refused file writes nothing.

This is the place where file kinds join: add a `FileKind` to FILE_KINDS (its
good seed files, its command, its upload route) and every mutation below runs
against it, on SQLite and on PostgreSQL (TRACKER_TEST_DATABASE_URL).

The corpus is deterministic (a seeded random generator plus the inputs an
outside harness found, issue 9), so a failure names a mutant that reproduces:
bytes flipped, cut, repeated or removed; NUL and other control characters, raw
and escaped; UTF-16 with and without its byte-order mark, and Thai legacy
encodings; for XLSX the sheet XML damaged inside an intact ZIP, parts
missing, and an archive bomb.

For each mutant:
- `tracker <command> FILE` exits 0 (imported) or 1 (refused, with a message):
  never 70 (internal error) and never a traceback;
- the web upload answers < 500;
- when refused (exit 1, or HTTP 4xx), a hash of every table is unchanged.
"""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask.cli import ScriptInfo
from memo_factory import memo_docx, memo_text
from openpyxl import Workbook

from tracker.cli import EXIT_INTERNAL, EXIT_REFUSED, cli
from tracker.db import db
from tracker.plans.exporter import export_plan_xlsx

PLAN_YAML = """\
organization: {name: เทศบาลตำบลทดสอบ, slug: testorg, province: ขอนแก่น}
fiscal_year: 2567
title: "มาตรการส่งเสริมคุณธรรมและความโปร่งใส ประจำปีงบประมาณ พ.ศ. ๒๕๖๗"
departments:
  - {name: กองคลัง, email: finance@test.go.th}
weaknesses:
  - title: การเปิดเผยข้อมูล
    detail: 'คะแนน O 1 ต่ำ'
    measures:
      - title: โครงการเผยแพร่ข้อมูลการจัดซื้อจัดจ้าง
        owner: กองคลัง
        period: ต.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗
        follow_up: รายงานการเผยแพร่ข้อมูลรายเดือน
        steps:
          - รวบรวมข้อมูลการจัดซื้อจัดจ้าง
          - {title: เผยแพร่บนเว็บไซต์, due: 15/01/2567}
          - {title: "รายงานผลการดำเนินงาน", owner: สำนักปลัดเทศบาล}
"""

ITA_CSV = (
    "organization,fiscal_year,indicator,score,label,level\n"
    + "".join(
        f"testorg,2565,{n},{s}\n"
        for n, s in [
            (1, "98.63"),
            (2, "98.23"),
            (3, "98.31"),
            (4, "97.32"),
            (5, "97.88"),
            (6, "97.08"),
            (7, "94.59"),
            (8, "92.89"),
            (9, "100"),
            (10, "100"),
        ]
    )
    + "testorg,2565,national,85.1,ค่าเฉลี่ยประเทศ,\n"
)

MUTANTS_PER_KIND = 15
MEMO_COMMAND = ("import-plan", "--org", "testorg", "--year", "2566")


def ita_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    for line in ITA_CSV.splitlines():
        ws.append([float(c) if c.replace(".", "").isdigit() and "." in c else c for c in line.split(",")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plan_xlsx() -> bytes:
    """The plan above as the product exports it (a workbook officers fill in)."""
    from tracker.clock import utcnow
    from tracker.plans.importer import import_plan
    from tracker.plans.planfile import parse_plan_yaml

    result = import_plan(parse_plan_yaml(PLAN_YAML.encode()), None, utcnow())
    data = export_plan_xlsx(result.plan)
    db.session.rollback()
    return data


FRAMEWORK_YAML = Path(__file__).resolve().parents[1] / "tracker" / "ita" / "frameworks" / "2565.yaml"


def framework_xlsx() -> bytes:
    from tracker.ita.spec_files import parse_yaml, spec_to_xlsx

    return spec_to_xlsx(parse_yaml(FRAMEWORK_YAML.read_bytes()))


@dataclass(frozen=True)
class FileKind:
    """A kind of file the product reads from people."""

    name: str
    suffix: str
    #: The good file(s) mutants are made from (called inside the test's app context)
    seed: Callable[[], bytes]
    #: `tracker …` arguments before the file's path
    command: tuple[str, ...]
    #: The upload: (url, extra form fields); the file goes in the field "file"
    upload: tuple[str, dict]
    #: The page the upload form is on: opened once first (it may load reference data of its own)
    page: str
    zipped: bool = False


FILE_KINDS = [
    FileKind(
        "plan-yaml",
        ".yaml",
        lambda: PLAN_YAML.encode(),
        ("import-plan",),
        ("/admin/plans/import", {"mode": "import"}),
        "/admin/plans/import",
    ),
    FileKind(
        "plan-xlsx",
        ".xlsx",
        plan_xlsx,
        ("import-plan",),
        ("/admin/plans/import", {"mode": "import"}),
        "/admin/plans/import",
        zipped=True,
    ),
    FileKind(
        "ita-csv", ".csv", lambda: ITA_CSV.encode(), ("ita", "import"), ("/ita/import", {"year": "2565"}), "/ita/2565"
    ),
    FileKind(
        "ita-xlsx", ".xlsx", ita_xlsx, ("ita", "import"), ("/ita/import", {"year": "2565"}), "/ita/2565", zipped=True
    ),
    # ITA assessment frameworks (issue 12), uploaded by their managers.
    FileKind(
        "ita-framework-yaml",
        ".yaml",
        lambda: FRAMEWORK_YAML.read_bytes(),
        ("ita", "framework"),
        ("/ita/frameworks/upload", {}),
        "/ita/frameworks/",
    ),
    FileKind(
        "ita-framework-xlsx",
        ".xlsx",
        framework_xlsx,
        ("ita", "framework"),
        ("/ita/frameworks/upload", {}),
        "/ita/frameworks/",
        zipped=True,
    ),
    # The agency's O42 memo (issue 16): the web reads it into a preview only; the command imports it.
    FileKind(
        "memo-docx",
        ".docx",
        lambda: memo_docx(),
        MEMO_COMMAND,
        ("/admin/plans/import-memo/", {}),
        "/admin/plans/import-memo/",
        zipped=True,
    ),
    FileKind(
        "memo-text",
        ".txt",
        lambda: memo_text().encode(),
        MEMO_COMMAND,
        ("/admin/plans/import-memo/", {}),
        "/admin/plans/import-memo/",
    ),
]


# -- mutations --------------------------------------------------------------------

CONTROL = [b"\x00", b"\x01", b"\x07", b"\x08", b"\x0b", b"\x0c", b"\x1b", b"\x7f", "\ufffe".encode()]


def text_mutants(seed: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    text = seed.decode()
    out = [
        ("utf16-le-no-bom", text.encode("utf-16-le")),
        ("utf16-be-no-bom", text.encode("utf-16-be")),
        ("utf16-with-bom", text.encode("utf-16")),
        ("utf8-bom", b"\xef\xbb\xbf" + seed),
        ("thai-cp874", text.encode("cp874", "replace")),
        ("nul-in-quoted-string", text.replace('"รายงานผลการดำเนินงาน"', '"รายงาน\\0ผล"').encode()),
        ("nul-escape-x00", text.replace('"รายงานผลการดำเนินงาน"', '"รายงาน\\x00ผล"').encode()),
        ("raw-nul-in-quoted-string", text.replace('"รายงานผลการดำเนินงาน"', '"รายงาน\x00ผล"').encode()),
        ("raw-nul-in-csv-cell", text.replace("ค่าเฉลี่ยประเทศ", "ค่าเฉลี่ย\x00ประเทศ").encode()),
        ("empty", b""),
        ("only-bom", b"\xef\xbb\xbf"),
        ("deep-nesting", b"[" * 5000 + b"]" * 5000),
        (
            "anchors-bomb",
            b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
            b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n",
        ),
        ("python-tag", b"!!python/object/apply:os.system ['true']\n"),
        ("long-line", seed.replace(b"\n", b" " * 20000 + b"\n", 1)),
        ("crlf", seed.replace(b"\n", b"\r\n")),
        ("cr-only", seed.replace(b"\n", b"\r")),
    ]
    for n in range(MUTANTS_PER_KIND):
        data = bytearray(seed)
        kind = rng.choice(["control", "flip", "cut", "delete", "repeat", "special", "swap-lines", "indent"])
        at = rng.randrange(len(data) + 1)
        if kind == "control":
            data[at:at] = rng.choice(CONTROL)
        elif kind == "flip":
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(data))
                data[i] = rng.randrange(256)
        elif kind == "cut":
            del data[at:]
        elif kind == "delete":
            del data[at : at + rng.randint(1, 40)]
        elif kind == "repeat":
            data[at:at] = data[at : at + rng.randint(1, 200)]
        elif kind == "special":
            data[at:at] = rng.choice(
                [
                    b":",
                    b"- ",
                    b"[",
                    b"]",
                    b"{",
                    b"}",
                    b"&",
                    b"*",
                    b"!",
                    b"|",
                    b">",
                    b"'",
                    b'"',
                    b"%",
                    b"@",
                    b"`",
                    b"\t",
                    b",",
                    b";",
                    b"\\",
                    b"#",
                ]
            )
        elif kind == "swap-lines":
            lines = bytes(data).split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
        elif kind == "indent":
            lines = bytes(data).split(b"\n")
            i = rng.randrange(len(lines))
            lines[i] = rng.choice([b" ", b"   ", b"\t", b""]) + lines[i].lstrip()
            data = bytearray(b"\n".join(lines))
        out.append((f"{kind}-{n}", bytes(data)))
    return out


def rezip(seed: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The same workbook with some parts changed (None: left out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(seed)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)
    return out.getvalue()


def archive_bomb(seed: bytes) -> bytes:
    """The workbook with a sheet of 300 MB of spaces: a few hundred kilobytes on disk."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(seed)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        with dst.open("xl/worksheets/sheet99.xml", "w") as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    return out.getvalue()


def zip_mutants(seed: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(seed)) as z:
        names = z.namelist()
    # The parts holding the content: a workbook's sheets, a document's body.
    sheets = [n for n in names if n.startswith("xl/worksheets/") or n == "word/document.xml"]
    main_part = "word/document.xml" if "word/document.xml" in names else "xl/workbook.xml"
    xml_parts = [n for n in names if n.endswith(".xml") or n.endswith(".rels")]

    def damage(part: str, how: Callable[[bytes], bytes]) -> bytes:
        return rezip(seed, lambda name, data: how(data) if name == part else data)

    out = [
        ("sheet-xml-truncated", damage(sheets[0], lambda d: d[: len(d) // 2])),
        ("sheet-xml-garbage", damage(sheets[0], lambda d: d.replace(b"<row", b"<<row", 1))),
        ("sheet-xml-unclosed", damage(sheets[-1], lambda d: d.replace(b"</sheetData>", b""))),
        ("sheet-xml-nul-escape", damage(sheets[0], lambda d: d.replace(b"<v>", b"<v>_x0000_", 1))),
        (
            "shared-strings-nul-escape",
            rezip(seed, lambda n, d: d.replace(b"<t>", b"<t>_x0000_", 2) if n == "xl/sharedStrings.xml" else d),
        ),
        (
            "inline-string-nul-escape",
            rezip(seed, lambda n, d: d.replace(b"<t>", b"<t>_x0001_", 3) if n in sheets else d),
        ),
        (
            "raw-nul-in-document-text",
            rezip(seed, lambda n, d: d.replace(b"<w:t>", b"<w:t>\x00", 3) if n in sheets else d),
        ),
        (
            "escaped-control-in-document-text",
            rezip(seed, lambda n, d: d.replace(b"<w:t>", b"<w:t>&#x1;", 3) if n in sheets else d),
        ),
        ("no-main-part", rezip(seed, lambda n, d: None if n == main_part else d)),
        ("no-sheets", rezip(seed, lambda n, d: None if n in sheets else d)),
        ("no-content-types", rezip(seed, lambda n, d: None if n == "[Content_Types].xml" else d)),
        ("truncated-zip", seed[: len(seed) // 2]),
        ("not-a-zip", b"PK\x03\x04" + b"\x00" * 200),
        ("archive-bomb", archive_bomb(seed)),
    ]
    for n in range(MUTANTS_PER_KIND):
        part = rng.choice(xml_parts)
        kind = rng.choice(["flip", "cut", "delete", "repeat", "raw-flip"])

        def how(data: bytes, kind=kind) -> bytes:
            data = bytearray(data)
            at = rng.randrange(len(data) + 1)
            if kind == "flip":
                for _ in range(rng.randint(1, 4)):
                    i = rng.randrange(len(data))
                    data[i] = rng.randrange(256)
            elif kind == "cut":
                del data[at:]
            elif kind == "delete":
                del data[at : at + rng.randint(1, 40)]
            elif kind == "repeat":
                data[at:at] = data[at : at + rng.randint(1, 200)]
            return bytes(data)

        if kind == "raw-flip":
            data = bytearray(seed)
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(data))
                data[i] = rng.randrange(256)
            out.append((f"raw-flip-{n}", bytes(data)))
        else:
            out.append((f"{kind}-{part}-{n}", damage(part, how)))
    return out


# -- the checks --------------------------------------------------------------------


def database_hash() -> dict[str, str]:
    """A hash of every row of every table, in key order, per table: equal, nothing changed."""
    db.session.expire_all()
    hashes = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            digest = hashlib.sha256()
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(sa.select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
            hashes[table.name] = digest.hexdigest()
    return hashes


def changed(before: dict[str, str]) -> list[str]:
    after = database_hash()
    return [name for name in after if after[name] != before.get(name)]


def run_command(app, args: list[str]):
    """`tracker …` as the console script runs it (its exit codes included), in this process."""
    return CliRunner().invoke(cli, args, obj=ScriptInfo(create_app=lambda: app), catch_exceptions=True)


@pytest.mark.parametrize("kind", FILE_KINDS, ids=lambda k: k.name)
def test_no_mutant_of_a_file_is_a_traceback_and_a_refused_one_writes_nothing(app, world, login, tmp_path, kind):
    seed = kind.seed()
    rng = random.Random(f"issue9-{kind.name}")
    mutants = (zip_mutants if kind.zipped else text_mutants)(seed, rng)
    client = login(world.admin)
    url, fields = kind.upload
    assert client.get(kind.page).status_code == 200
    refused = {"cli": 0, "web": 0}
    for name, data in mutants:
        path = tmp_path / f"{name.replace('/', '_')}{kind.suffix}"
        path.write_bytes(data)

        before = database_hash()
        result = run_command(app, [*kind.command, str(path)])
        output = result.output + (result.stderr if result.stderr_bytes is not None else "")
        assert result.exit_code != EXIT_INTERNAL and "Traceback" not in output, f"{kind.name}/{name}: {output}"
        assert result.exit_code in (0, EXIT_REFUSED), f"{kind.name}/{name}: exit {result.exit_code} {output}"
        if result.exit_code == EXIT_REFUSED:
            refused["cli"] += 1
            assert output.strip(), f"{kind.name}/{name}: refused without a message"
            assert changed(before) == [], f"{kind.name}/{name}: a refused file changed the database"

        before = database_hash()
        try:
            response = client.post(
                url, data={**fields, "file": (io.BytesIO(data), path.name)}, content_type="multipart/form-data"
            )
        except Exception as exc:  # TESTING propagates what would have been a 500
            raise AssertionError(f"{kind.name}/{name}: the upload raised {exc!r}") from exc
        assert response.status_code < 500, f"{kind.name}/{name}: HTTP {response.status_code}"
        if 400 <= response.status_code < 500:
            refused["web"] += 1
            assert changed(before) == [], f"{kind.name}/{name}: a refused upload changed the database"
    # The corpus did reach the refusals (not only harmless changes).
    assert refused["cli"] >= len(mutants) // 3 and refused["web"] >= len(mutants) // 3, refused
