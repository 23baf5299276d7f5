"""The notification pages' forms: the organization's rules (admins) and a
person's digest preferences. The forms read numbers, days and a time of day;
which values are allowed stays the rules service's (`rules.validate_rules`)."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, Field, HiddenField, SearchField, SelectField, StringField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import ValidationError

from .. import thaidate
from ..forms import Form, RecordField, WholeNumberField
from ..forms.query import PagedForm, QueryForm
from ..i18n import _, _l
from ..orgs.models import Department
from ..plans.listing import MAX_SEARCH
from .models import OutboxStatus
from .rules import WEEKDAYS, minutes_label, parse_time_of_day

_NOT_A_NUMBER = _l("%(label)s: “%%(value)s” ไม่ใช่ตัวเลข")


def _weekday_choices(blank: str) -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(str(i), _(WEEKDAYS[i])) for i in range(7)]


class WeekdayField(SelectField):
    """A day of the week (0 = Monday) or none, chosen from a list. ``data`` is
    an int or None; a number outside the week is left to the service, which
    names the field in its message."""

    def __init__(self, label: Any, *, blank: Any, service_label: str, **kwargs: Any) -> None:
        super().__init__(label, validate_choice=False, **kwargs)
        self.blank, self.not_a_number = blank, _NOT_A_NUMBER % {"label": service_label}

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, int) else None

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = thaidate.to_arabic_digits(valuelist[0] if isinstance(valuelist[0], str) else "").strip()
        if text in ("", "off", "none"):
            self.data = None
        elif text.isdigit():
            self.data = int(text)
        else:
            self.data = None
            raise ValueError(self.not_a_number % {"value": text[:20]})

    def iter_choices(self) -> Any:
        for choice in _weekday_choices(str(self.blank)):
            chosen = choice.value == ("" if self.data is None else str(self.data))
            yield Choice(choice.value, choice.label, chosen, {})


class RulesForm(Form):
    days_before = StringField(
        _l("แจ้งล่วงหน้ากี่วันทำการก่อนครบกำหนด"),
        description=_l("คั่นด้วยจุลภาค เช่น 7,1 เว้นว่างได้หากไม่ต้องการแจ้งล่วงหน้า"),
        render_kw={"inputmode": "numeric"},
    )
    remind_on_due_date = BooleanField(_l("แจ้งในวันครบกำหนด"))
    overdue_weekday = WeekdayField(
        _l("แจ้งซ้ำทุกสัปดาห์เมื่อเลยกำหนด"),
        blank=_l("ไม่แจ้งซ้ำ"),
        service_label=_l("วันแจ้งงานที่เลยกำหนด"),
    )
    escalate_after_days = WholeNumberField(
        _l("แจ้งหัวหน้าหน่วยงานเมื่อเลยกำหนดเกินกี่วัน"),
        description=_l("เว้นว่างหากไม่ต้องการแจ้งหัวหน้า"),
        not_a_number=_NOT_A_NUMBER % {"label": _l("แจ้งหัวหน้าเมื่อเลยกำหนดเกิน")},
    )
    digest_weekday = WeekdayField(
        _l("วันส่งสรุปประจำสัปดาห์"),
        blank=_l("ไม่ส่ง"),
        service_label=_l("วันส่งสรุปประจำสัปดาห์"),
        description=_l("ผู้ใช้แต่ละคนเลือกวันของตนเองได้ที่หน้าตั้งค่า"),
    )
    monthly_summary = BooleanField(_l("ส่งสรุปประจำเดือนในวันทำการแรกของเดือน"))
    lookahead_days = WholeNumberField(
        _l("สรุปงานที่จะครบกำหนดภายในกี่วัน"),
        render_kw={"required": True},
        not_a_number=_NOT_A_NUMBER % {"label": _l("สรุปงานที่จะครบกำหนดภายใน")},
    )
    signoff_reminder_days = WholeNumberField(
        _l("เตือนผู้บริหารอีกครั้งเมื่อรายงานรอการพิจารณาเกินกี่วันทำการ"),
        description=_l("ผู้บริหารที่ถึงลำดับพิจารณาได้รับการเตือนหนึ่งครั้ง (อีเมลและในระบบ)"),
        render_kw={"required": True},
        not_a_number=_NOT_A_NUMBER % {"label": _l("เตือนผู้บริหารเมื่อรายงานรอการพิจารณาเกิน")},
    )
    send_after = StringField(
        _l("เริ่มส่งอีเมลตั้งแต่เวลา"),
        render_kw={"placeholder": "08:00"},
        description=_l("รูปแบบ ชั่วโมง:นาที เช่น 08:00"),
    )

    @classmethod
    def of(cls, rules: Any) -> RulesForm:
        return cls(
            formdata=None,
            data={
                "days_before": rules.days_before,
                "remind_on_due_date": rules.remind_on_due_date,
                "overdue_weekday": rules.overdue_weekday,
                "escalate_after_days": rules.escalate_after_days,
                "digest_weekday": rules.digest_weekday,
                "monthly_summary": rules.monthly_summary,
                "lookahead_days": rules.lookahead_days,
                "signoff_reminder_days": rules.signoff_reminder_days,
                "send_after": minutes_label(rules.send_after_minutes),
            },
        )

    def validate_lookahead_days(self, field: Field) -> None:
        if field.data is None:
            raise ValidationError(_("สรุปงานที่จะครบกำหนดภายใน: โปรดระบุจำนวนวัน"))

    def validate_signoff_reminder_days(self, field: Field) -> None:
        if field.data is None:
            raise ValidationError(_("เตือนผู้บริหารเมื่อรายงานรอการพิจารณาเกิน: โปรดระบุจำนวนวันทำการ"))

    def validate_send_after(self, field: Field) -> None:
        try:
            self.send_after_minutes = parse_time_of_day(field.data or "")
        except ValueError:
            raise ValidationError(
                _(
                    "เวลาเริ่มส่งอีเมล: “%(field_data_or_20)s” ต้องเป็นเวลา เช่น 08:00",
                    field_data_or_20=(field.data or "")[:20],
                )
            ) from None

    def values(self) -> dict[str, Any]:
        """The typed values for `rules.update_rules`, leaving out any field this form refused."""
        values = {
            name: self[name].data
            for name in (
                "days_before",
                "remind_on_due_date",
                "overdue_weekday",
                "escalate_after_days",
                "digest_weekday",
                "monthly_summary",
                "lookahead_days",
                "signoff_reminder_days",
            )
            if not self[name].errors
        }
        values["days_before"] = values.get("days_before") or ""
        if not self.send_after.errors and hasattr(self, "send_after_minutes"):
            values["send_after_minutes"] = self.send_after_minutes
        return values


class PreferencesForm(Form):
    digest_enabled = BooleanField(_l("รับสรุปทางอีเมล"))
    digest_weekday = SelectField(
        _l("วันรับสรุปประจำสัปดาห์"),
        invalid_choice_message=_l("วันรับสรุปประจำสัปดาห์ไม่ถูกต้อง"),
    )

    def __init__(self, *args: Any, org_weekday: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.digest_weekday.choices = _weekday_choices(_("ตามที่องค์กรกำหนด: %(day)s", day=str(org_weekday)))

    @property
    def weekday(self) -> int | None:
        return int(self.digest_weekday.data) if self.digest_weekday.data else None


class OutboxFilterForm(PagedForm):
    """The outbox list's search (GET): a status (from the tabs), text to look for, a page."""

    status = HiddenField()
    q = SearchField(
        _l("ค้นหา"),
        description=_l("ผู้รับหรือเรื่อง"),
        filters=[lambda text: " ".join((text or "").split())[:MAX_SEARCH]],
        render_kw={"maxlength": MAX_SEARCH},
        id="f-q",
    )

    def validate_status(self, field: HiddenField) -> None:
        if field.data and field.data not in {s.value for s in OutboxStatus}:
            raise ValidationError(_("ไม่รู้จักสถานะ %(field_data_30)r", field_data_30=field.data[:30]))

    @property
    def chosen_status(self) -> OutboxStatus | None:
        """The status of a form that passed validation (None: every status)."""
        return OutboxStatus(self.status.data) if self.status.data else None


