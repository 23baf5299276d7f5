"""`tracker analysis`: the O42 analysis memo of a plan to a DOCX or PDF file."""

from __future__ import annotations

from pathlib import Path

import click
import yaml
from flask.cli import with_appcontext

from .. import clock
from ..db import db
from ..errors import ServiceError
from ..i18n import _, _l, option, thai_only
from ..plans.queries import plan_by_slug
from .cli import fiscal_year_arg, write_atomically
from .memo_options import memo_options, parse_memo_date, read_text_file

__all__ = ["analysis_command", "render_memo"]


@thai_only
def render_memo(doc, fmt: str) -> bytes:
    """The memo as DOCX or PDF bytes (used by the downloads and the command)."""
    from .continuation import html_to_pdf_with_markers
    from .memo_docx import memo_docx
    from .memo_html import render_memo_html

    if fmt == "docx":
        return memo_docx(doc)
    if fmt == "pdf":
        return html_to_pdf_with_markers(render_memo_html(doc))
    raise ServiceError(_("ไม่รู้จักรูปแบบ %(fmt)r ใช้ docx หรือ pdf", fmt=fmt))


def _findings(path: Path | None) -> dict[str, str] | None:
    """The findings file: YAML, tool code → text, e.g. `IIT: |` then the paragraphs."""
    text = read_text_file(path, _("ข้อค้นพบ"))
    if text is None:
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise click.UsageError(_("ไฟล์ข้อค้นพบ %(path)s ไม่ใช่ YAML ที่ถูกต้อง: %(error)s", path=path, error=exc)) from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise click.UsageError(_("ไฟล์ข้อค้นพบ %(path)s ต้องเป็น รหัสเครื่องมือ: ข้อความ เช่น “IIT: ...”", path=path))
    return {str(k).strip().upper(): v for k, v in data.items()}


@click.command(
    "analysis",
    help=_l("เขียนรายงานการวิเคราะห์ผลการประเมิน ITA ของแผน: ผลการประเมินปีก่อนเทียบกับปีก่อนหน้านั้น และมาตรการของแผน"),
)
@option("--org", "org_slug", required=True, help=_l("รหัสองค์กร เช่น banpet"))
@option(
    "--year",
    required=True,
    help=_l("ปีงบประมาณ พ.ศ. ของแผน เช่น 2566 จะวิเคราะห์ผลการประเมินปี 2565 เทียบกับ 2564"),
)
@click.option("--format", "fmt", required=True, type=click.Choice(["docx", "pdf"]))
@option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=_l("ไฟล์ที่จะเขียน"))
@memo_options
@option(
    "--findings",
    "findings_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_l("ไฟล์ YAML: รหัสเครื่องมือ → ข้อค้นพบของเจ้าหน้าที่ เช่น 'IIT: ...' (แทนที่ข้อค้นพบที่บันทึกไว้)"),
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
    compared with the year before it, and the plan's measures."""
    from .memo import build_memo
    from .memo_document import NO_DATE

    day = parse_memo_date(memo_date)
    findings = _findings(findings_file)
    try:
        plan = plan_by_slug(org_slug, fiscal_year_arg(year))[1]
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
            raise click.UsageError(_(NO_DATE) + " " + _("เช่น --date '%(example)s'", example="12 ต.ค. 2565"))
        write_atomically(output, render_memo(doc, fmt))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            _("เขียนไฟล์ %(output)s ไม่ได้: %(why)s", output=output, why=exc.strerror or exc)
        ) from None
    finally:
        db.session.rollback()  # the memo only reads (a shipped framework loaded on the way is not kept)
    click.echo(
        _(
            "เขียนรายงานการวิเคราะห์ผล ITA ปีงบประมาณ %(year)s ลงไฟล์ %(output)s แล้ว",
            year=doc.assessment_year,
            output=output,
        )
    )
