"""The administration pages' forms. They read and check what was typed (dates,
periods, a year, which department or user); the services in `services.py`
check the rules of the plan itself."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, Length, ValidationError

from ..auth.models import ORG_ROLES
from ..forms import BEDateField, Form, RecordField, VersionField, required
from ..forms.query import ChoiceArg, PagedForm, SearchArg
from ..i18n import _, _l
from ..orgs.documents import EMBLEM_MAX_BYTES
from ..orgs.models import DoneRule
from ..plans.models import PlanStatus
from ..thaidate import PeriodError, parse_period, to_arabic_digits

_PASSWORDS_DIFFER = _l("รหัสผ่านทั้งสองช่องไม่ตรงกัน")
_UNKNOWN_DEPARTMENT = _l("ไม่พบหน่วยงานที่เลือก")
_UNKNOWN_USER = _l("ไม่พบผู้ใช้ที่เลือก")


def _departments_field(label: Any, validators: Any = None, **kwargs: Any) -> RecordField:
    return RecordField(label, validators, not_found=_UNKNOWN_DEPARTMENT, **kwargs)


class PlanNewForm(Form):
    fiscal_year = StringField(
        _l("ปีงบประมาณ (พ.ศ.) · fiscal year (BE)"),
        description=_l("เช่น 2566"),
        render_kw={"required": True, "inputmode": "numeric"},
    )
    title = StringField(
        _l("ชื่อแผน"),
        render_kw={"required": True},
        description=_l("เช่น มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. ๒๕๖๖"),
    )

    def validate_fiscal_year(self, field: StringField) -> None:
        text = to_arabic_digits((field.data or "").strip())
        if not text.isdigit():
            raise ValidationError(_("ปีงบประมาณต้องเป็นตัวเลข พ.ศ. เช่น 2566"))
        field.data = int(text)


class PlanForm(Form):
    title = StringField(_l("ชื่อแผน"), render_kw={"required": True})
    status = SelectField(_l("สถานะ"))
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, f"{_(s.label)} ({s.value})") for s in PlanStatus]


class WeaknessForm(Form):
    title = StringField(_l("ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อน"), render_kw={"required": True})
    detail = TextAreaField(_l("รายละเอียด"))


class MeasureForm(Form):
    #: The period's dates, from the typed period or the two date fields (set by validate)
    dates: tuple[date, date] | None = None

    title = TextAreaField(_l("มาตรการ/แนวทาง"), render_kw={"required": True})
    owner_department = _departments_field(_l("หน่วยงานผู้รับผิดชอบ"), [required(_l("โปรดเลือกหน่วยงาน"))])
    move_steps = BooleanField(_l("เมื่อเปลี่ยนหน่วยงาน ให้ย้ายขั้นตอนของหน่วยงานเดิมไปด้วย"))
    period = StringField(
        _l("พิมพ์ระยะเวลาแบบในแผน"),
        description=_l("เช่น ม.ค. - ก.ย. ๒๕๖๖ หรือ ต.ค. ๒๕๖๕ – มี.ค. ๒๕๖๖ ถ้ากรอกช่องนี้ ระบบใช้ค่านี้แทนวันที่ด้านล่าง"),
    )
    period_start = BEDateField(_l("หรือวันเริ่ม"))
    period_end = BEDateField(_l("วันสิ้นสุด"))
    follow_up = TextAreaField(_l("การติดตามผล"))
    version = VersionField()

    def validate_period(self, field: StringField) -> None:
        text = (field.data or "").strip()
        if text:
            try:
                self.dates = parse_period(text)
            except PeriodError as exc:
                raise ValidationError(str(exc)) from None

    @property
    def valid_dates(self) -> tuple[date, date]:
        """The period of a form that passed validation."""
        if self.dates is None:
            raise ValueError("no period; validate the form first")
        return self.dates

    def validate(self, extra_validators: Any = None) -> bool:
        """The period as officers write it wins; without it both dates are needed."""
        self.dates = None
        super().validate(extra_validators)
        if not (self.period.data or "").strip():
            for name, what in (("period_start", _("วันเริ่มระยะเวลา")), ("period_end", _("วันสิ้นสุดระยะเวลา"))):
                if self[name].data is None and not self[name].errors:
                    self[name].errors = [_("โปรดระบุ%(what)s", what=what)]
            if self.period_start.data and self.period_end.data:
                self.dates = (self.period_start.data, self.period_end.data)
        return not self.has_errors


class StepForm(Form):
    title = TextAreaField(_l("ขั้นตอน"), render_kw={"required": True})
    owner_department = _departments_field(
        _l("หน่วยงานผู้รับผิดชอบ"),
        render_kw={"required": True},
        description=_l("ค่าเริ่มต้นคือหน่วยงานของมาตรการ"),
    )
    assignee = RecordField(_l("ผู้รับผิดชอบ (ถ้ามี)"), not_found=_UNKNOWN_USER)
    start_date = BEDateField(_l("วันเริ่ม"), required=_l("โปรดระบุวันเริ่ม"))
    due_date = BEDateField(
        _l("วันครบกำหนด"),
        required=_l("โปรดระบุวันครบกำหนด"),
        description=_l("วันครบกำหนดต้องอยู่ในระยะเวลาของมาตรการ"),
    )
    version = VersionField()

    def __init__(self, *args: Any, new: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new = new

    def validate_owner_department(self, field: RecordField) -> None:
        # A new step without one gets the measure's department; an edited step keeps needing one.
        if field.data is None and not self.new:
            raise ValidationError(_("โปรดเลือกหน่วยงาน"))


class DepartmentForm(Form):
    name = StringField(_l("ชื่อหน่วยงาน"), description=_l("เช่น กองยุทธศาสตร์และงบประมาณ"), render_kw={"required": True})
    email = EmailField(
        _l("อีเมลสำหรับแจ้งเตือน"),
        description=_l("อีเมลกลางของหน่วยงาน เว้นว่างได้"),
    )
    head = RecordField(
        _l("หัวหน้าหน่วยงาน"),
        not_found=_UNKNOWN_USER,
        description=_l("ผู้รับการแจ้งเตือนเมื่องานล่าช้า"),
    )


class _UserFields(Form):
    display_name = StringField(_l("ชื่อที่แสดง"), description=_l("เช่น นางสาวสมใจ ใจดี"), render_kw={"required": True})
    position = StringField(_l("ตำแหน่ง"), description=_l("เช่น นักวิเคราะห์นโยบายและแผน"))
    role = SelectField(_l("บทบาท"), render_kw={"required": True}, invalid_choice_message=_l("ตัวเลือกไม่ถูกต้อง"))
    department = _departments_field(_l("หน่วยงาน"), description=_l("เจ้าหน้าที่ผู้รับผิดชอบต้องสังกัดหน่วยงาน"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(r.value, _(r.label)) for r in ORG_ROLES]


class UserNewForm(_UserFields):
    email = EmailField(_l("อีเมล (ใช้เข้าสู่ระบบ)"), render_kw={"required": True, "autocomplete": "off"})
    password = PasswordField(_l("รหัสผ่านเริ่มต้น"), render_kw={"required": True, "autocomplete": "new-password"})
    password_confirm = PasswordField(
        _l("ยืนยันรหัสผ่าน"),
        [EqualTo("password", _PASSWORDS_DIFFER)],
        render_kw={"required": True, "autocomplete": "new-password"},
    )


class UserEditForm(_UserFields):
    active = BooleanField(_l("ใช้งานอยู่"))
    version = VersionField()


class PasswordResetForm(Form):
    new_password = PasswordField(_l("รหัสผ่านใหม่"), render_kw={"required": True, "autocomplete": "new-password"})
    new_password_confirm = PasswordField(
        _l("ยืนยันรหัสผ่านใหม่"),
        [EqualTo("new_password", _PASSWORDS_DIFFER)],
        render_kw={"required": True, "autocomplete": "new-password"},
    )


class UserActiveForm(Form):
    #: "1" reactivates, anything else deactivates (the button says which).
    active = HiddenField()


class DocumentsForm(Form):
    """The organization's official-document settings: the ครุฑ emblem and Thai digits."""

    emblem = FileField(
        _l("ไฟล์ตราครุฑ (PNG หรือ JPEG ไม่เกิน %(mb)s MB)", mb=EMBLEM_MAX_BYTES // (1024 * 1024)),
        description=_l("ใช้ไฟล์ตราครุฑที่หน่วยงานได้รับ พื้นหลังโปร่งใสหรือสีขาว"),
        id="f-emblem",
        render_kw={"accept": ".png,.jpg,.jpeg,image/png,image/jpeg"},
    )
    thai_digits = BooleanField(_l("ใช้เลขไทย (๐–๙) ในบันทึกข้อความและรายงาน"), id="f-thai-digits")


class UserListForm(PagedForm):
    """The users list's search (GET): name, email or position, and a role."""

    q = SearchArg()
    role = ChoiceArg(allowed=[r.value for r in ORG_ROLES], message=_l("ไม่รู้จักบทบาท “%(value)s”"))


class SigningForm(Form):
    """The organization's signing certificate: a PKCS#12 file and its password."""

    p12 = FileField(_l("ไฟล์ใบรับรอง .p12 หรือ .pfx"))
    password = PasswordField(_l("รหัสผ่านของไฟล์"), validators=[Length(max=1000, message=_l("ยาวเกิน %(max)d ตัวอักษร"))])


class StepRulesForm(Form):
    """The organization's rule for marking a step done (tracker/orgs/settings.py)."""

    done_requires = RadioField(
        _l("ก่อนเปลี่ยนขั้นตอนเป็น “ดำเนินการแล้ว”"),
        validate_choice=False,
        description=_l("ใช้กับทุกช่องทาง ทั้งหน้าขั้นตอนและ API"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.done_requires.choices = [SelectChoice(r.value, _(r.label)) for r in DoneRule]
