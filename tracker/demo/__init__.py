"""The bundled demo: Ban Pet municipality's FY 2566 plan and a few users to log in with.

`load_demo` is idempotent: when the plan is already there it is left alone
(whatever progress people made in it) and only missing demo users are added.
Department heads are left empty on purpose: the demo owners are desk
officers, not heads, and an administrator sets heads under the admin pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa

from ..auth.models import Role, User
from ..auth.services import create_user
from ..db import db
from ..i18n import N_
from ..orgs.models import Department, Organization
from ..plans.importer import import_plan
from ..plans.models import Plan, StepStatus
from ..plans.planfile import PlanSpec, load_plan_file
from ..plans.services import change_status
from ..thaidate import BANGKOK, previous_business_day

__all__ = [
    "DEMO_FILE",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "DEMO_PROGRESS_DATE",
    "DemoUser",
    "DemoResult",
    "load_demo",
    "demo_spec",
    "add_demo_progress",
    "add_demo_results",
    "DEMO_RESULTS",
]

DEMO_FILE = Path(__file__).with_name("banpet-2566.yaml")
#: One password for every demo user; meets `check_password_policy`.
DEMO_PASSWORD = "banpet2566"
#: The default "as of" day of `--with-progress`: mid-year, so the plan shows a mix of states.
DEMO_PROGRESS_DATE = date(2023, 8, 1)


@dataclass(frozen=True)
class DemoUser:
    email: str
    display_name: str
    position: str
    role: Role
    department: str | None


DEMO_USERS: list[DemoUser] = [
    DemoUser("admin@banpet.example", "สมศรี ใจดี", "นักวิเคราะห์นโยบายและแผนชำนาญการ", Role.admin, "กองยุทธศาสตร์และงบประมาณ"),
    DemoUser("manager@banpet.example", "ประเสริฐ มั่นคง", "ปลัดเทศบาล", Role.manager, None),
    DemoUser("palad.owner@banpet.example", "วันดี ขยันงาน", "เจ้าพนักงานธุรการ สำนักปลัดเทศบาล", Role.owner, "สำนักปลัดเทศบาล"),
    DemoUser(
        "strategy.owner@banpet.example",
        "สมชาย รักษ์ดี",
        "นักวิชาการคอมพิวเตอร์ กองยุทธศาสตร์และงบประมาณ",
        Role.owner,
        "กองยุทธศาสตร์และงบประมาณ",
    ),
    DemoUser("viewer@banpet.example", "มาลี ดูข้อมูล", "ผู้ตรวจสอบภายใน", Role.viewer, None),
]


@dataclass
class DemoResult:
    plan: Plan
    #: False when the plan was already there from an earlier run.
    plan_created: bool
    #: Demo users added by this run (empty on a second run).
    users_created: list[str] = field(default_factory=list)
    users: list[User] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.plan_created or bool(self.users_created)


def demo_spec() -> PlanSpec:
    return load_plan_file(DEMO_FILE)


def load_demo(now: datetime) -> DemoResult:
    """Load the demo plan and users unless they are there already. Flushes, never commits."""
    spec = demo_spec()
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == spec.organization.slug))
    plan = None
    if org is not None:
        plan = db.session.scalar(
            sa.select(Plan).where(Plan.organization_id == org.id, Plan.fiscal_year == spec.fiscal_year)
        )
    created = plan is None
    if plan is None:
        plan = import_plan(spec, None, now).plan
    org = plan.organization
    departments = {
        d.name: d for d in db.session.scalars(sa.select(Department).where(Department.organization_id == org.id))
    }
    result = DemoResult(plan=plan, plan_created=created)
    for demo in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.email == demo.email))
        if user is None:
            department = departments.get(demo.department) if demo.department else None
            if demo.department and department is None:
                # The plan was edited since the first run and the department renamed: make it again.
                department = Department(organization=org, name=demo.department)
                db.session.add(department)
                departments[demo.department] = department
            user = create_user(
                org, demo.email, demo.display_name, DEMO_PASSWORD, demo.role, department, position=demo.position
            )
            result.users_created.append(demo.email)
        result.users.append(user)
    db.session.flush()
    return result


def add_demo_progress(plan: Plan, as_of: date) -> int:
    """Mark a realistic part of the demo plan as worked on by `as_of`; return how many steps changed.

    Steps due before `as_of` are done (a business day before their due date)
    by their department's demo owner, except every fifth one, left in progress
    and therefore late; the next step of each measure is in progress. Nothing
    happens (0) when any step already has progress, so running it twice, or
    after people used the demo, changes nothing. Flushes, never commits.
    """
    steps = plan.steps
    if any(s.status is not StepStatus.not_started for s in steps):
        return 0
    users = {
        u.email: u for u in db.session.scalars(sa.select(User).where(User.organization_id == plan.organization_id))
    }
    owners = {u.department_id: u for u in users.values() if u.role is Role.owner and u.department_id}
    admin = users.get(DEMO_USERS[0].email)
    changed = 0
    for m_index, measure in enumerate(plan.measures):
        started = False
        for s_index, step in enumerate(measure.steps):
            actor = owners.get(step.owner_department_id) or admin
            if step.due_date < as_of:
                if (m_index + s_index) % 5 == 4:
                    when = max(step.start_date, step.due_date - timedelta(days=14))
                    change_status(
                        step, StepStatus.in_progress, actor, _utc(when), note="อยู่ระหว่างดำเนินการ รอเอกสารประกอบ"
                    )
                else:
                    when = max(step.start_date, previous_business_day(step.due_date, include_self=False))
                    change_status(step, StepStatus.done, actor, _utc(when), note="ดำเนินการเรียบร้อยแล้ว")
                changed += 1
            elif not started:
                when = max(step.start_date, as_of - timedelta(days=3))
                if when < as_of:
                    change_status(step, StepStatus.in_progress, actor, _utc(when), note=N_("เริ่มดำเนินการแล้ว"))
                    changed += 1
                started = True
    db.session.flush()
    return changed


#: The follow-up result of each demo measure at the end of FY 2566 (value, unit, note), in plan order.
DEMO_RESULTS: list[tuple[str | None, str, str]] = [
    (None, "", "ประกาศแนวทางปฏิบัติการใช้ทรัพย์สินของราชการและการขอยืมทรัพย์สินของราชการแล้ว และเผยแพร่บนเว็บไซต์"),
    ("1248", "ครั้ง", "ประชาชนใช้บริการผ่านระบบ E-Service ตลอดปีงบประมาณ"),
    (None, "", "จัดทำคู่มือการปฏิบัติงานสำหรับเจ้าหน้าที่แล้ว ๑ เล่ม เผยแพร่ให้เจ้าหน้าที่ทุกกอง"),
    ("87.50", "ร้อยละ", "ความพึงพอใจของผู้รับบริการต่อมาตรฐานการให้บริการ"),
]


def add_demo_results(plan: Plan, as_of: date) -> int:
    """Record the follow-up result of each measure of the demo plan (by its department's
    owner, on `as_of`) where none is recorded yet; return how many. Flushes, never commits."""
    from ..plans import results

    users = list(db.session.scalars(sa.select(User).where(User.organization_id == plan.organization_id)))
    admin = next((u for u in users if u.role is Role.admin), None)
    recorded = 0
    for measure, (value, unit, note) in zip(plan.measures, DEMO_RESULTS, strict=False):
        if admin is None or results.get_result(measure) is not None:
            continue
        results.set_result(measure, admin, _utc(as_of), value=value, unit=unit, note=note)
        recorded += 1
    db.session.flush()
    return recorded


def _utc(day: date) -> datetime:
    """10:00 Bangkok on `day`, as aware UTC: when a demo officer ticked the step off."""
    return datetime.combine(day, time(10, 0), BANGKOK).astimezone(UTC)
