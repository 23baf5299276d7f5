"""Admins manage the people and departments of their organization.

Users are created with a password that meets the policy, edited, given a new
password, and deactivated (never deleted: the journal names them). An
organization never loses its last active admin. Every change is journaled
with old → new, and no password or hash ever reaches the journal.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import url_for

from tests.conftest import PASSWORD, make_user
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans.models import JournalEntry

NEW_PASSWORD = "ban-pet-2567"


def page(response) -> str:
    return response.get_data(as_text=True)


def journal(entity: str, entity_id: int, field: str | None = None) -> list[JournalEntry]:
    query = sa.select(JournalEntry).where(JournalEntry.entity == entity, JournalEntry.entity_id == entity_id)
    if field is not None:
        query = query.where(JournalEntry.field == field)
    return list(db.session.scalars(query.order_by(JournalEntry.id)))


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


@pytest.fixture
def admin(world, login):
    return login(world.admin)


def new_user_form(**overrides: str) -> dict[str, str]:
    form = {
        "email": "Somjai@BanPet.go.th",
        "display_name": "นางสาวสมใจ ใจดี",
        "position": "นักวิเคราะห์นโยบายและแผน",
        "role": "owner",
        "department": "",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    form.update(overrides)
    return form


# -- users ------------------------------------------------------------------------


def test_the_user_list_shows_role_department_and_whether_active(world, admin):
    world.viewer.active = False
    db.session.commit()
    text = page(admin.get(url_for("admin.users")))
    assert "เจ้าหน้าที่สำนักปลัด" in text and "เจ้าหน้าที่ผู้รับผิดชอบ" in text
    assert world.palad.name in text
    assert "ปิดการใช้งาน" in text


def test_an_admin_creates_a_user_who_can_then_log_in(world, admin, client):
    response = admin.post(url_for("admin.user_new"), data=new_user_form(department=str(world.strategy.id)))
    assert response.status_code == 302
    user = user_by_email("somjai@banpet.go.th")
    assert user is not None and user.role is Role.owner and user.department == world.strategy
    assert user.organization == world.org and user.position == "นักวิเคราะห์นโยบายและแผน"
    [created] = journal("user", user.id)
    assert (created.action, created.new_value, created.actor_id) == ("create", "somjai@banpet.go.th", world.admin.id)

    client.post("/logout")
    response = client.post("/login", data={"email": "somjai@banpet.go.th", "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_a_weak_password_is_refused_and_the_form_kept_without_it(world, admin):
    form = new_user_form(department=str(world.palad.id), password="short1", password_confirm="short1")
    response = admin.post(url_for("admin.user_new"), data=form)
    assert response.status_code == 400
    text = page(response)
    assert "รหัสผ่านต้องมีอย่างน้อย 8 ตัวอักษร" in text
    assert 'value="นางสาวสมใจ ใจดี"' in text and "short1" not in text
    assert user_by_email("somjai@banpet.go.th") is None


def test_a_duplicate_email_is_refused_whatever_its_case(world, admin):
    response = admin.post(
        url_for("admin.user_new"), data=new_user_form(email="PALAD.Owner@test.go.th", department=str(world.palad.id))
    )
    assert response.status_code == 400
    assert "มีผู้ใช้อีเมล palad.owner@test.go.th อยู่แล้ว" in page(response)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5


def test_an_owner_needs_a_department(world, admin):
    response = admin.post(url_for("admin.user_new"), data=new_user_form(department=""))
    assert response.status_code == 400
    assert "ต้องสังกัดหน่วยงาน" in page(response)


def test_mistyped_password_confirmation_is_refused(world, admin):
    response = admin.post(
        url_for("admin.user_new"), data=new_user_form(department=str(world.palad.id), password_confirm="other-pass-1")
    )
    assert response.status_code == 400
    assert "ไม่ตรงกัน" in page(response)


def test_editing_a_user_is_journaled_old_to_new(world, admin):
    response = admin.post(
        url_for("admin.user", user_id=world.viewer.id),
        data={
            "display_name": "นายผู้ดู ข้อมูล",
            "position": "ปลัดเทศบาล",
            "role": "manager",
            "department": str(world.palad.id),
            "active": "on",
        },
    )
    assert response.status_code == 302
    entries = {e.field: (e.old_value, e.new_value) for e in journal("user", world.viewer.id)}
    assert entries == {
        "display_name": ("ผู้ดู", "นายผู้ดู ข้อมูล"),
        "position": ("", "ปลัดเทศบาล"),
        "role": ("viewer", "manager"),
        "department": (None, world.palad.name),
    }
    assert world.viewer.role is Role.manager and world.viewer.department == world.palad


def test_an_admin_sets_a_new_password_and_the_journal_keeps_no_trace_of_it(world, admin, client):
    old_hash = world.owner_palad.password_hash
    response = admin.post(
        url_for("admin.user_password", user_id=world.owner_palad.id),
        data={"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    [reset] = journal("user", world.owner_palad.id)
    assert (reset.action, reset.field, reset.old_value, reset.new_value) == ("password_reset", "password", None, None)
    everything = " ".join(f"{e.old_value} {e.new_value} {e.note}" for e in db.session.scalars(sa.select(JournalEntry)))
    assert NEW_PASSWORD not in everything and old_hash not in everything
    assert world.owner_palad.password_hash not in everything

    client.post("/logout")
    assert client.post("/login", data={"email": world.owner_palad.email, "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": world.owner_palad.email, "password": NEW_PASSWORD}).status_code == 302


def test_a_weak_new_password_is_refused(world, admin):
    response = admin.post(
        url_for("admin.user_password", user_id=world.owner_palad.id),
        data={"new_password": "password", "new_password_confirm": "password"},
    )
    assert response.status_code == 400
    assert world.owner_palad.check_password(PASSWORD)
    assert journal("user", world.owner_palad.id) == []


def test_a_deactivated_user_cannot_log_in_and_is_kept(world, admin, client):
    response = admin.post(url_for("admin.user_active", user_id=world.owner_palad.id), data={"active": "0"})
    assert response.status_code == 302
    [entry] = journal("user", world.owner_palad.id, "active")
    assert (entry.old_value, entry.new_value) == ("True", "False")
    assert user_by_email(world.owner_palad.email).active is False

    client.post("/logout")
    assert client.post("/login", data={"email": world.owner_palad.email, "password": PASSWORD}).status_code == 401

    login_admin = client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    assert login_admin.status_code == 302
    assert (
        client.post(url_for("admin.user_active", user_id=world.owner_palad.id), data={"active": "1"}).status_code == 302
    )
    assert user_by_email(world.owner_palad.email).active is True


@pytest.mark.parametrize("change", ["demote", "deactivate_form", "deactivate_button"])
def test_the_last_active_admin_cannot_demote_or_deactivate_themself(world, admin, change):
    if change == "deactivate_button":
        response = admin.post(url_for("admin.user_active", user_id=world.admin.id), data={"active": "0"})
    else:
        response = admin.post(
            url_for("admin.user", user_id=world.admin.id),
            data={
                "display_name": world.admin.display_name,
                "position": "",
                "department": "",
                "role": "manager" if change == "demote" else "admin",
                "active": "on" if change == "demote" else "",
            },
        )
    assert response.status_code == 400
    assert "ผู้ดูแลระบบคนสุดท้าย" in page(response)
    assert world.admin.role is Role.admin and world.admin.active
    assert journal("user", world.admin.id) == []


def test_with_another_active_admin_an_admin_may_step_down(world, admin):
    world.manager.role = Role.admin
    db.session.commit()
    response = admin.post(
        url_for("admin.user", user_id=world.admin.id),
        data={
            "display_name": world.admin.display_name,
            "position": "",
            "department": "",
            "role": "manager",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert world.admin.role is Role.manager


def test_an_inactive_admin_does_not_count_as_another_admin(world, admin):
    make_user(world.org, "old.admin@test.go.th", Role.admin).active = False
    db.session.commit()
    response = admin.post(url_for("admin.user_active", user_id=world.admin.id), data={"active": "0"})
    assert response.status_code == 400


def test_an_admin_of_one_organization_does_not_keep_another_organization_administered(world, admin):
    other = Organization(name="เทศบาลอื่น", slug="other-town")
    db.session.add(other)
    make_user(other, "admin@other-town.go.th", Role.admin)
    db.session.commit()
    response = admin.post(url_for("admin.user_active", user_id=world.admin.id), data={"active": "0"})
    assert response.status_code == 400


# -- departments ----------------------------------------------------------------------


def test_an_admin_creates_a_department_with_mailbox_and_head(world, admin):
    response = admin.post(
        url_for("admin.department_new"),
        data={
            "name": "กองคลัง",
            "email": "Finance@BanPet.go.th",
            "head": str(world.manager.id),
        },
    )
    assert response.status_code == 302
    department = db.session.scalar(sa.select(Department).where(Department.name == "กองคลัง"))
    assert department.email == "finance@banpet.go.th" and department.head == world.manager
    assert department.organization == world.org
    assert [(e.action, e.new_value) for e in journal("department", department.id)] == [("create", "กองคลัง")]


def test_renaming_a_department_and_changing_its_mailbox_and_head_is_journaled(world, admin):
    response = admin.post(
        url_for("admin.department", department_id=world.palad.id),
        data={
            "name": "สำนักปลัด",
            "email": "",
            "head": str(world.owner_palad.id),
        },
    )
    assert response.status_code == 302
    entries = {e.field: (e.old_value, e.new_value) for e in journal("department", world.palad.id)}
    assert entries == {
        "name": ("สำนักปลัดเทศบาล", "สำนักปลัด"),
        "email": ("palad@example.go.th", None),
        "head": (None, world.owner_palad.display_name),
    }
    text = page(admin.get(url_for("admin.department", department_id=world.palad.id)))
    assert "สำนักปลัดเทศบาล" in text  # the history shows the old name


def test_a_department_name_must_be_unique_in_the_organization(world, admin):
    response = admin.post(
        url_for("admin.department", department_id=world.palad.id),
        data={"name": world.strategy.name, "email": "palad@example.go.th", "head": ""},
    )
    assert response.status_code == 400
    assert "มีหน่วยงานชื่อ" in page(response)
    assert world.palad.name == "สำนักปลัดเทศบาล"


def test_a_bad_department_mailbox_is_refused(world, admin):
    response = admin.post(url_for("admin.department_new"), data={"name": "กองช่าง", "email": "not an email"})
    assert response.status_code == 400
    assert "อีเมลไม่ถูกต้อง" in page(response)
    assert 'value="กองช่าง"' in page(response)
    assert db.session.scalar(sa.select(Department).where(Department.name == "กองช่าง")) is None


def test_a_department_head_must_be_a_user_of_the_organization(world, admin):
    other = Organization(name="เทศบาลอื่น", slug="other-town")
    db.session.add(other)
    stranger = make_user(other, "head@other-town.go.th", Role.manager)
    db.session.commit()
    response = admin.post(
        url_for("admin.department", department_id=world.palad.id),
        data={"name": world.palad.name, "email": "", "head": str(stranger.id)},
    )
    assert response.status_code == 400
    assert world.palad.head_id is None
