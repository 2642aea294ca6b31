"""The sensor journey, in Chromium: a resident joins #SensHagen (with consent), registers a kit
by its chip id, the test posts an airrohr payload exactly as the firmware does with the device
token from the page, and the "is my sensor live?" page and the public map show the new value.
axe-core on every page of the journey."""

import base64
import json
import re
import urllib.request

import pytest

from portal.accounts import digid_mock
from portal.consent import demo as consent_demo
from sensors.models import Kit, ObservedProperty
from tests.e2e.conftest import assert_accessible
from tests.e2e.register_helpers import english, screenshot
from tests.sensors.factories import ProjectFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESIDENT = digid_mock.mock_resident_get(key="fatima")
HOME = ("52.534210", "6.061530")  # in Stadshagen, inside the project area
CHIP_ID = "13597177"
PAYLOAD = {
    "esp8266id": CHIP_ID, "software_version": "NRZ-2024-135",
    "sensordatavalues": [
        {"value_type": "SDS_P1", "value": "21.40"},
        {"value_type": "SDS_P2", "value": "12.30"},
        {"value_type": "BME280_temperature", "value": "8.43"},
        {"value_type": "BME280_pressure", "value": "101325.00"},
        {"value_type": "BME280_humidity", "value": "81.20"},
        {"value_type": "samples", "value": "580590"},
        {"value_type": "signal", "value": "-67"},
    ],
}


def _shot(page, name):
    screenshot(page, "sensors", name)


def _push(base_url, token):
    """POST as the airrohr firmware's "send to own API" does."""
    device_id = f"esp8266-{CHIP_ID}"
    credentials = base64.b64encode(f"{device_id}:{token}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the local live server
        f"{base_url}/api/v1/sensors/push/sensor-community/",
        data=json.dumps(PAYLOAD).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Sensor": device_id,
                 "X-MAC-ID": "esp8266-a4cf12d3e4f5", "Authorization": f"Basic {credentials}",
                 "User-Agent": f"NRZ-2024-135/{CHIP_ID}/a4cf12d3e4f5"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local server
        return response.status, json.loads(response.read())


def _senshagen():
    from sensors import reference

    reference.ensure()  # earlier browser tests flush the database, reference rows included
    project = ProjectFactory(slug="senshagen", name="#SensHagen – Stadshagen")
    project.quantities.set(ObservedProperty.objects.filter(
        code__in=["pm10", "pm25", "temperature", "humidity", "pressure"]))
    return project


def test_a_resident_joins_registers_a_kit_and_sees_the_first_values_live_and_on_the_map(
    page, live_server
):
    english(page.context, live_server.url)
    consent_demo.load()
    project = _senshagen()

    page.goto("/digid/login/")
    page.get_by_label(re.compile(RESIDENT.name)).check()
    page.locator("select[name=level]").select_option("midden")
    page.locator("button[name=login]").click()
    page.wait_for_url(re.compile(r"/$"))

    # The project, then joining: consent first, then back to joining.
    page.goto("/sensoren/")
    assert_accessible(page, label="sensor projects")
    page.get_by_role("link", name=project.name).first.click()
    page.get_by_test_id("join-link").click()
    page.wait_for_url("**/mijn-gegevens/toestemming/sensor-project-participation/**")
    page.get_by_label("I give my consent").check()
    page.get_by_test_id("give-consent").click()
    page.wait_for_url("**/sensoren/senshagen/meedoen/")
    assert_accessible(page, label="join")
    page.get_by_test_id("join-button").click()

    # Registering the kit: home location (inside the area), name, chip id.
    page.get_by_test_id("kit-register-form").wait_for()
    assert_accessible(page, label="register a kit")
    page.locator("#id_latitude").fill(HOME[0])
    page.locator("#id_longitude").fill(HOME[1])
    page.locator("#id_name").fill("Tuin Fatima")
    page.locator("#id_indoor_0").check()
    page.locator("#id_device_id").fill(CHIP_ID)
    _shot(page, "register")
    page.get_by_test_id("register-kit").click()
    token = page.get_by_test_id("device-token").inner_text().strip()
    assert len(token) >= 32
    assert_accessible(page, label="device token, shown once")
    kit = Kit.objects.get(device_id=f"esp8266-{CHIP_ID}")
    assert token not in (kit.token_hash, kit.device_id)

    # Nothing yet; then the firmware's payload with the token.
    page.get_by_test_id("live-link").click()
    assert_accessible(page, label="is my sensor live, nothing yet")
    status, body = _push(live_server.url, token)
    assert status in (200, 201)
    assert body["stored"] == 5

    page.get_by_test_id("refresh").click()
    values = page.get_by_test_id("live-values").inner_text()
    assert "12.3" in values  # PM2.5
    assert "1013.3" in values or "1,013.3" in values or "1013.25" in values  # hPa, not Pa
    assert_accessible(page, label="is my sensor live, values")
    _shot(page, "live")

    # The public map's list shows the new value at the kit's grid point, not at home.
    page.goto("/sensoren/kaart/?quantity=pm25")
    row = page.get_by_test_id("map-list").get_by_role("row").filter(has_text="Tuin Fatima")
    assert "12.3" in row.inner_text()
    assert_accessible(page, label="sensor map")
    _shot(page, "map")
    feed = page.request.get("/sensoren/kaart/data.geojson?quantity=pm25").text()
    assert "12.3" in feed
    assert HOME[0] not in feed
    assert HOME[1] not in feed
