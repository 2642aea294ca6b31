import re

import pytest
from django.utils import translation

from portal.core.selectors import home_sections
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_home_sections_are_the_four_areas_in_order_and_empty_for_now():
    sections = home_sections()

    with translation.override("nl"):
        titles = [(s["key"], str(s["title"]), s["area_url_name"]) for s in sections]
    assert titles == [
        ("challenges", "Open uitdagingen", "area-challenges"),
        ("ideas", "Nieuwste ideeën", "area-ideas"),
        ("sensors", "Sensorprojecten", "area-sensors"),
        ("pilots", "Pilots die net zijn geëvalueerd", "area-registers"),
    ]
    assert all(section["items"] == [] for section in sections)


def test_home_shows_purpose_and_an_empty_state_per_section(client):
    _english(client)

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="hero__title">Together we make the city</h1>' in html
    headings = re.findall(r'<h2 id="section-[a-z]+" class="home-section__title">([^<]+)</h2>', html)
    assert headings == [
        "Open challenges",
        "Latest ideas",
        "Sensor projects",
        "Recently evaluated pilots",
    ]
    assert '<p class="empty-state">There are no open challenges yet.</p>' in html
    assert '<p class="empty-state">No ideas have been published yet.</p>' in html
    assert '<p class="empty-state">There are no sensor projects yet.</p>' in html
    assert '<p class="empty-state">No pilots have been evaluated yet.</p>' in html
    assert '<a href="/uitdagingen/">Go to challenges</a>' in html
    assert '<a href="/ideeen/">Go to ideas</a>' in html
    assert '<a href="/sensoren/">Go to sensors</a>' in html
    assert '<a href="/registers/">Go to registers</a>' in html


def test_home_shows_purpose_and_empty_states_in_dutch_by_default(client):
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="hero__title">Samen maken we de stad</h1>' in html
    headings = re.findall(r'<h2 id="section-[a-z]+" class="home-section__title">([^<]+)</h2>', html)
    assert headings == [
        "Open uitdagingen",
        "Nieuwste ideeën",
        "Sensorprojecten",
        "Pilots die net zijn geëvalueerd",
    ]
    assert '<p class="empty-state">Er zijn nog geen open uitdagingen.</p>' in html
    assert '<p class="empty-state">Er zijn nog geen ideeën gepubliceerd.</p>' in html
    assert '<p class="empty-state">Er zijn nog geen sensorprojecten.</p>' in html
    assert '<p class="empty-state">Er zijn nog geen pilots geëvalueerd.</p>' in html
    assert '<a href="/uitdagingen/">Naar uitdagingen</a>' in html
    assert '<a href="/ideeen/">Naar ideeën</a>' in html
    assert '<a href="/sensoren/">Naar sensoren</a>' in html
    assert '<a href="/registers/">Naar registers</a>' in html


def test_home_renders_section_items_as_escaped_cards(client, monkeypatch):
    sections = home_sections()
    sections[1]["items"] = [
        {"title": "<b>Meer bankjes</b>", "url": "/ideeen/meer-bankjes/", "summary": "In het park"}
    ]
    monkeypatch.setattr("portal.core.selectors.home_sections", lambda: sections)

    html = client.get("/").content.decode()

    assert '<a href="/ideeen/meer-bankjes/">&lt;b&gt;Meer bankjes&lt;/b&gt;</a>' in html
    assert '<p class="card__summary">In het park</p>' in html
    assert html.count('class="empty-state"') == 3


def test_home_query_count_anonymous(client, django_assert_num_queries):
    # The open challenges, the latest ideas and the sensor projects (one query each, however
    # many there are); the pilots section adds nothing yet.
    with django_assert_num_queries(3):
        response = client.get("/")

    assert response.status_code == 200


def test_home_query_count_logged_in(client, django_assert_num_queries):
    client.force_login(UserFactory())
    client.get("/")  # the first request links the session to the user (django-sessionprofile)

    # The session, the user, the unread-notifications count in the header, and
    # django-sessionprofile's check of the session row plus its load of that row's user.
    # The open challenges, the latest ideas and the sensor projects add one each; each later
    # selector may add one query, not one per item.
    with django_assert_num_queries(8):
        response = client.get("/")

    assert response.status_code == 200
    assert 'data-testid="user-name"' in response.content.decode()
