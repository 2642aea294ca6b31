"""The store's two ways of writing a batch: COPY (PostgreSQL, from `COPY_THRESHOLD` rows on;
straight into the table or through a staging table) and one multi-row INSERT (SQLite, small
batches). The behaviour tests run both ways (the `way` fixture): on SQLite both are the INSERT,
on PostgreSQL (CI's second pass) "copy" is COPY. The PostgreSQL-only tests show which
statements ran and that both ways give the same rows."""

import base64
import datetime as dt
import json
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sensors import services
from sensors.models import AggregateDirty, Datastream, Observation, Quality
from sensors.services import Reading, observations_store, secret_hash
from tests.sensors.factories import (
    DatastreamFactory,
    KitFactory,
    ObservedPropertyFactory,
    SensorFactory,
)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is the PostgreSQL way of writing"
)

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
START = NOW - dt.timedelta(days=5)
PLUS_0530 = dt.timezone(dt.timedelta(hours=5, minutes=30))


@pytest.fixture(params=["copy", "insert"])
def way(request, monkeypatch):
    monkeypatch.setattr(services, "COPY_THRESHOLD", 1 if request.param == "copy" else 10**9)
    return request.param


@pytest.fixture(autouse=True)
def reference():
    """The quantities and sensors of the tests, as migration 0003 makes them (got or made)."""
    return {"pm25": ObservedPropertyFactory(code="pm25", valid_min=0, valid_max=900),
            "temperature": ObservedPropertyFactory(code="temperature", valid_min=-50,
                                                   valid_max=70),
            "sds011": SensorFactory(code="sds011", name="SDS011"),
            "bme280": SensorFactory(code="bme280", name="BME280")}


@pytest.fixture
def streams(reference):
    """A PM2.5 (plausible 0–900) and a temperature (−50–70) datastream of one kit."""
    pm25 = DatastreamFactory(observed_property=reference["pm25"], sensor=reference["sds011"])
    temperature = DatastreamFactory(kit=pm25.kit, observed_property=reference["temperature"],
                                    sensor=reference["bme280"])
    return pm25, temperature


def minutes(stream, first: int, count: int, value=lambda m: 10.0 + m % 7) -> list[Reading]:
    return [Reading(stream.pk, START + dt.timedelta(minutes=m), value(m))
            for m in range(first, first + count)]


def interleaved(*series: list[Reading]) -> list[Reading]:
    return [reading for group in zip(*series, strict=True) for reading in group]


def stored(*streams) -> list[tuple]:
    return list(Observation.objects.filter(datastream__in=streams).order_by(
        "datastream_id", "phenomenon_time").values_list(
        "datastream_id", "phenomenon_time", "result", "quality"))


# --- both ways ----------------------------------------------------------------------------------


def test_a_large_batch_is_stored_with_its_flags_summaries_and_dirty_hours(way, streams):
    pm25, temperature = streams
    pm = minutes(pm25, 0, 600, value=lambda m: 950.0 if m % 100 == 0 else 12.5)
    heat = [reading._replace(phenomenon_time=reading.phenomenon_time.astimezone(PLUS_0530))
            for reading in minutes(temperature, 0, 600, value=lambda m: 80.0 if m == 599 else 9.0)]

    result = observations_store(interleaved(pm, heat), now=NOW)

    assert (result.stored, result.received, result.rejected) == (1200, 1200, [])
    assert stored(pm25) == [(pm25.pk, r.phenomenon_time, r.result,
                             Quality.OUT_OF_RANGE if r.result == 950.0 else 0) for r in pm]
    rows = stored(temperature)
    assert [row[1] for row in rows] == [r.phenomenon_time for r in heat]  # same instants
    assert rows[-1][2:] == (80.0, Quality.OUT_OF_RANGE)
    pm25.refresh_from_db()
    temperature.refresh_from_db()
    assert (pm25.first_time, pm25.last_time, pm25.last_result) == (
        START, START + dt.timedelta(minutes=599), 12.5)
    assert (temperature.last_time, temperature.last_result) == (
        START + dt.timedelta(minutes=599), 80.0)
    hours = {START + dt.timedelta(hours=h) for h in range(10)}  # 600 minutes from a full hour
    assert set(AggregateDirty.objects.filter(datastream=pm25).values_list("hour", flat=True)) \
        == hours
    assert set(AggregateDirty.objects.filter(datastream=temperature).values_list(
        "hour", flat=True)) == hours