class CalendarForm(QueryForm):
    """The month calendar's choice (GET): which month (BE year) and which department."""

    month = SelectField(_l("เดือน"), coerce=int, id="f-month")
    year = WholeNumberField(
        _l("ปี พ.ศ."),
        not_a_number=_l("ปี พ.ศ.: “%(value)s” ไม่ใช่ตัวเลข"),
        id="f-year",
        render_kw={"maxlength": 4, "size": 5},
    )
    department = RecordField(_l("หน่วยงาน"), not_found=_l("ไม่พบหน่วยงานที่เลือก"), id="f-department")

    def __init__(self, *args: Any, departments: list[Department], month_names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.month.choices = [SelectChoice(i, name) for i, name in enumerate(month_names, start=1)]
        self.department.set_records(departments, text=lambda d: d.name, blank=_l("ทุกหน่วยงาน"))

    def validate_year(self, field: WholeNumberField) -> None:
        if field.data is not None and not thaidate.MIN_BE_YEAR <= field.data <= thaidate.MAX_BE_YEAR:
            raise ValidationError(
                _(
                    "ปี พ.ศ. ต้องอยู่ระหว่าง %(low)s ถึง %(high)s",
                    low=thaidate.MIN_BE_YEAR,
                    high=thaidate.MAX_BE_YEAR,
                )
            )
