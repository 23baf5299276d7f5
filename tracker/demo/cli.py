"""`tracker demo`: the demo organization, plan, users and ITA scores."""

from __future__ import annotations

import logging
from datetime import date

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from .. import clock
from ..auth.models import ROLE_LABELS, User
from ..clock import utcnow
from ..db import db, upgrade_database
from ..i18n import _, _l, option
from ..ita.demo import load_demo_scores
from ..plans.cli import DATE, _counts, _fit, _report_problems
from ..plans.planfile import PlanFileError
from ..thaidate import fiscal_year_bounds, format_date
from . import DEMO_PASSWORD, DEMO_USERS, add_demo_progress, add_demo_results, load_demo
from .living import HISTORY_END as DEMO_PROGRESS_DATE
from .living import load_living_plan


@click.command(
    "demo",
    help=_l(
        "สร้างฐานข้อมูลและโหลดแผนตัวอย่างเทศบาลตำบลบ้านเป็ด: แผนปี 2566 พร้อมผลการดำเนินการ (ประวัติ) "
        "และแผนเดียวกันของปีงบประมาณปัจจุบันที่มีความคืบหน้าถึงวันนี้ พร้อมผู้ใช้ทดลอง"
    ),
)
@click.option(
    "--with-progress",
    is_flag=True,
    hidden=True,
    help="(kept for older scripts: the FY 2566 plan always gets its progress now)",
)
@option(
    "--as-of",
    type=DATE,
    default=None,
    help=_l("วันที่ของความคืบหน้าของแผนปี 2566 ค่าเริ่มต้น 2023-09-30"),
)
@option(
    "--history-only",
    is_flag=True,
    help=_l("โหลดเฉพาะแผนปี 2566 ไม่สร้างแผนของปีงบประมาณปัจจุบัน"),
)
@option("--logins", "logins_only", is_flag=True, help=_l("แสดงเฉพาะผู้ใช้ทดลอง"))
@with_appcontext
def demo_command(with_progress: bool, as_of: date | None, history_only: bool, logins_only: bool) -> None:
    """Load the demo: the FY 2566 plan with its history, the same plan this fiscal year, the demo users."""
    if logins_only:
        users = list(
            db.session.scalars(sa.select(User).where(User.email.in_([d.email for d in DEMO_USERS])).order_by(User.id))
        )
        if not users:
            raise click.ClickException(_("ยังไม่ได้โหลดข้อมูลตัวอย่าง โปรดรัน `tracker demo` ก่อน"))
        click.echo("\n".join(_logins(users)))
        return
    as_of = as_of or DEMO_PROGRESS_DATE
    fy_start = fiscal_year_bounds(2566)[0]
    if not fy_start <= as_of <= clock.now().date():
        raise click.BadParameter(
            _("ต้องอยู่ระหว่าง %(start)s ถึงวันนี้", start=format_date(fy_start)),
            param_hint="'--as-of'",
        )
    upgrade_database()
    now = clock.now()
    try:
        result = load_demo(utcnow())
        load_demo_scores(result.plan.organization)  # ITA 2564–2565 for the analysis memo; idempotent
        progressed = add_demo_progress(result.plan, as_of)
        recorded = add_demo_results(result.plan, as_of) if progressed else 0
        living = None if history_only else load_living_plan(result.plan, now)
    except PlanFileError as exc:  # only if the shipped file was edited badly
        db.session.rollback()
        _report_problems(exc, "demo")
    db.session.commit()
    plan = result.plan
    org = plan.organization
    lines = [
        _("%(org)s (%(slug)s) · ปีงบประมาณ %(year)s", org=org.name, slug=org.slug, year=plan.fiscal_year)
        + f" · {_counts(plan)}"
    ]
    if result.plan_created:
        lines.append(_("โหลดแผนตัวอย่างแล้ว"))
    else:
        lines.append(_("มีแผนตัวอย่างอยู่แล้ว ไม่ได้เปลี่ยนแปลงแผน"))
    if result.users_created and not result.plan_created:
        lines.append(_("เพิ่มผู้ใช้ทดลองที่ขาดไป %(count)s คน", count=len(result.users_created)))
    if progressed:
        lines.append(_("บันทึกความคืบหน้าตัวอย่าง %(count)s ขั้นตอน ณ %(day)s", count=progressed, day=format_date(as_of)))
        if recorded:
            lines.append(_("บันทึกผลการติดตาม %(count)s มาตรการ", count=recorded))
    else:
        lines.append(_("แผนมีความคืบหน้าอยู่แล้ว ไม่ได้เพิ่มความคืบหน้าตัวอย่าง"))
    if living is not None and living.plan is not plan:
        current = living.plan
        if living.created:
            lines.append(
                _(
                    "สร้างแผนปีงบประมาณ %(year)s (%(counts)s) ความคืบหน้าถึงวันนี้ %(steps)s ขั้นตอน",
                    year=current.fiscal_year,
                    counts=_counts(current),
                    steps=living.steps_changed,
                )
            )
        else:
            lines.append(_("มีแผนปีงบประมาณ %(year)s อยู่แล้ว ไม่ได้เปลี่ยนแปลง", year=current.fiscal_year))
    lines += [
        "",
        _("เริ่มระบบด้วย `tracker run` แล้วเปิด %(url)s/", url=current_app.config["TRACKER_BASE_URL"]),
        "",
        *_logins(result.users),
    ]
    for handler in logging.getLogger().handlers:  # log lines first, the logins last
        handler.flush()
    click.echo("\n".join(lines))


def _logins(users: list[User]) -> list[str]:
    lines = [_("ผู้ใช้ทดลอง รหัสผ่านเดียวกันทุกคน: %(password)s", password=DEMO_PASSWORD)]
    for user in users:
        dept = user.department.name if user.department else "-"
        lines.append(f"  {_fit(user.email, 32)}{_fit(str(ROLE_LABELS[user.role]), 34)}{dept}")
    return lines
