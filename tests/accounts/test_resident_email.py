"""A resident's e-mail address for notifications, on "My account".

Residents log in with DigiD and have no e-mail address. They may add one: we mail a signed link
to it, and only when the resident opens that link (logged in) does `User.email` get the address,
so `notification_send` never mails an address that has not been confirmed.
"""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.test import Client

from portal.accounts import roles, services
from portal.accounts.models import User
from portal.consent import selectors as consent_selectors
from portal.consent import services as consent_services
from portal.ideas import services as idea_services
from portal.ideas.models import Status
from tests.factories import (
    IdeaFactory,
    ResidentFactory,
    UserFactory,
    user_for_role,
)

pytestmark = pytest.mark.django_db

PROFILE = "/mijn-account/"
EMAIL_URL = "/mijn-account/e-mailadres/"
LINK = re.compile(r"https?://\S+/mijn-account/e-mailadres/bevestigen/(\S+)/")


@pytest.fixture
def client():
    # English, the source language: the texts asserted below do not depend on translations.
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def resident(client):
    user = ResidentFactory(display_name="Jan de Vries")
    client.force_login(user)
    return user


def _send(client, email):
    return client.post(EMAIL_URL, {"action": "send", "email": email})


def _link_path(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(0)[match.group(0).index("/mijn-account/"):]


def _state(response) -> str | None:
    match = re.search(r'data-testid="resident-email-state" data-state="(\w+)"',
                      response.content.decode())
    return match.group(1) if match else None


def _expired_token(monkeypatch, user, email) -> str:
    past = int(time.time()) - services.RESIDENT_EMAIL_MAX_AGE.total_seconds() - 60
    monkeypatch.setattr(signing.TimestampSigner, "timestamp",
                        lambda self: signing.b62_encode(int(past)))
    token = services.resident_email_token(user=user, email=email)
    monkeypatch.undo()
    return token


# --- the happy path --------------------------------------------------------------------------


def test_request_mail_link_confirm(client, resident):
    page = client.get(PROFILE)
    html = page.content.decode()
    assert _state(page) == "none"
    assert 'data-testid="resident-email-input"' in html
    assert 'data-testid="resident-email-send"' in html

    response = _send(client, "  Jan.de.Vries@Example.ORG ")

    assert response.status_code == 302
    assert response.url == PROFILE
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jan.de.vries@example.org"]
    assert message.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    assert getattr(message, "alternatives", []) == []
    assert message.content_subtype == "plain"
    assert settings.SITE_URL.rstrip("/") + "/mijn-account/e-mailadres/bevestigen/" in message.body
    # Nothing is set before the link is opened.
    resident.refresh_from_db()
    assert resident.email is None
    pending = client.get(PROFILE)
    assert _state(pending) == "pending"
    assert "jan.de.vries@example.org" in pending.content.decode()
    assert 'data-testid="resident-email-resend"' in pending.content.decode()

    confirmed = client.get(_link_path(message), follow=True)

    assert confirmed.redirect_chain == [(PROFILE, 302)]
    resident.refresh_from_db()
    assert resident.email == "jan.de.vries@example.org"
    assert not EmailAddress.objects.filter(user=resident).exists()
    assert _state(confirmed) == "verified"
    html = confirmed.content.decode()
    assert "has been confirmed" in html
    assert 'data-testid="resident-email-remove"' in html
    assert 'data-testid="resident-email-input"' not in html


def test_the_mail_names_the_site_and_says_it_can_be_ignored(client, resident):
    _send(client, "jan@example.org")

    body = mail.outbox[0].body
    host = settings.SITE_URL.split("//", 1)[1].rstrip("/")
    assert f"Stadsmakers ({host})" in body
    assert "e-mail negeren" in body  # the site speaks Dutch
    assert "3 dagen" in body
    assert "<a " not in body  # plain text, no markup


def test_opening_the_link_twice_changes_nothing(client, resident):
    _send(client, "jan@example.org")
    link = _link_path(mail.outbox[0])
    client.get(link)

    again = client.get(link)

    assert again.status_code == 302
    resident.refresh_from_db()
    assert resident.email == "jan@example.org"


def test_resend_mails_a_new_link(client, resident):
    _send(client, "jan@example.org")

    response = client.post(EMAIL_URL, {"action": "resend"})

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["jan@example.org"], ["jan@example.org"]]
    client.get(_link_path(mail.outbox[1]))
    resident.refresh_from_db()
    assert resident.email == "jan@example.org"


