"""Weekly digests and monthly summaries to managers and department heads.

Rules (issue 3): every Monday (or the person's own day), the first business
day after it when it is a holiday; progress per measure, overdue steps with
owner and days late, steps due in the next 14 days, steps completed since the
last digest; a monthly summary on the first business day of each month;
nothing when there is nothing to say; a signed one-click unsubscribe link.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import make_user
from tracker import thaidate
from tracker.auth.models import Role
from tracker.db import db
from tracker.notify.digests import plan_digests, queue_digests
from tracker.notify.models import OutboxMessage
from tracker.notify.rules import update_rules
from tracker.notify.tokens import unsubscribe_url, user_id_from_unsubscribe_token
from tracker.plans.models import PlanStatus, StepStatus
from tracker.plans.services import change_status, edit_step
from tracker.thaidate import BANGKOK


def at(day: date, hour: int = 8, minute: int = 5) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)


def run(day: date, hour: int = 8, minute: int = 5) -> list[OutboxMessage]:
    messages = queue_digests(at(day, hour, minute))
    db.session.commit()
    return messages


def run_days(first: date, last: date) -> list[OutboxMessage]:
    messages = []
    day = first
    while day <= last:
        messages += run(day)
        day += timedelta(days=1)
    return messages


def sent(messages, kind: str) -> set[tuple[str, date, date]]:
    """(recipient, day created, for_date) of each message of a kind."""
    return {(m.recipient, m.created_at.astimezone(BANGKOK).date(), m.for_date) for m in messages if m.kind == kind}


@pytest.fixture
def people(world):
    """A head of สำนักปลัด who is not a manager; the manager heads nothing."""
    head = make_user(world.org, "head.palad@test.go.th", Role.viewer, world.palad, name="หัวหน้าสำนักปลัด")
    world.palad.head = head
    db.session.commit()
    return head


def monthly_off(world) -> None:
    update_rules(world.org.id, None, at(date(2023, 1, 3)), monthly_summary=False)
    db.session.commit()


# -- who gets a weekly digest, and when --------------------------------------------------------------


def test_the_weekly_digest_goes_on_mondays_to_managers_and_heads_only(world, people):
    monthly_off(world)
    assert not thaidate.is_business_day(date(2023, 8, 14))  # Mother's Day (in lieu)

    messages = run_days(date(2023, 8, 14), date(2023, 8, 31))

    expected = set()
    for address in ("manager@test.go.th", people.email):
        expected |= {
            (address, date(2023, 8, 15), date(2023, 8, 14)),  # Monday a holiday: Tuesday
            (address, date(2023, 8, 21), date(2023, 8, 21)),
            (address, date(2023, 8, 28), date(2023, 8, 28)),
        }
    assert sent(messages, "digest_weekly") == expected
    assert {m.kind for m in messages} == {"digest_weekly"}
    # Owners, the viewer and the admin get none.
    assert {m.user_id for m in messages} == {world.manager.id, people.id}


def test_digests_respect_digest_enabled_activity_and_the_persons_own_weekday(world, people):
    monthly_off(world)
    wednesday = make_user(world.org, "deputy@test.go.th", Role.manager, name="รองปลัด")
    wednesday.digest_weekday = 2
    off = make_user(world.org, "mayor@test.go.th", Role.manager, name="นายก")
    off.digest_enabled = False
    left = make_user(world.org, "former@test.go.th", Role.manager, name="อดีตรองนายก")
    left.active = False
    db.session.commit()

    # The first pass ever, on Wednesday 16 Aug, gives this week's Monday digest late.
    messages = run_days(date(2023, 8, 16), date(2023, 8, 31))

    assert sent(messages, "digest_weekly") == {
        ("manager@test.go.th", date(2023, 8, 16), date(2023, 8, 14)),
        ("manager@test.go.th", date(2023, 8, 21), date(2023, 8, 21)),
        ("manager@test.go.th", date(2023, 8, 28), date(2023, 8, 28)),
        (people.email, date(2023, 8, 16), date(2023, 8, 14)),
        (people.email, date(2023, 8, 21), date(2023, 8, 21)),
        (people.email, date(2023, 8, 28), date(2023, 8, 28)),
        ("deputy@test.go.th", date(2023, 8, 16), date(2023, 8, 16)),
        ("deputy@test.go.th", date(2023, 8, 23), date(2023, 8, 23)),
        ("deputy@test.go.th", date(2023, 8, 30), date(2023, 8, 30)),
    }


def test_a_head_who_is_also_a_manager_gets_one_digest(world):
    monthly_off(world)
    world.palad.head = world.manager
    world.strategy.head = world.manager
    db.session.commit()

    messages = run(date(2023, 8, 21))

    assert [m.recipient for m in messages] == ["manager@test.go.th"]
    assert "หัวหน้าของกองยุทธศาสตร์และงบประมาณ และสำนักปลัดเทศบาล" in messages[0].body_text
    assert "ในฐานะผู้บริหาร" in messages[0].body_text


def test_a_week_of_holidays_moves_the_digest_to_the_first_business_day(world, people):
    # Mon 31 Jul, Tue 1 and Wed 2 Aug are holidays: the week's digest comes on Thursday.
    monthly_off(world)
    messages = run_days(date(2023, 7, 29), date(2023, 8, 4))

    assert sent(messages, "digest_weekly") == {
        ("manager@test.go.th", date(2023, 8, 3), date(2023, 7, 31)),
        (people.email, date(2023, 8, 3), date(2023, 7, 31)),
    }


def test_changing_ones_weekday_midweek_does_not_give_a_second_digest_that_week(world, people):
    monthly_off(world)
    run(date(2023, 8, 21))  # Monday
    world.manager.digest_weekday = 2  # from now on Wednesday
    db.session.commit()

    rest_of_week = run_days(date(2023, 8, 22), date(2023, 8, 29))
    next_wednesday = run(date(2023, 8, 30))

    assert "manager@test.go.th" not in {m.recipient for m in rest_of_week}
    assert sent(next_wednesday, "digest_weekly") == {("manager@test.go.th", date(2023, 8, 30), date(2023, 8, 30))}


def test_no_weekly_digest_when_the_organization_turns_it_off(world, people):
    update_rules(world.org.id, None, at(date(2023, 1, 3)), digest_weekday=None)
    db.session.commit()

    messages = run_days(date(2023, 8, 14), date(2023, 8, 31))

    assert {m.kind for m in messages} == {"digest_monthly"}


# -- what the weekly digest says ---------------------------------------------------------------------------


def test_the_weekly_digest_lists_progress_overdue_due_soon_and_completed_since_the_last_one(world, people, app):
    monthly_off(world)
    s11, s12, s13 = (world.step(world.m1, i) for i in (1, 2, 3))  # palad: due 31 Jul, 31 Aug, 29 Sep
    s21, s22 = world.step(world.m2, 1), world.step(world.m2, 2)  # strategy: due 31 Mar, 15 Aug
    change_status(s21, StepStatus.done, None, at(date(2023, 8, 10), 14), note="เสร็จ")
    change_status(s22, StepStatus.cancelled, None, at(date(2023, 8, 10), 14), cancel_reason="ไม่จำเป็นแล้ว")
    db.session.commit()
    run(date(2023, 8, 15))  # the previous digest: Tuesday 15 Aug, 08:05
    change_status(s12, StepStatus.in_progress, None, at(date(2023, 8, 16), 9), note="เริ่มแล้ว")
    change_status(s21, StepStatus.in_progress, None, at(date(2023, 8, 16), 9), note="เปิดใหม่")
    change_status(s21, StepStatus.done, None, at(date(2023, 8, 17), 15), note="เสร็จจริง")
    db.session.commit()

    [digest] = [m for m in run(date(2023, 8, 21)) if m.recipient == "manager@test.go.th"]

    base = app.config["TRACKER_BASE_URL"]
    assert digest.subject == f"[ITA] {world.org.name}: สรุปความคืบหน้าประจำสัปดาห์ – 21 ส.ค. 2566"
    assert digest.user_id == world.manager.id and digest.recipient_name == "ปลัด"
    assert (
        digest.body_text
        == f"""เรียน ปลัด

