"""Creating Observations through SensorThings: POST Observations, POST
Datastreams(<id>)/Observations and POST CreateObservations (dataArray), with the kit's device
credentials (HTTP Basic) or a staff member's token/session."""

import base64
import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from portal.accounts import roles
from sensors.models import Datastream, Kit, Observation
from sensors.services import new_device_token, secret_hash
from sensors.sta import create as create_module
from tests.factories import user_for_role
from tests.sensors.test_sta_read import STA, build_network

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(db):
    return build_network()


def credentials(kit: Kit) -> str:
    token = new_device_token()
    Kit.objects.filter(pk=kit.pk).update(token_hash=secret_hash(token))
    return token


def basic(device_id: str, token: str) -> dict:
    raw = base64.b64encode(f"{device_id}:{token}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}"}


def post(client, path, body, status, **headers):
    response = client.post(STA + path, data=json.dumps(body) if not isinstance(body, str)
                           else body, content_type="application/json", **headers)
    assert response.status_code == status, response.content
    return response


@pytest.fixture
def home_auth(network):
    return basic(network.home.device_id, credentials(network.home))


def recent(minutes: int = 5) -> str:
    moment = timezone.now() - dt.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- one observation ----------------------------------------------------------------------------


def test_a_kit_posts_an_observation_to_its_own_datastream(client, network, home_auth):
    stream = network.streams[(network.home.name, "pm25")]
    time = recent()

    response = post(client, f"Datastreams({stream.pk})/Observations",
                    {"result": 22.5, "phenomenonTime": time}, 201, **home_auth)

    observation = Observation.objects.get(datastream=stream, result=22.5)
    assert response["Location"] == f"http://testserver{STA}Observations({observation.pk})"
    body = response.json()
    assert body["@iot.id"] == observation.pk
    assert body["result"] == 22.5
    assert body["phenomenonTime"] == time
    stream.refresh_from_db()
    assert stream.last_result == 22.5
    listed = client.get(response["Location"]).json()
    assert listed["result"] == 22.5


def test_post_observations_with_the_datastream_in_the_body_and_no_time(client, network,
                                                                        home_auth):
    stream = network.streams[(network.home.name, "temperature")]
    before = timezone.now()

    response = post(client, "Observations", {"result": "19.25",
                                             "Datastream": {"@iot.id": stream.pk}}, 201,
                    **home_auth)

    observation = Observation.objects.get(pk=response.json()["@iot.id"])
    assert observation.result == 19.25
    assert before <= observation.phenomenon_time <= timezone.now()


def test_a_replay_stores_nothing_new_and_answers_the_stored_observation(client, network,
                                                                         home_auth):
    stream = network.streams[(network.home.name, "pm25")]
    body = {"result": 7.0, "phenomenonTime": recent()}

    first = post(client, f"Datastreams({stream.pk})/Observations", body, 201, **home_auth)
    again = post(client, f"Datastreams({stream.pk})/Observations", body, 200, **home_auth)

    assert first["Location"] == again["Location"]
    assert Observation.objects.filter(datastream=stream, result=7.0).count() == 1


def test_the_feature_of_interest_may_be_given_and_must_be_the_kits(client, network, home_auth):
    stream = network.streams[(network.home.name, "pm25")]
    path = f"Datastreams({stream.pk})/Observations"

    post(client, path, {"result": 1, "phenomenonTime": recent(1),
                        "FeatureOfInterest": {"@iot.id": network.home.pk}}, 201, **home_auth)
    error = post(client, path, {"result": 1, "phenomenonTime": recent(2),
                                "FeatureOfInterest": {"@iot.id": network.second.pk}}, 400,
                 **home_auth)
    assert "FeatureOfInterest" in error.json()["message"]


