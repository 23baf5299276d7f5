"""Forms of the ITA pages: the score table, the score file, the framework file,
its YAML text and copy year, and the worked example.

The score table and the example are built from the framework (one box per
indicator). The forms check each box the way the service reads it, so a
mistake shows at its box; the service still checks everything again.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, StopValidation, ValidationError

from .. import thaidate
from ..errors import ServiceError
from ..forms import Form
from ..forms.query import QueryForm
from ..i18n import _, _l
from .services import CONTEXT_SCOPES, format_score, parse_score
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


class _Score:
    """A score box: empty, or a score as `parse_score` reads it (its message names the row)."""

    def __init__(self, what: Any) -> None:
        self.what = what

    def __call__(self, form: Any, field: Any) -> None:
        text = (field.data or "").strip()
        if not text:
            return
        what = self.what(form) if callable(self.what) else self.what
        try:
            parse_score(text, what)
        except ServiceError as exc:
            raise ValidationError(str(exc)) from None


def _context_what(scope: str, default_label: str) -> Any:
    def what(form: Any) -> str:
        label = " ".join((form[f"{scope}-label"].data or "").split()) or default_label
        return label or ("ภาพรวมจังหวัด" if scope == "province" else scope)

    return what


class _ContextLabel:
    def __init__(self, scope: str, default_label: str) -> None:
        self.what = _context_what(scope, default_label)

    def __call__(self, form: Any, field: Any) -> None:
        if len(" ".join((field.data or "").split())) > 200:
            raise ValidationError(_("%(self_what_form)s: ชื่อแถวยาวเกิน 200 ตัวอักษร", self_what_form=self.what(form)))


def scores_form(
    indicators: list[tuple[int, str]],
    default_labels: Mapping[str, str],
    levels: list[str],
    *,
    data: Mapping[str, str] | None = None,
) -> Form:
    """The score table of a year: ``score-<n>`` per indicator (number, name), and per
    comparison row ``<scope>-label``, ``-score`` and ``-level``. Reads the request
    when it is a POST; otherwise shows `data` (the stored values)."""
    fields: dict[str, Any] = {}
    for number, name in indicators:
        fields[f"score-{number}"] = StringField(
            name, validators=[Length(max=40), _Score(f"ตัวชี้วัดที่ {number} {name}")], id=f"f-score-{number}"
        )
    for scope in CONTEXT_SCOPES:
        default = default_labels.get(scope, "")
        fields[f"{scope}-label"] = StringField(validators=[_ContextLabel(scope, default)], id=f"f-{scope}-label")
        fields[f"{scope}-score"] = StringField(
            validators=[Length(max=40), _Score(_context_what(scope, default))], id=f"f-{scope}-score"
        )
        # Any other level is the service's to refuse (its message lists the framework's levels).
        fields[f"{scope}-level"] = SelectField(
            choices=[SelectChoice("", _l("คำนวณ")), *(SelectChoice(level, level) for level in levels)],
            validate_choice=False,
            id=f"f-{scope}-level",
        )
    form_class = type("ScoresForm", (Form,), fields)
    if data is not None:
        return form_class(formdata=None, data=dict(data))
    return form_class()


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


class _ExampleForm(QueryForm):
    """A GET form: it only recomputes the example."""


def example_form(spec: FrameworkSpec, example: Mapping[int, Decimal]) -> Form:
    """The worked example's scores, one box per indicator (``s<number>``), read from
    the query string; an empty box keeps the example's own score."""
    fields = {
        f"s{i.number}": StringField(f"{i.number}. {i.name}", validators=[Length(max=40)], id=f"s{i.number}")
        for i in spec.indicators
    }
    form_class: type[_ExampleForm] = type("ExampleForm", (_ExampleForm,), fields)
    return form_class.sent(**{f"s{n}": format_score(score) for n, score in example.items()})


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
