"""/api/v1/me/data/ and /api/v1/me/exports/: my data as JSON, and the export through the API."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.consent import services
from portal.consent.models import DataExport
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture
def resident(text):
    user = ResidentFactory()
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
    return user


def _api(user=None):
    api = APIClient()
    if user is not None:
        token = Token.objects.create(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def test_my_data_is_the_same_document_as_the_export(resident):
    response = _api(resident).get("/api/v1/me/data/")

    assert response.status_code == 200
    body = response.json()
    assert set(body["sections"]) >= {"account", "consent", "notifications"}
    assert body["sections"]["consent"]["data"]["consent_events"][0]["action"] == "grant"
    assert resident.bsn_pseudonym not in response.content.decode()


def test_anonymous_gets_401_json():
    response = _api().get("/api/v1/me/data/")

    assert response.status_code == 401
    assert "detail" in response.json()


def test_requesting_an_export_and_reading_its_status(resident, django_capture_on_commit_callbacks):
    api = _api(resident)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/me/exports/")

    assert response.status_code == 202
    export_id = response.json()["id"]
    detail = api.get(f"/api/v1/me/exports/{export_id}/")
    assert detail.status_code == 200
    assert detail.json()["status"] == "ready"
    assert detail.json()["download_url"] == f"/mijn-gegevens/download/{export_id}/"


def test_a_second_request_returns_the_pending_export(resident):
    pending, _created = services.data_export_request(user=resident)
    DataExport.objects.filter(pk=pending.pk).update(status="pending")

    response = _api(resident).post("/api/v1/me/exports/")

    assert response.status_code == 200
    assert response.json()["id"] == str(pending.public_id)
    assert response.json()["download_url"] is None
    assert DataExport.objects.filter(user=resident).count() == 1


def test_someone_elses_export_is_a_404(resident):
    export, _created = services.data_export_request(user=resident)

    response = _api(ResidentFactory()).get(f"/api/v1/me/exports/{export.public_id}/")

    assert response.status_code == 404
    assert "detail" in response.json()
    assert _api(resident).get("/api/v1/me/exports/not-a-uuid/").status_code == 404
