"""The Dutch catalogue: the site speaks Dutch by default, English on request, and every
message in locale/nl has a translation (so a new string without one fails CI)."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NL_PO = Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES" / "django.po"

NAV_NL = ["Ideeën", "Uitdagingen", "Sensoren", "Registers", "Mijn gegevens"]
NAV_EN = ["Ideas", "Challenges", "Sensors", "Registers", "My data"]


def _nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert nav, "main navigation missing"
    return re.findall(r'class="site-nav__link"[^>]*>([^<]+)</a>', nav.group(0))


def _login_button(html: str) -> str:
    match = re.search(
        r'<div class="user-menu">.*?<a [^>]*href="/inloggen/"[^>]*>([^<]+)</a>', html, re.S
    )
    assert match, "login link in the header missing"
    return match.group(1)


def test_home_page_is_dutch_by_default(client):
    html = client.get("/").content.decode()

    assert '<html lang="nl">' in html
    assert _nav_labels(html) == NAV_NL
    # Our catalogue wins over Django's and allauth's ("Aanmelden") for the strings we use.
    assert _login_button(html) == "Inloggen"
    assert "Aanmelden" not in html


def test_home_page_is_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get("/").content.decode()

    assert '<html lang="en">' in html
    assert _nav_labels(html) == NAV_EN
    assert _login_button(html) == "Log in"


def test_every_dutch_message_is_translated_and_not_fuzzy():
    with NL_PO.open("rb") as po_file:
        catalog = read_po(po_file, locale="nl")

    assert not catalog.fuzzy, "the header of the Dutch catalogue is marked fuzzy"
    messages = [message for message in catalog if message.id]
    assert messages, "the Dutch catalogue is empty"
    untranslated = [
        message.id
        for message in messages
        if not (all(message.string) if isinstance(message.string, tuple) else message.string)
    ]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert untranslated == [], f"untranslated in {NL_PO.name}: {untranslated}"
    assert fuzzy == [], f"fuzzy (not compiled) in {NL_PO.name}: {fuzzy}"


def test_password_rules_and_errors_from_django_are_dutch_in_our_wording(client):
    """Django's own Dutch says "u"; its "too short" error has no Dutch at all in Django 5.2."""
    response = client.post(
        "/account/signup/",
        {
            "email": "noor@example.org",
            "display_name": "Noor",
            "password1": "k0rt",
            "password2": "k0rt",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Je wachtwoord moet minstens 10 tekens lang zijn." in html
    assert "Je wachtwoord mag niet te veel lijken op je andere persoonlijke gegevens." in html
    assert "Dit wachtwoord is te kort. Het moet minstens 10 tekens lang zijn." in html
    assert "This password is too short" not in html
    assert "Uw wachtwoord" not in html


def test_login_and_logout_messages_use_our_words_not_allauths(client):
    """allauth's Dutch says "Aanmelden" and "afgemeld"; the site says "Inloggen", "uitgelogd"."""
    UserFactory(email="piet@example.org", display_name="Piet Pieters")

    wrong = client.post("/account/login/", {"login": "piet@example.org", "password": "fout-123"})
    assert "Het e-mailadres of wachtwoord klopt niet." in wrong.content.decode()

    logged_in = client.post(
        "/account/login/", {"login": "piet@example.org", "password": TEST_PASSWORD}, follow=True
    )
    assert '<p class="message message-success' in logged_in.content.decode()
    assert "Je bent ingelogd als Piet Pieters.</p>" in logged_in.content.decode()

    logged_out = client.post("/account/logout/", follow=True)
    assert "Je bent uitgelogd.</p>" in logged_out.content.decode()
    assert "Aanmelden" not in logged_out.content.decode()


def test_dutch_by_default_even_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert '<html lang="nl">' in response.content.decode()
    assert "Inloggen" in response.content.decode()


def test_english_once_chosen_with_the_switch(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="nl-NL,nl;q=0.9")

    assert '<html lang="en">' in response.content.decode()
