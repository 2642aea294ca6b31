"""SensorThings API v1.1 (/sta/v1.1/): entity sets, single entities, navigation, property paths,
paging, $select/$expand/$orderby/$top/$skip/$count, dataArray, privacy and query counts.

The `network` fixture (also used by the other test_sta_* files) is a small #SensHagen: two
projects, three public kits, a stopped and an unclaimed kit that must stay invisible.
"""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from sensors.models import Kit, KitLocation, Observation, Quality, Sensor
from sensors.services import Reading, observations_store, public_location
from tests.sensors.factories import (
    DatastreamFactory,
    KitFactory,
    ObservedPropertyFactory,
    ProjectFactory,
    SensorFactory,
)

pytestmark = pytest.mark.django_db

STA = "/sta/v1.1/"
# In the past, so that now() in a $filter is after every reading of the fixture.
NOW = dt.datetime(2025, 11, 23, 12, 0, tzinfo=dt.UTC)
HOURS = 6
EXACT = {"home": ("52.530123", "6.061234"), "second": ("52.541777", "6.072555"),
         "third": ("52.523456", "6.045678")}


@dataclass
class Network:
    senshagen: object
    zuid: object
    pm25: object
    temperature: object
    home: Kit
    second: Kit
    third: Kit
    stopped: Kit
    unclaimed: Kit
    streams: dict  # (kit name, quantity code) -> Datastream


def _place(kit: Kit, key: str) -> None:
    lat, lon = EXACT[key]
    kit.latitude, kit.longitude = Decimal(lat), Decimal(lon)
    kit.public_latitude, kit.public_longitude = public_location(lat, lon)
    kit.save()
    KitLocation.objects.create(kit=kit, time=NOW - dt.timedelta(days=30),
                               public_latitude=kit.public_latitude,
                               public_longitude=kit.public_longitude)


@pytest.fixture
def network(db):
    return build_network()


def build_network() -> Network:
    senshagen = ProjectFactory(slug="senshagen", name="#SensHagen – Stadshagen",
                               summary="Bewoners meten fijnstof in Stadshagen.")
    zuid = ProjectFactory(slug="zwolle-zuid", name="Zwolle-Zuid meet")
    # the reference rows of migration 0003 (the factory gets or creates them by code)
    pm25 = ObservedPropertyFactory(code="pm25")
    temperature = ObservedPropertyFactory(code="temperature")
    sds, bme = SensorFactory(code="sds011", name="SDS011"), SensorFactory(code="bme280",
                                                                             name="BME280")
    home = KitFactory(project=senshagen, name="ZWL Tuin Dorpsweg", device_id="esp8266-1001")
    second = KitFactory(project=senshagen, name="ZWL Balkon", device_id="esp8266-1002")
    third = KitFactory(project=zuid, name="Zuid Schuur", device_id="esp8266-1003", indoor=True)
    stopped = KitFactory(project=senshagen, name="Gestopt", device_id="esp8266-1004",
                         state=Kit.State.STOPPED)
    unclaimed = KitFactory(project=senshagen, name="Nog niet geclaimd", owner=None,
                           device_id="esp8266-1005", state=Kit.State.UNCLAIMED)
    for kit, key in ((home, "home"), (second, "second"), (third, "third"),
                     (stopped, "home")):
        _place(kit, key)
    streams = {}
    readings = []
    for index, kit in enumerate((home, second, third, stopped, unclaimed)):
        for quantity, sensor, base in ((pm25, sds, 10.0), (temperature, bme, 15.0)):
            stream = DatastreamFactory(kit=kit, observed_property=quantity, sensor=sensor,
                                       name=f"{quantity.name} van {kit.name}")
            streams[(kit.name, quantity.code)] = stream
            for hour in range(HOURS):
                readings.append(Reading(stream.pk, NOW - dt.timedelta(hours=HOURS - 1 - hour),
                                        base + index + hour))
    observations_store(readings, now=NOW)
    return Network(senshagen, zuid, pm25, temperature, home, second, third, stopped, unclaimed,
                   streams)


