"""Quality flags (spike, flatline, humidity) and calibrated series."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sensors import quality
from sensors.aggregates import aggregates_update
from sensors.models import Aggregate, AggregateDirty, Datastream, Observation, Quality
from sensors.quality import datastream_calibrate, flatlines, spikes
from sensors.services import Reading, observations_store
from tests.sensors.factories import DatastreamFactory, KitFactory, ObservedPropertyFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=145)  # the airrohr's interval


def at(n):
    return START + n * STEP


def store(stream, values, *, first=0):
    observations_store([Reading(stream.pk, at(first + n), v) for n, v in enumerate(values)],
                       now=NOW)


def flags(stream):
    return dict(Observation.objects.filter(datastream=stream)
                .values_list("phenomenon_time", "quality"))


def calm(n, base=12.0):
    """Plausible PM readings: small wobbles around `base`."""
    return [base + (0.3, -0.2, 0.1, -0.4, 0.2)[i % 5] for i in range(n)]


# --- the checks on one series ---------------------------------------------------------------


def test_one_wild_reading_among_calm_ones_is_a_spike():
    values = calm(21)
    values[10] = 60.0
    times = [at(n) for n in range(21)]

    assert spikes(times, values, [True] * 21, range(21)) == {10}


def test_a_lasting_rise_is_not_a_spike():
    """Fireworks: PM jumps from 12 to 300 and stays high; no value is called a spike."""
    values = calm(10) + calm(12, base=300.0)
    times = [at(n) for n in range(22)]

    assert spikes(times, values, [True] * 22, range(22)) == set()


def test_identical_neighbours_do_not_make_every_small_step_a_spike():
    values = [20.0] * 11
    values[5] = 20.5  # MAD is 0: the floor (1.0, or 10 % of the median) applies
    values_far = [20.0] * 11
    values_far[5] = 29.0
    times = [at(n) for n in range(11)]

    assert spikes(times, values, [True] * 11, range(11)) == set()
    assert spikes(times, values_far, [True] * 11, range(11)) == {5}


def test_too_few_neighbours_within_reach_give_no_judgement():
    times = [START + dt.timedelta(hours=3 * n) for n in range(6)]
    values = [10.0, 11.0, 500.0, 10.0, 11.0, 10.0]  # hours apart: not comparable

    assert spikes(times, values, [True] * 6, range(6)) == set()


def test_a_stuck_value_for_hours_is_a_flatline_and_a_short_repeat_is_not():
    times = [START + dt.timedelta(minutes=15 * n) for n in range(20)]
    stuck = [21.5] * 3 + [99.9] * 12 + [80.0, 81.0, 82.0, 83.0, 84.0]  # 99.9 for 2h45
    short = [21.5] * 3 + [99.9] * 6 + [80.0 + n for n in range(11)]   # 99.9 for 1h15

    assert flatlines(times, stuck) == set(range(3, 15))
    assert flatlines(times, short) == set()


# --- applied by the aggregates task ----------------------------------------------------------


def test_the_task_flags_spikes_and_leaves_the_raw_values_alone():
    stream = DatastreamFactory(observed_property__code="pm25")
    values = calm(40)
    values[20] = 85.0
    store(stream, values)

    aggregates_update()

    got = flags(stream)
    assert got[at(20)] == Quality.SPIKE
    assert [t for t, q in got.items() if q] == [at(20)]
    assert Observation.objects.get(datastream=stream, phenomenon_time=at(20)).result == 85.0
    hour = Aggregate.objects.get(datastream=stream, interval="hour", start=at(20).replace(
        minute=0, second=0))
    assert hour.flagged == 1
    assert hour.maximum < 20


def test_late_neighbours_clear_a_spike_that_was_the_start_of_a_real_rise():
    stream = DatastreamFactory(observed_property__code="pm10")
    store(stream, calm(20) + [200.0])  # the newest value looks wild ...
    aggregates_update()
    assert flags(stream)[at(20)] == Quality.SPIKE

    store(stream, calm(15, base=200.0), first=21)  # ... until the rise goes on
    aggregates_update()

    assert flags(stream)[at(20)] == 0
    assert not any(flags(stream).values())


def test_a_stuck_sensor_is_flagged_once_it_has_been_stuck_long_enough():
    stream = DatastreamFactory(observed_property__code="humidity")
    store(stream, [90.0, 91.0, 92.0] + [99.9] * 30)  # 30 × 145 s = 72 minutes
    aggregates_update()
    assert not any(flags(stream).values())

    store(stream, [99.9] * 30, first=33)  # still 99.9 after 2.4 hours
    aggregates_update()

    got = flags(stream)
    assert {t for t, q in got.items() if q & Quality.FLATLINE} == {at(n) for n in range(3, 63)}
    assert not got[at(2)]


def test_pm_is_flagged_when_the_kits_humidity_is_above_95_percent():
    kit = KitFactory()
    pm = DatastreamFactory(kit=kit, observed_property__code="pm25")
    humidity = DatastreamFactory(kit=kit, observed_property=ObservedPropertyFactory(
        code="humidity"))
    other_kit_humidity = DatastreamFactory(observed_property=humidity.observed_property)
    store(pm, calm(10))
    store(humidity, [80.0] * 5 + [97.0] * 5)
    store(other_kit_humidity, [99.0] * 10)

    aggregates_update()

    got = flags(pm)
    assert [bool(got[at(n)] & Quality.HUMID) for n in range(10)] == [False] * 5 + [True] * 5
    assert not any(q & Quality.HUMID for q in flags(humidity).values())


def test_humidity_that_arrives_later_flags_the_pm_of_that_time():
    kit = KitFactory()
    pm = DatastreamFactory(kit=kit, observed_property__code="pm10")
    humidity = DatastreamFactory(kit=kit, observed_property=ObservedPropertyFactory(
        code="humidity"))
    times = [START + dt.timedelta(minutes=10 * n) for n in range(6)]
    observations_store([Reading(pm.pk, t, v) for t, v in zip(times, calm(6), strict=True)],
                       now=NOW)
    aggregates_update()
    hour = Aggregate.objects.get(datastream=pm, interval="hour")
    assert (hour.count, hour.flagged) == (6, 0)

    # a backlog upload of the humidity, 30 s off the PM times (nearest within 5 minutes)
    observations_store([Reading(humidity.pk, t + dt.timedelta(seconds=30), 98.0)
                        for t in times[:3]], now=NOW)
    aggregates_update()

    assert [bool(flags(pm)[t] & Quality.HUMID) for t in times] == [True] * 3 + [False] * 3
    hour = Aggregate.objects.get(datastream=pm, interval="hour")
    assert (hour.count, hour.flagged) == (3, 3)


def test_flags_are_written_set_based_not_row_by_row():
    def queries_for(spike_count):
        stream = DatastreamFactory(observed_property__code="pm25")
        values = calm(60)
        for n in range(spike_count):
            values[5 + 10 * n] = 90.0
        store(stream, values)
        with CaptureQueriesContext(connection) as captured:
            aggregates_update()
        assert sum(1 for q in flags(stream).values() if q & Quality.SPIKE) == spike_count
        return [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]

    assert len(queries_for(1)) == len(queries_for(5)) == 1


# --- calibration ----------------------------------------------------------------------------


def test_a_calibrated_datastream_sits_beside_the_raw_one():
    raw = DatastreamFactory(observed_property__code="pm25")
    store(raw, [10.0, 20.0, 30.0])

    calibrated = datastream_calibrate(raw=raw, slope=0.5, offset=2.0)

    assert calibrated.calibrated_from == raw
    assert calibrated.kit_id == raw.kit_id
    assert list(Observation.objects.filter(datastream=calibrated).order_by("phenomenon_time")
                .values_list("result", flat=True)) == [7.0, 12.0, 17.0]
    assert list(Observation.objects.filter(datastream=raw).order_by("phenomenon_time")
                .values_list("result", flat=True)) == [10.0, 20.0, 30.0]
    calibrated.refresh_from_db()
    assert (calibrated.last_time, calibrated.last_result) == (at(2), 17.0)
    # its aggregates follow in the next run of the task
    aggregates_update()
    assert Aggregate.objects.get(datastream=calibrated, interval="hour").mean == 12.0

    assert datastream_calibrate(raw=raw, slope=0.5, offset=2.0) == calibrated  # idempotent
    assert Datastream.objects.filter(calibrated_from=raw).count() == 1


def test_configured_calibrations_follow_new_raw_data_with_the_raw_flags(settings):
    settings.SENSORS_CALIBRATIONS = [
        {"sensor": "sds011", "quantity": "pm25", "slope": 0.8, "offset": 1.0,
         "label": "example"},
    ]
    raw = DatastreamFactory(observed_property__code="pm25", observed_property__valid_max=900)
    store(raw, [10.0, 20.0])
    aggregates_update()
    calibrated = Datastream.objects.get(calibrated_from=raw)
    assert "0.8" in calibrated.description
    assert "example" in calibrated.description

    store(raw, [30.0, 5000.0], first=2)
    aggregates_update()

    got = dict(Observation.objects.filter(datastream=calibrated)
               .values_list("result", "quality"))
    assert got == {9.0: 0, 17.0: 0, 25.0: 0, 4001.0: Quality.OUT_OF_RANGE}
    hour = Aggregate.objects.get(datastream=calibrated, interval="hour")
    assert (hour.count, hour.mean, hour.flagged) == (3, 17.0, 1)

    # a changed formula recomputes the whole calibrated series
    settings.SENSORS_CALIBRATIONS[0]["offset"] = 0.0
    store(raw, [40.0], first=4)
    aggregates_update()
    assert sorted(Observation.objects.filter(datastream=calibrated, quality=0)
                  .values_list("result", flat=True)) == [8.0, 16.0, 24.0, 32.0]
    assert not AggregateDirty.objects.exists()


def test_only_raw_datastreams_with_sane_factors_can_be_calibrated():
    raw = DatastreamFactory()
    calibrated = datastream_calibrate(raw=raw, slope=1.1, offset=0)

    with pytest.raises(ValidationError):
        datastream_calibrate(raw=calibrated, slope=1, offset=0)
    for slope, offset in ((0, 1), (float("nan"), 0), ("x", 0), (1, float("inf"))):
        with pytest.raises(ValidationError):
            datastream_calibrate(raw=raw, slope=slope, offset=offset)


def test_quality_constants_are_consistent():
    assert quality.CONTEXT >= quality.SPIKE_MAX_GAP
    assert quality.CONTEXT >= quality.FLATLINE_MIN_DURATION
