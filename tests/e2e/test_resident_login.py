"""A resident logs in with the DigiD mock in a real browser, switches language, logs out."""

import re

import pytest

from portal.accounts import digid_mock
from tests.e2e.conftest import ARTIFACTS, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESIDENT = digid_mock.mock_resident_get(key="fatima")


def _screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"digid-{name}.png"), full_page=True)


def test_resident_logs_in_with_digid_mock_switches_language_and_logs_out(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "nl"
    # The header's login link, in our own Dutch wording (not Django's or allauth's "Aanmelden").
    login_link = page.locator(".user-menu a[href='/inloggen/']")
    assert login_link.inner_text() == "Inloggen"
    login_link.click()

    # The login choice page.
    page.wait_for_url("**/inloggen/")
    assert_accessible(page, label="login choice")
    _screenshot(page, "login-choice")
    page.get_by_test_id("login-digid").click()

    # The mock IdP: unmistakably a test page.
    page.wait_for_url("**/digid/idp/**")
    assert page.get_by_test_id("digid-mock-banner").is_visible()
    assert page.get_by_test_id("digid-mock-banner").locator("strong").inner_text() == (
        "Testomgeving – geen echte DigiD"
    )
    assert_accessible(page, label="mock DigiD IdP")
    _screenshot(page, "mock-idp")
    page.get_by_label(re.compile(RESIDENT.name)).check()
    page.locator("select[name=level]").select_option("midden")
    page.locator("button[name=login]").click()

    # Back on the site, logged in under the resident's name; the BSN is nowhere.
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_test_id("user-name").inner_text() == RESIDENT.name
    assert RESIDENT.bsn not in page.content()
    assert RESIDENT.bsn not in page.url
    assert_accessible(page, label="home, logged in")
    _screenshot(page, "home-logged-in")

    # Language switch in the header: nl -> en -> nl, still logged in.
    page.locator(".language-switch button[value=en]").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_test_id("user-name").inner_text() == RESIDENT.name
    assert page.locator(".user-menu form button[type=submit]").inner_text() == "Log out"
    page.locator(".language-switch button[value=nl]").click()
    page.wait_for_function("document.documentElement.lang === 'nl'")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator(".user-menu form button[type=submit]").inner_text() == "Uitloggen"

    # Log out: the header offers logging in again.
    page.locator(".user-menu form button[type=submit]").click()
    page.locator(".user-menu a[href='/inloggen/']").wait_for()
    assert page.get_by_test_id("user-name").count() == 0


def test_cancel_on_the_mock_idp_returns_to_login_choice(page):
    page.goto("/digid/login/")
    page.wait_for_url("**/digid/idp/**")
    page.locator("button[name=cancel]").click()

    page.wait_for_url("**/inloggen/")
    assert page.locator(".messages").is_visible()
    assert page.locator(".messages").inner_text() == "Je hebt het inloggen met DigiD afgebroken."
    assert page.get_by_test_id("user-name").count() == 0


def test_form_errors_on_the_mock_idp_are_announced(page):
    page.goto("/digid/idp/")
    page.locator("input[name=bsn]").fill("123456789")
    page.locator("button[name=login]").click()

    summary = page.locator(".error-summary[role=alert]")
    summary.wait_for()
    assert summary.locator("li").count() == 1
    assert summary.locator("li").inner_text() == "Of typ een BSN: Ongeldig BSN."
    assert page.locator("input[name=bsn]").get_attribute("aria-invalid") == "true"
    assert_accessible(page, label="mock DigiD IdP with errors")
    _screenshot(page, "mock-idp-errors")
