from django import forms
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Membership, Organisation
from portal.core.forms import PortalForm


class OrganisationForm(forms.ModelForm):
    # Longer than 8 so that "1234 5678" as printed on a KvK extract is accepted and normalised.
    kvk_number = forms.CharField(
        label=_("KvK number"),
        max_length=12,
        help_text=_("The 8-digit number in the Dutch Chamber of Commerce (KvK) register."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta:
        model = Organisation
        fields = ["name", "kind", "kvk_number", "website", "description"]
        widgets = {
            "website": forms.URLInput(attrs={"autocomplete": "url", "placeholder": "https://"}),
            "description": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "website": _("Optional. Starts with https://"),
            "description": _("What does your organisation do, and what does it bring to the city?"),
        }

    def clean_kvk_number(self):
        return "".join(self.cleaned_data["kvk_number"].split()).replace(".", "")


class MembershipAddForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The person must already have an account with a confirmed e-mail address."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )


class MembershipRemoveForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)


class SignupForm(forms.Form):
    """Extra fields on allauth's signup form (ACCOUNT_SIGNUP_FORM_CLASS).

    The adapter copies `display_name` onto the new user (AccountAdapter.save_user).
    """

    field_order = ["display_name", "email", "password1", "password2"]

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        help_text=_("Shown to your colleagues and next to what you publish."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def signup(self, request, user):
        """Required by allauth; the adapter has already stored everything."""


class ProfileForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=100,
        required=False,
        help_text=_(
            "Others see this name next to your ideas and reactions. Leave it empty to appear "
            "as \"Resident\"."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )


class ResidentEmailForm(PortalForm):
    """A resident's e-mail address for notifications (residents log in with DigiD)."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_(
            "We send a link to this address. Your address is only used after you have opened "
            "that link, and only to e-mail you notifications."
        ),
        error_messages={"required": _("Enter an e-mail address.")},
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "data-testid": "resident-email-input"}
        ),
    )