def test_resend_without_a_pending_address_is_a_clear_error(client, resident):
    response = client.post(EMAIL_URL, {"action": "resend"})

    assert response.status_code == 400
    assert "no e-mail address waiting for confirmation" in response.content.decode()
    assert mail.outbox == []


def test_the_link_works_after_logging_in_again_with_digid(client):
    # A DigiD session ends after 15 minutes: the resident often opens the mail later.
    client.post("/digid/idp/", {"resident": "jan", "level": "midden"}, follow=True)
    _send(client, "jan@example.org")
    link = _link_path(mail.outbox[0])
    client.post("/uitloggen/")

    response = client.get(link)
    assert response.status_code == 302
    assert response.url.startswith("/inloggen/?next=/mijn-account/e-mailadres/bevestigen/")
    login = client.get("/digid/login/", {"next": link}, follow=True)
    idp_next = login.context["form"].initial["next"]
    done = client.post("/digid/idp/", {"resident": "jan", "level": "midden", "next": idp_next},
                       follow=True)

    assert done.redirect_chain[-1] == (PROFILE, 302)
    assert User.objects.get(display_name="Jan de Vries").email == "jan@example.org"


# --- links that do not work ------------------------------------------------------------------


@pytest.mark.parametrize("token", ["not-a-token", "eyJ1IjoxfQ:1abc:deadbeef"])
def test_a_wrong_token_is_a_clear_400_and_sets_nothing(client, resident, token):
    response = client.get(f"/mijn-account/e-mailadres/bevestigen/{token}/")

    assert response.status_code == 400
    assert 'data-testid="resident-email-confirm-error"' in response.content.decode()
    assert "not valid" in response.content.decode()
    resident.refresh_from_db()
    assert resident.email is None


def test_a_tampered_token_is_refused(client, resident):
    _send(client, "jan@example.org")
    token = LINK.search(mail.outbox[0].body).group(1)
    other = services.resident_email_token(user=resident, email="evil@example.org")
    # The payload of one token with the signature of another.
    tampered = other.split(":")[0] + ":" + ":".join(token.split(":")[1:])

    response = client.get(f"/mijn-account/e-mailadres/bevestigen/{tampered}/")

    assert response.status_code == 400
    resident.refresh_from_db()
    assert resident.email is None


def test_an_expired_link_is_refused(client, resident, monkeypatch):
    _send(client, "jan@example.org")
    token = _expired_token(monkeypatch, resident, "jan@example.org")

    response = client.get(f"/mijn-account/e-mailadres/bevestigen/{token}/")

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    resident.refresh_from_db()
    assert resident.email is None


def test_a_link_for_an_address_replaced_since_is_refused(client, resident):
    _send(client, "typo@exampel.org")
    _send(client, "jan@example.org")

    response = client.get(_link_path(mail.outbox[0]))

    assert response.status_code == 400
    resident.refresh_from_db()
    assert resident.email is None
    assert services.resident_email_pending(user=resident) == "jan@example.org"


def test_a_link_for_a_removed_address_is_refused(client, resident):
    _send(client, "jan@example.org")
    client.post(EMAIL_URL, {"action": "remove"})

    response = client.get(_link_path(mail.outbox[0]))

    assert response.status_code == 400
    resident.refresh_from_db()
    assert resident.email is None


def test_someone_elses_link_is_refused_for_another_resident(client, resident):
    _send(client, "jan@example.org")
    link = _link_path(mail.outbox[0])
    other = ResidentFactory()
    client.force_login(other)

    response = client.get(link)

    assert response.status_code == 403
    assert "another account" in response.content.decode()
    resident.refresh_from_db()
    other.refresh_from_db()
    assert (resident.email, other.email) == (None, None)
    # The other resident stays logged in (no silent logout as allauth's own view would do).
    assert client.get(PROFILE).status_code == 200


def test_an_email_account_cannot_use_a_residents_link(client, resident):
    _send(client, "jan@example.org")
    link = _link_path(mail.outbox[0])
    staff = UserFactory(email="ambtenaar@example.org")
    client.force_login(staff)

    response = client.get(link)

    assert response.status_code == 403
    resident.refresh_from_db()
    staff.refresh_from_db()
    assert (resident.email, staff.email) == (None, "ambtenaar@example.org")


