"""Who may do what. One place, used by views, services, the CLI and the API.

Members of an organization — admin: everything in its organization ·
manager and viewer: read · owner: change the steps of its own department (or
steps assigned to it).

Oversight users belong to an office, not to a local government, and only
read: provincial (สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด) reads every
organization whose province is its office's province; national (กรมส่งเสริม
การปกครองท้องถิ่น) reads every organization. They change nothing anywhere,
not even in their own office — with one exception: they may import a plan
file for an organization of their scope (`may_import_for`), as an office
that helps a local government set up its plan.

Other organizations' records do not exist for a user: 404 on reads, never a
leak. `readable_organization_ids` is the one decision of "which
organizations"; `can_read_org` answers the same question for one id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from .auth.models import OVERSIGHT_ROLES, Role
from .db import db
from .errors import PermissionDenied
from .extensions import login_manager
from .i18n import _
from .orgs.models import Department, Organization

if TYPE_CHECKING:
    from .auth.models import User
    from .plans.models import Measure, Step


def same_org(user: User, organization_id: int) -> bool:
    return user.organization_id == organization_id


def _logged_in(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_oversight(user: User) -> bool:
    """A provincial or national user: reads across organizations, writes nothing."""
    return _logged_in(user) and user.role in OVERSIGHT_ROLES


def oversight_province(user: User) -> str | None:
    """The province a provincial user oversees: its office's province, stripped.
    None for everyone else, and for a provincial office without a province
    (an empty province must not match every organization left without one)."""
    if not is_oversight(user) or user.role is not Role.provincial:
        return None
    return (user.organization.province or "").strip() or None


def readable_organization_ids(user: User) -> set[int] | None:
    """The organizations `user` may read: None means all of them.

    Members: their own organization. Provincial: every organization of the
    office's province (the office included). National: all (None). Anyone
    not logged in or deactivated: none.
    """
    if not _logged_in(user):
        return set()
    if is_oversight(user) and user.role is Role.national:
        return None
    province = oversight_province(user)
    if province is None:
        return {user.organization_id}
    ids = set(db.session.scalars(sa.select(Organization.id).where(sa.func.trim(Organization.province) == province)))
    return ids | {user.organization_id}


def can_read_org(user: User, organization_id: int) -> bool:
    """`organization_id in readable_organization_ids(user)`, without listing a province."""
    if not _logged_in(user):
        return False
    if same_org(user, organization_id):
        return True
    if not is_oversight(user):
        return False
    if user.role is Role.national:
        return True
    province = oversight_province(user)
    org = db.session.get(Organization, organization_id)
    return province is not None and org is not None and (org.province or "").strip() == province


def is_member(user: User, organization_id: int) -> bool:
    """A working user of the organization: may be given write rights there."""
    return _logged_in(user) and same_org(user, organization_id) and user.role not in OVERSIGHT_ROLES


def may_write(user: User) -> bool:
    """False for oversight users: every change is refused to them (403)."""
    return _logged_in(user) and user.role not in OVERSIGHT_ROLES


def require_writer(user: User) -> None:
    if not may_write(user):
        raise PermissionDenied(_("ผู้ใช้ระดับจังหวัดหรือส่วนกลางดูข้อมูลได้อย่างเดียว แก้ไขไม่ได้"))


def can_edit_step(user: User, step: Step) -> bool:
    return can_edit_step_of(
        user, step.measure.weakness.plan.organization_id, step.owner_department_id, step.assignee_id
    )


def can_edit_step_of(user: User, organization_id: int, owner_department_id: int, assignee_id: int | None) -> bool:
    """`can_edit_step` for a step read as a plain row (its organization, department and assignee)."""
    if not is_member(user, organization_id):
        return False
    if user.role is Role.admin:
        return True
    if user.role is Role.owner:
        return (user.department_id is not None and user.department_id == owner_department_id) or (
            assignee_id == user.id
        )
    return False


def may_change_steps(user: User) -> bool:
    """Admins and owners of an organization change steps (owners only their department's,
    `can_edit_step` decides each); managers, viewers and oversight users do not."""
    return is_member(user, user.organization_id) and user.role in (Role.admin, Role.owner)


def require_step_changer(user: User) -> None:
    require_writer(user)
    if not may_change_steps(user):
        raise PermissionDenied(_("เฉพาะเจ้าหน้าที่ผู้รับผิดชอบและผู้ดูแลระบบเปลี่ยนสถานะขั้นตอนได้"))


def is_department_head(user: User) -> bool:
    """Heads a department of its organization (ผู้อำนวยการกอง, หัวหน้าสำนักปลัด)."""
    return _logged_in(user) and (
        db.session.scalar(
            sa.select(Department.id)
            .where(Department.head_id == user.id, Department.organization_id == user.organization_id)
            .limit(1)
        )
        is not None
    )


def is_org_admin(user: User, organization_id: int) -> bool:
    return is_member(user, organization_id) and user.role is Role.admin


def require_step_editor(user: User, step: Step) -> None:
    if not can_edit_step(user, step):
        dept = step.owner_department.name if step.owner_department else ""
        raise PermissionDenied(_("ขั้นตอนนี้เป็นของ %(dept)s คุณแก้ไขได้เฉพาะขั้นตอนของหน่วยงานตนเอง", dept=dept))


def can_edit_result(user: User, measure: Measure) -> bool:
    """The measure's department's owners and administrators record its follow-up result."""
    if not can_read_org(user, measure.plan.organization_id):
        return False
    if user.role is Role.admin:
        return True
    return (
        user.role is Role.owner and user.department_id is not None and user.department_id == measure.owner_department_id
    )


def require_result_editor(user: User, measure: Measure) -> None:
    if not can_edit_result(user, measure):
        dept = measure.owner_department.name
        raise PermissionDenied(_("ผลการติดตามของมาตรการนี้บันทึกได้เฉพาะ %(dept)s และผู้ดูแลระบบ", dept=dept))


def require_admin(user: User, organization_id: int) -> None:
    if not is_org_admin(user, organization_id):
        raise PermissionDenied(_("เฉพาะผู้ดูแลระบบเท่านั้น"))


def may_import(user: User) -> bool:
    """Plan and ITA score files are imported by administrators (or from the command line)."""
    return user.role is Role.admin


def may_import_plan_for(user: User, organization_id: int) -> bool:
    """A plan file is imported into an organization by its admin, or by an oversight user
    (provincial, national) for an organization of their scope other than their own office."""
    if is_org_admin(user, organization_id):
        return True
    return is_oversight(user) and not same_org(user, organization_id) and can_read_org(user, organization_id)


def plan_import_organizations(user: User) -> list[Organization]:
    """The organizations `user` may import a plan into, by name."""
    if not _logged_in(user):
        return []
    if not is_oversight(user):
        return [user.organization] if is_org_admin(user, user.organization_id) else []
    query = sa.select(Organization).where(Organization.id != user.organization_id).order_by(Organization.name)
    ids = readable_organization_ids(user)
    if ids is not None:
        query = query.where(Organization.id.in_(ids))
    return list(db.session.scalars(query))


def plan_import_guard():
    """`before_request` of the plan import pages: an organization's admin, or an oversight user."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not (is_oversight(current_user) or is_org_admin(current_user, current_user.organization_id)):
        raise PermissionDenied(_("เฉพาะผู้ดูแลระบบ หรือผู้ใช้ระดับจังหวัดหรือส่วนกลาง นำเข้าแผนได้"))
    return None