def test_a_replay_adds_nothing_and_keeps_the_stored_values(way, streams):
    pm25, _temperature = streams
    observations_store(minutes(pm25, 0, 600), now=NOW)
    before = stored(pm25)

    again = observations_store(minutes(pm25, 0, 600, value=lambda m: 99.0), now=NOW)

    assert (again.stored, again.received) == (0, 600)
    assert stored(pm25) == before
    pm25.refresh_from_db()
    assert pm25.last_result == before[-1][2]


def test_a_partly_replayed_batch_stores_only_the_new_rows(way, streams):
    pm25, temperature = streams
    observations_store(minutes(pm25, 0, 600), now=NOW)

    result = observations_store(minutes(pm25, 300, 600) + minutes(temperature, 0, 100), now=NOW)

    assert (result.stored, result.received) == (400, 700)
    assert len(stored(pm25)) == 900
    assert len(stored(temperature)) == 100


def test_bad_readings_are_refused_by_index_and_the_good_ones_stored(way, streams):
    pm25, _temperature = streams
    readings = minutes(pm25, 0, 700)
    bad = {
        10: (readings[10]._replace(result=math.nan), "result is not a finite number"),
        20: (readings[20]._replace(result=math.inf), "result is not a finite number"),
        30: (readings[30]._replace(result="12.5"), "result is not a number"),
        40: (readings[40]._replace(result=True), "result is not a number"),
        50: (readings[50]._replace(phenomenon_time=dt.datetime(2026, 11, 20, 8)),  # noqa: DTZ001
             "time has no time zone"),
        60: (readings[60]._replace(phenomenon_time=NOW + dt.timedelta(minutes=2)),
             "time is in the future"),
        70: (readings[70]._replace(datastream_id=999_999), "unknown datastream"),
    }
    for index, (reading, _reason) in bad.items():
        readings[index] = reading
    readings[80] = readings[80]._replace(result=7)  # an int is a number: stored as a float

    result = observations_store(readings, now=NOW)

    assert result.rejected == [(index, reason) for index, (_reading, reason) in bad.items()]
    assert (result.stored, result.received) == (693, 693)
    assert [row[1] for row in stored(pm25)] == [
        r.phenomenon_time for i, r in enumerate(readings) if i not in bad]
    assert Observation.objects.get(datastream=pm25, phenomenon_time=readings[80]
                                   .phenomenon_time).result == 7.0


def test_a_batch_of_only_bad_readings_stores_nothing(way, streams):
    pm25, _temperature = streams
    readings = [reading._replace(datastream_id=999_999) for reading in minutes(pm25, 0, 600)]

    result = observations_store(readings, now=NOW)

    assert (result.stored, result.received, len(result.rejected)) == (0, 0, 600)
    assert not Observation.objects.exists()


def test_a_repeat_within_the_batch_is_stored_once_with_its_first_value(way, streams):
    pm25, _temperature = streams
    readings = minutes(pm25, 0, 600)
    last = readings[-1].phenomenon_time
    readings.insert(100, Reading(pm25.pk, last, 1.0))  # first: wins
    readings.append(Reading(pm25.pk, last, 2.0))

    result = observations_store(readings, now=NOW)

    assert (result.stored, result.received) == (600, 602)
    assert Observation.objects.get(datastream=pm25, phenomenon_time=last).result == 1.0
    pm25.refresh_from_db()
    assert (pm25.last_time, pm25.last_result) == (last, 1.0)


# --- over HTTP ------------------------------------------------------------------------------------


