"""The search box (GET): what to look for, and optionally one kind of record."""

from __future__ import annotations

from wtforms import HiddenField, SearchField, ValidationError

from ..forms import Form
from ..i18n import _, _l
from . import text
from .service import KIND_KEYS


class SearchForm(Form):
    class Meta:
        csrf = False  # a GET form: it only reads

    q = SearchField(
        _l("ค้นหา"),
        description=_l("คำหรือส่วนของคำในชื่อแผน มาตรการ ขั้นตอน บันทึก หรือชื่อไฟล์หลักฐาน เช่น ประกาศ หรือ 2.7"),
        filters=[text.normalise],
        render_kw={"maxlength": text.MAX_LENGTH, "autocomplete": "off"},
        id="search-q",
    )
    kind = HiddenField()

    def validate_q(self, field: SearchField) -> None:
        if field.data and text.too_short(field.data):
            raise ValidationError(_("คำค้นสั้นเกินไป โปรดพิมพ์อย่างน้อย %(min)s ตัวอักษร", min=text.MIN_LENGTH))

    def validate_kind(self, field: HiddenField) -> None:
        if field.data and field.data not in KIND_KEYS:
            raise ValidationError(_("ไม่รู้จักประเภทผลการค้นหา %(kind_30)r", kind_30=field.data[:30]))

    @property
    def ready(self) -> bool:
        """Something to search for: a valid query (an empty one shows the hint)."""
        return bool(self.q.data) and not self.errors
