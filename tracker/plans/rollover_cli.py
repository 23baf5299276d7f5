"""`tracker rollover`: copy a plan into the next fiscal year (a draft)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..i18n import _, _l, option
from ..thaidate import to_arabic_digits
from .queries import plan_by_slug
from .rollover import rollover_plan

__all__ = ["rollover_command"]


def _year(text: str, flag: str) -> int:
    raw = to_arabic_digits(text.strip())
    if not raw.isdigit():
        raise ServiceError(_("%(flag)s ต้องเป็นปี พ.ศ. เช่น 2566: “%(text)s”", flag=flag, text=text[:20]))
    return int(raw)


@click.command(
    "rollover",
    help=_l("คัดลอกแผนไปเป็นแผนปีงบประมาณถัดไป (สถานะร่าง): ระยะเวลาและวันที่เลื่อนไปหนึ่งปี ทุกขั้นตอนเป็น “ยังไม่เริ่ม” ไม่คัดลอกหลักฐาน"),
)
@option("--org", "org_slug", required=True, help=_l("รหัสองค์กร เช่น banpet"))
@option("--from", "from_year", required=True, help=_l("ปีงบประมาณ พ.ศ. ของแผนที่จะคัดลอก เช่น 2566"))
@option("--to", "to_year", default=None, help=_l("ปีงบประมาณ พ.ศ. ของแผนใหม่ ค่าเริ่มต้นคือปีถัดไป"))
@with_appcontext
def rollover_command(org_slug: str, from_year: str, to_year: str | None) -> None:
    """Copy a plan into the next fiscal year: periods and dates moved by a year,
    every step "not started", no evidence; the new plan is a draft."""
    try:
        source_year = _year(from_year, "--from")
        target_year = _year(to_year, "--to") if to_year is not None else source_year + 1
        source = plan_by_slug(org_slug, source_year)[1]
        plan = rollover_plan(source, target_year, None, utcnow())
        counts = (len(plan.weaknesses), len(plan.measures), len(plan.steps))
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(
        _(
            "สร้างแผนปีงบประมาณ %(target)s (ร่าง) จากแผนปี %(source)s แล้ว: "
            "%(weaknesses)s ประเด็น %(measures)s มาตรการ %(steps)s ขั้นตอน (แผน #%(plan_id)s)",
            target=target_year,
            source=source_year,
            weaknesses=counts[0],
            measures=counts[1],
            steps=counts[2],
            plan_id=plan.id,
        )
    )
