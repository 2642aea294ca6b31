"""The public reading pages of ideas: list, map (+ GeoJSON), idea page, images, realised ideas."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portal.accounts import roles
from portal.ideas import services, views
from portal.ideas.models import IdeaEvent, IdeaImage, Moderation, ReasonCode, Status
from tests.factories import (
    CommentFactory,
    IdeaFactory,
    NeighbourhoodFactory,
    ResidentFactory,
    user_for_role,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/ideeen/"


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def html_of(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def titles_in(html: str) -> list[str]:
    return re.findall(r'<h2 class="card__title"><a href="[^"]+">([^<]+)</a></h2>', html)


def days_ago(days: int):
    return timezone.now() - dt.timedelta(days=days)


def hidden_idea(moderation: str, **fields):
    return IdeaFactory(moderation=moderation, published_at=None, **fields)


# --- the list --------------------------------------------------------------------------------


def test_list_is_the_ideas_area_page_with_its_nav_name(client):
    assert reverse("area-ideas") == LIST_URL
    html = html_of(client, LIST_URL)
    assert '<a class="site-nav__link" href="/ideeen/" aria-current="page">' in html


def test_list_shows_published_ideas_only(english):
    IdeaFactory(title="Een gepubliceerd idee")
    for state in ("draft", "pending", "changes_requested", "rejected", "appealed"):
        hidden_idea(state, title=f"Verborgen idee {state}")

    html = html_of(english, LIST_URL)

    assert titles_in(html) == ["Een gepubliceerd idee"]
    assert "1 idea" in html
    assert "Verborgen" not in html


def test_card_shows_what_a_reader_needs(english):
    wijk = NeighbourhoodFactory(name="Assendorp", slug="assendorp")
    author = ResidentFactory(display_name="Fatima Yilmaz")
    idea = IdeaFactory(
        title="Bankjes langs de IJssel", author=author, show_author_name=True, theme="mobility",
        status=Status.UNDER_CONSIDERATION, neighbourhood=wijk, support_count=7, comment_count=3,
        body="Oudere **bewoners** willen onderweg kunnen rusten & kijken.",
        published_at=dt.datetime(2025, 3, 14, 11, 0, tzinfo=dt.UTC),
    )

    html = html_of(english, LIST_URL)

    card = html.split('data-testid="idea-card"', 1)[1].split("</li>", 1)[0]
    assert f'<a href="/ideeen/{idea.public_id}/">Bankjes langs de IJssel</a>' in card
    assert "Oudere bewoners willen onderweg kunnen rusten &amp; kijken." in card
    assert "<strong>" not in card
    assert "Under consideration" in card
    assert "Mobility" in card
    assert "Assendorp" in card
    assert "Fatima Yilmaz" in card
    assert '<dd data-testid="support-count">7</dd>' in card
    assert '<dd data-testid="comment-count">3</dd>' in card
    assert "14 March 2025" in card


def test_card_shows_anonymous_resident_without_consent_to_show_the_name(english):
    IdeaFactory(author=ResidentFactory(display_name="Geheime Naam"), show_author_name=False)

    html = html_of(english, LIST_URL)

    assert "Geheime Naam" not in html
    assert "anonymous resident" in html


def test_list_links_to_sharing_map_realised_statistics_and_feeds(english):
    html = html_of(english, LIST_URL)

    assert f'href="{reverse("ideas:create")}"' in html
    assert "Share an idea" in html
    for name in ("ideas:map", "ideas:realised", "ideas:statistics", "ideas:feed-rss",
                 "ideas:feed-atom"):
        assert f'href="{reverse(name)}' in html, name
    assert (f'<link rel="alternate" type="application/rss+xml" title="Ideas (RSS)" '
            f'href="{reverse("ideas:feed-rss")}">') in html
    assert 'rel="alternate" type="application/atom+xml"' in html


def test_filter_form_has_a_label_for_every_field(english):
    NeighbourhoodFactory(name="Stadshagen", slug="stadshagen")

    html = html_of(english, LIST_URL)

    form = html.split('data-testid="idea-filters"', 1)[1].split("</form>", 1)[0]
    ids = re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', form)
    assert ids == ["idea-q", "idea-theme", "idea-status", "idea-neighbourhood", "idea-sort"]
    for field_id in ids:
        assert f'<label for="{field_id}">' in form
    assert 'role="search"' in html
    assert '<option value="stadshagen">Stadshagen</option>' in form


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"theme": "mobility"}, ["Fietspad"]),
        ({"status": "accepted"}, ["Moestuin"]),
        ({"neighbourhood": "zuid"}, ["Moestuin"]),
        ({"q": "FIETS"}, ["Fietspad"]),
        ({"q": "bomen"}, ["Moestuin"]),  # the description is searched too
        ({"q": "moestuin bomen"}, ["Moestuin"]),
        ({"theme": "mobility", "status": "accepted"}, []),
        ({"theme": "no-such-theme"}, ["Moestuin", "Fietspad"]),  # unknown values are ignored
    ],
)
def test_filters_and_search(client, params, expected):
    zuid = NeighbourhoodFactory(name="Zuid", slug="zuid")
    IdeaFactory(title="Fietspad", theme="mobility", body="Een veilige route naar school, graag.",
                published_at=days_ago(2))
    IdeaFactory(title="Moestuin", theme="environment", status=Status.ACCEPTED, neighbourhood=zuid,
                body="Een tuin met groente en bomen voor iedereen.", published_at=days_ago(1))

    assert titles_in(html_of(client, LIST_URL, **params)) == expected


def test_filter_form_keeps_the_chosen_values(client):
    NeighbourhoodFactory(name="Zuid", slug="zuid")

    html = html_of(client, LIST_URL, theme="people", status="realised", neighbourhood="zuid",
                   q="park <b>", sort="support")

    assert '<option value="people" selected>' in html
    assert '<option value="realised" selected>' in html
    assert '<option value="zuid" selected>' in html
    assert '<option value="support" selected>' in html
    assert 'value="park &lt;b&gt;"' in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["Nieuw", "Populair", "Besproken"]),
        ("", ["Nieuw", "Populair", "Besproken"]),
        ("support", ["Populair", "Besproken", "Nieuw"]),
        ("discussed", ["Besproken", "Populair", "Nieuw"]),
    ],
)
def test_sorting(client, sort, expected):
    IdeaFactory(title="Besproken", support_count=2, comment_count=9, published_at=days_ago(3))
    IdeaFactory(title="Populair", support_count=8, comment_count=1, published_at=days_ago(2))
    IdeaFactory(title="Nieuw", support_count=0, comment_count=0, published_at=days_ago(1))

    assert titles_in(html_of(client, LIST_URL, sort=sort)) == expected


def test_pagination_twenty_per_page_keeps_filters_in_links(english):
    for number in range(45):
        IdeaFactory(title=f"Idee {number:02d}", theme="economy", published_at=days_ago(number))
    IdeaFactory(title="Ander thema", theme="people")

    first = html_of(english, LIST_URL, theme="economy")
    third = html_of(english, LIST_URL, theme="economy", page=3)

    assert len(titles_in(first)) == 20
    assert titles_in(first)[0] == "Idee 00"
    assert "45 ideas" in first
    assert "Page 1 of 3" in first
    assert 'href="?theme=economy&amp;page=2" rel="next"' in first
    assert titles_in(third) == [f"Idee {number}" for number in range(40, 45)]
    assert 'href="?theme=economy&amp;page=2" rel="prev"' in third
    # A page number out of range shows the last page, not an error.
    assert titles_in(html_of(english, LIST_URL, theme="economy", page=99)) == titles_in(third)
    assert titles_in(html_of(english, LIST_URL, theme="economy", page="x")) == titles_in(first)


def test_no_match_shows_empty_state_with_a_link_to_clear_filters(english):
    IdeaFactory(title="Fietspad", theme="mobility")

    html = html_of(english, LIST_URL, theme="people", q="iets")

    assert "0 ideas" in html
    assert "No ideas match your search and filters." in html
    assert '<a href="/ideeen/">Clear search and filters to see all ideas</a>' in html
    assert 'data-testid="idea-list"' not in html


def test_without_any_ideas_the_list_invites_the_first(english):
    html = html_of(english, LIST_URL)

    assert "No ideas have been published yet." in html
    assert "Clear search" not in html


def test_titles_and_bodies_are_escaped_in_the_list(client):
    IdeaFactory(title='<script>alert("t")</script> Titel',
                body='<script>alert("b")</script><img src=x onerror=alert(1)> **Tekst** hier')

    html = html_of(client, LIST_URL)

    assert "<script>alert" not in html
    assert "onerror" not in html
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; Titel" in html


def test_list_page_has_no_inline_script_or_style(client):
    IdeaFactory()

    html = html_of(client, LIST_URL)

    assert "<style" not in html
    assert " style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []


# --- the map ---------------------------------------------------------------------------------


def located(**fields):
    return IdeaFactory(latitude=Decimal("52.51234"), longitude=Decimal("6.09876"), **fields)


def test_map_page_has_the_map_a_skip_link_and_the_same_ideas_as_a_list(english):
    idea = located(title="Bloemen op de rotonde", theme="environment", support_count=4)
    IdeaFactory(title="Zonder plek")
    hidden_idea("pending", title="Nog niet openbaar", latitude=Decimal("52.5"),
                longitude=Decimal("6.1"))

    html = html_of(english, reverse("ideas:map"))

    assert 'data-ideas-map="collection"' in html
    assert f'data-url="{reverse("ideas:map-data")}"' in html
    assert f'data-tile-url="{settings.MAP_TILE_URL}"' in html
    assert 'href="#map-list"' in html
    assert html.index('href="#map-list"') < html.index('id="idea-map"') < html.index(
        'id="map-list"')
    listing = html.split('data-testid="map-list"', 1)[1].split("</ol>", 1)[0]
    assert f'<a href="{idea.get_absolute_url()}">Bloemen op de rotonde</a>' in listing
    assert "Environment" in listing
    assert "4 supports" in listing
    assert "Zonder plek" not in listing
    assert "Nog niet openbaar" not in html
    assert "1 idea on the map." in html
    assert "1 idea has no location" in html
    assert "vendor/leaflet/leaflet.js" in html
    assert "js/ideas-map.js" in html
    assert "<style" not in html
    assert " style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []


def test_map_page_keeps_filters_for_data_and_list(client):
    located(title="Fietsenrek", theme="mobility")
    located(title="Boom", theme="environment")

    html = html_of(client, reverse("ideas:map"), theme="mobility", sort="support")

    assert f'data-url="{reverse("ideas:map-data")}?theme=mobility"' in html
    assert "Fietsenrek" in html
    assert ">Boom<" not in html


def test_map_without_tile_url_gives_no_tiles(client, settings):
    settings.MAP_TILE_URL = ""
    located()

    html = html_of(client, reverse("ideas:map"))

    assert 'data-tile-url=""' in html


def test_map_data_is_a_geojson_feature_collection(client):
    idea = located(title='Plein <b>"groen"</b>', theme="people", status=Status.ACCEPTED,
                   support_count=12)
    IdeaFactory(title="Zonder plek")
    hidden_idea("rejected", latitude=Decimal("52.5"), longitude=Decimal("6.1"))

    response = client.get(reverse("ideas:map-data"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert data["truncated"] is False
    assert data["features"] == [{
        "type": "Feature",
        "id": str(idea.public_id),
        "geometry": {"type": "Point", "coordinates": [6.09876, 52.51234]},
        "properties": {
            "title": 'Plein <b>"groen"</b>',
            "url": idea.get_absolute_url(),
            "theme": "Mensen",
            "state": "Aangenomen",
            "supports": 12,
        },
    }]


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"theme": "mobility"}, {"Fietsenrek"}), ({"neighbourhood": "noord"}, {"Boom"}),
     ({"status": "realised"}, {"Boom"}), ({"q": "fiets"}, {"Fietsenrek"}),
     ({}, {"Fietsenrek", "Boom"})],
)
def test_map_data_filters(client, params, expected):
    noord = NeighbourhoodFactory(name="Noord", slug="noord")
    located(title="Fietsenrek", theme="mobility")
    located(title="Boom", theme="environment", neighbourhood=noord, status=Status.REALISED)

    data = json.loads(client.get(reverse("ideas:map-data"), params).content)

    assert {feature["properties"]["title"] for feature in data["features"]} == expected


def test_map_data_is_capped_and_says_so(client, monkeypatch):
    monkeypatch.setattr(views, "MAP_LIMIT", 2)
    for number in range(3):
        located(title=f"Plek {number}", published_at=days_ago(number))

    data = json.loads(client.get(reverse("ideas:map-data")).content)
    html = html_of(client, reverse("ideas:map"))

    assert data["truncated"] is True
    assert [f["properties"]["title"] for f in data["features"]] == ["Plek 0", "Plek 1"]
    assert 'data-testid="map-truncated"' in html


# --- one idea --------------------------------------------------------------------------------


def detail_url(idea):
    return reverse("ideas:detail", kwargs={"public_id": idea.public_id})


def test_published_idea_page_shows_the_idea(english):
    wijk = NeighbourhoodFactory(name="Diezerpoort", slug="diezerpoort")
    idea = IdeaFactory(
        title="Meer groen op het plein", theme="environment", neighbourhood=wijk,
        author=ResidentFactory(display_name="Emre"), show_author_name=True,
        body="Eerste alinea met **nadruk**.\n\nTweede alinea.\n\n- een\n- twee",
        support_count=5, comment_count=2,
    )

    html = html_of(english, detail_url(idea))

    assert "<h1>Meer groen op het plein</h1>" in html
    assert "<p>Eerste alinea met <strong>nadruk</strong>.</p>" in html
    assert "<li>een</li>" in html
    assert 'data-testid="idea-state">New</span>' in html
    assert "Environment" in html
    assert "Diezerpoort" in html
    assert '<dd data-testid="idea-author">Emre</dd>' in html
    assert '<dd data-testid="support-count">5</dd>' in html
    assert '<dd data-testid="comment-count">2</dd>' in html
    assert 'data-testid="hidden-notice"' not in html


def test_idea_page_sanitises_the_body_and_escapes_the_title(client):
    idea = IdeaFactory(
        title="<script>alert('titel')</script>",
        body="<script>alert('body')</script>Tekst <a href=\"javascript:alert(1)\" "
             "onclick=\"x()\">link</a> <b>vet</b> <div><p>open",
    )

    html = html_of(client, detail_url(idea))

    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "onclick" not in html
    assert "&lt;script&gt;alert(&#x27;titel&#x27;)&lt;/script&gt;" in html


def test_unknown_idea_is_404(client):
    response = client.get("/ideeen/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


@pytest.mark.parametrize("state", ["draft", "pending", "changes_requested", "rejected",
                                   "appealed"])
@pytest.mark.parametrize("role", [roles.VISITOR, roles.RESIDENT, roles.ORGANISATION_MEMBER,
                                  roles.COUNCIL_MEMBER])
def test_hidden_idea_is_404_for_others(client, state, role):
    idea = hidden_idea(state)
    user = user_for_role(role)
    if user.is_authenticated:
        client.force_login(user)

    assert client.get(detail_url(idea)).status_code == 404


@pytest.mark.parametrize("role", [roles.MODERATOR, roles.CIVIL_SERVANT, roles.ADMIN])
def test_hidden_idea_is_visible_to_staff(client, role):
    idea = hidden_idea("pending")
    client.force_login(user_for_role(role))

    html = html_of(client, detail_url(idea))

    assert 'data-testid="hidden-notice"' in html


def test_rejected_idea_shows_its_author_the_reason_and_statement(english):
    author = user_for_role(roles.RESIDENT)
    idea = services.idea_create(author=author, title="Reclame voor mijn winkel",
                                body="Kom allemaal naar mijn winkel in de binnenstad!",
                                theme="economy")
    idea = services.idea_submit(idea=idea, by=author)
    services.idea_moderate(idea=idea, by=user_for_role(roles.MODERATOR), action="reject",
                           reason_code=ReasonCode.COMMERCIAL,
                           statement="Dit is <em>reclame</em> voor een bedrijf.")
    english.force_login(author)

    html = html_of(english, detail_url(idea))

    notice = html.split('data-testid="hidden-notice"', 1)[1].split("</section>", 1)[0]
    assert "Not public: Rejected" in notice
    assert '<dd data-testid="hidden-reason">Commercial</dd>' in notice
    assert "Dit is &lt;em&gt;reclame&lt;/em&gt; voor een bedrijf." in notice
    # The author's full timeline shows the decision, by role, never by the moderator's name.
    timeline = html.split('data-testid="idea-timeline"', 1)[1].split("</ol>", 1)[0]
    assert "Rejected" in timeline
    assert "Moderator" in timeline
    assert "Reason: Commercial" in timeline


def test_pending_idea_tells_its_author_it_waits_for_a_moderator(english):
    author = ResidentFactory()
    idea = hidden_idea("pending", author=author)
    english.force_login(author)

    html = html_of(english, detail_url(idea))

    assert "This idea is waiting for a moderator." in html


def published_through_services():
    author = user_for_role(roles.RESIDENT)
    moderator = user_for_role(roles.MODERATOR, display_name="Mo Derator")
    idea = services.idea_create(author=author, title="Speeltuin in het park",
                                body="Kinderen hebben hier geen plek om te spelen.",
                                theme="people")
    idea = services.idea_submit(idea=idea, by=author)
    idea = services.idea_moderate(idea=idea, by=moderator, action="request_changes",
                                  statement="Noem het park.")
    idea = services.idea_submit(idea=idea, by=author)
    idea = services.idea_moderate(idea=idea, by=moderator, action="publish")
    assert idea.moderation == Moderation.PUBLISHED
    return author, idea


def test_public_timeline_hides_moderation_and_shows_answers(english):
    author, idea = published_through_services()
    civil_servant = user_for_role(roles.CIVIL_SERVANT, display_name="Ambtenaar Anna")
    services.idea_status_change(idea=idea, by=civil_servant, status=Status.UNDER_CONSIDERATION,
                                answer="We bekijken het.")
    services.idea_status_change(idea=idea, by=civil_servant, status=Status.ACCEPTED,
                                answer="We leggen de speeltuin aan.\n\nIn het voorjaar.")

    html = html_of(english, detail_url(idea))

    timeline = html.split('data-testid="idea-timeline"', 1)[1].split("</ol>", 1)[0]
    assert "Changes requested" not in timeline
    assert "Noem het park." not in timeline
    assert "Published" in timeline
    assert "Status changed</strong>: Accepted" in timeline
    assert "Ambtenaar Anna" not in html
    assert "Mo Derator" not in html
    assert "Municipality" in timeline
    for event in IdeaEvent.objects.filter(idea=idea, action=IdeaEvent.Action.STATUS):
        assert f'id="event-{event.pk}"' in timeline
    answer = html.split('data-testid="official-answer"', 1)[1].split("</section>", 1)[0]
    assert "Answer of the municipality" in answer
    assert "<p>We leggen de speeltuin aan.</p>" in answer
    assert "In het voorjaar." in answer
    assert "<strong>Accepted</strong>" in answer
    assert "We bekijken het." not in answer

    english.force_login(author)
    full = html_of(english, detail_url(idea))
    assert "Changes requested" in full
    assert "Noem het park." in full
    assert "Author" in full


def test_idea_without_answer_has_no_answer_box(client):
    html = html_of(client, detail_url(IdeaFactory()))

    assert 'data-testid="official-answer"' not in html


def test_you_said_we_did_trail_links_to_the_registers(english):
    from tests.registry.conftest import make_pilot, make_published

    editor = user_for_role(roles.CIVIL_SERVANT)
    approver = user_for_role(roles.CIVIL_SERVANT)
    pilot = make_pilot(editor, approver, title="Slimme lantaarnpalen")
    algorithm = make_published(editor, approver, name="Route-algoritme <i>x</i>")
    idea = IdeaFactory()
    services.idea_link_add(idea=idea, by=editor, pilot=pilot, note="Proef in de Binnenstad.")
    services.idea_link_add(idea=idea, by=editor, algorithm=algorithm)

    html = html_of(english, detail_url(idea))

    trail = html.split('data-testid="idea-trail"', 1)[1].split("</section>", 1)[0]
    assert (f'<a href="{reverse("registry:pilot_detail", kwargs={"slug": pilot.slug})}">'
            "Slimme lantaarnpalen</a>") in trail
    assert "Proef in de Binnenstad." in trail
    assert (f'<a href="{reverse("registry:algorithm_detail", kwargs={"slug": algorithm.slug})}">'
            "Route-algoritme &lt;i&gt;x&lt;/i&gt;</a>") in trail


def test_location_is_on_a_small_map_and_in_words(english):
    wijk = NeighbourhoodFactory(name="Holtenbroek", slug="holtenbroek")
    idea = located(neighbourhood=wijk)

    html = html_of(english, detail_url(idea))

    assert 'data-ideas-map="point"' in html
    assert 'data-lat="52.51234" data-lon="6.09876"' in html
    assert "Holtenbroek: latitude 52.51234, longitude 6.09876" in html
    assert "js/ideas-map.js" in html


def test_idea_without_location_has_no_map(client):
    html = html_of(client, detail_url(IdeaFactory()))

    assert "data-ideas-map" not in html
    assert "leaflet" not in html


def test_participation_partial_gets_supported_and_following(client):
    from portal.ideas.models import Follow, Support

    user = ResidentFactory()
    idea = IdeaFactory()
    Support.objects.create(idea=idea, user=user)
    Follow.objects.create(idea=idea, user=user)
    client.force_login(user)

    response = client.get(detail_url(idea))

    assert response.context["supported"] is True
    assert response.context["following"] is True
    assert response.context["idea"] == idea
    assert "ideas/_participation.html" in [t.name for t in response.templates]
    assert "ideas/_comments.html" in [t.name for t in response.templates]
    assert "ideas/_staff_actions.html" in [t.name for t in response.templates]


def test_comments_context_follows_the_viewer(client):
    idea = IdeaFactory()
    visible = CommentFactory(idea=idea)
    own_hidden = CommentFactory(idea=idea, moderation="rejected")
    CommentFactory(idea=idea, moderation="rejected")

    assert client.get(detail_url(idea)).context["comments"] == [visible]
    client.force_login(own_hidden.author)
    assert client.get(detail_url(idea)).context["comments"] == [visible, own_hidden]


def test_detail_page_queries_do_not_grow_with_comments_and_events(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def build(n):
        idea = IdeaFactory()
        servant = user_for_role(roles.CIVIL_SERVANT)
        for number in range(n):
            parent = CommentFactory(idea=idea)
            CommentFactory(idea=idea, parent=parent)
            IdeaEvent.objects.create(idea=idea, action=IdeaEvent.Action.STATUS, by=servant,
                                     by_role="civil_servant", to_state="accepted",
                                     text=f"Antwoord {number}")
        return idea

    def count(idea):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail_url(idea)).status_code == 200
        return len(queries)

    small, large = build(1), build(15)
    client.force_login(ResidentFactory())
    client.get(detail_url(small))  # warm up: per-process caches (content types, ...)

    assert count(small) == count(large)


# --- images ----------------------------------------------------------------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def image_of(idea, alt="Een bankje in het park"):
    image = IdeaImage(idea=idea, extension="png", content_type="image/png", alt_text=alt,
                      width=1, height=1)
    image.file.save("image.png", ContentFile(PNG), save=False)
    image.save()
    return image


def image_url(image):
    return reverse("ideas:image", kwargs={"public_id": image.idea.public_id, "pk": image.pk})


def test_image_of_a_public_idea_is_served_inline_with_safe_headers(client, media):
    image = image_of(IdeaFactory())

    response = client.get(image_url(image))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "public" in response["Cache-Control"]
    assert "max-age=" in response["Cache-Control"]


def test_image_of_a_hidden_idea_is_404_for_others_private_for_its_author(client, media):
    author = ResidentFactory()
    image = image_of(hidden_idea("rejected", author=author))

    assert client.get(image_url(image)).status_code == 404
    client.force_login(ResidentFactory())
    assert client.get(image_url(image)).status_code == 404

    client.force_login(author)
    response = client.get(image_url(image))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_image_of_another_idea_or_missing_file_is_404(client, media):
    image = image_of(IdeaFactory())
    other = IdeaFactory()

    url = reverse("ideas:image", kwargs={"public_id": other.public_id, "pk": image.pk})
    assert client.get(url).status_code == 404
    image.file.storage.delete(image.file.name)
    assert client.get(image_url(image)).status_code == 404


def test_idea_page_shows_images_with_their_description(client, media):
    idea = IdeaFactory()
    image = image_of(idea, alt='Bankje "oud" <b>')

    html = html_of(client, detail_url(idea))

    assert (f'<img src="{image_url(image)}" alt="Bankje &quot;oud&quot; &lt;b&gt;" width="1" '
            'height="1" loading="lazy">') in html


# --- you said, we did -----------------------------------------------------------------------


def test_realised_page_lists_realised_ideas_with_answer_and_trail(english):
    from tests.registry.conftest import make_pilot

    editor = user_for_role(roles.CIVIL_SERVANT)
    pilot = make_pilot(editor, user_for_role(roles.CIVIL_SERVANT), title="Deelfietsen in Zuid")
    idea = IdeaFactory(title="Deelfietsen")
    services.idea_status_change(idea=idea, by=editor, status=Status.ACCEPTED, answer="Goed plan.")
    services.idea_status_change(idea=idea, by=editor, status=Status.REALISED,
                                answer="Er staan nu 40 **deelfietsen** in Zuid.")
    services.idea_link_add(idea=idea, by=editor, pilot=pilot)
    IdeaFactory(title="Nog niet klaar", status=Status.ACCEPTED)
    hidden_idea("rejected", title="Verborgen maar gerealiseerd", status=Status.REALISED)

    html = html_of(english, reverse("ideas:realised"))

    assert titles_in(html) == ["Deelfietsen"]
    assert "1 realised idea" in html
    assert "Er staan nu 40 deelfietsen in Zuid." in html
    assert "Goed plan." not in html
    assert "Deelfietsen in Zuid</a>" in html


def test_realised_page_without_ideas_says_so(english):
    html = html_of(english, reverse("ideas:realised"))

    assert "No ideas have been realised yet." in html


def test_realised_page_queries_do_not_grow(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.registry.conftest import make_pilot, make_published

    editor, approver = user_for_role(roles.CIVIL_SERVANT), user_for_role(roles.CIVIL_SERVANT)
    pilot = make_pilot(editor, approver)
    algorithm = make_published(editor, approver)

    def realise(n):
        for _ in range(n):
            idea = IdeaFactory(status=Status.ACCEPTED)
            services.idea_status_change(idea=idea, by=editor, status=Status.REALISED,
                                        answer="Klaar.")
            services.idea_link_add(idea=idea, by=editor, pilot=pilot)
            services.idea_link_add(idea=idea, by=editor, algorithm=algorithm)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("ideas:realised")).status_code == 200
        return len(queries)

    realise(2)
    few = count()
    realise(10)
    assert count() == few
