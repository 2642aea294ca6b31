"""A resident's own kits: "is my sensor live?", my sensors, a new device token, moving the kit,
and leaving with it (delete the data, or keep it anonymised)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.accounts import roles
from sensors import services
from sensors.models import Datastream, Kit, KitLocation, Membership, Observation
from sensors.selectors import kit_live_status
from sensors.services import Reading, kit_authenticate, observations_store, secret_hash
from tests.factories import user_for_role
from tests.ideas.participation_helpers import login
from tests.sensors.factories import (
    DatastreamFactory,
    KitFactory,
    ObservedPropertyFactory,
    ProjectFactory,
    SensorFactory,
)

pytestmark = pytest.mark.django_db

TOKEN = "geheim-token-van-de-sensor-1234567890abcdef"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def owner():
    return user_for_role(roles.VERIFIED_RESIDENT)


@pytest.fixture
def kit(owner):
    project = ProjectFactory(name="#SensHagen")
    project.quantities.add(
        ObservedPropertyFactory(code="t-pm25", name="PM2.5", unit_symbol="µg/m³"),
        ObservedPropertyFactory(code="t-pm10", name="PM10", unit_symbol="µg/m³"),
        ObservedPropertyFactory(code="t-temp", name="Temperature", unit_symbol="°C"),
    )
    kit = KitFactory(project=project, owner=owner, name="Voorgevel",
                     device_id="esp8266-12345678", token_hash=secret_hash(TOKEN))
    services.kit_location_set(kit=kit, by=owner, latitude="52.530123", longitude="6.061234")
    Membership.objects.create(project=project, user=owner)
    return kit


def _live_url(kit):
    return reverse("sensors:kit_live", kwargs={"public_id": kit.public_id})


def _stream(kit, code, sensor="sds011"):
    return DatastreamFactory(kit=kit, observed_property=ObservedPropertyFactory(code=code),
                             sensor=SensorFactory(code=sensor, name=sensor.upper()))


# --- is my sensor live? -------------------------------------------------------------------------


def test_only_the_owner_sees_the_live_page(client, kit):
    assert client.get(_live_url(kit))["Location"].startswith("/inloggen/")
    for role in (roles.VERIFIED_RESIDENT, roles.CIVIL_SERVANT, roles.ADMIN):
        client.logout()
        login(client, user_for_role(role))
        assert client.get(_live_url(kit)).status_code == 404
    client.logout()
    login(client, kit.owner)
    assert client.get(_live_url(kit)).status_code == 200


def test_before_any_message_the_page_says_so_and_helps(client, kit):
    login(client, kit.owner)

    response = client.get(_live_url(kit))

    html = response.content.decode()
    assert "Nothing received yet" in html
    assert html.count("nothing received yet") == 3  # PM2.5, PM10, Temperature
    assert "A working sensor sends a message every 145 seconds." in html
    assert 'data-testid="live-help"' in html
    for hint in ("Wifi:", "Server settings:", "Token:"):
        assert hint in html
    assert '<code data-testid="firmware-user">esp8266-12345678</code>' in html
    assert "no-cache" in response["Cache-Control"]


def test_the_live_page_shows_the_last_value_unit_and_time_per_quantity(client, kit):
    login(client, kit.owner)
    pm25 = _stream(kit, "t-pm25")
    temperature = _stream(kit, "t-temp", sensor="bme280")
    now = timezone.now()
    observations_store([
        Reading(pm25.pk, now - dt.timedelta(minutes=5), 8.0),
        Reading(pm25.pk, now - dt.timedelta(minutes=3), 12.34),
        Reading(temperature.pk, now - dt.timedelta(minutes=3), 21.5),
    ], now=now)

    html = client.get(_live_url(kit)).content.decode()

    assert '<span class="sensor-state sensor-state--live">Live</span>' in html
    assert re.search(r"Last message: (now|[^.<]*seconds? ago)\.", html)
    rows = re.findall(r'<th scope="row">([^<]+)<.*?<td class="numeric[^"]*">([^<]+)</td>\s*'
                      r'<td[^>]*>(.*?)</td>', html, re.S)
    by_name = {name.strip(): (value.strip(), when) for name, value, when in rows}
    assert by_name["PM2.5"][0] == "12.34 µg/m³"
    assert "3\xa0minutes ago" in by_name["PM2.5"][1]
    assert by_name["Temperature"][0] == "21.50 °C"
    assert by_name["PM10"] == ("–", "nothing received yet")
    assert 'data-testid="live-help"' not in html


def test_a_silent_kit_is_late_then_offline(kit):
    stream = _stream(kit, "t-pm25")
    start = timezone.now() - dt.timedelta(days=1)
    observations_store([Reading(stream.pk, start, 5.0)], now=start)
    kit.refresh_from_db()

    assert kit_live_status(kit=kit, now=start + dt.timedelta(minutes=5)).state == "live"
    assert kit_live_status(kit=kit, now=start + dt.timedelta(minutes=30)).state == "late"
    assert kit_live_status(kit=kit, now=start + dt.timedelta(hours=7)).state == "offline"


def test_the_owner_sees_the_exact_spot_and_the_public_point(client, kit):
    login(client, kit.owner)

    html = client.get(_live_url(kit)).content.decode()

    assert '<dd data-testid="exact-location">52.530123, 6.061234</dd>' in html
    public = re.search(r'data-testid="public-location">([\d.]+), ([\d.]+)', html).groups()
    assert public == (f"{kit.public_latitude:.6f}", f"{kit.public_longitude:.6f}")
    assert public != ("52.530123", "6.061234")
    assert "data-sensors-kit-map" in html


@pytest.mark.parametrize("streams", [1, 6])
def test_the_live_page_costs_the_same_queries_for_one_or_many_datastreams(
    client, kit, streams, django_assert_num_queries,
):
    login(client, kit.owner)
    client.get(_live_url(kit))
    for index in range(streams):
        _stream(kit, f"t-extra-{index}")

    # The shell's (session and its DigiD activity update, user, sessionprofile, notifications
    # count, ...) plus three of the page: the kit, its datastreams, the project's quantities.
    with django_assert_num_queries(11):
        response = client.get(_live_url(kit))

    assert response.status_code == 200


def test_my_sensors_lists_own_kits_and_projects_without_a_kit(client, kit, owner):
    other_project = ProjectFactory(name="Meetnet Noord")
    Membership.objects.create(project=other_project, user=owner)
    KitFactory(name="Van de buren")
    login(client, owner)

    html = client.get(reverse("sensors:my_kits")).content.decode()

    assert f'<a href="{_live_url(kit)}">Voorgevel</a>' in html
    assert "Van de buren" not in html
    assert "Register a sensor for Meetnet Noord" in html


# --- a new device token -------------------------------------------------------------------------


def test_a_new_token_replaces_the_old_one_at_once(client, kit):
    login(client, kit.owner)
    assert kit_authenticate(device_id=kit.device_id, token=TOKEN) == kit

    response = client.post(reverse("sensors:kit_token_rotate",
                                   kwargs={"public_id": kit.public_id}))

    assert response.status_code == 200
    assert "The old token no longer works." in response.content.decode()
    new = re.search(r'data-testid="device-token">([^<]+)<', response.content.decode()).group(1)
    assert kit_authenticate(device_id=kit.device_id, token=TOKEN) is None
    assert kit_authenticate(device_id=kit.device_id, token=new) == kit
    assert "no-store" in response["Cache-Control"]


def test_nobody_else_can_rotate_the_token(client, kit):
    login(client, user_for_role(roles.VERIFIED_RESIDENT))

    response = client.post(reverse("sensors:kit_token_rotate",
                                   kwargs={"public_id": kit.public_id}))

    assert response.status_code == 404
    assert kit_authenticate(device_id=kit.device_id, token=TOKEN) == kit
    with pytest.raises(ValidationError):
        services.kit_token_rotate(kit=kit, by=user_for_role(roles.ADMIN))
    assert client.get(reverse("sensors:kit_token_rotate",
                              kwargs={"public_id": kit.public_id})).status_code == 405


# --- moving the kit ---------------------------------------------------------------------------


def test_moving_the_kit_sets_both_locations_and_writes_history(client, kit):
    login(client, kit.owner)
    url = reverse("sensors:kit_location", kwargs={"public_id": kit.public_id})
    assert 'value="52.530123"' in client.get(url).content.decode()

    response = client.post(url, {"latitude": "52,541000", "longitude": "6.071000"})

    assert response["Location"] == _live_url(kit)
    kit.refresh_from_db()
    assert (str(kit.latitude), str(kit.longitude)) == ("52.541000", "6.071000")
    assert (kit.public_latitude, kit.public_longitude) == services.public_location(
        "52.541", "6.071")
    assert KitLocation.objects.filter(kit=kit).count() == 2

    outside = client.post(url, {"latitude": "52.5125", "longitude": "6.0944"})
    assert outside.status_code == 400
    assert "outside the area" in outside.content.decode()
    kit.refresh_from_db()
    assert str(kit.latitude) == "52.541000"


def test_a_move_inside_the_same_grid_cell_adds_no_history(kit):
    services.kit_location_set(kit=kit, by=kit.owner, latitude="52.530150",
                              longitude="6.061250")

    assert KitLocation.objects.filter(kit=kit).count() == 1


# --- leaving ------------------------------------------------------------------------------------


def _with_data(kit):
    stream = _stream(kit, "t-pm25")
    now = timezone.now()
    observations_store([Reading(stream.pk, now - dt.timedelta(minutes=m), float(m))
                        for m in range(5)], now=now)
    return stream


def test_leaving_and_keeping_the_data_unlinks_the_kit_from_the_person(client, kit, owner):
    stream = _with_data(kit)
    login(client, owner)
    url = reverse("sensors:kit_leave", kwargs={"public_id": kit.public_id})
    assert "Keep them as open data without my name" in client.get(url).content.decode()

    response = client.post(url, {"data_choice": "keep"})

    assert response["Location"] == reverse("sensors:my_kits")
    kit.refresh_from_db()
    assert kit.owner is None
    assert kit.state == Kit.State.STOPPED
    assert not kit.is_public
    assert kit.latitude is None
    assert kit.longitude is None
    assert kit.public_latitude is not None  # the grid cell stays with the open data
    assert "Voorgevel" not in kit.name
    assert kit.name.startswith("Sensor ")
    assert kit.device_id.startswith("removed-")
    assert kit.token_hash == ""
    assert Observation.objects.filter(datastream=stream).count() == 5
    assert "Voorgevel" not in Datastream.objects.get(pk=stream.pk).name
    assert kit_authenticate(device_id="esp8266-12345678", token=TOKEN) is None
    assert not Membership.objects.filter(user=owner).exists()
    page = client.get(reverse("sensors:my_kits")).content.decode()
    assert "has stopped. Its measurements stay as open data" in page
    assert "You no longer take part in #SensHagen." in page
    assert client.get(_live_url(kit)).status_code == 404


def test_the_device_can_be_registered_again_after_leaving(kit, owner):
    from portal.consent import selectors as consent_selectors
    from portal.consent import services as consent_services
    from tests.consent.conftest import make_purpose

    text = consent_selectors.current_text(purpose=make_purpose())
    consent_services.consent_grant(user=owner, text=text, method="web",
                                   assurance_level="midden")
    services.kit_leave(kit=kit, by=owner, delete_data=False)

    services.project_join(project=kit.project, user=owner)
    again, _token = services.kit_register(project=kit.project, user=owner,
                                          device_id="12345678", name="Terug",
                                          latitude="52.53", longitude="6.06")
    assert again.pk != kit.pk
    assert again.device_id == "esp8266-12345678"


def test_leaving_and_deleting_the_data_removes_everything(client, kit, owner):
    stream = _with_data(kit)
    login(client, owner)

    response = client.post(reverse("sensors:kit_leave", kwargs={"public_id": kit.public_id}),
                           {"data_choice": "delete"})

    assert response.status_code == 302
    assert not Kit.objects.filter(pk=kit.pk).exists()
    assert not Datastream.objects.filter(pk=stream.pk).exists()
    assert not Observation.objects.exists()
    assert not KitLocation.objects.exists()
    assert kit_authenticate(device_id="esp8266-12345678", token=TOKEN) is None
    assert "has been removed with all its measurements" in client.get(
        reverse("sensors:my_kits")).content.decode()


def test_leaving_needs_a_choice_and_keeps_the_membership_while_other_kits_remain(
    client, kit, owner,
):
    second = KitFactory(project=kit.project, owner=owner)
    login(client, owner)
    url = reverse("sensors:kit_leave", kwargs={"public_id": kit.public_id})

    refused = client.post(url, {})
    assert refused.status_code == 400
    assert "Choose what should happen to the measurements." in refused.content.decode()
    assert Kit.objects.get(pk=kit.pk).owner == owner

    client.post(url, {"data_choice": "delete"})
    assert Membership.objects.filter(user=owner).exists()
    assert Kit.objects.get(pk=second.pk).owner == owner


def test_nobody_else_can_stop_a_kit(client, kit):
    login(client, user_for_role(roles.VERIFIED_RESIDENT))

    assert client.post(reverse("sensors:kit_leave", kwargs={"public_id": kit.public_id}),
                       {"data_choice": "delete"}).status_code == 404
    with pytest.raises(ValidationError):
        services.kit_leave(kit=kit, by=user_for_role(roles.VERIFIED_RESIDENT),
                           delete_data=True)
    assert Kit.objects.filter(pk=kit.pk, owner=kit.owner).exists()


def test_a_stopped_kit_cannot_be_claimed_or_restarted(kit, owner):
    services.kit_leave(kit=kit, by=owner, delete_data=False)
    kit.refresh_from_db()

    with pytest.raises(ValidationError):
        services._kit_transition(kit, Kit.State.ACTIVE)