def get(client, path, status=200, **params):
    response = client.get(STA + path, params)
    assert response.status_code == status, response.content
    if status == 204:
        return None
    return response.json()


def ids(payload):
    return [entity["@iot.id"] for entity in payload["value"]]


def public_streams(network):
    return [stream for (name, _code), stream in network.streams.items()
            if name in (network.home.name, network.second.name, network.third.name)]


# --- service root and entity sets ----------------------------------------------------------------


def test_service_root_lists_the_entity_sets_and_the_conformance_classes(client):
    root = get(client, "")

    names = {item["name"]: item["url"] for item in root["value"]}
    assert set(names) == {"Things", "Locations", "HistoricalLocations", "Datastreams",
                          "Sensors", "ObservedProperties", "Observations", "FeaturesOfInterest"}
    assert names["Things"] == "http://testserver/sta/v1.1/Things"
    conformance = root["serverSettings"]["conformance"]
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data" in conformance
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array" in conformance


def test_things_are_the_active_kits_only(client, network):
    things = get(client, "Things")

    assert ids(things) == [network.home.pk, network.second.pk, network.third.pk]
    thing = things["value"][0]
    assert thing["@iot.selfLink"] == f"http://testserver/sta/v1.1/Things({network.home.pk})"
    assert thing["name"] == "ZWL Tuin Dorpsweg"
    assert thing["description"] == "Bewoners meten fijnstof in Stadshagen."
    assert thing["properties"]["project"] == "senshagen"
    assert thing["properties"]["indoor"] is False
    assert thing["properties"]["licence"] == "CC-BY-4.0"
    for nav in ("Locations", "HistoricalLocations", "Datastreams"):
        assert thing[f"{nav}@iot.navigationLink"] == (
            f"http://testserver/sta/v1.1/Things({network.home.pk})/{nav}")
    get(client, f"Things({network.stopped.pk})", status=404)
    get(client, f"Things({network.unclaimed.pk})", status=404)


@pytest.mark.parametrize("entity_set", ["Things", "Locations", "HistoricalLocations",
                                        "Datastreams", "Sensors", "ObservedProperties",
                                        "Observations", "FeaturesOfInterest"])
def test_every_entity_set_lists_and_every_entity_reads_alone(client, network, entity_set):
    listed = get(client, entity_set)

    assert listed["value"], entity_set
    for entity in listed["value"][:3]:
        path = urlsplit(entity["@iot.selfLink"]).path
        assert get(client, path.removeprefix(STA)) == entity
        for key, link in entity.items():
            if key.endswith("@iot.navigationLink"):
                response = client.get(urlsplit(link).path)
                assert response.status_code == 200, (key, response.content)


def test_navigation_from_a_thing_to_its_datastreams_and_their_observations(client, network):
    stream = network.streams[(network.home.name, "pm25")]

    datastreams = get(client, f"Things({network.home.pk})/Datastreams")
    observations = get(client, f"Datastreams({stream.pk})/Observations")

    assert sorted(ids(datastreams)) == sorted(
        s.pk for (name, _c), s in network.streams.items() if name == network.home.name)
    assert len(observations["value"]) == HOURS
    assert {o["result"] for o in observations["value"]} == {10.0 + h for h in range(HOURS)}
    assert get(client, f"Datastreams({stream.pk})/Thing")["@iot.id"] == network.home.pk
    assert get(client, f"Datastreams({stream.pk})/Sensor")["name"] == "SDS011"
    assert get(client, f"Datastreams({stream.pk})/ObservedProperty")["name"] == (
        network.pm25.name)
    observation = observations["value"][0]
    assert get(client, f"Observations({observation['@iot.id']})/Datastream")["@iot.id"] == (
        stream.pk)
    assert get(client, f"Observations({observation['@iot.id']})/Datastream/Thing")[
        "@iot.id"] == network.home.pk
    get(client, f"Things({network.stopped.pk})/Datastreams", status=404)
    hidden = network.streams[(network.stopped.name, "pm25")]
    get(client, f"Datastreams({hidden.pk})/Observations", status=404)
    assert get(client, f"Things({network.home.pk})/Datastreams({stream.pk})")["@iot.id"] == (
        stream.pk)
    get(client, f"Things({network.second.pk})/Datastreams({stream.pk})", status=404)


