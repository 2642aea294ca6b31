"""The GeoJSON of all sensor projects' areas (`/sensoren/projecten.geojson`), the second layer
of the register's map of pilots."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from registry.models import Pilot, PublicationState
from sensors.models import Kit
from tests.sensors.factories import STADSHAGEN_AREA, KitFactory, ProjectFactory

pytestmark = pytest.mark.django_db

URL = reverse("sensors:projects_geojson")


def _get(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content), len(queries)


def test_the_url_is_not_taken_for_a_project_slug():
    assert URL == "/sensoren/projecten.geojson"
    assert resolve(URL).url_name == "projects_geojson"
    # A slug has no dot: the project pages never match this address.
    assert resolve("/sensoren/projecten/").url_name == "project_detail"


def test_one_feature_per_project_with_its_area_and_numbers(client):
    pilot = Pilot.objects.create(title="Luchtmeetnet", slug="luchtmeetnet",
                                 state=PublicationState.PUBLISHED)
    linked = ProjectFactory(slug="senshagen", name="#SensHagen", pilot=pilot)
    alone = ProjectFactory(slug="geluid", name="Geluid in de wijk", licence="CC0-1.0")
    KitFactory.create_batch(2, project=linked)
    KitFactory(project=linked, state=Kit.State.STOPPED, owner=None)

    data, _queries = _get(client)

    assert data["type"] == "FeatureCollection"
    by_name = {feature["properties"]["name"]: feature for feature in data["features"]}
    assert set(by_name) == {"#SensHagen", "Geluid in de wijk"}
    feature = by_name["#SensHagen"]
    assert feature["geometry"] == STADSHAGEN_AREA
    assert feature["properties"]["url"] == linked.get_absolute_url()
    assert feature["properties"]["active_kits"] == 2
    assert feature["properties"]["pilot_url"] == reverse(
        "registry:pilot_detail", kwargs={"slug": "luchtmeetnet"})
    assert feature["properties"]["licence"]["id"] == "CC-BY-4.0"
    other = by_name["Geluid in de wijk"]["properties"]
    assert other["url"] == alone.get_absolute_url()
    assert other["active_kits"] == 0
    assert other["pilot_url"] is None
    assert other["licence"]["id"] == "CC0-1.0"


def test_a_pilot_that_is_not_public_is_not_linked(client):
    pilot = Pilot.objects.create(title="Concept", slug="concept", state=PublicationState.DRAFT)
    ProjectFactory(pilot=pilot)

    data, _queries = _get(client)

    assert data["features"][0]["properties"]["pilot_url"] is None


def test_one_query_however_many_projects(client):
    ProjectFactory()
    _data, few = _get(client)
    for project in ProjectFactory.create_batch(5):
        KitFactory.create_batch(2, project=project)
    data, many = _get(client)
    assert len(data["features"]) == 6
    assert many == few == 1
