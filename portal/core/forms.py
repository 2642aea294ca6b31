from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.core.models import NotificationPreference


class NotificationPreferenceForm(forms.Form):
    email_frequency = forms.ChoiceField(
        label=_("How often do you want an e-mail about new notifications?"),
        choices=NotificationPreference.EmailFrequency.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how often you want an e-mail."),
            "invalid_choice": _(
                "“%(value)s” is not one of the options. Choose immediately, daily or never."
            ),
        },
    )


def apply_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a ValidationError raised by a service on the form, per field where possible."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class PortalForm(forms.Form):
    """A form whose labels carry no colon, like every form of the site."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