def test_a_datastream_carries_its_unit_and_phenomenon_time_interval(client, network):
    stream = network.streams[(network.third.name, "temperature")]

    datastream = get(client, f"Datastreams({stream.pk})")

    quantity = network.temperature
    assert datastream["unitOfMeasurement"] == {"name": quantity.unit_name, "symbol": "°C",
                                               "definition": quantity.unit_definition}
    assert datastream["observationType"].endswith("OM_Measurement")
    first = NOW - dt.timedelta(hours=HOURS - 1)
    assert datastream["phenomenonTime"] == (
        f"{first:%Y-%m-%dT%H:%M:%S}Z/{NOW:%Y-%m-%dT%H:%M:%S}Z")


def test_observations_carry_phenomenon_time_result_and_quality(client, network):
    stream = network.streams[(network.home.name, "pm25")]
    observations_store([Reading(stream.pk, NOW + dt.timedelta(minutes=1) - dt.timedelta(
        days=1), 5000.0)], now=NOW)

    flagged = get(client, f"Datastreams({stream.pk})/Observations",
                  **{"$filter": "result gt 1000"})["value"]
    plain = get(client, f"Datastreams({stream.pk})/Observations",
                **{"$filter": "result eq 10"})["value"]

    assert flagged[0]["resultQuality"] == ["out_of_range"]
    clean = get(client, f"Datastreams({stream.pk})/Observations",
                **{"$filter": "resultQuality eq null", "$count": "true"})
    remarks = get(client, f"Datastreams({stream.pk})/Observations",
                  **{"$filter": "resultQuality ne null"})["value"]
    assert clean["@iot.count"] == HOURS
    assert [o["result"] for o in remarks] == [5000.0]
    get(client, "Observations", status=400, **{"$filter": "resultQuality eq 'spike'"})
    assert plain[0]["resultQuality"] is None
    assert plain[0]["phenomenonTime"] == f"{NOW - dt.timedelta(hours=HOURS - 1):%Y-%m-%dT%H}" \
                                         ":00:00Z"
    assert set(plain[0]) >= {"@iot.id", "@iot.selfLink", "phenomenonTime", "result",
                             "resultTime", "resultQuality", "Datastream@iot.navigationLink",
                             "FeatureOfInterest@iot.navigationLink"}
    assert Quality.OUT_OF_RANGE.name.lower() == "out_of_range"


def test_the_feature_of_interest_is_derived_from_the_kits_public_location(client, network):
    observation = Observation.objects.filter(
        datastream=network.streams[(network.second.name, "pm25")]).first()

    feature = get(client, f"Observations({observation.pk})/FeatureOfInterest")
    observations = get(client, f"FeaturesOfInterest({network.second.pk})/Observations",
                       **{"$count": "true"})

    assert feature["@iot.id"] == network.second.pk
    assert feature["encodingType"] == "application/geo+json"
    assert feature["feature"]["coordinates"] == [float(network.second.public_longitude),
                                                 float(network.second.public_latitude)]
    assert observations["@iot.count"] == 2 * HOURS


def test_locations_and_historical_locations_show_the_public_grid_point(client, network):
    location = get(client, f"Things({network.home.pk})/Locations")["value"][0]
    history = get(client, f"Things({network.home.pk})/HistoricalLocations")["value"]

    assert location["@iot.id"] == network.home.pk
    assert location["location"] == {"type": "Point", "coordinates": [
        float(network.home.public_longitude), float(network.home.public_latitude)]}
    assert len(history) == 1
    assert get(client, f"HistoricalLocations({history[0]['@iot.id']})/Thing")["@iot.id"] == (
        network.home.pk)
    assert ids(get(client, f"HistoricalLocations({history[0]['@iot.id']})/Locations")) == [
        network.home.pk]
    assert ids(get(client, f"Locations({network.home.pk})/Things")) == [network.home.pk]