def _basic(device_id: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{device_id}:{token}".encode()).decode()


def test_a_full_csv_upload_with_bad_rows_and_a_replayed_part(way, client, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    kit = KitFactory(device_id="esp8266-4242", token_hash=secret_hash("bulk-token-0123456789"))
    times = [START + dt.timedelta(minutes=m) for m in range(5000)]
    lines = ["quantity,sensor,value,time"] + [
        f"{quantity},{sensor},{10 + m % 13}.5,{moment:%Y-%m-%dT%H:%M:%SZ}"
        for m, moment in enumerate(times)
        for quantity, sensor in (("pm25", "sds011"), ("temperature", "bme280"))]
    lines[5] = "pm25,sds011,veel,2026-11-20T10:00:00Z"         # row 5, line 6
    lines[7000] = "pm25,sds011,1.0,2026-11-20T10:00:00"        # row 7000: no time zone
    lines[9999] = "pm25,sds011,1.0,2026-12-20T10:00:00Z"       # row 9999: future
    body = ("\n".join(lines) + "\n").encode()
    url = f"/api/v1/sensors/kits/{kit.device_id}/observations/"
    auth = _basic(kit.device_id, "bulk-token-0123456789")
    first_part = ("\n".join(lines[:1001]) + "\n").encode()  # the first 1,000 rows, earlier
    assert client.post(url, data=first_part, content_type="text/csv",
                       HTTP_AUTHORIZATION=auth).json()["stored"] == 999

    response = client.post(url, data=body, content_type="text/csv", HTTP_AUTHORIZATION=auth)

    assert response.status_code == 201, response.content
    assert response.json() == {
        "received": 10_000, "stored": 10_000 - 999 - 3, "duplicates": 999,
        "rejected": [{"row": 5, "line": 6, "reason": "value is not a number"},
                     {"row": 7000, "line": 7001, "reason": "time has no time zone"},
                     {"row": 9999, "line": 10_000, "reason": "time is in the future"}]}
    assert Observation.objects.filter(datastream__kit=kit).count() == 10_000 - 3


def test_create_observations_over_the_copy_threshold_answers_every_row(way, client,
                                                                       monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    stream = DatastreamFactory(observed_property__code="pm25", sensor__code="sds011",
                               kit__token_hash=secret_hash("sta-token-0123456789"))
    auth = _basic(stream.kit.device_id, "sta-token-0123456789")
    rows = [[f"{START + dt.timedelta(minutes=m):%Y-%m-%dT%H:%M:%SZ}", m % 50] for m in range(800)]
    rows[3] = [rows[3][0], "veel"]
    rows[4] = ["2026-12-01T00:00:00Z", 1]  # future

    def create(data_array):
        response = client.post("/sta/v1.1/CreateObservations", data=json.dumps(
            [{"Datastream": {"@iot.id": stream.pk}, "components": ["phenomenonTime", "result"],
              "dataArray": data_array}]), content_type="application/json",
            HTTP_AUTHORIZATION=auth)
        assert response.status_code == 201, response.content
        return response.json()

    first = create(rows[:600])
    answer = create(rows)  # the first 600 again (replays), then 200 new

    ids = dict(Observation.objects.filter(datastream=stream).values_list(
        "phenomenon_time", "pk"))
    assert len(ids) == 798
    expected = ["error" if m in (3, 4) else
                f"http://testserver/sta/v1.1/Observations("
                f"{ids[START + dt.timedelta(minutes=m)]})" for m in range(800)]
    assert answer == expected
    assert first == expected[:600]


# --- PostgreSQL: which way ran, and both ways give the same ---------------------------------------


def _statements(captured) -> str:
    return "\n".join(query["sql"] for query in captured.captured_queries)


@postgresql_only
def test_large_batches_are_copied_and_small_ones_inserted(streams):
    pm25, _temperature = streams

    with CaptureQueriesContext(connection) as large:
        assert observations_store(minutes(pm25, 0, services.COPY_THRESHOLD), now=NOW).stored \
            == services.COPY_THRESHOLD
    with CaptureQueriesContext(connection) as small:
        assert observations_store(minutes(pm25, 1000, 10), now=NOW).stored == 10

    assert 'INSERT INTO "sensors_observation"' not in _statements(large)
    assert services._STAGING not in _statements(large)  # new rows in order: straight in
    assert 'INSERT INTO "sensors_observation"' in _statements(small)
    assert len(stored(pm25)) == services.COPY_THRESHOLD + 10


@postgresql_only
def test_a_replay_goes_through_the_staging_table(streams):
    pm25, _temperature = streams
    observations_store(minutes(pm25, 0, 600), now=NOW)

    with CaptureQueriesContext(connection) as replay:
        assert observations_store(minutes(pm25, 0, 600), now=NOW).stored == 0

    assert services._STAGING in _statements(replay)


@postgresql_only
def test_a_summary_behind_its_observations_falls_back_to_the_staging_table(streams):
    """The direct COPY trusts `last_time`; when it is behind (here: cleared), the COPY meets a
    stored row, its savepoint is rolled back, and the staging table skips the replays."""
    pm25, _temperature = streams
    observations_store(minutes(pm25, 0, 600), now=NOW)
    Datastream.objects.filter(pk=pm25.pk).update(first_time=None, last_time=None)

    with CaptureQueriesContext(connection) as fallback:
        result = observations_store(minutes(pm25, 500, 600), now=NOW)

    assert (result.stored, result.received) == (500, 600)
    assert "ROLLBACK TO SAVEPOINT" in _statements(fallback)
    assert services._STAGING in _statements(fallback)
    assert len(stored(pm25)) == 1100


@postgresql_only
def test_the_staging_table_holds_nothing_from_an_earlier_batch(streams):
    """Two staged batches in one transaction (a test runs in one): the second must not write
    the first one's rows again."""
    pm25, _temperature = streams
    observations_store(minutes(pm25, 1000, 600), now=NOW)
    observations_store(minutes(pm25, 0, 600), now=NOW)  # before last_time: staged
    Observation.objects.filter(datastream=pm25, phenomenon_time__lt=START + dt.timedelta(
        minutes=600)).delete()

    again = observations_store(minutes(pm25, 600, 600), now=NOW)  # staged again

    assert again.stored == 400  # 600-999; 1000-1199 are replays
    assert [row[1] for row in stored(pm25)] == [
        START + dt.timedelta(minutes=m) for m in range(600, 1600)]


@postgresql_only
def test_copy_and_insert_store_exactly_the_same(monkeypatch):
    """One batch with everything in it (out-of-range values, offsets, a repeat, bad readings,
    replays of earlier rows) through COPY into one kit's datastreams and through the INSERT
    into another's: the same answer and the same rows."""
    outcomes = []
    for threshold in (1, 10**9):
        monkeypatch.setattr(services, "COPY_THRESHOLD", threshold)
        pm25 = DatastreamFactory(observed_property__code="pm25", sensor__code="sds011")
        heat = DatastreamFactory(kit=pm25.kit, observed_property__code="temperature",
                                 sensor__code="bme280")
        observations_store(minutes(pm25, 0, 100), now=NOW)
        readings = interleaved(
            minutes(pm25, 50, 600, value=lambda m: 1000.0 if m % 9 == 0 else 5.0),
            [r._replace(phenomenon_time=r.phenomenon_time.astimezone(PLUS_0530))
             for r in minutes(heat, 0, 600, value=lambda m: -60.0 if m % 11 == 0 else 5.0)])
        readings[7] = readings[7]._replace(result=math.nan)
        readings[8] = readings[8]._replace(phenomenon_time=NOW + dt.timedelta(hours=1))
        readings.append(readings[20]._replace(result=123.0))  # a repeat: the first counts
        result = observations_store(readings, now=NOW)
        ids = {pm25.pk: "pm25", heat.pk: "temperature"}
        rows = [(ids[ds], moment, value, quality) for ds, moment, value, quality
                in stored(pm25, heat)]
        summaries = sorted((ids[pk], first, last, value) for pk, first, last, value in
                           Datastream.objects.filter(pk__in=ids).values_list(
                               "pk", "first_time", "last_time", "last_result"))
        hours = sorted((ids[ds], hour) for ds, hour in AggregateDirty.objects.filter(
            datastream__in=ids).values_list("datastream_id", "hour"))
        outcomes.append(((result.stored, result.received, result.rejected), rows, summaries,
                         hours))

    assert outcomes[0] == outcomes[1]
    # 1,201 readings, 2 refused; of the valid ones 49 replay stored PM2.5 minutes 50-99 (the
    # refused reading 8 is minute 54) and the repeat is the 50th that adds nothing
    assert outcomes[0][0] == (1199 - 50, 1199, [(7, "result is not a finite number"),
                                                (8, "time is in the future")])
