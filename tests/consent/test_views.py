"""The pages: asking for consent, My consents (history, one-click withdraw, outcome), receipts."""

import json
import uuid

import pytest
from django.urls import reverse

from portal.accounts.assurance import SESSION_KEY
from portal.accounts.middleware import (
    AUTH_SOURCE_DIGID,
    AUTH_SOURCE_SESSION_KEY,
    LAST_ACTIVITY_SESSION_KEY,
)
from portal.consent import selectors, services
from portal.consent.models import ConsentEvent, WithdrawalEffectRun
from portal.consent.pseudonyms import consent_subject_pseudonym
from tests.consent.conftest import make_purpose
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

CONSENTS = "/mijn-gegevens/toestemmingen/"


def give_url(purpose, **query):
    url = reverse("consent:give", kwargs={"purpose_code": purpose.code})
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


def login_resident(client, level="midden"):
    import time

    user = ResidentFactory()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = level
    session[AUTH_SOURCE_SESSION_KEY] = AUTH_SOURCE_DIGID
    session[LAST_ACTIVITY_SESSION_KEY] = int(time.time())
    session.save()
    return user


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


# --- asking ---------------------------------------------------------------------------------


def test_the_give_page_shows_the_exact_text_and_an_unticked_box(client, text):
    login_resident(client)

    response = client.get(give_url(text.purpose))

    html = response.content.decode()
    assert response.status_code == 200
    assert text.body in html
    assert "Version 1, published on" in html
    checkbox = html[html.index('name="agree"') - 30: html.index('name="agree"') + 120]
    assert "checked" not in checkbox
    assert 'name="text_version" value="1"' in html
    assert "withdraw it at any time" in html


def test_giving_consent_records_web_method_and_level_and_returns_to_next(client, text):
    user = login_resident(client, level="substantieel")

    response = client.post(give_url(text.purpose),
                           {"agree": "on", "text_version": 1, "next": "/ideeen/?x=1"})

    assert response.status_code == 302
    assert response.url == "/ideeen/?x=1"
    event = ConsentEvent.objects.get(user=user)
    assert (event.action, event.method, event.assurance_level) == ("grant", "web",
                                                                    "substantieel")
    assert event.text == text


def test_an_e_mail_user_can_give_consent_without_an_assurance_level(client, text):
    user = UserFactory()
    client.force_login(user)

    response = client.post(give_url(text.purpose), {"agree": "on", "text_version": 1})

    assert response.status_code == 302
    assert response.url == CONSENTS
    event = ConsentEvent.objects.get(user=user)
    assert event.assurance_level is None
    assert event.subject_pseudonym == consent_subject_pseudonym(user)


def test_without_ticking_the_box_nothing_is_recorded(client, text):
    login_resident(client)

    response = client.post(give_url(text.purpose), {"text_version": 1, "next": "/ideeen/"})

    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_a_text_changed_while_reading_is_shown_again(client, text):
    login_resident(client)
    services.consent_text_publish(purpose=text.purpose, body="Versie twee, nu met postcode.",
                                  material_change=True, by=None)

    response = client.post(give_url(text.purpose), {"agree": "on", "text_version": 1})

    html = response.content.decode()
    assert response.status_code == 400
    assert "The text has changed while you were reading it" in html
    assert "Versie twee, nu met postcode." in html
    assert 'name="text_version" value="2"' in html
    assert not ConsentEvent.objects.exists()


@pytest.mark.parametrize(
    "nasty",
    [
        "https://evil.example/",
        "//evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "\"><script>alert(1)</script>",
        "/" + "a" * 5000,
        "/ïdeeën/✓",
        "",
    ],
)
def test_next_is_always_a_safe_local_path(client, text, nasty):
    login_resident(client)

    page = client.get(give_url(text.purpose, next=nasty))
    response = client.post(give_url(text.purpose),
                           {"agree": "on", "text_version": 1, "next": nasty})

    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.content.decode()
    assert response.status_code == 302
    if nasty == "/ïdeeën/✓":
        assert response.url.startswith("/")
    else:
        assert response.url == CONSENTS


@pytest.mark.parametrize("code", ["bestaat-niet", "x" * 300])
def test_an_unknown_purpose_is_a_404(client, code):
    login_resident(client)
    assert client.get(f"/mijn-gegevens/toestemming/{code}/").status_code == 404
    assert client.post(f"/mijn-gegevens/toestemmingen/{code}/intrekken/").status_code == 404


def test_a_script_in_the_purpose_path_is_a_404_not_an_error(client):
    login_resident(client)
    response = client.get("/mijn-gegevens/toestemming/%3Cscript%3E/")
    assert response.status_code == 404


def test_an_inactive_purpose_is_a_404(client):
    purpose = make_purpose(code="afgelopen", active=False)
    login_resident(client)
    assert client.get(give_url(purpose)).status_code == 404


def test_visitors_go_to_the_login_page(client, text):
    for url in (give_url(text.purpose), CONSENTS):
        response = client.get(url)
        assert response.status_code == 302
        assert "inloggen" in response.url
    response = client.post(give_url(text.purpose), {"agree": "on", "text_version": 1})
    assert response.status_code == 302
    assert not ConsentEvent.objects.exists()


# --- My consents ------------------------------------------------------------------------------


def test_the_consents_page_lists_purposes_with_state_and_history(client, text):
    other = make_purpose(code="idea-author-name", title="Je naam bij je ideeën",
                         text="Je naam staat bij je idee.")
    user = login_resident(client)
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")

    html = client.get(CONSENTS).content.decode()

    assert "Meedoen aan een meetproject" in html
    assert other.title in html
    assert "You gave consent" in html
    assert "You have not given consent" in html
    assert "Withdraw consent" in html
    event = ConsentEvent.objects.get(user=user)
    assert f"/mijn-gegevens/toestemmingen/bewijs/{event.public_id}.json" in html


