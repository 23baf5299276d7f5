"""`tracker import-plan`: plans of other organizations, refusals that write nothing,
re-imports that update in place, and the XLSX form."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from tests.conftest import NOW
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.errors import PermissionDenied
from tracker.orgs.models import Department, Organization
from tracker.plans import services
from tracker.plans.exporter import export_plan_yaml, plan_template_xlsx
from tracker.plans.importer import import_plan
from tracker.plans.models import Evidence, EvidenceKind, JournalEntry, Plan, Step, StepStatus
from tracker.plans.planfile import STEP_COLUMNS, PlanFileError, load_plan_bytes, load_plan_file

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
NONGKHAI = (DATA / "nongkhai-2567.yaml").read_text(encoding="utf-8")
SLUG = "nongkhai-phochai"


def row_counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables
        }


def empty_all_tables() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def the_plan(slug: str = SLUG, year: int = 2567) -> Plan:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Plan).join(Organization).where(Organization.slug == slug, Plan.fiscal_year == year)
    )


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_import(runner, path: Path, *extra: str):
    return runner.invoke(args=["import-plan", str(path), *extra])


@pytest.fixture
def nongkhai(runner, ctx) -> Plan:
    result = run_import(runner, DATA / "nongkhai-2567.yaml")
    assert result.exit_code == 0, result.output
    return the_plan()


# -- a plan of another organization ------------------------------------------------


def test_another_organizations_plan_imports_with_its_steps_owners_and_due_dates(runner, ctx):
    result = run_import(runner, DATA / "nongkhai-2567.yaml")
    assert result.exit_code == 0, result.output
    assert "องค์การบริหารส่วนตำบลโพธิ์ชัย (nongkhai-phochai) · ปีงบประมาณ 2567" in result.output
    assert "2 ประเด็น · 3 มาตรการ · 10 ขั้นตอน" in result.output
    assert "สร้างแผนใหม่:" in result.output

    plan = the_plan()
    assert plan.title.endswith("พ.ศ. ๒๕๖๗")
    org = plan.organization
    assert (org.name, org.province) == ("องค์การบริหารส่วนตำบลโพธิ์ชัย", "หนองคาย")
    assert sorted((d.name, d.email) for d in org.departments) == sorted(
        [("สำนักปลัด", "palad@phochai.example"), ("กองคลัง", "finance@phochai.example"), ("กองช่าง", None)]
    )
    rows = [
        (s.measure.number, s.order, s.owner_department.name, s.start_date, s.due_date, s.status) for s in plan.steps
    ]
    ns = StepStatus.not_started
    assert rows == [
        ("1", 1, "สำนักปลัด", date(2023, 10, 1), date(2023, 11, 21), ns),
        ("1", 2, "กองคลัง", date(2023, 10, 1), date(2024, 1, 15), ns),
        ("1", 3, "สำนักปลัด", date(2023, 10, 1), date(2024, 2, 1), ns),
        ("1", 4, "สำนักปลัด", date(2023, 10, 1), date(2024, 2, 20), ns),
        ("1", 5, "สำนักปลัด", date(2023, 10, 1), date(2024, 3, 29), ns),
        ("2.1", 1, "สำนักปลัด", date(2024, 4, 1), date(2024, 5, 10), ns),
        ("2.1", 2, "สำนักปลัด", date(2024, 6, 1), date(2024, 6, 14), ns),
        ("2.1", 3, "สำนักปลัด", date(2024, 4, 1), date(2024, 9, 30), ns),
        ("2.2", 1, "กองคลัง", date(2024, 5, 15), date(2024, 7, 5), ns),
        ("2.2", 2, "กองช่าง", date(2024, 5, 15), date(2024, 8, 30), ns),
    ]
    m22 = plan.measures[2]
    assert (m22.owner_department.name, m22.period_start, m22.period_end, m22.follow_up) == (
        "กองช่าง",
        date(2024, 5, 15),
        date(2024, 8, 31),
        "รายงานผลการตรวจสอบ",
    )
    imports = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "plan")).all()
    assert [(e.action, e.entity_id, e.actor_id) for e in imports] == [("import", plan.id, None)]


# -- broken files: everything reported, nothing written ------------------------------


def test_broken_file_is_refused_with_every_problem_and_the_database_unchanged(runner, world):
    before = row_counts()
    result = run_import(runner, DATA / "broken.yaml")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stdout == ""
    err = result.stderr
    assert "พบปัญหา 10 รายการ ไม่ได้นำเข้าสิ่งใด" in err
    for place in [
        "องค์กร › รหัสองค์กร",
        "หน่วยงานที่ 2 › ชื่อ",
        "หน่วยงานที่ 2 › อีเมล",
        "ประเด็นที่ 1 › มาตรการที่ 1 › ผู้รับผิดชอบ",
        "ประเด็นที่ 1 › มาตรการที่ 1 › ขั้นตอนที่ 2 › ชื่อ",
        "ประเด็นที่ 1 › มาตรการที่ 2 › ระยะเวลาดำเนินการ",
        "ประเด็นที่ 2 › มาตรการที่ 1 › “stpes”",
        "ประเด็นที่ 2 › มาตรการที่ 1 › ขั้นตอนที่ 1 › วันครบกำหนด",
        "ประเด็นที่ 2 › มาตรการที่ 1 › ขั้นตอนที่ 2 › วันครบกำหนด",
        "ประเด็นที่ 2 › มาตรการที่ 2 › ขั้นตอน",
    ]:
        assert f"  - {place}: " in err
    assert row_counts() == before


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("syntax.yaml", (DATA / "syntax-error.yaml").read_text(encoding="utf-8"), "บรรทัด 9"),
        ("empty.yaml", "", "ไฟล์ว่างเปล่า"),
        ("list.yaml", "- organization: x\n", "ต้องเป็นชุดหัวข้อแบบ ชื่อ: ค่า"),
        ("plan.csv", "a,b\n", "รับเฉพาะไฟล์ .yaml .yml หรือ .xlsx"),
        ("fake.xlsx", "not a zip", "เปิดเป็นไฟล์ Excel (.xlsx) ไม่ได้"),
    ],
)
def test_files_that_are_not_plans_exit_1_without_traceback(runner, world, tmp_path, name, content, words):
    before = row_counts()
    result = run_import(runner, write(tmp_path, content, name))
    assert result.exit_code == 1
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert row_counts() == before


def test_missing_file_exits_1_with_a_message(runner, ctx, tmp_path):
    result = run_import(runner, tmp_path / "nowhere.yaml")
    assert result.exit_code == 1
    assert "ไม่พบไฟล์" in result.stderr


def test_missing_argument_is_a_usage_error(runner, ctx):
    assert runner.invoke(args=["import-plan"]).exit_code == 2


def test_dry_run_shows_the_plan_and_saves_nothing(runner, ctx):
    before = row_counts()
    result = run_import(runner, DATA / "nongkhai-2567.yaml", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "ทดลองนำเข้าเท่านั้น ไม่ได้บันทึก" in result.output
    assert "จะสร้างแผนใหม่" in result.output
    assert row_counts() == before


def _tracker_command() -> list[str]:
    script = Path(sys.executable).with_name("tracker")
    if script.exists():
        return [str(script)]
    found = shutil.which("tracker")
    return [found] if found else [sys.executable, "-c", "from tracker.cli import cli; cli()"]


def test_console_script_refuses_a_broken_file_with_exit_1_and_no_traceback(tmp_path):
    db_file = tmp_path / "tracker.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
    env.update(TRACKER_DATABASE_URL=f"sqlite:///{db_file}", TRACKER_INSTANCE_PATH=str(tmp_path / "instance"))

    def tracker(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            _tracker_command() + list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )

    ok = tracker("import-plan", str(DATA / "nongkhai-2567.yaml"))
    assert ok.returncode == 0, ok.stderr
    assert "สร้างแผนใหม่" in ok.stdout

    def counts() -> tuple[int, ...]:
        with sqlite3.connect(db_file) as conn:
            return tuple(
                conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("organizations", "departments", "plans", "measures", "steps", "journal_entries")
            )

    before = counts()
    assert before[:5] == (1, 3, 1, 3, 10)
    broken = tracker("import-plan", str(DATA / "broken.yaml"))
    assert broken.returncode == 1
    assert "Traceback" not in broken.stderr + broken.stdout
    assert "ประเด็นที่ 2 › มาตรการที่ 1 › “stpes”" in broken.stderr
    assert "หมายถึง “steps” หรือไม่" in broken.stderr
    assert counts() == before


# -- re-import: update in place ----------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(runner, nongkhai):
    before = row_counts()
    step_ids = [s.id for s in nongkhai.steps]
    result = run_import(runner, DATA / "nongkhai-2567.yaml")
    assert result.exit_code == 0, result.output
    assert "ไม่มีการเปลี่ยนแปลง" in result.output
    assert row_counts() == before
    assert [s.id for s in the_plan().steps] == step_ids


def test_changed_title_and_due_date_update_in_place_and_are_journaled(runner, nongkhai, tmp_path):
    step3, step4 = nongkhai.steps[2], nongkhai.steps[3]
    services.change_status(step4, StepStatus.done, None, NOW, note="ตรวจแล้ว")
    db.session.commit()
    ids = [s.id for s in nongkhai.steps]
    changed = NONGKHAI.replace("ปรับปรุงหน้าเว็บไซต์ให้เป็นปัจจุบัน", "ปรับปรุงหน้าเว็บไซต์และหน้าข่าวให้เป็นปัจจุบัน").replace(
        "due: 2024-02-20", "due: 2024-02-23"
    )
    result = run_import(runner, write(tmp_path, changed))
    assert result.exit_code == 0, result.output
    # Step 1.3 has no due date in the file: it is spread up to 1.4's, so it moves along.
    assert "ปรับปรุงแผน 3 รายการ:" in result.output
    assert "ขั้นตอน 1.3: วันครบกำหนด 1 ก.พ. 2567 → 2 ก.พ. 2567" in result.output
    assert "ขั้นตอน 1.4: วันครบกำหนด 20 ก.พ. 2567 → 23 ก.พ. 2567" in result.output

    plan = the_plan()
    assert [s.id for s in plan.steps] == ids
    step3, step4 = plan.steps[2], plan.steps[3]
    assert step3.title == "ปรับปรุงหน้าเว็บไซต์และหน้าข่าวให้เป็นปัจจุบัน"
    assert step4.due_date == date(2024, 2, 23)
    assert step4.status is StepStatus.done and step4.completed_at == NOW  # progress is kept
    edits = db.session.scalars(
        sa.select(JournalEntry).where(JournalEntry.action == "edit").order_by(JournalEntry.id)
    ).all()
    assert [(e.step_id, e.field, e.old_value, e.new_value, e.note) for e in edits] == [
        (step3.id, "title", "ปรับปรุงหน้าเว็บไซต์ให้เป็นปัจจุบัน", "ปรับปรุงหน้าเว็บไซต์และหน้าข่าวให้เป็นปัจจุบัน", "import"),
        (step3.id, "due_date", "2024-02-01", "2024-02-02", "import"),
        (step4.id, "due_date", "2024-02-20", "2024-02-23", "import"),
    ]
    # The status change made before the import is still in the step's journal.
    assert [e.action for e in step4.journal] == ["status", "edit"]


def test_removing_a_step_with_progress_is_refused_and_nothing_is_written(runner, nongkhai, tmp_path):
    last = nongkhai.steps[-1]  # 2.2.2 สรุปผลการตรวจสอบ
    services.change_status(last, StepStatus.in_progress, None, NOW, note="เริ่มแล้ว")
    db.session.commit()
    before = row_counts()
    changed = NONGKHAI.replace("          - สรุปผลการตรวจสอบ\n", "").replace(
        "จัดอบรมให้ความรู้แก่บุคลากร", "จัดอบรมให้ความรู้แก่บุคลากรทุกระดับ"
    )
    result = run_import(runner, write(tmp_path, changed))
    assert result.exit_code == 1
    assert "ขั้นตอน 2.2.2" in result.stderr
    assert "สรุปผลการตรวจสอบ" in result.stderr and "กำลังดำเนินการ" in result.stderr
    assert row_counts() == before
    plan = the_plan()
    assert plan.steps[5].title == "จัดอบรมให้ความรู้แก่บุคลากร"  # the other change was not applied either
    assert len(plan.steps) == 10


def test_removing_a_step_with_evidence_is_refused(runner, nongkhai, tmp_path):
    last = nongkhai.steps[-1]
    db.session.add(Evidence(step=last, kind=EvidenceKind.link, url="https://example.org/x", original_name="x", size=0))
    db.session.commit()
    result = run_import(runner, write(tmp_path, NONGKHAI.replace("          - สรุปผลการตรวจสอบ\n", "")))
    assert result.exit_code == 1
    assert "หลักฐาน 1 รายการ" in result.stderr


def test_removing_steps_and_measures_without_progress_deletes_them(runner, nongkhai, tmp_path):
    removed_step_id = nongkhai.steps[-1].id
    changed = NONGKHAI.replace("          - สรุปผลการตรวจสอบ\n", "")
    result = run_import(runner, write(tmp_path, changed))
    assert result.exit_code == 0, result.output
    assert "ลบขั้นตอน 2.2.2 “สรุปผลการตรวจสอบ”" in result.output
    plan = the_plan()
    assert len(plan.steps) == 9
    assert db.session.get(Step, removed_step_id) is None
    deleted = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.action == "delete")).all()
    assert [(e.entity, e.entity_id, e.old_value) for e in deleted] == [("step", removed_step_id, "สรุปผลการตรวจสอบ")]

    # The whole second weakness goes too when nothing was done in it.
    first_weakness_only = changed.split("  - title: การป้องกันการทุจริต")[0]
    result = run_import(runner, write(tmp_path, first_weakness_only))
    assert result.exit_code == 0, result.output
    assert "ลบประเด็นที่ 2" in result.output
    assert len(the_plan().weaknesses) == 1
    assert len(the_plan().steps) == 5


def test_new_weaknesses_measures_and_steps_are_added(runner, nongkhai, tmp_path):
    extra_step = "          - สรุปผลการตรวจสอบ\n          - {title: เผยแพร่ผลการตรวจสอบ, due: 2024-08-15}\n"
    extra_measure = (
        "      - title: โครงการใหม่\n        owner: กองสาธารณสุข\n        period: ก.ค. - ก.ย. ๒๕๖๗\n"
        "        steps: [ขั้นตอนใหม่]\n"
    )
    changed = NONGKHAI.replace("          - สรุปผลการตรวจสอบ\n", extra_step) + extra_measure
    result = run_import(runner, write(tmp_path, changed))
    assert result.exit_code == 0, result.output
    assert "สร้างหน่วยงาน “กองสาธารณสุข”" in result.output
    assert "เพิ่มขั้นตอน 2.2.3 “เผยแพร่ผลการตรวจสอบ”" in result.output
    assert "เพิ่มมาตรการ 2.3 “โครงการใหม่”" in result.output
    plan = the_plan()
    assert [m.number for m in plan.measures] == ["1", "2.1", "2.2", "2.3"]
    assert plan.measures[3].steps[0].due_date == date(2024, 9, 30)
    assert plan.measures[2].steps[2].due_date == date(2024, 8, 15)
    created = db.session.scalars(
        sa.select(JournalEntry).where(JournalEntry.action == "create", JournalEntry.entity == "step")
    ).all()
    assert len(created) == 2


def test_department_emails_in_the_file_update_existing_departments(runner, nongkhai, tmp_path):
    changed = NONGKHAI.replace("Finance@Phochai.example", "klang@phochai.example")
    result = run_import(runner, write(tmp_path, changed))
    assert result.exit_code == 0, result.output
    depts = db.session.scalars(sa.select(Department).where(Department.name == "กองคลัง")).all()
    assert [d.email for d in depts] == ["klang@phochai.example"]


def test_assignees_must_be_users_of_the_organization(runner, nongkhai, tmp_path, world):
    with_assignee = NONGKHAI.replace(
        "{title: ตรวจทานความครบถ้วนของข้อมูล, due: 2024-02-20}",
        "{title: ตรวจทานความครบถ้วนของข้อมูล, due: 2024-02-20, assignee: %s}",
    )
    # A user of another organization is as unknown as a made-up address.
    result = run_import(runner, write(tmp_path, with_assignee % world.admin.email))
    assert result.exit_code == 1
    assert f"ประเด็นที่ 1 › มาตรการที่ 1 › ขั้นตอนที่ 4 › ผู้ได้รับมอบหมาย: ไม่พบผู้ใช้อีเมล {world.admin.email}" in result.stderr

    staff = User(
        organization=nongkhai.organization,
        email="staff@phochai.example",
        display_name="เจ้าหน้าที่",
        role=Role.owner,
        department=nongkhai.measures[0].owner_department,
    )
    staff.set_password("secret-123")
    db.session.add(staff)
    db.session.commit()
    result = run_import(runner, write(tmp_path, with_assignee % "STAFF@phochai.example"))
    assert result.exit_code == 0, result.output
    assert the_plan().steps[3].assignee.email == "staff@phochai.example"


def test_import_by_a_web_user_is_limited_to_admins_of_the_same_organization(world, nongkhai):
    spec = load_plan_file(DATA / "nongkhai-2567.yaml")
    with pytest.raises(PermissionDenied):
        import_plan(spec, world.owner_palad, NOW)
    with pytest.raises(PlanFileError) as info:
        import_plan(spec, world.admin, NOW)  # an admin, but of another organization
    assert info.value.problems[0].place == "องค์กร › รหัสองค์กร"
    assert "นำเข้าได้เฉพาะแผนขององค์กรที่คุณดูแล" in info.value.problems[0].message


def test_admin_reimport_of_own_plan_records_the_actor(world, tmp_path):
    text = export_plan_yaml(world.plan).replace("โครงการ E-Service", "โครงการ E-Service ระยะที่ 2")
    result = import_plan(load_plan_bytes(text.encode(), "plan.yaml"), world.admin, NOW)
    assert not result.created
    assert result.changes == ["มาตรการ 2: ชื่อ “โครงการ E-Service” → “โครงการ E-Service ระยะที่ 2”"]
    entry = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.entity == "measure")).one()
    assert (entry.actor_id, entry.field, entry.created_at) == (world.admin.id, "title", NOW)


# -- the XLSX form --------------------------------------------------------------------

PLAN_VALUES = [
    ("ชื่อองค์กร (organization name)", "องค์การบริหารส่วนตำบลโพธิ์ชัย"),
    ("รหัสองค์กร (slug)", "nongkhai-phochai"),
    ("จังหวัด (province)", "หนองคาย"),
    ("ปีงบประมาณ พ.ศ. (fiscal year)", 2567),
    ("ชื่อแผน (title)", "มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. ๒๕๖๗"),
]
W1 = ["การเปิดเผยข้อมูล", "ข้อมูลบนเว็บไซต์บางรายการไม่เป็นปัจจุบัน"]
M1 = [
    "โครงการปรับปรุงเว็บไซต์และการเปิดเผยข้อมูลสาธารณะ",
    "สำนักปลัด",
    "ต.ค. ๒๕๖๖ – มี.ค. ๒๕๖๗",
    "ร้อยละของรายการข้อมูล OIT ที่เผยแพร่ครบถ้วน",
]
M21 = ["โครงการเสริมสร้างวัฒนธรรมองค์กรที่ไม่ทนต่อการทุจริต", "สำนักปลัด", "เม.ย.-ก.ย. 2567", None]
M22 = ["โครงการตรวจสอบการจัดซื้อจัดจ้าง", "กองช่าง", "2024-05-15 – 2024-08-31", "รายงานผลการตรวจสอบ"]
BLANK4 = [None] * 4
#: The nongkhai plan, one row per step; weakness and measure fields repeated on some rows, blank on others.
NONGKHAI_ROWS = [
    [1, *W1, 1, *M1, 1, "สำรวจรายการข้อมูลที่ต้องเผยแพร่ตามแบบ OIT", None, None, None, None],
    [None, None, None, None, *BLANK4, 2, "จัดทำรายงานการใช้จ่ายงบประมาณรายไตรมาส", "กองคลัง", None, "๑๕ ม.ค. ๒๕๖๗", None],
    [1, *W1, 1, *M1, 3, "ปรับปรุงหน้าเว็บไซต์ให้เป็นปัจจุบัน", None, None, None, None],
    [None, None, None, None, *BLANK4, None, "ตรวจทานความครบถ้วนของข้อมูล", None, None, datetime(2024, 2, 20), None],
    [None, None, None, None, *BLANK4, 5, "รายงานผลการดำเนินงาน", None, None, None, None],
    [2, "การป้องกันการทุจริต", None, 1, *M21, 1, "จัดอบรมให้ความรู้แก่บุคลากร", None, None, None, None],
    # A BE year typed into a date cell (Excel keeps 2567 as a CE year) is read as BE.
    [None, None, None, None, *BLANK4, 2, "ประกาศเจตนารมณ์ต่อต้านการทุจริต", None, "01/06/2567", datetime(2567, 6, 14), None],
    [None, None, None, None, *BLANK4, 3, "รายงานผลการดำเนินงาน", None, None, None, None],
    [None, None, None, "2.2", *M22, 1, "ตรวจสอบเอกสารการจัดซื้อจัดจ้าง", "กองคลัง", None, None, None],
    [None, None, None, None, *BLANK4, 2, "สรุปผลการตรวจสอบ", None, None, None, None],
]
DEPARTMENT_ROWS = [("สำนักปลัด", "palad@phochai.example"), ("กองคลัง", "Finance@Phochai.example"), ("กองช่าง", None)]


def fill_template(path: Path, rows: list[list], plan_values=PLAN_VALUES, departments=DEPARTMENT_ROWS) -> Path:
    """Fill the real template the way an officer would, and save it."""
    path.write_bytes(plan_template_xlsx())
    wb = load_workbook(path)
    steps = wb["ขั้นตอน (steps)"]
    for row in rows:
        steps.append(row)
    plan_sheet = wb["แผน (plan)"]
    for label, value in plan_values:
        row = next(r for r in range(1, plan_sheet.max_row + 1) if plan_sheet.cell(r, 1).value == label)
        plan_sheet.cell(row, 2).value = value
    depts = wb["หน่วยงาน (departments)"]
    for name, email in departments:
        depts.append([name, email])
    wb.save(path)
    return path


def test_a_filled_xlsx_imports_to_the_same_plan_as_the_yaml(runner, ctx, tmp_path):
    assert run_import(runner, DATA / "nongkhai-2567.yaml").exit_code == 0
    from_yaml = export_plan_yaml(the_plan())
    empty_all_tables()

    xlsx = fill_template(tmp_path / "nongkhai.xlsx", NONGKHAI_ROWS)
    result = run_import(runner, xlsx)
    assert result.exit_code == 0, result.stderr
    assert "2 ประเด็น · 3 มาตรการ · 10 ขั้นตอน" in result.output
    assert export_plan_yaml(the_plan()) == from_yaml


def test_a_home_made_workbook_with_english_headers_is_read(ctx, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([c.english for c in STEP_COLUMNS])
    for row in NONGKHAI_ROWS:
        ws.append(row)
    plan = wb.create_sheet("plan")
    for label, value in PLAN_VALUES:
        plan.append([label.split(" (")[1].rstrip(")"), value])
    wb.save(tmp_path / "own.xlsx")
    spec = load_plan_file(tmp_path / "own.xlsx")
    assert [s.due for s in spec.steps][:5] == [
        date(2023, 11, 21),
        date(2024, 1, 15),
        date(2024, 2, 1),
        date(2024, 2, 20),
        date(2024, 3, 29),
    ]
    assert spec.departments == []
    assert spec.owner_names() == ["สำนักปลัด", "กองคลัง", "กองช่าง"]


def test_xlsx_problems_name_the_sheet_row_and_column(runner, ctx, tmp_path):
    rows = [
        [1, *W1, 1, *M1, 1, "สำรวจรายการข้อมูล", None, None, None, None],
        [None, None, None, None, *BLANK4, 2, None, None, None, None, None],  # row 3: no title
        [None, None, None, None, *BLANK4, 3, "ตรวจทาน", None, None, datetime(2024, 5, 1), None],  # row 4: due outside
        [1, *W1, 1, "ชื่อมาตรการอื่น", None, None, None, 4, "รายงาน", None, None, None, None],  # row 5: title differs
        ["x", "ประเด็น", None, 1, *M1, 1, "ก", None, None, None, None],  # row 6: bad number
    ]
    xlsx = fill_template(
        tmp_path / "bad.xlsx", rows, plan_values=PLAN_VALUES[:3] + [("ปีงบประมาณ พ.ศ. (fiscal year)", "2023")]
    )
    wb = load_workbook(xlsx)
    wb["แผน (plan)"].append(["หมายเหตุ (note)", "x"])  # row 8: unknown field
    wb["ขั้นตอน (steps)"].cell(1, 15).value = "หมายเหตุ"
    wb.save(xlsx)
    before = row_counts()
    result = run_import(runner, xlsx)
    assert result.exit_code == 1
    err = result.stderr
    steps = "แผ่นงาน “ขั้นตอน (steps)”"
    assert f"{steps} แถว 1 คอลัมน์ O “หมายเหตุ”: ไม่รู้จักหัวคอลัมน์" in err
    # In words, then the sheet, row and column the value is in.
    assert f"ขั้นตอนที่ 2 › ชื่อ ({steps} แถว 3 คอลัมน์ J “วิธีการดำเนินการ (step title)”): ต้องไม่เว้นว่าง" in err
    assert f"› วันครบกำหนด ({steps} แถว 4 คอลัมน์ M “วันครบกำหนด (due)”): วันครบกำหนด 1 พ.ค. 2567" in err
    assert f"{steps} แถว 5 คอลัมน์ E “มาตรการ/แนวทาง (measure title)”: ไม่ตรงกับแถว 2" in err
    assert f"{steps} แถว 6 คอลัมน์ A “ประเด็นที่ (weakness no.)”: ประเด็นที่ต้องเป็นตัวเลข" in err
    assert "ปีงบประมาณ (แผ่นงาน “แผน (plan)” แถว 5 “ค่า”): ปีงบประมาณ 2023" in err
    assert "แผ่นงาน “แผน (plan)” แถว 8: ไม่รู้จักหัวข้อ “หมายเหตุ (note)”" in err
    assert "ชื่อแผน" in err or "title is required" in err
    assert row_counts() == before


def test_removing_a_measure_with_a_follow_up_result_is_refused(runner, nongkhai, tmp_path):
    from tracker.plans.models import MeasureResult

    db.session.add(MeasureResult(measure_id=nongkhai.measures[2].id, note="ตรวจสอบครบ 12 โครงการ"))
    db.session.commit()
    before = row_counts()
    without_last_measure = NONGKHAI.split("      - title: โครงการตรวจสอบการจัดซื้อจัดจ้าง")[0]
    result = run_import(runner, write(tmp_path, without_last_measure))
    assert result.exit_code == 1
    assert "มาตรการ 2.2: ไฟล์ไม่มีมาตรการ “โครงการตรวจสอบการจัดซื้อจัดจ้าง” แล้ว" in result.stderr
    assert row_counts() == before


# -- renaming, control characters, the exit code of a bug (issue 9) -------------------------


def test_renaming_the_organization_and_moving_its_province_is_an_update_journaled(runner, nongkhai, tmp_path):
    org_id = nongkhai.organization_id
    renamed = NONGKHAI.replace("name: องค์การบริหารส่วนตำบลโพธิ์ชัย", "name: เทศบาลตำบลโพธิ์ชัย").replace(
        "province: หนองคาย", "province: บึงกาฬ"
    )
    result = run_import(runner, write(tmp_path, renamed))

    assert result.exit_code == 0, result.output
    assert "ปรับปรุงแผน 2 รายการ:" in result.output
    assert "ชื่อองค์กร: “องค์การบริหารส่วนตำบลโพธิ์ชัย” → “เทศบาลตำบลโพธิ์ชัย”" in result.output
    assert "จังหวัด: “หนองคาย” → “บึงกาฬ”" in result.output
    org = db.session.get(Organization, org_id)
    assert (org.slug, org.name, org.province) == (SLUG, "เทศบาลตำบลโพธิ์ชัย", "บึงกาฬ")
    assert the_plan().organization_id == org_id  # the same organization, not a new one
    edits = db.session.scalars(
        sa.select(JournalEntry)
        .where(JournalEntry.entity == "organization", JournalEntry.action == "edit")
        .order_by(JournalEntry.id)
    ).all()
    assert [(e.field, e.old_value, e.new_value, e.organization_id) for e in edits] == [
        ("name", "องค์การบริหารส่วนตำบลโพธิ์ชัย", "เทศบาลตำบลโพธิ์ชัย", org_id),
        ("province", "หนองคาย", "บึงกาฬ", org_id),
    ]


CONTROL_REFUSAL = "มีอักขระควบคุมที่มองไม่เห็น (เช่น NUL)"


@pytest.mark.parametrize(
    "title",
    ['"ปรับปรุง\\0หน้าเว็บไซต์"', '"ปรับปรุง\\x07หน้าเว็บไซต์"', '"ปรับปรุง\\u0000หน้าเว็บไซต์"'],
    ids=["nul", "bell", "u0000"],
)
def test_a_nul_escaped_in_a_quoted_string_is_refused_the_same_on_every_database(runner, nongkhai, tmp_path, title):
    """Once stored by SQLite and refused by PostgreSQL's driver; now refused before either sees it."""
    before = row_counts()
    text = NONGKHAI.replace("ปรับปรุงหน้าเว็บไซต์ให้เป็นปัจจุบัน", title.strip('"'), 1)
    text = text.replace(title.strip('"'), title, 1)
    result = run_import(runner, write(tmp_path, text))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"ประเด็นที่ 1 › มาตรการที่ 1 › ขั้นตอนที่ 3: {CONTROL_REFUSAL}" in result.output
    assert row_counts() == before