สรุปความคืบหน้าการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใส (ITA) ณ วันที่ 21 สิงหาคม 2566

ความคืบหน้ารายมาตรการ

- มาตรการที่ 1 โครงการใช้ทรัพย์สินอย่างโปร่งใส (สำนักปลัดเทศบาล): 0/3 ขั้นตอน (0%)
- มาตรการที่ 2 โครงการ E-Service (กองยุทธศาสตร์และงบประมาณ): 1/1 ขั้นตอน (100%)
รวม: 1/4 ขั้นตอน (25%)

เลยกำหนด – 1 รายการ

- มาตรการที่ 1 ขั้นตอนที่ 1: {s11.title}
  สำนักปลัดเทศบาล · ครบกำหนด 31 ก.ค. 2566 · เลยกำหนดมาแล้ว 21 วัน
  {base}/steps/{s11.id}

ครบกำหนดภายใน 14 วัน (due in the next 14 days) – 1 รายการ

- มาตรการที่ 1 ขั้นตอนที่ 2: {s12.title}
  สำนักปลัดเทศบาล · ครบกำหนด 31 ส.ค. 2566
  {base}/steps/{s12.id}

ดำเนินการแล้วเสร็จตั้งแต่สรุปครั้งก่อน 15 ส.ค. 2566 – 1 รายการ

