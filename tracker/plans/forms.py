"""The step page's forms (the one update form, the older progress-note form) and the evidence forms, which
the follow-up result page shares (templates/plans/_evidence_forms.html)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..forms import BEDateField, Form, VersionField, required
from ..i18n import _, _l
from .models import StepStatus

#: A box that is ticked sends "1" (or "on"); "0" is unticked too.
_UNTICKED = ("", "0", "false", "off")


class StepUpdateForm(Form):
    """The step page's one form (issue 11): a new status, a note, the completion date,
    files and links, sent together. Which status may follow which, the organization's
    rule for "done" and whether a file or link is acceptable are the service's rules
    (plans/update.py), with their own messages."""

    # "" keeps the status: a note or evidence alone is an update too.
    status = RadioField(validate_choice=False, default="")
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
    files = MultipleFileField(_l("แนบไฟล์"), id="evidence-file")
    links = TextAreaField(
        _l("แนบลิงก์"),
        id="evidence-links",
        description=_l("บรรทัดละหนึ่งลิงก์ ขึ้นต้นด้วย https:// ตามด้วยเว้นวรรคและชื่อที่แสดงก็ได้"),
        render_kw={"rows": 2, "placeholder": "https://"},
    )
    public = BooleanField(_l("เผยแพร่ไฟล์และลิงก์ที่แนบครั้งนี้ต่อสาธารณะ"), id="evidence-public", false_values=_UNTICKED)
    version = VersionField()

    def __init__(
        self,
        *args: Any,
        current: StepStatus,
        next_statuses: list[StepStatus],
        status_required: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.status.label.text = _("สถานะ: จาก “%(status)s” เป็น", status=_(current.label))
        keep = [] if status_required else [SelectChoice("", _("คงสถานะเดิม"))]
        self.status.choices = keep + [SelectChoice(s.value, _(s.label)) for s in next_statuses]
        if status_required:
            self.status.validators = [required(_l("โปรดเลือกสถานะใหม่"))]

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if self.status.data != StepStatus.done.value:
            # The completion date belongs to "done" only; typed for another status it is ignored.
            self.completed_on.errors, self.completed_on.data = [], None
        return not self.has_errors

    def uploads(self) -> list[Any]:
        """The files chosen (empty file boxes left out)."""
        return [f for f in self.files.data or () if getattr(f, "filename", None)]

    def link_pairs(self) -> list[tuple[str, str]]:
        """(address, title) for each non-empty line of the links box."""
        pairs = []
        for line in (self.links.data or "").splitlines():
            url, _sep, title = line.strip().partition(" ")
            if url:
                pairs.append((url, title.strip()))
        return pairs


class CommentForm(Form):
    comment = TextAreaField(_l("บันทึก"), render_kw={"required": True})


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
