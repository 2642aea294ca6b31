"""A resident sees Mijn gegevens, downloads all their data as a ZIP and deletes the account;
logging in again with the same DigiD gives a new, empty account. axe-core on every page.

The new texts are not translated yet, so this test runs in English (language cookie)."""

import json
import re
import zipfile

import pytest

from portal.accounts import digid_mock
from portal.accounts.models import User
from portal.consent import demo
from portal.consent.models import ConsentEvent
from tests.e2e.conftest import ARTIFACTS, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESIDENT = digid_mock.mock_resident_get(key="fatima")
PURPOSE = "sensor-project-participation"


@pytest.fixture
def en_page(browser, live_server, request, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  accept_downloads=True)
    host = live_server.url.split("://", 1)[1].split(":")[0]
    context.add_cookies([{"name": "django_language", "value": "en", "domain": host,
                          "path": "/"}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def _screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"my-data-{name}.png"), full_page=True)


def _digid_login(page):
    page.goto("/digid/login/")
    page.get_by_label(re.compile(RESIDENT.name)).check()
    page.locator("select[name=level]").select_option("midden")
    page.locator("button[name=login]").click()
    page.wait_for_url(re.compile(r"/$"))


def test_resident_exports_their_data_and_deletes_the_account(en_page, tmp_path):
    page = en_page
    demo.load()
    _digid_login(page)

    # Give a consent first.
    page.goto(f"/mijn-gegevens/toestemming/{PURPOSE}/")
    page.get_by_label("I give my consent").check()
    page.get_by_test_id("give-consent").click()
    page.wait_for_url("**/mijn-gegevens/toestemmingen/")
    first_user = User.objects.get(bsn_pseudonym__isnull=False)

    # Mijn gegevens shows it.
    page.locator(".site-nav").get_by_role("link", name="My data").click()
    page.wait_for_url("**/mijn-gegevens/")
    assert page.get_by_test_id("count-consent-consent_events").inner_text() == "1"
    assert page.get_by_test_id("access-log-empty").is_visible()
    assert_accessible(page, label="my data")
    _screenshot(page, "overview")

    # Request the export; eager in the live server, so the link is there after the redirect.
    page.get_by_test_id("export-request").click()
    page.wait_for_url("**/mijn-gegevens/#export")
    page.get_by_test_id("export-download").wait_for()
    assert_accessible(page, label="my data, export ready")
    _screenshot(page, "export-ready")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-download").click()
    path = tmp_path / "export.zip"
    download_info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read("gegevens.json"))
        assert "consent-consent_events.csv" in archive.namelist()
    events = document["sections"]["consent"]["data"]["consent_events"]
    assert [(e["purpose"], e["action"]) for e in events] == [(PURPOSE, "grant")]
    assert RESIDENT.bsn not in json.dumps(document)

    # Delete: the confirmation page; a wrong word deletes nothing.
    page.get_by_test_id("account-delete-link").click()
    page.wait_for_url("**/mijn-gegevens/account-verwijderen/")
    assert_accessible(page, label="delete account")
    _screenshot(page, "delete")
    page.get_by_label("Type VERWIJDER to confirm").fill("verwijder")
    page.get_by_test_id("account-delete-confirm").click()
    page.locator(".error-summary").wait_for()
    assert_accessible(page, label="delete account, error")
    _screenshot(page, "delete-error")
    assert User.objects.filter(pk=first_user.pk).exists()

    page.get_by_label("Type VERWIJDER to confirm").fill("VERWIJDER")
    page.get_by_test_id("account-delete-confirm").click()
    page.wait_for_url("**/account-verwijderd/")
    assert page.get_by_test_id("goodbye").is_visible()
    assert_accessible(page, label="goodbye")
    _screenshot(page, "goodbye")
    assert not User.objects.filter(pk=first_user.pk).exists()
    assert ConsentEvent.objects.filter(user__isnull=True).count() == 1

    # The same resident again: a new, empty account.
    _digid_login(page)
    new_user = User.objects.get(bsn_pseudonym__isnull=False)
    assert new_user.pk != first_user.pk
    page.goto("/mijn-gegevens/")
    assert page.get_by_test_id("count-consent-consent_events").inner_text() == "0"
    page.goto("/mijn-gegevens/toestemmingen/")
    status = page.get_by_test_id(f"purpose-{PURPOSE}").get_by_test_id("status").inner_text()
    assert status.strip() == "You have not given consent"
    assert_accessible(page, label="my consents after deletion")
