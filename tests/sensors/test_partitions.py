"""Monthly partitions of the observation store (PostgreSQL; a no-op on SQLite)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection

from sensors.models import Observation
from sensors.partitions import partition_name, partitions_ensure, partitions_existing
from sensors.services import Reading, observations_store
from sensors.tasks import observation_partitions_task
from tests.sensors.factories import DatastreamFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2031, 5, 20)  # far from the real date: no partition exists yet
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are a PostgreSQL feature"
)


def where_rows_are():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, phenomenon_time FROM "
                       "sensors_observation ORDER BY phenomenon_time")
        return [(table, moment) for table, moment in cursor.fetchall()]


@postgresql_only
def test_the_current_month_and_the_next_ones_get_a_partition():
    created = partitions_ensure(months_ahead=3, today=TODAY)

    expected = ["sensors_observation_y2031m05", "sensors_observation_y2031m06",
                "sensors_observation_y2031m07", "sensors_observation_y2031m08"]
    assert created == expected
    assert set(expected) <= partitions_existing()
    assert "sensors_observation_default" in partitions_existing()
    assert partitions_ensure(months_ahead=3, today=TODAY) == []  # nothing twice
    # the year turns over
    assert partitions_ensure(months_ahead=1, today=dt.date(2031, 12, 1)) == [
        "sensors_observation_y2031m12", "sensors_observation_y2032m01"]


@postgresql_only
def test_rows_land_in_their_months_partition_and_a_replay_is_still_ignored():
    partitions_ensure(months_ahead=1, today=TODAY)
    stream = DatastreamFactory()
    may = dt.datetime(2031, 5, 31, 23, 59, tzinfo=dt.UTC)
    june = dt.datetime(2031, 6, 1, 0, 0, tzinfo=dt.UTC)
    later = dt.datetime(2031, 9, 1, tzinfo=dt.UTC)  # no partition: the default one
    readings = [Reading(stream.pk, t, 1.0) for t in (may, june, later)]

    assert observations_store(readings, now=later).stored == 3
    assert observations_store(readings, now=later).stored == 0  # replay across partitions

    assert where_rows_are() == [("sensors_observation_y2031m05", may),
                                ("sensors_observation_y2031m06", june),
                                ("sensors_observation_default", later)]
    assert Observation.objects.count() == 3


@postgresql_only
def test_rows_already_in_the_default_partition_are_moved_into_a_new_one():
    stream = DatastreamFactory()
    moments = [dt.datetime(2031, 3, 10, tzinfo=dt.UTC), dt.datetime(2031, 6, 10, tzinfo=dt.UTC),
               dt.datetime(2031, 7, 2, tzinfo=dt.UTC)]
    observations_store([Reading(stream.pk, t, 5.0) for t in moments], now=moments[-1])
    assert {table for table, _t in where_rows_are()} == {"sensors_observation_default"}

    created = partitions_ensure(months_ahead=1, today=TODAY, since=dt.date(2031, 3, 1))

    assert created == [partition_name(2031, month) for month in (3, 4, 5, 6)]
    assert where_rows_are() == [("sensors_observation_y2031m03", moments[0]),
                                ("sensors_observation_y2031m06", moments[1]),
                                ("sensors_observation_default", moments[2])]
    # still one table to the code above, with its unique key intact
    assert observations_store([Reading(stream.pk, moments[1], 5.0)], now=moments[-1]).stored == 0
    assert Observation.objects.filter(datastream=stream).count() == 3


@postgresql_only
def test_the_command_and_the_celery_task():
    out = io.StringIO()
    call_command("sensors_partitions", "--months-ahead", "2", "--since", "2026-09", stdout=out)
    assert "created sensors_observation_y2026m09" in out.getvalue()

    names = observation_partitions_task.delay(months_ahead=1).get()
    assert all(name.startswith("sensors_observation_y") for name in names)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite behaviour")
def test_on_sqlite_nothing_happens():
    out = io.StringIO()
    call_command("sensors_partitions", "--months-ahead", "3", stdout=out)

    assert "Nothing to do" in out.getvalue()
    assert partitions_ensure(months_ahead=3) == []
    assert partition_name(2026, 1) == "sensors_observation_y2026m01"
