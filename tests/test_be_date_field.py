"""The one Buddhist-Era date field every form uses (tracker.forms.BEDateField):
what people type is read as they mean it, shown back in BE, and a wrong date is
one clear Thai message."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from tracker.forms import BEDateField, Form
from tracker.i18n import _l


class DateForm(Form):
    day = BEDateField(
        _l("วันครบกำหนด"),
        required=_l("โปรดระบุวันครบกำหนด"),
        earliest=(lambda: date(2023, 1, 1), _l("วันที่ต้องไม่ก่อน %(date)s")),
        latest=(lambda: date(2024, 12, 31), _l("วันที่ต้องไม่หลัง %(date)s")),
    )
    optional = BEDateField(_l("วันที่ดำเนินการแล้วเสร็จ"))


@pytest.fixture
def submit(app):
    def submit(text: str | None, optional: str | None = None, lang: str = "th"):
        data = MultiDict({k: v for k, v in {"day": text, "optional": optional}.items() if v is not None})
        with app.test_request_context("/", method="POST", data=data, query_string={"lang": lang}):
            app.config["WTF_CSRF_ENABLED"] = False
            try:
                form = DateForm()
                ok = form.validate()
                return ok, form.day.data, [str(e) for e in form.day.errors], form.day._value(), form
            finally:
                app.config["WTF_CSRF_ENABLED"] = True

    return submit


@pytest.mark.parametrize(
    "typed",
    [
        "15/08/2566",
        "15/8/2566",
        "15-08-2566",
        "15.08.2566",
        "๑๕/๐๘/๒๕๖๖",
        "15 ส.ค. 2566",
        "15 ส.ค. 66",
        "๑๕ ส.ค. ๒๕๖๖",
        "๑๕ ส.ค. ๖๖",
        "15 สค 2566",
        "15ส.ค.66",
        "15 สิงหาคม 2566",
        "15 สิงหาคม พ.ศ. 2566",
        "15/08/66",
        "2023-08-15",
        "  15 / 08 / 2566  ",
    ],
)
def test_every_way_officers_write_a_date_is_read(submit, typed):
    ok, day, errors, shown, _ = submit(typed)
    assert (ok, day, errors) == (True, date(2023, 8, 15), [])
    assert shown == typed  # what was typed stays in the box as typed


def test_a_two_digit_year_is_the_be_25xx_year(submit):
    assert submit("1 ม.ค. 67")[1] == date(2024, 1, 1)
    assert submit("30/09/99")[1] == date(2056, 9, 30)
    assert submit("30/09/99")[2] == ["วันที่ต้องไม่หลัง 31/12/2567"]  # read as 2599, then out of this form's range


@pytest.mark.parametrize(
    "typed,message",
    [
        ("31/02/2566", "ไม่มีวันที่ 31 กุมภาพันธ์ 2566"),
        ("29/02/2566", "ไม่มีวันที่ 29 กุมภาพันธ์ 2566"),
        ("30 ก.พ. 67", "ไม่มีวันที่ 30 กุมภาพันธ์ 2567"),
        ("15/13/2566", "ไม่มีเดือนที่ 13: '15/13/2566'"),
        ("2023-02-29", "ไม่มีวันที่ 29 กุมภาพันธ์ 2566"),
    ],
)
def test_dates_that_do_not_exist_are_refused_with_one_message(submit, typed, message):
    ok, day, errors, shown, _ = submit(typed)
    assert (ok, day, errors, shown) == (False, None, [message], typed)


def test_leap_years_follow_the_christian_year_under_the_be_number(submit):
    # BE 2567 is 2024, a leap year; BE 2566 is 2023, not one.
    assert submit("29/02/2567")[:3] == (True, date(2024, 2, 29), [])
    assert submit("๒๙ ก.พ. ๖๗")[1] == date(2024, 2, 29)
    assert submit("29/02/2566")[0] is False


@pytest.mark.parametrize(
    "typed,message",
    [
        (
            "15/08/2023",
            "ปี 2023 น่าจะเป็นปี ค.ศ. กรุณาใช้ปี พ.ศ. เช่น 2566",
        ),
        ("15/08/3000", "ปี พ.ศ. 3000 อยู่นอกช่วง 2400–2700"),
        (
            "2566-08-15",
            "ปี ค.ศ. 2566 ในรูปแบบ ISO ไม่สมเหตุสมผล (อาจเป็นปี พ.ศ.?): '2566-08-15'",
        ),
        ("31/12/2565", "วันที่ต้องไม่ก่อน 01/01/2566"),
        ("1 ม.ค. 2568", "วันที่ต้องไม่หลัง 31/12/2567"),
        (
            "15/08/566",
            "อ่านวันที่ไม่ได้: '15/08/566'",
        ),
        (
            "tomorrow",
            "อ่านวันที่ไม่ได้: 'tomorrow'",
        ),
        ("", "โปรดระบุวันครบกำหนด"),
        ("   ", "โปรดระบุวันครบกำหนด"),
    ],
)
def test_out_of_range_unreadable_and_missing_dates_are_refused(submit, typed, message):
    ok, _, errors, _, _ = submit(typed)
    assert (ok, errors) == (False, [message])


def test_english_pages_get_the_english_message(submit):
    assert submit("31/02/2566", lang="en")[2] == ["No such date: 31 February 2566"]


def test_an_optional_date_may_stay_empty(submit):
    ok, _, _, _, form = submit("15/08/2566", optional="")
    assert ok and form.optional.data is None and form.optional.errors == []


def test_a_stored_date_is_shown_in_be_in_a_text_box_never_a_browser_picker(app):
    with app.test_request_context("/"):
        form = DateForm(data={"day": date(2023, 8, 15)})
        html = str(form.day())
    assert 'type="text"' in html and 'type="date"' not in html
    assert 'value="15/08/2566"' in html


def test_thai_digit_users_see_thai_digits(app, world, login, client):
    from tracker.db import db

    world.owner_palad.thai_digits = True
    db.session.commit()
    login(world.owner_palad)
    with app.test_request_context("/"):
        from flask_login import login_user

        login_user(world.owner_palad)
        form = DateForm(data={"day": date(2023, 8, 15)})
        assert form.day._value() == "๑๕/๐๘/๒๕๖๖"


# -- pages: a wrong date is one message, beside its field, and nothing changes -------------------------


def one_error_beside(page: str, field_id: str, message: str, typed: str) -> None:
    """The message appears once, in the field's error line, which the field points at."""
    import re

    assert page.count(message) == 1, page.count(message)
    error = re.search(rf'<p id="{field_id}-error" class="field-error">([^<]*)</p>', page)
    assert error and message in error[1]
    box = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', page)[0]
    assert 'aria-invalid="true"' in box and f"{field_id}-error" in box and 'type="text"' in box
    assert f'value="{typed}"' in box  # what was typed stays, to be corrected
    assert 'class="flash flash-error"' not in page  # not repeated above the form


