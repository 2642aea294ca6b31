"""POST /api/v1/sensors/push/sensor-community/: the airrohr firmware's pushes, byte for byte.

The payloads below are the firmware's own (airrohr-firmware.ino, NRZ-2024-135): the body starts
with `{"software_version": "NRZ-2024-135", "sensordatavalues":[`, every value is appended as
`{"value_type":"<t>","value":"<v>"},` (values are strings, floats with 2 decimals), the last
comma is removed and `]}` closes it; the custom API inserts `"esp8266id": "<chip id>", ` first.
"""

import base64
import datetime as dt
import json

import pytest
from django.db import connection
from django.urls import reverse

from sensors.airrohr import number_parse
from sensors.models import Datastream, Kit, Observation, Quality
from sensors.services import secret_hash
from tests.sensors.factories import KitFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sensors/push/sensor-community/"
TOKEN = "s3cr3t-device-token-of-the-test-kit-0123456789"
CHIP = "12345678"
DEVICE = f"esp8266-{CHIP}"
NOW = dt.datetime(2026, 11, 23, 10, 15, 3, 250_000, tzinfo=dt.UTC)
STAMP = NOW.replace(microsecond=0)

# The example of the anchors report (custom API, SDS011 + BME280), exactly as sent.
ANCHOR_BODY = (
    '{"esp8266id": "12345678", "software_version": "NRZ-2024-135", "sensordatavalues":['
    '{"value_type":"SDS_P1","value":"12.30"},{"value_type":"SDS_P2","value":"5.10"},'
    '{"value_type":"BME280_temperature","value":"21.43"},'
    '{"value_type":"BME280_pressure","value":"100520.25"},'
    '{"value_type":"BME280_humidity","value":"55.20"},'
    '{"value_type":"samples","value":"580590"},{"value_type":"min_micro","value":"216"},'
    '{"value_type":"max_micro","value":"3503442"},{"value_type":"interval","value":"145000"},'
    '{"value_type":"signal","value":"-67"}]}'
)
HEALTH = [("samples", "580590"), ("min_micro", "216"), ("max_micro", "3503442"),
          ("interval", "145000"), ("signal", "-67")]


def firmware_body(values, *, chip_id: str | None = CHIP, version="NRZ-2024-135") -> str:
    """The body as the firmware builds it (data_first_part + add_Value2Json + "]}")."""
    head = '{"software_version": "' + version + '", "sensordatavalues":['
    if chip_id is not None:  # custom API: esp8266id prepended
        head = '{"esp8266id": "' + chip_id + '", ' + head[1:]
    items = "".join('{"value_type":"' + t + '","value":"' + v + '"},' for t, v in values)
    return head + items.rstrip(",") + "]}"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def push(client, body, *, device=DEVICE, token=TOKEN, pin=None, x_sensor=None,
         content_type="application/json", **extra):
    headers = {
        "HTTP_X_SENSOR": device if x_sensor is None else x_sensor,
        "HTTP_X_MAC_ID": "esp8266-a4cf12d3e4f5",
        "HTTP_USER_AGENT": f"NRZ-2024-135/{CHIP}/a4:cf:12:d3:e4:f5",
        **extra,
    }
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = basic(device, token)
    if pin is not None:
        headers["HTTP_X_PIN"] = str(pin)
    if isinstance(body, str):
        body = body.encode()
    return client.post(URL, data=body, content_type=content_type, **headers)


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)


@pytest.fixture
def kit():
    return KitFactory(device_id=DEVICE, token_hash=secret_hash(TOKEN))


def stored(kit) -> dict:
    """{(sensor code, quantity code): result} of everything the kit has stored."""
    return {
        (o.datastream.sensor.code, o.datastream.observed_property.code): o.result
        for o in Observation.objects.filter(datastream__kit=kit).select_related(
            "datastream__sensor", "datastream__observed_property")
    }


def test_the_url_is_named():
    assert reverse("api-sensors-push-sensor-community") == URL


def test_the_anchor_payload_is_what_the_firmware_sends():
    values = [("SDS_P1", "12.30"), ("SDS_P2", "5.10"), ("BME280_temperature", "21.43"),
              ("BME280_pressure", "100520.25"), ("BME280_humidity", "55.20"), *HEALTH]
    assert firmware_body(values) == ANCHOR_BODY
    json.loads(ANCHOR_BODY)


