"""DigiD views: the embedded mock IdP + ACS, and thin wrappers around the library's SAML views.

Mock mode (`portal.accounts.digid_mock_urls`):
    digid:login  -> validates `next`, sends the browser to the mock IdP page
    digid:idp    -> "Testomgeving" page: pick a test resident or type a BSN, pick a level;
                    POST stores the assertion under a one-time artifact, redirects to digid:acs
    digid:acs    -> resolves the artifact once, logs in, records level + source in the session
    digid:logout -> local logout (POST)

SAML mode (`portal.accounts.digid_saml_urls`): the library's login and ACS views, with the
requested level taken from `DIGID_SAML_LOA` and the session recording that level on success.

OIDC mode (`portal.accounts.digid_oidc_urls`): mozilla-django-oidc's login and callback views;
the callback (digid:acs) records the level the broker reported (`portal.accounts.digid_oidc`).
"""

import logging
from urllib.parse import urlencode

from digid_eherkenning.choices import DigiDAssuranceLevels
from digid_eherkenning.exceptions import CertificateProblem
from digid_eherkenning.validators import BSNValidator
from digid_eherkenning.views import DigiDAssertionConsumerServiceView, DigiDLoginView
from django import forms
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.views import LogoutView
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from portal.accounts import digid_mock, digid_oidc
from portal.accounts.assurance import AssuranceLevel
from portal.accounts.middleware import digid_session_start

logger = logging.getLogger(__name__)

MAX_NEXT_LENGTH = 2000
LOGIN_LINK_UNUSABLE = _(
    "This DigiD login could not be completed: the login link is unknown, "
    "has expired or was already used. Please log in again."
)

# Our level names -> the SAML AuthnContextClassRef DigiD uses for them.
SAML_LEVELS = {
    AssuranceLevel.BASIS: DigiDAssuranceLevels.base,
    AssuranceLevel.MIDDEN: DigiDAssuranceLevels.middle,
    AssuranceLevel.SUBSTANTIEEL: DigiDAssuranceLevels.substantial,
    AssuranceLevel.HOOG: DigiDAssuranceLevels.high,
}


def _safe_next(request, value: str | None) -> str | None:
    """`value` if it is a safe local redirect target, "" if absent, None if unsafe."""
    if not value:
        return ""
    if len(value) > MAX_NEXT_LENGTH:
        return None
    if url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def _error(request, message, *, status=400):
    return render(
        request, "accounts/digid_error.html", {"error_message": message}, status=status
    )


def _bad_next(request):
    return _error(
        request,
        _("The address to return to after logging in is not valid. Please start again."),
    )


# --- Mock mode -------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class DigiDMockLoginView(View):
    """Start of the login: like an AuthnRequest, hands the browser over to the (mock) IdP."""

    def get(self, request):
        next_url = _safe_next(request, request.GET.get("next"))
        if next_url is None:
            return _bad_next(request)
        url = reverse("digid:idp")
        if next_url:
            url += "?" + urlencode({"next": next_url})
        return HttpResponseRedirect(url)


LEVEL_DEFAULT = ""


