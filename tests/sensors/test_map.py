"""The public map: its GeoJSON feed (latest value per public kit, grid points only, cached)
and the map page with its legend and list alternative."""

import datetime as dt
import gzip
import json
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from sensors import feeds
from sensors.models import Datastream, Kit
from sensors.services import public_location
from tests.sensors.factories import (
    DatastreamFactory,
    KitFactory,
    ObservedPropertyFactory,
    ProjectFactory,
    SensorFactory,
)

pytestmark = pytest.mark.django_db

# An exact home location with digits that the 100 m grid never produces.
EXACT_LAT, EXACT_LON = "52.534567", "6.051234"
SCALE = [{"from": 0, "colour": "#50F0E6", "label": "Good"},
         {"from": 10, "colour": "#50CCAA", "label": "Fair"},
         {"from": 20, "colour": "#F0E641", "label": "Moderate"},
         {"from": 25, "colour": "#FF5050", "label": "Poor"},
         {"from": 50, "colour": "#960032", "label": "Very poor"},
         {"from": 75, "colour": "#7D2181", "label": "Extremely poor"}]


@pytest.fixture
def dust():
    return ObservedPropertyFactory(code="fijnstof-test", name="Fine dust", unit_symbol="µg/m³",
                                   valid_min=0, valid_max=900, scale=SCALE)


def placed_kit(lat=EXACT_LAT, lon=EXACT_LON, **kwargs):
    public_lat, public_lon = public_location(lat, lon)
    return KitFactory(latitude=Decimal(lat), longitude=Decimal(lon),
                      public_latitude=public_lat, public_longitude=public_lon, **kwargs)


def stream(kit, quantity, value, minutes_ago=5, **kwargs):
    time = timezone.now() - dt.timedelta(minutes=minutes_ago) if value is not None else None
    return DatastreamFactory(kit=kit, observed_property=quantity, last_result=value,
                             last_time=time, **kwargs)


def feed(client, **params):
    response = client.get(reverse("sensors:map_data"), params)
    assert response.status_code == 200, response.content
    return response, json.loads(response.content)


# --- the feed ---------------------------------------------------------------------------------


def test_the_feed_is_geojson_of_the_latest_value_at_the_public_point(client, dust):
    kit = placed_kit(name="Tuin Van Dam")
    stream(kit, dust, 12.345, minutes_ago=12)

    response, data = feed(client, quantity=dust.code)

    assert response["Content-Type"].startswith("application/geo+json")
    assert "max-age=60" in response["Cache-Control"]
    assert response["ETag"]
    assert data["type"] == "FeatureCollection"
    assert data["quantity"]["code"] == dust.code
    assert data["quantity"]["unit"] == "µg/m³"
    assert [band["colour"] for band in data["classes"]][:2] == ["#50F0E6", "#50CCAA"]
    [feature] = data["features"]
    assert feature["geometry"] == {
        "type": "Point",
        "coordinates": [float(kit.public_longitude), float(kit.public_latitude)],
    }
    properties = feature["properties"]
    assert properties["name"] == "Tuin Van Dam"
    assert properties["url"] == reverse("sensors:kit_public",
                                        kwargs={"public_id": kit.public_id})
    assert properties["project"] == kit.project.slug
    assert data["projects"] == {kit.project.slug: kit.project.name}
    assert feature["id"] == str(kit.public_id)
    assert properties["value"] == 12.35
    assert properties["unit"] == "µg/m³"
    assert properties["age_minutes"] in (12, 13)
    assert properties["time"].endswith("Z")
    assert (properties["stale"], properties["plausible"], properties["class"]) == (False, True, 1)


def test_names_people_typed_are_valid_json_in_the_feed(client, dust):
    name = 'Tuin "De Ster" \\ </script>\n\u2028 🌳 é'
    stream(placed_kit(name=name), dust, 3.0)

    _response, data = feed(client, quantity=dust.code)

    assert data["features"][0]["properties"]["name"] == name


def test_only_public_kits_and_raw_datastreams_are_in_the_feed(client, dust):
    shown = placed_kit(name="Op de kaart")
    raw = stream(shown, dust, 8.0)
    stream(shown, dust, 99.0, calibrated_from=raw, sensor=SensorFactory(code="kal", name="K"))
    stream(placed_kit(name="Gestopt", state=Kit.State.STOPPED), dust, 8.0)
    stream(placed_kit(name="Niet geclaimd", state=Kit.State.UNCLAIMED, owner=None), dust, 8.0)
    stream(KitFactory(name="Zonder locatie"), dust, 8.0)
    stream(placed_kit(name="Meet iets anders"), ObservedPropertyFactory(code="temp-x"), 8.0)

    _response, data = feed(client, quantity=dust.code)

    assert [f["properties"]["name"] for f in data["features"]] == ["Op de kaart"]
    assert data["features"][0]["properties"]["value"] == 8.0


