import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.core import services
from portal.core.models import Notification
from tests.factories import TEST_PASSWORD, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def api():
    return APIClient()


def notify(user, title="Hello"):
    return services.notification_send(recipient=user, kind="test", title=title, body="Body")


# --- schema and docs ---------------------------------------------------------------------------


def test_schema_renders_and_lists_the_core_endpoints(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/me/",
        "/api/v1/notifications/",
        "/api/v1/notifications/{public_id}/read/",
        "/api/v1/auth/token/",
    ):
        assert path in paths


def test_schema_validates_without_warnings(tmp_path):
    """The whole project's schema: every app's API must keep it valid and warning-free."""
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn",
         "--file", str(tmp_path / "schema.yaml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "openapi: 3" in (tmp_path / "schema.yaml").read_text()


def test_docs_page_loads_without_external_scripts(api):
    response = api.get("/api/v1/docs/")

    assert response.status_code == 200
    content = response.content.decode()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]*)"', content)
    assert sources, "the docs page should load Swagger UI from local static files"
    assert not [src for src in sources if src.startswith(("http:", "https:", "//"))]
    assert "<script>" not in content  # no inline script: the strict CSP allows none


# --- error shape -------------------------------------------------------------------------------


def test_404_is_json(api):
    api.force_authenticate(UserFactory())

    response = api.post(f"/api/v1/notifications/{uuid.uuid4()}/read/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_401_is_json_with_authenticate_header(api):
    response = api.get("/api/v1/notifications/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_invalid_token_is_401_json(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_403_is_json(api, settings):
    """A logged-in session POST without a CSRF token is refused with a JSON 403."""
    user = UserFactory()
    notification = notify(user)
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)

    response = api.post(f"/api/v1/notifications/{notification.public_id}/read/")

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "permission_denied"
    assert body["detail"].startswith("CSRF Failed")
    notification.refresh_from_db()
    assert notification.read_at is None


def test_405_is_json(api):
    api.force_authenticate(UserFactory())

    response = api.delete("/api/v1/notifications/")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.',
                               "code": "method_not_allowed"}


def test_malformed_json_body_is_400_json(api):
    response = api.post(
        "/api/v1/auth/token/", data='{"email": "a@example.org",', content_type="application/json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["detail"].startswith("JSON parse error")


def test_validation_error_is_400_json_with_field_errors(api):
    response = api.post("/api/v1/auth/token/", {"email": "not-an-address"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "errors": {
            "email": ["Enter a valid email address."],
            "password": ["This field is required."],
        },
    }


# --- me ----------------------------------------------------------------------------------------


def test_me_returns_name_and_roles_without_pseudonym(api):
    user = UserFactory(display_name="Fatima de Vries", groups=["moderator"])
    api.force_authenticate(user)

    response = api.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json() == {
        "display_name": "Fatima de Vries",
        "email": user.email,
        "is_resident": False,
        "roles": ["moderator"],
    }


def test_me_for_a_resident_never_shows_the_pseudonym(api):
    resident = ResidentFactory(display_name="Jan Jansen")
    api.force_authenticate(resident)

    response = api.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json() == {
        "display_name": "Jan Jansen",
        "email": None,
        "is_resident": True,
        "roles": ["resident"],
    }
    assert resident.bsn_pseudonym not in response.content.decode()


def test_me_needs_login(api):
    assert api.get("/api/v1/me/").status_code == 401


# --- notifications -----------------------------------------------------------------------------


def test_notifications_are_mine_and_paginated(api):
    user, other = UserFactory(), UserFactory()
    for i in range(3):
        notify(user, title=f"Mine {i}")
    notify(other, title="Not mine")
    api.force_authenticate(user)

    response = api.get("/api/v1/notifications/?page_size=2")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["previous"] is None
    assert body["next"].endswith("/api/v1/notifications/?page=2&page_size=2")
    assert [item["title"] for item in body["results"]] == ["Mine 2", "Mine 1"]
    first = body["results"][0]
    assert set(first) == {"id", "kind", "title", "body", "url", "created_at", "read_at",
                          "is_read"}
    assert first["id"] == str(Notification.objects.get(title="Mine 2").public_id)

    second = api.get(body["next"]).json()
    assert [item["title"] for item in second["results"]] == ["Mine 0"]


def test_page_beyond_the_end_is_404_json(api):
    api.force_authenticate(UserFactory())

    response = api.get("/api/v1/notifications/?page=9")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_mark_read_via_api(api):
    user = UserFactory()
    notification = notify(user)
    api.force_authenticate(user)

    response = api.post(f"/api/v1/notifications/{notification.public_id}/read/")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_cannot_mark_someone_elses_notification_read_via_api(api):
    notification = notify(UserFactory())
    api.force_authenticate(UserFactory())

    response = api.post(f"/api/v1/notifications/{notification.public_id}/read/")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


# --- tokens ------------------------------------------------------------------------------------


def test_token_with_correct_password_authenticates_requests(api):
    user = UserFactory(email="partner@example.org", display_name="Partner")

    response = api.post(
        "/api/v1/auth/token/",
        {"email": "partner@example.org", "password": TEST_PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=user).key
    other_client = APIClient()
    other_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = other_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["display_name"] == "Partner"


def test_token_with_wrong_password_is_400_json(api):
    UserFactory(email="partner@example.org")

    response = api.post(
        "/api/v1/auth/token/",
        {"email": "partner@example.org", "password": "wrong-password-123"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The e-mail address or password is not correct.",
        "code": "invalid_credentials",
        "errors": {"non_field_errors": ["The e-mail address or password is not correct."]},
    }
    assert not Token.objects.exists()


def test_token_needs_a_verified_email_address(api):
    UserFactory(email="new@example.org", email_verified=False)

    response = api.post(
        "/api/v1/auth/token/",
        {"email": "new@example.org", "password": TEST_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "email_not_verified"
    assert not Token.objects.exists()


def test_token_endpoint_is_throttled_with_json_429(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth_token": "2/min",
        },
    }
    payload = {"email": "nobody@example.org", "password": "wrong-password-123"}

    statuses = [api.post("/api/v1/auth/token/", payload, format="json").status_code
                for _ in range(3)]

    assert statuses == [400, 400, 429]
    response = api.post("/api/v1/auth/token/", payload, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert body["detail"].startswith("Request was throttled.")
    assert "Retry-After" in response


def test_group_roles_do_not_leak_unrelated_groups(api):
    user = UserFactory()
    user.groups.add(Group.objects.create(name="some-internal-group"))
    api.force_authenticate(user)

    assert api.get("/api/v1/me/").json()["roles"] == []


@pytest.mark.parametrize("path", ["/api/v1/does-not-exist/", "/api/v2/"])
def test_unknown_api_paths_answer_404_in_json(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
