"""The beat task keeps the public map's feeds in the cache, so a visitor's request does not
build one (sensors.feeds.map_feed_refresh)."""

import json

import pytest
from django.conf import settings
from django.core.cache import cache

from sensors import feeds
from sensors.models import ObservedProperty
from sensors.tasks import map_feed_refresh_task
from tests.sensors.factories import DatastreamFactory, KitFactory

pytestmark = pytest.mark.django_db



def public_pm25_stream(value: float):
    kit = KitFactory(public_latitude="52.520000", public_longitude="6.080000")
    stream = DatastreamFactory(kit=kit,
                               observed_property=ObservedProperty.objects.get(code="pm25"))
    stream.last_result, stream.last_time = value, kit.created_at
    stream.save()
    return stream


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_refresh_task_is_scheduled_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["sensors-map-feed-refresh"]

    assert entry["task"] == "sensors.tasks.map_feed_refresh_task"


def test_after_a_refresh_a_request_is_served_without_building(django_assert_num_queries):
    public_pm25_stream(12.5)

    built = map_feed_refresh_task()

    assert built == 2  # plain and gzip of the one quantity measured
    pm25 = ObservedProperty.objects.get(code="pm25")
    with django_assert_num_queries(0):  # from the cache: not a single query
        feed = feeds.map_feed(quantity=pm25)
    document = json.loads(feed.body)
    assert document["quantity"]["code"] == "pm25"
    assert [f["properties"]["value"] for f in document["features"]] == [12.5]


def test_a_refresh_replaces_the_feed_with_current_values():
    stream = public_pm25_stream(12.5)
    pm25 = ObservedProperty.objects.get(code="pm25")
    first = feeds.map_feed(quantity=pm25)

    stream.last_result = 40.0
    stream.save()
    map_feed_refresh_task()
    second = feeds.map_feed(quantity=pm25)

    assert second.etag != first.etag
    assert [f["properties"]["value"] for f in json.loads(second.body)["features"]] == [40.0]
