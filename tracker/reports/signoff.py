"""Report sign-off: an admin sends a report up a chain of managers, who
acknowledge it one after the other with a comment — the routing the paper
memo went through (ผอ.กอง → ปลัด → รองปลัด → รองนายก → นายก: "ทราบ/ดำเนินการ",
"ดำเนินการตามระเบียบ").

Rules:

* only an admin of the plan's organization submits or withdraws;
* the chain is a list of active managers of that organization, in the order
  the admin chose, each at most once;
* only the next manager in the chain may acknowledge; anyone else gets
  `PermissionDenied` naming whose turn it is;
* after the last acknowledgement the submission is `acknowledged`; a
  pending one may be withdrawn; at most one pending submission per report
  (plan, kind and, for the follow-up report, the as-of date).

Every change is journaled (entity "report_submission"). Services flush and
never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from .. import thaidate
from ..access import require_admin
from ..auth.models import Role, User
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..i18n import N_, _, translate
from ..journal import record
from ..plans.models import Plan
from .models import ReportAcknowledgement, ReportKind, ReportSubmission, SubmissionStatus
from .signals import report_awaits_signer

__all__ = [
    "KIND_LABELS",
    "STATUS_LABELS",
    "COMMENT_SUGGESTIONS",
    "ChainEntry",
    "Chain",
    "default_chain",
    "submit_report",
    "acknowledge",
    "withdraw",
    "next_in_line",
    "latest_submission",
    "followup_chain",
    "waiting_for",
    "organization_submissions",
    "chain_of",
    "report_label",
]

#: The OIT item's code is added from the plan's framework (`ita.items.with_code`), never written here.
KIND_LABELS = {
    ReportKind.followup: N_("รายงานผลการดำเนินการตามมาตรการ"),
    ReportKind.analysis: N_("รายงานการวิเคราะห์ผลการประเมิน ITA และมาตรการ"),
}
STATUS_LABELS = {
    SubmissionStatus.pending: "รอการพิจารณา",
    SubmissionStatus.acknowledged: N_("พิจารณาครบแล้ว"),
    SubmissionStatus.withdrawn: N_("ถอนคืนแล้ว"),
}
#: What managers usually write; the form offers them, any text is accepted.
COMMENT_SUGGESTIONS = ("ทราบ", "ทราบ/ดำเนินการ", "เพื่อโปรดทราบ/โปรดพิจารณา", "ดำเนินการตามระเบียบ")
COMMENT_LIMIT = 1000
NOTE_LIMIT = 2000


# -- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainEntry:
    order: int
    user_id: int
    name: str
    position: str
    comment: str
    acknowledged_at: datetime | None
    #: The one whose turn it is
    is_next: bool

    @property
    def done(self) -> bool:
        return self.acknowledged_at is not None

    def date_text(self, style: str = "full", thai_digits: bool = True) -> str:
        return thaidate.format_date(self.acknowledged_at, style=style, thai_digits=thai_digits)


@dataclass(frozen=True)
class Chain:
    """A submission's chain as the report and the pages show it."""

    submission_id: int
    kind: ReportKind
    status: SubmissionStatus
    as_of: date
    round: int | None
    submitted_by: str
    submitted_by_position: str
    submitted_at: datetime
    note: str
    entries: tuple[ChainEntry, ...]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def next_entry(self) -> ChainEntry | None:
        return next((e for e in self.entries if e.is_next), None)

    @property
    def acknowledged(self) -> int:
        return sum(1 for e in self.entries if e.done)


def chain_of(submission: ReportSubmission) -> Chain:
    nxt = next_in_line(submission)
    return Chain(
        submission_id=submission.id,
        kind=submission.kind,
        status=submission.status,
        as_of=submission.as_of,
        round=submission.round,
        submitted_by=submission.submitted_by.display_name if submission.submitted_by else "",
        submitted_by_position=submission.submitted_by.position if submission.submitted_by else "",
        submitted_at=submission.submitted_at,
        note=submission.note or "",
        entries=tuple(
            ChainEntry(
                order=a.order,
                user_id=a.user_id,
                name=a.user.display_name,
                position=a.user.position or "",
                comment=a.comment or "",
                acknowledged_at=a.acknowledged_at,
                is_next=nxt is not None and a.id == nxt.id,
            )
            for a in submission.acknowledgements
        ),
    )


