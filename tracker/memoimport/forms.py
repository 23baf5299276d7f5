"""Forms of the memo import: the source (a .docx or pasted text), then the draft the officer corrects."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import Form as ProductForm
from ..i18n import _


class SourceForm(ProductForm):
    file = FileField()
    text = TextAreaField(validators=[Optional(), Length(max=200_000)])
    read = SubmitField()


class MeasureDraftForm(Form):
    title = TextAreaField(validators=[Length(max=2000)])
    owner = StringField(validators=[Length(max=500)])
    period = StringField(validators=[Length(max=200)])
    follow_up = TextAreaField(validators=[Length(max=5000)])
    #: One step per line.
    steps = TextAreaField(validators=[Length(max=50_000)])


class WeaknessDraftForm(Form):
    title = StringField(validators=[Length(max=2000)])
    detail = TextAreaField(validators=[Length(max=5000)])
    measures = FieldList(FormField(MeasureDraftForm), max_entries=60)


class OwnerChoiceForm(Form):
    #: The owner as the memo writes it.
    name = HiddenField()
    #: An existing department's name, or NEW to create a department with the memo's name.
    target = SelectField(choices=[], validate_choice=False)


NEW = "__new__"


class DraftForm(ProductForm):
    source = HiddenField()
    fiscal_year = StringField(validators=[Length(max=10)])
    title = StringField(validators=[Length(max=500)])
    weaknesses = FieldList(FormField(WeaknessDraftForm), max_entries=60)
    owners = FieldList(FormField(OwnerChoiceForm), max_entries=60)
    check = SubmitField()
    confirm = SubmitField()


def labels() -> dict[str, str]:
    return {
        "fiscal_year": _("ปีงบประมาณ พ.ศ. ของมาตรการ"),
        "title": _("ชื่อแผน"),
    }
