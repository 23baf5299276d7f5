"""Forms of the ITA pages: the score file, the framework file, its YAML text and copy year.

The score table itself is built from the framework's indicators (one box per
indicator) and stays a plain HTML form read by `save`; its problems come from
the service, which knows the framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, StopValidation, ValidationError

from .. import thaidate
from ..forms import Form
from ..i18n import _l
from .services import format_score

if TYPE_CHECKING:
    from .spec import FrameworkSpec


class _FileChosen:
    """The file box was used: a FileStorage with a file name (Flask-WTF's FileRequired
    says nothing in Thai and lets an empty part through on some browsers)."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        data = field.data
        if data is None or not getattr(data, "filename", ""):
            field.errors[:] = []
            raise StopValidation(str(self.message))


class ScoreFileForm(Form):
    """นำเข้าคะแนนจากไฟล์ (.csv / .xlsx), from the year page it was sent from."""

    file = FileField(_l("ไฟล์ .csv หรือ .xlsx"), validators=[_FileChosen(_l("โปรดเลือกไฟล์ .csv หรือ .xlsx"))], id="f-file")
    #: The year page to return to (only when that year has a framework)
    year = HiddenField(validators=[Length(max=8)])

    def back_year(self) -> int | None:
        text = (self.year.data or "").strip()
        return int(text) if text.isdigit() and len(text) <= 4 else None


class FrameworkFileForm(Form):
    """อัปโหลดกรอบการประเมิน (.yaml / .xlsx) as a draft."""

    file = FileField(
        _l("ไฟล์กรอบการประเมิน (.yaml หรือ .xlsx)"),
        validators=[_FileChosen(_l("โปรดเลือกไฟล์ .yaml หรือ .xlsx"))],
        id="f-file",
    )


class FrameworkTextForm(Form):
    """The framework as YAML text, edited on the page."""

    yaml = TextAreaField(_l("กรอบการประเมิน (YAML ตามรูปแบบใน README)"), validators=[Length(max=1_000_000)], id="f-yaml")


class _ExampleForm(Form):
    class Meta:
        csrf = False  # a GET form: it only recomputes the example


def example_form(spec: FrameworkSpec, example: Mapping[int, Decimal], args: Any) -> Form:
    """The worked example's scores, one box per indicator (``s<number>``), read from
    the query string `args`; an empty box keeps the example's own score."""
    fields = {
        f"s{i.number}": StringField(f"{i.number}. {i.name}", validators=[Length(max=40)], id=f"s{i.number}")
        for i in spec.indicators
    }
    form_class = type("ExampleForm", (_ExampleForm,), fields)
    return form_class(formdata=args, **{f"s{n}": format_score(score) for n, score in example.items()})


class FrameworkCopyForm(Form):
    """Copy a framework as the draft of another fiscal year."""

    fiscal_year = StringField(
        _l("คัดลอกเป็นฉบับร่างของปีงบประมาณ"), render_kw={"inputmode": "numeric", "required": True}, id="f-year"
    )

    def validate_fiscal_year(self, field: StringField) -> None:
        text = thaidate.to_arabic_digits((field.data or "").strip())
        if not text.isdigit() or len(text) != 4:
            raise ValidationError(str(_l("โปรดระบุปีงบประมาณ พ.ศ. เช่น 2566")))
        field.data = text

    @property
    def year(self) -> int:
        """The year of a form that passed validation."""
        return int(self.fiscal_year.data or "")
