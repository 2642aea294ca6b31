"""HTML views of "Mijn gegevens" → consents: ask for consent, list and withdraw, receipts.

Permissions come from rules.py; writes go through services, reads through selectors.
"""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts import roles
from portal.accounts.middleware import current_assurance_level
from portal.consent import selectors, services
from portal.consent.forms import AccountDeleteForm, ConsentGiveForm
from portal.consent.models import ConsentEvent, DataExport
from portal.consent.receipts import consent_receipt

MAX_NEXT_LENGTH = 2000


def _check(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _safe_next(request, candidate: str | None) -> str:
    """Where to go after giving consent: a path on this site, else the consents page."""
    fallback = reverse("consent:consents")
    if not candidate or len(candidate) > MAX_NEXT_LENGTH or not candidate.startswith("/"):
        return fallback
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _purpose_or_404(code: str):
    purpose = selectors.purpose_get(code=code)
    if purpose is None:
        raise Http404
    return purpose


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def consent_give(request, purpose_code):
    """Show the exact current text and ask for explicit consent (no pre-ticked box)."""
    _check(request, "consent.give_consent")
    purpose = _purpose_or_404(purpose_code)
    text = selectors.current_text(purpose=purpose)
    if text is None:
        raise Http404
    state = selectors.consent_state(user=request.user, purpose=purpose)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    status = 200
    if request.method == "POST":
        form = ConsentGiveForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["text_version"] != text.version:
                form.add_error(None, _("The text has changed while you were reading it. Read the "
                                       "new text below and give your consent again."))
            else:
                try:
                    services.consent_grant(
                        user=request.user, text=text, method=ConsentEvent.Method.WEB,
                        assurance_level=current_assurance_level(request),
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(
                        request,
                        _("Thank you. You gave your consent for “%(purpose)s”. You can download "
                          "the receipt on your consents page.") % {"purpose": purpose.title},
                    )
                    return redirect(next_url)
        status = 400
        form = _rebound(form, text, next_url)
    else:
        form = ConsentGiveForm(initial={"text_version": text.version, "next": next_url})
    return render(
        request,
        "consent/consent_give.html",
        {"purpose": purpose, "text": text, "state": state, "form": form, "next_url": next_url},
        status=status,
    )


def _rebound(form, text, next_url):
    """The submitted form with its errors, but pointing at the current text version."""
    data = form.data.copy()
    data["text_version"] = str(text.version)
    data["next"] = next_url
    data.pop("agree", None)
    rebound = ConsentGiveForm(data)
    rebound._errors = form.errors  # show the errors of what was sent, with the current version
    return rebound


@login_required
@require_http_methods(["GET", "HEAD"])
def consent_list(request):
    """Mijn toestemmingen: each active purpose, its state, history, receipts, one-click withdraw."""
    _check(request, "consent.view_own_consents")
    states = selectors.consent_overview(user=request.user)
    return render(request, "consent/consent_list.html", {"states": states})


@login_required
@require_POST
def consent_withdraw(request, purpose_code):
    _check(request, "consent.withdraw_consent")
    purpose = _purpose_or_404(purpose_code)
    try:
        services.consent_withdraw(
            user=request.user, purpose=purpose, method=ConsentEvent.Method.WEB,
            assurance_level=current_assurance_level(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("You withdrew your consent for “%(purpose)s”. Below you can see when this has "
              "been processed.") % {"purpose": purpose.title},
        )
    return redirect(reverse("consent:consents") + f"#purpose-{purpose.code}")


@login_required
@require_http_methods(["GET", "HEAD"])
def consent_receipt_download(request, public_id):
    """The JSON receipt of one of my consent events. Someone else's is a 404."""
    _check(request, "consent.view_own_consents")
    event = get_object_or_404(
        ConsentEvent.objects.select_related("purpose", "text"),
        public_id=public_id, user=request.user,
    )
    body = json.dumps(consent_receipt(event=event), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="toestemming-{event.purpose.code}-{event.public_id}.json"'
    )
    return response


# --- Mijn gegevens: overview, export, account deletion -----------------------------------------

ROLE_LABELS = {
    roles.ADMIN: _lazy("Administrator"),
    roles.MODERATOR: _lazy("Moderator"),
    roles.CIVIL_SERVANT: _lazy("Civil servant"),
    roles.JURY_MEMBER: _lazy("Jury member"),
    roles.COUNCIL_MEMBER: _lazy("Council member"),
    "staff": _lazy("Staff member of the municipality"),
}
WHAT_LABELS = {
    "admin.user": _lazy("Your account page in the management screens"),
}
DELETE_CONFIRMATION_WORD = "VERWIJDER"


@login_required
@require_http_methods(["GET", "HEAD"])
def my_data(request):
    """Mijn gegevens: what the portal holds about me per section, export, delete, access log."""
    _check(request, "consent.view_own_personal_data")
    exports = list(selectors.data_exports_of(user=request.user)[:3])
    accesses = [
        {"role": ROLE_LABELS.get(access.viewer_role, access.viewer_role),
         "what": WHAT_LABELS.get(access.what, access.what), "at": access.at}
        for access in selectors.personal_data_accesses(subject=request.user)
    ]
    return render(request, "consent/my_data.html", {
        "sections": selectors.personal_data_overview(user=request.user),
        "exports": exports,
        "export_pending": any(export.status == DataExport.Status.PENDING for export in exports),
        "accesses": accesses,
    })


@login_required
@require_POST
def data_export_request(request):
    _check(request, "consent.export_own_data")
    export, created = services.data_export_request(user=request.user)
    if created:
        messages.success(request, _("We are making your download. This usually takes a minute. "
                                    "You will get a notification when it is ready."))
    else:
        messages.warning(request, _("Your download is already being made. You will get a "
                                    "notification when it is ready."))
    return redirect(reverse("area-my-data") + "#export")


@login_required
@require_http_methods(["GET", "HEAD"])
def data_export_download(request, public_id):
    """The ZIP of one of my exports. Someone else's (or not ready) is a 404; expired is a 410."""
    _check(request, "consent.export_own_data")
    export = get_object_or_404(DataExport, public_id=public_id, user=request.user)
    if export.is_expired():
        return render(request, "consent/export_expired.html", status=410)
    if export.status != DataExport.Status.READY or not export.file:
        raise Http404
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True,
                            filename=f"mijn-gegevens-{export.created_at:%Y-%m-%d}.zip",
                            content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_delete(request):
    """Explain what deleting the account does, ask for an explicit confirmation, then delete."""
    _check(request, "consent.delete_own_account")
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.account_delete(user=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                logout(request)
                return redirect("consent:account-deleted")
        status = 400
    return render(request, "consent/account_delete.html",
                  {"form": form, "word": DELETE_CONFIRMATION_WORD}, status=status)


@require_http_methods(["GET", "HEAD"])
def account_deleted(request):
    return render(request, "consent/account_deleted.html")
