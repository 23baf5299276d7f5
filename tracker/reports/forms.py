"""The reports pages' forms: the analysis memo's header and findings, and sign-off."""

from __future__ import annotations

from typing import Any

from wtforms import Field, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from ..auth.models import User
from ..forms import BEDateField, Form, RecordField, VersionField, required
from ..forms.query import QueryForm, squeezed
from ..i18n import _, _l
from ..thaidate import to_arabic_digits
from .followup_document import ROUNDS
from .models import ReportKind
from .signoff import KIND_LABELS


class MemoForm(Form):
    """The memo's header; `memo_form` adds one findings box per ITA tool."""

    office = StringField(_l("ส่วนราชการ"))
    reference = StringField(_l("ที่"), render_kw={"maxlength": 100})
    # Required: a memo about a past year never takes today's date by itself.
    memo_date = BEDateField(
        _l("วันที่"),
        [required(_l("กรอกวันที่ของบันทึกข้อความ"))],
        description=_l("จำเป็น: วันที่ที่ลงในบันทึกข้อความ ระบบไม่ใช้วันที่ของวันนี้ให้เอง"),
    )
    addressee = StringField(_l("เรียน"), render_kw={"maxlength": 200})

    def findings(self) -> dict[str, str]:
        """Tool code → the findings typed for it."""
        return {
            name.removeprefix("findings-"): field.data or ""
            for name, field in self._fields.items()
            if name.startswith("findings-")
        }


def memo_form(tools: list[tuple[str, str]], **kwargs: object) -> MemoForm:
    """The memo form for the assessed year's tools ((code, name) pairs): a
    findings box named ``findings-<code>`` for each."""

    class _Memo(MemoForm):
        pass

    for code, name in tools:
        setattr(
            _Memo,
            f"findings-{code}",
            TextAreaField(
                _l("ข้อค้นพบและข้อเสนอ ด้าน %(code)s · findings (%(name)s)", code=code, name=name),
                description=_l(
                    "ต่อจากประโยคที่ระบบเขียนให้ (ตัวชี้วัดที่ได้คะแนนน้อยที่สุด) เว้นว่างได้ ระบบจะใส่ข้อความมาตรฐานให้ · ขึ้นบรรทัดใหม่ = ย่อหน้าใหม่"
                ),
                render_kw={"rows": 5},
            ),
        )
    return _Memo(**kwargs)


class SubmitForm(Form):
    """Submitting a report to the managers; `submit_form` adds one order box per manager."""

    plan_id = RecordField(_l("แผน"), [required(_l("โปรดเลือกแผน"))], not_found=_l("โปรดเลือกแผน"))
    kind = RadioField(
        _l("รายงาน"),
        [required(_l("โปรดเลือกชนิดรายงาน"))],
        invalid_choice_message=_l("โปรดเลือกชนิดรายงาน"),
    )
    as_of = BEDateField(
        _l("วันที่"),
        description=_l(
            "รายงานผลการดำเนินการ: ข้อมูล ณ วันที่ (เว้นว่าง = วันนี้ หรือเลือกรอบ) · รายงานการวิเคราะห์: วันที่ของบันทึก (เว้นว่าง = วันที่ในบันทึก)"
        ),
    )
    # Which rounds exist is followup.resolve_as_of's rule, with its own message.
    round = SelectField(_l("รอบรายงาน (เฉพาะรายงานผลการดำเนินการ)"), validate_choice=False)
    note = TextAreaField(_l("หมายเหตุ"))

    managers: list[User] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, _(KIND_LABELS[k])) for k in ReportKind]
        self.round.choices = [SelectChoice("", "–")] + [SelectChoice(str(r), _(text)) for r, text in ROUNDS.items()]
        self.chain: list[User] = []

    def order_fields(self) -> list[tuple[User, Field]]:
        return [(m, self[f"order-{m.id}"]) for m in self.managers]

    def validate(self, extra_validators: Any = None) -> bool:
        """Also the chain: the managers given a number, in that order (Thai digits accepted)."""
        super().validate(extra_validators)
        picked: list[tuple[int, User]] = []
        for manager, field in self.order_fields():
            text = to_arabic_digits(field.data or "").strip()
            if not text:
                continue
            if not text.isdigit() or int(text) < 1:
                field.errors = [
                    _(
                        "ลำดับของ %(name)s ต้องเป็นเลข 1, 2, 3 …",
                        name=manager.display_name,
                    )
                ]
                continue
            picked.append((int(text), manager))
        numbers = [n for n, _m in picked]
        if len(set(numbers)) != len(numbers):
            self.form_errors.append(_("มีลำดับซ้ำกัน โปรดให้แต่ละคนมีลำดับไม่ซ้ำ"))
        self.chain = [m for _n, m in sorted(picked, key=lambda p: p[0])]
        return not self.has_errors


