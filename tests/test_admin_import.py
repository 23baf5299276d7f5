"""Admins load a plan by uploading its file (YAML or XLSX) at /admin/plans/import.

Every upload is previewed first and writes nothing: each step with its due
date and owner, marked new, changed or removed. "นำเข้า" imports the previewed
file kept on the server, without sending it again. A broken file lists every
problem with its place in words, answers 400 and writes nothing; a file of
another organization is refused on the page with a Thai message. The plan can
be downloaded again as YAML, and the blank XLSX form is offered for officers
who prefer a spreadsheet. (Departments, oversight users and forged tokens:
test_admin_import_flow.py.)
"""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
from flask import url_for

from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans.models import JournalEntry, Measure, Plan, Step, Weakness

GOOD_PLAN = """\
organization: {name: เทศบาลตำบลทดสอบ, slug: testorg, province: ขอนแก่น}
fiscal_year: 2567
title: มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. ๒๕๖๗
departments:
  - {name: กองคลัง, email: finance@test.go.th}
weaknesses:
  - title: การเปิดเผยข้อมูล
    measures:
      - title: โครงการเผยแพร่ข้อมูลการจัดซื้อจัดจ้าง
        owner: กองคลัง
        period: ต.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗
        follow_up: รายงานการเผยแพร่ข้อมูลรายเดือน
        steps:
          - รวบรวมข้อมูลการจัดซื้อจัดจ้าง
          - {title: เผยแพร่บนเว็บไซต์, due: 15/01/2567}
          - {title: รายงานผลการดำเนินงาน, owner: สำนักปลัดเทศบาล}
"""

BROKEN_PLAN = """\
organization: {name: เทศบาลตำบลทดสอบ, slug: testorg}
fiscal_year: 2567
title: แผนที่เขียนผิด
weaknesses:
  - title: การเปิดเผยข้อมูล
    measures:
      - title: โครงการไม่มีผู้รับผิดชอบ
        period: ตลอดปี
        steps: [ขั้นตอนเดียว]
      - title: โครงการวันครบกำหนดเกินระยะเวลา
        owner: กองคลัง
        period: ม.ค. - มี.ค. ๒๕๖๗
        steps:
          - {title: ขั้นตอนเกินกำหนด, due: 2024-05-31}
"""


def page(response) -> str:
    return response.get_data(as_text=True)


def upload(client, text: str | bytes, filename: str = "plan.yaml", **extra):
    """Send a plan file: the answer is its preview (nothing is written yet)."""
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        url_for("admin.import_plan"),
        data={"file": (io.BytesIO(data), filename), **extra},
        content_type="multipart/form-data",
    )


def confirm_fields(preview_page: str) -> dict[str, str]:
    """The hidden fields and preselected choices of the preview's "นำเข้า" form."""
    form = preview_page[preview_page.index('action="/admin/plans/import/confirm"') :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'name="(token|organization)"[^>]*value="([^"]*)"', form))
    fields.update({name: "map" for name in re.findall(r'name="(department_\d+)"', form)})
    return fields


def confirm(client, preview_response, **choices):
    """Press "นำเข้า" on a preview (the file is not sent again)."""
    assert preview_response.status_code == 200, page(preview_response)
    return client.post(url_for("admin.import_confirm"), data={**confirm_fields(page(preview_response)), **choices})


def import_file(client, text: str | bytes, filename: str = "plan.yaml", **choices):
    return confirm(client, upload(client, text, filename), **choices)


def table_counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Organization, Department, Plan, Weakness, Measure, Step, JournalEntry)
    }


@pytest.fixture
def admin(world, login):
    return login(world.admin)


def test_a_good_file_is_previewed_then_imported_without_uploading_it_again(world, admin):
    before = table_counts()
    preview = upload(admin, GOOD_PLAN)
    assert preview.status_code == 200
    text = page(preview)
    assert "ตรวจสอบก่อนนำเข้า: plan.yaml" in text and "จะสร้างแผนปีงบประมาณ 2567 ของ เทศบาลตำบลทดสอบ ใหม่" in text
    assert table_counts() == before  # the preview wrote nothing

    response = confirm(admin, preview)
    assert response.status_code == 302
    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == world.org.id, Plan.fiscal_year == 2567))
    assert plan is not None
    assert response.headers["Location"].endswith(url_for("admin.plan", plan_id=plan.id))
    shown = admin.get(response.headers["Location"])
    assert "นำเข้าแผนปีงบประมาณ 2567 ของ เทศบาลตำบลทดสอบ แล้ว" in page(shown)
    [measure] = plan.measures
    assert (measure.period_start, measure.period_end) == (date(2023, 10, 1), date(2024, 3, 31))
    assert measure.owner_department.name == "กองคลัง"
    assert [(s.order, s.owner_department.name) for s in measure.steps] == [
        (1, "กองคลัง"),
        (2, "กองคลัง"),
        (3, "สำนักปลัดเทศบาล"),
    ]
    assert measure.steps[1].due_date == date(2024, 1, 15)
    assert all(measure.period_start <= s.due_date <= measure.period_end for s in measure.steps)
    dashboard = admin.get(url_for("plans.dashboard", plan_id=plan.id))
    assert dashboard.status_code == 200 and "เผยแพร่บนเว็บไซต์" in page(dashboard)


