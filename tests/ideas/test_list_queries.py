"""The reading pages cost the same number of SQL queries however many ideas there are
(issue 4, "done when": the list with 10,000 ideas renders with a constant number of queries)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.ideas.models import Idea
from tests.factories import IdeaFactory, NeighbourhoodFactory, ResidentFactory

pytestmark = pytest.mark.django_db

THEMES = ["mobility", "living", "economy", "environment", "governance", "people"]


def bulk_ideas(count: int, *, start: int = 0) -> None:
    """`count` published ideas, some with a location, an author and a neighbourhood."""
    wijk = NeighbourhoodFactory(name="Wijk A", slug="wijk-a")
    authors = [ResidentFactory(display_name=f"Bewoner {n}") for n in range(3)]
    now = timezone.now()
    Idea.objects.bulk_create(
        [
            Idea(
                title=f"Idee {start + n} voor de stad", body="Meer groen en bankjes in de straat.",
                theme=THEMES[n % len(THEMES)], moderation="published", status="published",
                author=authors[n % 3] if n % 2 else None, show_author_name=bool(n % 4),
                neighbourhood=wijk if n % 5 == 0 else None,
                latitude=Decimal("52.51") if n % 3 == 0 else None,
                longitude=Decimal("6.08") if n % 3 == 0 else None,
                support_count=n % 17, comment_count=n % 11,
                submitted_at=now, published_at=now - dt.timedelta(minutes=n),
            )
            for n in range(count)
        ],
        batch_size=1000,
    )


def queries_of(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "support"}, {"sort": "discussed", "theme": "mobility"},
     {"q": "groen", "neighbourhood": "wijk-a", "page": "2"}],
)
def test_list_query_count_is_the_same_for_3_and_30_ideas(client, params):
    IdeaFactory.create_batch(3, neighbourhood=NeighbourhoodFactory(slug="wijk-a"))
    few = queries_of(client, "/ideeen/", params)
    IdeaFactory.create_batch(27, neighbourhood=NeighbourhoodFactory(slug="wijk-a"))

    assert queries_of(client, "/ideeen/", params) == few


def test_list_with_10000_ideas_renders_with_the_same_queries_as_with_10(client):
    bulk_ideas(10)
    client.get("/ideeen/")  # warm up per-process caches
    with_ten = queries_of(client, "/ideeen/")
    assert client.get("/ideeen/").context["paginator"].count == 10

    bulk_ideas(9_990, start=10)
    assert Idea.objects.public().count() == 10_000

    with_ten_thousand = queries_of(client, "/ideeen/")
    assert with_ten_thousand == with_ten
    assert client.get("/ideeen/").context["paginator"].count == 10_000
    for params in ({"sort": "support"}, {"sort": "discussed", "page": "400"},
                   {"theme": "people", "q": "bankjes"}):
        assert queries_of(client, "/ideeen/", params) == with_ten


def test_list_for_a_logged_in_person_is_constant_too(client):
    client.force_login(ResidentFactory())
    bulk_ideas(5)
    client.get("/ideeen/")
    few = queries_of(client, "/ideeen/")
    bulk_ideas(200, start=5)

    assert queries_of(client, "/ideeen/") == few


def test_map_page_and_map_data_queries_do_not_grow(client):
    bulk_ideas(6)
    client.get(reverse("ideas:map"))
    page, data = queries_of(client, reverse("ideas:map")), queries_of(
        client, reverse("ideas:map-data"))
    bulk_ideas(600, start=6)

    assert queries_of(client, reverse("ideas:map")) == page
    assert queries_of(client, reverse("ideas:map-data")) == data
    assert data <= 2  # the points, and at most a session


def test_feeds_queries_do_not_grow(client):
    bulk_ideas(4)
    client.get(reverse("ideas:feed-rss"))
    rss, atom = queries_of(client, reverse("ideas:feed-rss")), queries_of(
        client, reverse("ideas:feed-atom"))
    bulk_ideas(120, start=4)

    assert queries_of(client, reverse("ideas:feed-rss")) == rss
    assert queries_of(client, reverse("ideas:feed-atom")) == atom
