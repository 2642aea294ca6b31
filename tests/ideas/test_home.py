"""The home page's "Latest ideas": the three newest published ideas, in one query."""

import datetime as dt

import pytest
from django.utils import timezone

from portal.core.selectors import home_sections
from portal.ideas.models import Moderation
from tests.factories import IdeaFactory

pytestmark = pytest.mark.django_db


def _english(client):
    client.cookies["django_language"] = "en"


def _idea(title, *, days_ago, **kwargs):
    when = timezone.now() - dt.timedelta(days=days_ago)
    return IdeaFactory(title=title, submitted_at=when, published_at=when, **kwargs)


def _ideas_section(html):
    start = html.index('id="section-ideas"')
    return html[start:html.index("</section>", start)]


def test_the_home_page_shows_the_three_newest_published_ideas(client):
    _english(client)
    _idea("Het oudste idee van de stad", days_ago=9)
    newest = _idea("Schaduw op de Grote Markt", days_ago=1,
                   body="Meer bomen tegen **hittestress** in de binnenstad.")
    _idea("Bankjes langs de Thorbeckegracht", days_ago=3)
    _idea("Fietsroute naar school", days_ago=2)
    IdeaFactory(title="Een concept dat niemand ziet", moderation=Moderation.DRAFT,
                published_at=None)
    IdeaFactory(title="Een afgewezen idee", moderation=Moderation.REJECTED)

    section = _ideas_section(client.get("/").content.decode())

    titles = [line.split(">")[-1] for line in section.split("</a></h3>")[:-1]]
    assert titles == ["Schaduw op de Grote Markt", "Fietsroute naar school",
                      "Bankjes langs de Thorbeckegracht"]
    assert f'<a href="{newest.get_absolute_url()}">Schaduw op de Grote Markt</a>' in section
    # The summary is plain text: the formatting marks are gone.
    assert '<p class="card__summary">Meer bomen tegen hittestress in de binnenstad.</p>' in section
    assert "No ideas have been published yet." not in section
    assert '<a href="/ideeen/">Go to ideas</a>' in section


def test_the_home_page_escapes_idea_titles(client):
    _english(client)
    IdeaFactory(title="<script>alert(1)</script> meer groen")

    section = _ideas_section(client.get("/").content.decode())

    assert "<script>alert(1)</script>" not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt; meer groen" in section


def test_without_published_ideas_the_section_shows_its_empty_state(client):
    _english(client)
    IdeaFactory(moderation=Moderation.PENDING, published_at=None)

    section = _ideas_section(client.get("/").content.decode())

    assert '<p class="empty-state">No ideas have been published yet.</p>' in section
    assert [s["items"] for s in home_sections() if s["key"] == "ideas"] == [[]]


@pytest.mark.parametrize("count", [1, 25])
def test_the_home_page_costs_one_query_for_the_ideas_whatever_their_number(
    client, count, django_assert_num_queries,
):
    for n in range(count):
        _idea(f"Idee nummer {n} voor Zwolle", days_ago=n)

    # one for the ideas, one for the sensor projects, one for the open challenges
    with django_assert_num_queries(3):
        response = client.get("/")

    assert response.status_code == 200
    assert response.content.decode().count('class="card"') == min(count, 3)