def test_admin_step_form_shows_a_wrong_date_beside_it_and_keeps_the_step(world, login):
    from tracker.db import db
    from tracker.plans.models import JournalEntry

    step = world.step(world.m1, 2)
    before = (step.title, step.start_date, step.due_date)
    response = login(world.admin).post(
        f"/admin/steps/{step.id}",
        data={
            "title": "ชื่อใหม่",
            "owner_department": str(world.palad.id),
            "assignee": "",
            "start_date": "1/7/2566",
            "due_date": "31/02/2566",
        },
    )
    assert response.status_code == 400
    one_error_beside(response.get_data(as_text=True), "due_date", "ไม่มีวันที่ 31 กุมภาพันธ์ 2566", "31/02/2566")
    db.session.expire_all()
    assert (step.title, step.start_date, step.due_date) == before
    assert db.session.scalars(db.select(JournalEntry).where(JournalEntry.entity == "step")).all() == []


def test_step_page_shows_a_wrong_completion_date_beside_it_and_keeps_the_status(world, login):
    from tracker.db import db
    from tracker.plans.models import StepStatus

    step = world.step(world.m1, 1)
    response = login(world.owner_palad).post(
        f"/steps/{step.id}/status", data={"status": "done", "note": "เสร็จแล้ว", "completed_on": "29/02/2566"}
    )
    assert response.status_code == 400
    one_error_beside(response.get_data(as_text=True), "completed_on", "ไม่มีวันที่ 29 กุมภาพันธ์ 2566", "29/02/2566")
    db.session.expire_all()
    assert step.status is StepStatus.not_started and step.journal == []


def test_a_future_completion_date_from_the_service_also_shows_beside_the_field(world, login):
    from tracker.db import db
    from tracker.plans.models import StepStatus

    step = world.step(world.m1, 1)
    response = login(world.owner_palad).post(
        f"/steps/{step.id}/status", data={"status": "done", "completed_on": "๑ ม.ค. ๗๕"}
    )
    assert response.status_code == 400
    one_error_beside(response.get_data(as_text=True), "completed_on", "อยู่ในอนาคต", "๑ ม.ค. ๗๕")
    db.session.expire_all()
    assert step.status is StepStatus.not_started


def test_signoff_form_shows_a_wrong_report_date_beside_it_and_submits_nothing(world, login):
    from tests.conftest import make_user
    from tracker.auth.models import Role
    from tracker.db import db
    from tracker.reports.models import ReportSubmission

    director = make_user(world.org, "director@example.go.th", Role.manager)
    db.session.commit()
    response = login(world.admin).post(
        "/reports/submissions",
        data={"plan_id": str(world.plan.id), "kind": "followup", "as_of": "32/3/2566", f"order-{director.id}": "1"},
    )
    assert response.status_code == 400
    one_error_beside(response.get_data(as_text=True), "as_of", "ไม่มีวันที่ 32 มีนาคม 2566", "32/3/2566")
    assert db.session.scalars(db.select(ReportSubmission)).all() == []


def test_measure_form_asks_for_missing_dates_beside_each(world, login):
    from tracker.db import db
    from tracker.plans.models import Measure

    count = len(db.session.scalars(db.select(Measure)).all())
    response = login(world.admin).post(
        f"/admin/weaknesses/{world.m1.weakness.id}/measures/new",
        data={
            "title": "มาตรการใหม่",
            "owner_department": str(world.palad.id),
            "period": "",
            "period_start": "",
            "period_end": "30 ก.ย. 66",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    one_error_beside(page, "period_start", "โปรดระบุวันเริ่มระยะเวลา", "")
    assert 'id="period_end-error"' not in page and 'value="30 ก.ย. 66"' in page
    assert len(db.session.scalars(db.select(Measure)).all()) == count
