"""RSS and Atom feeds of the newest published ideas."""

import datetime as dt
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own test responses

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.ideas.models import Status
from tests.factories import IdeaFactory, NeighbourhoodFactory, ResidentFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(content) -> ET.Element:
    """Parse a feed we generated ourselves in this test (trusted input: the brief asks for
    xml.etree, the parser of the standard library)."""
    return ET.fromstring(content)  # noqa: S314 - our own response, not untrusted data


def days_ago(days: int):
    return timezone.now() - dt.timedelta(days=days)


def rss(client, **params):
    response = client.get(reverse("ideas:feed-rss"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = parse(response.content)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    return root.find("channel")


def atom(client, **params):
    response = client.get(reverse("ideas:feed-atom"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = parse(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def rss_titles(channel) -> list[str]:
    return [item.findtext("title") for item in channel.findall("item")]


def test_feed_urls():
    assert reverse("ideas:feed-rss") == "/ideeen/feed.rss"
    assert reverse("ideas:feed-atom") == "/ideeen/feed.atom"


def test_rss_lists_published_ideas_newest_first_with_what_a_reader_needs(client):
    wijk = NeighbourhoodFactory(name="Zuid", slug="zuid")
    old = IdeaFactory(title="Oud idee", published_at=days_ago(3))
    new = IdeaFactory(title="Nieuw idee", published_at=days_ago(1), neighbourhood=wijk,
                      author=ResidentFactory(display_name="Sanne"), show_author_name=True,
                      body="Zet **bloembakken** neer & maak de straat groener.")
    IdeaFactory(title="Concept", moderation="draft", published_at=None)
    IdeaFactory(title="Afgewezen", moderation="rejected", published_at=None)

    channel = rss(client)

    assert channel.findtext("title")
    assert channel.findtext("link").endswith("/ideeen/")
    assert rss_titles(channel) == ["Nieuw idee", "Oud idee"]
    item = channel.find("item")
    assert item.findtext("link") == f"http://testserver{new.get_absolute_url()}"
    # The description is HTML-escaped plain text: a reader shows it as written.
    assert item.findtext("description") == "Zet bloembakken neer &amp; maak de straat groener."
    assert item.findtext("pubDate")
    assert item.findtext("guid") == f"urn:uuid:{new.public_id}"
    assert "Sanne" in item.findtext("{http://purl.org/dc/elements/1.1/}creator", "") + (
        item.findtext("author") or "")
    assert old.title in rss_titles(channel)


def test_feed_shows_only_the_display_name_never_more(client):
    author = ResidentFactory(display_name="Echte Naam")
    IdeaFactory(author=author, show_author_name=False)

    body = client.get(reverse("ideas:feed-rss")).content.decode()
    atom_body = client.get(reverse("ideas:feed-atom")).content.decode()

    assert "Echte Naam" not in body
    assert "Echte Naam" not in atom_body
    assert "@" not in parse(body).find("channel/item").findtext(
        "{http://purl.org/dc/elements/1.1/}creator", "")


def test_feed_holds_the_50_newest(client):
    for number in range(55):
        IdeaFactory(title=f"Idee {number:02d}", published_at=days_ago(number))

    titles = rss_titles(rss(client))

    assert len(titles) == 50
    assert titles[0] == "Idee 00"
    assert titles[-1] == "Idee 49"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"theme": "mobility"}, ["Fietspad"]),
        ({"status": "accepted"}, ["Moestuin"]),
        ({"neighbourhood": "noord"}, ["Moestuin"]),
        ({"sort": "support"}, ["Moestuin", "Fietspad"]),  # a feed is always newest first
        ({"theme": "onzin"}, ["Moestuin", "Fietspad"]),
    ],
)
def test_feed_filters_like_the_list(client, params, expected):
    noord = NeighbourhoodFactory(name="Noord", slug="noord")
    IdeaFactory(title="Fietspad", theme="mobility", support_count=9, published_at=days_ago(2))
    IdeaFactory(title="Moestuin", theme="environment", status=Status.ACCEPTED, neighbourhood=noord,
                published_at=days_ago(1))

    assert rss_titles(rss(client, **params)) == expected
    entries = atom(client, **params).findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == expected


def test_atom_feed_is_valid_and_complete(client):
    idea = IdeaFactory(title="Bankjes", author=ResidentFactory(display_name="Jan"),
                       show_author_name=True)

    feed = atom(client)

    assert feed.findtext(f"{ATOM}title")
    assert feed.findtext(f"{ATOM}id")
    assert feed.findtext(f"{ATOM}updated")
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Bankjes"
    assert entry.find(f"{ATOM}link").get("href") == f"http://testserver{idea.get_absolute_url()}"
    assert entry.findtext(f"{ATOM}id") == f"urn:uuid:{idea.public_id}"
    assert entry.findtext(f"{ATOM}published")
    assert entry.findtext(f"{ATOM}updated")
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Jan"
    assert entry.find(f"{ATOM}summary").get("type") == "html"


def test_feed_escapes_markup_and_drops_scripts(client):
    IdeaFactory(title="<script>alert('t')</script> & <b>vet</b>",
                body="<script>alert('b')</script>Tekst met <b>opmaak</b> en 3 < 4.")

    raw = client.get(reverse("ideas:feed-rss")).content.decode()
    item = parse(raw).find("channel/item")

    assert "<script>" not in raw
    assert item.findtext("title") == "<script>alert('t')</script> & <b>vet</b>"  # as text
    assert item.findtext("description") == "Tekst met opmaak en 3 &lt; 4."
    assert "alert('b')" not in raw
    atom_raw = client.get(reverse("ideas:feed-atom")).content.decode()
    assert "<script>" not in atom_raw


def test_empty_feed_is_still_valid(client):
    assert rss_titles(rss(client)) == []
    assert atom(client).findall(f"{ATOM}entry") == []
