"""The plan import for a person, not a programmer (issue 11): department names close
to existing ones, removed items, the kept file and its token, the same file again,
oversight users importing for an organization of their scope, and XLSX places.

Written for an organization of its own (not the Ban Pet seed) and for the test world.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from flask import url_for

from tests.conftest import make_user
from tests.test_admin_import import confirm, confirm_fields, page, table_counts, upload
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans import pending
from tracker.plans.exporter import export_plan_xlsx, export_plan_yaml
from tracker.plans.models import JournalEntry, Plan, StepStatus

#: A plan of Nong Ruea (not the seed): its owner "สำนักปลัด" is the existing "สำนักปลัดเทศบาล" shortened.
NONG_RUEA = """\
organization: {name: เทศบาลตำบลหนองเรือ, slug: nongruea, province: ขอนแก่น}
fiscal_year: 2568
title: มาตรการส่งเสริมคุณธรรมและความโปร่งใส ประจำปีงบประมาณ พ.ศ. ๒๕๖๘
weaknesses:
  - title: การเปิดเผยข้อมูลสาธารณะ
    measures:
      - title: เผยแพร่แผนการจัดซื้อจัดจ้าง
        owner: สำนักปลัด
        period: ต.ค. ๒๕๖๗ - ธ.ค. ๒๕๖๗
        steps:
          - รวบรวมแผนการจัดซื้อจัดจ้าง
          - {title: เผยแพร่บนเว็บไซต์, owner: กองคลัง}
