"""RSS and Atom feeds of newly opened challenges."""

import datetime as dt
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own test responses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from challenges.models import Challenge
from tests.challenges.builders import civil_servant, draft_challenge, open_challenge, timeline

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(content) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own response, not untrusted data


def rss(client):
    response = client.get(reverse("challenges:feed-rss"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = parse(response.content)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    return root.find("channel")


def atom(client):
    response = client.get(reverse("challenges:feed-atom"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = parse(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def published(title, days_ago, servant, **fields):
    challenge = open_challenge(by=servant, title=title, **fields)
    moment = challenge.published_at - dt.timedelta(days=days_ago)
    # The feed orders by publication: back-date it (published_at is not content, so allowed).
    Challenge.objects.filter(pk=challenge.pk).update(published_at=moment)
    challenge.refresh_from_db()
    return challenge


@pytest.fixture
def servant():
    return civil_servant()


def test_feed_urls():
    assert reverse("challenges:feed-rss") == "/uitdagingen/feed/rss/"
    assert reverse("challenges:feed-atom") == "/uitdagingen/feed/atom/"


def test_rss_lists_published_challenges_newest_first_without_drafts(client, servant):
    older = published("Schoolroutes", 5, servant, theme="Verkeer")
    newer = published("Hittestress", 1, servant,
                      problem="Het is **te heet** & <b>benauwd</b> in de wijk.")
    draft_challenge(by=servant, title="Geheim concept")

    channel = rss(client)

    assert channel.findtext("title")
    assert channel.findtext("link") == "http://testserver/uitdagingen/"
    titles = [item.findtext("title") for item in channel.findall("item")]
    assert titles == [newer.title, older.title]
    item = channel.find("item")
    assert item.findtext("link") == f"http://testserver{newer.get_absolute_url()}"
    assert item.findtext("guid") == f"urn:uuid:{newer.public_id}"
    assert item.findtext("pubDate")
    description = item.findtext("description")
    # HTML-escaped plain text without markup: a reader shows it as text, never as HTML.
    assert description.startswith("Het is te heet &amp; benauwd in de wijk.")
    assert "<" not in description
    with translation.override("nl"):  # the site's language, as the feed is served
        deadline = date_format(timezone.localtime(newer.submission_deadline), "j F Y H:i")
    assert description.endswith(f"{deadline}.")
    assert [c.text for c in channel.findall("item")[1].findall("category")] == ["Verkeer"]


def test_atom_has_the_same_entries_with_ids_and_dates(client, servant):
    challenge = published("Hittestress", 1, servant)
    published("Schoolroutes", 3, servant, **timeline(days_left=30))

    feed = atom(client)

    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Hittestress",
                                                                      "Schoolroutes"]
    first = entries[0]
    assert first.findtext(f"{ATOM}id") == f"urn:uuid:{challenge.public_id}"
    assert first.find(f"{ATOM}link").get("href") == (
        f"http://testserver{challenge.get_absolute_url()}")
    assert first.findtext(f"{ATOM}published")
    assert first.findtext(f"{ATOM}updated")
    self_link = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link[0].get("href") == "http://testserver/uitdagingen/feed/atom/"


def test_an_empty_feed_is_still_a_valid_feed(client):
    assert rss(client).findall("item") == []
    assert atom(client).findall(f"{ATOM}entry") == []


def test_the_feeds_cost_the_same_queries_for_2_or_12_challenges(client, servant,
                                                                django_assert_num_queries):
    for number in range(2):
        published(f"Uitdaging {number}", number, servant)
    rss(client)  # the first request loads the Site once (cached afterwards)
    with CaptureQueriesContext(connection) as few:
        rss(client)
    for number in range(2, 12):
        published(f"Uitdaging {number}", number, servant)

    with django_assert_num_queries(len(few)):
        channel = rss(client)
    assert len(channel.findall("item")) == 12
