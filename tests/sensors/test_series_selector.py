"""The kit page's series: `feeds.datastream_series` (on PostgreSQL fetched in binary form)
returns exactly the aggregate rows the ORM gives, and the chart drawn from a year of hours
combines them faithfully."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sensors import charts, feeds
from sensors.models import Aggregate
from tests.sensors.factories import DatastreamFactory

pytestmark = pytest.mark.django_db

UNTIL = dt.datetime(2026, 4, 2, 0, tzinfo=dt.UTC)
SINCE = UNTIL - dt.timedelta(days=7)


def aggregate(datastream, interval, start, mean, count=12):
    return Aggregate(datastream=datastream, interval=interval, start=start, count=count,
                     mean=mean, minimum=mean - 1.25, maximum=mean + 2.5, flagged=count % 3)


@pytest.fixture
def streams():
    """Two datastreams with hourly and daily rows around the window (the switch to summer
    time in Amsterdam, 29 March 01:00 UTC, lies inside it), with gaps."""
    mine, other = DatastreamFactory(), DatastreamFactory()
    rows = []
    hour = SINCE - dt.timedelta(hours=5)
    while hour <= UNTIL + dt.timedelta(hours=5):
        if hour.hour not in (3, 4):  # a gap every night
            rows.append(aggregate(mine, "hour", hour, 10 + hour.hour / 3))
            rows.append(aggregate(other, "hour", hour, 99.0))
        if hour.hour == 0:
            rows.append(aggregate(mine, "day", hour, 7.5, count=200))
        hour += dt.timedelta(hours=1)
    Aggregate.objects.bulk_create(rows)
    return mine, other


def before(datastream, interval, since, until):
    """The selector as it was: the ORM's rows."""
    return list(Aggregate.objects.filter(
        datastream=datastream, interval=interval, start__gte=since, start__lt=until,
    ).order_by("start").values_list("start", "mean", "minimum", "maximum", "count"))


@pytest.mark.parametrize("interval", ["hour", "day"])
def test_the_selector_returns_the_same_rows_as_the_orm(streams, interval):
    mine, _other = streams

    rows = feeds.datastream_series(datastream_id=mine.pk, interval=interval, since=SINCE,
                                   until=UNTIL)

    assert rows == before(mine, interval, SINCE, UNTIL)
    assert len(rows) == (7 * 22 if interval == "hour" else 7)
    assert rows[0][0] == SINCE  # the start is included, the end is not
    assert all(start.utcoffset() == dt.timedelta(0) for start, *_values in rows)
    assert [type(value) for value in rows[0]] == [dt.datetime, float, float, float, int]


def test_the_selector_keeps_to_its_datastream_window_and_order(streams):
    mine, other = streams
    since = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # not on an hour
    until = since + dt.timedelta(hours=5)

    rows = feeds.datastream_series(datastream_id=mine.pk, interval="hour", since=since,
                                   until=until)

    assert [start.hour for start, *_values in rows] == [1, 2, 5]
    assert rows == before(mine, "hour", since, until)
    assert feeds.datastream_series(datastream_id=other.pk + 1000, interval="hour",
                                   since=SINCE, until=UNTIL) == []


def test_the_selector_costs_one_query(streams):
    mine, _other = streams

    with CaptureQueriesContext(connection) as queries:
        feeds.datastream_series(datastream_id=mine.pk, interval="hour", since=SINCE,
                                until=UNTIL)

    assert len(queries.captured_queries) == 1
    assert "sensors_aggregate" in queries.captured_queries[0]["sql"]


def test_a_year_of_hours_is_drawn_in_weighted_12_hour_buckets():
    until = dt.datetime(2026, 11, 23, 7, tzinfo=dt.UTC)
    since = until - dt.timedelta(days=365)
    rng = random.Random(5)
    rows = [(since + dt.timedelta(hours=h), rng.uniform(2, 40), 1.0, 50.0 + h % 7,
             rng.choice([0, 6, 25])) for h in range(365 * 24) if h % 500]

    chart = charts.chart_build(rows, since=since, until=until, step=dt.timedelta(hours=1))

    assert chart.bucket == dt.timedelta(hours=12)
    assert chart.points == 731  # from 00:00 UTC on the first day to 00:00 a year later
    total = sum(count for *_values, count in rows)
    assert chart.mean == pytest.approx(sum(mean * count for _s, mean, _l, _h, count in rows)
                                       / total)
    assert (chart.lowest, chart.highest) == (1.0, 56.0)
    merged, width = charts.downsample([charts.Point(*row) for row in rows],
                                      step=dt.timedelta(hours=1))
    first = [row for row in rows if row[0] < merged[1].start]
    weights = sum(row[4] for row in first)
    assert width == dt.timedelta(hours=12)
    assert merged[0].count == weights
    assert merged[0].mean == pytest.approx(sum(row[1] * row[4] for row in first) / weights)
    assert merged[0].maximum == max(row[3] for row in first)
