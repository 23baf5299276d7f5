"""Remarks on a step, who watches it, and telling the watchers.

A remark is a journal entry of the step (action "remark", the text in its
note), so the step's history shows it where everything else is. Watchers are
the defaults (the owner department's members, the assignee, those who made a
remark) corrected by each person's own choice (StepWatch rows). An event
makes one in-app notification per watcher (the actor excluded) and, for
those who want that kind by email, one email in the outbox.

Services flush, never commit; the view (or the service that sent the signal)
owns the transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from .. import access, links, thaidate
from ..auth.models import User
from ..db import db
from ..errors import PermissionDenied, ServiceError
from ..journal import record_step
from ..notify.render import PlannedMessage, enqueue_planned, render_email, step_url
from ..plans.models import JournalEntry, Plan, Step, StepStatus
from ..reports.models import ReportSubmission
from ..reports.signoff import report_label
from .models import EventKind, Notification, StepWatch

log = logging.getLogger(__name__)

#: The longest remark accepted (a page of text)
REMARK_MAX = 4000
#: Journal action of a remark
REMARK = "remark"


def org_of(step: Step) -> int:
    return step.measure.weakness.plan.organization_id


def can_follow(user: User, step: Step) -> bool:
    """Remark on and watch a step: every working member of its organization
    (oversight users read only, other organizations do not see it)."""
    return access.is_member(user, org_of(step))


def require_follower(user: User, step: Step) -> None:
    if not can_follow(user, step):
        raise PermissionDenied("ผู้ใช้ระดับจังหวัดหรือส่วนกลางดูข้อมูลได้อย่างเดียว แสดงความเห็นหรือติดตามขั้นตอนไม่ได้")


def remarks(step: Step) -> list[JournalEntry]:
    """The step's remarks, oldest first (a thread reads top down)."""
    return list(
        db.session.scalars(
            sa.select(JournalEntry)
            .where(JournalEntry.step_id == step.id, JournalEntry.action == REMARK)
            .order_by(JournalEntry.created_at, JournalEntry.id)
        )
    )


def watcher_ids(step: Step) -> set[int]:
    """Everyone watching the step: defaults plus own choices, active members of its organization only.

    By default: the owner department's users, the assignee and whoever remarked on it; a
    choice to watch adds, a choice not to removes. One statement, whatever the journal."""
    chose = sa.select(StepWatch.user_id).where(StepWatch.step_id == step.id)
    remarked = sa.select(JournalEntry.actor_id).where(
        JournalEntry.step_id == step.id, JournalEntry.action == REMARK, JournalEntry.actor_id.is_not(None)
    )
    watching = [
        User.department_id == step.owner_department_id,
        User.id.in_(remarked),
        User.id.in_(chose.where(StepWatch.watching.is_(True))),
    ]
    if step.assignee_id is not None:
        watching.append(User.id == step.assignee_id)
    return set(
        db.session.scalars(
            sa.select(User.id).where(
                User.organization_id == org_of(step),
                User.active.is_(True),
                sa.or_(*watching),
                User.id.not_in(chose.where(StepWatch.watching.is_(False))),
            )
        )
    )


def watched_steps_condition(user: User) -> sa.ColumnElement[bool]:
    """SQL: the step is one `user` watches (the same rule as `watcher_ids`, read the other way
    round: by default their department's, assigned to them or remarked on by them, corrected
    by their own choices). The query must select from Step."""
    mine = sa.and_(StepWatch.step_id == Step.id, StepWatch.user_id == user.id)
    by_default = sa.or_(
        Step.assignee_id == user.id,
        sa.exists().where(
            JournalEntry.step_id == Step.id, JournalEntry.action == REMARK, JournalEntry.actor_id == user.id
        ),
    )
    if user.department_id is not None:
        by_default = sa.or_(by_default, Step.owner_department_id == user.department_id)
    return sa.or_(
        sa.exists().where(mine, StepWatch.watching.is_(True)),
        sa.and_(~sa.exists().where(mine), by_default),
    )


def is_watching(user: User, step: Step) -> bool:
    return user.id in watcher_ids(step)


def set_watching(step: Step, user: User, watching: bool) -> None:
    """Record the person's choice about the step (a row overriding the default)."""
    require_follower(user, step)
    row = db.session.scalar(sa.select(StepWatch).where(StepWatch.step_id == step.id, StepWatch.user_id == user.id))
    if row is None:
        row = StepWatch(step_id=step.id, user_id=user.id)
        db.session.add(row)
    row.watching = watching
    db.session.flush()


def add_remark(step: Step, actor: User, text: str, now: datetime) -> JournalEntry:
    """A remark or instruction on the step, journaled; its watchers are told."""
    require_follower(actor, step)
    text = (text or "").strip()
    if not text:
        raise ServiceError("โปรดพิมพ์ความเห็นหรือข้อสั่งการ", field="text")
    if len(text) > REMARK_MAX:
        raise ServiceError("ความเห็นยาวเกิน 4,000 ตัวอักษร", field="text")
    entry = record_step(step, REMARK, actor, note=text, at=now)
    db.session.flush()
    # The one who comments follows the conversation, unless they had chosen not to watch.
    tell_watchers(step, EventKind.remark, actor, text, now)
    return entry


