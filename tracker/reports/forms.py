"""The reports pages' forms: the analysis memo's header and findings."""
from __future__ import annotations

from wtforms import StringField, TextAreaField

from ..forms import BEDateField, Form
from ..i18n import _l


class MemoForm(Form):
    """The memo's header; `memo_form` adds one findings box per ITA tool."""

    office = StringField(_l("ส่วนราชการ · office"))
    reference = StringField(_l("ที่ · reference"), render_kw={"maxlength": 100})
    memo_date = BEDateField(_l("วันที่ · date"), description=_l("เว้นว่าง: วันที่พิมพ์ (today)"))
    addressee = StringField(_l("เรียน · addressee"), render_kw={"maxlength": 200})

    def findings(self) -> dict[str, str]:
        """Tool code → the findings typed for it."""
        return {name.removeprefix("findings-"): field.data or "" for name, field in self._fields.items()
                if name.startswith("findings-")}


def memo_form(tools: list[tuple[str, str]], **kwargs: object) -> MemoForm:
    """The memo form for the assessed year's tools ((code, name) pairs): a
    findings box named ``findings-<code>`` for each."""

    class _Memo(MemoForm):
        pass

    for code, name in tools:
        setattr(_Memo, f"findings-{code}", TextAreaField(
            _l("ข้อค้นพบและข้อเสนอ ด้าน %(code)s · findings (%(name)s)", code=code, name=name),
            description=_l("ต่อจากประโยคที่ระบบเขียนให้ (ตัวชี้วัดที่ได้คะแนนน้อยที่สุด) เว้นว่างได้ ระบบจะใส่ข้อความมาตรฐานให้ · ขึ้นบรรทัดใหม่ = ย่อหน้าใหม่"),
            render_kw={"rows": 5},
        ))
    return _Memo(**kwargs)