def test_the_exact_location_appears_nowhere_in_the_feed(client, dust):
    for index in range(3):
        stream(placed_kit(lat=f"52.53{index}567", lon=f"6.05{index}234"), dust, 5.0)

    response, _data = feed(client, quantity=dust.code)

    body = response.content
    for kit in Kit.objects.all():
        for value in (kit.latitude, kit.longitude):
            text = str(value)
            assert text.encode() not in body
            assert text[:-1].encode() not in body  # not even rounded to 5 decimals
        assert str(kit.public_latitude).rstrip("0").encode() in body


def test_a_value_older_than_the_projects_offline_hours_is_stale(client, dust):
    project = ProjectFactory(offline_after_hours=6)
    stream(placed_kit(project=project, name="Vers"), dust, 4.0, minutes_ago=5 * 60)
    stream(placed_kit(project=project, name="Oud"), dust, 4.0, minutes_ago=7 * 60)
    stream(placed_kit(project=project, name="Nooit"), dust, None)

    _response, data = feed(client, quantity=dust.code)

    by_name = {f["properties"]["name"]: f["properties"] for f in data["features"]}
    assert by_name["Vers"]["stale"] is False
    assert by_name["Oud"]["stale"] is True
    assert by_name["Oud"]["age_minutes"] == 420
    assert by_name["Nooit"] == {**by_name["Nooit"], "value": None, "time": None,
                                "stale": True, "class": None}


@pytest.mark.parametrize(("value", "expected"), [
    (0.0, 0), (9.99, 0), (10.0, 1), (24.9, 2), (25.0, 3), (60.0, 4), (75.0, 5), (400.0, 5),
])
def test_colour_classes_follow_the_scale(client, dust, value, expected):
    stream(placed_kit(), dust, value)

    _response, data = feed(client, quantity=dust.code)

    assert data["features"][0]["properties"]["class"] == expected


def test_an_implausible_value_gets_no_colour(client, dust):
    stream(placed_kit(), dust, 1234.0)

    _response, data = feed(client, quantity=dust.code)

    properties = data["features"][0]["properties"]
    assert (properties["value"], properties["plausible"], properties["class"]) == (
        1234.0, False, None)


@pytest.mark.parametrize(("scale", "uppers"), [
    ([5, 15, 25], [5, 15, 25, None]),
    ([{"max": 5, "label": "good"}, {"max": 15}, {"label": "bad"}], [5, 15, None]),
    ([{"min": 0}, {"min": 5}], [5, None]),
    ({"breakpoints": [1, 2], "labels": ["a", "b", "c"]}, [1, 2, None]),
    ([], None), ([3, 1], None), ("nonsense", None), ([{"label": "no bounds"}], None),
])
def test_colour_scales_are_read_leniently(scale, uppers):
    classes = feeds.colour_classes(scale)

    if uppers is None:
        assert classes == []
    else:
        assert [band.upper for band in classes] == uppers
        assert all(band.colour.startswith("#") and band.text in ("#000000", "#ffffff")
                   for band in classes)


def test_marker_text_is_black_or_white_whichever_contrasts_more():
    assert feeds.text_colour("#F0E641") == "#000000"
    assert feeds.text_colour("#7D2181") == "#ffffff"


def test_the_feed_filters_by_project(client, dust):
    mine, other = ProjectFactory(), ProjectFactory()
    stream(placed_kit(project=mine, name="A"), dust, 1.0)
    stream(placed_kit(project=other, name="B"), dust, 1.0)

    _response, data = feed(client, quantity=dust.code, project=mine.slug)

    assert [f["properties"]["name"] for f in data["features"]] == ["A"]


def test_unknown_quantity_or_project_is_a_clear_400(client, dust):
    response = client.get(reverse("sensors:map_data"), {"quantity": "onzin"})
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_quantity"

    response = client.get(reverse("sensors:map_data"), {"quantity": dust.code,
                                                        "project": "bestaat-niet"})
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_project"


def _bulk_kits(project, quantity, count):
    sensor = SensorFactory()
    now = timezone.now()
    kits = Kit.objects.bulk_create(
        Kit(project=project, device_id=f"esp8266-{project.pk}{n:05d}", name=f"Kit {n}",
            state=Kit.State.ACTIVE, public_latitude=Decimal("52.530450"),
            public_longitude=Decimal("6.050740") + Decimal(n) / 1000)
        for n in range(count)
    )
    kits = Kit.objects.filter(project=project)
    Datastream.objects.bulk_create(
        Datastream(kit=kit, observed_property=quantity, sensor=sensor, name=kit.name,
                   last_result=float(n % 80), last_time=now - dt.timedelta(minutes=n))
        for n, kit in enumerate(kits)
    )


@pytest.mark.parametrize("count", [3, 300])
def test_the_feed_costs_at_most_three_queries_whatever_the_number_of_kits(
        client, dust, count, django_assert_num_queries):
    project = ProjectFactory()
    _bulk_kits(project, dust, count)

    with django_assert_num_queries(3):  # quantity, project, feed
        response = client.get(reverse("sensors:map_data"),
                              {"quantity": dust.code, "project": project.slug})

    assert len(json.loads(response.content)["features"]) == count
    with django_assert_num_queries(2):  # cached: quantity and project only
        client.get(reverse("sensors:map_data"), {"quantity": dust.code,
                                                 "project": project.slug})


