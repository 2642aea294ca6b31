"""Joining a project and registering a kit: who may (per role), consent first (and back),
the home inside the project area, the device id or a one-time claim code, and the device
token shown once and stored hashed."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from portal.accounts import roles
from portal.consent import selectors as consent_selectors
from portal.consent import services as consent_services
from sensors import services
from sensors.models import Kit, KitLocation, Membership
from sensors.services import device_id_normalise, kit_authenticate, kit_unclaimed_create
from tests.consent.conftest import make_purpose
from tests.factories import user_for_role
from tests.ideas.participation_helpers import login
from tests.sensors.factories import KitFactory, ProjectFactory

pytestmark = pytest.mark.django_db

HOME = {"latitude": "52.530123", "longitude": "6.061234"}  # in Stadshagen
OUTSIDE = {"latitude": "52.512500", "longitude": "6.094400"}  # Zwolle centre


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def purpose(db):
    return make_purpose()


@pytest.fixture
def project(purpose):
    return ProjectFactory(name="#SensHagen", slug="senshagen")


def _grant(user, purpose):
    consent_services.consent_grant(user=user, text=consent_selectors.current_text(
        purpose=purpose), method="web", assurance_level="midden")


def _member(client, project, purpose):
    """A verified resident, logged in, with consent, who joined the project."""
    user = login(client, user_for_role(roles.VERIFIED_RESIDENT))
    _grant(user, purpose)
    Membership.objects.create(project=project, user=user)
    return user


def _register(client, project, **data):
    payload = {**HOME, "name": "Voorgevel", "indoor": "no", "device_id": "", "claim_code": "",
               **data}
    return client.post(reverse("sensors:kit_register", kwargs={"slug": project.slug}), payload)


def _token(response) -> str:
    return re.search(r'data-testid="device-token">([^<]+)<', response.content.decode()).group(1)


# --- who may join ------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_the_digid_login_and_back(client, project):
    response = client.get("/sensoren/senshagen/meedoen/")

    assert response.status_code == 302
    assert response["Location"] == "/digid/login/?next=/sensoren/senshagen/meedoen/"


def test_a_resident_at_level_basis_is_told_to_log_in_at_midden(client, project):
    login(client, user_for_role(roles.RESIDENT))

    response = client.get("/sensoren/senshagen/meedoen/")

    assert response.status_code == 403
    assert "You logged in with DigiD level basis." in response.content.decode()


@pytest.mark.parametrize("role", [roles.ORGANISATION_MEMBER, roles.MODERATOR,
                                  roles.CIVIL_SERVANT, roles.ADMIN])
def test_email_accounts_are_refused_with_an_explanation(client, project, role):
    login(client, user_for_role(role))

    for url in ("/sensoren/senshagen/meedoen/", "/sensoren/senshagen/sensor-aanmelden/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "You are logged in with an e-mail account" in response.content.decode()
    assert client.post("/sensoren/senshagen/meedoen/").status_code == 403
    assert not Membership.objects.exists()


def test_without_consent_the_resident_gives_it_and_comes_back_to_join(client, project, purpose):
    user = login(client, user_for_role(roles.VERIFIED_RESIDENT))
    join_url = "/sensoren/senshagen/meedoen/"

    response = client.get(join_url)

    consent_url = reverse("consent:give", kwargs={"purpose_code": purpose.code})
    assert response.status_code == 302
    assert response["Location"] == f"{consent_url}?next=%2Fsensoren%2Fsenshagen%2Fmeedoen%2F"
    assert client.post(join_url).status_code == 302  # a POST without consent joins nothing
    assert not Membership.objects.exists()

    text = consent_selectors.current_text(purpose=purpose)
    back = client.post(consent_url, {"agree": "on", "text_version": text.version,
                                     "next": join_url})
    assert back.status_code == 302
    assert back["Location"] == join_url

    page = client.get(join_url)
    assert page.status_code == 200
    assert "Join and register my sensor" in page.content.decode()
    joined = client.post(join_url)
    assert joined["Location"] == "/sensoren/senshagen/sensor-aanmelden/"
    assert Membership.objects.get().user == user
    # a member who opens the join page again goes straight on to registering a kit
    assert client.get(join_url)["Location"] == "/sensoren/senshagen/sensor-aanmelden/"


def test_a_closed_project_takes_no_one(client, project, purpose):
    project.open_for_joining = False
    project.save()
    _grant(login(client, user_for_role(roles.VERIFIED_RESIDENT)), purpose)

    response = client.post("/sensoren/senshagen/meedoen/")

    assert response.status_code == 403
    assert "does not take new participants" in response.content.decode()
    assert not Membership.objects.exists()


def test_without_a_published_consent_text_joining_waits(client, db):
    ProjectFactory(slug="senshagen")
    login(client, user_for_role(roles.VERIFIED_RESIDENT))

    response = client.get("/sensoren/senshagen/meedoen/")

    assert response.status_code == 503
    assert "has not yet published the consent text" in response.content.decode()


def test_the_register_page_sends_a_non_member_to_join_first(client, project, purpose):
    _grant(login(client, user_for_role(roles.VERIFIED_RESIDENT)), purpose)

    response = client.get("/sensoren/senshagen/sensor-aanmelden/")

    assert response["Location"] == "/sensoren/senshagen/meedoen/"


def test_the_register_page_has_the_picker_with_the_area_and_the_fields(client, project,
                                                                        purpose):
    _member(client, project, purpose)

    html = client.get("/sensoren/senshagen/sensor-aanmelden/").content.decode()

    assert 'data-sensors-location-picker' in html
    assert '<script id="project-area" type="application/json">' in html
    for field in ("latitude", "longitude", "name", "device_id", "claim_code"):
        assert f'name="{field}"' in html
    assert "/static/js/sensors-location-picker.js" in html


# --- registering with a device id ----------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [
    ("12345678", "esp8266-12345678"),
    ("esp8266-12345678", "esp8266-12345678"),
    (" ESP8266-12345678 ", "esp8266-12345678"),
    ("esp8266 12345678", "esp8266-12345678"),
    ("0012345678", "esp8266-12345678"),
    ("esp32-A1B2C3D4E5F6", "esp32-a1b2c3d4e5f6"),
])
def test_device_ids_are_normalised_as_the_firmware_sends_them(typed, stored):
    assert device_id_normalise(typed) == stored


@pytest.mark.parametrize("typed", ["", "esp8266-", "abc", "esp8266-12ab", "esp32-xyz",
                                   "12345678901", "raspberry-1"])
def test_unknown_device_ids_are_refused(typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        device_id_normalise(typed)


def test_registering_shows_the_token_once_and_stores_only_its_hash(client, project, purpose):
    user = _member(client, project, purpose)

    response = _register(client, project, device_id="12345678", indoor="yes")

    html = response.content.decode()
    assert response.status_code == 200
    token = _token(response)
    kit = Kit.objects.get()
    assert (kit.owner, kit.project, kit.device_id, kit.name, kit.indoor, kit.state) == (
        user, project, "esp8266-12345678", "Voorgevel", True, "active")
    # the firmware settings: this site, the push path, user = device id
    assert '<code data-testid="firmware-server">testserver</code>' in html
    assert '/api/v1/sensors/push/sensor-community/' in html
    assert '<code data-testid="firmware-user">esp8266-12345678</code>' in html
    assert "no-store" in response["Cache-Control"]
    # stored hashed: the token itself is in no table
    assert kit.token_hash
    assert token not in kit.token_hash
    assert kit_authenticate(device_id="esp8266-12345678", token=token) == kit
    assert _token_in_database(token) == []
    # exact location kept, public one on the 100 m grid, one HistoricalLocation
    assert str(kit.latitude) == "52.530123"
    assert kit.public_latitude != kit.latitude
    assert KitLocation.objects.filter(kit=kit).count() == 1
    # the live page never shows the token again
    live = client.get(reverse("sensors:kit_live", kwargs={"public_id": kit.public_id}))
    assert token not in live.content.decode()


def _token_in_database(token: str) -> list[str]:
    """Every table and text column where the token appears (should be none)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            columns = connection.introspection.get_table_description(cursor, table)
            for column in columns:
                if column.type_code not in _text_types():
                    continue
                name = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "  # noqa: S608
                    f"WHERE CAST({name} AS TEXT) LIKE %s", [f"%{token}%"])
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


