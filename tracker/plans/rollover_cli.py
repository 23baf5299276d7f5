"""`tracker rollover`: copy a plan into the next fiscal year (a draft)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..thaidate import to_arabic_digits
from .queries import plan_by_slug
from .rollover import rollover_plan

__all__ = ["rollover_command"]


def _year(text: str, option: str) -> int:
    raw = to_arabic_digits(text.strip())
    if not raw.isdigit():
        raise ServiceError(f"{option} ต้องเป็นปี พ.ศ. เช่น 2566: “{text[:20]}” ({option} must be a BE year)")
    return int(raw)


@click.command("rollover")
@click.option("--org", "org_slug", required=True, help="Organization slug, e.g. banpet.")
@click.option("--from", "from_year", required=True, help="Fiscal year (BE) of the plan to copy, e.g. 2566.")
@click.option("--to", "to_year", default=None, help="Fiscal year (BE) of the new plan: the next one (default).")
@with_appcontext
def rollover_command(org_slug: str, from_year: str, to_year: str | None) -> None:
    """Copy a plan into the next fiscal year: periods and dates moved by a year,
    every step "not started", no evidence; the new plan is a draft.

    คัดลอกแผนไปเป็นแผนปีงบประมาณถัดไป (สถานะร่าง)
    """
    try:
        source_year = _year(from_year, "--from")
        target_year = _year(to_year, "--to") if to_year is not None else source_year + 1
        _, source = plan_by_slug(org_slug, source_year)
        plan = rollover_plan(source, target_year, None, utcnow())
        counts = (len(plan.weaknesses), len(plan.measures), len(plan.steps))
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"สร้างแผนปีงบประมาณ {target_year} (ร่าง) จากแผนปี {source_year} แล้ว: "
        f"{counts[0]} ประเด็น {counts[1]} มาตรการ {counts[2]} ขั้นตอน (plan #{plan.id}, draft)"
    )
