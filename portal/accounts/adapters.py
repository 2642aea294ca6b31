from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """E-mail accounts are for organisations and staff; residents use DigiD."""

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
