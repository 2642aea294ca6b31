"""POST /api/v1/sensors/kits/<device_id>/observations/: a kit's backlog as JSON or CSV."""

import base64
import datetime as dt
import json

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import reverse

from sensors.models import AggregateDirty, Datastream, Kit, Observation
from sensors.services import secret_hash
from tests.sensors.factories import DatastreamFactory, KitFactory

pytestmark = pytest.mark.django_db

TOKEN = "backlog-token-0123456789-abcdefghijklmnop"
DEVICE = "esp8266-7654321"
URL = f"/api/v1/sensors/kits/{DEVICE}/observations/"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def basic(user=DEVICE, password=TOKEN) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def upload(client, body, *, content_type="application/json", auth=None, url=URL, **extra):
    if not isinstance(body, str | bytes):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    headers = {"HTTP_AUTHORIZATION": auth if auth is not None else basic(), **extra}
    if auth == "":
        del headers["HTTP_AUTHORIZATION"]
    return client.post(url, data=body, content_type=content_type, **headers)


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)


@pytest.fixture
def kit():
    return KitFactory(device_id=DEVICE, token_hash=secret_hash(TOKEN))


def at(minutes_ago: int) -> str:
    return (NOW - dt.timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")


def values(kit) -> list[tuple]:
    return sorted(Observation.objects.filter(datastream__kit=kit).values_list(
        "datastream__observed_property__code", "datastream__sensor__code", "phenomenon_time",
        "result"))


def test_the_url_is_named():
    assert reverse("api-sensors-kit-observations", kwargs={"device_id": DEVICE}) == URL


def test_a_json_backlog_is_stored_in_the_datastreams_made_on_first_use(client, kit):
    rows = [
        {"quantity": "pm25", "sensor": "sds011", "value": 12.3, "time": at(30)},
        {"quantity": "pm25", "sensor": "sds011", "value": "14.1", "time": at(20)},
        {"quantity": "pressure", "sensor": "bme280", "value": 1012.5,
         "time": "2026-11-23T12:50:00+01:00"},
    ]

    response = upload(client, rows)

    assert response.status_code == 201, response.content
    assert response.json() == {"received": 3, "stored": 3, "duplicates": 0, "rejected": []}
    assert values(kit) == [
        ("pm25", "sds011", NOW - dt.timedelta(minutes=30), 12.3),
        ("pm25", "sds011", NOW - dt.timedelta(minutes=20), 14.1),
        ("pressure", "bme280", NOW - dt.timedelta(minutes=10), 1012.5),
    ]
    stream = Datastream.objects.get(kit=kit, observed_property__code="pm25")
    assert (stream.last_time, stream.last_result) == (NOW - dt.timedelta(minutes=20), 14.1)


def test_times_in_any_zone_land_in_the_right_utc_hour(client, kit):
    upload(client, [{"quantity": "pm25", "sensor": "sds011", "value": 1,
                     "time": "2026-11-23T15:45:00+05:30"}])

    assert Observation.objects.get().phenomenon_time == dt.datetime(2026, 11, 23, 10, 15,
                                                                     tzinfo=dt.UTC)
    assert list(AggregateDirty.objects.values_list("hour", flat=True)) == [
        dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)]


def test_a_csv_backlog(client, kit):
    body = (
        "quantity,sensor,value,time\n"
        f"pm10,sds011,20.5,{at(3)}\n"
        f"pm10,sds011,21.0,{at(2)}\n"
        "\n"
        f"temperature,bme280,-3.25,{at(2)}\n"
    )

    response = upload(client, body, content_type="text/csv")

    assert response.status_code == 201, response.content
    assert response.json()["stored"] == 3
    assert [v[3] for v in values(kit)] == [20.5, 21.0, -3.25]


def test_a_csv_with_a_datastream_column(client, kit):
    stream = DatastreamFactory(kit=kit, observed_property__code="humidity", sensor__code="bme280")
    body = f"datastream,value,time\n{stream.pk},55.5,{at(5)}\n{stream.pk},56.0,{at(4)}\n"

    response = upload(client, body, content_type="text/csv; charset=utf-8")

    assert response.status_code == 201, response.content
    assert Observation.objects.filter(datastream=stream).count() == 2


def test_a_dutch_spreadsheet_csv_with_semicolons_and_decimal_commas(client, kit):
    body = "\ufeffQuantity;Sensor;Value;Time\npm25;sds011;12,5;" + at(1) + "\n"

    response = upload(client, body, content_type="text/csv")

    assert response.status_code == 201, response.content
    assert values(kit)[0][3] == 12.5


