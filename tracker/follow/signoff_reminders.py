"""A report left waiting: the signer whose turn it is is told again.

When a submission has waited for its next signer more than N business days
(Mon–Fri less Thai public holidays, `thaidate`), that signer gets one more
in-app notification and, if they want sign-off emails, an email through the
outbox. Once per waiting period: each level of the chain is one period, and
`ReportAcknowledgement.reminded_at` records in the database that its signer
was reminded, so a rerun (or a second scheduler) sends nothing twice. When the
level acknowledges, the next level's period begins from that moment.

N is the organization's setting (the notification rules page, `signoff_reminder_days`,
default 3). Like the step reminders, it is sent on business days from the organization's
sending time (`notify.rules.sending_open`). The job is a plain function
of (session, now) in the scheduler's job list; it flushes, the caller commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, scoped_session, selectinload

from .. import thaidate
from ..notify.rules import rules_for_jobs, sending_open
from ..reports.models import ReportAcknowledgement, ReportSubmission, SubmissionStatus
from ..reports.signoff import next_in_line
from .models import Notification
from .services import tell_signer

log = logging.getLogger(__name__)


def waiting_since(submission: ReportSubmission, level: ReportAcknowledgement) -> datetime:
    """When the level's turn began: the previous level's acknowledgement, or the submission."""
    before = [a.acknowledged_at for a in submission.acknowledgements if a.order < level.order and a.acknowledged_at]
    return max(before, default=submission.submitted_at)


def business_days_waited(since: datetime, now: datetime) -> int:
    """Whole business days after the day the wait began, up to and including today (Bangkok)."""
    start = since.astimezone(thaidate.BANGKOK).date() + timedelta(days=1)
    return thaidate.business_days_count(start, now.astimezone(thaidate.BANGKOK).date())


def remind_waiting_signers(
    session: Session | scoped_session[Any], now: datetime, days: int | None = None
) -> list[Notification]:
    """Remind each next signer whose report has waited more than N business days, once.

    N is each organization's `signoff_reminder_days`, or `days` for all when given."""
    pending = list(
        session.scalars(
            sa.select(ReportSubmission)
            .join(ReportAcknowledgement)
            .where(
                ReportSubmission.status == SubmissionStatus.pending,
                ReportAcknowledgement.acknowledged_at.is_(None),
                ReportAcknowledgement.reminded_at.is_(None),
            )
            .order_by(ReportSubmission.id)
            .options(
                joinedload(ReportSubmission.submitted_by),
                selectinload(ReportSubmission.acknowledgements).joinedload(ReportAcknowledgement.user),
            )
        ).unique()
    )
    told: list[Notification] = []
    if not pending:
        return told
    rules = rules_for_jobs()
    for submission in pending:
        org_rules = rules[submission.organization_id]
        if not sending_open(org_rules, now):
            continue  # from the organization's sending time (08:00 unless it chose otherwise), on business days
        level = next_in_line(submission)
        if level is None or level.reminded_at is not None or not level.user.active:
            continue
        waited = business_days_waited(waiting_since(submission, level), now)
        if waited <= (org_rules.signoff_reminder_days if days is None else days):
            continue
        # Compare-and-set: of two schedulers on the same beat, one reminds.
        claimed = session.execute(
            sa.update(ReportAcknowledgement)
            .where(ReportAcknowledgement.id == level.id, ReportAcknowledgement.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if cast(sa.CursorResult, claimed).rowcount != 1:
            continue
        session.refresh(level)
        told.append(tell_signer(submission, level.user, None, now, waited_days=waited))
    if told:
        log.info("sign-off reminders", extra={"reminded": len(told)})
    return told
