"""E-mail accounts (django-allauth) for organisations and staff."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.utils import translation

from portal.accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Zwolle-lucht-2026!"


@pytest.fixture(autouse=True)
def english(client):
    """Assert the English msgids, whatever the Dutch catalogue says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def _logout(client):
    client.logout()  # also drops every cookie, so choose English again
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _signup(client, email="lisa@luchtmeters.example", name="Lisa de Boer"):
    return client.post(
        "/account/signup/",
        {"email": email, "display_name": name, "password1": PASSWORD, "password2": PASSWORD},
    )


def _login(client, email, password=PASSWORD):
    return client.post("/account/login/", {"login": email, "password": password})


def _confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/account/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_page_says_who_it_is_for(client):
    content = client.get("/account/signup/").content.decode()

    assert "This account is for organisations" in content
    assert "Residents do not need an account" in content
    assert 'href="/inloggen/"' in content


def test_signup_sends_a_verification_email_and_stores_the_name(client):
    response = _signup(client)

    assert response.status_code == 302
    assert response.url == "/account/confirm-email/"
    user = User.objects.get(email="lisa@luchtmeters.example")
    assert user.display_name == "Lisa de Boer"
    assert user.bsn_pseudonym is None
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lisa@luchtmeters.example"]
    assert mail.outbox[0].subject.startswith("[Stadsmakers] ")
    assert "Stadsmakers" in mail.outbox[0].body
    assert "example.com" not in mail.outbox[0].body
    _confirmation_link(mail.outbox[0])


def test_verification_sent_page(client):
    _signup(client)

    response = client.get("/account/confirm-email/")

    assert response.status_code == 200
    assert "We have sent an email to you for verification." in response.content.decode()


def test_login_is_refused_until_the_address_is_confirmed(client):
    _signup(client)
    _logout(client)
    mail.outbox.clear()

    response = _login(client, "lisa@luchtmeters.example")

    # allauth sends a fresh verification mail instead of logging in
    assert response.status_code == 302
    assert response.url == "/account/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert client.get("/organisaties/nieuw/").status_code == 302


def test_after_confirming_the_link_login_works(client):
    _signup(client)
    link = _confirmation_link(mail.outbox[0])
    _logout(client)

    page = client.get(link)
    assert page.status_code == 200
    assert "Please confirm that" in page.content.decode()
    confirmed = client.post(link)
    response = _login(client, "lisa@luchtmeters.example")

    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="lisa@luchtmeters.example").verified is True
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        User.objects.get(email="lisa@luchtmeters.example").pk
    )
    header = client.get("/").content.decode()
    assert 'data-testid="user-name">Lisa de Boer<' in header


def test_an_invalid_confirmation_link_is_a_clear_page(client):
    response = client.get("/account/confirm-email/not-a-real-key/")

    assert response.status_code == 200
    assert "This email confirmation link expired or is invalid." in response.content.decode()


def test_wrong_password_shows_a_form_error(client):
    UserFactory(email="piet@example.org")

    response = _login(client, "piet@example.org", password="verkeerd-wachtwoord")

    assert response.status_code == 200
    content = response.content.decode()
    assert "The email address and/or password you specified are not correct." in content
    assert 'role="alert"' in content
    assert "_auth_user_id" not in client.session


def test_repeated_wrong_passwords_are_rate_limited(client):
    UserFactory(email="piet@example.org")

    responses = [
        _login(client, "piet@example.org", password="verkeerd-wachtwoord") for _ in range(6)
    ]
    # Even the right password is refused while the limit holds.
    last = _login(client, "piet@example.org", password=TEST_PASSWORD)

    assert [r.status_code for r in responses[:5]] == [200] * 5
    for response in (responses[5], last):
        assert response.status_code in {200, 429}
        assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_logs_in(client):
    user = UserFactory(email="piet@example.org", display_name="Piet Pieters")

    response = _login(client, "piet@example.org", password=TEST_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signup_with_a_taken_address_does_not_create_a_second_account(client):
    UserFactory(email="piet@example.org")

    _signup(client, email="piet@example.org")

    assert User.objects.filter(email__iexact="piet@example.org").count() == 1


def test_signup_with_bad_input_shows_errors(client):
    response = client.post(
        "/account/signup/",
        {"email": "geen-adres", "display_name": "", "password1": "kort", "password2": "anders"},
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert 'role="alert"' in content
    assert 'aria-invalid="true"' in content
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    ["/account/login/", "/account/signup/", "/account/password/reset/", "/account/logout/"],
)
def test_account_pages_use_the_site_layout(client, url):
    if url == "/account/logout/":
        client.force_login(UserFactory())

    response = client.get(url)

    content = response.content.decode()
    assert response.status_code == 200
    assert 'class="skip-link"' in content
    assert content.count("<h1") == 1


def test_password_reset_sends_a_mail_and_the_link_works(client):
    UserFactory(email="piet@example.org")

    response = client.post("/account/password/reset/", {"email": "piet@example.org"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    match = re.search(r"https?://[^/\s]+(/account/password/reset/key/[^\s]+/)", mail.outbox[0].body)
    assert match
    page = client.get(match.group(1), follow=True)
    assert page.status_code == 200
    assert "Change Password" in page.content.decode()


def test_logout_is_a_post(client):
    client.force_login(UserFactory())

    response = client.post("/account/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
