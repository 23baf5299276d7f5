"""A report left waiting for its next signer more than N business days (the
organization's setting, default 3; weekends and Thai public holidays do not count)
reminds that signer once, in the app and by email, from the organization's sending
time; rerunning sends nothing twice, and the next signer's wait starts when the
previous one acknowledges.

The clock is frozen in December 2026: Thursday 3 submitted; Saturday 5 is the
late King's birthday, so Monday 7 is its day in lieu; Thursday 10 is
Constitution Day. Business days after the 3rd: Fri 4, Tue 8, Wed 9, Fri 11.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import make_user
from tracker.auth.models import Role
from tracker.db import db
from tracker.follow.models import EventKind, Notification
from tracker.follow.signoff_reminders import business_days_waited, remind_waiting_signers
from tracker.notify.models import OutboxMessage
from tracker.notify.rules import update_rules
from tracker.reports.models import ReportKind
from tracker.reports.signoff import acknowledge, submit_report, withdraw
from tracker.scheduler import JOBS, tick


def bangkok(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026, Bangkok wall time (UTC+7)."""
    return datetime(2026, 12, day, hour - 7, minute, tzinfo=UTC)


SUBMITTED = bangkok(3, 10)


@pytest.fixture
def chain(world):
    director = make_user(world.org, "director@test.go.th", Role.manager, world.strategy, name="นางริกลี ปาละสานต์")
    mayor = make_user(world.org, "mayor@test.go.th", Role.manager, name="นายชวัล ธีรพาน")
    db.session.commit()
    return director, world.manager, mayor


@pytest.fixture
def submission(world, chain):
    made = submit_report(
        world.plan, world.admin, SUBMITTED, kind=ReportKind.followup, chain=chain, as_of=date(2023, 3, 31), round_=6
    )
    db.session.commit()
    return made


def reminders() -> list[tuple[str, str]]:
    """(recipient, report) of every reminder notification, oldest first."""
    rows = db.session.scalars(
        sa.select(Notification).where(Notification.kind == EventKind.signoff_reminder).order_by(Notification.id)
    )
    return [(n.user_id, n.text) for n in rows]


def reminder_emails() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "report_signoff_reminder").order_by(OutboxMessage.id)
        )
    )


def run(now: datetime) -> int:
    told = remind_waiting_signers(db.session, now)
    db.session.commit()
    return len(told)


def test_business_days_skip_the_weekend_and_the_holidays():
    assert business_days_waited(SUBMITTED, bangkok(4, 9)) == 1
    assert business_days_waited(SUBMITTED, bangkok(7, 9)) == 1  # Sat, Sun, and Monday in lieu
    assert business_days_waited(SUBMITTED, bangkok(9, 9)) == 3
    assert business_days_waited(SUBMITTED, bangkok(10, 9)) == 3  # Constitution Day
    assert business_days_waited(SUBMITTED, bangkok(11, 9)) == 4


def test_the_signer_is_reminded_once_after_more_than_3_business_days(world, chain, submission):
    director = chain[0]
    first_told = db.session.scalar(sa.select(sa.func.count(Notification.id)))  # the "your turn" notice
    # Without the holidays Wednesday 9 would be the 4th business day: it is the 3rd.
    for moment in (bangkok(4, 9), bangkok(8, 9), bangkok(9, 16), bangkok(10, 9)):
        assert run(moment) == 0
    assert reminders() == [] and reminder_emails() == []

    assert run(bangkok(11, 9)) == 1
    label = "รายงานผลการดำเนินการตามมาตรการ (O43) ปีงบประมาณ 2566 รอบ 6 เดือน ณ 31 มี.ค. 2566"
    assert reminders() == [(director.id, label)]
    (mail,) = reminder_emails()
    assert mail.recipient == director.email
    assert mail.subject == f"[ITA] เทศบาลตำบลทดสอบ: เตือน รายงานรอการพิจารณาของคุณ 4 วันทำการแล้ว – {label}"
    assert "รอการพิจารณาของคุณมาแล้ว 4 วันทำการ" in mail.body_text
    assert f"/reports/submissions/{submission.id}" in mail.body_text
    assert "4 วันทำการ" in html.unescape(mail.body_html)

    # Rerunning (the same beat again, later that day, next week) sends nothing twice.
    for moment in (bangkok(11, 9), bangkok(11, 15), bangkok(14, 9), bangkok(21, 9)):
        assert run(moment) == 0
    assert len(reminders()) == 1 and len(reminder_emails()) == 1
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == first_told + 1
    assert submission.acknowledgements[0].reminded_at == bangkok(11, 9)


def test_nothing_is_sent_before_the_sending_time(world, chain, submission):
    assert run(bangkok(11, 7, 59)) == 0
    assert run(bangkok(11, 8, 0)) == 1


def test_the_next_signers_wait_starts_when_the_previous_one_acknowledges(world, chain, submission):
    director, palad, mayor = chain
    assert run(bangkok(11, 9)) == 1
    acknowledge(submission, director, bangkok(14, 10), "ทราบ")  # Monday 14
    db.session.commit()
    assert run(bangkok(17, 9)) == 0  # Tue 15, Wed 16, Thu 17: 3 business days
    assert run(bangkok(18, 9)) == 1
    assert [uid for uid, _ in reminders()] == [director.id, palad.id]
    assert run(bangkok(18, 10)) == 0
    assert [m.recipient for m in reminder_emails()] == [director.email, palad.email]


def test_withdrawn_reports_and_inactive_signers_are_not_reminded(world, chain, submission):
    chain[0].active = False
    db.session.commit()
    assert run(bangkok(11, 9)) == 0
    chain[0].active = True
    withdraw(submission, world.admin, bangkok(11, 8), "แก้ไขรายงาน")
    db.session.commit()
    assert run(bangkok(11, 9)) == 0
    assert reminders() == [] and reminder_emails() == []


def test_a_signer_without_sign_off_emails_is_told_in_the_app_only(world, chain, submission):
    chain[0].email_events = "remark,status"
    db.session.commit()
    assert run(bangkok(11, 9)) == 1
    assert len(reminders()) == 1 and reminder_emails() == []


def test_n_is_the_organizations_setting(world, chain, submission):
    update_rules(world.org.id, world.admin, SUBMITTED, signoff_reminder_days=1)
    db.session.commit()
    assert run(bangkok(4, 9)) == 0  # 1 business day: not more than 1
    assert run(bangkok(8, 9)) == 1


def test_the_scheduler_runs_the_job_on_every_beat(world, chain, submission):
    assert any("remind_waiting_signers" in job.__name__ for job in JOBS)
    tick(bangkok(11, 9), deliver_mail=False)
    tick(bangkok(11, 9, 1), deliver_mail=False)
    assert [uid for uid, _ in reminders()] == [chain[0].id]
    assert len(reminder_emails()) == 1


def test_the_reminder_shows_on_the_signers_notifications_page(world, chain, submission, login):
    run(bangkok(11, 9))
    page = html.unescape(login(chain[0]).get("/notifications").get_data(as_text=True))
    assert "เตือนอีกครั้ง: รายงานยังรอการพิจารณาของคุณเกินกำหนด" in page
    assert f'href="/reports/submissions/{submission.id}"' in page
