"""`tracker analysis`: the O42 analysis memo of a plan to a DOCX, ODT or PDF file."""

from __future__ import annotations

from pathlib import Path

import click
import yaml
from flask.cli import with_appcontext

from .. import clock
from ..db import db
from ..errors import ServiceError
from ..i18n import thai_only
from ..plans.queries import plan_by_slug
from .cli import fiscal_year_arg, write_atomically
from .memo_options import memo_options, parse_memo_date, read_text_file

__all__ = ["analysis_command", "render_memo"]


@thai_only
def render_memo(doc, fmt: str) -> bytes:
    """The memo as DOCX, ODT or PDF bytes (used by the downloads and the command)."""
    from .continuation import html_to_pdf_with_markers
    from .memo_docx import memo_docx, memo_odt
    from .memo_html import render_memo_html

    if fmt == "docx":
        return memo_docx(doc)
    if fmt == "odt":
        return memo_odt(doc)
    if fmt == "pdf":
        return html_to_pdf_with_markers(render_memo_html(doc))
    raise ServiceError(f"ไม่รู้จักรูปแบบ {fmt!r} (unknown format; use docx, odt or pdf)")


def _findings(path: Path | None) -> dict[str, str] | None:
    """The findings file: YAML, tool code → text, e.g. `IIT: |` then the paragraphs."""
    text = read_text_file(path, "ข้อค้นพบ")
    if text is None:
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise click.UsageError(f"ไฟล์ข้อค้นพบ {path} ไม่ใช่ YAML ที่ถูกต้อง (not valid YAML: {exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise click.UsageError(
            f"ไฟล์ข้อค้นพบ {path} ต้องเป็น รหัสเครื่องมือ: ข้อความ เช่น “IIT: ...” (a mapping of tool code to text)"
        )
    return {str(k).strip().upper(): v for k, v in data.items()}


@click.command("analysis")
@click.option("--org", "org_slug", required=True, help="Organization slug, e.g. banpet.")
@click.option(
    "--year",
    required=True,
    help="Fiscal year (BE) of the plan, e.g. 2566: it analyses the 2565 assessment against 2564.",
)
@click.option("--format", "fmt", required=True, type=click.Choice(["docx", "odt", "pdf"]))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@memo_options
@click.option(
    "--findings",
    "findings_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML file: tool code → the officer's findings, e.g. 'IIT: ...' (replaces the saved ones).",
)
@with_appcontext
def analysis_command(
    org_slug: str,
    year: str,
    fmt: str,
    output: Path,
    reference: str | None,
    memo_date: str | None,
    office: str | None,
    addressee: str | None,
    findings_file: Path | None,
) -> None:
    """Write the ITA analysis memo (O42) of a plan: the previous year's assessment
    compared with the year before it, and the plan's measures.

    รายงานการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใส (ITA) และมาตรการ
    """
    from .memo import build_memo
    from .memo_document import NO_DATE

    day = parse_memo_date(memo_date)
    findings = _findings(findings_file)
    try:
        _, plan = plan_by_slug(org_slug, fiscal_year_arg(year))
        doc = build_memo(
            plan,
            now=clock.utcnow(),
            memo_date=day,
            office=office,
            reference=reference,
            addressee=addressee,
            findings=findings,
        )
        if doc.header.memo_date is None:
            raise click.UsageError(NO_DATE + " เช่น --date '12 ต.ค. 2565'")
        write_atomically(output, render_memo(doc, fmt))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"เขียนไฟล์ {output} ไม่ได้ (cannot write the file: {exc.strerror or exc})") from None
    finally:
        db.session.rollback()  # the memo only reads (a shipped framework loaded on the way is not kept)
    click.echo(f"เขียนรายงานการวิเคราะห์ผล ITA ปีงบประมาณ {doc.assessment_year} ลงไฟล์ {output} แล้ว (memo written)")
