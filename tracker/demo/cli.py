"""`tracker demo`: the demo organization, plan, users and ITA scores."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import clock
from ..auth.models import ROLE_LABELS
from ..clock import utcnow
from ..db import db, upgrade_database
from ..ita.demo import load_demo_scores
from ..plans.cli import DATE, _counts, _fit, _report_problems
from ..plans.planfile import PlanFileError
from ..thaidate import fiscal_year_bounds, format_date
from . import DEMO_PASSWORD, DEMO_PROGRESS_DATE, add_demo_progress, load_demo


@click.command("demo")
@click.option(
    "--with-progress",
    is_flag=True,
    help="บันทึกความคืบหน้าตัวอย่าง: ขั้นตอนที่ครบกำหนดแล้วส่วนใหญ่เสร็จ บางขั้นตอนล่าช้า "
    "(also mark a realistic part of the plan done, for screenshots)",
)
@click.option(
    "--as-of",
    type=DATE,
    default=None,
    help="วันที่ของความคืบหน้าตัวอย่าง ค่าเริ่มต้น 2023-08-01 (the day the demo progress is as of)",
)
@with_appcontext
def demo_command(with_progress: bool, as_of: date | None) -> None:
    """สร้างฐานข้อมูลและโหลดแผนตัวอย่างเทศบาลตำบลบ้านเป็ด ปี 2566 พร้อมผู้ใช้ทดลอง (load the demo)."""
    as_of = as_of or DEMO_PROGRESS_DATE
    fy_start = fiscal_year_bounds(2566)[0]
    if not fy_start <= as_of <= clock.now().date():
        raise click.BadParameter(
            f"ต้องอยู่ระหว่าง {format_date(fy_start)} ถึงวันนี้ (must be between {fy_start.isoformat()} and today)",
            param_hint="'--as-of'",
        )
    upgrade_database()
    try:
        result = load_demo(utcnow())
        load_demo_scores(result.plan.organization)  # ITA 2564–2565 for the analysis memo; idempotent
        progressed = add_demo_progress(result.plan, as_of) if with_progress else 0
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
    if with_progress and progressed:
        lines.append(
            f"บันทึกความคืบหน้าตัวอย่าง {progressed} ขั้นตอน ณ {format_date(as_of)} "
            f"(demo progress on {progressed} steps as of {as_of.isoformat()})"
        )
    elif with_progress:
        lines.append("แผนมีความคืบหน้าอยู่แล้ว ไม่ได้เพิ่มความคืบหน้าตัวอย่าง (the plan already has progress; none added)")
    lines += ["", f"ผู้ใช้ทดลอง รหัสผ่านเดียวกันทุกคน: {DEMO_PASSWORD} (demo logins, one password for all)"]
    for user in result.users:
        dept = user.department.name if user.department else "-"
        lines.append(f"  {_fit(user.email, 32)}{_fit(ROLE_LABELS[user.role], 34)}{dept}")
    lines += [
        "",
        f"เริ่มระบบด้วย `tracker run` แล้วเปิด {current_app.config['TRACKER_BASE_URL']}/ (start with `tracker run`)",
    ]
    click.echo("\n".join(lines))
