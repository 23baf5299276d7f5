"""`tracker status`: every step of a plan, as JSON for scripts or a Thai table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.conftest import NOW
from tracker.db import db
from tracker.plans import services
from tracker.plans.models import StepStatus


def status(runner, *args: str):
    return runner.invoke(args=["status", *args])


def test_json_lists_every_step_in_plan_order_with_its_fields(runner, world):
    done = world.step(world.m2, 1)
    services.change_status(done, StepStatus.done, world.owner_strategy, NOW, note="เลือกระบบแล้ว")
    db.session.commit()

    result = status(runner, "--org", "testorg", "--year", "2566", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["steps"]
    steps = data["steps"]
    assert [(s["measure"], s["order"]) for s in steps] == [("1", 1), ("1", 2), ("1", 3), ("2", 1), ("2", 2)]
    assert steps[0] == {
        "id": world.step(world.m1, 1).id,
        "measure": "1",
        "order": 1,
        "title": "จัดทำประกาศแนวทางปฏิบัติ",
        "owner_department": "สำนักปลัดเทศบาล",
        "start": "2023-07-01",
        "due": "2023-07-31",
        "status": "not_started",
        "completed_at": None,
    }
    assert steps[3]["status"] == "done"
    assert steps[3]["owner_department"] == "กองยุทธศาสตร์และงบประมาณ"
    completed = datetime.fromisoformat(steps[3]["completed_at"])
    assert completed == NOW and completed.utcoffset() == UTC.utcoffset(None)


def test_json_numbers_measures_of_a_weakness_with_several_as_w_dot_m(runner, ctx):
    runner.invoke(args=["import-plan", "tracker/demo/banpet-2566.yaml"])
    steps = json.loads(status(runner, "--org", "banpet", "--year", "๒๕๖๖", "--json").stdout)["steps"]
    assert len(steps) == 26
    assert [s["measure"] for s in steps].count("3.2") == 7
    assert steps[-1]["measure"] == "3.2" and steps[-1]["order"] == 7 and steps[-1]["due"] == "2023-09-29"


def test_text_table_is_thai_with_progress_and_overdue_marks(runner, world):
    services.change_status(world.step(world.m1, 1), StepStatus.done, world.owner_palad, NOW, note="ประกาศแล้ว")
    db.session.commit()
    result = status(runner, "--org", "testorg", "--year", "2566", "--today", "2023-08-16")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "เทศบาลตำบลทดสอบ (testorg) · ปีงบประมาณ 2566" in out
    assert "ดำเนินการแล้ว 1/5 ขั้นตอน · เลยกำหนด 2 ขั้นตอน ณ 16 ส.ค. 2566" in out
    assert "มาตรการ 1 โครงการใช้ทรัพย์สินอย่างโปร่งใส" in out
    assert "สำนักปลัดเทศบาล · ก.ค. – ก.ย. ๒๕๖๖ · เสร็จ 1/3" in out
    lines = out.splitlines()
    row = next(line for line in lines if line.strip().startswith("2.2 "))
    assert "ยังไม่เริ่ม !" in row and "15 ส.ค. 2566" in row and "ทดสอบการใช้งานระบบ" in row
    row = next(line for line in lines if line.strip().startswith("1.1 "))
    assert "ดำเนินการแล้ว" in row and "!" not in row


def test_unknown_organization_or_year_is_a_clear_message_and_exit_1(runner, world):
    result = status(runner, "--org", "nowhere", "--year", "2566", "--json")
    assert result.exit_code == 1
    assert "ไม่พบองค์กรรหัส “nowhere”" in result.stderr
    result = status(runner, "--org", "testorg", "--year", "2567")
    assert result.exit_code == 1
    assert "ไม่มีแผนปีงบประมาณ 2567" in result.stderr and "2566" in result.stderr
    assert "Traceback" not in result.output


def test_year_must_be_a_number(runner, world):
    result = status(runner, "--org", "testorg", "--year", "ปีนี้")
    assert result.exit_code == 2
    assert "2566" in result.output
