"""The API tokens page's forms."""

from __future__ import annotations

from wtforms import HiddenField, StringField

from ..forms import Form
from ..i18n import _l
from . import tokens


class TokenForm(Form):
    name = StringField(
        _l("ชื่อโทเคน"),
        render_kw={"maxlength": tokens.NAME_MAX, "required": True},
        description=_l("ตั้งชื่อให้จำได้ว่าใช้ที่ไหน เช่น สคริปต์รายงานประจำเดือน"),
    )


class RevokeForm(Form):
    #: Which of the user's tokens; anything but one of theirs is refused by the view.
    token_id = HiddenField()
