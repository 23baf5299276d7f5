"""The step page's forms (the one update form, the older progress-note form) and the evidence forms, which
the follow-up result page shares (templates/plans/_evidence_forms.html)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, Field, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..forms import BEDateField, Form, RecordField, VersionField, WholeNumberField, required
from ..forms.query import QueryForm
from ..i18n import N_, _, _l
from .listing import DUE_FILTERS, MAX_PER_PAGE, MAX_SEARCH, PER_PAGE, STATUS_FILTERS, StepFilters
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


# -- งานของฉัน: filters, the change of several steps at once, saved filters -------------------


class MyStepsFilterForm(QueryForm):
    """งานของฉัน's search and filters, read from the query string (a GET changes nothing: no CSRF)."""

    q = StringField(
        _l("ค้นหา"),
        id="f-q",
        description=_l("ชื่อขั้นตอนหรือเลขขั้นตอน เช่น 2.1"),
        # Spaces squeezed and the length capped, as the other lists read their search text.
        filters=[lambda v: " ".join((v or "").split())[:MAX_SEARCH]],
        render_kw={"maxlength": MAX_SEARCH, "type": "search"},
    )
    status = SelectField(_l("สถานะ"), id="f-status", default="open")
    due = SelectField(_l("กำหนดเสร็จ"), id="f-due", default="")
    department = RecordField(_l("หน่วยงาน"), id="f-department", not_found=_l("ไม่พบหน่วยงานที่เลือก"))
    #: "all": a reader with a department looks at the whole organization
    scope = HiddenField()
    page = WholeNumberField(not_a_number=_l("เลขหน้าต้องเป็นตัวเลข: %(value)s"))
    per_page = WholeNumberField(not_a_number=_l("จำนวนต่อหน้าต้องเป็นตัวเลข: %(value)s"))

    def __init__(self, *args: Any, departments: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(k, _(v)) for k, v in MY_STATUS_FILTERS.items()]
        self.due.choices = [SelectChoice("", _("ทั้งหมด"))] + [SelectChoice(k, str(v)) for k, v in DUE_FILTERS.items()]
        self.department.set_records(departments, lambda d: d.name, blank=_("ทุกหน่วยงาน"))

    def filters(self, *, whole_org: bool) -> StepFilters:
        """The list's filters (the department counts only when the whole organization is shown)."""
        page = max(self.page.data or 1, 1)
        per_page = min(max(self.per_page.data or PER_PAGE, 1), MAX_PER_PAGE)
        status = "" if self.status.data == "all" else self.status.data
        department = self.department.data if whole_org else None
        return StepFilters(department, status, self.due.data or "", page, per_page, self.q.data or "")

    def query_args(self, *, whole_org: bool) -> dict[str, Any]:
        """The filters as URL parameters (links, saved filters): defaults left out, paging too."""
        args = {
            "scope": "all" if self.scope.data == "all" else None,
            "department": self.department.data if whole_org else None,
            "status": self.status.data if self.status.data != "open" else None,
            "due": self.due.data,
            "q": self.q.data,
            "per_page": self.per_page.data if self.per_page.data not in (None, PER_PAGE) else None,
        }
        return {k: v for k, v in args.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(self.q.data or self.due.data or self.department.data or self.status.data != "open")


#: งานของฉัน's status choices: open steps unless asked otherwise.
MY_STATUS_FILTERS: dict[str, str] = {**STATUS_FILTERS, "all": N_("ทุกสถานะ")}

#: The most steps changed by one submit
BULK_MAX = 200


class StepVersionsField(Field):
    """The ticked steps of a list, each sent as "id:version" (the version it was shown at).

    ``data`` is a list of (step id, version or None), without repeats."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        from .. import versions

        chosen: dict[int, int | None] = {}
        for raw in valuelist:
            step_id, _sep, version = str(raw).partition(":")
            if not step_id.isdigit() or not step_id.isascii() or len(step_id) > 18:
                raise ValueError(_("ไม่พบขั้นตอนที่เลือก"))
            chosen.setdefault(int(step_id), versions.parse(version) if version else None)
        self.data = list(chosen.items())


class BulkStatusForm(Form):
    """One change of status for the steps ticked on งานของฉัน, with one note."""

    steps = StepVersionsField(default=list)
    status = SelectField(_l("เปลี่ยนสถานะเป็น"), id="bulk-status", validators=[required(_l("โปรดเลือกสถานะใหม่"))])
    note = TextAreaField(
        _l("บันทึก"),
        id="bulk-note",
        description=_l("บันทึกเดียวกันนี้จะอยู่ในประวัติของทุกขั้นตอนที่เลือก (จำเป็นเมื่อยกเลิก)"),
        render_kw={"maxlength": 4000},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _("เลือกสถานะ"))] + [
            SelectChoice(s.value, _(s.label)) for s in StepStatus
        ]

    def validate_steps(self, field: StepVersionsField) -> None:
        if not field.data:
            raise ValidationError(_("โปรดเลือกขั้นตอนอย่างน้อยหนึ่งขั้นตอน"))
        if len(field.data) > BULK_MAX:
            raise ValidationError(_("เลือกได้ครั้งละไม่เกิน %(max)s ขั้นตอน", max=BULK_MAX))


class SavedFilterForm(Form):
    """Save งานของฉัน's current filters under a name."""

    name = StringField(
        _l("ชื่อตัวกรอง"),
        id="saved-name",
        validators=[required(_l("โปรดตั้งชื่อตัวกรอง"))],
        filters=[lambda v: (v or "").strip()],
        render_kw={"maxlength": 100},
    )
    #: The filters as a query string ("status=done&due=overdue")
    query = HiddenField()


class DeleteSavedFilterForm(Form):
    filter_id = HiddenField()


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