- มาตรการที่ 2 ขั้นตอนที่ 1: {s21.title}
  กองยุทธศาสตร์และงบประมาณ · เสร็จเมื่อ 17 ส.ค. 2566
  {base}/steps/{s21.id}

--
คุณได้รับสรุปนี้ในฐานะผู้บริหาร
เลือกวันรับสรุปหรือปิดการรับสรุป: {base}/profile/notifications
ยกเลิกการรับสรุปทางอีเมลด้วยคลิกเดียว: {unsubscribe_url(world.manager.id)}
ระบบติดตามมาตรการ ITA – {world.org.name}
"""
    )
    assert s13.title not in digest.body_text  # due 29 Sep: beyond the 14 days
    html = digest.body_html
    assert "1/4" in html and "25%" in html and "เลยกำหนดมาแล้ว 21 วัน" in html
    for step in (s11, s12, s21):
        assert f'href="{base}/steps/{step.id}"' in html
    assert f'href="{unsubscribe_url(world.manager.id)}"' in html
    assert f'href="{base}/profile/notifications"' in html


def test_the_first_digest_lists_what_was_completed_in_the_last_7_days(world, people):
    monthly_off(world)
    s21, s11 = world.step(world.m2, 1), world.step(world.m1, 1)
    change_status(s11, StepStatus.done, None, at(date(2023, 8, 11), 16), note="เสร็จ")  # 10 days before
    change_status(s21, StepStatus.done, None, at(date(2023, 8, 15), 10), note="เสร็จ")
    db.session.commit()

    [digest, *_] = run(date(2023, 8, 21))

    assert "ดำเนินการแล้วเสร็จในรอบ 7 วันที่ผ่านมา – 1 รายการ" in digest.body_text
    assert s21.title in digest.body_text and s11.title not in digest.body_text.split("7 วันที่ผ่านมา")[1]


def test_lookahead_follows_the_rules(world, people):
    monthly_off(world)
    update_rules(world.org.id, None, at(date(2023, 1, 3)), lookahead_days=45)
    db.session.commit()

    [digest, *_] = run(date(2023, 8, 21))

    assert "ครบกำหนดภายใน 45 วัน (due in the next 45 days) – 2 รายการ" in digest.body_text


# -- the monthly summary ----------------------------------------------------------------------------------


def test_the_monthly_summary_comes_once_on_the_first_business_day_of_the_month(world, people):
    update_rules(world.org.id, None, at(date(2023, 1, 3)), digest_weekday=None)
    db.session.commit()
    assert not thaidate.is_business_day(date(2023, 5, 1))  # Labour Day
    assert thaidate.next_business_day(date(2023, 5, 1)) == date(2023, 5, 2)
    run(date(2023, 4, 28))  # April's summary (for 3 Apr) is caught up here; May's is not due yet

    messages = run_days(date(2023, 4, 29), date(2023, 6, 2))

    assert sent(messages, "digest_monthly") == {
        (address, day, day)
        for address in ("manager@test.go.th", people.email)
        for day in (date(2023, 5, 2), date(2023, 6, 1))
    }


def test_the_monthly_summary_lists_last_months_completions_overdue_and_this_months_due_steps(world, people):
    update_rules(world.org.id, None, at(date(2023, 1, 3)), digest_weekday=None)
    s11, s12, s13 = (world.step(world.m1, i) for i in (1, 2, 3))
    s21, s22 = world.step(world.m2, 1), world.step(world.m2, 2)
    edit_step(s12, None, at(date(2023, 7, 3)), due_date=date(2023, 9, 20))
    change_status(s21, StepStatus.done, None, at(date(2023, 8, 30), 11), note="เสร็จ")  # in August
    change_status(s13, StepStatus.done, None, at(date(2023, 9, 1), 7), note="เสร็จ")  # this month
    db.session.commit()

    [summary, *_] = [m for m in run(date(2023, 9, 1)) if m.recipient == "manager@test.go.th"]

    text = summary.body_text
    assert summary.for_date == date(2023, 9, 1)
    assert summary.subject == f"[ITA] {world.org.name}: สรุปประจำเดือนกันยายน 2566 – ข้อมูล ณ 1 ก.ย. 2566"
    assert "- มาตรการที่ 1 โครงการใช้ทรัพย์สินอย่างโปร่งใส (สำนักปลัดเทศบาล): 1/3 ขั้นตอน (33%)" in text
    assert "- มาตรการที่ 2 โครงการ E-Service (กองยุทธศาสตร์และงบประมาณ): 1/2 ขั้นตอน (50%)" in text
    assert "รวม: 2/5 ขั้นตอน (40%)" in text

    done = text.split("ดำเนินการแล้วเสร็จในเดือนสิงหาคม 2566 – 1 รายการ")[1].split("เลยกำหนด")[0]
    assert s21.title in done and "เสร็จเมื่อ 30 ส.ค. 2566" in done and s13.title not in done
    overdue = text.split("เลยกำหนด – 2 รายการ")[1].split("ครบกำหนดภายในเดือนนี้")[0]
    assert f"{s11.title}\n  สำนักปลัดเทศบาล · ครบกำหนด 31 ก.ค. 2566 · เลยกำหนดมาแล้ว 32 วัน" in overdue
    assert f"{s22.title}\n  กองยุทธศาสตร์และงบประมาณ · ครบกำหนด 15 ส.ค. 2566 · เลยกำหนดมาแล้ว 17 วัน" in overdue
    due = text.split("ครบกำหนดภายในเดือนนี้ – 1 รายการ")[1].split("--\n")[0]
    assert f"{s12.title}\n  สำนักปลัดเทศบาล · ครบกำหนด 20 ก.ย. 2566" in due
    assert s13.title not in due  # done already


def test_a_missed_monthly_summary_is_sent_once_when_the_scheduler_comes_back(world, people):
    update_rules(world.org.id, None, at(date(2023, 1, 3)), digest_weekday=None)
    run(date(2023, 4, 28))
    # Down from 29 Apr to 9 May; back on Wednesday 10 May.
    back = run(date(2023, 5, 10), hour=11)

    assert sent(back, "digest_monthly") == {
        ("manager@test.go.th", date(2023, 5, 10), date(2023, 5, 2)),
        (people.email, date(2023, 5, 10), date(2023, 5, 2)),
    }
    assert run_days(date(2023, 5, 10), date(2023, 5, 31)) == []


# -- nothing to say, idempotence, dry run --------------------------------------------------------------------


@pytest.mark.parametrize("status", [PlanStatus.draft, PlanStatus.closed])
def test_no_digest_without_an_active_plan(world, people, status):
    world.plan.status = status
    db.session.commit()

    assert run_days(date(2023, 8, 1), date(2023, 9, 5)) == []


def test_no_digest_for_an_active_plan_without_steps(world, people):
    for step in world.m1.steps + world.m2.steps:
        db.session.delete(step)
    db.session.commit()

    assert run_days(date(2023, 8, 1), date(2023, 9, 5)) == []


def test_nothing_before_08_00_or_on_a_holiday(world, people):
    assert queue_digests(at(date(2023, 8, 21), 7, 59)) == []
    assert queue_digests(at(date(2023, 8, 14), 10)) == []  # a holiday Monday
    assert queue_digests(at(date(2023, 8, 19), 10)) == []  # a Saturday


def test_two_passes_make_each_digest_once_and_the_dry_run_matches_and_writes_nothing(world, people):
    now = at(date(2023, 8, 21))
    planned = plan_digests(now)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0

    first, second = run(date(2023, 8, 21)), run(date(2023, 8, 21), 16)

    key = lambda m: (m.kind, m.for_date, m.recipient, m.subject, m.body_text, m.user_id)  # noqa: E731
    assert sorted(map(key, planned)) == sorted(map(key, first))
    assert {(m.kind, m.recipient) for m in first} == {
        (kind, address)
        for kind in ("digest_weekly", "digest_monthly")
        for address in ("manager@test.go.th", people.email)
    }
    assert second == []


def test_digest_rows_carry_the_user_and_a_signed_unsubscribe_link(world, people):
    messages = run(date(2023, 8, 21))

    for m in messages:
        assert m.user_id is not None
        link = unsubscribe_url(m.user_id)
        assert link in m.body_text and f'href="{link}"' in m.body_html
        assert user_id_from_unsubscribe_token(link.rsplit("/", 1)[1]) == m.user_id


# -- across downtime: each digest once, caught up like reminders (issue 9) -------------------------------


def test_digests_across_downtime_are_each_sent_once_and_caught_up_on_return(world, people, mail_config, smtp_sink):
    """42 days (1 Aug – 11 Sep 2566) with the scheduler's beat at 08:05, 13:00 and 17:00, run twice a
    beat (two schedulers). Once always up; once down 16 days: 9–17 Aug (the holiday Monday's digest
    of 15 Aug) and 30 Aug – 5 Sep (September's summary and Monday 4 Sep). Every digest of the first
    run is in the second, the missed ones on the first day back; each delivered once."""
    from tracker.notify.delivery import deliver
    from tracker.notify.models import OutboxItem

    first, last = date(2023, 8, 1), date(2023, 9, 11)
    down = {
        first + timedelta(days=n)
        for n in range(42)
        if date(2023, 8, 9) <= first + timedelta(days=n) <= date(2023, 8, 17)
        or date(2023, 8, 30) <= first + timedelta(days=n) <= date(2023, 9, 5)
    }
    assert len(down) == 16

    def simulate(offline: set[date]) -> dict[tuple[str, str, date], date]:
        day = first
        while day <= last:
            if day not in offline:
                for hour, minute in ((8, 5), (13, 0), (17, 0)):
                    for _ in range(2):
                        queue_digests(at(day, hour, minute))
                        db.session.commit()
                        deliver(at(day, hour, minute))
            day += timedelta(days=1)
        rows = db.session.scalars(sa.select(OutboxMessage)).all()
        assert {r.status.value for r in rows} == {"sent"}
        counts = smtp_sink.message_ids()
        assert set(counts) == {r.message_id for r in rows} and set(counts.values()) == {1}, "sent twice"
        return {(r.recipient, r.kind, r.for_date): r.created_at.astimezone(BANGKOK).date() for r in rows}

    always_up = simulate(set())
    db.session.execute(sa.delete(OutboxItem))
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    smtp_sink.clear()
    with_downtime = simulate(down)

    assert set(with_downtime) == set(always_up)  # nothing lost, nothing extra
    kinds = {kind for _, kind, _ in always_up}
    assert kinds == {"digest_weekly", "digest_monthly"}
    for recipient in ("manager@test.go.th", people.email):
        weeks = sorted(f for r, k, f in always_up if r == recipient and k == "digest_weekly")
        assert len(weeks) == 7 and all(b - a == timedelta(days=7) for a, b in zip(weeks, weeks[1:]))
        assert sorted(f.month for r, k, f in always_up if r == recipient and k == "digest_monthly") == [8, 9]
    caught_up = {key: day for key, day in with_downtime.items() if always_up[key] in down}
    assert caught_up, "the downtime missed no digest: the test proves nothing"
    for key, day in caught_up.items():
        assert day == min(d for d in (date(2023, 8, 18), date(2023, 9, 6)) if d > always_up[key]), key
    assert {key: day for key, day in with_downtime.items() if key not in caught_up} == {
        key: day for key, day in always_up.items() if key not in caught_up
    }