def test_the_preview_lists_every_step_with_its_computed_due_date_and_owner(world, admin):
    text = page(upload(admin, GOOD_PLAN))
    # The first step has no due date in the file: the computed one (BE) is shown.
    plan_steps = re.findall(r'<tr class="import-step mark-row-new">(.*?)</tr>', text, re.S)
    assert len(plan_steps) == 3
    assert "1.1 รวบรวมข้อมูลการจัดซื้อจัดจ้าง" in plan_steps[0] and "2566" in plan_steps[0]
    assert "15 ม.ค. 2567" in plan_steps[1] and "กองคลัง" in plan_steps[1]
    assert "สำนักปลัดเทศบาล" in plan_steps[2]
    assert text.count('class="badge mark-new"') >= 5  # weakness, measure, three steps (and the summary)


def test_a_broken_file_lists_every_problem_in_words_and_writes_nothing(world, admin):
    before = table_counts()
    response = upload(admin, BROKEN_PLAN, filename="broken.yml")
    assert response.status_code == 400
    text = page(response)
    assert "ยังไม่ได้บันทึกสิ่งใด" in text
    assert "ประเด็นที่ 1 › มาตรการที่ 1 › ผู้รับผิดชอบ" in text
    assert "ประเด็นที่ 1 › มาตรการที่ 1 › ระยะเวลาดำเนินการ" in text
    assert "ประเด็นที่ 1 › มาตรการที่ 2 › ขั้นตอนที่ 1 › วันครบกำหนด" in text
    assert "weaknesses[" not in text
    assert table_counts() == before


def test_a_file_of_another_organization_is_refused_on_the_page_in_thai(world, admin):
    other = Organization(name="เทศบาลอื่น", slug="othertown", province="ขอนแก่น")
    db.session.add(other)
    db.session.commit()
    before = table_counts()
    for slug in ("othertown", "brandnew"):
        response = upload(admin, GOOD_PLAN.replace("slug: testorg", f"slug: {slug}"))
        assert response.status_code == 400
        text = page(response)
        assert f"ไฟล์นี้เป็นแผนของรหัสองค์กร “{slug}” คุณนำเข้าได้เฉพาะแผนของ เทศบาลตำบลทดสอบ" in text
        assert "องค์กร › รหัสองค์กร" in text
        assert "tracker import-plan" not in text and "Forbidden" not in text
    assert table_counts() == before


def test_importing_without_a_file_or_with_another_kind_of_file_is_refused(world, admin):
    response = admin.post(url_for("admin.import_plan"), data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "โปรดเลือกไฟล์แผน" in page(response)
    response = upload(admin, "just text", filename="plan.txt")
    assert response.status_code == 400
    assert ".yaml .yml หรือ .xlsx" in page(response)


def test_the_exported_yaml_imports_back_saying_only_no_change(world, admin):
    response = admin.get(url_for("admin.export_plan", plan_id=world.plan.id))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    exported = page(response)
    assert "slug: testorg" in exported and "จัดทำคู่มือ" in exported

    before = table_counts()
    response = upload(admin, exported, filename="exported.yaml")
    assert response.status_code == 200
    text = page(response)
    assert "ไม่มีการเปลี่ยนแปลง" in text
    assert "นำเข้า</button>" not in text and "ตรวจสอบก่อนนำเข้า" not in text
    assert table_counts() == before


def test_an_edited_export_is_previewed_as_changed_then_updates_the_plan_in_place(world, admin):
    exported = page(admin.get(url_for("admin.export_plan", plan_id=world.plan.id)))
    edited = exported.replace("จัดทำคู่มือ", "จัดทำคู่มือการใช้ทรัพย์สิน")
    preview = upload(admin, edited, filename="edited.yaml")
    text = page(preview)
    assert "จะปรับปรุงแผนปีงบประมาณ 2566 ของ เทศบาลตำบลทดสอบ ที่มีอยู่" in text
    [changed] = re.findall(r'<tr class="import-step mark-row-changed">(.*?)</tr>', text, re.S)
    assert "ชื่อ: จัดทำคู่มือ → จัดทำคู่มือการใช้ทรัพย์สิน" in changed
    assert world.step(world.m1, 2).title == "จัดทำคู่มือ"  # not yet
    response = confirm(admin, preview)
    assert response.status_code == 302
    assert "ปรับปรุงแผนปีงบประมาณ 2566 ของ เทศบาลตำบลทดสอบ ตามไฟล์แล้ว 1 รายการ" in page(
        admin.get(response.headers["Location"])
    )
    assert world.step(world.m1, 2).title == "จัดทำคู่มือการใช้ทรัพย์สิน"
    assert db.session.scalar(sa.select(sa.func.count(Plan.id))) == 1
    journal = db.session.scalars(sa.select(JournalEntry).where(JournalEntry.actor_id == world.admin.id)).all()
    assert {(e.entity, e.field, e.old_value, e.new_value) for e in journal if e.entity == "step"} == {
        ("step", "title", "จัดทำคู่มือ", "จัดทำคู่มือการใช้ทรัพย์สิน")
    }
    assert any(e.entity == "plan" and e.action == "import" for e in journal)


def test_the_blank_xlsx_template_downloads_as_a_workbook(world, admin):
    response = admin.get(url_for("admin.plan_template"))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert len(workbook.sheetnames) >= 2


def test_an_xlsx_plan_file_is_accepted(world, admin):
    from tracker.plans.exporter import export_plan_xlsx

    data = export_plan_xlsx(world.plan)
    before = table_counts()
    response = upload(admin, data, filename="แผน 2566.xlsx")
    assert response.status_code == 200, page(response)
    assert "ไม่มีการเปลี่ยนแปลง" in page(response)
    assert table_counts() == before