def test_the_sensor_may_be_left_out_when_the_kit_has_one_datastream_for_it(client, kit):
    DatastreamFactory(kit=kit, observed_property__code="pm25", sensor__code="sds011")

    response = upload(client, [{"quantity": "pm25", "value": 3, "time": at(1)},
                               {"quantity": "pm10", "value": 3, "time": at(1)}])

    assert response.status_code == 201
    assert response.json()["rejected"] == [{"row": 2, "reason": (
        "sensor is missing (needed when the kit has no datastream or several for this "
        "quantity)")}]


def test_bad_rows_are_refused_with_their_row_number_and_the_good_ones_stored(client, kit):
    other = DatastreamFactory()  # another kit's datastream
    rows = [
        {"quantity": "pm25", "sensor": "sds011", "value": 10, "time": at(5)},      # 1 ok
        {"quantity": "smog", "sensor": "sds011", "value": 10, "time": at(5)},      # 2
        {"quantity": "pm25", "sensor": "sds011", "value": "veel", "time": at(4)},  # 3
        {"quantity": "pm25", "sensor": "sds011", "value": 10},                     # 4
        {"quantity": "pm25", "sensor": "sds011", "value": 10,
         "time": "2026-11-23T11:00:00"},                                           # 5
        {"quantity": "pm25", "sensor": "sds011", "value": 10,
         "time": "2026-11-23T12:05:00Z"},                                          # 6 future
        {"datastream": other.pk, "value": 10, "time": at(3)},                      # 7
        "pm25,10",                                                                  # 8
        {"value": 10, "time": at(3)},                                              # 9
        {"quantity": "pm25", "sensor": "sds011", "value": 11, "time": "gisteren"},  # 10
        {"quantity": "pm25", "sensor": "sds011", "value": float("inf"), "time": at(2)},
        {"quantity": "pm25", "sensor": "sds011", "value": 12, "time": at(1)},      # 12 ok
    ]

    response = upload(client, json.dumps(rows).replace("Infinity", '"Infinity"'))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["received"], body["stored"]) == (12, 2)
    assert body["rejected"] == [
        {"row": 2, "reason": "unknown quantity or sensor"},
        {"row": 3, "reason": "value is not a number"},
        {"row": 4, "reason": "time is missing"},
        {"row": 5, "reason": "time has no time zone"},
        {"row": 6, "reason": "time is in the future"},
        {"row": 7, "reason": "unknown datastream for this kit"},
        {"row": 8, "reason": "not an object"},
        {"row": 9, "reason": "datastream or quantity is missing"},
        {"row": 10, "reason": "time is not an ISO 8601 date and time"},
        {"row": 11, "reason": "value is not a number"},
    ]
    assert not Observation.objects.filter(datastream=other).exists()


def test_csv_errors_name_the_line_in_the_file_too(client, kit):
    body = (f"quantity,sensor,value,time\npm25,sds011,1,{at(3)}\n\n"
            f"pm25,sds011,x,{at(2)}\n")

    response = upload(client, body, content_type="text/csv")

    assert response.json()["rejected"] == [
        {"row": 2, "line": 4, "reason": "value is not a number"}]


def test_an_upload_without_any_valid_row_is_400(client, kit):
    response = upload(client, [{"quantity": "pm25", "sensor": "sds011", "value": "x",
                                "time": at(1)}])

    assert response.status_code == 400
    assert response.json()["code"] == "no_valid_rows"
    assert response.json()["rejected"] == [{"row": 1, "reason": "value is not a number"}]


def test_a_replayed_backlog_adds_nothing_and_is_not_rate_limited(client, kit):
    rows = [{"quantity": "pm25", "sensor": "sds011", "value": v, "time": at(m)}
            for m, v in ((3, 1.0), (2, 2.0), (1, 3.0))]
    assert upload(client, rows).status_code == 201

    response = upload(client, rows)

    assert response.status_code == 200
    assert response.json() == {"received": 3, "stored": 0, "duplicates": 3, "rejected": []}
    assert Observation.objects.count() == 3


def test_10000_rows_are_stored_in_one_go(client, kit, django_assert_max_num_queries):
    start = NOW - dt.timedelta(days=7)
    rows = [{"quantity": "pm25", "sensor": "sds011", "value": i % 50,
             "time": (start + dt.timedelta(seconds=60 * i)).isoformat()} for i in range(10_000)]

    # auth, datastreams, making one datastream (a few), the store: 10 chunks of 1,000 rows
    with django_assert_max_num_queries(30):
        response = upload(client, rows)

    assert response.status_code == 201
    assert response.json()["stored"] == 10_000


def test_more_than_10000_rows_is_413_and_nothing_is_stored(client, kit):
    rows = [{"quantity": "pm25", "sensor": "sds011", "value": 1,
             "time": (NOW - dt.timedelta(seconds=i + 1)).isoformat()} for i in range(10_001)]

    response = upload(client, rows)

    assert response.status_code == 413
    assert response.json()["code"] == "too_many_rows"
    assert not Observation.objects.exists()


