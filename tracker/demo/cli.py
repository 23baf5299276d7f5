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
from ..ita.demo import load_demo_scores
from ..plans.cli import DATE, _counts, _fit, _report_problems
from ..plans.planfile import PlanFileError
from ..thaidate import fiscal_year_bounds, format_date
from . import DEMO_PASSWORD, DEMO_USERS, add_demo_progress, add_demo_results, load_demo
from .living import HISTORY_END as DEMO_PROGRESS_DATE
from .living import load_living_plan


@click.command("demo")
@click.option(
    "--with-progress",
    is_flag=True,
    hidden=True,
    help="(kept for older scripts: the FY 2566 plan always gets its progress now)",
)
@click.option(
    "--as-of",
    type=DATE,
    default=None,
    help="วันที่ของความคืบหน้าของแผนปี 2566 ค่าเริ่มต้น 2023-09-30 (the day the FY 2566 progress is as of)",
)
@click.option(
    "--history-only",
    is_flag=True,
    help="โหลดเฉพาะแผนปี 2566 ไม่สร้างแผนของปีงบประมาณปัจจุบัน (only the FY 2566 plan, no current-year plan)",
)
@click.option("--logins", "logins_only", is_flag=True, help="แสดงเฉพาะผู้ใช้ทดลอง (print the demo logins only)")
@with_appcontext
def demo_command(with_progress: bool, as_of: date | None, history_only: bool, logins_only: bool) -> None:
    """สร้างฐานข้อมูลและโหลดแผนตัวอย่างเทศบาลตำบลบ้านเป็ด: แผนปี 2566 พร้อมผลการดำเนินการ (ประวัติ)
    และแผนเดียวกันของปีงบประมาณปัจจุบันที่มีความคืบหน้าถึงวันนี้ พร้อมผู้ใช้ทดลอง (load the demo)."""
    if logins_only:
        users = list(
            db.session.scalars(sa.select(User).where(User.email.in_([d.email for d in DEMO_USERS])).order_by(User.id))
        )
        if not users:
            raise click.ClickException("ยังไม่ได้โหลดข้อมูลตัวอย่าง โปรดรัน `tracker demo` ก่อน (the demo is not loaded yet)")
        click.echo("\n".join(_logins(users)))
        return
    as_of = as_of or DEMO_PROGRESS_DATE
    fy_start = fiscal_year_bounds(2566)[0]
    if not fy_start <= as_of <= clock.now().date():
        raise click.BadParameter(
            f"ต้องอยู่ระหว่าง {format_date(fy_start)} ถึงวันนี้ (must be between {fy_start.isoformat()} and today)",
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
    lines = [f"{org.name} ({org.slug}) · ปีงบประมาณ {plan.fiscal_year} · {_counts(plan)}"]
    if result.plan_created:
        lines.append("โหลดแผนตัวอย่างแล้ว (demo plan loaded)")
    else:
        lines.append("มีแผนตัวอย่างอยู่แล้ว ไม่ได้เปลี่ยนแปลงแผน (the demo is already loaded; the plan was not changed)")
    if result.users_created and not result.plan_created:
        lines.append(f"เพิ่มผู้ใช้ที่ขาดไป {len(result.users_created)} คน (added missing demo users)")
    if progressed:
        lines.append(
            f"บันทึกความคืบหน้าตัวอย่าง {progressed} ขั้นตอน ณ {format_date(as_of)} "
            f"(demo progress on {progressed} steps as of {as_of.isoformat()})"
        )
        if recorded:
            lines.append(f"บันทึกผลการติดตาม {recorded} มาตรการ (follow-up results of {recorded} measures)")
    else:
        lines.append("แผนมีความคืบหน้าอยู่แล้ว ไม่ได้เพิ่มความคืบหน้าตัวอย่าง (the plan already has progress; none added)")
    if living is not None and living.plan is not plan:
        current = living.plan
        if living.created:
            lines.append(
                f"สร้างแผนปีงบประมาณ {current.fiscal_year} ({_counts(current)}) "
                f"ความคืบหน้าถึงวันนี้ {living.steps_changed} ขั้นตอน "
                f"(the plan of fiscal year {current.fiscal_year}, with progress as of today)"
            )
        else:
            lines.append(
                f"มีแผนปีงบประมาณ {current.fiscal_year} อยู่แล้ว ไม่ได้เปลี่ยนแปลง "
                f"(the plan of fiscal year {current.fiscal_year} is already there)"
            )
    lines += [
        "",
        f"เริ่มระบบด้วย `tracker run` แล้วเปิด {current_app.config['TRACKER_BASE_URL']}/ (start with `tracker run`)",
        "",
        *_logins(result.users),
    ]
    for handler in logging.getLogger().handlers:  # log lines first, the logins last
        handler.flush()
    click.echo("\n".join(lines))


def _logins(users: list[User]) -> list[str]:
    lines = [f"ผู้ใช้ทดลอง รหัสผ่านเดียวกันทุกคน: {DEMO_PASSWORD} (demo logins, one password for all)"]
    for user in users:
        dept = user.department.name if user.department else "-"
        lines.append(f"  {_fit(user.email, 32)}{_fit(ROLE_LABELS[user.role], 34)}{dept}")
    return lines
