"""The plan import's forms: the upload (and, for an oversight user, the organization),
and the confirmation of a previewed file with a choice per close department name."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice

from ..forms import Form, RecordField
from ..i18n import _, _l
from ..plans.import_preview import Similar

MAP, NEW = "map", "new"


class ImportForm(Form):
    #: Shown to oversight users only: an organization's admin imports into their own.
    organization = RecordField(
        _l("องค์กรที่จะนำเข้าแผน"), id="f-organization", not_found=_l("ไม่พบองค์กรที่เลือก หรือคุณนำเข้าแผนให้องค์กรนี้ไม่ได้")
    )
    file = FileField(_l("ไฟล์แผน"), id="f-file", render_kw={"accept": ".yaml,.yml,.xlsx", "required": True})


class ConfirmForm(Form):
    """Confirms the file kept at the preview (named by `token`); the file is not sent again."""

    token = HiddenField()
    organization = HiddenField()

    def department_fields(self) -> list[RadioField]:
        return [field for name, field in self._fields.items() if name.startswith("department_")]

    def mapping(self, similar: list[Similar]) -> dict[str, str]:
        """File name → existing name, for the names the officer maps to an existing department."""
        chosen = {field.name: field.data for field in self.department_fields()}
        return {s.name: s.existing for i, s in enumerate(similar) if chosen.get(f"department_{i}", MAP) != NEW}


def confirm_form(similar: list[Similar], **kwargs) -> ConfirmForm:
    """The confirmation with one choice per department name close to an existing one."""

    class Confirm(ConfirmForm):
        pass

    for i, item in enumerate(similar):
        setattr(
            Confirm,
            f"department_{i}",
            RadioField(
                _l("หน่วยงาน “%(name)s” ในไฟล์", name=item.name),
                id=f"f-department-{i}",
                default=MAP,
                choices=[
                    SelectChoice(MAP, _("ใช้หน่วยงานที่มีอยู่ “%(existing)s”", existing=item.existing)),
                    SelectChoice(NEW, _("สร้างหน่วยงานใหม่ “%(name)s”", name=item.name)),
                ],
            ),
        )
    return Confirm(**kwargs)