def test_a_custom_api_push_is_stored_with_pressure_in_hpa(client, kit):
    response = push(client, ANCHOR_BODY)

    assert response.status_code == 201, response.content
    assert response.json() == {"stored": 5, "duplicates": 0, "ignored": [], "rejected": []}
    assert stored(kit) == {
        ("sds011", "pm10"): 12.3, ("sds011", "pm25"): 5.1, ("bme280", "temperature"): 21.43,
        ("bme280", "pressure"): pytest.approx(1005.2025), ("bme280", "humidity"): 55.2,
    }
    pressure = Datastream.objects.get(kit=kit, observed_property__code="pressure")
    assert pressure.observed_property.unit_symbol == "hPa"
    assert set(Observation.objects.values_list("phenomenon_time", flat=True)) == {STAMP}
    kit.refresh_from_db()
    assert (kit.software_version, kit.last_seen_at) == ("NRZ-2024-135", NOW)


# Every sensor type of the firmware's pin table, in the custom API form (prefixed types).
CUSTOM = {
    "SDS011": ([("SDS_P1", "12.30"), ("SDS_P2", "5.10")],
               {("sds011", "pm10"): 12.3, ("sds011", "pm25"): 5.1}),
    "PMS": ([("PMS_P0", "3.00"), ("PMS_P1", "9.00"), ("PMS_P2", "6.00")],
            {("pms", "pm1"): 3.0, ("pms", "pm10"): 9.0, ("pms", "pm25"): 6.0}),
    "HPM": ([("HPM_P1", "11.00"), ("HPM_P2", "7.00")],
            {("hpm", "pm10"): 11.0, ("hpm", "pm25"): 7.0}),
    "NPM": ([("NPM_P0", "2.10"), ("NPM_P1", "8.40"), ("NPM_P2", "5.30"), ("NPM_N1", "24.70"),
             ("NPM_N10", "26.20"), ("NPM_N25", "25.90")],
            {("npm", "pm1"): 2.1, ("npm", "pm10"): 8.4, ("npm", "pm25"): 5.3}),
    "IPS": ([("IPS_P0", "1.90"), ("IPS_P1", "7.20"), ("IPS_P2", "4.40"), ("IPS_P01", "0.10"),
             ("IPS_P03", "0.40"), ("IPS_P05", "0.90"), ("IPS_P5", "5.60"), ("IPS_N1", "31.20")],
            {("ips", "pm1"): 1.9, ("ips", "pm10"): 7.2, ("ips", "pm25"): 4.4}),
    "SPS30": ([("SPS30_P0", "2.90"), ("SPS30_P2", "4.10"), ("SPS30_P4", "4.80"),
               ("SPS30_P1", "5.00"), ("SPS30_N05", "19.70"), ("SPS30_N1", "23.40"),
               ("SPS30_N25", "23.70"), ("SPS30_N4", "23.80"), ("SPS30_N10", "23.80"),
               ("SPS30_TS", "0.55")],
              {("sps30", "pm1"): 2.9, ("sps30", "pm25"): 4.1, ("sps30", "pm4"): 4.8,
               ("sps30", "pm10"): 5.0}),
    "BMP180": ([("BMP_pressure", "101325.00"), ("BMP_temperature", "18.40")],
               {("bmp180", "pressure"): 1013.25, ("bmp180", "temperature"): 18.4}),
    "BMP280": ([("BMP280_pressure", "100812.50"), ("BMP280_temperature", "19.30")],
               {("bmp280", "pressure"): 1008.125, ("bmp280", "temperature"): 19.3}),
    "DHT22": ([("temperature", "21.30"), ("humidity", "61.20")],
              {("dht22", "temperature"): 21.3, ("dht22", "humidity"): 61.2}),
    "HTU21D": ([("HTU21D_temperature", "20.90"), ("HTU21D_humidity", "58.40")],
               {("htu21d", "temperature"): 20.9, ("htu21d", "humidity"): 58.4}),
    "SHT3x": ([("SHT3X_temperature", "20.70"), ("SHT3X_humidity", "57.10")],
              {("sht3x", "temperature"): 20.7, ("sht3x", "humidity"): 57.1}),
    "GPS": ([("GPS_lat", "52.530123"), ("GPS_lon", "6.061234"), ("GPS_height", "3.40"),
             ("GPS_date", "11/23/2026"), ("GPS_time", "10:15:03.00")], {}),
    "BME280": ([("BME280_temperature", "21.43"), ("BME280_pressure", "100520.25"),
                ("BME280_humidity", "55.20")],
               {("bme280", "temperature"): 21.43, ("bme280", "pressure"): 1005.2025,
                ("bme280", "humidity"): 55.2}),
    "DS18B20": ([("DS18B20_temperature", "7.25")], {("ds18b20", "temperature"): 7.25}),
    "DNMS": ([("DNMS_noise_LAeq", "48.30"), ("DNMS_noise_LA_min", "41.20"),
              ("DNMS_noise_LA_max", "63.90")],
             {("dnms", "noise_laeq"): 48.3, ("dnms", "noise_la_min"): 41.2,
              ("dnms", "noise_la_max"): 63.9}),
    "SCD30": ([("SCD30_temperature", "22.10"), ("SCD30_humidity", "45.30"),
               ("SCD30_co2_ppm", "612")],
              {("scd30", "temperature"): 22.1, ("scd30", "humidity"): 45.3,
               ("scd30", "co2"): 612.0}),
}