def test_the_exact_home_location_is_in_no_response(client, network):
    stream = network.streams[(network.home.name, "pm25")]
    paths = [
        ("Things", {"$expand": "Locations,HistoricalLocations($expand=Locations),Datastreams"}),
        ("Locations", {}), ("HistoricalLocations", {}), ("FeaturesOfInterest", {}),
        (f"Things({network.home.pk})", {"$expand": "Locations"}),
        (f"Things({network.home.pk})/Locations", {}),
        (f"Datastreams({stream.pk})/Observations", {"$expand": "FeatureOfInterest"}),
        (f"Things({network.home.pk})/properties", {}),
    ]
    exact = [part for lat, lon in EXACT.values() for part in (lat, lon)]
    exact += [str(float(v)) for v in exact]
    for path, params in paths:
        body = client.get(STA + path, params).content.decode()
        for value in exact:
            assert value not in body, (path, value)
    # nor can $filter or $orderby probe it
    for option in ({"$filter": "latitude gt 52"}, {"$orderby": "longitude"},
                   {"$filter": "properties/latitude gt 52"}):
        error = get(client, "Things", status=400, **option)
        assert error["type"] == "error"


def test_property_paths_and_value(client, network):
    thing = f"Things({network.home.pk})"

    assert get(client, f"{thing}/properties")["properties"]["project"] == "senshagen"
    assert get(client, f"{thing}/properties/project") == {"project": "senshagen"}
    assert get(client, f"{thing}/name") == {"name": "ZWL Tuin Dorpsweg"}
    response = client.get(f"{STA}{thing}/properties/project/$value")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "senshagen"
    assert client.get(f"{STA}{thing}/name/$value").content.decode() == "ZWL Tuin Dorpsweg"
    get(client, f"{thing}/properties/nothere", status=404)
    get(client, f"{thing}/nothere", status=404)


def test_ref_lists_only_self_links(client, network):
    refs = get(client, f"Things({network.home.pk})/Datastreams/$ref")

    assert all(set(item) == {"@iot.selfLink"} for item in refs["value"])
    assert len(refs["value"]) == 2


def test_the_answer_is_json_whatever_the_accept_header(client, network):
    response = client.get(STA + "Things", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["Nothing", "Things(abc)", "Things(999999)",
                                  "Things(99999999999999999999999)", "Things/Datastreams",
                                  "Observations(1)/Nope"])
def test_unknown_paths_are_a_json_404(client, network, path):
    error = get(client, path, status=404)

    assert error["code"] == 404
    assert error["type"] == "error"
    assert error["message"]


# --- query options ------------------------------------------------------------------------------


def test_top_skip_and_count(client, network):
    all_ids = ids(get(client, "Observations", **{"$top": "1000"}))

    page = get(client, "Observations", **{"$top": "5", "$skip": "3", "$count": "true"})

    assert page["@iot.count"] == len(all_ids) == 3 * 2 * HOURS
    assert ids(page) == all_ids[3:8]
    assert "@iot.count" not in get(client, "Observations", **{"$top": "1"})
    zero = get(client, "Observations", **{"$top": "0", "$count": "true"})
    assert zero["value"] == []
    assert zero["@iot.count"] == len(all_ids)
    assert "@iot.nextLink" not in zero


