from django import forms
from django.utils.translation import gettext_lazy as _


class ConsentGiveForm(forms.Form):
    # Never pre-ticked: consent needs an explicit action (GDPR art. 4(11)).
    agree = forms.BooleanField(
        label=_("I give my consent"),
        required=True,
        error_messages={"required": _("Tick the box if you want to give your consent.")},
    )
    text_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Checked by the view (a path on this site, else the consents page); never an error here.
    next = forms.CharField(widget=forms.HiddenInput, required=False)


class AccountDeleteForm(forms.Form):
    """Deleting an account needs the word VERWIJDER typed (not translated: one word for all)."""

    WORD = "VERWIJDER"

    confirmation = forms.CharField(
        label=_("Type VERWIJDER to confirm"),
        max_length=20,
        required=True,
        error_messages={"required": _("Type VERWIJDER in capitals to delete your account.")},
    )

    def clean_confirmation(self):
        value = self.cleaned_data["confirmation"].strip()
        if value != self.WORD:
            raise forms.ValidationError(_("Type VERWIJDER in capitals to delete your account."),
                                        code="confirmation")
        return value
