"""The SensorThings pull importer (`sensors.importer`, `manage.py sta_import`, the Celery task),
against a local HTTP server that answers like RIVM Samen Meten (api-samenmeten.rivm.nl/v1.0):
STA v1.0 JSON, Things with `properties/project`, datastreams named `<kit>-<n>-<quantity>`,
`_kal` calibrated series, `$top` capped by the server, and `@iot.nextLink` that drops `$select`.
"""

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from sensors.import_tasks import sta_import_all_task, sta_import_source_task
from sensors.importer import (
    Http,
    ImportBusy,
    SourceError,
    SourceUnavailable,
    source_import,
    unit_key,
)
from sensors.models import Datastream, ImportSource, Kit, KitLocation, Observation
from sensors.services import public_location
from tests.sensors.factories import ObservedPropertyFactory, ProjectFactory

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def _iso(moment):
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeSamenMeten:
    """Just enough of a SensorThings v1.0 server: Things with $filter (project / name prefix),
    $expand=Locations,Datastreams/ObservedProperty, Observations with `phenomenonTime gt`,
    $orderby asc, $top (capped), $skip, and @iot.nextLink."""

    MAX_TOP_THINGS = 2
    MAX_TOP_OBSERVATIONS = 4

    def __init__(self, now):
        self.now = now
        self.things = {}
        self.datastreams = {}
        self.observations = {}
        self.requests = []          # (path, query) of every request
        self.fail_next = []         # HTTP statuses to answer before serving again
        self.foreign_next_link = False
        self.url = ""

    # the data

    def add_thing(self, thing_id, name, project, lon, lat):
        self.things[thing_id] = {
            "@iot.id": thing_id, "name": name, "description": name,
            "properties": {"project": project, "codegemeente": "193",
                           "knmicode": "knmi_06278", "owner": project,
                           "no2closecode": "NL10918", "pm10closecode": "NL10918",
                           "pm25closecode": "NL10918"},
            "_location": {"@iot.id": thing_id * 10, "name": f"loc-{name}",
                          "encodingType": "application/vnd.geo+json",
                          "location": {"type": "Point", "coordinates": [lon, lat]}},
            "_datastreams": [],
        }

    def add_datastream(self, ds_id, thing_id, n, quantity, symbol, definition, values):
        name = f"{self.things[thing_id]['name']}-{n}-{quantity}"
        self.datastreams[ds_id] = {
            "@iot.id": ds_id, "name": name, "description": name,
            "unitOfMeasurement": {"symbol": symbol, "definition": definition},
            "observationType":
                "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "_op": {"@iot.id": abs(hash(quantity)) % 1000, "name": quantity,
                    "description": quantity, "definition": quantity},
        }
        self.things[thing_id]["_datastreams"].append(ds_id)
        self.observations[ds_id] = []
        for hours_ago, value in values:
            self.add_observation(ds_id, self.now - hours_ago * HOUR, value)

    def add_observation(self, ds_id, moment, value):
        obs_id = sum(len(v) for v in self.observations.values()) + 1
        self.observations[ds_id].append(
            {"@iot.id": obs_id, "phenomenonTime": _iso(moment), "result": value,
             "resultTime": _iso(moment)}
        )

    # the answers

    def _link(self, path, query):
        return f"{self.url}{path}?{urlencode(query)}"

    def answer(self, path, query):
        root = "/v1.0"
        if path == f"{root}/Things":
            return self._things(query)
        if match := re.fullmatch(rf"{root}/Datastreams\((\d+)\)/Observations", path):
            return self._observations(int(match.group(1)), query)
        if path == "/v1.0/moved":
            return 302, {"Location": "http://169.254.169.254/latest/meta-data"}
        if match := re.fullmatch(rf"{root}/Datastreams\((\d+)\)/ObservedProperty", path):
            return 200, self.datastreams[int(match.group(1))]["_op"]
        return 404, {"code": 404, "type": "error", "message": "not found"}

    def _things(self, query):
        things = list(self.things.values())
        flt = query.get("$filter", "")
        if match := re.fullmatch(r"properties/project eq '(.*)'", flt):
            things = [t for t in things if t["properties"]["project"] == match.group(1)]
        elif match := re.fullmatch(r"startswith\(name,'(.*)'\)", flt):
            things = [t for t in things if t["name"].startswith(match.group(1))]
        elif flt:
            return 400, {"code": 400, "type": "error", "message": f"bad $filter {flt}"}
        expand = query.get("$expand", "")
        top = min(int(query.get("$top", 100)), self.MAX_TOP_THINGS)
        skip = int(query.get("$skip", 0))
        page = []
        for thing in things[skip:skip + top]:
            entity = {k: v for k, v in thing.items() if not k.startswith("_")}
            entity["@iot.selfLink"] = f"{self.url}/v1.0/Things({thing['@iot.id']})"
            entity["Locations@iot.navigationLink"] = f"{entity['@iot.selfLink']}/Locations"
            entity["Datastreams@iot.navigationLink"] = f"{entity['@iot.selfLink']}/Datastreams"
            if "Locations" in expand:
                entity["Locations"] = [thing["_location"]]
            if "Datastreams" in expand:
                entity["Datastreams"] = []
                for ds_id in thing["_datastreams"]:
                    ds = {k: v for k, v in self.datastreams[ds_id].items()
                          if not k.startswith("_")}
                    if "Datastreams/ObservedProperty" in expand:
                        ds["ObservedProperty"] = self.datastreams[ds_id]["_op"]
                    entity["Datastreams"].append(ds)
            page.append(entity)
        body = {"value": page}
        if skip + top < len(things):
            body["@iot.nextLink"] = self._link("/v1.0/Things", {**query, "$skip": skip + top})
        return 200, body

    def _observations(self, ds_id, query):
        rows = sorted(self.observations[ds_id], key=lambda o: o["phenomenonTime"])
        flt = query.get("$filter", "")
        if match := re.fullmatch(r"phenomenonTime gt (\S+)", flt):
            since = dt.datetime.fromisoformat(match.group(1))
            rows = [o for o in rows if dt.datetime.fromisoformat(o["phenomenonTime"]) > since]
        elif flt:
            return 400, {"code": 400, "type": "error", "message": f"bad $filter {flt}"}
        top = min(int(query.get("$top", 100)), self.MAX_TOP_OBSERVATIONS)
        skip = int(query.get("$skip", 0))
        fields = query.get("$select", "").split(",") if query.get("$select") else None
        page = [{k: v for k, v in o.items() if fields is None or k in fields}
                for o in rows[skip:skip + top]]
        body = {"value": page}
        if skip + top < len(rows):
            nxt = {k: v for k, v in query.items() if k != "$select"}  # as Samen Meten does
            nxt["$skip"] = skip + top
            body["@iot.nextLink"] = self._link(f"/v1.0/Datastreams({ds_id})/Observations", nxt)
            if self.foreign_next_link:
                body["@iot.nextLink"] = "http://169.254.169.254/latest/meta-data"
        return 200, body


