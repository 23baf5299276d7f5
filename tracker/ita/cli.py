"""`tracker ita …`: import scores, show an analysis, load a framework.

Each command commits only when it succeeded; problems go to stderr without a
traceback and end with exit code 1 (click uses 2 for usage errors).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..i18n import _, _l, option, pgettext
from ..orgs.models import Organization
from ..plans.cli import YEAR, _fail, _prepare_database
from ..plans.cli import _report_problems as _problems
from .analysis import ItaAnalysis, analyse
from .framework import (
    apply_framework,
    copy_as_draft,
    ensure_framework,
    frameworks_of_year,
    read_framework_file,
    save_framework,
)
from .importer import import_scores
from .models import FrameworkStatus
from .scorefile import ItaImportError, read_score_file
from .scores import format_score
from .spec_files import spec_to_xlsx, spec_to_yaml

ita = AppGroup("ita", help=_l("ผลการประเมิน ITA: นำเข้าคะแนน ดูผลวิเคราะห์"))


@ita.command(
    "import",
    help=_l(
        "นำเข้าคะแนน ITA จากไฟล์ .csv/.xlsx\n\n"
        "คอลัมน์: organization,fiscal_year,indicator,score,label,level โดย indicator คือเลขตัวชี้วัด "
        "หรือ national / province สำหรับแถวเปรียบเทียบ"
    ),
)
@click.argument("file", type=click.Path(path_type=Path))
@option("--dry-run", is_flag=True, help=_l("ตรวจและแสดงสิ่งที่จะเปลี่ยน โดยไม่บันทึก"))
def import_command(file: Path, dry_run: bool) -> None:
    """Import indicator scores and context rows from a .csv/.xlsx file."""
    try:
        score_file = read_score_file(file)
    except ItaImportError as exc:
        _problems(exc, str(file))
    _prepare_database()
    try:
        result = import_scores(score_file, None, utcnow())
        db.session.flush()
    except ItaImportError as exc:
        db.session.rollback()
        _problems(exc, str(file))
    except ServiceError as exc:
        db.session.rollback()
        _fail([_("%(file)s: %(error)s ไม่ได้นำเข้าสิ่งใด", file=file, error=exc)])
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    org = result.organization
    years = ", ".join(map(str, result.years))
    lines = [
        _(
            "%(org)s (%(slug)s) · ปีงบประมาณ %(years)s · คะแนน %(scores)s ตัวชี้วัด · แถวเปรียบเทียบ %(contexts)s",
            org=org.name,
            slug=org.slug,
            years=years,
            scores=result.scores,
            contexts=result.contexts,
        )
    ]
    if dry_run:
        lines.append(_("ทดลองนำเข้าเท่านั้น ไม่ได้บันทึก"))
    if result.changes:
        lines.append(_("เปลี่ยนแปลง %(count)s รายการ:", count=len(result.changes)))
        lines += [f"  - {change}" for change in result.changes]
    else:
        lines.append(_("ไม่มีการเปลี่ยนแปลง"))
    click.echo("\n".join(lines))


@ita.command("show", help=_l("แสดงผล ITA ของปีหนึ่งเทียบกับปีก่อน"))
@option("--org", "slug", required=True, help=_l("รหัสองค์กร เช่น banpet"))
@option("--year", required=True, type=YEAR, help=_l("ปีงบประมาณที่ประเมิน เช่น 2565"))
@option("--json", "as_json", is_flag=True, help=_l("พิมพ์เป็น JSON"))
def show_command(slug: str, year: int, as_json: bool) -> None:
    """A year's ITA result against the year before."""
    _prepare_database()
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        _fail([_("ไม่พบองค์กรรหัส “%(slug)s”", slug=slug)])
    try:
        analysis = analyse(org, year)
    except ServiceError as exc:
        db.session.rollback()
        _fail([str(exc)])
    db.session.commit()  # a shipped framework loaded on first use is kept
    if as_json:
        click.echo(json.dumps(analysis.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(analysis))


def _width(text: str) -> int:
    """Columns a Thai string takes on a terminal: combining vowels and tone marks take none."""
    return sum(0 if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn" else 1 for ch in text)


def _fit(text: str, width: int, right: bool = False) -> str:
    pad = " " * max(0, width - _width(text))
    return pad + text if right else text + pad


def render_text(a: ItaAnalysis) -> str:
    prev, cur = str(a.previous_year), str(a.fiscal_year)
    out = [_("%(org)s · ITA ปีงบประมาณ %(cur)s เทียบกับ %(prev)s", org=a.organization_name, cur=cur, prev=prev)]
    if not a.current.has_data:
        out.append(_("ยังไม่มีคะแนนของปี %(cur)s", cur=cur))
        return "\n".join(out)
    out += [
        "",
        pgettext("ITA analysis", "ภาพรวม"),
        _fit("", 28) + _fit(prev, 14, True) + _fit(cur, 14, True) + "  " + _("ผลต่าง"),
    ]
    for r in a.summary:
        out.append(
            _fit(r.label, 28)
            + _fit(f"{format_score(r.previous)} {r.previous_level or ''}", 14, True)
            + _fit(f"{format_score(r.current)} {r.current_level or ''}", 14, True)
            + "  "
            + r.difference.text()
        )
    if a.current.rating:
        line = _("ผลตามเกณฑ์: %(rating)s", rating=a.current.rating)
        if a.current.rating_lowered_from:
            failed = ", ".join(c.text() for c in a.current.rating_failed)
            line += _(
                " — ถึงเกณฑ์ %(rating)s แต่ไม่เป็นไปตามเงื่อนไข %(failed)s",
                rating=a.current.rating_lowered_from,
                failed=failed,
            )
        out.append(line)
    if a.first_year:
        out.append(_("ไม่มีผลของปี %(prev)s ให้เปรียบเทียบ", prev=prev))
    elif a.frameworks_differ:
        out.append(_("กรอบการประเมินของสองปีต่างกัน: เปรียบเทียบเฉพาะตัวชี้วัดที่มีในทั้งสองปี"))
    out += ["", pgettext("ITA analysis", "เครื่องมือ")]
    for t in a.tools:
        out.append(
            _fit(f"{t.code} {t.name}", 52)
            + _fit(format_score(t.previous), 9, True)
            + _fit(format_score(t.current), 9, True)
            + "  "
            + t.difference.text()
        )
    out += ["", _("ตัวชี้วัด เรียงตามคะแนน (* = ต่ำสุดของเครื่องมือนั้น)")]
    for i in a.ranking:
        mark = "*" if i.lowest_in_tool and not i.tool_all_equal else " "
        out.append(
            _fit(str(i.rank or "-"), 4, True)
            + f" {mark} "
            + _fit(f"{i.number}. {i.name}", 34)
            + _fit(i.tool_code, 5)
            + _fit(format_score(i.previous), 9, True)
            + _fit(format_score(i.current), 9, True)
            + "  "
            + i.difference.text()
        )
    c = a.counts
    out += ["", _("เพิ่มขึ้น %(up)s · เท่าเดิม %(equal)s · ลดลง %(down)s ตัวชี้วัด", up=c.up, equal=c.equal, down=c.down)]
    if c.unknown:
        out.append(_("เทียบไม่ได้ %(count)s ตัวชี้วัด (ไม่มีคะแนนในปีใดปีหนึ่ง)", count=c.unknown))
    return "\n".join(out)


@ita.command(
    "framework",
    help=_l(
        "โหลดกรอบการประเมินจากไฟล์ YAML/XLSX ให้ทุกหน่วยงานใช้\n\nกรอบที่เผยแพร่แล้วและมีคะแนนแล้วจะได้ฉบับใหม่ คะแนนเดิมอยู่กับฉบับที่กรอกไว้"
    ),
)
@click.argument("file", type=click.Path(path_type=Path))
@option("--draft", is_flag=True, help=_l("เก็บเป็นฉบับร่าง ยังไม่เผยแพร่"))
def framework_command(file: Path, draft: bool) -> None:
    """Load or update a national framework (a published one with scores gets a new version)."""
    _prepare_database()
    try:
        spec = read_framework_file(file)
        if draft:
            framework = save_framework(spec, now=utcnow())[0]
        else:
            framework = apply_framework(spec)
    except ServiceError as exc:
        db.session.rollback()
        _fail([str(exc)])
    db.session.commit()
    count = len(framework.indicators)
    tools = ", ".join(f"{t.code} {(t.weight * 100).normalize():f}%" for t in framework.tools)
    state = _("ฉบับร่าง") if framework.status is FrameworkStatus.draft else _("เผยแพร่แล้ว")
    click.echo(
        _(
            "กรอบปีงบประมาณ %(year)s ฉบับที่ %(version)s %(state)s: %(count)s ตัวชี้วัด · %(tools)s",
            year=framework.fiscal_year,
            version=framework.version,
            state=state,
            count=count,
            tools=tools,
        )
    )


@ita.command("copy-framework", help=_l("คัดลอกกรอบของปีหนึ่งเป็นฉบับร่างของอีกปี เพื่อแก้ไขแล้วเผยแพร่"))
@option("--from", "source_year", required=True, type=YEAR, help=_l("ปีที่คัดลอกจาก เช่น 2565"))
@option("--to", "target_year", required=True, type=YEAR, help=_l("ปีของฉบับร่างใหม่"))
def copy_framework_command(source_year: int, target_year: int) -> None:
    """Copy a year's framework as another year's draft."""
    _prepare_database()
    try:
        source = ensure_framework(source_year)
        framework = copy_as_draft(source, target_year, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        _fail([str(exc)])
    db.session.commit()
    click.echo(
        _(
            "คัดลอกกรอบปี %(source)s เป็นฉบับร่างของปี %(target)s แล้ว (ฉบับที่ %(version)s) "
            "แก้ไขด้วย `tracker ita export-framework %(target)s --draft -o FILE` แล้วโหลดกลับ "
            "หรือที่หน้า “กรอบ ITA”",
            source=source_year,
            target=target_year,
            version=framework.version,
        )
    )


@ita.command("export-framework", help=_l("เขียนกรอบการประเมินของปีหนึ่งออกเป็นไฟล์ YAML หรือ XLSX"))
@click.argument("year", type=YEAR)
@option("--draft", is_flag=True, help=_l("ฉบับร่างล่าสุดแทนฉบับที่เผยแพร่"))
@option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help=_l("ไฟล์ .yaml หรือ .xlsx ถ้าไม่ระบุพิมพ์ YAML ออกทางหน้าจอ"),
)
def export_framework_command(year: int, draft: bool, output: Path | None) -> None:
    """Write a year's national framework as YAML or XLSX."""
    _prepare_database()
    frameworks = [f for f in frameworks_of_year(year) if (f.status is FrameworkStatus.draft) == draft]
    if not frameworks:
        try:
            frameworks = [] if draft else [ensure_framework(year)]
        except ServiceError as exc:
            _fail([str(exc)])
        if not frameworks:
            _fail([_("ไม่มีฉบับร่างของปี %(year)s", year=year)])
    db.session.commit()
    spec = frameworks[0].spec
    if output is None:
        click.echo(spec_to_yaml(spec), nl=False)
        return
    body = spec_to_xlsx(spec) if output.suffix.lower() == ".xlsx" else spec_to_yaml(spec).encode("utf-8")
    output.write_bytes(body)
    click.echo(_("เขียนกรอบปี %(year)s ลงไฟล์ %(output)s แล้ว", year=year, output=output))


ita_commands: list[click.Command] = [ita]
