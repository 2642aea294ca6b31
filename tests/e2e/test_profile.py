"""A resident opens "Mijn account" from the header and chooses the name others see."""

import re

import pytest

from tests.e2e.conftest import ARTIFACTS, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_resident_renames_themself_from_the_header(page):
    page.goto("/digid/login/")
    page.get_by_label(re.compile("Jan de Vries")).check()
    page.locator("button[name=login]").click()
    page.wait_for_url(re.compile(r"/$"))

    page.get_by_test_id("user-name").click()
    page.wait_for_url("**/mijn-account/")
    assert page.get_by_test_id("assurance-level").inner_text() == "Basis"
    assert_accessible(page, label="my account")

    page.get_by_label("Weergavenaam").fill("Jan uit Assendorp")
    page.get_by_role("button", name="Naam opslaan").click()

    page.wait_for_url("**/mijn-account/")
    assert page.locator(".messages").inner_text() == "Je naam is opgeslagen."
    assert page.get_by_test_id("user-name").inner_text() == "Jan uit Assendorp"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "profile-renamed.png"), full_page=True)
