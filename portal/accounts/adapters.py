from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _


def _is_resident(user) -> bool:
    return getattr(user, "bsn_pseudonym", None) is not None


class AccountAdapter(DefaultAccountAdapter):
    """E-mail accounts are for organisations and staff; residents use DigiD.

    A resident may have an e-mail address for notifications (`User.email`, see
    `services.resident_email_request`). allauth finds users by `User.email`, so the hooks below
    make sure that address never becomes a way to log in: no password for residents, no
    password-reset mail, no e-mail login.
    """

    def save_user(self, request, user, form, commit=True):
        display_name = (form.cleaned_data.get("display_name") or "").strip()
        if display_name:
            user.display_name = display_name
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix, email, context):
        # allauth's mails name the sites framework's Site ("example.com" unless configured);
        # ours name the portal and the host from SITE_URL instead.
        site = SimpleNamespace(name="Stadsmakers", domain=urlsplit(settings.SITE_URL).netloc)
        return super().send_mail(template_prefix, email, {**context, "current_site": site})

    def pre_login(self, request, user, **kwargs):
        if _is_resident(user):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            messages.error(request, _("Residents log in with DigiD."))
            return HttpResponseRedirect(reverse("login"))
        return super().pre_login(request, user, **kwargs)

    def send_password_reset_mail(self, user, email, context):
        if _is_resident(user):
            return None  # residents have no password; DigiD is their only way in
        return super().send_password_reset_mail(user, email, context)

    def set_password(self, user, password):
        if _is_resident(user):
            raise PermissionDenied(_("Residents log in with DigiD and have no password."))
        return super().set_password(user, password)