def test_following_next_links_gives_every_row_exactly_once(client, network):
    expected = sorted(ids(get(client, "Observations", **{"$top": "1000"})))
    seen = []
    url = STA + "Observations?$top=7&$orderby=result desc&$filter=result ge 11"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        payload = response.json()
        seen.extend(ids(payload))
        url = payload.get("@iot.nextLink")
        pages += 1
        assert pages < 50
    assert sorted(seen) == sorted(
        o.pk for o in Observation.objects.filter(
            result__gte=11, datastream__kit__state=Kit.State.ACTIVE))
    assert len(seen) == len(set(seen))
    assert set(seen) <= set(expected)
    assert pages > 2


def test_server_driven_paging_has_a_default_and_a_maximum(client, network):
    stream = network.streams[(network.home.name, "pm25")]
    observations_store([Reading(stream.pk, NOW - dt.timedelta(days=2, minutes=m), float(m))
                        for m in range(150)], now=NOW)

    default = get(client, "Observations")
    capped = get(client, "Observations", **{"$top": "20000"})

    assert len(default["value"]) == 100
    assert "$top=100" in default["@iot.nextLink"]
    assert "$skip=100" in default["@iot.nextLink"]
    assert len(capped["value"]) == 3 * 2 * HOURS + 150
    assert "@iot.nextLink" not in capped
    assert len(get(client, "Sensors", **{"$top": "5000"})["value"]) == Sensor.objects.count()


def test_next_link_keeps_the_other_options(client, network):
    page = get(client, "Observations", **{"$top": "2", "$filter": "result gt 12",
                                           "$select": "result", "$count": "true"})

    link = urlsplit(page["@iot.nextLink"])
    assert link.path == "/sta/v1.1/Observations"
    follow = client.get(page["@iot.nextLink"].removeprefix("http://testserver")).json()
    assert follow["@iot.count"] == page["@iot.count"]
    assert all(set(item) == {"result"} for item in follow["value"])
    assert all(item["result"] > 12 for item in follow["value"])


def test_select_returns_only_the_named_properties(client, network):
    things = get(client, "Things", **{"$select": "id,name"})

    assert things["value"][0] == {"@iot.id": network.home.pk, "name": network.home.name}
    with_links = get(client, "Things", **{"$select": "name,Datastreams"})
    assert set(with_links["value"][0]) == {"name", "Datastreams@iot.navigationLink"}
    error = get(client, "Things", status=400, **{"$select": "name,colour"})
    assert "colour" in error["message"]


def test_orderby_ascending_descending_and_on_a_navigation_path(client, network):
    stream = network.streams[(network.home.name, "pm25")]

    newest_first = get(client, f"Datastreams({stream.pk})/Observations",
                       **{"$orderby": "phenomenonTime desc"})["value"]
    by_name = get(client, "Datastreams", **{"$orderby": "Thing/name asc,name desc"})["value"]

    times = [o["phenomenonTime"] for o in newest_first]
    assert times == sorted(times, reverse=True)
    names = [d["name"] for d in by_name]
    kit_of = {d["@iot.id"]: d for d in by_name}
    assert len(kit_of) == 6
    assert names[0].endswith("Balkon")  # "ZWL Balkon" < "ZWL Tuin ..." < "Zuid Schuur"
    assert names[:2] == sorted(names[:2], reverse=True)


def test_expand_nested_with_select_top_and_orderby(client, network):
    things = get(client, "Things", **{
        "$filter": "properties/project eq 'senshagen'",
        "$expand": "Locations,Datastreams($select=name;$orderby=name;"
                   "$expand=Observations($top=1;$orderby=phenomenonTime desc;"
                   "$select=result,phenomenonTime))",
    })["value"]

    assert [t["@iot.id"] for t in things] == [network.home.pk, network.second.pk]
    home = things[0]
    assert home["Locations"][0]["@iot.id"] == network.home.pk
    datastreams = home["Datastreams"]
    assert [d["name"] for d in datastreams] == sorted(d["name"] for d in datastreams)
    for datastream in datastreams:
        assert set(datastream) == {"name", "Observations", "Observations@iot.nextLink"}
        assert len(datastream["Observations"]) == 1
        latest = datastream["Observations"][0]
        assert set(latest) == {"result", "phenomenonTime"}
        assert latest["phenomenonTime"] == f"{NOW:%Y-%m-%dT%H:%M:%S}Z"
    pm = next(d for d in datastreams if d["name"].startswith("PM2.5"))
    assert pm["Observations"][0]["result"] == 10.0 + HOURS - 1
    assert "$skip=1" in pm["Observations@iot.nextLink"]


