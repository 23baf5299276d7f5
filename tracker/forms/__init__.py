"""What every HTML form of the product shares: a `Form` base (Flask-WTF) whose
messages are Thai, the Buddhist-Era date field, and record choices.

One `FlaskForm` per form lives in the feature's own ``forms.py``. Forms check
the shape of what was typed (a real date, a known department, two equal
passwords) and show each problem once, next to its field; services still
check the business rules on the plain data the view passes them.
"""

from __future__ import annotations

from .base import Form, Messages, required
from .common import ConfirmForm
from .fields import BEDateField, MultiCheckboxField, RecordField, VersionField, WholeNumberField

__all__ = [
    "BEDateField",
    "ConfirmForm",
    "Form",
    "Messages",
    "MultiCheckboxField",
    "RecordField",
    "VersionField",
    "WholeNumberField",
    "required",
]