# --- form errors and limits ------------------------------------------------------------------


def test_an_address_of_another_account_is_a_form_error_without_saying_whose(client, resident):
    UserFactory(email="noor@example.org", display_name="Noor Bakker")

    response = _send(client, "Noor@Example.org")

    assert response.status_code == 400
    form = response.context["resident_email_form"]
    assert form.has_error("email", code="email_in_use")
    html = response.content.decode()
    assert "already used by another account" in html
    assert "Noor Bakker" not in html
    assert 'aria-invalid="true"' in html
    assert mail.outbox == []
    assert not EmailAddress.objects.filter(user=resident).exists()


def test_a_confirmed_address_of_another_resident_is_in_use_too(client, resident):
    other = ResidentFactory(email="gedeeld@example.org")

    response = _send(client, "gedeeld@example.org")

    assert response.context["resident_email_form"].has_error("email", code="email_in_use")
    other.refresh_from_db()
    assert other.email == "gedeeld@example.org"


def test_of_two_pending_requests_for_one_address_the_first_confirmation_wins(client, resident):
    other = ResidentFactory()
    services.resident_email_request(user=other, email="gedeeld@example.org")
    _send(client, "gedeeld@example.org")
    other_link, own_link = (_link_path(m) for m in mail.outbox)
    client.get(own_link)
    client.force_login(other)

    response = client.get(other_link)

    assert response.status_code == 400
    assert "already used by another account" in response.content.decode()
    other.refresh_from_db()
    assert other.email is None


@pytest.mark.parametrize("value", ["", "geen-adres", "a@b", "x" * 250 + "@example.org"])
def test_an_invalid_address_is_a_form_error(client, resident, value):
    response = _send(client, value)

    assert response.status_code == 400
    assert response.context["resident_email_form"].errors["email"]
    assert mail.outbox == []


def test_the_own_confirmed_address_again_is_refused():
    resident = ResidentFactory(email="jan@example.org")

    with pytest.raises(ValidationError) as raised:
        services.resident_email_request(user=resident, email="JAN@example.org")

    assert raised.value.error_dict["email"][0].code == "unchanged"
    assert mail.outbox == []


def test_sending_is_rate_limited(client, resident, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "accounts.resident_email": "2/h"}
    _send(client, "een@example.org")
    client.post(EMAIL_URL, {"action": "resend"})

    too_many = _send(client, "twee@example.org")
    resend = client.post(EMAIL_URL, {"action": "resend"})

    assert (too_many.status_code, resend.status_code) == (429, 429)
    assert "limit of 2 times" in too_many.content.decode()
    assert len(mail.outbox) == 2
    assert services.resident_email_pending(user=resident) == "een@example.org"


def test_unknown_action_is_a_400(client, resident):
    assert client.post(EMAIL_URL, {"action": "hack"}).status_code == 400


# --- remove ----------------------------------------------------------------------------------


def test_remove_a_confirmed_address(client):
    resident = ResidentFactory(email="jan@example.org")
    EmailAddress.objects.create(user=resident, email="jan@example.org", verified=True)
    client.force_login(resident)

    response = client.post(EMAIL_URL, {"action": "remove"}, follow=True)

    assert response.redirect_chain == [(PROFILE, 302)]
    assert "has been removed" in response.content.decode()
    resident.refresh_from_db()
    assert resident.email is None
    assert not EmailAddress.objects.filter(user=resident).exists()
    assert _state(response) == "none"


def test_cancel_a_pending_address(client, resident):
    _send(client, "jan@example.org")

    client.post(EMAIL_URL, {"action": "remove"})

    assert services.resident_email_pending(user=resident) is None
    assert not EmailAddress.objects.filter(user=resident).exists()


# --- who sees it -----------------------------------------------------------------------------


def test_email_accounts_do_not_see_the_section_and_cannot_post(client):
    user = UserFactory(email="org@example.org")
    client.force_login(user)

    page = client.get(PROFILE)
    refused = _send(client, "ander@example.org")

    assert 'data-testid="resident-email-section"' not in page.content.decode()
    assert "org@example.org" in page.content.decode()
    assert refused.status_code == 403
    user.refresh_from_db()
    assert user.email == "org@example.org"
    assert mail.outbox == []