def _text_types():
    if connection.vendor == "postgresql":
        return {25, 1043, 114, 3802}  # text, varchar, json, jsonb
    return {"text", "varchar", "TEXT", "VARCHAR", "char", "CHAR"} | {
        f"varchar({n})" for n in range(1, 1001)} | {f"char({n})" for n in range(1, 1001)}


def test_a_home_outside_the_area_is_refused_and_nothing_is_stored(client, project, purpose):
    _member(client, project, purpose)

    response = _register(client, project, device_id="12345678", **OUTSIDE)

    assert response.status_code == 400
    assert "This location lies outside the area of #SensHagen." in response.content.decode()
    assert not Kit.objects.exists()


def test_a_multipolygon_area_takes_homes_in_either_part(client, purpose):
    project = ProjectFactory(slug="twee-wijken", area={"type": "MultiPolygon", "coordinates": [
        [[[6.03, 52.52], [6.09, 52.52], [6.09, 52.55], [6.03, 52.55], [6.03, 52.52]]],
        [[[6.09, 52.50], [6.10, 52.50], [6.10, 52.52], [6.09, 52.52], [6.09, 52.50]]],
    ]})
    _member(client, project, purpose)

    assert _register(client, project, device_id="1", **OUTSIDE).status_code == 200
    assert _register(client, project, device_id="2", **HOME).status_code == 200
    assert _register(client, project, device_id="3", latitude="52.51",
                     longitude="6.2").status_code == 400
    assert Kit.objects.count() == 2


