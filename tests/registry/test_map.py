"""The map of pilots (registry/maps.py): the GeoJSON, the map page with its list alternative,
and the compact map on Raadsinformatie."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve, reverse

from portal.accounts import roles
from registry import maps, services
from tests.factories import user_for_role
from tests.registry.conftest import PILOT_COMPLETE, count_queries, make_pilot

pytestmark = pytest.mark.django_db

MAP_URL = reverse("registry:pilot_map")
DATA_URL = reverse("registry:pilot_map_data")
DASHBOARD_URL = reverse("registry:dashboard")
ZWOLLE = {"latitude": Decimal("52.516800"), "longitude": Decimal("6.083000")}


def _placed(editor, approver, number=0, **fields):
    location = {
        "latitude": ZWOLLE["latitude"] + Decimal(number) / 1000,
        "longitude": ZWOLLE["longitude"],
    }
    return make_pilot(editor, approver, kpis=0, **{**location, **fields})


@pytest.fixture
def pilots(editor, approver):
    """A running pilot in Zwolle, a stopped one elsewhere in another theme, a published one
    without a location, a withdrawn one with a location, and two not public ones."""
    running = _placed(editor, approver, 1, title="Slimme lantaarnpalen",
                      neighbourhood="Assendorp", status=["preparation", "running"])
    stopped = _placed(editor, approver, 2, title="Afvalcontainers met sensor",
                      theme="Natuur en milieu", neighbourhood="Stadshagen", status=["stopped"])
    unplaced = make_pilot(editor, approver, kpis=0, title="Warmtedata voor de hele stad",
                          neighbourhood="Hele stad")
    withdrawn = _placed(editor, approver, 3, title="Ingetrokken proef")
    services.pilot_withdraw(pilot=withdrawn, by=editor, reason="Dubbel ingevoerd.")
    draft = services.pilot_create(by=editor, title="Concept met locatie", **ZWOLLE)
    submitted = services.pilot_create(
        by=editor, **{**PILOT_COMPLETE, "title": "Wacht op goedkeuring", **ZWOLLE}
    )
    services.pilot_submit(pilot=submitted, by=editor)
    return {"running": running, "stopped": stopped, "unplaced": unplaced,
            "withdrawn": withdrawn, "draft": draft, "submitted": submitted}


def _geojson(client, query=""):
    response = client.get(DATA_URL + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content)


def _titles(data):
    return sorted(feature["properties"]["title"] for feature in data["features"])


# --- URLs and slugs --------------------------------------------------------------------------


def test_the_map_urls_come_before_the_pilot_pages():
    assert MAP_URL == "/registers/pilots/kaart/"
    assert DATA_URL == "/registers/pilots/kaart.geojson"
    assert resolve(MAP_URL).url_name == "pilot_map"
    assert resolve(DATA_URL).url_name == "pilot_map_data"


def test_kaart_is_never_a_pilot_slug(editor):
    pilot = services.pilot_create(by=editor, title="Kaart")
    assert pilot.slug == "kaart-2"
    with pytest.raises(ValidationError):
        services.pilot_create(by=editor, title="Andere titel", slug="kaart")


# --- the GeoJSON -----------------------------------------------------------------------------


def test_the_geojson_is_a_feature_collection_of_points(client, pilots):
    data = _geojson(client)

    assert data["type"] == "FeatureCollection"
    assert data["truncated"] is False
    running = next(f for f in data["features"]
                   if f["properties"]["title"] == "Slimme lantaarnpalen")
    assert running["type"] == "Feature"
    assert running["id"] == str(pilots["running"].public_id)
    assert running["geometry"] == {"type": "Point", "coordinates": [6.083, 52.5178]}
    assert running["properties"] == {
        "title": "Slimme lantaarnpalen",
        "url": pilots["running"].get_absolute_url(),
        "status": "running",
        "status_label": "loopt",
        "theme": "Verkeer",
        "neighbourhood": "Assendorp",
        "withdrawn": False,
    }


def test_only_public_pilots_with_a_location_are_on_the_map(client, pilots):
    data = _geojson(client)

    assert _titles(data) == ["Afvalcontainers met sensor", "Ingetrokken proef",
                             "Slimme lantaarnpalen"]
    withdrawn = next(f for f in data["features"] if f["properties"]["withdrawn"])
    assert withdrawn["properties"]["title"] == "Ingetrokken proef"


@pytest.mark.parametrize(("query", "titles"), [
    ("?theme=Natuur+en+milieu", ["Afvalcontainers met sensor"]),
    ("?status=running", ["Slimme lantaarnpalen"]),
    ("?q=lantaarn", ["Slimme lantaarnpalen"]),
    ("?q=stadshagen", ["Afvalcontainers met sensor"]),  # the neighbourhood is searched too
    ("?theme=Verkeer&status=stopped", []),
    ("?status=onzin&theme=Geen", ["Afvalcontainers met sensor", "Ingetrokken proef",
                                  "Slimme lantaarnpalen"]),  # bad values are ignored
])
def test_the_geojson_has_the_lists_filters(client, pilots, query, titles):
    assert _titles(_geojson(client, query)) == titles


def test_the_geojson_is_capped(client, pilots, monkeypatch):
    monkeypatch.setattr(maps, "MAP_LIMIT", 2)
    data = _geojson(client)
    assert len(data["features"]) == 2
    assert data["truncated"] is True

    page = client.get(MAP_URL).content.decode()
    assert 'data-testid="map-truncated"' in page


# --- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.VISITOR, roles.COUNCIL_MEMBER, roles.CIVIL_SERVANT])
def test_the_map_page_renders_for_everyone(client, pilots, role):
    if role != roles.VISITOR:
        client.force_login(user_for_role(role))
    response = client.get(MAP_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-registry-map' in page
    assert f'data-url="{DATA_URL}"' in page
    assert "js/registry-map.js" in page
    assert "Concept met locatie" not in page
    assert "Wacht op goedkeuring" not in page


def test_the_skip_link_and_the_list_alternative_come_with_the_map(client, pilots):
    page = client.get(MAP_URL).content.decode()

    skip, map_element = page.index('data-testid="skip-map"'), page.index("data-registry-map")
    legend, table = page.index('data-testid="map-legend"'), page.index('id="map-list"')
    assert skip < map_element < legend < table
    assert 'href="#map-list"' in page
    table_html = page[table:page.index('id="no-location"')]
    running = pilots["running"]
    assert f'<a href="{running.get_absolute_url()}">Slimme lantaarnpalen</a>' in table_html
    assert "Loopt" in table_html
    assert "Verkeer" in table_html
    assert "Assendorp" in table_html
    assert 'datetime="2024-03-01"' in table_html
    assert "Ingetrokken proef" in table_html
    assert "state--withdrawn" in table_html
    assert "Warmtedata voor de hele stad" not in table_html


def test_pilots_without_a_location_are_counted_and_listed(client, pilots):
    page = client.get(MAP_URL).content.decode()

    assert 'data-testid="without-location-link"' in page
    no_location = page[page.index('id="no-location"'):]
    assert "Warmtedata voor de hele stad" in no_location
    assert "Hele stad" in no_location
    assert "Slimme lantaarnpalen" not in no_location


def test_the_legend_says_each_status_in_words(client, pilots, english):
    page = english.get(MAP_URL).content.decode()
    legend = page[page.index('data-testid="map-legend"'):page.index('id="map-list"')]

    for words in ("Running", "Stopped", "pilot-marker--running", "pilot-marker--stopped"):
        assert words in legend
    assert "Preparation" not in legend


def test_the_page_keeps_the_filters_for_the_map_data_and_the_list(client, pilots):
    page = client.get(MAP_URL + "?theme=Natuur+en+milieu").content.decode()

    assert f'data-url="{DATA_URL}?theme=Natuur+en+milieu"' in page
    table = page[page.index('id="map-list"'):]
    assert "Afvalcontainers met sensor" in table
    assert "Slimme lantaarnpalen" not in table
    assert f'{reverse("registry:pilot_list")}?theme=Natuur+en+milieu' in page


def test_an_empty_or_filtered_away_map_says_so(client, pilots):
    page = client.get(MAP_URL + "?q=bestaatniet").content.decode()
    assert 'data-testid="empty-state"' in page
    assert "data-registry-map" not in page


def test_the_map_page_without_any_pilots(client):
    page = client.get(MAP_URL).content.decode()
    assert 'data-testid="empty-state"' in page
    assert 'id="no-location"' not in page


# --- Raadsinformatie -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.VISITOR, roles.COUNCIL_MEMBER])
def test_the_dashboard_has_a_compact_map_with_a_link_to_the_full_map(client, pilots, role):
    if role != roles.VISITOR:
        client.force_login(user_for_role(role))
    response = client.get(DASHBOARD_URL)
    page = response.content.decode()
    figures = response.context["pilot_map"]
    assert figures["count"] == 3  # running, stopped, withdrawn
    assert figures["without_location_count"] == 1
    assert [(row["value"], row["count"]) for row in figures["legend"]] == [
        ("idea", 1), ("running", 1), ("stopped", 1),
    ]

    section = page[page.index('data-testid="pilot-map"'):page.index('data-testid="algorithms"')]
    assert f'href="{MAP_URL}"' in section
    assert "pilot-map--compact" in section
    assert f'data-url="{DATA_URL}"' in section
    assert section.index('data-testid="skip-map"') < section.index("data-registry-map")
    assert 'href="#dashboard-map-list"' in section
    table = section[section.index('id="dashboard-map-list"'):]
    assert "Slimme lantaarnpalen" in table
    assert "Afvalcontainers met sensor" in table
    assert "Warmtedata voor de hele stad" not in table
    assert f'href="{MAP_URL}#no-location"' in section  # one pilot without a location
    assert "js/registry-map.js" in page


def test_the_dashboards_table_is_capped_and_links_to_the_full_table(client, pilots,
                                                                    monkeypatch):
    monkeypatch.setattr(maps, "DASHBOARD_LIST_LIMIT", 2)
    page = client.get(DASHBOARD_URL).content.decode()

    table = page[page.index('id="dashboard-map-list"'):page.index('data-testid="algorithms"')]
    assert table.count("<tr>") == 3  # the head and two pilots
    assert f'href="{MAP_URL}#map-list"' in table


def test_the_dashboard_without_located_pilots_loads_no_map(client):
    page = client.get(DASHBOARD_URL).content.decode()
    assert 'data-testid="pilot-map"' in page
    assert "data-registry-map" not in page
    assert "js/registry-map.js" not in page


# --- sensor projects: the second layer and its table -------------------------------------------
# Tests may use the sensors app (registry's code may not import it).


@pytest.fixture
def sensor_projects(pilots):
    from tests.sensors.factories import KitFactory, ProjectFactory

    linked = ProjectFactory(slug="senshagen", name="#SensHagen", pilot=pilots["running"])
    KitFactory.create_batch(2, project=linked)
    alone = ProjectFactory(slug="geluid", name="Geluid in de wijk")
    hidden_pilot = ProjectFactory(slug="concept-meting", name="Meting bij concept",
                                  pilot=pilots["draft"])
    return {"linked": linked, "alone": alone, "hidden_pilot": hidden_pilot}


SENSOR_URL = "/sensoren/projecten.geojson"


def test_the_map_page_loads_the_sensor_layer_and_lists_every_project(client, sensor_projects,
                                                                    english):
    page = english.get(MAP_URL).content.decode()

    assert reverse("sensors:projects_geojson") == SENSOR_URL
    assert f'data-sensor-url="{SENSOR_URL}"' in page
    assert 'data-testid="sensor-legend"' in page
    table = page[page.index('data-testid="sensor-projects"'):]
    rows = table[table.index("<tbody>"):table.index("</tbody>")]
    assert rows.count("<tr>") == 3
    running = sensor_projects["linked"].pilot
    assert (f'<td><a href="{sensor_projects["linked"].get_absolute_url()}">#SensHagen</a></td>'
            "\n          <td>2</td>"
            f'\n          <td><a href="{running.get_absolute_url()}">{running.title}</a></td>'
            ) in rows
    assert f'<a href="{sensor_projects["alone"].get_absolute_url()}">Geluid in de wijk</a>' in rows
    # a pilot that is not public is not named
    assert "Concept met locatie" not in rows


def test_the_dashboard_loads_the_sensor_layer_and_lists_the_projects(client, sensor_projects):
    page = client.get(DASHBOARD_URL).content.decode()

    section = page[page.index('data-testid="pilot-map"'):page.index('data-testid="algorithms"')]
    assert f'data-sensor-url="{SENSOR_URL}"' in section
    table = section[section.index('id="dashboard-map-list"'):]
    assert 'data-testid="sensor-project-table"' in table
    assert "#SensHagen" in table
    assert "Geluid in de wijk" in table


def test_without_sensor_projects_there_is_no_table(client, pilots):
    page = client.get(MAP_URL).content.decode()
    assert f'data-sensor-url="{SENSOR_URL}"' in page  # the layer is simply empty
    assert 'data-testid="sensor-projects"' not in page


def test_without_the_sensors_urls_the_layer_is_left_out(client, pilots, monkeypatch):
    from django.urls import NoReverseMatch

    def missing(*args, **kwargs):
        raise NoReverseMatch

    monkeypatch.setattr(maps, "reverse", lambda name, **kwargs: missing() if name.startswith(
        "sensors:") else reverse(name, **kwargs))
    page = client.get(MAP_URL).content.decode()
    assert "data-sensor-url" not in page
    assert "data-registry-map" in page


def test_the_pilot_page_links_its_sensor_projects(client, sensor_projects):
    pilot = sensor_projects["linked"].pilot
    page = client.get(pilot.get_absolute_url()).content.decode()

    links = page[page.index('data-testid="sensor-projects"'):]
    assert f'<a href="{sensor_projects["linked"].get_absolute_url()}">#SensHagen</a>' in links
    assert "Geluid in de wijk" not in links


def test_a_pilot_without_sensor_projects_has_no_such_section(client, sensor_projects, pilots):
    page = client.get(pilots["stopped"].get_absolute_url()).content.decode()
    assert 'data-testid="sensor-projects"' not in page


# --- queries ---------------------------------------------------------------------------------


def _more_pilots(editor, approver, number):
    for index in range(number):
        located = index % 3 != 0
        make_pilot(
            editor, approver, kpis=0, title=f"Pilot {index:03d}",
            theme="Verkeer" if index % 2 else "Wonen",
            start_date=dt.date(2024, 1, 1), planned_end_date=dt.date(2025, 1, 1),
            **(ZWOLLE if located else {}),
        )


def test_the_query_count_does_not_grow_with_the_pilots(client, editor, approver):
    urls = [MAP_URL, MAP_URL + "?theme=Verkeer&q=pilot", DATA_URL, DATA_URL + "?status=idea",
            DASHBOARD_URL]
    from tests.sensors.factories import KitFactory, ProjectFactory

    _more_pilots(editor, approver, 3)
    ProjectFactory()
    few = [count_queries(client, url) for url in urls]
    _more_pilots(editor, approver, 27)
    for project in ProjectFactory.create_batch(4):
        KitFactory.create_batch(2, project=project)
    assert [count_queries(client, url) for url in urls] == few
    assert few[2] == 2  # the GeoJSON: the filter form's departments, then the points