def test_the_feed_is_cached_and_invalidated_when_kits_change(client, dust):
    kit = placed_kit(name="Eerst")
    datastream = stream(kit, dust, 3.0)
    _response, first = feed(client, quantity=dust.code)

    Datastream.objects.filter(pk=datastream.pk).update(last_result=30.0)
    _response, cached = feed(client, quantity=dust.code)
    assert cached["features"][0]["properties"]["value"] == 3.0  # up to a minute old

    Kit.objects.filter(pk=kit.pk).update(state=Kit.State.STOPPED)
    feeds.map_feed_invalidate()
    _response, fresh = feed(client, quantity=dust.code)
    assert fresh["features"] == []


def test_the_feed_is_sent_compressed_when_the_client_accepts_it(client, dust):
    stream(placed_kit(name="Ingepakt"), dust, 3.0)

    response = client.get(reverse("sensors:map_data"), {"quantity": dust.code},
                          HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert response["Content-Encoding"] == "gzip"
    assert response["ETag"].endswith('-gz"')
    assert "Accept-Encoding" in response["Vary"]
    data = json.loads(gzip.decompress(response.content))
    assert data["features"][0]["properties"]["name"] == "Ingepakt"


def test_two_sensors_of_one_quantity_on_one_kit_are_two_features(client, dust):
    kit = placed_kit()
    stream(kit, dust, 3.0)
    stream(kit, dust, 4.0, sensor=SensorFactory(code="pms5003", name="PMS5003"))

    _response, data = feed(client, quantity=dust.code)

    ids = sorted(feature["id"] for feature in data["features"])
    assert len(set(ids)) == 2
    assert str(kit.public_id) in ids


def test_an_unchanged_feed_answers_304(client, dust):
    stream(placed_kit(), dust, 3.0)
    response, _data = feed(client, quantity=dust.code)

    again = client.get(reverse("sensors:map_data"), {"quantity": dust.code},
                       HTTP_IF_NONE_MATCH=response["ETag"])

    assert again.status_code == 304


def test_invalidating_works_with_an_empty_cache():
    cache.clear()
    feeds.map_feed_invalidate()
    feeds.map_feed_invalidate()

    assert cache.get("sensors:mapfeed:generation")


# --- the map page -----------------------------------------------------------------------------


def test_the_map_page_has_the_map_legend_with_unit_and_the_list(client, dust):
    kit = placed_kit(name="Tuin Van Dam")
    stream(kit, dust, 12.3)
    stream(placed_kit(name="Balkon"), ObservedPropertyFactory(code="temp-y", name="Warmte",
                                                              unit_symbol="°C"), 21.0)

    response = client.get(reverse("sensors:map"), {"quantity": dust.code})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-sensors-map="collection"' in html
    assert reverse("sensors:map_data") + f"?quantity={dust.code}" in html
    assert 'href="#map-list"' in html  # skip link
    assert 'data-testid="quantity-select"' in html
    assert "Warmte" in html
    legend = html[html.index('data-testid="map-legend"'):html.index('id="map-list"')]
    assert re.search(r"0 \w+ 10 µg/m³", legend)  # "0 to 10 µg/m³", translated
    assert re.search(r"75 µg/m³ \w+", legend)  # "75 µg/m³ or more"
    assert "#50CCAA" in legend  # the scale's own colours, as SVG fill attributes
    table = html[html.index('data-testid="map-list"'):]
    assert "Tuin Van Dam" in table
    assert "12,3" in table
    assert "Balkon" not in table
    assert EXACT_LAT not in html
    assert EXACT_LON not in html
    assert "vendor/leaflet-markercluster/leaflet.markercluster.js" in html


def test_the_list_is_sortable_and_paginated(client, dust, django_assert_max_num_queries):
    project = ProjectFactory()
    _bulk_kits(project, dust, 60)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("sensors:map"), {"quantity": dust.code,
                                                       "sort": "-value"})

    rows = response.context["rows"]
    assert len(rows) == 50
    assert response.context["paginator"].num_pages == 2
    values = [row["value"] for row in rows]
    assert values == sorted(values, reverse=True)
    html = response.content.decode()
    assert 'aria-sort="descending"' in html
    assert "page=2" in html

    response = client.get(reverse("sensors:map"), {"quantity": dust.code, "sort": "time",
                                                   "page": "2"})
    assert len(response.context["rows"]) == 10


def test_the_map_page_without_sensors_says_so(client):
    response = client.get(reverse("sensors:map"))

    assert response.status_code == 200
    assert 'data-testid="empty-state"' in response.content.decode()


def test_the_map_page_ignores_nonsense_parameters(client, dust):
    stream(placed_kit(), dust, 2.0)

    response = client.get(reverse("sensors:map"), {"quantity": "<script>", "sort": "drop",
                                                   "page": "x", "project": "nee"})

    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1].split(
        "</main>")[0]


def test_the_public_pages_answer_get_only(client):
    for name in ("sensors:map", "sensors:map_data", "sensors:open_data_help"):
        assert client.post(reverse(name)).status_code == 405