@pytest.mark.parametrize(("body", "message"), [
    ("{not json", "JSON"),
    ([1, 2], "object"),
    ({"phenomenonTime": "2026-01-01T00:00:00Z"}, "result"),
    ({"result": "abc"}, "number"),
    ({"result": True}, "number"),
    ({"result": None}, "number"),
    ({"result": "NaN"}, "finite"),
    ({"result": 1, "phenomenonTime": "yesterday"}, "ISO 8601"),
    ({"result": 1, "phenomenonTime": "2025-01-01T10:00:00"}, "time zone"),
    ({"result": 1, "phenomenonTime": "2025-01-01T10:00:00Z/2025-01-01T11:00:00Z"}, "interval"),
    ({"result": 1, "phenomenonTime": "2999-01-01T10:00:00Z"}, "future"),
    ({"result": 1, "Datastream": {"name": "new"}}, "not supported"),
])
def test_bad_observations_are_a_clear_400(client, network, home_auth, body, message):
    stream = network.streams[(network.home.name, "pm25")]
    count = Observation.objects.count()

    error = post(client, f"Datastreams({stream.pk})/Observations", body, 400,
                 **home_auth).json()

    assert error["code"] == 400
    assert error["type"] == "error"
    assert message in error["message"]
    assert Observation.objects.count() == count


def test_a_datastream_in_the_body_must_match_the_url(client, network, home_auth):
    pm = network.streams[(network.home.name, "pm25")]
    temperature = network.streams[(network.home.name, "temperature")]

    post(client, f"Datastreams({pm.pk})/Observations",
         {"result": 1, "Datastream": {"@iot.id": temperature.pk}}, 400, **home_auth)
    post(client, "Observations", {"result": 1}, 400, **home_auth)
    post(client, "Observations", {"result": 1, "Datastream": {"@iot.id": 999_999}}, 404,
         **home_auth)


# --- who may write -----------------------------------------------------------------------------


def test_without_credentials_it_is_a_401_asking_for_basic(client, network):
    stream = network.streams[(network.home.name, "pm25")]

    response = post(client, f"Datastreams({stream.pk})/Observations", {"result": 1}, 401)

    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["type"] == "error"


def test_a_wrong_token_is_a_401(client, network):
    stream = network.streams[(network.home.name, "pm25")]
    credentials(network.home)

    post(client, f"Datastreams({stream.pk})/Observations", {"result": 1}, 401,
         **basic(network.home.device_id, "wrong"))
    post(client, f"Datastreams({stream.pk})/Observations", {"result": 1}, 401,
         HTTP_AUTHORIZATION="Basic !!!")
    post(client, f"Datastreams({stream.pk})/Observations", {"result": 1}, 401,
         **basic("esp8266-42", "x"))


def test_a_kit_may_not_write_to_another_kits_datastream(client, network, home_auth):
    other = network.streams[(network.second.name, "pm25")]

    error = post(client, f"Datastreams({other.pk})/Observations", {"result": 1}, 403,
                 **home_auth).json()
    bulk = post(client, "CreateObservations", [
        {"Datastream": {"@iot.id": network.streams[(network.home.name, "pm25")].pk},
         "components": ["phenomenonTime", "result"], "dataArray": [[recent(), 1]]},
        {"Datastream": {"@iot.id": other.pk}, "components": ["phenomenonTime", "result"],
         "dataArray": [[recent(), 2]]},
    ], 403, **home_auth).json()

    assert error["code"] == 403
    assert "another kit" in error["message"]
    assert bulk["code"] == 403
    assert not Observation.objects.filter(result__in=(1, 2)).exists()


def test_a_stopped_kit_cannot_write(client, network):
    token = credentials(network.stopped)
    stream = network.streams[(network.stopped.name, "pm25")]

    post(client, f"Datastreams({stream.pk})/Observations", {"result": 1}, 401,
         **basic(network.stopped.device_id, token))


def test_a_kit_may_not_write_a_calibrated_datastream(client, network, home_auth):
    raw = network.streams[(network.home.name, "pm25")]
    calibrated = Datastream.objects.create(
        kit=network.home, observed_property=raw.observed_property, sensor=raw.sensor,
        calibrated_from=raw, name="PM2.5 gekalibreerd")

    error = post(client, f"Datastreams({calibrated.pk})/Observations", {"result": 1}, 403,
                 **home_auth).json()

    assert "calibrated" in error["message"]


