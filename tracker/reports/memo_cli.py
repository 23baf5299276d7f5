"""`tracker analysis`: the O42 analysis memo of a plan to a DOCX or PDF file."""
from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from .. import clock, thaidate
from ..db import db
from ..errors import ServiceError
from ..orgs.models import Organization
from ..plans.models import Plan
from .cli import write_atomically

__all__ = ["analysis_command", "render_memo"]


def render_memo(doc, fmt: str) -> bytes:
    """The memo as DOCX or PDF bytes (used by the downloads and the command)."""
    from .memo import render_memo_html
    from .memo_docx import memo_docx
    from .pdf import html_to_pdf

    if fmt == "docx":
        return memo_docx(doc)
    if fmt == "pdf":
        return html_to_pdf(render_memo_html(doc))
    raise ServiceError(f"ไม่รู้จักรูปแบบ {fmt!r} (unknown format; use docx or pdf)")


@click.command("analysis")
@click.option("--org", "org_slug", required=True, help="Organization slug, e.g. banpet.")
@click.option("--year", required=True,
              help="Fiscal year (BE) of the plan, e.g. 2566: it analyses the 2565 assessment against 2564.")
@click.option("--format", "fmt", required=True, type=click.Choice(["docx", "pdf"]))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@with_appcontext
def analysis_command(org_slug: str, year: str, fmt: str, output: Path) -> None:
    """Write the ITA analysis memo (O42) of a plan: the previous year's assessment
    compared with the year before it, and the plan's measures.

    รายงานการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใส (ITA) และมาตรการ
    """
    from .memo import build_memo

    try:
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == org_slug.strip()))
        if org is None:
            raise ServiceError(f"ไม่พบองค์กร “{org_slug}” (no organization with slug {org_slug!r})")
        raw = thaidate.to_arabic_digits(year.strip())
        if not raw.isdigit():
            raise ServiceError(f"ปีงบประมาณต้องเป็นตัวเลข พ.ศ. เช่น 2566: “{year[:20]}” (the year must be a BE year)")
        plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == org.id, Plan.fiscal_year == int(raw)))
        if plan is None:
            raise ServiceError(f"{org.name} ไม่มีแผนปีงบประมาณ {raw} (no plan of fiscal year {raw} for {org_slug})")
        doc = build_memo(plan, today=clock.now().date(), now=clock.utcnow())
        write_atomically(output, render_memo(doc, fmt))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"เขียนไฟล์ {output} ไม่ได้ (cannot write the file: {exc.strerror or exc})") from None
    finally:
        db.session.rollback()  # the memo only reads (a shipped framework loaded on the way is not kept)
    click.echo(f"เขียนรายงานการวิเคราะห์ผล ITA ปีงบประมาณ {doc.assessment_year} ลงไฟล์ {output} แล้ว (memo written)")