@pytest.mark.parametrize("sensor", list(CUSTOM))
def test_every_sensor_type_in_the_custom_api_form(client, kit, sensor):
    values, expected = CUSTOM[sensor]

    response = push(client, firmware_body([*values, *HEALTH]))

    assert response.status_code == (201 if expected else 200), response.content
    body = response.json()
    assert body["stored"] == len(expected)
    assert body["rejected"] == []
    assert stored(kit) == pytest.approx(expected)
    # whatever is not stored is reported, never silently dropped (health figures aside)
    assert body["ignored"] == IGNORED.get(sensor, [])


IGNORED = {
    "NPM": ["NPM_N1", "NPM_N10", "NPM_N25"],
    "IPS": ["IPS_P01", "IPS_P03", "IPS_P05", "IPS_P5", "IPS_N1"],
    "SPS30": ["SPS30_N05", "SPS30_N1", "SPS30_N25", "SPS30_N4", "SPS30_N10", "SPS30_TS"],
    "GPS": ["GPS_lat", "GPS_lon", "GPS_height", "GPS_date", "GPS_time"],
}


def test_the_sps30_values_follow_the_current_firmware_numbering(client, kit):
    push(client, firmware_body(CUSTOM["SPS30"][0]))

    assert stored(kit)[("sps30", "pm25")] == 4.1  # SPS30_P2 is PM2.5
    assert stored(kit)[("sps30", "pm10")] == 5.0  # SPS30_P1 is PM10


# The Sensor.Community form: one POST per sensor, X-PIN, prefix stripped, no esp8266id.
PER_PIN = {
    "SDS011": (1, [("P1", "12.30"), ("P2", "5.10")],
               {("sds011", "pm10"): 12.3, ("sds011", "pm25"): 5.1}),
    "BMP280": (3, [("pressure", "100812.50"), ("temperature", "19.30")],
               {("bmp280", "pressure"): 1008.125, ("bmp280", "temperature"): 19.3}),
    "DHT22": (7, [("temperature", "21.30"), ("humidity", "61.20")],
              {("dht22", "temperature"): 21.3, ("dht22", "humidity"): 61.2}),
    "GPS": (9, [("lat", "52.530123"), ("lon", "6.061234"), ("height", "3.40"),
                ("timestamp", "2026-11-23T10:15:03")], {}),
    "BME280": (11, [("temperature", "21.43"), ("pressure", "100520.25"), ("humidity", "55.20")],
               {("bme280", "temperature"): 21.43, ("bme280", "pressure"): 1005.2025,
                ("bme280", "humidity"): 55.2}),
    "DS18B20": (13, [("temperature", "7.25")], {("ds18b20", "temperature"): 7.25}),
    "DNMS": (15, [("noise_LAeq", "48.30"), ("noise_LA_min", "41.20"), ("noise_LA_max", "63.90")],
             {("dnms", "noise_laeq"): 48.3, ("dnms", "noise_la_min"): 41.2,
              ("dnms", "noise_la_max"): 63.9}),
    "SCD30": (17, [("temperature", "22.10"), ("humidity", "45.30"), ("co2_ppm", "612")],
              {("scd30", "temperature"): 22.1, ("scd30", "humidity"): 45.3,
               ("scd30", "co2"): 612.0}),
    "SPS30": (1, [("P0", "2.90"), ("P2", "4.10"), ("P4", "4.80"), ("P1", "5.00"),
                  ("N05", "19.70"), ("N1", "23.40"), ("N25", "23.70"), ("N4", "23.80"),
                  ("N10", "23.80"), ("TS", "0.55")],
              {("sds011", "pm1"): 2.9, ("sds011", "pm25"): 4.1, ("sds011", "pm4"): 4.8,
               ("sds011", "pm10"): 5.0}),
}


