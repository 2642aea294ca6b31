"""The observation store: every ingest path ends in `observations_store`."""

import datetime as dt

import pytest
from django.utils import timezone

from sensors.models import AggregateDirty, Datastream, Observation, Quality
from sensors.services import Reading, observations_store, public_location
from tests.sensors.factories import DatastreamFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def test_readings_are_stored_and_the_summaries_follow():
    stream = DatastreamFactory(observed_property__code="pm25")
    times = [NOW - dt.timedelta(minutes=m) for m in (10, 5, 0)]

    result = observations_store(
        [Reading(stream.pk, t, v) for t, v in zip(times, (4.0, 5.5, 6.25), strict=True)],
        now=NOW,
    )

    assert (result.stored, result.received, result.rejected) == (3, 3, [])
    stream.refresh_from_db()
    assert (stream.first_time, stream.last_time, stream.last_result) == (times[0], NOW, 6.25)
    assert stream.kit.__class__.objects.get(pk=stream.kit_id).last_seen_at == NOW
    assert AggregateDirty.objects.filter(datastream=stream).count() == 2  # 11:00 and 12:00


def test_a_replay_adds_nothing_and_a_repeat_inside_one_batch_is_stored_once():
    stream = DatastreamFactory()
    reading = Reading(stream.pk, NOW, 7.0)

    assert observations_store([reading, reading], now=NOW).stored == 1
    assert observations_store([reading], now=NOW).stored == 0
    assert Observation.objects.count() == 1


def test_bad_readings_are_refused_one_by_one_and_the_good_ones_stored():
    stream = DatastreamFactory()
    readings = [
        Reading(stream.pk, NOW, 1.0),
        Reading(stream.pk, NOW + dt.timedelta(hours=1), 2.0),
        Reading(stream.pk, NOW - dt.timedelta(minutes=1), float("nan")),
        Reading(stream.pk, dt.datetime(2026, 1, 1), 3.0),  # noqa: DTZ001 - naive on purpose
        Reading(999_999, NOW, 4.0),
    ]

    result = observations_store(readings, now=NOW)

    assert result.stored == 1
    assert dict(result.rejected) == {
        1: "time is in the future", 2: "result is not a finite number",
        3: "time has no time zone", 4: "unknown datastream",
    }


def test_values_outside_the_plausible_range_are_stored_with_a_flag():
    stream = DatastreamFactory(observed_property__valid_min=0, observed_property__valid_max=100)

    observations_store([Reading(stream.pk, NOW, 250.0), Reading(stream.pk, NOW - dt.timedelta(
        minutes=1), 50.0)], now=NOW)

    flags = dict(Observation.objects.values_list("result", "quality"))
    assert flags == {250.0: Quality.OUT_OF_RANGE, 50.0: 0}
    assert Datastream.objects.get().last_result == 250.0


def test_public_location_is_a_fixed_100_metre_grid_cell_centre():
    home = ("52.530123", "6.061234")
    public = public_location(*home)

    assert public == public_location("52.530456", "6.061500")  # same cell, same point
    assert public != tuple(map(type(public[0]), home))
    # never more than half a cell diagonal (~71 m) away, always at least a little
    lat_m = abs(float(public[0]) - 52.530123) * 111_320
    assert lat_m <= 50


def test_an_empty_batch_is_fine():
    assert observations_store([], now=timezone.now()).stored == 0
