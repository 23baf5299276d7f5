"""`tracker ita …`: import scores, show an analysis, load a framework.

Each command commits only when it succeeded; problems go to stderr without a
traceback and end with exit code 1 (click uses 2 for usage errors).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import NoReturn

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..clock import utcnow
from ..db import SchemaOutdated, db, prepare_database
from ..errors import ServiceError
from ..orgs.models import Organization
from ..plans.cli import YEAR
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

ita = AppGroup("ita", help="ผลการประเมิน ITA: นำเข้าคะแนน ดูผลวิเคราะห์ (ITA scores: import, show, frameworks).")


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(1)


def _prepare_database() -> None:
    from flask import current_app

    try:
        # _get_current_object is LocalProxy's; the stubs type current_app as Flask itself.
        prepare_database(current_app._get_current_object())  # type: ignore[attr-defined]
    except SchemaOutdated as exc:
        raise click.ClickException(str(exc)) from None


@ita.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="ตรวจและแสดงสิ่งที่จะเปลี่ยน โดยไม่บันทึก (check and show the changes only).")
def import_command(file: Path, dry_run: bool) -> None:
    """นำเข้าคะแนน ITA จากไฟล์ .csv/.xlsx (import indicator scores and context rows).

    Columns: organization,fiscal_year,indicator,score,label,level — indicator is
    the indicator's number, or national / province for the context rows.
    """
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
        _fail([f"{file}: {exc} (nothing was imported)"])
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    org = result.organization
    years = ", ".join(map(str, result.years))
    lines = [
        f"{org.name} ({org.slug}) · ปีงบประมาณ {years} · คะแนน {result.scores} ตัวชี้วัด · "
        f"แถวเปรียบเทียบ {result.contexts} ({result.scores} scores, {result.contexts} context rows)"
    ]
    if dry_run:
        lines.append("ทดลองนำเข้าเท่านั้น ไม่ได้บันทึก (dry run: nothing was saved)")
    if result.changes:
        lines.append(f"เปลี่ยนแปลง {len(result.changes)} รายการ ({len(result.changes)} changes):")
        lines += [f"  - {change}" for change in result.changes]
    else:
        lines.append("ไม่มีการเปลี่ยนแปลง (no changes)")
    click.echo("\n".join(lines))


def _problems(error: ItaImportError, source: str) -> None:
    count = len(error.problems)
    _fail(
        [f"{source}: พบปัญหา {count} รายการ ไม่ได้นำเข้าสิ่งใด ({count} problem(s); nothing was imported):"]
        + [f"  - {p}" for p in error.problems]
    )


@ita.command("show")
@click.option("--org", "slug", required=True, help="รหัสองค์กร (organization slug), e.g. banpet")
@click.option("--year", required=True, type=YEAR, help="ปีงบประมาณที่ประเมิน (assessment year), e.g. 2565")
@click.option("--json", "as_json", is_flag=True, help="พิมพ์เป็น JSON (print JSON).")
def show_command(slug: str, year: int, as_json: bool) -> None:
    """แสดงผล ITA ของปีหนึ่งเทียบกับปีก่อน (show a year's ITA result against the year before)."""
    _prepare_database()
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        _fail([f"ไม่พบองค์กรรหัส “{slug}” (no organization with slug '{slug}')"])
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
    out = [f"{a.organization_name} · ITA ปีงบประมาณ {cur} เทียบกับ {prev} (compared with {prev})"]
    if not a.current.has_data:
        out.append(f"ยังไม่มีคะแนนของปี {cur} (no scores for {cur} yet)")
        return "\n".join(out)
    out += ["", "ภาพรวม (summary)", _fit("", 28) + _fit(prev, 14, True) + _fit(cur, 14, True) + "  ผลต่าง"]
    for r in a.summary:
        out.append(
            _fit(r.label, 28)
            + _fit(f"{format_score(r.previous)} {r.previous_level or ''}", 14, True)
            + _fit(f"{format_score(r.current)} {r.current_level or ''}", 14, True)
            + "  "
            + r.difference.text()
        )
    if a.current.rating:
        line = f"ผลตามเกณฑ์ (rating): {a.current.rating}"
        if a.current.rating_lowered_from:
            failed = ", ".join(c.text() for c in a.current.rating_failed)
            line += f" — ถึงเกณฑ์ {a.current.rating_lowered_from} แต่ไม่เป็นไปตามเงื่อนไข {failed} (lowered by {failed})"
        out.append(line)
    if a.first_year:
        out.append(f"ไม่มีผลของปี {prev} ให้เปรียบเทียบ (no result of {prev} to compare with)")
    elif a.frameworks_differ:
        out.append("กรอบการประเมินของสองปีต่างกัน: เปรียบเทียบเฉพาะตัวชี้วัดที่มีในทั้งสองปี (the frameworks differ)")
    out += ["", "เครื่องมือ (tools)"]
    for t in a.tools:
        out.append(
            _fit(f"{t.code} {t.name}", 52)
            + _fit(format_score(t.previous), 9, True)
            + _fit(format_score(t.current), 9, True)
            + "  "
            + t.difference.text()
        )
    out += ["", "ตัวชี้วัด เรียงตามคะแนน (indicators ranked; * = lowest of its tool)"]
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
    out += ["", f"เพิ่มขึ้น {c.up} · เท่าเดิม {c.equal} · ลดลง {c.down} ตัวชี้วัด (up, equal, down)"]
    if c.unknown:
        out.append(f"เทียบไม่ได้ {c.unknown} ตัวชี้วัด (no score in one of the years)")
    return "\n".join(out)


@ita.command("framework")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--draft", is_flag=True, help="เก็บเป็นฉบับร่าง ยังไม่เผยแพร่ (keep it as a draft).")
def framework_command(file: Path, draft: bool) -> None:
    """โหลดกรอบการประเมินจากไฟล์ YAML/XLSX ให้ทุกหน่วยงานใช้ (load or update a national framework).

    A published framework that already has scores gets a new version; the
    scores stay with the version they were entered under.
    """
    _prepare_database()
    try:
        spec = read_framework_file(file)
        if draft:
            framework, _ = save_framework(spec, now=utcnow())
        else:
            framework = apply_framework(spec)
    except ServiceError as exc:
        db.session.rollback()
        _fail([str(exc)])
    db.session.commit()
    count = len(framework.indicators)
    tools = ", ".join(f"{t.code} {(t.weight * 100).normalize():f}%" for t in framework.tools)
    state = "ฉบับร่าง (draft)" if framework.status is FrameworkStatus.draft else "เผยแพร่แล้ว (published)"
    click.echo(
        f"กรอบปีงบประมาณ {framework.fiscal_year} ฉบับที่ {framework.version} {state}: {count} ตัวชี้วัด · "
        f"{tools} (framework loaded)"
    )


@ita.command("copy-framework")
@click.option("--from", "source_year", required=True, type=YEAR, help="ปีที่คัดลอกจาก (copy from), e.g. 2565")
@click.option("--to", "target_year", required=True, type=YEAR, help="ปีของฉบับร่างใหม่ (the new draft's year)")
def copy_framework_command(source_year: int, target_year: int) -> None:
    """คัดลอกกรอบของปีหนึ่งเป็นฉบับร่างของอีกปี เพื่อแก้ไขแล้วเผยแพร่ (copy a framework as a draft)."""
    _prepare_database()
    try:
        source = ensure_framework(source_year)
        framework = copy_as_draft(source, target_year, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        _fail([str(exc)])
    db.session.commit()
    click.echo(
        f"คัดลอกกรอบปี {source_year} เป็นฉบับร่างของปี {target_year} แล้ว (ฉบับที่ {framework.version}) "
        f"แก้ไขด้วย `tracker ita export-framework {target_year} --draft -o FILE` แล้วโหลดกลับ "
        "หรือที่หน้า “กรอบ ITA” (copied as a draft: edit it, then publish)"
    )


@ita.command("export-framework")
@click.argument("year", type=YEAR)
@click.option("--draft", is_flag=True, help="ฉบับร่างล่าสุดแทนฉบับที่เผยแพร่ (the newest draft).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="ไฟล์ .yaml หรือ .xlsx (default: stdout YAML)")
def export_framework_command(year: int, draft: bool, output: Path | None) -> None:
    """เขียนกรอบการประเมินของปีหนึ่งออกเป็นไฟล์ (write a year's national framework as YAML or XLSX)."""
    _prepare_database()
    frameworks = [f for f in frameworks_of_year(year) if (f.status is FrameworkStatus.draft) == draft]
    if not frameworks:
        try:
            frameworks = [] if draft else [ensure_framework(year)]
        except ServiceError as exc:
            _fail([str(exc)])
        if not frameworks:
            _fail([f"ไม่มีฉบับร่างของปี {year} (no draft for {year})"])
    db.session.commit()
    spec = frameworks[0].spec
    if output is None:
        click.echo(spec_to_yaml(spec), nl=False)
        return
    body = spec_to_xlsx(spec) if output.suffix.lower() == ".xlsx" else spec_to_yaml(spec).encode("utf-8")
    output.write_bytes(body)
    click.echo(f"เขียนกรอบปี {year} ลงไฟล์ {output} แล้ว (written)")


ita_commands: list[click.Command] = [ita]