def submit_form(managers: list[User], **kwargs: Any) -> SubmitForm:
    class _Submit(SubmitForm):
        pass

    _Submit.managers = managers
    for manager in managers:
        label = manager.display_name + (f" · {manager.position}" if manager.position else "")
        setattr(_Submit, f"order-{manager.id}", StringField(label, render_kw={"inputmode": "numeric", "size": 3}))
    return _Submit(**kwargs)


class AcknowledgeForm(Form):
    comment = StringField(_l("ความเห็น"), render_kw={"list": "comment-suggestions", "required": True, "maxlength": 1000})


class WithdrawForm(Form):
    reason = StringField(_l("เหตุผล"), render_kw={"maxlength": 2000})


class ResultForm(Form):
    """A measure's follow-up result; reading the figure ("1,250", "๘๗.๕") is the results service's rule."""

    value = StringField(
        _l("ค่า"),
        render_kw={"inputmode": "decimal", "maxlength": 40},
        description=_l("ตัวเลข เช่น 1,250 หรือ 87.5 — เว้นว่างได้ถ้าผลไม่ใช่ตัวเลข"),
    )
    unit = StringField(_l("หน่วย"), render_kw={"maxlength": 50})
    note = TextAreaField(_l("หมายเหตุ / สรุปผล"), render_kw={"maxlength": 5000})
    version = VersionField()


class LastOfBoolean(Field):
    """A check box sent after a hidden "0" of the same name (so unticking is
    remembered in links): the last value wins; None when neither was sent."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None if not valuelist else valuelist[-1] in ("1", "on", "true")

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, bool) else None


def _signer(label: Any) -> StringField:
    return StringField(label, filters=[squeezed(SIGNER_MAX)])


#: Longest name or position kept for the report's signers.
SIGNER_MAX = 200


class _ReportChoices:
    """What the follow-up report shows: its date (or a round), digits, signers."""

    as_of = BEDateField(_l("วันที่รายงาน"))
    # Which rounds exist is followup.resolve_as_of's rule, with its own message.
    round = StringField(_l("รอบรายงาน"), filters=[squeezed(10)])
    thai_digits = LastOfBoolean()
    reporter_name = _signer(_l("ผู้รายงาน"))
    reporter_position = _signer(_l("ตำแหน่ง"))
    reviewer_name = _signer(_l("ผู้ตรวจสอบ"))
    reviewer_position = _signer(_l("ตำแหน่ง"))

    def signers(self) -> dict[str, str | None]:
        return {name: self[name].data or None for name in SIGNER_NAMES}  # type: ignore[index]

    def problems(self) -> str:
        """Every problem as "label: message", in the order of the fields."""
        return " ".join(self.labelled_errors())  # type: ignore[attr-defined]


SIGNER_NAMES = ("reporter_name", "reporter_position", "reviewer_name", "reviewer_position")


class ReportQueryForm(_ReportChoices, QueryForm):
    """The follow-up report page's controls and its downloads' query string (GET)."""


class CoverForm(_ReportChoices, Form):
    """The covering memo of the report as shown (POST): the report's choices, the memo's header."""

    format = StringField(default="pdf")  # the view answers 404 to any other than COVER_FORMATS
    memo_date = BEDateField(_l("วันที่ของบันทึก"))
    reference = StringField(_l("ที่"), filters=[squeezed(100)])
    office = StringField(_l("ส่วนราชการ"), filters=[squeezed(SIGNER_MAX)])
    addressee = StringField(_l("เรียน"), filters=[squeezed(SIGNER_MAX)])
    findings = TextAreaField(_l("ข้อเท็จจริงเพิ่มเติม"), validators=[Length(max=10_000)])


class SubmitPresetForm(QueryForm):
    """The submit form's fields that a link from a report page presets (GET); the
    submit form reads and checks them like typed ones."""

    plan_id = StringField(filters=[squeezed(20)])
    kind = StringField(filters=[squeezed(20)])
    as_of = StringField(filters=[squeezed(40)])
    round = StringField(filters=[squeezed(10)])

    def given(self) -> dict[str, str]:
        return {field.name: field.data for field in self if field.data}