def tell_watchers(step: Step, kind: EventKind, actor: User | None, text: str, now: datetime) -> list[Notification]:
    """One notification per watcher but the actor, and the emails they want."""
    ids = watcher_ids(step) - ({actor.id} if actor is not None else set())
    if not ids:
        return []
    users = list(db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)))
    made = [
        Notification(
            organization_id=org_of(step),
            user_id=u.id,
            kind=kind,
            step_id=step.id,
            actor_id=actor.id if actor else None,
            text=text,
            created_at=now,
        )
        for u in users
    ]
    db.session.add_all(made)
    db.session.flush()
    _queue_emails(step, kind, actor, text, now, [(u, n) for u, n in zip(users, made) if u.wants_email(kind.value)])
    return made


def _queue_emails(
    step: Step, kind: EventKind, actor: User | None, text: str, now: datetime, pairs: list[tuple[User, Notification]]
) -> None:
    if not pairs:
        return
    organization = step.measure.weakness.plan.organization
    day = now.astimezone(thaidate.BANGKOK).date()
    status_label = ""
    if kind is EventKind.status:
        try:
            status_label = StepStatus(text).label
        except ValueError:
            status_label = text
    planned = []
    for user, note in pairs:
        email = render_email(
            f"step_{kind.value}",
            thai_digits=user.thai_digits,
            org_name=organization.name,
            recipient_name=user.display_name,
            actor_name=actor.display_name if actor else "ระบบ",
            measure_number=step.measure.number,
            step_order=step.order,
            step_title=step.title,
            department=step.owner_department.name if step.owner_department else "",
            text=text,
            status_label=status_label,
            url=step_url(step.id),
            why=["คุณได้รับอีเมลนี้เพราะติดตามขั้นตอนนี้ เลิกติดตามได้ที่หน้าขั้นตอน"],
        )
        planned.append(
            PlannedMessage(
                organization_id=organization.id,
                # One notification, one email: its id keeps the outbox key unique.
                about=f"notification:{note.id}",
                kind=f"step_{kind.value}",
                for_date=day,
                recipient=user.email,
                recipient_name=user.display_name,
                user_id=user.id,
                subject=email.subject,
                body_text=email.text,
                body_html=email.html,
            )
        )
    enqueue_planned(planned, now)


def on_status_changed(step: Step, *, actor: User | None, new: StepStatus, now: datetime, **_: object) -> None:
    """Receiver of plans.signals.step_status_changed: tell the watchers.

    Only a person's change is news: one without an actor comes from the system
    or a command-line batch (imports, tests' set-up, the demo) and would flood people."""
    if actor is None:
        return
    tell_watchers(step, EventKind.status, actor, new.value, now)


def on_report_awaits_signer(
    submission: ReportSubmission, *, signer: User, actor: User | None, now: datetime, **_: object
) -> Notification:
    """Receiver of reports.signals.report_awaits_signer: tell the manager whose turn it is."""
    return tell_signer(submission, signer, actor, now)


def tell_signer(
    submission: ReportSubmission, signer: User, actor: User | None, now: datetime, *, waited_days: int | None = None
) -> Notification:
    """Tell `signer` that the report waits for them: in the app and, if they want it, by email.

    With `waited_days` it is the reminder of a report left waiting that many business days
    (tracker/follow/signoff_reminders.py), sent by the system."""
    plan = db.session.get(Plan, submission.plan_id)
    assert plan is not None
    reminder = waited_days is not None
    kind = EventKind.signoff_reminder if reminder else EventKind.signoff
    note = Notification(
        organization_id=submission.organization_id,
        user_id=signer.id,
        kind=kind,
        submission_id=submission.id,
        actor_id=actor.id if actor else None,
        text=report_label(submission, plan),
        created_at=now,
    )
    db.session.add(note)
    db.session.flush()
    # One email preference for both: "a report waits for my sign-off".
    if signer.wants_email(EventKind.signoff.value):
        template = "report_signoff_reminder" if reminder else "report_signoff"
        email = render_email(
            template,
            thai_digits=signer.thai_digits,
            org_name=plan.organization.name,
            recipient_name=signer.display_name,
            actor_name=actor.display_name if actor else "ระบบ",
            report_label=report_label(submission, plan, thai_digits=signer.thai_digits),
            note=submission.note,
            submitted_by=submission.submitted_by.display_name if submission.submitted_by else "",
            waited_days=waited_days,
            url=links.external_url("signoff.show", submission_id=submission.id),
            why=["คุณได้รับอีเมลนี้เพราะถึงลำดับของคุณในการพิจารณารายงานนี้"],
        )
        enqueue_planned(
            [
                PlannedMessage(
                    organization_id=submission.organization_id,
                    about=f"notification:{note.id}",
                    kind=template,
                    for_date=now.astimezone(thaidate.BANGKOK).date(),
                    recipient=signer.email,
                    recipient_name=signer.display_name,
                    user_id=signer.id,
                    subject=email.subject,
                    body_text=email.text,
                    body_html=email.html,
                )
            ],
            now,
        )
    return note


# -- reading -----------------------------------------------------------------------------------


def unread_count_expression() -> sa.ScalarSelect[int]:
    """The user's unread notifications as a correlated subquery: the user loader selects it
    with the user (`User.unread_count`), so the header's count costs no statement of its own."""
    return (
        sa.select(sa.func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )


def unread_count(user: User) -> int:
    """Loaded with the user when it was; counted otherwise (and after a commit expired it)."""
    if user.unread_count is not None:
        return user.unread_count
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def recent(user: User, limit: int = 100) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(notifications: list[Notification], now: datetime) -> int:
    """Mark those shown as read; returns how many were unread."""
    fresh = [n for n in notifications if n.read_at is None]
    for n in fresh:
        n.read_at = now
    db.session.flush()
    return len(fresh)
