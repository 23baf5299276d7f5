"""The step page's remark form and watch button."""

from __future__ import annotations

from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length

from ..forms import Form, required
from ..i18n import _l


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