def test_expand_of_a_to_one_navigation_and_the_slash_shorthand(client, network):
    stream = network.streams[(network.third.name, "pm25")]

    observations = get(client, f"Datastreams({stream.pk})/Observations", **{
        "$top": "2", "$expand": "Datastream($select=name),FeatureOfInterest"})["value"]
    things = get(client, "Things", **{"$expand": "Datastreams/ObservedProperty,"
                                                  "Datastreams/Sensor"})["value"]

    assert observations[0]["Datastream"] == {"name": stream.name}
    assert observations[0]["FeatureOfInterest"]["@iot.id"] == network.third.pk
    for datastream in things[0]["Datastreams"]:
        assert datastream["ObservedProperty"]["name"] in (network.pm25.name,
                                                          network.temperature.name)
        assert datastream["Sensor"]["name"] in ("SDS011", "BME280")


def test_expand_with_count_and_filter(client, network):
    things = get(client, "Things", **{
        "$expand": "Datastreams($count=true;$filter=ObservedProperty/properties/code eq 'pm25';"
                   "$expand=Observations($count=true;$top=2))"})["value"]

    for thing in things:
        assert thing["Datastreams@iot.count"] == 1
        (datastream,) = thing["Datastreams"]
        assert datastream["Observations@iot.count"] == HOURS
        assert len(datastream["Observations"]) == 2


def test_data_array_result_format(client, network):
    stream = network.streams[(network.home.name, "pm25")]

    payload = get(client, f"Datastreams({stream.pk})/Observations", **{
        "$select": "phenomenonTime,result", "$resultFormat": "dataArray",
        "$orderby": "phenomenonTime"})
    everything = get(client, "Observations", **{"$resultFormat": "dataArray", "$top": "1000"})

    (group,) = payload["value"]
    assert group["Datastream@iot.navigationLink"] == (
        f"http://testserver/sta/v1.1/Datastreams({stream.pk})")
    assert group["components"] == ["phenomenonTime", "result"]
    assert group["dataArray@iot.count"] == HOURS
    assert group["dataArray"][0] == [f"{NOW - dt.timedelta(hours=HOURS - 1):%Y-%m-%dT%H}"
                                     ":00:00Z", 10.0]
    assert len(everything["value"]) == 6
    assert everything["value"][0]["components"] == ["id", "phenomenonTime", "result",
                                                    "resultTime", "resultQuality"]
    get(client, "Things", status=400, **{"$resultFormat": "dataArray"})
    get(client, "Observations", status=400, **{"$resultFormat": "csv"})


@pytest.mark.parametrize("params", [
    {"$top": "-1"}, {"$top": "many"}, {"$skip": "x"}, {"$count": "yes"},
    {"$orderby": "colour desc"}, {"$expand": "Colours"}, {"$expand": "Datastreams($top=x)"},
    {"$select": ""}, {"$unknown": "1"}, {"$expand": "Datastreams($expand=Nope)"},
    {"$expand": "Datastreams(Thing)"}, {"$expand": "Datastreams($top=1"},
    {"$expand": "Datastreams(" * 7 + ")" * 7},
    {"$expand": "Datastreams/Thing/Datastreams/Thing/Datastreams/Thing"},
])
def test_bad_query_options_are_a_400_in_the_sta_shape(client, network, params):
    error = get(client, "Things", status=400, **params)

    assert error["code"] == 400
    assert error["type"] == "error"
    assert error["message"]


# --- query counts ---------------------------------------------------------------------------------


