"""Fields the product's forms share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from wtforms import Field, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget, TextInput

from .. import i18n, thaidate

#: Ids are 32-bit integers in the database; a larger one in a form is simply not there.
MAX_ID = 2**31 - 1


class BEDateField(Field):
    """One date typed the way Thai officers write it, shown in the Buddhist Era.

    A plain text box (never ``type=date``: browsers' pickers show Christian-era
    years). Reads everything `thaidate.parse_date` does: ``15/08/2566``,
    ``๑๕ ส.ค. ๒๕๖๖``, ``15 ส.ค. 66``, ``15 สิงหาคม 2566`` and ISO
    ``2023-08-15``. Shows the date as ``15/08/2566``, in Thai digits for users
    who chose them. ``data`` is a `datetime.date` or None (left empty).

    ``required``: the message when left empty (None: empty is allowed).
    ``earliest``/``latest``: callables giving the allowed range, with the message
    shown outside it (``%(date)s`` is the bound, shown in BE).
    """

    widget = TextInput()

    def __init__(
        self,
        label: Any = None,
        validators: Iterable[Any] | None = None,
        *,
        required: Any = None,
        earliest: tuple[Callable[[], date], Any] | None = None,
        latest: tuple[Callable[[], date], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        render_kw = {"autocomplete": "off", "spellcheck": "false", "placeholder": "15/08/2566"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.required_message = required
        self.earliest, self.latest = earliest, latest
        if required is not None:
            self.flags.required = True

    @property
    def valid_date(self) -> date:
        """The date of a `required` field that passed validation."""
        if self.data is None:
            raise ValueError(f"{self.name}: no date; validate the form first")
        return self.data

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = valuelist[0] if isinstance(valuelist[0], str) else ""
        if not text.strip():
            self.data = None
            return
        try:
            self.data = thaidate.parse_date(text)
        except thaidate.DateParseError as exc:
            self.data = None
            raise ValueError(i18n.localize(exc)) from None

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            return
        if self.data is None:
            if self.required_message is not None:
                raise ValidationError(str(self.required_message))
            return
        for bound, outside in ((self.earliest, lambda d, b: d < b), (self.latest, lambda d, b: d > b)):
            if bound is not None and outside(self.data, bound[0]()):
                raise ValidationError(str(bound[1]) % {"date": _shown(bound[0]())})

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0] if isinstance(self.raw_data[0], str) else ""
        return _shown(self.data) if isinstance(self.data, date) else ""


def _shown(day: date) -> str:
    return thaidate.format_date(day, style="short", thai_digits=i18n.thai_digits())


def record_id(value: Any) -> int | None:
    """A record's id from a form: "" is none chosen; anything but a plausible id is refused."""
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_ID:
        raise ValueError(text)
    return int(text)


class RecordField(SelectField):
    """A choice among records (departments, users) of the user's organization.

    The view gives the records with `set_records`; ``data`` is the chosen id
    (None for the blank choice) and `record` the record itself. Any other id —
    another organization's, a deleted one, a hostile string — gets ``not_found``.
    """

    def __init__(
        self, label: Any = None, validators: Iterable[Any] | None = None, *, not_found: Any, **kwargs: Any
    ) -> None:
        super().__init__(
            label,
            validators,
            coerce=record_id,
            choices=[],
            invalid_choice_message=not_found,
            invalid_value_message=not_found,
            **kwargs,
        )
        self._records: dict[int, Any] = {}

    def set_records(
        self,
        records: Iterable[Any],
        text: Callable[[Any], str],
        blank: Any = None,
        offer: Callable[[Any], bool] | None = None,
    ) -> None:
        """`records` may be chosen; those `offer` accepts (default: all) are listed.
        A record that may be chosen but is not offered (a deactivated user) is
        left to the service, which says why it cannot be used."""
        self._records = {r.id: r for r in records}
        self.choices = ([SelectChoice("", str(blank))] if blank is not None else []) + [
            SelectChoice(r.id, text(r)) for r in self._records.values() if offer is None or offer(r)
        ]

    @property
    def record(self) -> Any:
        return self._records.get(self.data) if self.data is not None else None

    def pre_validate(self, form: Any) -> None:
        if self.process_errors or self.data is None:
            return  # nothing chosen: a required() validator, if any, says so
        if self.data not in self._records:
            raise ValidationError(str(self.invalid_choice_message))


class WholeNumberField(Field):
    """A whole number typed in a text box, Thai digits welcome ("๑๔" is 14).

    ``data`` is an int, or None when left empty. Anything else gets
    ``not_a_number`` (``%(value)s`` is what was typed, shortened); the allowed
    range stays the service's rule.
    """

    widget = TextInput()

    def __init__(
        self, label: Any = None, validators: Iterable[Any] | None = None, *, not_a_number: Any, **kwargs: Any
    ) -> None:
        render_kw = {"inputmode": "numeric"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.not_a_number = not_a_number

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = thaidate.to_arabic_digits(valuelist[0] if isinstance(valuelist[0], str) else "").strip()
        if not text:
            self.data = None
        elif text.isdigit():
            self.data = int(text)
        else:
            self.data = None
            raise ValueError(str(self.not_a_number) % {"value": text[:20]})

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0] if isinstance(self.raw_data[0], str) else ""
        return "" if self.data is None else str(self.data)


class MultiCheckboxField(SelectMultipleField):
    """Several of a few choices, as a group of check boxes (templates/_form.html
    renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VersionField(Field):
    """The version of the record a form was rendered from (tracker/versions.py), hidden.

    ``data`` is an int, or None when absent or unreadable: then the change is
    not checked against a version (a hand-made or older page), never refused
    for it. After a conflict the view sets ``data`` to the current version, so
    sending the form again saves what was typed over the newer record.
    """

    widget = HiddenInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        from .. import versions

        if valuelist:
            self.data = versions.parse(valuelist[0])

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)