def next_in_line(submission: ReportSubmission) -> ReportAcknowledgement | None:
    """The level whose turn it is; None when the submission is not pending or all have acted."""
    if submission.status is not SubmissionStatus.pending:
        return None
    return next((a for a in submission.acknowledgements if a.acknowledged_at is None), None)


def _with_chain():
    return (
        joinedload(ReportSubmission.submitted_by),
        selectinload(ReportSubmission.acknowledgements).joinedload(ReportAcknowledgement.user),
    )


def latest_submission(plan: Plan, kind: ReportKind, as_of: date | None = None) -> ReportSubmission | None:
    """The newest submission of the report that is not withdrawn (the one a printout shows)."""
    query = (
        sa.select(ReportSubmission)
        .where(
            ReportSubmission.plan_id == plan.id,
            ReportSubmission.kind == kind,
            ReportSubmission.status != SubmissionStatus.withdrawn,
        )
        .order_by(ReportSubmission.submitted_at.desc(), ReportSubmission.id.desc())
        .options(*_with_chain())
        .limit(1)
    )
    if as_of is not None:
        query = query.where(ReportSubmission.as_of == as_of)
    return db.session.scalar(query)


def followup_chain(plan: Plan, as_of: date) -> Chain | None:
    """The chain to print on the follow-up report of `plan` as of `as_of`, if it was submitted."""
    submission = latest_submission(plan, ReportKind.followup, as_of)
    return chain_of(submission) if submission is not None else None


def organization_submissions(organization_id: int, limit: int = 200) -> list[ReportSubmission]:
    return list(
        db.session.scalars(
            sa.select(ReportSubmission)
            .where(ReportSubmission.organization_id == organization_id)
            .order_by(ReportSubmission.submitted_at.desc(), ReportSubmission.id.desc())
            .options(*_with_chain())
            .limit(limit)
        )
    )


def waiting_for(user: User) -> list[ReportSubmission]:
    """Pending submissions of the user's organization whose next level is the user."""
    if user.role is not Role.manager:
        return []
    pending = db.session.scalars(
        sa.select(ReportSubmission)
        .join(ReportAcknowledgement)
        .where(
            ReportSubmission.organization_id == user.organization_id,
            ReportSubmission.status == SubmissionStatus.pending,
            ReportAcknowledgement.user_id == user.id,
            ReportAcknowledgement.acknowledged_at.is_(None),
        )
        .order_by(ReportSubmission.submitted_at, ReportSubmission.id)
        .options(*_with_chain())
    ).unique()
    return [s for s in pending if (n := next_in_line(s)) is not None and n.user_id == user.id]


