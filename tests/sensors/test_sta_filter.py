"""SensorThings $filter: comparisons, logic, functions, time, navigation paths, collections,
and clear STA-style 400s for everything wrong (never a 500, never SQL from the query text)."""

import datetime as dt

import pytest

from sensors.models import Kit, Observation
from sensors.services import Reading, observations_store
from tests.sensors.test_sta_read import HOURS, NOW, build_network, get, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(db):
    return build_network()


def things(client, expression, **extra):
    return ids(get(client, "Things", **{"$filter": expression}, **extra))


def observation_results(client, path, expression):
    return sorted(o["result"] for o in get(client, path, **{"$filter": expression,
                                                           "$top": "1000"})["value"])


def test_the_rivm_r_package_query_by_project(client, network):
    """GetSamenMetenAPIinfo: Things?$filter=properties/project eq 'X'&$expand=Locations,
    Datastreams"""
    payload = get(client, "Things", **{"$filter": "properties/project eq 'senshagen'",
                                       "$expand": "Locations,Datastreams"})

    assert ids(payload) == [network.home.pk, network.second.pk]
    assert all(thing["Locations"] and len(thing["Datastreams"]) == 2
               for thing in payload["value"])
    assert things(client, "properties/project eq 'zwolle-zuid'") == [network.third.pk]
    assert things(client, "properties/project eq 'elders'") == []


def test_the_samen_meten_name_prefix_and_other_string_functions(client, network):
    assert things(client, "startswith(name,'ZWL')") == [network.home.pk, network.second.pk]
    assert things(client, "endswith(name, 'Schuur')") == [network.third.pk]
    assert things(client, "substringof('Balkon', name)") == [network.second.pk]
    assert things(client, "contains(name, 'Tuin')") == [network.home.pk]
    assert things(client, "not startswith(name,'ZWL')") == [network.third.pk]
    assert things(client, "startswith(name,'ZWL') eq false") == [network.third.pk]
    assert things(client, "tolower(name) eq 'zuid schuur'") == [network.third.pk]
    assert things(client, "length(name) eq 10") == [network.second.pk]  # "ZWL Balkon"
    assert things(client, "indexof(name, 'Balkon') eq 4") == [network.second.pk]
    assert things(client, "substring(name, 4) eq 'Balkon'") == [network.second.pk]
    assert things(client, "concat(name, '!') eq 'Zuid Schuur!'") == [network.third.pk]


def test_like_wildcards_in_the_query_are_literal_text(client, network):
    assert things(client, "startswith(name,'%')") == []
    assert things(client, "contains(name,'_')") == []


def test_comparisons_logic_and_parentheses(client, network):
    path = f"Datastreams({network.streams[(network.home.name, 'pm25')].pk})/Observations"
    values = [10.0 + h for h in range(HOURS)]

    assert observation_results(client, path, "result gt 12") == [v for v in values if v > 12]
    assert observation_results(client, path, "result ge 12 and result le 13") == [12.0, 13.0]
    assert observation_results(client, path, "result lt 11 or result eq 15") == [10.0, 15.0]
    assert observation_results(client, path, "result ne 10") == values[1:]
    assert observation_results(client, path, "not (result gt 11)") == [10.0, 11.0]
    assert observation_results(client, path,
                               "(result eq 10 or result eq 11) and result ne 10") == [11.0]
    assert observation_results(client, path, "12 lt result") == [v for v in values if v > 12]


def test_arithmetic(client, network):
    path = f"Datastreams({network.streams[(network.home.name, 'pm25')].pk})/Observations"

    assert observation_results(client, path, "result add 5 eq 16") == [11.0]
    assert observation_results(client, path, "result mul 2 gt 28") == [15.0]
    assert observation_results(client, path, "result div 2 eq 6") == [12.0]
    assert observation_results(client, path, "result sub 1 le 9") == [10.0]
    assert observation_results(client, path, "result mod 5 eq 0") == [10.0, 15.0]
    # 10 div 0 is null (no match), 11 div 1 and 12 div 2 are above 5
    assert observation_results(client, path, "result div (result sub 10) gt 5") == [11.0, 12.0]
    assert observation_results(client, path, "round(result div 4) eq 3") == [10.0, 11.0, 12.0,
                                                                             13.0]
    error = get(client, path, status=400, **{"$filter": "result div 0 gt 1"})
    assert "zero" in error["message"]