def require_manageable_user(user: User) -> None:
    """An organization's admin manages its members, never provincial or national
    accounts (a password reset would be a take-over): those are made and changed
    on the command line only."""
    if user.role in OVERSIGHT_ROLES:
        raise PermissionDenied(_("ผู้ใช้ระดับจังหวัดหรือส่วนกลางจัดการได้ด้วยคำสั่งของผู้ดูแลระบบกลางเท่านั้น"))


def may_change_settings_of(actor: User, user: User) -> bool:
    """Notification settings: one's own, or any member's for an admin of the same organization."""
    return actor.id == user.id or (actor.organization_id == user.organization_id and actor.role is Role.admin)


def may_revoke_token(actor: User, token_user_id: int) -> bool:
    """An API token is revoked by its owner only."""
    return actor.id == token_user_id


def admin_pages_guard():
    """`before_request` of admin-only blueprints: log in first, then admins of their own organization."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_admin(current_user, current_user.organization_id)
    return None


def can_manage_frameworks(user: User, organization_id: int | None) -> bool:
    """ITA frameworks: a national user publishes those of every organization (`organization_id`
    None) — instance-wide reference data, the one thing a national user changes; an organization's
    admin loads its own."""
    if not _logged_in(user):
        return False
    if organization_id is None:
        return user.role is Role.national
    return is_org_admin(user, organization_id)


def require_framework_manager(user: User, organization_id: int | None) -> None:
    if not can_manage_frameworks(user, organization_id):
        raise PermissionDenied(
            _("เฉพาะผู้ใช้ระดับส่วนกลางเผยแพร่กรอบการประเมินสำหรับทุกหน่วยงานได้ ผู้ดูแลระบบขององค์กรโหลดกรอบสำหรับองค์กรตนเองได้")
        )