def test_staff_with_a_token_may_write_to_any_datastream(client, network):
    user = user_for_role(roles.CIVIL_SERVANT)
    token = Token.objects.create(user=user)
    stream = network.streams[(network.third.name, "pm25")]

    post(client, f"Datastreams({stream.pk})/Observations",
         {"result": 3.5, "phenomenonTime": recent()}, 201,
         HTTP_AUTHORIZATION=f"Token {token.key}")

    assert Observation.objects.filter(datastream=stream, result=3.5).exists()


def test_a_session_needs_the_permission_and_the_csrf_token(network):
    stream = network.streams[(network.third.name, "pm25")]
    resident = Client(enforce_csrf_checks=True)
    resident.force_login(user_for_role(roles.RESIDENT))
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(user_for_role(roles.ADMIN))

    post(resident, f"Datastreams({stream.pk})/Observations", {"result": 1}, 403)
    error = post(staff, f"Datastreams({stream.pk})/Observations", {"result": 1}, 403).json()
    assert "CSRF" in error["message"]


def test_only_observations_can_be_created_and_nothing_changed(client, network, home_auth):
    post(client, "Things", {"name": "nieuw"}, 405, **home_auth)
    post(client, f"Things({network.home.pk})/Datastreams", {"name": "nieuw"}, 405, **home_auth)
    response = client.patch(f"{STA}Things({network.home.pk})", data="{}",
                            content_type="application/json", **home_auth)
    assert response.status_code == 405
    assert response.json()["type"] == "error"
    assert client.delete(f"{STA}Observations(1)", **home_auth).status_code == 405
    assert client.get(f"{STA}CreateObservations").status_code == 405


# --- CreateObservations --------------------------------------------------------------------------


def test_create_observations_in_the_frost_conformance_shape(client, network, home_auth):
    pm = network.streams[(network.home.name, "pm25")]
    temperature = network.streams[(network.home.name, "temperature")]
    body = [
        {"Datastream": {"@iot.id": pm.pk},
         "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
         "dataArray@iot.count": 2,
         "dataArray": [["2025-12-23T10:20:00-07:00", 20, network.home.pk],
                       ["2025-12-23T10:21:00-07:00", 30, network.home.pk]]},
        {"Datastream": {"@iot.id": temperature.pk},
         "components": ["phenomenonTime", "result"],
         "dataArray@iot.count": 2,
         "dataArray": [["2025-12-23T10:20:00-07:00", 65], ["2025-12-23T10:21:00-07:00", 60]]},
    ]

    response = post(client, "CreateObservations", body, 201, **home_auth).json()

    assert len(response) == 4
    stored = {(o.datastream_id, o.phenomenon_time, o.result): o.pk
              for o in Observation.objects.filter(phenomenon_time__date="2025-12-23")}
    at = dt.datetime(2025, 12, 23, 17, 20, tzinfo=dt.UTC)
    expected = [stored[(pm.pk, at, 20.0)], stored[(pm.pk, at + dt.timedelta(minutes=1), 30.0)],
                stored[(temperature.pk, at, 65.0)],
                stored[(temperature.pk, at + dt.timedelta(minutes=1), 60.0)]]
    assert response == [f"http://testserver{STA}Observations({pk})" for pk in expected]