def test_an_admin_has_no_resident_address_either(client):
    admin = user_for_role(roles.ADMIN)
    client.force_login(admin)

    assert 'data-testid="resident-email-section"' not in client.get(PROFILE).content.decode()
    assert _send(client, "ander@example.org").status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    response = _send(client, "jan@example.org")

    assert response.status_code == 302
    assert response.url.startswith("/inloggen/")


def test_get_on_the_form_url_goes_to_the_profile(client, resident):
    assert client.get(EMAIL_URL).url == PROFILE


# --- the address never becomes a name or a login ---------------------------------------------


def test_the_address_is_never_shown_as_the_residents_name():
    resident = ResidentFactory(display_name="", email="jan@example.org")

    assert str(resident) == "Resident"
    assert "jan@example.org" not in str(resident)


def test_a_resident_cannot_log_in_with_the_address_and_a_password(client):
    resident = ResidentFactory(email="jan@example.org")
    resident.set_password("Een-lang-wachtwoord-2026")
    resident.save()

    response = client.post("/account/login/", {"login": "jan@example.org",
                                               "password": "Een-lang-wachtwoord-2026"})

    assert response.status_code == 302
    assert response.url == "/inloggen/"
    assert "_auth_user_id" not in client.session


def test_no_password_reset_mail_for_a_resident(client):
    ResidentFactory(email="jan@example.org")

    client.post("/account/password/reset/", {"email": "jan@example.org"})

    assert mail.outbox == []


def test_a_resident_cannot_set_a_password(client, resident):
    response = client.post("/account/password/set/", {
        "password1": "Een-lang-wachtwoord-2026", "password2": "Een-lang-wachtwoord-2026",
    })

    assert response.status_code == 403
    resident.refresh_from_db()
    assert not resident.has_usable_password()


# --- personal data ---------------------------------------------------------------------------


def test_the_confirmed_address_is_in_my_data_export(client, resident):
    _send(client, "jan@example.org")
    client.get(_link_path(mail.outbox[0]))
    resident.refresh_from_db()

    document = consent_selectors.personal_data_document(user=resident)

    profile = document["sections"]["account"]["data"]["profile"][0]
    assert profile["email"] == "jan@example.org"
    assert profile["login_method"] == "DigiD"


def test_account_deletion_removes_the_address_rows(client, resident):
    _send(client, "jan@example.org")
    assert EmailAddress.objects.filter(user=resident).exists()

    consent_services.account_delete(user=resident)

    assert not User.objects.filter(pk=resident.pk).exists()
    assert not EmailAddress.objects.filter(email="jan@example.org").exists()
    assert not User.objects.filter(email="jan@example.org").exists()


# --- the point of it all: the municipality's answer by e-mail --------------------------------


def test_a_supporter_with_a_confirmed_address_gets_the_answer_by_email(
    client, django_capture_on_commit_callbacks
):
    supporter = user_for_role(roles.VERIFIED_RESIDENT)
    client.force_login(supporter)
    _send(client, "steun@example.org")
    client.get(_link_path(mail.outbox[0]))
    mail.outbox.clear()
    idea = IdeaFactory(title="Meer bankjes in het park")
    civil_servant = user_for_role(roles.CIVIL_SERVANT)

    idea_services.idea_support(idea=idea, user=supporter)
    with django_capture_on_commit_callbacks(execute=True):
        idea_services.idea_status_change(idea=idea, by=civil_servant, status=Status.ACCEPTED,
                                         answer="We plaatsen tien bankjes.")

    assert [m.to for m in mail.outbox] == [["steun@example.org"]]
    assert "We plaatsen tien bankjes." in mail.outbox[0].body


def test_a_supporter_whose_address_is_still_pending_gets_no_email(
    client, django_capture_on_commit_callbacks
):
    supporter = user_for_role(roles.VERIFIED_RESIDENT)
    client.force_login(supporter)
    _send(client, "steun@example.org")
    mail.outbox.clear()
    idea = IdeaFactory()

    idea_services.idea_support(idea=idea, user=supporter)
    with django_capture_on_commit_callbacks(execute=True):
        idea_services.idea_status_change(idea=idea, by=user_for_role(roles.CIVIL_SERVANT),
                                         status=Status.ACCEPTED, answer="Komt er.")

    assert mail.outbox == []
    assert supporter.notifications.count() == 1
