"""Publishing reports on the public page (admins)."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from ..forms import BEDateField, Form, MultiCheckboxField
from ..forms.query import QueryForm
from ..i18n import _, _l


class PublishForm(Form):
    # Which kinds and formats exist, and the rounds, are the services' rules with their own messages.
    kind = RadioField(_l("รายงาน"), default="followup", validate_choice=False, render_kw={"required": True})
    as_of = BEDateField(_l("ข้อมูล ณ วันที่ (รายงานผลการดำเนินการ)"))
    round = SelectField(_l("รอบรายงาน"), validate_choice=False)
    format = MultiCheckboxField(_l("รูปแบบไฟล์"), default=["pdf"], validate_choice=False)
    thai_digits = BooleanField(_l("เลขไทยในรายงานผลการดำเนินการ"))

    def __init__(self, *args: Any, kinds: dict[str, str], presets: list[tuple[int, str, str]], **kwargs: Any) -> None:
        """`kinds`: kind → label (as shown) of the kinds that can be made; `presets`: (round, label, its date shown)."""
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(kind, label) for kind, label in kinds.items()]
        self.round.choices = [SelectChoice("", _("ตามวันที่ที่ระบุ"))] + [
            SelectChoice(str(r), f"{_(label)} ({day})") for r, label, day in presets
        ]
        self.format.choices = [
            SelectChoice("pdf", "PDF"),
            SelectChoice("xlsx", _("Excel (XLSX) — เฉพาะรายงานผลการดำเนินการ")),
            SelectChoice("docx", "Word (DOCX)"),
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if self.kind.data != "followup":
            self.as_of.errors = []  # the analysis memo has its own date; this box is the follow-up report's
        return not self.has_errors


class PublishPresetForm(QueryForm):
    """The publish page's date from a link (``?as_of=``, GET)."""

    as_of = PublishForm.as_of


class WithdrawForm(Form):
    reason = StringField(_l("เหตุผลที่ถอน"), render_kw={"maxlength": 1000})