def default_chain(organization_id: int) -> list[User]:
    """Every active manager of the organization, oldest account first (the admin reorders)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.organization_id == organization_id, User.role == Role.manager, User.active.is_(True))
            .order_by(User.id)
        )
    )


def report_label(submission: ReportSubmission | Chain, plan: Plan, thai_digits: bool = False) -> str:
    """ "รายงานผลการดำเนินการตามมาตรการ (O43) ปีงบประมาณ 2566 ณ 31 มี.ค. 2566"."""
    from ..ita.items import kind_code, plan_items, with_code

    kind = submission.kind
    code = kind_code(plan_items(plan), kind.value)
    text = f"{with_code(KIND_LABELS[kind], code)} ปีงบประมาณ {plan.fiscal_year}"
    if kind is ReportKind.followup:
        rounds = {6: N_("รอบ 6 เดือน"), 12: N_("รอบ 12 เดือน")}
        label = rounds.get(submission.round or 0)
        text += f" {label}" if label else ""
        text += f" ณ {thaidate.format_date(submission.as_of)}"
    else:
        text += f" ลงวันที่ {thaidate.format_date(submission.as_of)}"
    return thaidate.to_thai_digits(text) if thai_digits else text


# -- changing -------------------------------------------------------------------------


def _chain_text(users: Sequence[User]) -> str:
    return " → ".join(
        f"{i}. {u.display_name}" + (f" ({u.position})" if u.position else "") for i, u in enumerate(users, start=1)
    )


def submit_report(
    plan: Plan,
    actor: User,
    now: datetime,
    *,
    kind: ReportKind | str,
    chain: Sequence[User],
    as_of: date,
    round_: int | None = None,
    note: str = "",
) -> ReportSubmission:
    """Send a report of `plan` to `chain` (managers, in order) for acknowledgement.

    `as_of` is the follow-up report's date, or the memo's date for the analysis.
    """
    require_admin(actor, plan.organization_id)
    try:
        kind = ReportKind(kind)
    except ValueError:
        raise ServiceError(_("ไม่รู้จักชนิดรายงาน “%(kind)s”", kind=kind)) from None
    if round_ is not None and (kind is not ReportKind.followup or round_ not in (6, 12)):
        raise ServiceError(_("รอบรายงานใช้ได้กับรายงานผลการดำเนินการเท่านั้น และต้องเป็น 6 หรือ 12 เดือน"))
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise ServiceError(_("หมายเหตุยาวเกิน %(note_limit)s ตัวอักษร", note_limit=NOTE_LIMIT))
    if not chain:
        raise ServiceError(_("โปรดเลือกผู้บริหารที่จะพิจารณาอย่างน้อย 1 คน"))
    seen: set[int] = set()
    for user in chain:
        if user.id in seen:
            raise ServiceError(_("%(user_display_name)s อยู่ในลำดับมากกว่าหนึ่งครั้ง", user_display_name=user.display_name))
        seen.add(user.id)
        if user.organization_id != plan.organization_id or user.role is not Role.manager:
            raise ServiceError(_("%(user_display_name)s ไม่ใช่ผู้บริหารขององค์กรนี้", user_display_name=user.display_name))
        if not user.active:
            raise ServiceError(_("ผู้ใช้ %(user_display_name)s ถูกปิดการใช้งานแล้ว", user_display_name=user.display_name))
    same = sa.select(ReportSubmission.id).where(
        ReportSubmission.plan_id == plan.id,
        ReportSubmission.kind == kind,
        ReportSubmission.status == SubmissionStatus.pending,
    )
    if kind is ReportKind.followup:
        same = same.where(ReportSubmission.as_of == as_of)
    if db.session.scalar(same.limit(1)) is not None:
        raise ServiceError(_("รายงานนี้ส่งไปแล้วและยังรอการพิจารณาอยู่ ถอนคืนรายการเดิมก่อนจึงส่งใหม่ได้"))
    submission = ReportSubmission(
        organization_id=plan.organization_id,
        plan_id=plan.id,
        kind=kind,
        as_of=as_of,
        round=round_ if kind is ReportKind.followup else None,
        note=note,
        status=SubmissionStatus.pending,
        submitted_by=actor,
        submitted_at=now,
    )
    for order, user in enumerate(chain, start=1):
        submission.acknowledgements.append(ReportAcknowledgement(order=order, user=user))
    db.session.add(submission)
    db.session.flush()
    record(
        organization_id=plan.organization_id,
        entity="report_submission",
        entity_id=submission.id,
        action="submit",
        actor=actor,
        field="chain",
        new=_chain_text(chain),
        note=report_label(submission, plan) + (f" · {note}" if note else ""),
        at=now,
    )
    db.session.flush()
    report_awaits_signer.send(submission, signer=chain[0], actor=actor, now=now)
    return submission


def acknowledge(submission: ReportSubmission, actor: User, now: datetime, comment: str) -> ReportAcknowledgement:
    """The next manager in the chain acknowledges, with a comment; the last one completes it."""
    if actor.organization_id != submission.organization_id:
        raise PermissionDenied(_("รายงานนี้ไม่ใช่ขององค์กรของคุณ"))
    if actor.role is not Role.manager:
        raise PermissionDenied(_("เฉพาะผู้บริหารในลำดับการพิจารณาเท่านั้น"))
    if submission.status is not SubmissionStatus.pending:
        raise ServiceError(
            _(
                "รายงานนี้%(value1)s ไม่ต้องพิจารณาอีก",
                value1=translate(STATUS_LABELS[submission.status]),
            )
        )
    nxt = next_in_line(submission)
    assert nxt is not None  # a pending submission always has a level left
    if nxt.user_id != actor.id:
        mine = next((a for a in submission.acknowledgements if a.user_id == actor.id), None)
        turn = f"{nxt.user.display_name}" + (f" ({nxt.user.position})" if nxt.user.position else "")
        if mine is None:
            raise PermissionDenied(_("คุณไม่อยู่ในลำดับผู้พิจารณารายงานนี้ ขณะนี้รอ %(turn)s", turn=turn))
        if mine.acknowledged_at is not None:
            raise PermissionDenied(_("คุณพิจารณารายงานนี้แล้ว ขณะนี้รอ %(turn)s", turn=turn))
        raise PermissionDenied(
            _(
                "ยังไม่ถึงลำดับของคุณ (ลำดับที่ %(mine_order)s) ขณะนี้รอ %(turn)s ลำดับที่ %(nxt_order)s",
                mine_order=mine.order,
                turn=turn,
                nxt_order=nxt.order,
            )
        )
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError(_("โปรดเขียนความเห็น เช่น “ทราบ” หรือ “ทราบ/ดำเนินการ”"))
    if len(comment) > COMMENT_LIMIT:
        raise ServiceError(_("ความเห็นยาวเกิน %(comment_limit)s ตัวอักษร", comment_limit=COMMENT_LIMIT))
    # Compare-and-set: a double click or a second tab must not acknowledge twice.
    result = db.session.execute(
        sa.update(ReportAcknowledgement)
        .where(ReportAcknowledgement.id == nxt.id, ReportAcknowledgement.acknowledged_at.is_(None))
        .values(comment=comment, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    done = cast(sa.CursorResult, result).rowcount  # an UPDATE: a cursor result
    if done != 1:
        raise ServiceError(_("มีการพิจารณาลำดับนี้ไปแล้ว โปรดโหลดหน้าใหม่"))
    db.session.refresh(nxt)
    record(
        organization_id=submission.organization_id,
        entity="report_submission",
        entity_id=submission.id,
        action="acknowledge",
        actor=actor,
        field="comment",
        new=comment,
        note=f"ลำดับที่ {nxt.order} จาก {len(submission.acknowledgements)}",
        at=now,
    )
    if all(a.acknowledged_at is not None for a in submission.acknowledgements):
        submission.status = SubmissionStatus.acknowledged
        record(
            organization_id=submission.organization_id,
            entity="report_submission",
            entity_id=submission.id,
            action="status",
            actor=actor,
            field="status",
            old=SubmissionStatus.pending,
            new=SubmissionStatus.acknowledged,
            note=_("พิจารณาครบทุกลำดับแล้ว"),
            at=now,
        )
    db.session.flush()
    if (after := next_in_line(submission)) is not None:
        report_awaits_signer.send(submission, signer=after.user, actor=actor, now=now)
    return nxt


def withdraw(submission: ReportSubmission, actor: User, now: datetime, reason: str = "") -> None:
    """An admin takes a pending submission back (to correct the report, or the chain)."""
    require_admin(actor, submission.organization_id)
    if submission.status is not SubmissionStatus.pending:
        raise ServiceError(
            _(
                "ถอนคืนได้เฉพาะรายงานที่รอการพิจารณา รายงานนี้%(value1)s",
                value1=translate(STATUS_LABELS[submission.status]),
            )
        )
    reason = (reason or "").strip()
    if len(reason) > NOTE_LIMIT:
        raise ServiceError(_("เหตุผลยาวเกิน %(note_limit)s ตัวอักษร", note_limit=NOTE_LIMIT))
    submission.status = SubmissionStatus.withdrawn
    record(
        organization_id=submission.organization_id,
        entity="report_submission",
        entity_id=submission.id,
        action="withdraw",
        actor=actor,
        field="status",
        old=SubmissionStatus.pending,
        new=SubmissionStatus.withdrawn,
        note=reason,
        at=now,
    )
    db.session.flush()