def overhead() -> int:
    """On PostgreSQL every read runs in a transaction with a statement timeout: in a test
    that is SAVEPOINT, SET LOCAL statement_timeout and RELEASE SAVEPOINT."""
    from django.db import connection

    return 3 if connection.vendor == "postgresql" else 0


def test_query_count_does_not_grow_with_top(client, network, django_assert_num_queries):
    extra = overhead()
    expand = {"$expand": "Locations,Datastreams($expand=Observations($top=2),Sensor,"
                         "ObservedProperty)", "$count": "true"}
    # things, count, locations, datastreams, observations, sensors, observed properties
    with django_assert_num_queries(7 + extra):
        small = get(client, "Things", **expand, **{"$top": "1"})
    with django_assert_num_queries(7 + extra):
        large = get(client, "Things", **expand, **{"$top": "100"})
    assert len(small["value"]) == 1
    assert len(large["value"]) == 3
    with django_assert_num_queries(1 + extra):
        get(client, "Observations", **{"$top": "1000"})
    # observation page, the datastreams' kits (for the feature), the features
    with django_assert_num_queries(3 + extra):
        get(client, "Observations", **{"$top": "1000", "$expand": "FeatureOfInterest"})
    stream = network.streams[(network.home.name, "pm25")]
    with django_assert_num_queries(2 + extra):  # the datastream, its page
        get(client, f"Datastreams({stream.pk})/Observations",
            **{"$orderby": "phenomenonTime desc", "$top": "1"})


def test_the_json_is_compact_enough_to_page_through_10000_observations(client, network):
    stream = network.streams[(network.home.name, "pm25")]
    start = NOW - dt.timedelta(days=30)
    observations_store([Reading(stream.pk, start + dt.timedelta(minutes=m), float(m % 50))
                        for m in range(10_500)], now=NOW)

    page = client.get(STA + f"Datastreams({stream.pk})/Observations",
                      {"$top": "20000", "$resultFormat": "dataArray",
                       "$select": "phenomenonTime,result"})

    body = json.loads(page.content)
    assert body["value"][0]["dataArray@iot.count"] == 10_000
    assert "$skip=10000" in body["@iot.nextLink"]


def test_the_latest_observation_of_a_datastream_comes_from_the_index(client, network):
    """`Datastreams(1)/Observations?$orderby=phenomenonTime desc&$top=1`: an index scan on
    (datastream, phenomenon_time), backwards, with no sort of the series."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stream = network.streams[(network.home.name, "pm25")]
    observations_store([Reading(stream.pk, NOW - dt.timedelta(days=1, minutes=m), 1.0)
                        for m in range(5000)], now=NOW)
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE sensors_observation")

    with CaptureQueriesContext(connection) as queries:
        latest = get(client, f"Datastreams({stream.pk})/Observations",
                     **{"$orderby": "phenomenonTime desc", "$top": "1"})

    assert latest["value"][0]["phenomenonTime"] == f"{NOW:%Y-%m-%dT%H:%M:%S}Z"
    page = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")][-1]
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + page)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    if postgres:
        assert "Index Scan Backward" in plan or "Index Only Scan Backward" in plan, plan
        assert "Seq Scan" not in plan, plan
        assert "Sort" not in plan, plan
    else:
        assert "USING INDEX" in plan, plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_a_read_that_takes_too_long_is_stopped_with_a_clear_answer(client, network,
                                                                   monkeypatch):
    from django.db import connection

    from sensors.sta import reader, views

    if connection.vendor != "postgresql":
        pytest.skip("the statement timeout is a PostgreSQL setting")
    real = reader.read_collection

    def slow(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "STATEMENT_TIMEOUT_MS", 50)
    monkeypatch.setattr(reader, "read_collection", slow)

    error = get(client, "Observations", status=400, **{"$count": "true"})

    assert "too long" in error["message"]
    monkeypatch.setattr(reader, "read_collection", real)
    assert get(client, "Things")["value"]  # the connection is fine afterwards
