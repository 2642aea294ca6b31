"""/api/v1/me/consents/: list, grant (current text version only), withdraw; JSON errors."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.consent import selectors, services
from portal.consent.models import ConsentEvent, WithdrawalEffectRun
from tests.consent.conftest import make_purpose
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/consents/"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def resident(api):
    user = ResidentFactory()
    api.force_authenticate(user)
    return user


def test_list_shows_every_active_purpose_with_my_state(api, resident, text):
    make_purpose(code="idea-author-name", title="Naam", text="Tekst")
    make_purpose(code="oud", title="Oud", active=False)
    services.consent_grant(user=resident, text=text, method="web", assurance_level=None)

    response = api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    by_code = {row["purpose"]: row for row in body["results"]}
    assert set(by_code) == {"sensor-project-participation", "idea-author-name"}
    granted = by_code["sensor-project-participation"]
    assert granted["status"] == "granted"
    assert granted["text_version"] == 1
    assert granted["needs_asking"] is False
    assert granted["current_text_sha256"] == text.sha256
    event = ConsentEvent.objects.get(user=resident)
    assert granted["latest_event"]["id"] == str(event.public_id)
    assert granted["latest_event"]["receipt_url"].endswith(f"{event.public_id}.json")
    never = by_code["idea-author-name"]
    assert never["status"] == "never"
    assert never["latest_event"] is None
    assert never["needs_asking"] is True
    assert resident.bsn_pseudonym not in response.content.decode()


def test_grant_through_the_api_records_method_api(api, resident, text):
    response = api.post(URL, {"purpose": text.purpose.code, "text_version": 1}, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "granted"
    event = ConsentEvent.objects.get(user=resident)
    assert event.method == "api"
    assert event.action == "grant"

    again = api.post(URL, {"purpose": text.purpose.code, "text_version": 1}, format="json")
    assert again.status_code == 200
    assert ConsentEvent.objects.filter(user=resident).count() == 1


def test_grant_of_an_old_version_is_a_400(api, resident, text):
    services.consent_text_publish(purpose=text.purpose, body="v2", material_change=True, by=None)

    response = api.post(URL, {"purpose": text.purpose.code, "text_version": 1}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "text_version" in body["errors"]
    assert not ConsentEvent.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"purpose": "bestaat-niet", "text_version": 1},
        {"purpose": "<script>alert(1)</script>", "text_version": 1},
        {"purpose": "sensor-project-participation", "text_version": "een"},
        {"purpose": "sensor-project-participation", "text_version": -1},
        {"purpose": "ö" * 10_000, "text_version": 1},
        {"purpose": ["sensor-project-participation"], "text_version": [1]},
    ],
)
def test_bad_grant_input_is_a_json_400(api, resident, text, payload):
    response = api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert "errors" in response.json()
    assert not ConsentEvent.objects.exists()


def test_malformed_json_is_a_json_400(api, resident, text):
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_withdraw_through_the_api(api, resident, text, django_capture_on_commit_callbacks):
    services.consent_grant(user=resident, text=text, method="web", assurance_level=None)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{URL}{text.purpose.code}/withdraw/")

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    event = ConsentEvent.objects.get(user=resident, action="withdraw")
    assert event.method == "api"
    assert WithdrawalEffectRun.objects.filter(event=event,
                                              effect_name=selectors.NOTIFY_STEP).exists()


def test_withdraw_without_consent_is_a_400(api, resident, text):
    response = api.post(f"{URL}{text.purpose.code}/withdraw/")
    assert response.status_code == 400
    assert response.json()["detail"] == "You have not given consent for this purpose."


def test_withdraw_of_an_unknown_purpose_is_a_json_404(api, resident):
    response = api.post(f"{URL}bestaat-niet/withdraw/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_gets_401_and_nothing_changes(api, text):
    assert api.get(URL).status_code == 401
    assert api.post(URL, {"purpose": text.purpose.code, "text_version": 1},
                    format="json").status_code == 401
    assert api.post(f"{URL}{text.purpose.code}/withdraw/").status_code == 401
    assert not ConsentEvent.objects.exists()


def test_token_users_can_use_the_api(api, text):
    user = UserFactory()
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.post(URL, {"purpose": text.purpose.code, "text_version": 1}, format="json")

    assert response.status_code == 201
    assert ConsentEvent.objects.get(user=user).assurance_level is None


def test_an_inactive_account_is_refused(api, text):
    user = UserFactory(is_active=False)
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get(URL)
    assert response.status_code in {401, 403}


def test_the_schema_lists_the_consent_endpoints(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    assert "/api/v1/me/consents/" in paths
    assert "/api/v1/me/consents/{purpose_code}/withdraw/" in paths
