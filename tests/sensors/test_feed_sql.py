"""The map feed written by PostgreSQL in one query is the feed Python writes from the rows (the
embedded default's way): the same features, properties, rounding and grid points, with a fixed
number of queries whatever the number of kits."""

import datetime as dt
import gzip
import json
import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sensors import feeds
from sensors.models import Kit, Project
from sensors.services import public_location
from tests.sensors.factories import (
    DatastreamFactory,
    KitFactory,
    ObservedPropertyFactory,
    ProjectFactory,
    SensorFactory,
)

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="the feed is written by PostgreSQL there only")

NOW = dt.datetime(2026, 3, 29, 1, 30, 0, 250_000, tzinfo=dt.UTC)
SCALE = [{"from": 0, "colour": "#50F0E6", "label": "Good"},
         {"from": 10, "colour": "#50CCAA", "label": "Fair"},
         {"from": 25, "colour": "#FF5050", "label": "Poor"}]


@pytest.fixture
def dust():
    return ObservedPropertyFactory(code="stof-sql", name="Dust", unit_symbol="µg/m³",
                                   valid_min=0, valid_max=900, scale=SCALE)


def placed_kit(n, **kwargs):
    lat, lon = f"52.53{n:02d}67", f"6.05{n:02d}34"
    public_lat, public_lon = public_location(lat, lon)
    return KitFactory(latitude=Decimal(lat), longitude=Decimal(lon),
                      public_latitude=public_lat, public_longitude=public_lon, **kwargs)


def stream(kit, quantity, value, age=dt.timedelta(minutes=5), **kwargs):
    return DatastreamFactory(kit=kit, observed_property=quantity, last_result=value,
                             last_time=None if value is None else NOW - age, **kwargs)


def both(quantity, project_slug=""):
    """The document as PostgreSQL writes it and as Python writes it, parsed."""
    built = {}
    for in_database in (True, False):
        body = feeds.map_feed_build(quantity=quantity, project_slug=project_slug, now=NOW,
                                    in_database=in_database)
        built[in_database] = (body, json.loads(body))
    return built[True], built[False]


@pytest.fixture
def varied(dust):
    """Kits that exercise every property: ties in rounding, values out of range, stale and
    missing values, names that need escaping, two sensors on one kit, two projects, indoors;
    and kits that must not appear (stopped, no location, calibrated streams)."""
    other = ProjectFactory(name='Project "Noord" & Zuid', offline_after_hours=2)
    values = [2.675, 1013.255, 12.345, 1.0049999999999999, 0.1 + 0.2, 7.0, 9.996, 24.994,
              25.0, 0.004, 1e15 + 0.3]
    for n, value in enumerate(values):
        stream(placed_kit(n, name=f"Kit {n}"), dust, value,
               age=dt.timedelta(minutes=n * 7, seconds=n, microseconds=n * 1000))
    stream(placed_kit(20, name='Tuin "De Ster" \\ </script>\n\u2028 🌳 é\x01'), dust, -4.125)
    stream(placed_kit(21, name="Te hoog", indoor=True), dust, 950.0)
    stream(placed_kit(22, name="Stil", project=other), dust, 8.0, age=dt.timedelta(hours=2))
    stream(placed_kit(23, name="Net op tijd", project=other), dust, 8.0,
           age=dt.timedelta(hours=1, minutes=59, seconds=59))
    stream(placed_kit(24, name="Nog niets"), dust, None)
    stream(placed_kit(25, name="In de toekomst"), dust, 3.0, age=-dt.timedelta(minutes=3))
    twice = placed_kit(26, name="Twee sensoren")
    raw = stream(twice, dust, 11.0)
    stream(twice, dust, 12.0, sensor=SensorFactory(code="pms-sql", name="PMS"))
    stream(twice, dust, 99.0, calibrated_from=raw, sensor=SensorFactory(code="kal", name="K"))
    stream(placed_kit(27, name="Gestopt", state=Kit.State.STOPPED), dust, 8.0)
    stream(KitFactory(name="Zonder locatie"), dust, 8.0)
    return other


@postgresql_only
def test_postgresql_writes_the_same_feed_as_python(dust, varied):
    (_sql_body, sql), (_python_body, python) = both(dust)

    assert len(sql["features"]) == 19
    assert sql == python


@postgresql_only
def test_the_same_feed_for_one_project_and_without_a_colour_scale(dust, varied):
    (_body, sql), (_body2, python) = both(dust, project_slug=varied.slug)
    assert [f["properties"]["name"] for f in sql["features"]] == ["Stil", "Net op tijd"]
    assert sql == python

    plain = ObservedPropertyFactory(code="kaal-sql", unit_symbol="°C", scale=[])
    stream(placed_kit(40, name="Thermometer"), plain, -3.5)
    (_body, sql), (_body2, python) = both(plain)
    assert sql["features"][0]["properties"]["class"] is None
    assert sql == python