@pytest.mark.parametrize("sensor", list(PER_PIN))
def test_every_pin_of_the_sensor_community_form(client, kit, sensor):
    pin, values, expected = PER_PIN[sensor]

    response = push(client, firmware_body(values, chip_id=None), pin=pin)

    assert response.status_code == (201 if expected else 200), response.content
    assert response.json()["stored"] == len(expected)
    assert stored(kit) == pytest.approx(expected)


def test_the_pin_form_keeps_using_the_sensor_the_kit_already_has(client, kit):
    push(client, firmware_body([("PMS_P1", "9.00"), ("PMS_P2", "6.00")]))

    response = push(client, firmware_body([("P1", "10.00"), ("P2", "7.00")], chip_id=None),
                    pin=1)

    assert response.json()["duplicates"] == 2  # the PMS datastreams, in the same second
    assert set(Datastream.objects.filter(kit=kit).values_list("sensor__code", flat=True)) == {
        "pms"}


def test_old_firmware_sending_x_pin_0_is_the_custom_api(client, kit):
    response = push(client, ANCHOR_BODY, pin=0)

    assert response.status_code == 201
    assert response.json()["stored"] == 5


def test_an_esp32_kit(client):
    esp32 = KitFactory(device_id="esp32-a4cf12d3e4f5", token_hash=secret_hash(TOKEN))

    response = push(client, firmware_body([("SDS_P1", "8.00")], chip_id="a4cf12d3e4f5"),
                    device="esp32-a4cf12d3e4f5")

    assert response.status_code == 201
    assert stored(esp32) == {("sds011", "pm10"): 8.0}


def test_unknown_value_types_are_ignored_and_reported(client, kit):
    response = push(client, firmware_body([("SDS_P1", "12.30"), ("FOO_bar", "1.00"),
                                           ("PPD_P1", "1.00"), ("durP1", "12000")]))

    assert response.status_code == 201
    assert response.json()["ignored"] == ["FOO_bar", "PPD_P1", "durP1"]
    assert stored(kit) == {("sds011", "pm10"): 12.3}


def test_non_numeric_values_are_refused_one_by_one_and_the_rest_stored(client, kit):
    response = push(client, firmware_body([("SDS_P1", "12.30"), ("SDS_P2", "nan"),
                                           ("BME280_temperature", ""),
                                           ("BME280_humidity", "vochtig")]))

    assert response.status_code == 201
    assert response.json()["rejected"] == [
        {"value_type": "SDS_P2", "reason": "not a number"},
        {"value_type": "BME280_temperature", "reason": "not a number"},
        {"value_type": "BME280_humidity", "reason": "not a number"},
    ]
    assert stored(kit) == {("sds011", "pm10"): 12.3}


def test_a_push_without_any_valid_value_is_a_400(client, kit):
    response = push(client, firmware_body([("SDS_P1", "n/a"), ("SDS_P2", "-")]))

    assert response.status_code == 400
    assert response.json()["code"] == "no_valid_values"
    assert len(response.json()["rejected"]) == 2
    assert not Observation.objects.exists()


@pytest.mark.parametrize(("text", "number"), [
    ("12.30", 12.3), ("-59 dBm", -59.0), (" 21,5", 21.5), ("1e3", 1000.0), (612, 612.0),
    (12.5, 12.5), ("nan", None), ("inf", None), ("", None), ("abc", None), (True, None),
    (None, None), (float("nan"), None), ([1], None),
])
def test_values_are_parsed_leniently(text, number):
    assert number_parse(text) == number


def test_a_replay_in_the_same_second_adds_nothing(client, kit):
    assert push(client, ANCHOR_BODY).status_code == 201

    response = push(client, ANCHOR_BODY)

    assert response.status_code == 200
    assert response.json() == {"stored": 0, "duplicates": 5, "ignored": [], "rejected": []}
    assert Observation.objects.count() == 5


