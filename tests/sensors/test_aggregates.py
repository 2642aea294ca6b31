"""Hourly and daily aggregates, maintained from the buckets that received data."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sensors import aggregates, quality
from sensors.aggregates import aggregates_update
from sensors.models import Aggregate, AggregateDirty, Observation, Quality
from sensors.services import Reading, observations_store
from sensors.tasks import aggregates_update_task
from tests.sensors.factories import DatastreamFactory, KitFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 30, tzinfo=dt.UTC)
H10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
H11 = H10 + dt.timedelta(hours=1)
DAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def store(stream, values_at, *, now=NOW):
    """values_at: [(time, value)]"""
    return observations_store([Reading(stream.pk, t, v) for t, v in values_at], now=now)


def rows(stream=None):
    queryset = Aggregate.objects.order_by("datastream_id", "interval", "start")
    if stream is not None:
        queryset = queryset.filter(datastream=stream)
    return [(a.interval, a.start, a.count, a.mean, a.minimum, a.maximum, a.flagged)
            for a in queryset]


def test_hourly_and_daily_count_mean_min_max():
    stream = DatastreamFactory()
    store(stream, [(H10 + dt.timedelta(minutes=m), v) for m, v in ((0, 4.0), (20, 5.0),
                                                                   (40, 6.0))])
    store(stream, [(H11 + dt.timedelta(minutes=5), 5.0), (H11 + dt.timedelta(minutes=50), 7.0)])

    result = aggregates_update()

    assert result.claimed == 2
    assert rows(stream) == [
        ("day", DAY, 5, 5.4, 4.0, 7.0, 0),
        ("hour", H10, 3, 5.0, 4.0, 6.0, 0),
        ("hour", H11, 2, 6.0, 5.0, 7.0, 0),
    ]
    assert not AggregateDirty.objects.exists()


def test_running_again_changes_nothing():
    stream = DatastreamFactory()
    store(stream, [(H10 + dt.timedelta(minutes=m), float(m)) for m in range(0, 60, 5)])
    aggregates_update()
    before = rows()

    assert aggregates_update().claimed == 0
    aggregates.aggregates_rebuild()  # recomputing everything gives the same figures

    assert rows() == before


def test_late_data_for_an_old_hour_updates_that_hour_and_its_day():
    stream = DatastreamFactory()
    old = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    store(stream, [(old + dt.timedelta(minutes=10), 4.0), (H10, 100.0)])
    aggregates_update()
    assert ("hour", old, 1, 4.0, 4.0, 4.0, 0) in rows(stream)

    store(stream, [(old + dt.timedelta(minutes=30), 8.0)])  # arrives days later
    aggregates_update()

    figures = rows(stream)
    assert ("hour", old, 2, 6.0, 4.0, 8.0, 0) in figures
    assert ("day", old.replace(hour=0), 2, 6.0, 4.0, 8.0, 0) in figures
    assert ("hour", H10, 1, 100.0, 100.0, 100.0, 0) in figures  # untouched


def test_flagged_values_are_left_out_and_counted_apart():
    stream = DatastreamFactory(observed_property__valid_min=0, observed_property__valid_max=500)
    store(stream, [(H10, 10.0), (H10 + dt.timedelta(minutes=10), 20.0),
                   (H10 + dt.timedelta(minutes=20), 9000.0)])  # out of range

    aggregates_update()

    assert rows(stream) == [("day", DAY, 2, 15.0, 10.0, 20.0, 1),
                            ("hour", H10, 2, 15.0, 10.0, 20.0, 1)]


def test_a_bucket_with_only_flagged_values_has_no_row():
    stream = DatastreamFactory(observed_property__valid_max=100)
    store(stream, [(H10, 10.0)])
    aggregates_update()
    Observation.objects.filter(datastream=stream).update(quality=Quality.OUT_OF_RANGE)
    AggregateDirty.objects.create(datastream=stream, hour=H10)  # e.g. a re-judged hour

    aggregates_update()

    assert rows(stream) == []


def test_only_the_claimed_dirty_rows_are_deleted(monkeypatch):
    """A value arriving while a batch is computed marks its hour again for the next run."""
    stream = DatastreamFactory()
    store(stream, [(H10, 1.0)])
    real = quality.observations_check

    def arrives_meanwhile(buckets):
        store(stream, [(H10 + dt.timedelta(minutes=7), 3.0)])  # same hour, new value
        return real(buckets)

    monkeypatch.setattr(quality, "observations_check", arrives_meanwhile)
    aggregates_update(max_batches=1)
    monkeypatch.setattr(quality, "observations_check", real)

    assert list(AggregateDirty.objects.values_list("datastream_id", "hour")) == [
        (stream.pk, H10)]
    aggregates_update()
    assert ("hour", H10, 2, 2.0, 1.0, 3.0, 0) in rows(stream)


def test_batches_and_a_failure_puts_the_claim_back(monkeypatch):
    stream = DatastreamFactory()
    store(stream, [(H10 + dt.timedelta(hours=h), float(h)) for h in range(4)], now=NOW
          + dt.timedelta(hours=3))

    def broken(buckets):
        raise RuntimeError("database went away")

    monkeypatch.setattr(aggregates, "_aggregate", broken)
    with pytest.raises(RuntimeError):
        aggregates_update(batch_size=3)
    assert AggregateDirty.objects.count() == 4
    monkeypatch.undo()

    result = aggregates_update(batch_size=3)

    assert (result.batches, result.claimed) == (2, 4)
    assert Aggregate.objects.filter(datastream=stream, interval="hour").count() == 4


def test_a_time_with_a_half_hour_offset_lands_in_its_utc_hour():
    stream = DatastreamFactory()
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    moment = dt.datetime(2026, 11, 23, 16, 40, tzinfo=india)  # 11:10 UTC
    store(stream, [(moment, 7.0)])

    aggregates_update()

    assert ("hour", H11, 1, 7.0, 7.0, 7.0, 0) in rows(stream)


def test_the_number_of_queries_does_not_grow_with_the_datastreams():
    def run(n):
        kit = KitFactory()
        for _ in range(n):
            stream = DatastreamFactory(kit=kit)
            store(stream, [(H10 + dt.timedelta(minutes=m), 5.0 + m % 3)
                           for m in range(0, 60, 6)])
        with CaptureQueriesContext(connection) as queries:
            aggregates_update()
        return len(queries)

    assert run(2) == run(8)


def test_the_celery_task_and_the_command():
    stream = DatastreamFactory()
    store(stream, [(H10, 1.0)])

    assert aggregates_update_task.delay().get() == 1
    assert rows(stream)[1] == ("hour", H10, 1, 1.0, 1.0, 1.0, 0)

    store(stream, [(H10 + dt.timedelta(minutes=1), 3.0)])
    call_command("sensors_aggregate", stdout=(out := _Buffer()))
    assert "1 dirty bucket(s) taken" in out.text
    assert rows(stream)[1] == ("hour", H10, 2, 2.0, 1.0, 3.0, 0)

    call_command("sensors_aggregate", "--rebuild", "--datastream", str(stream.pk),
                 stdout=(out := _Buffer()))
    assert rows(stream)[1] == ("hour", H10, 2, 2.0, 1.0, 3.0, 0)


class _Buffer:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_buckets_of_a_kit_being_written_right_now_wait_for_the_next_run():
    """A store transaction still open for the kit could add a value to a bucket whose mark
    already exists: the claim leaves such kits alone instead of losing that value."""
    import psycopg

    stream = DatastreamFactory()
    store(stream, [(H10, 1.0)])
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"],
              "host": db["HOST"], "port": db["PORT"]}
    with psycopg.connect(**{k: v for k, v in params.items() if v}) as other:
        other.execute("UPDATE sensors_kit SET last_seen_at = now() WHERE id = %s",
                      [stream.kit_id])  # what observations_store does, not yet committed

        assert aggregates_update().claimed == 0
        assert AggregateDirty.objects.count() == 1
        other.rollback()

    assert aggregates_update().claimed == 1
    assert rows(stream)[1] == ("hour", H10, 1, 1.0, 1.0, 1.0, 0)