@postgresql_only
def test_values_are_rounded_half_away_from_zero_in_both(dust, varied):
    for (_body, document) in both(dust):
        values = {f["properties"]["name"]: f["properties"]["value"]
                  for f in document["features"]}
        assert (values["Kit 0"], values["Kit 1"], values["Kit 2"]) == (2.68, 1013.26, 12.35)
        assert (values["Kit 3"], values["Kit 6"], values["Kit 9"]) == (1.0, 10.0, 0.0)
        assert values['Tuin "De Ster" \\ </script>\n\u2028 🌳 é\x01'] == -4.13


@postgresql_only
def test_colour_class_staleness_and_plausibility_are_the_same(dust, varied):
    (_body, sql), _python = both(dust)
    by_name = {f["properties"]["name"]: f["properties"] for f in sql["features"]}

    assert [by_name[f"Kit {n}"]["class"] for n in (5, 6, 7, 8)] == [0, 1, 1, 2]
    assert (by_name["Te hoog"]["plausible"], by_name["Te hoog"]["class"]) == (False, None)
    assert by_name["Stil"]["stale"] is True
    assert by_name["Net op tijd"]["stale"] is False
    assert by_name["Net op tijd"]["age_minutes"] == 119
    assert by_name["In de toekomst"]["age_minutes"] == 0
    assert by_name["Nog niets"] | {"url": None} == {
        "name": "Nog niets", "url": None, "project": by_name["Nog niets"]["project"],
        "sensor": "SDS011", "indoor": False, "value": None, "unit": "µg/m³", "time": None,
        "age_minutes": None, "stale": True, "plausible": True, "class": None}
    assert by_name["Kit 1"]["time"] == "2026-03-29T01:22:59Z"  # 7 min 1.001 s before NOW


@postgresql_only
def test_the_database_puts_the_grid_point_and_never_the_home_in_the_feed(dust, varied):
    (body, sql), _python = both(dust)

    kits = {kit.name: kit for kit in Kit.objects.all()}
    for feature in sql["features"]:
        kit = kits[feature["properties"]["name"]]
        assert feature["geometry"]["coordinates"] == [float(kit.public_longitude),
                                                      float(kit.public_latitude)]
        assert feature["geometry"]["coordinates"] != [float(kit.longitude), float(kit.latitude)]
    for kit in kits.values():
        for exact in (kit.latitude, kit.longitude):
            if exact is not None:
                assert str(exact).encode() not in body


@postgresql_only
def test_a_second_sensor_on_a_kit_gets_its_own_id_in_both(dust, varied):
    (_body, sql), _python = both(dust)
    kit = Kit.objects.get(name="Twee sensoren")

    ids = [f["id"] for f in sql["features"] if f["properties"]["name"] == "Twee sensoren"]
    assert ids == [str(kit.public_id), f"{kit.public_id}/PMS"]


def test_an_empty_feed_is_a_valid_feature_collection(dust):
    document = json.loads(feeds.map_feed_build(quantity=dust, now=NOW))

    assert (document["features"], document["projects"]) == ([], {})
    assert document["generated"] == "2026-03-29T01:30:00Z"


def test_feed_round_rounds_halves_away_from_zero():
    assert feeds.feed_round(12.345) == 12.35
    assert feeds.feed_round(2.675) == 2.68            # Python's round() gives 2.67
    assert feeds.feed_round(-4.125) == -4.13          # and -4.12
    assert feeds.feed_round(0.005) == 0.01
    assert feeds.feed_round(1.0049999999999999) == 1.0
    assert feeds.feed_round(-0.001) == 0.0
    assert feeds.feed_round(1e300) == 1e300
    assert feeds.feed_round(math.inf) == math.inf


def _bulk_kits(project, quantity, count):
    sensor = SensorFactory()
    for n in range(count):
        stream(placed_kit(n % 90, project=project, name=f"Kit {n}"), quantity,
               float(n), sensor=sensor)


@pytest.mark.parametrize("compressed", [False, True])
def test_a_cold_feed_costs_the_same_queries_for_5_and_50_kits(client, dust, compressed):
    headers = {"HTTP_ACCEPT_ENCODING": "gzip"} if compressed else {}
    counts = {}
    for kits in (5, 50):
        project = ProjectFactory()
        _bulk_kits(project, dust, kits)
        feeds.map_feed_invalidate()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("sensors:map_data"),
                                  {"quantity": dust.code, "project": project.slug}, **headers)
        body = gzip.decompress(response.content) if compressed else response.content
        assert len(json.loads(body)["features"]) == kits
        counts[kits] = len(queries.captured_queries)

    assert counts[5] == counts[50] <= 3  # quantity, project, the feed


def test_each_form_is_built_when_first_asked_for_and_then_served_from_the_cache(client, dust):
    stream(placed_kit(1, name="Eerst"), dust, 3.0)
    url = reverse("sensors:map_data")
    plain = client.get(url, {"quantity": dust.code})
    packed = client.get(url, {"quantity": dust.code}, HTTP_ACCEPT_ENCODING="gzip")
    assert json.loads(gzip.decompress(packed.content))["features"] == json.loads(
        plain.content)["features"]

    Project.objects.update(name="Later")  # not seen until the cache expires or is invalidated
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, {"quantity": dust.code}, HTTP_ACCEPT_ENCODING="gzip")
    assert again.content == packed.content
    assert again["ETag"] == packed["ETag"]
    assert len(queries.captured_queries) == 1  # the quantity only