def test_pushing_again_within_10_seconds_is_429_and_after_that_fine(client, kit, monkeypatch):
    push(client, ANCHOR_BODY)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + dt.timedelta(seconds=4))

    response = push(client, ANCHOR_BODY)

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert response["Retry-After"] == "6"
    assert Observation.objects.count() == 5

    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + dt.timedelta(seconds=10))
    assert push(client, ANCHOR_BODY).status_code == 201
    assert Observation.objects.count() == 10


def test_the_interval_check_can_be_switched_off(client, kit, monkeypatch, settings):
    settings.SENSORS_PUSH_MIN_INTERVAL = 0
    push(client, ANCHOR_BODY)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + dt.timedelta(seconds=1))

    assert push(client, ANCHOR_BODY).status_code == 201


def test_per_pin_posts_of_one_cycle_are_not_too_soon(client, kit, monkeypatch):
    for offset, (pin, values, _expected) in enumerate(
        [PER_PIN["SDS011"], PER_PIN["BME280"], PER_PIN["DNMS"]]
    ):
        monkeypatch.setattr("django.utils.timezone.now",
                            lambda offset=offset: NOW + dt.timedelta(seconds=offset))
        response = push(client, firmware_body(values, chip_id=None), pin=pin)
        assert response.status_code == 201, response.content


def test_pm_values_are_flagged_when_the_same_push_has_humidity_above_95(client, kit):
    response = push(client, firmware_body([("SDS_P1", "80.00"), ("SDS_P2", "40.00"),
                                           ("BME280_temperature", "4.10"),
                                           ("BME280_humidity", "97.30")]))

    assert response.status_code == 201
    flags = dict(Observation.objects.values_list("datastream__observed_property__code",
                                                 "quality"))
    assert flags == {"pm10": Quality.HUMID, "pm25": Quality.HUMID, "temperature": 0,
                     "humidity": 0}


def test_95_percent_is_not_yet_humid(client, kit):
    push(client, firmware_body([("SDS_P1", "8.00"), ("temperature", "4.10"),
                                ("humidity", "95.00")]))

    assert set(Observation.objects.values_list("quality", flat=True)) == {0}


def test_the_pin_form_uses_the_kits_recent_humidity(client, kit, monkeypatch):
    push(client, firmware_body([("temperature", "4.10"), ("humidity", "98.00")],
                               chip_id=None), pin=7)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + dt.timedelta(seconds=2))

    push(client, firmware_body([("P1", "80.00"), ("P2", "40.00")], chip_id=None), pin=1)

    pm = Observation.objects.filter(datastream__observed_property__code__in=["pm10", "pm25"])
    assert set(pm.values_list("quality", flat=True)) == {Quality.HUMID}


def test_implausible_values_are_stored_with_a_flag(client, kit):
    push(client, firmware_body([("BME280_temperature", "-147.00"),
                                ("BME280_pressure", "57500.00")]))

    flags = dict(Observation.objects.values_list("result", "quality"))
    assert flags == {-147.0: Quality.OUT_OF_RANGE, 575.0: Quality.OUT_OF_RANGE}


# --- bad input: a clear 4xx, never a 500 -------------------------------------------------------


def _is_basic_challenge(response) -> bool:
    return response["WWW-Authenticate"].startswith("Basic ")


def test_no_credentials_is_401_with_a_basic_challenge(client, kit):
    response = push(client, ANCHOR_BODY, token=None)

    assert response.status_code == 401
    assert _is_basic_challenge(response)
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("case", ["unknown kit", "wrong token", "stopped kit"])
def test_unknown_kit_wrong_token_and_stopped_kit_get_the_same_401(client, kit, case):
    device, token = DEVICE, TOKEN
    if case == "unknown kit":
        device = "esp8266-99999999"
    elif case == "wrong token":
        token = "not-the-token"
    else:
        Kit.objects.filter(pk=kit.pk).update(state=Kit.State.STOPPED)

    response = push(client, ANCHOR_BODY, device=device, token=token)

    assert response.status_code == 401
    assert _is_basic_challenge(response)
    assert response.json() == {
        "detail": response.json()["detail"], "code": "authentication_failed"}
    assert not Observation.objects.exists()


def test_a_device_id_with_a_nul_character_is_401_not_a_server_error(client, kit):
    response = push(client, ANCHOR_BODY, device="esp8266-\x00", x_sensor="")

    assert response.status_code == 401


