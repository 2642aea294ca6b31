"""The push takes the device lane (portal.core.middleware.DeviceLaneMiddleware): no session,
CSRF, CSP or language handling, but the same answers, and the host still checked."""

import pytest

from sensors.services import secret_hash
from tests.sensors.factories import KitFactory
from tests.sensors.test_ingest_airrohr import ANCHOR_BODY, DEVICE, TOKEN, push


@pytest.fixture
def kit(db):
    return KitFactory(device_id=DEVICE, token_hash=secret_hash(TOKEN))


def test_a_push_through_the_lane_is_stored_and_sets_no_cookie(client, kit):
    response = push(client, ANCHOR_BODY)

    assert response.status_code == 201
    assert response.json()["stored"] > 0
    assert not response.cookies  # no session, no CSRF cookie for a device
    assert "Content-Security-Policy" not in response  # HTML headers are not for firmware


def test_the_lane_still_refuses_a_host_that_is_not_allowed(client, kit):
    response = push(client, ANCHOR_BODY, HTTP_HOST="evil.example")

    assert response.status_code == 400


def test_the_lane_answers_errors_in_json_as_before(client, kit):
    response = push(client, "{not json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_other_pages_keep_the_full_middleware(client, db):
    response = client.get("/")

    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"
