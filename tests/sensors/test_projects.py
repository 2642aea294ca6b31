"""Sensor projects: the list (/sensoren/), a project's page and manual, the project area
(point in polygon), and the admin (area validation, unclaimed kits, access log)."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.accounts import roles
from portal.consent.models import PersonalDataAccess
from sensors.admin import ProjectAdminForm
from sensors.areas import area_bounds, area_size_km, area_validate, point_in_area
from sensors.models import Kit
from sensors.services import secret_matches
from tests.factories import user_for_role
from tests.sensors.factories import (
    STADSHAGEN_AREA,
    KitFactory,
    ObservedPropertyFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}
WITH_HOLE = {"type": "Polygon", "coordinates": [
    [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
    [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
]}
TWO_PARTS = {"type": "MultiPolygon", "coordinates": [
    [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
    [[[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]],
]}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _project(**kwargs):
    project = ProjectFactory(**kwargs)
    project.quantities.add(
        ObservedPropertyFactory(code="test-pm25", name="PM2.5", unit_symbol="µg/m³"),
        ObservedPropertyFactory(code="test-temperature", name="Temperature", unit_symbol="°C",
                                unit_name="degree Celsius"),
    )
    return project


# --- the area: point in polygon ----------------------------------------------------------------


@pytest.mark.parametrize(("lat", "lon", "inside"), [
    (5, 5, True), (0.5, 9.5, True), (-1, 5, False), (5, 11, False), (11, 11, False),
    (0, 5, True),   # on the edge counts as inside
    (10, 10, True),  # a corner too
])
def test_point_in_a_polygon(lat, lon, inside):
    assert point_in_area(SQUARE, lat, lon) is inside


@pytest.mark.parametrize(("lat", "lon", "inside"), [
    (5, 5, False), (2, 2, True), (4, 5, True),  # in the hole: outside; its edge: inside
])
def test_a_hole_is_outside(lat, lon, inside):
    assert point_in_area(WITH_HOLE, lat, lon) is inside


@pytest.mark.parametrize(("lat", "lon", "inside"), [
    (0.5, 0.5, True), (5.5, 5.5, True), (3, 3, False), (0.5, 5.5, False),
])
def test_a_point_in_either_part_of_a_multipolygon_is_inside(lat, lon, inside):
    assert point_in_area(TWO_PARTS, lat, lon) is inside


def test_stadshagen_home_is_inside_and_zwolle_centre_is_not():
    assert point_in_area(STADSHAGEN_AREA, "52.5301", "6.0612")
    assert not point_in_area(STADSHAGEN_AREA, "52.5125", "6.0944")


@pytest.mark.parametrize("area", [
    None, {}, {"type": "Point", "coordinates": [6, 52]}, {"type": "Polygon"},
    {"type": "Polygon", "coordinates": []},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},  # too few positions
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},  # not closed
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], ["a", 1], [0, 0]]]},
    {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]},
    {"type": "MultiPolygon", "coordinates": [[]]},
])
def test_unusable_areas_are_refused(area):
    with pytest.raises(ValidationError):
        area_validate(area)


def test_usable_areas_pass_and_have_a_box():
    for area in (SQUARE, WITH_HOLE, TWO_PARTS, STADSHAGEN_AREA):
        area_validate(area)
    assert area_bounds(TWO_PARTS) == (0, 0, 6, 6)
    assert area_size_km(STADSHAGEN_AREA) == (4.1, 3.3)


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_projects_with_quantities_active_kits_and_joining(client):
    project = _project(name="#SensHagen – Stadshagen", summary="Meten in Stadshagen.")
    KitFactory.create_batch(2, project=project)
    KitFactory(project=project, state=Kit.State.STOPPED, owner=None)
    ProjectFactory(name="Oud project", open_for_joining=False)

    response = client.get("/sensoren/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Sensors · Stadsmakers</title>" in html
    assert f'<a href="{project.get_absolute_url()}">#SensHagen – Stadshagen</a>' in html
    assert "Meten in Stadshagen." in html
    assert "PM2.5, Temperature" in html
    assert re.findall(r'data-testid="active-kits">(\d+)<', html) == ["2", "0"]
    assert "open: you can join" in html
    assert "closed for new participants" in html
    assert f'href="{reverse("sensors:map")}"' in html


def test_the_list_without_projects_says_so(client):
    html = client.get("/sensoren/").content.decode()

    assert "There are no sensor projects yet." in html


@pytest.mark.parametrize("count", [1, 8])
def test_the_list_costs_two_queries_whatever_the_number_of_projects(
    client, count, django_assert_num_queries,
):
    for _ in range(count):
        KitFactory(project=_project())

    with django_assert_num_queries(2):
        response = client.get("/sensoren/")

    assert response.content.decode().count('class="card"') == count


# --- a project's page ------------------------------------------------------------------------


def test_the_project_page_shows_everything_a_resident_needs(client):
    from registry.models import Pilot

    project = _project(
        name="#SensHagen", description="Wij meten **fijnstof**.<script>alert(1)</script>",
        partners="RIVM, Hogeschool Windesheim",
    )
    KitFactory(project=project)

    response = client.get(project.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>fijnstof</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "RIVM, Hogeschool Windesheim" in html
    assert ('<a href="https://creativecommons.org/licenses/by/4.0/" rel="license">CC BY 4.0</a>'
            in html)
    assert "<th scope=\"row\">Temperature</th><td>°C (degree Celsius)</td>" in html
    assert 'data-testid="active-kits">1<' in html
    assert f'href="{reverse("sensors:join", kwargs={"slug": project.slug})}"' in html
    assert f'href="{reverse("sensors:project_manual", kwargs={"slug": project.slug})}"' in html
    # the area: a map (data in a non-executable JSON element) and its text alternative
    assert 'id="project-area" type="application/json"' in html
    assert "the area is about 4.1 km wide (east to west) and 3.3 km high" in html
    assert "pilot-link" not in html
    assert Pilot.objects.count() == 0


def test_a_public_pilot_is_linked_and_a_draft_is_not(client):
    from registry.models import Pilot, PublicationState

    project = _project()
    pilot = Pilot.objects.create(title="Luchtmeetnet Stadshagen", slug="luchtmeetnet",
                                 state=PublicationState.DRAFT)
    project.pilot = pilot
    project.save()

    assert "pilot-link" not in client.get(project.get_absolute_url()).content.decode()

    Pilot.objects.filter(pk=pilot.pk).update(state=PublicationState.PUBLISHED)
    html = client.get(project.get_absolute_url()).content.decode()
    assert (f'<a href="{reverse("registry:pilot_detail", kwargs={"slug": "luchtmeetnet"})}" '
            'data-testid="pilot-link">Luchtmeetnet Stadshagen</a>') in html


def test_a_closed_project_has_no_join_button(client):
    project = _project(open_for_joining=False)

    html = client.get(project.get_absolute_url()).content.decode()

    assert "join-link" not in html
    assert "does not take new participants" in html


def test_an_unknown_project_is_a_404(client):
    assert client.get("/sensoren/bestaat-niet/").status_code == 404


def test_the_manual_page_shows_the_manual_and_the_firmware_settings(client):
    project = _project(manual="1. Hang de sensor **buiten**.\n<img src=x onerror=alert(1)>")

    response = client.get(reverse("sensors:project_manual", kwargs={"slug": project.slug}))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>buiten</strong>" in html
    assert "onerror" not in html
    assert '<code data-testid="firmware-server">testserver</code>' in html
    assert ('<code data-testid="firmware-path">/api/v1/sensors/push/sensor-community/</code>'
            in html)
    assert '<code data-testid="firmware-port">80</code>' in html
    assert "every 145 seconds" in html


# --- admin -----------------------------------------------------------------------------------


def _form_data(**overrides):
    quantity = ObservedPropertyFactory(code="test-pm25")
    data = {
        "name": "Meetnet Noord", "slug": "meetnet-noord", "summary": "Kort.",
        "description": "Lang.", "area": '{"type": "Polygon", "coordinates": '
        '[[[6.03, 52.52], [6.09, 52.52], [6.09, 52.55], [6.03, 52.52]]]}',
        "quantities": [quantity.pk], "partners": "", "licence": "CC-BY-4.0",
        "consent_purpose_code": "sensor-project-participation", "manual": "",
        "offline_after_hours": 6, "open_for_joining": "on", "pilot": "",
    }
    data.update(overrides)
    return data


def test_the_project_admin_form_accepts_a_polygon_and_a_feature():
    assert ProjectAdminForm(data=_form_data()).is_valid()
    feature = ('{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", '
               '"coordinates": [[[6.03, 52.52], [6.09, 52.52], [6.09, 52.55], [6.03, 52.52]]]}}')
    form = ProjectAdminForm(data=_form_data(area=feature))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["area"]["type"] == "Polygon"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("area", '{"type": "Point", "coordinates": [6, 52]}', "Polygon or MultiPolygon"),
    ("area", "{not json", "Enter a valid JSON"),
    ("area", '{"type": "Polygon", "coordinates": [[[6, 52], [6.1, 52], [6.1, 52.1]]]}',
     "at least four positions"),
    ("slug", "kaart", "is used by another page"),
    ("slug", "mijn-sensoren", "is used by another page"),
    ("consent_purpose_code", "iets-anders", "sensor-project-participation"),
])
def test_the_project_admin_form_refuses_what_would_break(field, value, message):
    form = ProjectAdminForm(data=_form_data(**{field: value}))

    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


@pytest.mark.parametrize("role", [roles.CIVIL_SERVANT, roles.ADMIN])
def test_staff_create_an_unclaimed_kit_and_see_its_code_once(client, role):
    staff = user_for_role(role, **({"is_staff": True} if role != roles.ADMIN else {}))
    client.force_login(staff)
    project = _project()
    url = reverse("admin:sensors_kit_unclaimed")

    assert client.get(url).status_code == 200
    response = client.post(url, {"project": project.pk, "device_id": "12345678",
                                 "name": "Kit 1 Stadshagen"})

    html = response.content.decode()
    assert response.status_code == 200
    code = re.search(r'data-testid="claim-code">([A-Z0-9-]+)<', html).group(1)
    kit = Kit.objects.get()
    assert (kit.device_id, kit.state, kit.owner) == ("esp8266-12345678", "unclaimed", None)
    assert secret_matches(code, kit.claim_code_hash)
    assert code not in kit.claim_code_hash
    assert "no-store" in response["Cache-Control"]
    # the kit list shows the kit and the action, never the code again
    listing = client.get(reverse("admin:sensors_kit_changelist")).content.decode()
    assert "Create an unclaimed kit" in listing
    assert code not in listing


def test_a_duplicate_unclaimed_kit_is_refused_with_a_clear_error(client):
    client.force_login(user_for_role(roles.ADMIN))
    project = _project()
    KitFactory(device_id="esp8266-12345678")

    response = client.post(reverse("admin:sensors_kit_unclaimed"),
                           {"project": project.pk, "device_id": "esp8266-12345678",
                            "name": "Kit"})

    assert response.status_code == 400
    assert "This device is already registered." in response.content.decode()
    assert Kit.objects.count() == 1


def test_other_staff_cannot_reach_the_sensors_admin(client):
    client.force_login(user_for_role(roles.MODERATOR, is_staff=True))

    assert client.get(reverse("admin:sensors_kit_unclaimed")).status_code == 403
    assert client.get(reverse("admin:sensors_project_changelist")).status_code == 403


def test_admin_pages_load_and_opening_a_residents_kit_is_logged(client):
    admin_user = user_for_role(roles.ADMIN)
    client.force_login(admin_user)
    kit = KitFactory(latitude="52.530123", longitude="6.061234")

    for name in ("project", "kit", "membership", "observedproperty", "sensor"):
        assert client.get(reverse(f"admin:sensors_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:sensors_project_change",
                              args=[kit.project_id])).status_code == 200
    response = client.get(reverse("admin:sensors_kit_change", args=[kit.pk]))

    assert response.status_code == 200
    assert "52.530123" in response.content.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.subject, access.viewer, access.what) == (kit.owner, admin_user,
                                                            "sensors.kit")