def _handler(fake):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            fake.requests.append((parts.path, query))
            if fake.fail_next:
                status, body = fake.fail_next.pop(0), {"message": "busy"}
            else:
                status, body = fake.answer(parts.path, query)
            data = json.dumps(body).encode()
            self.send_response(status)
            if status == 302:
                self.send_header("Location", body["Location"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


NOW = timezone.now().replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def samenmeten():
    fake = FakeSamenMeten(NOW)
    hourly = [(h, v) for h, v in zip(range(5, -1, -1), (8.1, 9.4, 12.0, 30.5, 11.2, 7.9),
                                     strict=True)]
    fake.add_thing(7301, "ZWL_kit_101", "Zwolle", 6.0612345, 52.5312345)
    fake.add_datastream(90001, 7301, 1, "pm25", "ug/m3",
                        "https://qudt.org/vocab/unit/MicroGM-PER-M3", hourly)
    fake.add_datastream(90002, 7301, 1, "pm25_kal", "ug/m3",
                        "https://qudt.org/vocab/unit/MicroGM-PER-M3",
                        [(h, round(v * 0.8, 2)) for h, v in hourly])
    fake.add_datastream(90003, 7301, 6, "temp", "C", "https://qudt.org/vocab/unit/DEG_C",
                        [(h, 3.5 + h / 10) for h in range(5, -1, -1)])
    fake.add_datastream(90004, 7301, 6, "pres", "Pa", "https://qudt.org/vocab/unit/PA",
                        [(h, 100520.0 + h) for h in range(5, -1, -1)])
    fake.add_datastream(90005, 7301, 7, "ws", "m/s", "https://qudt.org/vocab/unit/M-PER-SEC",
                        [(1, 3.2)])
    fake.add_datastream(90006, 7301, 9, "bat", "V", "https://qudt.org/vocab/unit/V",
                        [(1, 3.7)])
    fake.add_thing(7302, "ZWL_kit_102", "Zwolle", 6.0723456, 52.5298765)
    fake.add_datastream(90011, 7302, 1, "pm10", "ug/m3",
                        "https://qudt.org/vocab/unit/MicroGM-PER-M3", hourly)
    fake.add_datastream(90012, 7302, 6, "rh", "%", "https://qudt.org/vocab/unit/PERCENT",
                        [(h, 80.0 + h) for h in range(5, -1, -1)])
    fake.add_thing(7270, "HLL_hl_device_465", "Hollandse Luchten", 4.63, 52.38)
    fake.add_datastream(90021, 7270, 12, "pm25_kal", "ug/m3", "", [(1, 5.0)])

    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def quantities():
    return {
        "pm25": ObservedPropertyFactory(code="pm25", name="PM2,5"),
        "pm10": ObservedPropertyFactory(code="pm10", name="PM10"),
        "temperature": ObservedPropertyFactory(code="temperature", name="Temperatuur",
                                               unit_symbol="°C", unit_definition="ucum:Cel"),
        "humidity": ObservedPropertyFactory(code="humidity", name="Luchtvochtigheid",
                                            unit_symbol="%", unit_definition="ucum:%"),
        "pressure": ObservedPropertyFactory(code="pressure", name="Luchtdruk",
                                            unit_symbol="hPa", unit_definition="ucum:hPa"),
    }


@pytest.fixture
def source(samenmeten, quantities):
    return ImportSource.objects.create(
        name="samenmeten-zwolle", base_url=f"{samenmeten.url}/v1.0",
        thing_filter="properties/project eq 'Zwolle'", project=ProjectFactory(),
        backfill_hours=48,
    )


def _fast_http(source, **kwargs):
    return Http(source.base_url, sleep=lambda seconds: None, **kwargs)


def _observation_requests(fake):
    return [(p, q) for p, q in fake.requests if p.endswith("/Observations")]


def test_first_run_imports_the_projects_things_as_ownerless_kits_with_snapped_locations(source):
    result = source_import(source=source, http=_fast_http(source))

    kits = {kit.device_id: kit for kit in Kit.objects.all()}
    assert set(kits) == {"sta:127.0.0.1:7301", "sta:127.0.0.1:7302"}  # not Hollandse Luchten
    kit = kits["sta:127.0.0.1:7301"]
    assert (kit.name, kit.owner, kit.state, kit.project) == (
        "ZWL_kit_101", None, Kit.State.ACTIVE, source.project)
    assert (float(kit.latitude), float(kit.longitude)) == (52.531235, 6.061235)
    assert (kit.public_latitude, kit.public_longitude) == public_location(
        kit.latitude, kit.longitude)
    assert (kit.public_latitude, kit.public_longitude) != (kit.latitude, kit.longitude)
    assert kit.is_public
    assert KitLocation.objects.filter(kit=kit).count() == 1
    assert kit.token_hash == ""  # nobody can push data as this kit
    assert (result.things, result.kits_created) == (2, 2)


def test_datastreams_are_mapped_by_quantity_with_units_converted_and_kal_as_calibrated(source):
    result = source_import(source=source, http=_fast_http(source))

    streams = {(d.kit.name, d.observed_property.code, d.is_calibrated): d
               for d in Datastream.objects.select_related("kit", "observed_property")}
    assert set(streams) == {
        ("ZWL_kit_101", "pm25", False), ("ZWL_kit_101", "pm25", True),
        ("ZWL_kit_101", "temperature", False), ("ZWL_kit_101", "pressure", False),
        ("ZWL_kit_101", "wind_speed", False),
        ("ZWL_kit_102", "pm10", False), ("ZWL_kit_102", "humidity", False),
    }
    raw, calibrated = streams["ZWL_kit_101", "pm25", False], streams["ZWL_kit_101", "pm25", True]
    assert calibrated.calibrated_from == raw
    assert result.skipped == [("ZWL_kit_101-9-bat", "no quantity here for bat")]
    pressure = streams["ZWL_kit_101", "pressure", False]
    assert sorted(pressure.observations.values_list("result", flat=True)) == [
        pytest.approx(1005.20 + h / 100) for h in range(6)]          # Pa -> hPa
    assert list(calibrated.observations.order_by("phenomenon_time")
                .values_list("result", flat=True)) == [6.48, 7.52, 9.6, 24.4, 8.96, 6.32]
    assert raw.last_result == 7.9
    assert raw.last_time == NOW
    assert result.stored == Observation.objects.count() == 6 * 6 + 1


def test_pages_are_followed_through_next_links(source, samenmeten):
    source_import(source=source, http=_fast_http(source))

    pm25 = [q for p, q in _observation_requests(samenmeten) if "Datastreams(90001)" in p]
    assert [q.get("$skip") for q in pm25] == [None, "4"]   # 6 observations, 4 a page
    assert pm25[0]["$orderby"] == "phenomenonTime asc"
    since = dt.datetime.fromisoformat(pm25[0]["$filter"].removeprefix("phenomenonTime gt "))
    assert since == (timezone.now() - 48 * HOUR).replace(minute=0, second=0, microsecond=0)


def test_a_second_run_asks_only_for_newer_observations_and_imports_nothing(source, samenmeten):
    source_import(source=source, http=_fast_http(source))
    samenmeten.requests.clear()

    again = source_import(source=source, http=_fast_http(source))

    assert (again.stored, again.replays, again.kits_created) == (0, 0, 0)
    assert Observation.objects.count() == 37
    pm25 = [q for p, q in _observation_requests(samenmeten) if "Datastreams(90001)" in p]
    assert [q["$filter"] for q in pm25] == [f"phenomenonTime gt {_iso(NOW)}"]
    assert KitLocation.objects.count() == 2  # nobody moved


def test_a_later_run_imports_only_what_is_new(source, samenmeten):
    source_import(source=source, http=_fast_http(source))
    samenmeten.add_observation(90001, NOW + dt.timedelta(seconds=30), 6.6)
    samenmeten.add_observation(90011, NOW - 3 * HOUR, 99.0)  # late, but not newer: not asked

    result = source_import(source=source, http=_fast_http(source))

    assert result.stored == 1
    raw = Datastream.objects.get(observed_property__code="pm25", calibrated_from=None)
    assert raw.observations.count() == 7


def test_replays_are_ignored_when_the_progress_is_lost(source):
    source_import(source=source, http=_fast_http(source))
    ImportSource.objects.filter(pk=source.pk).update(
        state={"datastreams": {}})   # as if the progress were lost
    source.refresh_from_db()

    result = source_import(source=source, http=_fast_http(source))

    assert (result.stored, result.replays) == (0, 37)
    assert Observation.objects.count() == 37


def test_the_first_run_goes_back_only_backfill_hours(source, samenmeten):
    samenmeten.add_observation(90001, NOW - 100 * HOUR, 3.0)

    source_import(source=source, http=_fast_http(source))

    raw = Datastream.objects.get(observed_property__code="pm25", calibrated_from=None)
    assert raw.observations.count() == 6


def test_bad_values_are_skipped_and_a_future_value_is_asked_again_later(source, samenmeten):
    samenmeten.add_observation(90003, NOW - HOUR / 2, None)
    samenmeten.add_observation(90003, NOW - HOUR / 4, "n/a")
    samenmeten.add_observation(90003, NOW + 3 * HOUR, 4.0)

    result = source_import(source=source, http=_fast_http(source))

    temperature = Datastream.objects.get(observed_property__code="temperature")
    assert temperature.observations.count() == 6
    assert result.refused == 3
    entry = ImportSource.objects.get(pk=source.pk).state["datastreams"]["90003"]
    assert entry["last"] == NOW.isoformat()  # not past the future one, asked again next time


def test_a_stopped_kit_gets_no_more_data(source, samenmeten):
    source_import(source=source, http=_fast_http(source))
    Kit.objects.filter(device_id="sta:127.0.0.1:7302").update(state=Kit.State.STOPPED)
    samenmeten.add_observation(90011, NOW + dt.timedelta(seconds=30), 5.0)
    samenmeten.requests.clear()

    result = source_import(source=source, http=_fast_http(source))

    assert result.stored == 0
    assert not any("Datastreams(90011)" in p for p, q in samenmeten.requests)


def test_a_name_prefix_filter_and_a_mapping_of_our_own(source, samenmeten):
    ObservedPropertyFactory(code="battery", name="Battery", unit_symbol="V")
    source.thing_filter = "startswith(name,'ZWL_kit_101')"
    source.property_map = {"bat": "battery", "temp": "", "WS": ""}
    source.save()

    result = source_import(source=source, http=_fast_http(source))

    assert Kit.objects.get().name == "ZWL_kit_101"
    codes = set(Datastream.objects.values_list("observed_property__code", flat=True))
    assert codes == {"pm25", "pressure", "battery"}
    assert result.skipped == [("ZWL_kit_101-6-temp", "skipped by the mapping"),
                              ("ZWL_kit_101-7-ws", "skipped by the mapping")]


def test_a_source_that_is_down_gives_a_clear_error_and_changes_nothing(quantities):
    source = ImportSource.objects.create(
        name="down", base_url="http://127.0.0.1:9/v1.0", project=ProjectFactory())
    waits = []

    with pytest.raises(SourceUnavailable) as error:
        source_import(source=source, http=Http(source.base_url, sleep=waits.append))

    assert "SensorThings source http://127.0.0.1:9/v1.0 is unavailable" in str(error.value)
    assert "3 attempts" in str(error.value)
    assert waits == [1.0, 2.0]
    source.refresh_from_db()
    assert source.last_error == str(error.value)
    assert source.last_run_at is not None
    assert not Kit.objects.exists()


def test_a_busy_server_is_tried_again(source, samenmeten):
    samenmeten.fail_next = [503, 502]

    result = source_import(source=source, http=_fast_http(source))

    assert result.stored == 37
    source.refresh_from_db()
    assert source.last_error == ""


def test_a_refused_query_is_reported_not_retried(source, samenmeten):
    source.thing_filter = "substringof('ZWL',name)"
    source.save()

    with pytest.raises(SourceError, match="HTTP 400"):
        source_import(source=source, http=_fast_http(source))
    assert len(samenmeten.requests) == 1


def test_a_next_link_to_another_host_is_not_followed(source, samenmeten):
    samenmeten.foreign_next_link = True

    with pytest.raises(SourceError, match="links outside"):
        source_import(source=source, http=_fast_http(source))
    assert not any("169.254" in p for p, q in samenmeten.requests)


def test_a_redirect_to_another_host_is_not_followed(source, samenmeten):
    with pytest.raises(SourceError, match="links outside"):
        _fast_http(source).get(f"{samenmeten.url}/v1.0/moved")


def test_a_run_stops_at_the_page_cap_and_the_next_one_continues(source):
    first = source_import(source=source, http=_fast_http(source), max_pages=1)

    assert first.more
    assert first.stored == 6 * 4 + 1
    second = source_import(source=source, http=_fast_http(source), max_pages=1)
    assert not second.more
    assert Observation.objects.count() == 37


def test_a_run_out_of_time_leaves_the_rest_for_the_next(source):
    first = source_import(source=source, http=_fast_http(source), time_budget=0)

    assert first.more
    assert first.kits_created == 2
    assert first.stored == 0
    assert source_import(source=source, http=_fast_http(source)).stored == 37


def test_only_one_run_of_a_source_at_a_time(source):
    cache.add(f"sensors:sta-import:{source.pk}", 1, 60)

    with pytest.raises(ImportBusy):
        source_import(source=source, http=_fast_http(source))


def test_units_are_recognised_by_symbol_or_definition():
    assert unit_key("µg/m³") == unit_key("ug/m3") == unit_key(
        "", "https://qudt.org/vocab/unit/MicroGM-PER-M3") == "ug/m3"
    assert unit_key("°C") == unit_key("C") == unit_key("", "ucum:Cel") == "degc"
    assert unit_key("hPa") == unit_key("mbar") == "hpa"
    assert unit_key("furlong") == ""


def test_the_command_imports_and_reports(source, capsys):
    call_command("sta_import", source.name)

    out = capsys.readouterr().out
    assert "samenmeten-zwolle: 2 thing(s), 2 new kit(s), 7 datastream(s), 1 skipped" in out
    assert "skipped ZWL_kit_101-9-bat: no quantity here for bat" in out
    assert Observation.objects.count() == 37


def test_the_command_creates_a_source_and_lists_it(samenmeten, quantities, capsys):
    project = ProjectFactory(slug="senshagen")

    call_command("sta_import", "zwolle", "--url", f"{samenmeten.url}/v1.0/",
                 "--filter", "properties/project eq 'Zwolle'", "--project", "senshagen")
    call_command("sta_import", "--list")

    source = ImportSource.objects.get(name="zwolle")
    assert (source.base_url, source.project) == (f"{samenmeten.url}/v1.0", project)
    assert Observation.objects.count() == 37
    assert "zwolle (enabled)" in capsys.readouterr().out


def test_the_command_fails_clearly_when_the_source_is_down(quantities, monkeypatch):
    monkeypatch.setattr("sensors.importer.RETRIES", 1)
    ImportSource.objects.create(name="down", base_url="http://127.0.0.1:9/v1.0",
                                project=ProjectFactory())

    with pytest.raises(CommandError, match="1 source"):
        call_command("sta_import", "down")
    with pytest.raises(CommandError, match="No import source named 'nope'"):
        call_command("sta_import", "nope")


def test_the_celery_tasks_import_every_enabled_source(source):
    ImportSource.objects.create(name="off", base_url="http://127.0.0.1:9/v1.0",
                                project=source.project, enabled=False)

    assert sta_import_all_task.delay().get() == 1

    source.refresh_from_db()
    assert source.last_run_at is not None
    assert Observation.objects.count() == 37
    assert sta_import_source_task.delay(source.pk).get().startswith("2 thing(s), 0 new kit(s)")
