"""Logging in and a user's own settings."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo

from ..forms import Form, MultiCheckboxField
from ..i18n import _l


class LoginForm(Form):
    email = EmailField(_l("อีเมล"), render_kw={"autocomplete": "username", "required": True, "autofocus": True})
    password = PasswordField(_l("รหัสผ่าน"), render_kw={"autocomplete": "current-password", "required": True})
    remember = BooleanField(_l("จดจำการเข้าสู่ระบบ"))


class DisplayForm(Form):
    #: Both profile forms post to /profile; this says which one.
    action = HiddenField(default="prefs")
    thai_digits = BooleanField(_l("แสดงตัวเลขไทย (๐–๙) ในวันที่และตัวเลข"))


class PasswordChangeForm(Form):
    action = HiddenField(default="password")
    current_password = PasswordField(
        _l("รหัสผ่านปัจจุบัน"), render_kw={"autocomplete": "current-password", "required": True}
    )
    new_password = PasswordField(_l("รหัสผ่านใหม่"), render_kw={"autocomplete": "new-password", "required": True})
    confirm_password = PasswordField(
        _l("ยืนยันรหัสผ่านใหม่"),
        [EqualTo("new_password", _l("รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน"))],
        render_kw={"autocomplete": "new-password", "required": True},
    )


class EmailEventsForm(Form):
    action = HiddenField(default="email_events")
    events = MultiCheckboxField(
        _l("ส่งอีเมลถึงฉันเมื่อมี"),
        choices=[
            SelectChoice("remark", _l("ความเห็นหรือข้อสั่งการในขั้นตอนที่ฉันติดตาม")),
            SelectChoice("status", _l("การเปลี่ยนสถานะของขั้นตอนที่ฉันติดตาม")),
            SelectChoice("signoff", _l("รายงานที่รอให้ฉันลงนามรับทราบ")),
        ],
        description=_l("ทุกเรื่องยังแสดงในหน้าการแจ้งเตือนเสมอ ไม่ว่าจะเลือกรับทางอีเมลหรือไม่"),
    )