def test_more_than_10000_csv_rows_is_413(client, kit):
    body = "quantity,sensor,value,time\n" + "".join(
        f"pm25,sds011,1,{(NOW - dt.timedelta(seconds=i + 1)).isoformat()}\n"
        for i in range(10_001))

    response = upload(client, body, content_type="text/csv")

    assert response.status_code == 413
    assert not Observation.objects.exists()


def test_a_body_over_4_mb_is_413(client, kit):
    response = upload(client, b"[" + b" " * (4 * 1024 * 1024) + b"]")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


@pytest.mark.parametrize(("body", "content_type", "code"), [
    ("[{", "application/json", "parse_error"),
    ('{"quantity": "pm25"}', "application/json", "invalid_payload"),
    ("[]", "application/json", "empty_body"),
    ("", "application/json", "empty_body"),
    ("value,time\n1,2026-11-23T10:00:00Z\n", "text/csv", "missing_columns"),
    ("", "text/csv", "empty_body"),
    (b"quantity,sensor,value,time\n\xff\xfe", "text/csv", "parse_error"),
    ("quantity,sensor,value,time\n", "text/csv", "empty_body"),
])
def test_malformed_bodies_are_400(client, kit, body, content_type, code):
    response = upload(client, body, content_type=content_type)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == code


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "multipart/form-data; boundary=x"])
def test_a_wrong_content_type_is_415(client, kit, content_type):
    response = upload(client, "[]", content_type=content_type)

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


# --- who may upload ------------------------------------------------------------------------------


def test_no_credentials_is_401_with_a_basic_challenge(client, kit):
    response = upload(client, [], auth="")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")


@pytest.mark.parametrize("auth", [basic(password="wrong"), basic(user="esp8266-1"), "Basic %%%"])
def test_wrong_credentials_are_401(client, kit, auth):
    response = upload(client, [{"quantity": "pm25", "sensor": "sds011", "value": 1,
                                "time": at(1)}], auth=auth)

    assert response.status_code == 401
    assert not Observation.objects.exists()


def test_nul_characters_are_refused_not_a_server_error(client, kit):
    rows = [{"quantity": "pm\u000025", "sensor": "sds011", "value": 1, "time": at(1)},
            {"quantity": "pm25", "sensor": "sds\u0000011", "value": 1, "time": at(1)}]

    assert upload(client, rows).json()["code"] == "no_valid_rows"
    assert upload(client, [], auth=basic(user="esp8266-\x00")).status_code == 401
    assert upload(client, [], url="/api/v1/sensors/kits/esp%00/observations/",
                  auth=basic(user="esp\x00")).status_code == 401


def test_a_stopped_kit_is_refused(client, kit):
    Kit.objects.filter(pk=kit.pk).update(state=Kit.State.STOPPED)

    assert upload(client, []).status_code == 401


def test_another_kits_credentials_are_403(client, kit):
    KitFactory(device_id="esp8266-2", token_hash=secret_hash("other-token"))

    response = upload(client, [], auth=basic("esp8266-2", "other-token"))

    assert response.status_code == 403


def _session_client(user) -> tuple[Client, str]:
    session_client = Client(enforce_csrf_checks=True)
    session_client.force_login(user)
    request = RequestFactory().get("/")
    token = get_token(request)
    session_client.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
    return session_client, token


ROW = [{"quantity": "temperature", "sensor": "bme280", "value": 4.5,
        "time": "2026-11-23T11:00:00Z"}]


def test_the_owner_may_upload_in_the_browser_session_with_the_csrf_token(kit):
    owner_client, token = _session_client(kit.owner)

    response = upload(owner_client, ROW, auth="", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201, response.content
    assert Observation.objects.count() == 1


def test_a_session_upload_without_the_csrf_token_is_refused(kit):
    owner_client, _token = _session_client(kit.owner)

    response = upload(owner_client, ROW, auth="")

    assert response.status_code == 403
    assert not Observation.objects.exists()


def test_someone_elses_kit_is_not_found_in_the_session(kit):
    stranger = KitFactory().owner
    stranger_client, token = _session_client(stranger)

    response = upload(stranger_client, ROW, auth="", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 404


def test_the_owner_of_a_stopped_kit_is_told_so(kit):
    Kit.objects.filter(pk=kit.pk).update(state=Kit.State.STOPPED)
    owner_client, token = _session_client(kit.owner)

    response = upload(owner_client, ROW, auth="", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 403
    assert not Observation.objects.exists()


def test_the_endpoint_is_in_the_openapi_schema(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")

    assert "/api/v1/sensors/kits/{device_id}/observations/" in response.json()["paths"]