def test_time_ranges_on_observations(client, network):
    path = f"Datastreams({network.streams[(network.home.name, 'pm25')].pk})/Observations"
    start = NOW - dt.timedelta(hours=2)

    assert observation_results(client, path, f"phenomenonTime ge {start:%Y-%m-%dT%H:%M:%S}Z"
                               ) == [13.0, 14.0, 15.0]
    assert observation_results(
        client, path, f"phenomenonTime gt {start:%Y-%m-%dT%H:%M:%S}Z and "
                      f"phenomenonTime lt {NOW:%Y-%m-%dT%H:%M:%S}Z") == [14.0]
    # the same instant written with an offset, and with the "+" turned into a space by a URL
    local = start.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert observation_results(client, path, f"phenomenonTime ge {local.isoformat()}") == [
        13.0, 14.0, 15.0]
    assert observation_results(
        client, path, f"phenomenonTime ge {local.isoformat().replace('+', ' ')}") == [
        13.0, 14.0, 15.0]
    assert observation_results(client, path, f"phenomenonTime ge {NOW:%Y-%m-%d}") == [
        v for v in [10.0 + h for h in range(HOURS)]]  # a date is midnight UTC


def test_date_and_time_functions(client, network):
    path = f"Datastreams({network.streams[(network.home.name, 'pm25')].pk})/Observations"

    assert len(observation_results(
        client, path, f"date(phenomenonTime) eq date('{NOW:%Y-%m-%d}')")) == HOURS
    assert observation_results(client, path, "hour(phenomenonTime) eq 12") == [15.0]
    assert observation_results(client, path, "hour(phenomenonTime) eq 11") == [14.0]
    assert len(observation_results(client, path, f"year(phenomenonTime) eq {NOW.year}")) == HOURS
    assert observation_results(client, path, "month(phenomenonTime) eq 1") == []


def test_now_and_durations(client, network):
    stream = network.streams[(network.home.name, "pm25")]
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    observations_store([Reading(stream.pk, recent, 99.0)])
    path = f"Datastreams({stream.pk})/Observations"

    assert observation_results(client, path, "phenomenonTime ge now() sub duration'PT10M'"
                               ) == [99.0]
    assert observation_results(client, path, "phenomenonTime add duration'PT10M' ge now()"
                               ) == [99.0]
    assert things(client, "Datastreams/any(d: d/Observations/any(o: o/phenomenonTime ge now() "
                          "sub duration'PT10m'))") == [network.home.pk]


def test_navigation_paths(client, network):
    pm = network.streams[(network.home.name, "pm25")]

    assert sorted(ids(get(client, "Observations", **{
        "$filter": f"Datastream/id eq {pm.pk}", "$top": "1000"}))) == sorted(
        Observation.objects.filter(datastream=pm).values_list("pk", flat=True))
    in_project = get(client, "Observations", **{
        "$filter": "Datastream/Thing/properties/project eq 'zwolle-zuid'", "$count": "true"})
    assert in_project["@iot.count"] == 2 * HOURS
    datastreams = get(client, "Datastreams", **{
        "$filter": "ObservedProperty/properties/code eq 'pm25' and Thing/properties/indoor "
                   "eq true"})
    assert ids(datastreams) == [network.streams[(network.third.name, "pm25")].pk]
    by_feature = get(client, "Observations", **{
        "$filter": f"FeatureOfInterest/id eq {network.second.pk}", "$count": "true"})
    assert by_feature["@iot.count"] == 2 * HOURS
    assert ids(get(client, "Datastreams", **{"$filter": "Sensor/name eq 'SDS011'"})) == sorted(
        network.streams[(kit.name, "pm25")].pk
        for kit in (network.home, network.second, network.third))
    assert ids(get(client, "Datastreams", **{"$filter": "unitOfMeasurement/symbol eq '°C'"})
               ) == sorted(network.streams[(kit.name, "temperature")].pk
                           for kit in (network.home, network.second, network.third))