class MockIdPForm(forms.Form):
    resident = forms.ChoiceField(
        label=_("Test resident"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (r.key, format_lazy("{} ({})", r.name, AssuranceLevel(r.level).label))
            for r in digid_mock.TEST_RESIDENTS
        ],
    )
    bsn = forms.CharField(
        label=_("Or type a BSN"),
        required=False,
        max_length=9,
        help_text=_("Nine digits that pass the 11-proef, for example 999991772."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    level = forms.ChoiceField(
        label=_("Level of assurance"),
        required=False,
        choices=[(LEVEL_DEFAULT, _("The test resident's usual level"))]
        + list(AssuranceLevel.choices),
        initial=LEVEL_DEFAULT,
        help_text=_("For a typed BSN the usual level is Midden."),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_bsn(self):
        bsn = self.cleaned_data["bsn"].strip()
        if bsn:
            BSNValidator()(bsn)
        return bsn

    def clean(self):
        cleaned = super().clean()
        resident_key, bsn = cleaned.get("resident"), cleaned.get("bsn")
        if self.errors:
            return cleaned
        if resident_key and bsn:
            raise forms.ValidationError(
                _("Choose a test resident or type a BSN, not both."), code="both"
            )
        if not resident_key and not bsn:
            raise forms.ValidationError(
                _("Choose a test resident or type a BSN."), code="neither"
            )
        return cleaned

    def assertion(self) -> dict:
        """What the mock IdP asserts: bsn, level, name."""
        data = self.cleaned_data
        resident = digid_mock.mock_resident_get(key=data["resident"]) if data["resident"] else None
        if resident:
            bsn, name, usual = resident.bsn, resident.name, resident.level
        else:
            bsn, name, usual = data["bsn"], "", AssuranceLevel.MIDDEN
        return {"bsn": bsn, "name": name, "level": str(data["level"] or usual)}


@method_decorator(never_cache, name="dispatch")
# A typed BSN is masked in error reports and debug pages, should this view ever fail.
@method_decorator(sensitive_post_parameters("bsn"), name="dispatch")
class DigiDMockIdPView(View):
    """The mock identity provider: clearly a test page, never a real DigiD."""

    template_name = "accounts/digid_idp.html"

    def _render(self, request, form, status=200):
        context = {"form": form, "test_residents": digid_mock.TEST_RESIDENTS}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        next_url = _safe_next(request, request.GET.get("next"))
        if next_url is None:
            return _bad_next(request)
        return self._render(request, MockIdPForm(initial={"next": next_url}))

    def post(self, request):
        next_url = _safe_next(request, request.POST.get("next"))
        if next_url is None:
            return _bad_next(request)
        if "cancel" in request.POST:
            messages.info(request, _("You cancelled logging in with DigiD."))
            return HttpResponseRedirect(reverse("login"))
        form = MockIdPForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        artifact = digid_mock.artifact_issue(**form.assertion())
        params = {"SAMLart": artifact}
        if next_url:
            params["next"] = next_url
        return HttpResponseRedirect(reverse("digid:acs") + "?" + urlencode(params))


@method_decorator(never_cache, name="dispatch")
class DigiDMockAssertionConsumerServiceView(View):
    """Resolve the one-time artifact, log the resident in, record the level in the session."""

    def get(self, request):
        next_url = _safe_next(request, request.GET.get("next"))
        assertion = digid_mock.artifact_resolve(artifact=request.GET.get("SAMLart"))
        if assertion is None:
            logger.info("DigiD mock: unknown, expired or already used artifact")
            return _error(
                request,
                LOGIN_LINK_UNUSABLE,
            )
        user = auth.authenticate(request, bsn=assertion["bsn"])
        if user is None:
            return _error(request, _("DigiD did not confirm who you are. Please log in again."))
        auth.login(request, user)
        digid_session_start(request, level=assertion["level"])
        if assertion["name"] and not user.display_name:
            user.display_name = assertion["name"]
            user.save(update_fields=["display_name"])
        return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


class DigiDLogoutView(LogoutView):
    """Local logout (POST). In SAML mode too: single logout would need the BSN, never kept."""

    next_page = settings.LOGOUT_REDIRECT_URL


# --- SAML mode -------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class DigiDSamlLoginView(DigiDLoginView):
    def get_level_of_assurance(self):
        return SAML_LEVELS[AssuranceLevel(settings.DIGID_SAML_LOA)]

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except (CertificateProblem, ImproperlyConfigured):
            # Not yet configured in the admin (DigidConfiguration + certificate).
            logger.exception("DigiD login unavailable: DigiD is not configured correctly")
            return _error(
                request,
                _("Logging in with DigiD is not available right now. Please try again later."),
                status=503,
            )


class DigiDSamlAssertionConsumerServiceView(DigiDAssertionConsumerServiceView):
    def get_login_url(self, **kwargs):
        # After a failed or cancelled login: back to the login choice, with the library's message.
        return reverse("login")

    def get_success_url(self):
        # Only reached after a successful auth.login. DigiD authenticated at least the level
        # we requested (comparison "minimum"), so that is the level we record.
        digid_session_start(self.request, level=settings.DIGID_SAML_LOA)
        return super().get_success_url()


# --- OIDC mode -------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class DigiDOIDCLoginView(OIDCAuthenticationRequestView):
    """Start of the login: state, nonce and PKCE verifier into the session, off to the broker."""

    def get(self, request):
        if _safe_next(request, request.GET.get("next")) is None:
            return _bad_next(request)
        return super().get(request)


@method_decorator(never_cache, name="dispatch")
class DigiDOIDCCallbackView(OIDCAuthenticationCallbackView):
    """The redirect URI: code -> tokens -> claims -> resident, then the level into the session.

    Every failure ends on our DigiD error page (or, when the resident cancelled at the broker,
    back on the login choice page) with a message; nobody is logged in.
    """

    def get(self, request):
        try:
            return super().get(request)
        except SuspiciousOperation:
            # The state is not one this session started: a replayed or forged callback, or a
            # login started in another browser.
            logger.info("DigiD OIDC: callback with an unknown or already used state")
            return _error(
                request,
                LOGIN_LINK_UNUSABLE,
            )

    def login_failure(self):
        request = self.request
        if request.GET.get("error"):
            logger.info("DigiD OIDC: the broker reported an error or a cancelled login")
            messages.info(request, _("Logging in with DigiD was cancelled or did not succeed."))
            return HttpResponseRedirect(reverse("login"))
        refusal = getattr(request, digid_oidc.REFUSAL_ATTRIBUTE, digid_oidc.NOT_CONFIRMED)
        return _error(request, refusal.message, status=refusal.status)

    def login_success(self):
        response = super().login_success()
        digid_session_start(self.request, level=self.user.digid_assurance_level)
        # Leftovers of the flow; the session refresh middleware that reads the expiry is not used.
        self.request.session.pop("oidc_login_next", None)
        self.request.session.pop("oidc_id_token_expiration", None)
        return response
