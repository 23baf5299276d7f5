"""The step page's forms (status, progress note) and the evidence forms, which
the follow-up result page shares (templates/plans/_evidence_forms.html)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..forms import BEDateField, Form, VersionField, required
from ..forms.query import QueryForm
from ..i18n import _, _l
from .models import StepStatus


class StatusForm(Form):
    # Which status may follow which is the service's rule (services.TRANSITIONS), with its own messages.
    status = RadioField(validators=[required(_l("โปรดเลือกสถานะใหม่"))], validate_choice=False)
    note = TextAreaField(
        _l("บันทึก"),
        id="status-note",
        description=_l("สิ่งที่ทำไปแล้ว ผลที่ได้ หรือเหตุที่ล่าช้า"),
    )
    completed_on = BEDateField(
        _l("วันที่ดำเนินการแล้วเสร็จ"),
        description=_l("ใช้เมื่อเลือก “ดำเนินการแล้ว” เว้นว่างไว้ถ้าเสร็จวันนี้ พิมพ์แบบ 15/08/2566 ได้"),
    )
    cancel_reason = StringField(_l("เหตุผลที่ยกเลิก"), render_kw={"maxlength": 1000})
    version = VersionField()

    def __init__(self, *args: Any, current: StepStatus, next_statuses: list[StepStatus], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.label.text = _("จาก “%(status)s” เป็น", status=_(current.label))
        self.status.choices = [SelectChoice(s.value, _(s.label)) for s in next_statuses]

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if self.status.data != StepStatus.done.value:
            # The completion date belongs to "done" only; typed for another status it is ignored.
            self.completed_on.errors, self.completed_on.data = [], None
        return not self.has_errors


class CommentForm(Form):
    comment = TextAreaField(_l("บันทึก"), render_kw={"required": True})


#: A box that is ticked sends "1" (or "on"); "0" is unticked too.
_UNTICKED = ("", "0", "false", "off")


class FileEvidenceForm(Form):
    """Evidence as an uploaded file (steps and follow-up results share it)."""

    kind = HiddenField(default="file")
    file = FileField(_l("ไฟล์"), id="evidence-file", render_kw={"required": True})
    public = BooleanField(_l("เผยแพร่ต่อสาธารณะ"), id="evidence-file-public", false_values=_UNTICKED)

    def validate_file(self, field: FileField) -> None:
        if not getattr(field.data, "filename", None):
            raise ValidationError(_("โปรดเลือกไฟล์ที่จะแนบ"))


class LinkEvidenceForm(Form):
    """Evidence as a link; whether the address is acceptable is the service's rule."""

    kind = HiddenField(default="link")
    url = StringField(
        _l("ลิงก์ (URL)"), id="evidence-url", render_kw={"type": "url", "required": True, "placeholder": "https://"}
    )
    title = StringField(_l("ชื่อที่แสดง"), id="evidence-title", render_kw={"maxlength": 255})
    public = BooleanField(_l("เผยแพร่ต่อสาธารณะ"), id="evidence-link-public", false_values=_UNTICKED)


class EvidencePublicForm(Form):
    """เผยแพร่ / เลิกเผยแพร่: the button sends the state it asks for, 1 (public) or 0 (internal)."""

    public = HiddenField()

    def validate_public(self, field: HiddenField) -> None:
        if field.data not in ("0", "1"):
            raise ValidationError(_("โปรดเลือกเผยแพร่หรือไม่เผยแพร่"))


def evidence_forms(kind: str | None = None) -> tuple[FileEvidenceForm, LinkEvidenceForm]:
    """The two evidence forms; the one named by `kind` ("file", "link") reads the request."""
    file_form = FileEvidenceForm() if kind == "file" else FileEvidenceForm(formdata=None)
    link_form = LinkEvidenceForm() if kind == "link" else LinkEvidenceForm(formdata=None)
    return file_form, link_form


class EvidenceKindForm(Form):
    """Which of the two evidence forms was sent: their hidden ``kind`` ("file", "link",
    anything else is neither). The chosen form then checks its fields and CSRF token."""

    class Meta:
        csrf = False  # read only to choose the form, which carries the token

    kind = HiddenField()

    @property
    def chosen(self) -> str:
        return self.kind.data if self.kind.data in ("file", "link") else ""


class DownloadQuery(QueryForm):
    """``?download=1``: a file that could open in the browser is downloaded instead."""

    download = HiddenField()