def test_withdraw_with_one_click_shows_the_outcome(client, text, effect,
                                                   django_capture_on_commit_callbacks):
    effect(text.purpose.code, lambda *, user_id, event: "Je sensor staat niet meer op de kaart.",
           name="sensors.unpublish")
    user = login_resident(client)
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/mijn-gegevens/toestemmingen/{text.purpose.code}/intrekken/")

    assert response.status_code == 302
    assert response.url == f"{CONSENTS}#purpose-{text.purpose.code}"
    assert selectors.consent_state(user=user, purpose=text.purpose).status == "withdrawn"
    html = client.get(CONSENTS).content.decode()
    assert "You withdrew your consent" in html
    assert "Processed on" in html
    assert "Je sensor staat niet meer op de kaart." in html


def test_a_withdrawal_still_being_processed_says_so(client, text,
                                                    django_capture_on_commit_callbacks):
    user = login_resident(client)
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"/mijn-gegevens/toestemmingen/{text.purpose.code}/intrekken/")

    assert "We are still processing this" in client.get(CONSENTS).content.decode()


def test_a_failed_withdrawal_says_so(client, text, django_capture_on_commit_callbacks):
    user = login_resident(client)
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
    with django_capture_on_commit_callbacks(execute=False):
        event = services.consent_withdraw(user=user, purpose=text.purpose, method="web",
                                          assurance_level=None)
    WithdrawalEffectRun.objects.create(event=event, effect_name="x", status="failed")

    assert "did not fully succeed" in client.get(CONSENTS).content.decode()


def test_withdrawing_twice_shows_a_message_not_an_error(client, text):
    login_resident(client)
    response = client.post(f"/mijn-gegevens/toestemmingen/{text.purpose.code}/intrekken/",
                           follow=True)
    assert response.status_code == 200
    assert "You have not given consent for this purpose." in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_withdraw_needs_post(client, text):
    login_resident(client)
    response = client.get(f"/mijn-gegevens/toestemmingen/{text.purpose.code}/intrekken/")
    assert response.status_code == 405


def test_a_stale_grant_asks_again_on_the_consents_page(client, text):
    user = login_resident(client)
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
    services.consent_text_publish(purpose=text.purpose, body="Nieuw", material_change=True,
                                  by=None)

    html = client.get(CONSENTS).content.decode()
    assert "The text has changed; give your consent again" in html
    assert "Read the new text" in html
    give = client.get(give_url(text.purpose)).content.decode()
    assert "The text has changed; give your consent again." in give


def _grant_withdraw_pairs(user, text, pairs):
    for _ in range(pairs):
        services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
        services.consent_withdraw(user=user, purpose=text.purpose, method="web",
                                  assurance_level="midden")


def test_the_consents_page_has_a_constant_number_of_queries(
    client, text, django_capture_on_commit_callbacks
):
    make_purpose(code="idea-author-name", title="Naam", text="Tekst")
    user = login_resident(client)
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(CONSENTS)  # the first request of a session stores its session profile
    with CaptureQueriesContext(connection) as one:
        assert client.get(CONSENTS).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        _grant_withdraw_pairs(user, text, 5)  # the first grant is a no-op: 10 events
    assert ConsentEvent.objects.filter(user=user).count() == 10
    with CaptureQueriesContext(connection) as ten:
        assert client.get(CONSENTS).status_code == 200

    assert len(ten) == len(one)


# --- receipts ---------------------------------------------------------------------------------


def test_the_receipt_has_the_kantara_fields(client, text, settings):
    settings.CONSENT_CONTROLLER_NAME = "Gemeente Zwolle (demo)"
    user = login_resident(client)
    event = services.consent_grant(user=user, text=text, method="web", assurance_level="midden")

    response = client.get(f"/mijn-gegevens/toestemmingen/bewijs/{event.public_id}.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    receipt = json.loads(response.content)
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["jurisdiction"] == "NL"
    assert receipt["consentTimestamp"] == int(event.created_at.timestamp())
    assert receipt["consentReceiptID"] == str(event.public_id)
    assert receipt["collectionMethod"].startswith("web form")
    assert receipt["piiPrincipalId"] == event.subject_pseudonym
    assert receipt["piiPrincipalId"] != user.bsn_pseudonym
    assert ResidentFactory.bsn_for(user) not in response.content.decode()
    assert receipt["piiControllers"][0]["piiController"] == "Gemeente Zwolle (demo)"
    assert receipt["policyUrl"].endswith("/privacy/")
    service = receipt["services"][0]
    assert service["service"] == text.purpose.title
    purpose = service["purposes"][0]
    assert purpose["consentType"] == "EXPLICIT"
    assert purpose["termination"] == text.purpose.retention
    assert purpose["thirdPartyDisclosure"] is False
    assert receipt["consentText"] == {
        "version": 1, "sha256": text.sha256, "body": text.body,
        "publishedAt": text.published_at.isoformat(),
    }
    assert receipt["action"] == "grant"


def test_someone_elses_receipt_is_a_404(client, text):
    owner = ResidentFactory()
    event = services.consent_grant(user=owner, text=text, method="web", assurance_level=None)
    login_resident(client)

    assert client.get(f"/mijn-gegevens/toestemmingen/bewijs/{event.public_id}.json"
                      ).status_code == 404
    assert client.get(f"/mijn-gegevens/toestemmingen/bewijs/{uuid.uuid4()}.json"
                      ).status_code == 404


def test_the_my_data_page_links_to_the_consents_page(client):
    login_resident(client)
    assert 'href="/mijn-gegevens/toestemmingen/"' in client.get("/mijn-gegevens/").content.decode()
