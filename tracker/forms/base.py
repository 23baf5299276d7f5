"""The product's `FlaskForm`: Thai messages, and a service's refusal shown once."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, StopValidation

from ..errors import ServiceError
from ..i18n import _, _l

#: WTForms' own English messages that a hostile or odd request can bring up,
#: in the words of this product. Anything not listed shows a generic message.
_BUILT_IN = {
    "This field is required.": _l("โปรดกรอกช่องนี้"),
    "Not a valid choice.": _l("ตัวเลือกไม่ถูกต้อง"),
    "Not a valid choice": _l("ตัวเลือกไม่ถูกต้อง"),
    "Invalid Choice: could not coerce.": _l("ตัวเลือกไม่ถูกต้อง"),
    "Invalid choice(s): one or more data inputs could not be coerced.": _l("ตัวเลือกไม่ถูกต้อง"),
    "Not a valid integer value.": _l("โปรดใส่ตัวเลข"),
    "Not a valid decimal value.": _l("โปรดใส่ตัวเลข"),
    "Not a valid float value.": _l("โปรดใส่ตัวเลข"),
    "Invalid input.": _l("ข้อมูลไม่ถูกต้อง"),
    "Field cannot be longer than %(max)d character.": _l("ยาวเกิน %(max)d ตัวอักษร"),
    "Field cannot be longer than %(max)d characters.": _l("ยาวเกิน %(max)d ตัวอักษร"),
    "The CSRF token is missing.": _l("แบบฟอร์มหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"),
    "The CSRF token is invalid.": _l("แบบฟอร์มหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"),
    "The CSRF token has expired.": _l("แบบฟอร์มหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"),
    "The CSRF tokens do not match.": _l("แบบฟอร์มหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"),
}


class Messages:
    """WTForms' translations hook: its built-in English messages in Thai (or the
    English interface's English), through the product's own catalogue."""

    def gettext(self, string: str) -> str:
        message = _BUILT_IN.get(string)
        return str(message) if message is not None else _("ข้อมูลไม่ถูกต้อง")

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


_MESSAGES = Messages()


class _Required(DataRequired):
    def __call__(self, form: Any, field: Any) -> None:
        if field.process_errors:
            # Typed but unreadable ("31/02/2566"): that message says more than "required",
            # and DataRequired would clear it.
            raise StopValidation()
        super().__call__(form, field)


def required(message: Any) -> DataRequired:
    """A required field with the product's own (Thai) message for it."""
    return _Required(message=message)


class Form(FlaskForm):
    """Base of every form of the product."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Messages:
            return _MESSAGES

    def refuse(self, exc: ServiceError) -> None:
        """Show a service's refusal once: next to the field it names, else above the form."""
        name = getattr(exc, "field", None)
        field = self._fields.get(name) if name else None
        message = str(exc)  # services write "ไทย (English)"
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            self.form_errors.append(message)

    def labelled_errors(self) -> list[str]:
        """Every problem once, as "label: message" (a hidden field's: the message alone),
        for a page that lists them above the form."""
        found: list[str] = []
        for field in self:
            hidden = getattr(field.widget, "input_type", None) == "hidden"
            for message in field.errors:
                text = str(message) if hidden else f"{field.label.text}: {message}"
                if text not in found:
                    found.append(text)
        return found + [str(m) for m in self.form_errors if str(m) not in found]

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(f.errors for f in self)