def test_paths_through_collections_mean_any_member(client, network):
    assert things(client, "Datastreams/Observations/result ge 22") == [network.third.pk]
    assert things(client, "Datastreams/ObservedProperty/properties/code eq 'pm25'") == [
        network.home.pk, network.second.pk, network.third.pk]
    assert things(client, "Datastreams/any(d: d/name eq 'PM2.5 van ZWL Balkon')") == [
        network.second.pk]
    assert things(client, "Datastreams/all(d: d/Observations/all(o: o/result lt 21))") == [
        network.home.pk]
    sensors = get(client, "Sensors", **{"$filter": "Datastreams/Thing/id eq "
                                                   f"{network.stopped.pk}"})
    assert sensors["value"] == []  # a stopped kit's datastreams do not exist here


def test_datastream_phenomenon_time_is_an_interval(client, network):
    first = NOW - dt.timedelta(hours=HOURS - 1)

    assert len(ids(get(client, "Datastreams", **{
        "$filter": f"phenomenonTime ge {first:%Y-%m-%dT%H:%M:%S}Z"}))) == 6
    assert ids(get(client, "Datastreams", **{
        "$filter": f"phenomenonTime gt {first:%Y-%m-%dT%H:%M:%S}Z"})) == []
    assert len(ids(get(client, "Datastreams", **{
        "$filter": f"phenomenonTime le {NOW:%Y-%m-%dT%H:%M:%S}Z"}))) == 6
    ordered = get(client, "Datastreams", **{"$orderby": "phenomenonTime desc"})
    assert len(ordered["value"]) == 6


def test_null_comparisons(client, network):
    assert len(get(client, "Observations", **{"$filter": "resultTime eq null",
                                               "$count": "true"})["value"]) == 3 * 2 * HOURS
    assert get(client, "Observations", **{"$filter": "resultTime ne null"})["value"] == []
    assert things(client, "properties/lastSeenAt ne null") == [network.home.pk,
                                                               network.second.pk,
                                                               network.third.pk]


def test_ids_and_booleans(client, network):
    assert things(client, f"id eq {network.third.pk}") == [network.third.pk]
    assert things(client, f"@iot.id eq '{network.third.pk}'") == [network.third.pk]
    assert things(client, "properties/indoor") == [network.third.pk]
    assert things(client, "true") == [network.home.pk, network.second.pk, network.third.pk]
    assert things(client, "1 eq 2") == []


@pytest.mark.parametrize("expression", [
    "colour eq 'red'",
    "properties/colour eq 'red'",
    "properties eq 'x'",
    "Datastreams eq 1",
    "name eq 5",
    "properties/indoor eq 'yes'",
    "name gt",
    "name eq 'unterminated",
    "(name eq 'x'",
    "name eq 'x')",
    "name eq 'x' eq 'y'",
    "startswith(name)",
    "frobnicate(name) eq 1",
    "geo.distance(location, geography'POINT(6 52)') lt 1",
    "name eq null and result gt",
    "phenomenonTime gt 2026-13-45T00:00:00Z",
    "properties/lastSeenAt gt 2026-11-01T00:00:00",
    "name add 1 eq 2",
    "name eq 'x' or",
    "not",
    "Datastreams/any(d: name eq 'x')",
    "'; DROP TABLE sensors_kit; --",
    "name eq 'x'; DROP TABLE sensors_kit",
    "Datastreams/name eq name",
    "(" * 100 + "true" + ")" * 100,
    "properties/licenceUrl eq 'x'",
    "description eq 1 gt 2",
])
def test_bad_filters_are_a_clear_400(client, network, expression):
    error = get(client, "Things", status=400, **{"$filter": expression})

    assert error["code"] == 400
    assert error["type"] == "error"
    assert error["message"]
    assert Kit.objects.count() == 5


def test_quotes_inside_strings_are_data(client, network):
    network.third.name = "Bij 't Hof"
    network.third.save()

    assert things(client, "name eq 'Bij ''t Hof'") == [network.third.pk]
    assert things(client, "name eq 'x'' or ''1''=''1'") == []


def test_filter_inside_expand_and_orderby_with_functions(client, network):
    payload = get(client, "Things", **{
        "$orderby": "length(name) desc",
        "$expand": "Datastreams($filter=startswith(name,'PM');$select=name)"})

    names = [thing["name"] for thing in payload["value"]]
    assert names == sorted(names, key=len, reverse=True)
    for thing in payload["value"]:
        assert [d["name"][:2] for d in thing["Datastreams"]] == ["PM"]
