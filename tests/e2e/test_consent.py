"""A resident logs in with the DigiD mock, gives consent for a purpose, downloads the receipt,
withdraws with one click and sees the withdrawal processed. axe-core on every page."""

import json
import re

import pytest

from portal.accounts import digid_mock
from portal.consent import demo
from portal.consent.models import ConsentEvent
from portal.consent.pseudonyms import consent_subject_pseudonym
from tests.e2e.conftest import ARTIFACTS, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESIDENT = digid_mock.mock_resident_get(key="fatima")
PURPOSE = "sensor-project-participation"


def _screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"consent-{name}.png"), full_page=True)


def test_resident_gives_consent_downloads_the_receipt_and_withdraws(page):
    demo.load()

    page.goto("/digid/login/")
    page.get_by_label(re.compile(RESIDENT.name)).check()
    page.locator("select[name=level]").select_option("midden")
    page.locator("button[name=login]").click()
    page.wait_for_url(re.compile(r"/$"))

    # Mijn gegevens -> Toestemmingen
    page.locator(".site-nav").get_by_role("link", name="Mijn gegevens").click()
    page.wait_for_url("**/mijn-gegevens/")
    assert_accessible(page, label="my data")
    page.get_by_test_id("my-consents-link").click()
    page.wait_for_url("**/mijn-gegevens/toestemmingen/")
    purpose = page.get_by_test_id(f"purpose-{PURPOSE}")
    status = purpose.get_by_test_id("status").inner_text().strip()
    assert status == "Je hebt geen toestemming gegeven"
    assert_accessible(page, label="my consents, nothing given")
    _screenshot(page, "list-empty")

    # Ask: the exact text, version and date, an unticked box.
    purpose.get_by_test_id("give").click()
    page.wait_for_url(f"**/mijn-gegevens/toestemming/{PURPOSE}/**")
    assert "grove locatie van je sensor" in page.get_by_test_id("consent-text").inner_text()
    assert page.get_by_test_id("text-version").inner_text().startswith("Versie 1, gepubliceerd op")
    checkbox = page.get_by_label("Ik geef toestemming")
    assert not checkbox.is_checked()
    assert_accessible(page, label="give consent")
    _screenshot(page, "give")

    # Submitting without ticking records nothing and says why.
    page.get_by_test_id("give-consent").click()
    page.locator(".error-summary").wait_for()
    assert_accessible(page, label="give consent, error")
    _screenshot(page, "give-error")
    assert ConsentEvent.objects.count() == 0

    page.get_by_label("Ik geef toestemming").check()
    page.get_by_test_id("give-consent").click()
    page.wait_for_url("**/mijn-gegevens/toestemmingen/")
    purpose = page.get_by_test_id(f"purpose-{PURPOSE}")
    assert purpose.get_by_test_id("status").inner_text().startswith("Je hebt toestemming gegeven")
    assert_accessible(page, label="my consents, given")

    # The receipt.
    with page.expect_download() as download_info:
        purpose.get_by_test_id("receipt").first.click()
    receipt = json.loads(download_info.value.path().read_text(encoding="utf-8"))
    event = ConsentEvent.objects.get(action="grant")
    assert receipt["consentReceiptID"] == str(event.public_id)
    assert receipt["jurisdiction"] == "NL"
    assert receipt["piiPrincipalId"] == consent_subject_pseudonym(event.user)
    assert RESIDENT.bsn not in json.dumps(receipt)
    assert receipt["services"][0]["purposes"][0]["consentType"] == "EXPLICIT"
    assert receipt["consentText"]["version"] == 1
    assert receipt["consentText"]["sha256"] == event.text.sha256
    assert receipt["assuranceLevel"] == "midden"

    # Withdraw with one click, on the same page; the outcome is shown.
    purpose.get_by_test_id("withdraw").click()
    page.wait_for_url("**/mijn-gegevens/toestemmingen/**")
    purpose = page.get_by_test_id(f"purpose-{PURPOSE}")
    assert purpose.get_by_test_id("status").inner_text().startswith(
        "Je hebt je toestemming ingetrokken (tekstversie 1)"
    )
    assert purpose.get_by_test_id("outcome").first.inner_text().startswith("Verwerkt op")
    assert purpose.get_by_test_id("event").count() == 2
    assert purpose.get_by_test_id("receipt").count() == 2
    assert_accessible(page, label="my consents, withdrawn")
    _screenshot(page, "withdrawn")

    # And the person was told, in the notifications.
    page.goto("/meldingen/")
    assert "is verwerkt" in page.get_by_test_id("notification").first.inner_text()
