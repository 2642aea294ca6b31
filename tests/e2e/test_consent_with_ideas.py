"""Issue 3's journey with a real owning app (ideas): a resident gives consent to show their
name while writing an idea, downloads the receipt, withdraws with one click and sees the effect
(the idea now says "anonymous resident"); exports their data and finds consents and ideas in the
ZIP; deletes the account, cannot get back into it, and the published idea stays, anonymised.
axe-core on every page of the flow."""

import json
import re
import zipfile

import pytest

from portal.accounts import digid_mock
from portal.accounts.models import User
from portal.consent import demo
from portal.consent.models import ConsentEvent
from portal.ideas.models import Idea, ModerationMode, ThemeSettings
from tests.e2e.conftest import assert_accessible
from tests.e2e.register_helpers import english, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESIDENT = digid_mock.mock_resident_get(key="sanne")
PURPOSE = "idea-author-name"
TITLE = "Een moestuin voor de buurt achter de school"


def _shot(page, name):
    screenshot(page, "consent-ideas", name)


def _digid_login(page):
    page.goto("/digid/login/")
    page.get_by_label(re.compile(RESIDENT.name)).check()
    page.locator("select[name=level]").select_option("midden")
    page.locator("button[name=login]").click()
    page.wait_for_url(re.compile(r"/$"))


def test_consent_for_my_name_on_ideas_from_grant_to_account_deletion(
    page, live_server, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    english(page.context, live_server.url)
    demo.load()
    ThemeSettings.objects.create(theme="governance", idea_moderation=ModerationMode.POST)
    _digid_login(page)
    page.goto("/mijn-account/")
    page.get_by_label("Display name").fill("Sanne B.")
    page.get_by_role("button", name="Save name").click()

    # Writing an idea with "show my name" asks for consent first, then comes back.
    page.goto("/ideeen/nieuw/")
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Description", exact=True).fill(
        "Laat kinderen en buren samen groente kweken op het braakliggende stuk grond."
    )
    page.get_by_label("Governance").check()
    page.get_by_label("Show my name with this idea").check()
    page.get_by_test_id("submit-idea").click()
    page.get_by_test_id("consent-link").wait_for()
    assert_accessible(page, label="idea form, consent needed")
    page.get_by_test_id("consent-link").get_by_role("link").click()
    page.wait_for_url(f"**/mijn-gegevens/toestemming/{PURPOSE}/**")
    assert not page.get_by_label("I give my consent").is_checked()
    assert_accessible(page, label="give consent")
    page.get_by_label("I give my consent").check()
    page.get_by_test_id("give-consent").click()
    page.wait_for_url("**/ideeen/*/bewerken/")
    page.get_by_label("Show my name with this idea").check()
    page.get_by_test_id("submit-idea").click()
    idea = Idea.objects.get(title=TITLE)
    page.goto(idea.get_absolute_url())
    assert page.get_by_test_id("idea-author").inner_text().strip() == "Sanne B."
    _shot(page, "idea-with-name")

    # The receipt of the grant.
    page.goto("/mijn-gegevens/toestemmingen/")
    purpose = page.get_by_test_id(f"purpose-{PURPOSE}")
    with page.expect_download() as download_info:
        purpose.get_by_test_id("receipt").first.click()
    receipt = json.loads(download_info.value.path().read_text(encoding="utf-8"))
    assert receipt["purposeCode"] == PURPOSE
    assert receipt["action"] == "grant"
    assert RESIDENT.bsn not in json.dumps(receipt)

    # One click withdraws; the ideas app's effect runs and its outcome is shown.
    purpose.get_by_test_id("withdraw").click()
    page.wait_for_url("**/mijn-gegevens/toestemmingen/**")
    withdrawal = page.get_by_test_id(f"purpose-{PURPOSE}").get_by_test_id("event").first
    assert withdrawal.get_by_test_id("outcome").inner_text().startswith("Processed on")
    # The effect ran in the worker, which speaks the site's language (Dutch).
    assert "Je naam staat niet meer bij je 1 idee" in withdrawal.inner_text()
    assert_accessible(page, label="consents, withdrawn")
    _shot(page, "withdrawn")
    page.goto(idea.get_absolute_url())
    assert page.get_by_test_id("idea-author").inner_text().strip() == "anonymous resident"

    # The export holds the consents and the idea.
    page.goto("/mijn-gegevens/")
    page.get_by_test_id("export-request").click()
    page.get_by_test_id("export-download").wait_for()
    with page.expect_download() as download_info:
        page.get_by_test_id("export-download").click()
    path = tmp_path / "export.zip"
    download_info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read("gegevens.json"))
    events = document["sections"]["consent"]["data"]["consent_events"]
    assert [(e["purpose"], e["action"]) for e in events] == [
        (PURPOSE, "grant"), (PURPOSE, "withdraw"),
    ] or [(e["purpose"], e["action"]) for e in events] == [
        (PURPOSE, "withdraw"), (PURPOSE, "grant"),
    ]
    assert [i["title"] for i in document["sections"]["ideas"]["data"]["ideas"]] == [TITLE]

    # Delete the account: the idea stays public, anonymised; the old account is gone.
    old_pk = User.objects.get(bsn_pseudonym__isnull=False).pk
    page.get_by_test_id("account-delete-link").click()
    page.get_by_label("Type VERWIJDER to confirm").fill("VERWIJDER")
    page.get_by_test_id("account-delete-confirm").click()
    page.wait_for_url("**/account-verwijderd/")
    assert not User.objects.filter(pk=old_pk).exists()
    assert ConsentEvent.objects.filter(user__isnull=True).count() == 2

    page.goto(idea.get_absolute_url())
    assert page.get_by_test_id("idea-author").inner_text().strip() == "anonymous resident"
    assert_accessible(page, label="idea after account deletion")
    _shot(page, "idea-after-deletion")

    # Logging in again gives a new, empty account: none of the old one's ideas.
    _digid_login(page)
    assert User.objects.get(bsn_pseudonym__isnull=False).pk != old_pk
    page.goto("/ideeen/mijn-ideeen/")
    assert page.get_by_test_id("my-idea").count() == 0
    idea.refresh_from_db()
    assert idea.author_id is None
    assert idea.is_public
