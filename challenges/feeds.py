"""RSS and Atom feeds of newly opened challenges: the published ones, newest publication first
(a draft is never in them).

Links are made absolute with the host of the request (checked against ALLOWED_HOSTS), as the
ideas feeds do, not with the sites framework's domain.
"""

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as _

from challenges.models import Challenge
from portal.core.text import plain_excerpt

FEED_ITEMS = 50
DESCRIPTION_LENGTH = 400


@dataclass(frozen=True)
class FeedRequest:
    origin: str  # scheme and host of the request, e.g. "https://stadsmakers.example"
    self_url: str


class ChallengesRssFeed(Feed):
    def get_object(self, request, *args, **kwargs):
        return FeedRequest(origin=request.build_absolute_uri("/").rstrip("/"),
                           self_url=request.build_absolute_uri())

    def title(self, obj):
        return _("Stadsmakers: new challenges")

    def description(self, obj):
        return _("Problems the municipality asks startups, companies and researchers to "
                 "solve, as soon as they are published.")

    subtitle = description

    def link(self, obj):
        return obj.origin + reverse("area-challenges")

    def feed_url(self, obj):
        return obj.self_url

    def items(self, obj):
        challenges = list(
            Challenge.objects.public().filter(published_at__isnull=False)
            .only("slug", "public_id", "title", "problem", "theme", "published_at",
                  "updated_at", "submission_deadline", "status")
            .order_by("-published_at", "-pk")[:FEED_ITEMS]
        )
        for challenge in challenges:
            challenge.feed_link = obj.origin + challenge.get_absolute_url()
        return challenges

    def item_title(self, challenge):
        return challenge.title

    def item_description(self, challenge):
        # HTML in RSS descriptions and Atom summaries: escape the plain text, so a reader shows
        # what was typed instead of interpreting it.
        text = plain_excerpt(challenge.problem, DESCRIPTION_LENGTH)
        if challenge.submission_deadline:
            deadline = date_format(timezone.localtime(challenge.submission_deadline),
                                   "j F Y H:i")
            text = f"{text} " + _("Deadline for proposals: %(date)s.") % {"date": deadline}
        return escape(text.strip())

    def item_link(self, challenge):
        return challenge.feed_link

    def item_guid(self, challenge):
        return f"urn:uuid:{challenge.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, challenge):
        return challenge.published_at

    def item_updateddate(self, challenge):
        return max(challenge.updated_at, challenge.published_at)

    def item_categories(self, challenge):
        return [challenge.theme] if challenge.theme else []


class ChallengesAtomFeed(ChallengesRssFeed):
    feed_type = Atom1Feed
