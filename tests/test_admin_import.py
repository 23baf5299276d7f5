"""Admins load a plan by uploading its file (YAML or XLSX) at /admin/plans/import.

A preview runs the whole import and writes nothing; a broken file lists every
problem with its place, answers 400 and writes nothing; a file of another
organization is refused with 403 (new organizations come from the command
line only). The plan can be downloaded again as YAML, and the blank XLSX form
is offered for officers who prefer a spreadsheet.
"""

from __future__ import annotations

import io
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


def upload(client, text: str | bytes, filename: str = "plan.yaml", mode: str = "import", **extra):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        url_for("admin.import_plan"),
        data={"file": (io.BytesIO(data), filename), "mode": mode, **extra},
        content_type="multipart/form-data",
    )


def table_counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Organization, Department, Plan, Weakness, Measure, Step, JournalEntry)
    }


@pytest.fixture
def admin(world, login):
    return login(world.admin)


def test_a_good_file_creates_the_plan_and_its_dashboard_works(world, admin):
    response = upload(admin, GOOD_PLAN)
    assert response.status_code == 200
    text = page(response)
    assert "นำเข้า plan.yaml แล้ว" in text and "นำเข้าแผนปีงบประมาณ 2567 แล้ว" in text

    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == world.org.id, Plan.fiscal_year == 2567))
    assert plan is not None
    [measure] = plan.measures
    assert (measure.period_start, measure.period_end) == (date(2023, 10, 1), date(2024, 3, 31))
    assert measure.owner_department.name == "กองคลัง"
    assert [(s.order, s.owner_department.name) for s in measure.steps] == [
        (1, "กองคลัง"),
        (2, "กองคลัง"),
        (3, "สำนักปลัดเทศบาล"),
    ]
    assert measure.steps[1].due_date == date(2024, 1, 15)
    assert measure.steps[2].due_date <= date(2024, 3, 31)
    assert all(measure.period_start <= s.due_date <= measure.period_end for s in measure.steps)

    dashboard = url_for("plans.dashboard", plan_id=plan.id)
    assert dashboard in text
    shown = admin.get(dashboard)
    assert shown.status_code == 200 and "เผยแพร่บนเว็บไซต์" in page(shown)


def test_a_preview_shows_what_would_happen_and_writes_nothing(world, admin):
    before = table_counts()
    response = upload(admin, GOOD_PLAN, mode="preview")
    assert response.status_code == 200
    text = page(response)
    assert "ยังไม่ได้บันทึก" in text and "กองคลัง" in text
    assert table_counts() == before


def test_a_broken_file_lists_every_problem_with_its_place_and_writes_nothing(world, admin):
    before = table_counts()
    response = upload(admin, BROKEN_PLAN, filename="broken.yml")
    assert response.status_code == 400
    text = page(response)
    assert "ยังไม่ได้บันทึกสิ่งใด" in text
    assert "weaknesses[1].measures[1].owner" in text
    assert "weaknesses[1].measures[1].period" in text
    assert "weaknesses[1].measures[2].steps[1].due" in text
    assert text.count("<tr><td>") >= 3
    assert table_counts() == before


def test_a_broken_file_writes_nothing_even_in_preview(world, admin):
    before = table_counts()
    assert upload(admin, BROKEN_PLAN, mode="preview").status_code == 400
    assert table_counts() == before


def test_a_file_of_another_organization_is_refused_with_403(world, admin):
    other = Organization(name="เทศบาลอื่น", slug="othertown", province="ขอนแก่น")
    db.session.add(other)
    db.session.commit()
    before = table_counts()
    response = upload(admin, GOOD_PLAN.replace("slug: testorg", "slug: othertown"))
    assert response.status_code == 403
    assert "othertown" in page(response) and "องค์กรตนเอง" in page(response)
    assert table_counts() == before


def test_an_org_admin_cannot_create_a_new_organization_by_upload(world, admin):
    before = table_counts()
    response = upload(admin, GOOD_PLAN.replace("slug: testorg", "slug: brandnew"), mode="preview")
    assert response.status_code == 403
    assert "tracker import-plan" in page(response)
    assert table_counts() == before


def test_importing_without_a_file_or_with_another_kind_of_file_is_refused(world, admin):
    response = admin.post(url_for("admin.import_plan"), data={"mode": "import"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "โปรดเลือกไฟล์แผน" in page(response)
    response = upload(admin, "just text", filename="plan.txt")
    assert response.status_code == 400
    assert ".yaml .yml หรือ .xlsx" in page(response)


def test_the_exported_yaml_imports_back_without_changes(world, admin):
    response = admin.get(url_for("admin.export_plan", plan_id=world.plan.id))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    exported = page(response)
    assert "slug: testorg" in exported and "จัดทำคู่มือ" in exported

    before = table_counts()
    response = upload(admin, exported, filename="exported.yaml", mode="preview")
    assert response.status_code == 200
    assert "ไม่มีการเปลี่ยนแปลง" in page(response)
    assert table_counts() == before


def test_an_edited_export_updates_the_plan_in_place(world, admin):
    exported = page(admin.get(url_for("admin.export_plan", plan_id=world.plan.id)))
    edited = exported.replace("จัดทำคู่มือ", "จัดทำคู่มือการใช้ทรัพย์สิน")
    response = upload(admin, edited, filename="edited.yaml")
    assert response.status_code == 200
    assert "ปรับปรุงแผนปีงบประมาณ 2566" in page(response)
    assert world.step(world.m1, 2).title == "จัดทำคู่มือการใช้ทรัพย์สิน"
    assert db.session.scalar(sa.select(sa.func.count(Plan.id))) == 1


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
    response = upload(admin, data, filename="แผน 2566.xlsx", mode="preview")
    assert response.status_code == 200, page(response)
    assert "ไม่มีการเปลี่ยนแปลง" in page(response)
    assert table_counts() == before