def test_a_device_registered_before_is_refused_clearly(client, project, purpose):
    KitFactory(device_id="esp8266-12345678")
    _member(client, project, purpose)

    response = _register(client, project, device_id="ESP8266-12345678")

    assert response.status_code == 400
    assert "This device is already registered." in response.content.decode()
    assert Kit.objects.count() == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"device_id": "", "claim_code": ""}, "Fill in the device id of your own sensor, or the"),
    ({"device_id": "123", "claim_code": "ABCD-EFGH-JKLM"}, "not both"),
    ({"device_id": "123", "name": ""}, "Give your sensor a name."),
    ({"device_id": "123", "latitude": ""}, "Give the latitude of your home"),
    ({"device_id": "123", "latitude": "vijftig"}, "Type the latitude as a number"),
    ({"device_id": "123", "indoor": ""}, "outside or inside"),
    ({"device_id": "kapot"}, "This is not a device id we know."),
])
def test_incomplete_registrations_say_what_is_missing(client, project, purpose, data, message):
    _member(client, project, purpose)

    response = _register(client, project, **data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Kit.objects.exists()


def test_register_checks_consent_again(client, project, purpose):
    user = _member(client, project, purpose)
    consent_services.consent_withdraw(user=user, purpose=purpose, method="web",
                                      assurance_level="midden")

    response = _register(client, project, device_id="12345678")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("consent:give",
                                                   kwargs={"purpose_code": purpose.code}))
    assert not Kit.objects.exists()


# --- claiming a kit of the municipality --------------------------------------------------------


def _unclaimed(project, device_id="esp8266-999"):
    return kit_unclaimed_create(project=project, device_id=device_id, name="Kit 7",
                                by=user_for_role(roles.CIVIL_SERVANT))


def test_a_claim_code_works_once(client, project, purpose):
    kit, code = _unclaimed(project)
    user = _member(client, project, purpose)
    assert kit_authenticate(device_id="esp8266-999", token="") is None

    typed = code.lower().replace("-", " ")
    response = _register(client, project, claim_code=typed, name="")

    assert response.status_code == 200
    token = _token(response)
    kit.refresh_from_db()
    assert (kit.owner, kit.state, kit.claim_code_hash, kit.name) == (user, "active", "",
                                                                     "Kit 7")
    assert kit_authenticate(device_id="esp8266-999", token=token) == kit
    assert KitLocation.objects.filter(kit=kit).count() == 1

    other = _member(client, project, purpose)
    again = _register(client, project, claim_code=code)
    assert again.status_code == 400
    assert "This claim code is not right, or it has been used already." in (
        again.content.decode())
    assert Kit.objects.get().owner == user != other


def test_a_wrong_claim_code_is_a_clear_error(client, project, purpose):
    _unclaimed(project)
    _member(client, project, purpose)

    for code in ("ABCD-EFGH-JKLM", "ABC"):
        response = _register(client, project, claim_code=code)
        assert response.status_code == 400
        assert "Check the code on the card that came with your sensor" in (
            response.content.decode())
    assert Kit.objects.get().state == "unclaimed"


def test_a_kit_of_another_project_is_not_claimed_here(client, project, purpose):
    elsewhere = ProjectFactory(name="Meetnet Noord")
    _kit, code = _unclaimed(elsewhere)
    _member(client, project, purpose)

    response = _register(client, project, claim_code=code)

    assert response.status_code == 400
    assert "This sensor belongs to the project Meetnet Noord." in response.content.decode()


def test_claim_attempts_are_rate_limited(client, project, purpose, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sensors.kit_claim": "3/h"}
    _kit, code = _unclaimed(project)
    _member(client, project, purpose)

    statuses = [_register(client, project, claim_code="WRNG-WRNG-WRNG").status_code
                for _ in range(3)]
    blocked = _register(client, project, claim_code=code)

    assert statuses == [400, 400, 400]
    assert blocked.status_code == 429
    assert "You have reached the limit of 3 times per hour" in blocked.content.decode()
    assert Kit.objects.get().state == "unclaimed"


def test_the_services_check_the_same_rules(project, purpose):
    from django.core.exceptions import ValidationError

    basis = user_for_role(roles.RESIDENT)
    verified = user_for_role(roles.VERIFIED_RESIDENT)
    with pytest.raises(ValidationError, match="DigiD"):
        services.project_join(project=project, user=basis)
    with pytest.raises(ValidationError, match="consent"):
        services.project_join(project=project, user=verified)
    _grant(verified, purpose)
    with pytest.raises(ValidationError, match="Join the project first"):
        services.kit_register(project=project, user=verified, device_id="1", name="x",
                              **HOME)
    membership = services.project_join(project=project, user=verified)
    assert services.project_join(project=project, user=verified) == membership
    for latitude in ("abc", "NaN", "91"):
        with pytest.raises(ValidationError, match="not coordinates on earth"):
            services.kit_register(project=project, user=verified, device_id="1", name="x",
                                  latitude=latitude, longitude="6.06")
    with pytest.raises(ValidationError, match="Only staff"):
        kit_unclaimed_create(project=project, device_id="2", name="x", by=verified)
