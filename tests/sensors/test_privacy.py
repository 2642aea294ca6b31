"""Sensors and the person's rights: withdrawing consent stops the kits (data kept anonymised),
the "sensors" section of Mijn gegevens (export with a fixed number of queries) and account
deletion (kits anonymised, memberships deleted)."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from portal.accounts import roles
from portal.consent import selectors as consent_selectors
from portal.consent import services as consent_services
from portal.consent.effects import withdrawal_effects
from portal.consent.models import WithdrawalEffectRun
from portal.consent.personal_data import personal_data_sections
from portal.consent.selectors import personal_data_document
from sensors import privacy, services
from sensors.models import Kit, Membership, Observation
from sensors.services import Reading, kit_authenticate, observations_store, secret_hash
from tests.consent.conftest import make_purpose
from tests.factories import user_for_role
from tests.ideas.participation_helpers import login
from tests.sensors.factories import DatastreamFactory, KitFactory, ProjectFactory

pytestmark = pytest.mark.django_db

EFFECT_NAME = "sensors.privacy.participation_withdrawn"
TOKEN = "token-van-de-sensor-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def purpose(db):
    return make_purpose()


def _grant(user, purpose):
    consent_services.consent_grant(user=user, text=consent_selectors.current_text(
        purpose=purpose), method="web", assurance_level="midden")


def _kit_with_data(owner, project, *, device_id, observations=3, streams=1):
    kit = KitFactory(project=project, owner=owner, device_id=device_id,
                     token_hash=secret_hash(TOKEN), latitude="52.530123",
                     longitude="6.061234", public_latitude="52.530400",
                     public_longitude="6.060700")
    now = timezone.now()
    for index in range(streams):
        stream = DatastreamFactory(kit=kit, observed_property__code=f"t-q{index}")
        observations_store([Reading(stream.pk, now - dt.timedelta(minutes=m), float(m))
                            for m in range(observations)], now=now)
    return kit


def test_sensors_registers_its_effect_and_section():
    assert EFFECT_NAME in withdrawal_effects("sensor-project-participation")
    section = {s.code: s for s in personal_data_sections()}["sensors"]
    assert section.exporter is privacy.export_sensors
    assert section.eraser is privacy.erase_sensors


# --- withdrawal of consent ------------------------------------------------------------------------


def test_withdrawing_consent_stops_the_kits_and_keeps_the_data_anonymised(
    purpose, django_capture_on_commit_callbacks,
):
    person = user_for_role(roles.VERIFIED_RESIDENT)
    _grant(person, purpose)
    project = ProjectFactory()
    Membership.objects.create(project=project, user=person)
    kits = [_kit_with_data(person, project, device_id=f"esp8266-{n}") for n in (1, 2)]
    someone_else = _kit_with_data(user_for_role(roles.VERIFIED_RESIDENT), project,
                                  device_id="esp8266-3")
    assert kit_authenticate(device_id="esp8266-1", token=TOKEN) == kits[0]

    with django_capture_on_commit_callbacks(execute=True):
        consent_services.consent_withdraw(user=person, purpose=purpose, method="web",
                                          assurance_level="midden")

    for kit in kits:
        kit.refresh_from_db()
        assert (kit.owner, kit.state, kit.latitude, kit.is_public) == (None, "stopped", None,
                                                                       False)
    assert kit_authenticate(device_id="esp8266-1", token=TOKEN) is None
    assert kit_authenticate(device_id=kits[0].device_id, token=TOKEN) is None
    assert Observation.objects.filter(datastream__kit__in=kits).count() == 6
    assert not Membership.objects.filter(user=person).exists()
    someone_else.refresh_from_db()
    assert someone_else.state == "active"
    assert someone_else.owner is not None
    run = WithdrawalEffectRun.objects.get(effect_name=EFFECT_NAME)
    assert run.status == WithdrawalEffectRun.Status.DONE
    assert run.message == (
        "Your 2 sensors have stopped: they are no longer on the map and we no longer accept "
        "their data. Their measurements so far are kept as open data, without your name or "
        "home address.")


def test_the_effect_is_idempotent_and_speaks_in_the_singular(purpose):
    person = user_for_role(roles.VERIFIED_RESIDENT)
    _kit_with_data(person, ProjectFactory(), device_id="esp8266-1")

    first = privacy.participation_withdrawn(user_id=person.pk, event=None)
    second = privacy.participation_withdrawn(user_id=person.pk, event=None)

    assert first.startswith("Your sensor has stopped: it is no longer on the map")
    assert second == "You had no sensors in these projects: nothing needed to stop."
    assert privacy.participation_withdrawn(user_id=None, event=None) == (
        "You have no sensors with us any more.")


def test_only_projects_with_the_withdrawn_purpose_are_stopped():
    person = user_for_role(roles.VERIFIED_RESIDENT)
    ours = _kit_with_data(person, ProjectFactory(), device_id="esp8266-1")
    other = _kit_with_data(person, ProjectFactory(consent_purpose_code="ander-doel"),
                           device_id="esp8266-2")

    assert services.kits_of_user_stop(user_id=person.pk,
                                      purpose_code="sensor-project-participation") == 1

    ours.refresh_from_db()
    other.refresh_from_db()
    assert (ours.state, other.state) == ("stopped", "active")


def test_the_withdrawal_outcome_is_shown_on_the_consents_page(
    client, purpose, django_capture_on_commit_callbacks,
):
    person = login(client, user_for_role(roles.VERIFIED_RESIDENT))
    _grant(person, purpose)
    _kit_with_data(person, ProjectFactory(), device_id="esp8266-1")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/mijn-gegevens/toestemmingen/{purpose.code}/intrekken/")

    html = client.get("/mijn-gegevens/toestemmingen/").content.decode()
    assert "Your sensor has stopped: it is no longer on the map" in html


# --- Mijn gegevens: export ------------------------------------------------------------------------


def test_the_export_holds_kits_data_volume_and_memberships():
    person = user_for_role(roles.VERIFIED_RESIDENT)
    project = ProjectFactory(name="#SensHagen")
    Membership.objects.create(project=project, user=person)
    kit = _kit_with_data(person, project, device_id="esp8266-12345678", observations=4,
                         streams=2)
    _kit_with_data(user_for_role(roles.VERIFIED_RESIDENT), project, device_id="esp8266-9")

    data = personal_data_document(user=person)["sections"]["sensors"]["data"]

    assert data["kits"] == [{
        "name": kit.name, "project": "#SensHagen", "device_id": "esp8266-12345678",
        "latitude": 52.530123, "longitude": 6.061234, "public_latitude": 52.5304,
        "public_longitude": 6.0607, "indoor": False, "state": "active",
        "state_display": "Active", "created_at": kit.created_at.isoformat(),
        "last_seen_at": Kit.objects.get(pk=kit.pk).last_seen_at.isoformat(),
    }]
    volume = data["data_volume"][0]
    assert (volume["kit"], volume["observations"]) == (kit.name, 8)
    assert volume["first_time"] < volume["last_time"]
    assert data["memberships"] == [{
        "project": "#SensHagen",
        "joined_at": Membership.objects.get(user=person).joined_at.isoformat()}]


@pytest.mark.parametrize("kits", [1, 5])
def test_the_export_costs_four_queries_whatever_the_number_of_kits(
    kits, django_assert_num_queries,
):
    person = user_for_role(roles.VERIFIED_RESIDENT)
    project = ProjectFactory()
    Membership.objects.create(project=project, user=person)
    for n in range(kits):
        _kit_with_data(person, project, device_id=f"esp8266-{n}", observations=n + 1,
                       streams=2)

    with django_assert_num_queries(4):
        data = privacy.export_sensors(person)

    assert len(data["kits"]) == kits
    assert sum(row["observations"] for row in data["data_volume"]) == sum(
        2 * (n + 1) for n in range(kits))


def test_the_my_data_page_shows_the_sensors_section(client):
    person = login(client, user_for_role(roles.VERIFIED_RESIDENT))
    _kit_with_data(person, ProjectFactory(name="#SensHagen"), device_id="esp8266-12345678")

    html = client.get("/mijn-gegevens/").content.decode()

    assert "Your sensors" in html
    assert "esp8266-12345678" in html
    assert "Measurements per sensor" in html


# --- account deletion -----------------------------------------------------------------------------


def test_deleting_the_account_anonymises_the_kits_and_deletes_memberships():
    person = user_for_role(roles.VERIFIED_RESIDENT)
    project = ProjectFactory()
    Membership.objects.create(project=project, user=person)
    kit = _kit_with_data(person, project, device_id="esp8266-12345678")

    summary = consent_services.account_delete(user=person)

    assert summary["sensors"] == "1 sensor kits stopped and anonymised, 1 memberships deleted"
    kit.refresh_from_db()
    assert (kit.owner_id, kit.state, kit.latitude, kit.longitude) == (None, "stopped", None,
                                                                      None)
    assert kit.device_id.startswith("removed-")
    assert kit.public_latitude is not None
    assert Observation.objects.filter(datastream__kit=kit).count() == 3
    assert not Membership.objects.exists()
    assert kit_authenticate(device_id="esp8266-12345678", token=TOKEN) is None
