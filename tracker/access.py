"""Who may do what. One place, used by views, services and (later) the API.

admin: everything in its organization · manager and viewer: read ·
owner: change the steps of its own department (or steps assigned to it).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .auth.models import Role
from .errors import PermissionDenied

if TYPE_CHECKING:
    from .auth.models import User
    from .plans.models import Step


def same_org(user: User, organization_id: int) -> bool:
    return user.organization_id == organization_id


def readable_organization_ids(user: User) -> set[int] | None:
    """The organizations whose records `user` may read (None: all of them); today its own.

    The one place that widens reading (e.g. a provincial role seeing the
    organizations of its province); the API lists and filters through it.
    """
    if not (user.is_authenticated and user.is_active):
        return set()
    return {user.organization_id}


def can_read_org(user: User, organization_id: int) -> bool:
    return user.is_authenticated and user.is_active and same_org(user, organization_id)


def can_edit_step(user: User, step: Step) -> bool:
    org_id = step.measure.weakness.plan.organization_id
    if not can_read_org(user, org_id):
        return False
    if user.role is Role.admin:
        return True
    if user.role is Role.owner:
        return (user.department_id is not None and user.department_id == step.owner_department_id) or (
            step.assignee_id == user.id
        )
    return False


def is_org_admin(user: User, organization_id: int) -> bool:
    return can_read_org(user, organization_id) and user.role is Role.admin


def require_step_editor(user: User, step: Step) -> None:
    if not can_edit_step(user, step):
        dept = step.owner_department.name if step.owner_department else ""
        raise PermissionDenied(
            f"ขั้นตอนนี้เป็นของ {dept} คุณแก้ไขได้เฉพาะขั้นตอนของหน่วยงานตนเอง "
            f"(this step belongs to {dept}; you may change only your own department's steps)"
        )


def require_admin(user: User, organization_id: int) -> None:
    if not is_org_admin(user, organization_id):
        raise PermissionDenied("เฉพาะผู้ดูแลระบบเท่านั้น (administrators only)")