@pytest.mark.parametrize(
    "content, words",
    [
        (
            NONGKHAI.replace("fiscal_year", "fiscal\x00_year", 1).encode(),
            "plan.yaml บรรทัด 5 คอลัมน์ 7",
        ),
        (NONGKHAI.encode("utf-16-le"), "บันทึกใหม่เป็น UTF-8"),
        (NONGKHAI.encode("utf-16-be"), "บันทึกใหม่เป็น UTF-8"),
    ],
    ids=["raw-nul", "utf16-le", "utf16-be"],
)
def test_control_characters_and_utf16_without_bom_are_refused_with_their_place(runner, world, tmp_path, content, words):
    before = row_counts()
    path = tmp_path / "plan.yaml"
    path.write_bytes(content)
    result = run_import(runner, path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert words in result.output
    assert row_counts() == before


def test_a_bug_exits_70_with_its_traceback_not_1_like_a_refusal(app, ctx, monkeypatch, tmp_path):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from tracker.cli import EXIT_INTERNAL, cli

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("tracker.plans.importer.import_plan", broken)
    result = CliRunner().invoke(
        cli, ["import-plan", str(DATA / "nongkhai-2567.yaml")], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == EXIT_INTERNAL == 70
    assert "Traceback" in result.output and "RuntimeError: a bug" in result.output
    assert "ข้อผิดพลาดภายในของโปรแกรม" in result.output
    # …while a refusal stays 1, and --help names the codes.
    refused = CliRunner().invoke(
        cli, ["import-plan", str(tmp_path / "missing.yaml")], obj=ScriptInfo(create_app=lambda: app)
    )
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "70 ข้อผิดพลาดภายใน" in CliRunner().invoke(cli, ["--help"], obj=ScriptInfo(create_app=lambda: app)).output