"""


@pytest.fixture
def nongruea(world):
    org = Organization(name="เทศบาลตำบลหนองเรือ", slug="nongruea", province="ขอนแก่น")
    db.session.add_all([org, Department(organization=org, name="สำนักปลัดเทศบาล")])
    admin = make_user(org, "admin@nongruea.go.th", Role.admin)
    db.session.commit()
    return org, admin


def departments(org) -> list[str]:
    return sorted(db.session.scalars(sa.select(Department.name).where(Department.organization_id == org.id)))


def test_a_close_department_name_is_flagged_and_mapped_to_the_existing_one_by_default(nongruea, login):
    org, admin = nongruea
    client = login(admin)
    preview = upload(client, NONG_RUEA)
    text = page(preview)
    assert "ชื่อหน่วยงานคล้ายกับหน่วยงานที่มีอยู่ 1 ชื่อ" in text
    assert "หน่วยงาน “สำนักปลัด” ในไฟล์" in text
    assert "ใช้หน่วยงานที่มีอยู่ “สำนักปลัดเทศบาล”" in text and "สร้างหน่วยงานใหม่ “สำนักปลัด”" in text
    assert "(ในไฟล์: สำนักปลัด)" in text  # the preview shows the mapped owner
    assert "กองคลัง" in text and "สร้างหน่วยงานใหม่ “กองคลัง”" not in text  # not close to anything: created
    assert confirm(client, preview).status_code == 302
    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == org.id))
    assert [s.owner_department.name for s in plan.measures[0].steps] == ["สำนักปลัดเทศบาล", "กองคลัง"]
    assert departments(org) == ["กองคลัง", "สำนักปลัดเทศบาล"]


def test_choosing_to_create_the_close_name_creates_a_new_department(nongruea, login):
    org, admin = nongruea
    client = login(admin)
    assert confirm(client, upload(client, NONG_RUEA), department_0="new").status_code == 302
    assert departments(org) == ["กองคลัง", "สำนักปลัด", "สำนักปลัดเทศบาล"]
    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == org.id))
    assert plan.measures[0].owner_department.name == "สำนักปลัด"


def test_a_choice_that_is_not_offered_is_refused_and_nothing_is_written(nongruea, login):
    org, admin = nongruea
    client = login(admin)
    preview = upload(client, NONG_RUEA)
    before = table_counts()
    response = confirm(client, preview, department_0="something-else")
    assert response.status_code == 400
    assert "เลือกการจับคู่หน่วยงานไม่ถูกต้อง" in page(response)
    assert table_counts() == before
    assert confirm(client, preview).status_code == 302  # the kept file still waits


def test_the_same_file_again_says_only_no_change_and_writes_no_journal(nongruea, login):
    org, admin = nongruea
    client = login(admin)
    assert confirm(client, upload(client, NONG_RUEA)).status_code == 302
    before = table_counts()
    kept = db.session.scalar(sa.select(sa.func.count(pending.PendingImport.id)))
    response = upload(client, NONG_RUEA)
    assert response.status_code == 200
    text = page(response)
    assert "ไม่มีการเปลี่ยนแปลง" in text
    assert "mark-changed" not in text and "ตรวจสอบก่อนนำเข้า" not in text
    assert table_counts() == before  # JournalEntry included
    assert db.session.scalar(sa.select(sa.func.count(pending.PendingImport.id))) == kept


def test_removed_steps_and_measures_are_marked_removed(world, login):
    client = login(world.admin)
    exported = export_plan_yaml(world.plan)
    # Drop the third step of measure 1 and move a due date of measure 2.
    shortened = exported.replace("- title: รายงานผลการดำเนินงาน", "- title: รายงานผลการดำเนินงานประจำปี", 1)
    data = re.sub(r"\n\s+- title: รายงานผลการดำเนินงานประจำปี\n(\s+(?!- )\w+:.*\n)*", "\n", shortened, count=1)
    text = page(upload(client, data))
    removed = re.findall(r'<tr class="import-step mark-row-removed">(.*?)</tr>', text, re.S)
    assert len(removed) == 1 and "รายงานผลการดำเนินงาน" in removed[0] and "ลบ" in removed[0]
    assert "29 ก.ย. 2566" in removed[0]


def test_a_changed_due_date_says_from_and_to_in_be(world, login):
    client = login(world.admin)
    exported = export_plan_yaml(world.plan)
    assert "due: 2023-08-15" in exported
    text = page(upload(client, exported.replace("due: 2023-08-15", "due: 2023-08-31")))
    [row] = re.findall(r'<tr class="import-step mark-row-changed">(.*?)</tr>', text, re.S)
    assert "ทดสอบการใช้งานระบบ" in row and "วันครบกำหนด: 15 ส.ค. 2566 → 31 ส.ค. 2566" in row


def test_a_forged_or_used_token_is_refused_in_thai_and_nothing_is_written(world, login):
    client = login(world.admin)
    exported = export_plan_yaml(world.plan).replace("จัดทำคู่มือ", "จัดทำคู่มือใหม่")
    preview = upload(client, exported)
    fields = confirm_fields(page(preview))
    before = table_counts()
    forged = client.post(url_for("admin.import_confirm"), data={**fields, "token": "x" * 43})
    assert forged.status_code == 400
    assert "ไม่พบไฟล์ที่ตรวจสอบไว้" in page(forged)
    assert table_counts() == before
    assert confirm(client, preview).status_code == 302
    again = confirm(client, preview)
    assert again.status_code == 400 and "ไม่พบไฟล์ที่ตรวจสอบไว้" in page(again)


def test_an_expired_token_is_refused(world, login):
    client = login(world.admin)
    preview = upload(client, export_plan_yaml(world.plan).replace("จัดทำคู่มือ", "จัดทำคู่มือใหม่"))
    row = db.session.scalar(sa.select(pending.PendingImport))
    row.expires_at = row.created_at - timedelta(minutes=1)
    db.session.commit()
    before = table_counts()
    response = confirm(client, preview)
    assert response.status_code == 400 and "ไฟล์ที่ตรวจสอบไว้หมดอายุแล้ว" in page(response)
    assert table_counts() == before


def test_a_token_is_bound_to_its_user_and_organization(world, nongruea, login):
    org, other_admin = nongruea
    client = login(world.admin)
    fields = confirm_fields(page(upload(client, export_plan_yaml(world.plan).replace("จัดทำคู่มือ", "คู่มือ"))))
    second_admin = make_user(world.org, "admin2@test.go.th", Role.admin)
    db.session.commit()
    for user, organization in ((second_admin, fields["organization"]), (other_admin, str(org.id))):
        other = login(user)
        response = other.post(url_for("admin.import_confirm"), data={**fields, "organization": organization})
        assert response.status_code == 400 and "ไม่พบไฟล์ที่ตรวจสอบไว้" in page(response)
    assert world.step(world.m1, 2).title == "จัดทำคู่มือ"


def oversight(role: Role, province: str = "ขอนแก่น"):
    office = Organization(name=f"สำนักงาน {role.value}", slug=f"office-{role.value}", province=province)
    db.session.add(office)
    user = make_user(office, f"{role.value}@office.go.th", role)
    db.session.commit()
    return user


@pytest.mark.parametrize("role", [Role.provincial, Role.national])
def test_an_oversight_user_imports_a_plan_for_an_organization_of_its_scope(nongruea, login, role):
    org, _admin = nongruea
    client = login(oversight(role))
    form = client.get(url_for("admin.import_plan"))
    assert form.status_code == 200
    text = page(form)
    assert (
        "องค์กรที่จะนำเข้าแผน" in text
        and "เทศบาลตำบลหนองเรือ" in text
        and "สำนักงาน" not in text.split("f-organization")[1].split("</select>")[0]
    )
    # The organization's page (the oversight view) leads to the form with the organization chosen.
    link = url_for("admin.import_plan", organization=org.id)
    assert link in page(client.get(url_for("province.organization", organization_id=org.id)))
    assert f'<option selected value="{org.id}">' in page(client.get(link))
    preview = upload(client, NONG_RUEA, organization=str(org.id))
    assert "จะสร้างแผนปีงบประมาณ 2568 ของ เทศบาลตำบลหนองเรือ ใหม่" in page(preview)
    response = confirm(client, preview)
    assert response.status_code == 302
    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == org.id))
    assert response.headers["Location"].endswith(url_for("plans.dashboard", plan_id=plan.id))
    entry = db.session.scalar(
        sa.select(JournalEntry).where(JournalEntry.entity == "plan", JournalEntry.entity_id == plan.id)
    )
    assert entry.organization_id == org.id and entry.actor_id is not None


def test_an_oversight_user_must_choose_and_match_the_organization(nongruea, world, login):
    org, _admin = nongruea
    client = login(oversight(Role.provincial))
    before = table_counts()
    response = upload(client, NONG_RUEA)
    assert response.status_code == 400 and "โปรดเลือกองค์กรที่จะนำเข้าแผน" in page(response)
    response = upload(client, NONG_RUEA, organization=str(world.org.id))
    assert response.status_code == 400
    assert "ไฟล์นี้เป็นแผนของรหัสองค์กร “nongruea” แต่เลือกนำเข้าให้ เทศบาลตำบลทดสอบ" in page(response)
    assert table_counts() == before


def test_a_provincial_user_cannot_import_outside_its_province(nongruea, login):
    org, _admin = nongruea
    client = login(oversight(Role.provincial, province="เชียงใหม่"))
    assert "เทศบาลตำบลหนองเรือ" not in page(client.get(url_for("admin.import_plan")))
    before = table_counts()
    response = upload(client, NONG_RUEA, organization=str(org.id))
    assert response.status_code == 400 and "ไม่พบองค์กรที่เลือก" in page(response)
    assert table_counts() == before


def test_oversight_users_still_reach_no_other_admin_page(world, login):
    client = login(oversight(Role.national))
    refused = client.get(url_for("admin.index"))
    assert refused.status_code == 403 and "เฉพาะผู้ดูแลระบบ" in page(refused)
    template = client.get(url_for("admin.plan_template"))
    assert template.status_code == 200 and template.data[:2] == b"PK"  # the blank workbook itself


def test_xlsx_problems_say_the_place_in_words_with_sheet_row_and_column(world, login):
    client = login(world.admin)
    workbook = openpyxl.load_workbook(io.BytesIO(export_plan_xlsx(world.plan)))
    sheet = workbook["ขั้นตอน (steps)"]
    headers = [c.value for c in sheet[1]]
    due = headers.index("วันครบกำหนด (due)") + 1
    sheet.cell(row=3, column=due, value="31/02/2566")
    out = io.BytesIO()
    workbook.save(out)
    response = upload(client, out.getvalue(), filename="plan.xlsx")
    assert response.status_code == 400
    text = page(response)
    assert "ประเด็นที่ 1 › มาตรการที่ 1 › ขั้นตอนที่ 2 › วันครบกำหนด (แผ่นงาน “ขั้นตอน (steps)” แถว 3 คอลัมน์" in text


def test_a_title_change_confirmed_later_keeps_the_status_the_step_reached_meanwhile(world, login):
    client = login(world.admin)
    exported = export_plan_yaml(world.plan).replace("จัดทำคู่มือ", "คู่มือ")
    preview = upload(client, exported)
    step = world.step(world.m1, 2)
    step.status = StepStatus.in_progress
    db.session.commit()
    response = confirm(client, preview)
    assert response.status_code == 302  # a title change keeps the status: allowed
    assert world.step(world.m1, 2).status is StepStatus.in_progress
