"""The #SensHagen demo (sensors/demo.py) and the reference rows (sensors/reference.py).

The demo is loaded with a few days of readings instead of 30 (plus the New Year window, which
is always there), so that these tests stay quick; `manage.py load_demo` loads all 30.
"""

import datetime as dt
import json
from importlib import import_module

import pytest
from django.db import transaction
from django.db.models import Max
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from portal.accounts.digid_mock import mock_resident_get
from portal.accounts.models import User
from portal.consent.selectors import consent_has
from registry.models import Pilot
from sensors import demo, reference
from sensors.areas import point_in_area
from sensors.models import (
    Aggregate,
    Datastream,
    Kit,
    KitLocation,
    Membership,
    Observation,
    ObservedProperty,
    Project,
    Quality,
    Sensor,
)
from sensors.services import kit_authenticate, kit_claim, public_location, secret_matches

pytestmark = pytest.mark.django_db

DAYS = 3


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """Load the demo ONCE for the tests of this module, inside a transaction that is rolled
    back after the last of them (each test runs in a savepoint inside it)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock(), override_settings(
                # The demo staff accounts hash a password each: not under test here.
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            # What load_demo loads before the sensors: staff (the civil servant who hands
            # out kits), the consent purpose and the pilot register.
            for name in ("portal.accounts.demo", "portal.consent.demo", "registry.demo"):
                import_module(name).load()
            demo.load(days=DAYS)
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def senshagen(_demo_loaded):
    return Project.objects.get(slug=demo.SLUG)


def _counts():
    return {model.__name__: model.objects.count()
            for model in (Project, Kit, KitLocation, Datastream, Observation, Aggregate,
                          Membership, User)}


def _kit(owner_key):
    resident = mock_resident_get(key=owner_key)
    return Kit.objects.get(owner=User.digid_objects.get_by_bsn(resident.bsn))


# --- reference rows ---------------------------------------------------------------------------


def test_reference_rows_come_back_after_a_flush_equal_to_the_migration():
    migration = import_module(reference.MIGRATION)
    ObservedProperty.objects.filter(datastreams__isnull=True).delete()
    Sensor.objects.filter(datastreams__isnull=True).delete()
    assert not ObservedProperty.objects.filter(code="co2").exists()

    assert reference.ensure() is True
    assert reference.ensure() is False

    for row in migration.QUANTITIES:
        stored = ObservedProperty.objects.filter(code=row["code"]).values(*row).get()
        assert stored == row
    assert sorted(Sensor.objects.values_list("code", "name")) == sorted(
        (code, name) for code, name, _description, _types in migration.SENSORS)


# --- the plan (no database) ---------------------------------------------------------------


def test_the_plan_is_the_same_every_time_and_lies_in_stadshagen():
    plans = demo.kit_plans()

    assert plans == demo.kit_plans()
    assert len(plans) == demo.KIT_COUNT == 40
    assert len({plan.device_id for plan in plans} | set(demo.unclaimed_device_ids())) == 43
    assert all(point_in_area(demo.AREA, plan.latitude, plan.longitude) for plan in plans)
    assert [(plan.owner, plan.role) for plan in plans[:4]] == list(demo.TEST_OWNERS)


def test_readings_follow_the_day_and_the_fireworks():
    plan = demo.kit_plans()[0]
    now = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)
    times = demo.reading_times(now, 30)
    values = demo.kit_values(plan, times, [demo.city(t) for t in times], now=now)

    def local(series, *, month, day, hours):
        return [value for moment, value in series
                if (moment.astimezone(demo.ZONE).month, moment.astimezone(demo.ZONE).day)
                == (month, day) and moment.astimezone(demo.ZONE).hour in hours]

    # Warmest in the afternoon, coldest before dawn; humidity the other way round.
    afternoon = local(values["temperature"], month=11, day=20, hours={14, 15})
    dawn = local(values["temperature"], month=11, day=20, hours={5, 6})
    assert min(afternoon) > max(dawn)
    assert min(local(values["humidity"], month=11, day=20, hours={5, 6})) > max(
        local(values["humidity"], month=11, day=20, hours={14, 15}))
    # Fireworks: PM2.5 of a few hundred µg/m³ in the first hours of 1 January.
    peak = max(local(values["pm25"], month=1, day=1, hours={0, 1}))
    evening = max(local(values["pm25"], month=12, day=31, hours={18, 19, 20}))
    assert 250 < peak < 600
    assert peak > 5 * evening
    # The same moment always gives the same value.
    again = demo.kit_values(plan, times, [demo.city(t) for t in times], now=now)
    assert again == values


def test_zero_days_loads_the_project_and_kits_without_readings(settings):
    # For suites that run load_demo for the other apps (SENSORS_DEMO_DAYS = 0): quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SENSORS_DEMO_DAYS = 0
    for name in ("portal.accounts.demo", "portal.consent.demo", "registry.demo"):
        import_module(name).load()

    demo.load(count=6)

    assert Kit.objects.filter(state=Kit.State.ACTIVE).count() == 6
    assert Kit.objects.filter(state=Kit.State.UNCLAIMED).count() == 3
    assert not Observation.objects.exists()
    assert Project.objects.get(slug=demo.SLUG).pilot.slug == demo.PILOT_SLUG


# --- the loaded demo (once for all tests below) -------------------------------------------------


def test_loading_twice_changes_nothing(senshagen):
    before = _counts()
    summaries = list(Datastream.objects.order_by("pk").values_list("pk", "last_time",
                                                                  "last_result"))

    summary = demo.load(days=DAYS)

    assert _counts() == before
    assert list(Datastream.objects.order_by("pk").values_list(
        "pk", "last_time", "last_result")) == summaries
    assert summary.startswith(f"project {demo.SLUG}: 0 kits added (43 in the project), 0 ")
    assert before["Kit"] == 43
    assert before["Datastream"] == 40 * 5


def test_the_project_tells_the_senshagen_story_and_links_the_pilot(senshagen, client):
    assert senshagen.pilot == Pilot.objects.get(slug=demo.PILOT_SLUG)
    assert set(senshagen.quantities.values_list("code", flat=True)) == {
        "pm10", "pm25", "temperature", "humidity", "pressure"}
    assert senshagen.licence == "CC-BY-4.0"
    assert senshagen.consent_purpose_code == "sensor-project-participation"
    for partner in ("Gemeente Zwolle", "RIVM Samen Meten", "Hogeschool Windesheim",
                    "Bewoners van Stadshagen"):
        assert partner in senshagen.partners
    assert "/api/v1/sensors/push/sensor-community/" in senshagen.manual
    assert "airRohr-" in senshagen.manual

    page = client.get(senshagen.get_absolute_url())
    assert page.status_code == 200
    assert "Stadshagen" in page.content.decode()
    manual = client.get(reverse("sensors:project_manual", kwargs={"slug": senshagen.slug}))
    assert "airrohrcfg" in manual.content.decode()


def test_every_owner_gave_consent_and_joined(senshagen):
    owned = Kit.objects.filter(project=senshagen, owner__isnull=False).select_related("owner")
    assert owned.count() == 40
    for kit in owned:
        assert kit.state == Kit.State.ACTIVE
        assert consent_has(user=kit.owner, purpose_code=senshagen.consent_purpose_code)
        assert Membership.objects.filter(project=senshagen, user=kit.owner).exists()
        assert kit.owner.email is None
        assert kit.owner.bsn_pseudonym


def test_fatima_sees_her_sensor_and_the_demo_token_works(senshagen, client):
    kit = _kit("fatima")
    client.force_login(kit.owner)

    page = client.get(reverse("sensors:my_kits"))

    assert page.status_code == 200
    assert kit.name in page.content.decode()
    assert kit_authenticate(device_id=kit.device_id, token=demo.DEMO_DEVICE_TOKEN) == kit


def test_the_unclaimed_kits_have_the_published_claim_codes(senshagen):
    unclaimed = Kit.objects.filter(project=senshagen, state=Kit.State.UNCLAIMED)
    assert unclaimed.count() == 3
    assert all(kit.owner_id is None and kit.latitude is None for kit in unclaimed)
    assert sorted(code for kit in unclaimed for code in demo.DEMO_CLAIM_CODES
                  if secret_matches(code, kit.claim_code_hash)) == list(demo.DEMO_CLAIM_CODES)

    fatima = _kit("fatima").owner
    fatima.assurance_level = "midden"  # as her DigiD login sets it
    claimed, _token = kit_claim(project=senshagen, user=fatima, claim_code="demo clai m002",
                                name="Tweede sensor", latitude="52.5330", longitude="6.0600")
    assert (claimed.state, claimed.owner) == (Kit.State.ACTIVE, fatima)


def test_the_map_shows_forty_kits_at_grid_points_only(senshagen, client):
    response = client.get(reverse("sensors:map_data"), {"quantity": "pm25"})
    data = json.loads(response.content)

    assert len(data["features"]) == 40
    body = response.content.decode()
    for kit in Kit.objects.filter(project=senshagen, owner__isnull=False):
        assert (kit.public_latitude, kit.public_longitude) != (kit.latitude, kit.longitude)
        assert (kit.public_latitude, kit.public_longitude) == public_location(
            kit.latitude, kit.longitude)
        assert point_in_area(senshagen.area, kit.latitude, kit.longitude)
        assert str(kit.latitude) not in body
        assert str(kit.longitude) not in body


def test_the_offline_kit_went_silent_two_days_ago(senshagen):
    offline = _kit("emre")
    silent = timezone.now() - offline.last_seen_at

    assert dt.timedelta(days=2) <= silent < dt.timedelta(days=2, hours=1)
    assert offline.datastreams.aggregate(last=Max("last_time"))["last"] == offline.last_seen_at
    others = Kit.objects.filter(project=senshagen, owner__isnull=False).exclude(pk=offline.pk)
    assert all(timezone.now() - kit.last_seen_at < dt.timedelta(minutes=5) for kit in others)


def test_the_stuck_pm25_sensor_is_flagged_and_left_out_of_the_averages(senshagen):
    stuck = _kit("sanne").datastreams.get(observed_property__code="pm25")
    since = timezone.now() - demo.STUCK_SINCE
    last_days = Observation.objects.filter(datastream=stuck, phenomenon_time__gte=since)

    assert set(last_days.values_list("result", flat=True)) == {demo.STUCK_VALUE}
    assert all(quality & Quality.FLATLINE for quality in last_days.values_list("quality",
                                                                                flat=True))
    assert not Aggregate.objects.filter(datastream=stuck, interval="hour",
                                        start__gte=since + dt.timedelta(hours=1)).exists()
    # Its PM10 kept working, and hardly anything else is flagged.
    pm10 = _kit("sanne").datastreams.get(observed_property__code="pm10")
    assert not any(quality & Quality.FLATLINE for quality in Observation.objects.filter(
        datastream=pm10).values_list("quality", flat=True))
    others = Observation.objects.exclude(datastream=stuck).filter(
        datastream__kit__project=senshagen)
    assert others.filter(quality__gt=0).count() < 0.01 * others.count()


def test_the_fireworks_peak_is_in_the_hourly_averages_and_on_the_kit_page(senshagen, client):
    new_year = demo.last_new_year(timezone.now())
    first_hours = Aggregate.objects.filter(
        datastream__observed_property__code="pm25", datastream__kit__project=senshagen,
        interval="hour", start__gte=new_year, start__lt=new_year + dt.timedelta(hours=2))

    assert first_hours.count() == 2 * 40
    assert 350 < first_hours.aggregate(top=Max("maximum"))["top"] < 600
    assert min(first_hours.values_list("mean", flat=True)) > 100
    before = Aggregate.objects.get(
        datastream=_kit("fatima").datastreams.get(observed_property__code="pm25"),
        interval="hour", start=new_year - dt.timedelta(hours=4))
    assert before.mean < 80

    kit = _kit("fatima")
    page = client.get(kit.get_absolute_url(), {"period": "1y", "interval": "day"})
    assert page.status_code == 200
