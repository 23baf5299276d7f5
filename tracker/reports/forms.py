"""The reports pages' forms: the analysis memo's header and findings, and sign-off."""

from __future__ import annotations

from typing import Any

from wtforms import Field, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..auth.models import User
from ..forms import BEDateField, Form, RecordField, VersionField, required
from ..i18n import _, _l
from ..thaidate import to_arabic_digits
from .followup_document import ROUNDS
from .models import ReportKind
from .signoff import KIND_LABELS


class MemoForm(Form):
    """The memo's header; `memo_form` adds one findings box per ITA tool."""

    office = StringField(_l("ส่วนราชการ · office"))
    reference = StringField(_l("ที่ · reference"), render_kw={"maxlength": 100})
    # Required: a memo about a past year never takes today's date by itself.
    memo_date = BEDateField(
        _l("วันที่ · date"),
        [required(_l("กรอกวันที่ของบันทึกข้อความ (the memo's date is required)"))],
        description=_l("จำเป็น: วันที่ที่ลงในบันทึกข้อความ ระบบไม่ใช้วันที่ของวันนี้ให้เอง"),
    )
    addressee = StringField(_l("เรียน · addressee"), render_kw={"maxlength": 200})

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

    plan_id = RecordField(
        _l("แผน · plan"), [required(_l("โปรดเลือกแผน (choose a plan)"))], not_found=_l("โปรดเลือกแผน (choose a plan)")
    )
    kind = RadioField(
        _l("รายงาน · report"),
        [required(_l("โปรดเลือกชนิดรายงาน (choose the kind of report)"))],
        invalid_choice_message=_l("โปรดเลือกชนิดรายงาน (choose the kind of report)"),
    )
    as_of = BEDateField(
        _l("วันที่ · date"),
        description=_l(
            "รายงานผลการดำเนินการ: ข้อมูล ณ วันที่ (เว้นว่าง = วันนี้ หรือเลือกรอบ) · รายงานการวิเคราะห์: วันที่ของบันทึก (เว้นว่าง = วันที่ในบันทึก)"
        ),
    )
    # Which rounds exist is followup.resolve_as_of's rule, with its own message.
    round = SelectField(_l("รอบรายงาน (เฉพาะรายงานผลการดำเนินการ) · round"), validate_choice=False)
    note = TextAreaField(_l("หมายเหตุ · note"))

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
                        "ลำดับของ %(name)s ต้องเป็นเลข 1, 2, 3 … (the order must be a positive number)",
                        name=manager.display_name,
                    )
                ]
                continue
            picked.append((int(text), manager))
        numbers = [n for n, _m in picked]
        if len(set(numbers)) != len(numbers):
            self.form_errors.append(_("มีลำดับซ้ำกัน โปรดให้แต่ละคนมีลำดับไม่ซ้ำ (two managers have the same number)"))
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
    comment = StringField(
        _l("ความเห็น · comment"), render_kw={"list": "comment-suggestions", "required": True, "maxlength": 1000}
    )


class WithdrawForm(Form):
    reason = StringField(_l("เหตุผล · reason"), render_kw={"maxlength": 2000})


class ResultForm(Form):
    """A measure's follow-up result; reading the figure ("1,250", "๘๗.๕") is the results service's rule."""

    value = StringField(
        _l("ค่า (value)"),
        render_kw={"inputmode": "decimal", "maxlength": 40},
        description=_l(
            "ตัวเลข เช่น 1,250 หรือ 87.5 — เว้นว่างได้ถ้าผลไม่ใช่ตัวเลข (leave empty when the result is not a figure)"
        ),
    )
    unit = StringField(_l("หน่วย (unit)"), render_kw={"maxlength": 50})
    note = TextAreaField(_l("หมายเหตุ / สรุปผล (note)"), render_kw={"maxlength": 5000})
    version = VersionField()