def test_bad_rows_are_error_entries_and_the_good_rows_are_stored(client, network, home_auth):
    pm = network.streams[(network.home.name, "pm25")]
    body = [{"Datastream": {"@iot.id": pm.pk},
             "components": ["result", "phenomenonTime", "resultTime", "FeatureOfInterest/id"],
             "dataArray": [
                 [1.5, recent(10), None, network.home.pk],
                 ["x", recent(11), None, network.home.pk],            # not a number
                 [2.5, "2999-01-01T00:00:00Z", None, network.home.pk],  # future
                 [3.5, "gisteren", None, network.home.pk],          # no time
                 [4.5, recent(12), None, network.second.pk],          # not this kit's feature
                 [5.5, recent(13)],                                   # too short
                 [6.5, recent(14), None, network.home.pk],
                 [7.5, None, None, network.home.pk],                  # no time: now
             ]},
            {"Datastream": {"@iot.id": 999_999}, "components": ["result"],
             "dataArray": [[1.0]]}]

    response = post(client, "CreateObservations", body, 201, **home_auth).json()

    assert [entry == "error" for entry in response] == [
        False, True, True, True, True, True, False, False, True]
    assert sorted(Observation.objects.filter(
        datastream=pm, result__in=(1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5)).values_list(
        "result", flat=True)) == [1.5, 6.5, 7.5]


def test_create_observations_replays_answer_the_stored_observation(client, network, home_auth):
    pm = network.streams[(network.home.name, "pm25")]
    rows = [[recent(20), 1.0], [recent(21), 2.0]]
    body = [{"Datastream": {"@iot.id": pm.pk}, "components": ["phenomenonTime", "result"],
             "dataArray": rows}]

    first = post(client, "CreateObservations", body, 201, **home_auth).json()
    again = post(client, "CreateObservations", body, 201, **home_auth).json()

    assert first == again
    assert "error" not in first
    assert Observation.objects.filter(datastream=pm, result__in=(1.0, 2.0)).count() == 2


@pytest.mark.parametrize("body", [
    {"Datastream": {"@iot.id": 1}},
    [{"components": ["result"], "dataArray": [[1]]}],
    [{"Datastream": {"@iot.id": 1}, "components": "result", "dataArray": [[1]]}],
    [{"Datastream": {"@iot.id": 1}, "components": ["phenomenonTime"], "dataArray": [[1]]}],
    [{"Datastream": {"@iot.id": 1}, "components": ["result", "colour"], "dataArray": [[1, 2]]}],
    [{"Datastream": {"@iot.id": 1}, "components": ["result"], "dataArray": {"a": 1}}],
    [{"MultiDatastream": {"@iot.id": 1}, "components": ["result"], "dataArray": [[1]]}],
    ["not an object"],
])
def test_malformed_create_observations_is_a_400(client, network, home_auth, body):
    error = post(client, "CreateObservations", body, 400, **home_auth).json()

    assert error["code"] == 400
    assert error["message"]


def test_create_observations_takes_at_most_10000_rows(client, network, home_auth):
    pm = network.streams[(network.home.name, "pm25")]
    rows = [[1.0] for _ in range(10_001)]

    error = post(client, "CreateObservations", [{"Datastream": {"@iot.id": pm.pk},
                                                 "components": ["result"],
                                                 "dataArray": rows}], 413, **home_auth).json()

    assert "10000" in error["message"]


def test_10000_rows_are_one_store_call(client, network, home_auth, monkeypatch,
                                       django_assert_max_num_queries):
    pm = network.streams[(network.home.name, "pm25")]
    temperature = network.streams[(network.home.name, "temperature")]
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=10)
    calls = []
    real_store = create_module.observations_store

    def spy(readings, **kwargs):
        calls.append(len(readings))
        return real_store(readings, **kwargs)

    monkeypatch.setattr(create_module, "observations_store", spy)
    body = [{"Datastream": {"@iot.id": stream.pk}, "components": ["phenomenonTime", "result"],
             "dataArray": [[(start + dt.timedelta(minutes=m)).isoformat(), m % 40]
                           for m in range(5000)]} for stream in (pm, temperature)]

    with django_assert_max_num_queries(40):
        response = post(client, "CreateObservations", body, 201, **home_auth).json()

    assert calls == [10_000]
    assert len(response) == 10_000
    assert "error" not in response
    assert len(set(response)) == 10_000
    assert Observation.objects.filter(datastream__in=(pm, temperature),
                                      phenomenon_time__gte=start).count() == 10_000
