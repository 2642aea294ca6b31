"""RSS and Atom feeds of the newest published ideas, with the list's filters in the query
string (`?theme=mobility&status=accepted&neighbourhood=<slug>&q=...`).

Links are made absolute with the host of the request (checked against ALLOWED_HOSTS), not
with the sites framework's domain, which nobody has to keep up to date.
"""

from dataclasses import dataclass, replace

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from portal.core.text import plain_excerpt
from portal.ideas import selectors

FEED_ITEMS = 50


@dataclass(frozen=True)
class FeedRequest:
    filters: selectors.IdeaFilters
    origin: str  # scheme and host of the request, e.g. "https://stadsmakers.example"
    self_url: str


class IdeasRssFeed(Feed):
    def get_object(self, request, *args, **kwargs):
        # The newest first, whatever sort the list had.
        filters = replace(selectors.IdeaFilters.from_params(request.GET),
                          sort=selectors.DEFAULT_SORT)
        return FeedRequest(filters=filters, origin=request.build_absolute_uri("/").rstrip("/"),
                           self_url=request.build_absolute_uri())

    def title(self, obj):
        return _("Stadsmakers: new ideas")

    def description(self, obj):
        return _("The newest ideas residents shared, published after moderation.")

    subtitle = description

    def link(self, obj):
        return obj.origin + reverse("area-ideas")

    def feed_url(self, obj):
        return obj.self_url

    def items(self, obj):
        ideas = list(selectors.ideas_public(obj.filters)[:FEED_ITEMS])
        for idea in ideas:
            idea.feed_link = obj.origin + idea.get_absolute_url()
        return ideas

    def item_title(self, idea):
        return idea.title

    def item_description(self, idea):
        # RSS descriptions and Atom summaries (type="html") are HTML: escape the plain text,
        # so that a reader shows "<b>" as typed instead of interpreting it.
        return escape(plain_excerpt(idea.body, 400))

    def item_link(self, idea):
        return idea.feed_link

    def item_guid(self, idea):
        return f"urn:uuid:{idea.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, idea):
        return idea.published_at

    def item_updateddate(self, idea):
        return idea.status_changed_at or idea.published_at

    def item_author_name(self, idea):
        return idea.author_display_name

    def item_categories(self, idea):
        return [idea.get_theme_display()]


class IdeasAtomFeed(IdeasRssFeed):
    feed_type = Atom1Feed
