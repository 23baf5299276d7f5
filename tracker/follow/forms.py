"""The step page's remark form and watch button."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length

from ..forms import Form, RecordField, required
from ..forms.query import PagedForm
from ..i18n import _l
from ..orgs.models import Department


class RemarkForm(Form):
    text = TextAreaField(
        _l("ความเห็นหรือข้อสั่งการ"),
        [
            required(_l("โปรดพิมพ์ความเห็นหรือข้อสั่งการ")),
            Length(max=4000, message=_l("ความเห็นยาวเกิน 4,000 ตัวอักษร")),
        ],
        id="remark-text",
        description=_l("ผู้ที่ติดตามขั้นตอนนี้จะได้รับแจ้ง"),
        render_kw={"required": True, "maxlength": 4000, "rows": 3},
    )


class WatchForm(Form):
    #: "1": watch, "0": stop watching
    watch = HiddenField(validators=[AnyOf(["0", "1"], message=_l("คำขอไม่ถูกต้อง"))])


class ActivityFilterForm(PagedForm):
    """The activity stream's filter (GET): one department of the organization, or all; the page."""

    department = RecordField(_l("หน่วยงาน"), not_found=_l("ไม่พบหน่วยงานที่เลือก"), id="f-department")

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.department.set_records(departments, text=lambda d: d.name, blank=_l("ทุกหน่วยงาน"))

    @property
    def department_id(self) -> int | None:
        return self.department.data
