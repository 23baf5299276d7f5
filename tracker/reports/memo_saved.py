"""What is kept of the O42 memo between edits: its header (ส่วนราชการ, ที่, วันที่,
เรียน) and the officer's findings per ITA tool, in `AnalysisMemo`, edited with
`save_memo` (journaled, entity "analysis_memo"); empty fields get sensible defaults.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa

from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..journal import apply_changes, record
from ..orgs.models import Department, Organization
from ..plans.models import Plan
from .followup import default_signatories
from .memo_document import FINDINGS_LIMIT
from .models import AnalysisMemo

__all__ = [
    "get_memo",
    "findings_of",
    "save_memo",
    "default_office",
    "default_addressee",
]


def get_memo(plan: Plan) -> AnalysisMemo | None:
    return db.session.scalar(sa.select(AnalysisMemo).where(AnalysisMemo.plan_id == plan.id))


def findings_of(memo: AnalysisMemo | None) -> dict[str, str]:
    """Tool code → the officer's text; a damaged JSON value reads as no findings."""
    if memo is None or not memo.findings_json:
        return {}
    try:
        data = json.loads(memo.findings_json)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str) and v.strip()}


def _clean(value: str | None, what: str, english: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ServiceError(f"{what}ยาวเกิน {limit} ตัวอักษร (the {english} is longer than {limit} characters)")
    return value


def save_memo(
    plan: Plan,
    actor: User | None,
    now: datetime,
    *,
    office: str | None = None,
    reference: str | None = None,
    memo_date: date | None | str = "",
    addressee: str | None = None,
    findings: dict[str, str] | None = None,
) -> list[str]:
    """Change the memo's header and findings; None leaves a field alone
    (`memo_date`: "" leaves it, None clears it). Returns the changed fields,
    each journaled with its old and new value."""
    memo = get_memo(plan)
    created = memo is None
    if memo is None:
        memo = AnalysisMemo(plan_id=plan.id, office="", reference="", addressee="", findings_json="{}")
        db.session.add(memo)
        db.session.flush()
        record(
            organization_id=plan.organization_id,
            entity="analysis_memo",
            entity_id=memo.id,
            action="create",
            actor=actor,
            note=f"บันทึกการวิเคราะห์ผล ITA ของแผนปีงบประมาณ {plan.fiscal_year}",
            at=now,
        )
    changes: list[tuple[str, object, object]] = []
    if office is not None:
        changes.append(("office", memo.office or "", _clean(office, "ส่วนราชการ", "office", 1000)))
    if reference is not None:
        changes.append(("reference", memo.reference or "", _clean(reference, "เลขที่หนังสือ", "reference", 100)))
    if addressee is not None:
        changes.append(("addressee", memo.addressee or "", _clean(addressee, "เรียน", "addressee", 200)))
    if memo_date != "":
        if memo_date is not None and not isinstance(memo_date, date):
            raise ServiceError("วันที่ของบันทึกไม่ถูกต้อง (the memo date is not a date)")
        changes.append(("memo_date", memo.memo_date, memo_date))
    changed = apply_changes(
        memo,
        [(name, old, new) for name, old, new in changes if old != new],
        organization_id=plan.organization_id,
        entity="analysis_memo",
        actor=actor,
        at=now,
        journal_as=lambda _field, value: value or None,
    )
    if findings is not None:
        current = findings_of(memo)
        updated = dict(current)
        for code, text in findings.items():
            text = _clean(text, f"ข้อค้นพบด้าน {code}", f"{code} findings", FINDINGS_LIMIT)
            if text:
                updated[code] = text
            else:
                updated.pop(code, None)
        for code in sorted(set(current) | set(updated)):
            if current.get(code) != updated.get(code):
                record(
                    organization_id=plan.organization_id,
                    entity="analysis_memo",
                    entity_id=memo.id,
                    action="edit",
                    actor=actor,
                    field=f"findings.{code}",
                    old=current.get(code),
                    new=updated.get(code),
                    at=now,
                )
                changed.append(f"findings.{code}")
        memo.findings_json = json.dumps(updated, ensure_ascii=False, sort_keys=True)
    db.session.flush()
    if created and not changed:
        changed.append("created")
    return changed


def default_office(plan: Plan) -> str:
    """The plan admin's department and the organization, e.g. "กองยุทธศาสตร์และงบประมาณ เทศบาลตำบล…"."""
    admin, _ = default_signatories(plan.organization_id)
    department: Department | None = admin.department if admin is not None else None
    organization = plan.organization.name
    return f"{department.name} {organization}" if department is not None else organization


def default_addressee(organization: Organization) -> str:
    """The head of the local government: นายกเทศมนตรีตำบล… for a เทศบาลตำบล…, นายกองค์การบริหารส่วนตำบล… ."""
    name = organization.name.strip()
    if name.startswith("เทศบาล"):
        return "นายกเทศมนตรี" + name[len("เทศบาล") :]
    if name.startswith("องค์การบริหารส่วน"):
        return "นายก" + name
    return f"ผู้บริหาร{name}"


def _reporting_unit(office: str, organization: str) -> str:
    """Who reports in ๒. ข้อเท็จจริง: the กอง/สำนัก of the ส่วนราชการ line (its last one)."""
    units = [word for word in office.split() if word.startswith(("กอง", "สำนัก"))]
    return units[-1] if units else (office or organization)
