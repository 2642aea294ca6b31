"""A kit's public page: name, project, grid location, latest values, and the chart of hourly or
daily averages (server-side SVG) with its data table, for every period."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sensors import charts
from sensors.models import Aggregate, Kit
from sensors.services import public_location
from tests.sensors.factories import DatastreamFactory, KitFactory, ObservedPropertyFactory

pytestmark = pytest.mark.django_db

EXACT_LAT, EXACT_LON = "52.534567", "6.051234"


def placed_kit(**kwargs):
    public_lat, public_lon = public_location(EXACT_LAT, EXACT_LON)
    return KitFactory(latitude=Decimal(EXACT_LAT), longitude=Decimal(EXACT_LON),
                      public_latitude=public_lat, public_longitude=public_lon, **kwargs)


@pytest.fixture
def dust():
    return ObservedPropertyFactory(code="fijnstof-test", name="Fine dust", unit_symbol="µg/m³",
                                   valid_min=0, valid_max=900)


@pytest.fixture
def kit():
    return placed_kit(name="Tuin Van Dam")


@pytest.fixture
def datastream(kit, dust):
    return DatastreamFactory(kit=kit, observed_property=dust, last_result=7.5,
                             last_time=timezone.now() - dt.timedelta(minutes=3))


def hourly_year(datastream, *, hours=24 * 365, interval="hour"):
    """A year of hourly aggregates (and the days), ending in the current hour."""
    now = timezone.now().astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    step = dt.timedelta(hours=1) if interval == "hour" else dt.timedelta(days=1)
    if interval == "day":
        now = now.replace(hour=0)
    rows = [
        Aggregate(datastream=datastream, interval=interval, start=now - n * step,
                  count=24, mean=10 + (n % 24) / 2, minimum=5 + (n % 7), maximum=30 + n % 11)
        for n in range(hours)
    ]
    Aggregate.objects.bulk_create(rows)
    return rows


def page(client, kit, **params):
    response = client.get(reverse("sensors:kit_public", kwargs={"public_id": kit.public_id}),
                          params)
    assert response.status_code == 200
    return response, response.content.decode()


def test_the_page_shows_the_kit_project_grid_location_and_latest_values(client, kit,
                                                                        datastream):
    _response, html = page(client, kit)

    assert "<h1>Tuin Van Dam</h1>" in html
    assert kit.project.name in html
    assert str(kit.public_latitude) in html
    assert str(kit.public_longitude) in html
    assert EXACT_LAT not in html
    assert EXACT_LON not in html
    assert EXACT_LAT[:-1] not in html
    assert EXACT_LON[:-1] not in html
    latest = html[html.index('data-testid="latest-values"'):]
    assert "Fine dust" in latest
    assert "7,5" in latest
    assert "µg/m³" in latest
    assert 'data-sensors-map="point"' in html


@pytest.mark.parametrize("state", [Kit.State.STOPPED, Kit.State.UNCLAIMED])
def test_a_kit_that_is_not_public_is_not_found(client, state):
    kit = placed_kit(state=state)

    response = client.get(reverse("sensors:kit_public", kwargs={"public_id": kit.public_id}))

    assert response.status_code == 404


def test_a_kit_without_a_location_is_not_found(client):
    kit = KitFactory()

    response = client.get(reverse("sensors:kit_public", kwargs={"public_id": kit.public_id}))

    assert response.status_code == 404


@pytest.mark.parametrize(("period", "interval", "points"), [
    ("24h", "hour", 24), ("7d", "hour", 168), ("30d", "hour", 720), ("1y", "hour", 8760),
])
def test_every_period_has_a_chart_and_a_table(client, kit, datastream, period, interval,
                                             points, django_assert_max_num_queries):
    hourly_year(datastream)

    with django_assert_max_num_queries(6):
        response, html = page(client, kit, period=period, interval=interval)

    chart = response.context["chart"]
    assert not chart.empty
    assert chart.points <= charts.MAX_POINTS
    svg = html[html.index("<svg class=\"kit-chart__svg\""):html.index("</svg>")]
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "<desc" in svg
    assert 'class="kit-chart__line" d="M' in svg
    assert "µg/m³" in svg  # the unit on the axis
    assert len(re.findall(r"<text ", svg)) >= 6  # axis labels
    table = html[html.index('data-testid="kit-table"'):]
    assert "<caption" in table
    assert "µg/m³" in table
    assert response.context["table_page"].paginator.count in (points, points + 1)
    assert len(response.context["table_page"].object_list) <= 100


def test_a_year_of_hourly_values_is_downsampled_for_the_drawing_and_paginated(client, kit,
                                                                              datastream):
    hourly_year(datastream)

    response, html = page(client, kit, period="1y", interval="hour", page="2")

    assert response.context["downsampled"] is True
    assert response.context["bucket_hours"] == 12
    assert response.context["table_page"].number == 2
    assert "<details" in html
    assert " open>" in html


def test_daily_averages_are_the_default_for_a_year(client, kit, datastream):
    hourly_year(datastream, hours=400, interval="day")

    response, _html = page(client, kit, period="1y")

    assert response.context["interval"] == "day"
    assert response.context["chart"].points == 366 or response.context["chart"].points == 365


def test_a_period_without_averages_says_so(client, kit, datastream):
    _response, html = page(client, kit, period="24h")

    assert 'data-testid="chart-empty"' in html
    assert "<svg class=\"kit-chart__svg\"" not in html


def test_nonsense_parameters_fall_back_to_defaults(client, kit, datastream):
    response, _html = page(client, kit, period="10y", interval="minute", datastream="abc",
                           page="-1")

    assert (response.context["period"], response.context["interval"]) == ("7d", "hour")
    assert response.context["stream"] == datastream


def test_another_kits_datastream_cannot_be_chosen(client, kit, datastream, dust):
    other = DatastreamFactory(kit=placed_kit(), observed_property=dust)

    response, _html = page(client, kit, datastream=str(other.pk))

    assert response.context["stream"] == datastream


def test_a_gap_in_the_data_breaks_the_line():
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    rows = [(start + dt.timedelta(hours=h), 10.0, 5.0, 15.0, 10) for h in (0, 1, 2, 6, 7, 12)]

    chart = charts.chart_build(rows, since=start, until=start + dt.timedelta(hours=24),
                               step=dt.timedelta(hours=1))

    assert chart.line.count("M") == 2  # two runs of points
    assert len(chart.dots) == 1  # the lone point at 12:00
    assert len(chart.bands) == 2


def test_downsampling_keeps_extremes_and_weights_the_mean():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    points = [charts.Point(start + dt.timedelta(hours=h), float(h % 2), 0.0, 100.0 if h == 5
                           else 1.0, 1 if h % 2 else 3) for h in range(2000)]

    merged, width = charts.downsample(points, step=dt.timedelta(hours=1), max_points=800)

    assert width == dt.timedelta(hours=3)
    assert len(merged) <= 800
    assert max(point.maximum for point in merged) == 100.0
    first = merged[0]  # hours 0,1,2: means 0,1,0 with counts 3,1,3
    assert first.count == 7
    assert first.mean == pytest.approx(1 / 7)


@pytest.mark.parametrize(("low", "high", "first", "last"), [
    (0, 47, 0, 50), (3.2, 3.9, 3.2, 4.0), (-12, 31, -20, 40), (5, 5, 4.4, 5.6),
])
def test_axis_ticks_are_round_and_cover_the_values(low, high, first, last):
    ticks = charts.nice_ticks(low, high)

    assert ticks[0] <= low
    assert ticks[-1] >= high
    assert ticks[0] == pytest.approx(first)
    assert ticks[-1] == pytest.approx(last)


def test_a_kits_absolute_url_is_its_public_page(kit):
    assert kit.get_absolute_url() == reverse("sensors:kit_public",
                                             kwargs={"public_id": kit.public_id})
