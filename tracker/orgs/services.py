"""Departments of an organization: create and edit, journaled; services flush, never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from ..auth.models import User
from ..auth.services import normalize_email
from ..db import db
from ..errors import ServiceError, clean_text
from ..journal import Change, apply_changes, changed, record
from .models import Department, Organization


def _department_email(email: str | None) -> str | None:
    email = (email or "").strip()
    return normalize_email(email) if email else None


def _check_head(head: User | None, organization_id: int) -> None:
    if head is not None and head.organization_id != organization_id:
        raise ServiceError("หัวหน้าหน่วยงานต้องเป็นผู้ใช้ขององค์กรนี้ (the head must be a user of this organization)")
    if head is not None and not head.active:
        raise ServiceError(f"ผู้ใช้ {head.display_name} ถูกปิดการใช้งานแล้ว (the head is deactivated)")


def _check_department_name(organization: Organization, name: str, exclude_id: int | None = None) -> str:
    name = clean_text(name, "ชื่อหน่วยงาน", "name", limit=200)
    query = sa.select(Department.id).where(Department.organization_id == organization.id, Department.name == name)
    if exclude_id is not None:
        query = query.where(Department.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ServiceError(f"มีหน่วยงานชื่อ {name} อยู่แล้ว (a department with this name exists)")
    return name


def create_department(
    organization: Organization,
    actor: User | None,
    now: datetime,
    *,
    name: str,
    email: str | None = None,
    head: User | None = None,
) -> Department:
    name = _check_department_name(organization, name)
    email = _department_email(email)
    _check_head(head, organization.id)
    department = Department(organization=organization, name=name, email=email, head=head)
    db.session.add(department)
    db.session.flush()
    record(
        organization_id=organization.id,
        entity="department",
        entity_id=department.id,
        action="create",
        actor=actor,
        field="name",
        new=name,
        at=now,
    )
    db.session.flush()
    return department


def edit_department(
    department: Department,
    actor: User | None,
    now: datetime,
    *,
    name: str | None = None,
    email: str | None = None,
    head: User | None | Literal[False] = False,
) -> list[str]:
    """`email=""` clears the mailbox; `head=None` clears the head, `False` leaves it."""
    org = department.organization
    changes: list[Change] = []
    if name is not None:
        changed(changes, "name", department.name, _check_department_name(org, name, exclude_id=department.id))
    if email is not None:
        new_email = _department_email(email)
        if new_email != department.email:
            changes.append(("email", department.email, new_email))
    if head is not False and (head.id if head else None) != department.head_id:
        _check_head(head, org.id)
        changes.append(("head", department.head, head))
    return apply_changes(department, changes, organization_id=org.id, entity="department", actor=actor, at=now)