def test_a_software_version_with_control_characters_is_cleaned(client, kit):
    body = json.dumps({"software_version": "NRZ\u0000-2024\n", "sensordatavalues": [
        {"value_type": "SDS_P1", "value": "1.00"}]})

    assert push(client, body).status_code == 201
    kit.refresh_from_db()
    assert kit.software_version == "NRZ-2024"


def test_a_garbled_basic_header_is_401(client, kit):
    response = push(client, ANCHOR_BODY, token=None, HTTP_AUTHORIZATION="Basic ***")

    assert response.status_code == 401


def test_device_ids_are_read_as_registered(client, kit):
    esp32 = KitFactory(device_id="esp32-a4cf12d3e4f5", token_hash=secret_hash(TOKEN))

    assert push(client, ANCHOR_BODY, device=CHIP, x_sensor=DEVICE).status_code == 201
    response = push(client, firmware_body([("SDS_P1", "8.00")], chip_id="A4CF12D3E4F5"),
                    device="ESP32-A4CF12D3E4F5")

    assert response.status_code == 201, response.content
    assert stored(esp32) == {("sds011", "pm10"): 8.0}


def test_x_sensor_must_match_the_basic_user(client, kit):
    response = push(client, ANCHOR_BODY, x_sensor="esp8266-87654321")

    assert response.status_code == 400
    assert response.json()["code"] == "x_sensor_mismatch"


@pytest.mark.parametrize(("body", "code"), [
    ('{"esp8266id": "12345678", "sensordatavalues":[{"value_type":"SDS_P1",', "parse_error"),
    ("[" * 30_000 + "]" * 30_000, "parse_error"),
    (b"\xff\xfe\x00garbage", "parse_error"),
    ('{"esp8266id": "12345678", "software_version": "NRZ-2024-135"}',
     "missing_sensordatavalues"),
    ('{"sensordatavalues": "SDS_P1=12"}', "missing_sensordatavalues"),
    ('[{"value_type":"SDS_P1","value":"12.30"}]', "invalid_payload"),
    ("null", "invalid_payload"),
    ("", "empty_body"),
    ("   ", "empty_body"),
])
def test_malformed_bodies_are_400(client, kit, body, code):
    response = push(client, body)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert not Observation.objects.exists()


def test_odd_entries_are_refused_and_the_good_ones_stored(client, kit):
    body = json.dumps({"sensordatavalues": [
        1, "SDS_P1", None, {"value_type": 5, "value": "1"}, {"value_type": "SDS_P2"},
        {"value_type": "SDS_P1", "value": 12.3},
    ]})

    response = push(client, body)

    assert response.status_code == 201
    assert response.json()["stored"] == 1
    assert len(response.json()["rejected"]) == 5


def test_an_unknown_pin_is_400(client, kit):
    response = push(client, firmware_body([("P1", "1.00")], chip_id=None), pin=42)

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_pin"


def test_an_oversized_body_is_413(client, kit):
    values = [("SDS_P1", "12.30")] * 3000  # ~ 120 KB

    response = push(client, firmware_body(values))

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Observation.objects.exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "text/csv"])
def test_a_wrong_content_type_is_415(client, kit, content_type):
    response = push(client, ANCHOR_BODY, content_type=content_type)

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_json_with_a_charset_is_fine(client, kit):
    response = push(client, ANCHOR_BODY, content_type="application/json; charset=utf-8")

    assert response.status_code == 201


def test_only_post(client):
    response = client.get(URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["code"] == "method_not_allowed"


def test_no_csrf_token_or_session_is_needed(kit):
    from django.test import Client

    response = push(Client(enforce_csrf_checks=True), ANCHOR_BODY)

    assert response.status_code == 201
    assert "sessionid" not in response.cookies


# --- cost ---------------------------------------------------------------------------------------


def test_a_push_costs_a_fixed_number_of_queries(client, kit, django_assert_num_queries,
                                                monkeypatch):
    push(client, ANCHOR_BODY)  # the first push makes the datastreams
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + dt.timedelta(seconds=145))

    if connection.vendor == "postgresql":
        # 1 kit with its datastreams + 1 statement that writes everything
        expected = 2
    else:
        # 1 kit with its datastreams + the store: 1 plausible ranges, 1 insert, 1 summary
        # UPDATE, 1 kit last seen, 1 dirty hours, + savepoint and release
        expected = 1 + 1 + 1 + 1 + 1 + 1 + 2
    with django_assert_num_queries(expected):
        response = push(client, ANCHOR_BODY)

    assert response.status_code == 201
