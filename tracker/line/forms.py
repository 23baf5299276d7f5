"""The LINE pages' forms: the organization's account (admins), a person's channel
per event kind, and confirming a link. The forms read what was typed; which
values are allowed (a numeric Channel ID, a known channel, ...) stays the
service's rule (services.save_channel / set_choices / start_linking), which
reports every problem at once."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from ..forms import Form
from ..forms.query import QueryForm
from ..i18n import _, _l
from ..notify.channels import CHOICE_LABELS, CHOICES, EVENT_KINDS

_TOO_LONG = _l("ยาวเกิน %(max)d ตัวอักษร")


def _text(label: Any, limit: int, field: type = StringField, **kwargs: Any) -> Any:
    return field(label, validators=[Length(max=limit, message=_TOO_LONG)], **kwargs)


def _choice(label: Any, blank: Any = None) -> SelectField:
    # A forged channel is left to the service, which names the event kind in its message.
    return SelectField(label, validate_choice=False, default="" if blank is not None else "email")


class _Choices(Form):
    """One channel per event kind; subclasses name the fields ``<prefix><kind>``."""

    prefix = ""

    def set_choices(self, blank: Any = None, *, blanks: dict[str, Any] | None = None) -> None:
        for key in EVENT_KINDS:
            options = [SelectChoice(c, _(CHOICE_LABELS[c])) for c in CHOICES]
            label = (blanks or {}).get(key, blank)
            self[self.prefix + key].choices = ([SelectChoice("", str(label))] if label is not None else []) + options

    def choices(self) -> dict[str, str]:
        """Event kind → the channel chosen (as sent; the service checks it)."""
        return {key: self[self.prefix + key].data or "" for key in EVENT_KINDS}


def _with_kinds(base: type[_Choices], blank: bool) -> type[_Choices]:
    fields = {f"{base.prefix}{key}": _choice(kind.label, "" if blank else None) for key, kind in EVENT_KINDS.items()}
    return type(base.__name__, (base,), fields)


class _Settings(_Choices):
    prefix = "default_"

    channel_id = _text("Channel ID", 40, id="f-channel_id")
    channel_secret = _text("Channel secret", 200, PasswordField, id="f-channel_secret")
    access_token = _text("Channel access token (long-lived)", 1000, PasswordField, id="f-access_token")
    monthly_cap = _text(_l("เพดานการส่ง LINE ต่อเดือน (ครั้ง)"), 20, id="f-monthly_cap")


class _Profile(_Choices):
    prefix = "choice_"


def settings_form(**kwargs: Any) -> Any:
    """The organization's LINE account and default channel per event kind (admins)."""
    form = _with_kinds(_Settings, blank=False)(**kwargs)
    form.set_choices()
    return form


def profile_form(defaults: dict[str, str], **kwargs: Any) -> Any:
    """A person's channel per event kind; "" (the first choice) is the organization's default."""
    form = _with_kinds(_Profile, blank=True)(**kwargs)
    form.set_choices(
        blanks={
            key: _("ตามค่าเริ่มต้นขององค์กร: %(choice)s", choice=_(CHOICE_LABELS[defaults.get(key, "email")]))
            for key in EVENT_KINDS
        }
    )
    return form


class _LinkToken:
    # LINE's link token; its shape is checked by services.start_linking.
    linkToken = HiddenField(validators=[Length(max=200, message=_TOO_LONG)])  # noqa: N815 -- LINE's own name


class LinkQueryForm(_LinkToken, QueryForm):
    """The link from the LINE Official Account's reply (GET ``?linkToken=``)."""


class LinkForm(_LinkToken, Form):
    """Confirming the link (POST)."""
