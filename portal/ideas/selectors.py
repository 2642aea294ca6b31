"""Reads of ideas used by the pages, the feeds and the API.

Lists select the author and neighbourhood in the same query and never count rows per idea
(the counters live on the idea), so a page of ideas costs the same number of queries whatever
the number of ideas.
"""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from portal.ideas.models import (
    Comment,
    Idea,
    IdeaEvent,
    Moderation,
    Neighbourhood,
    Status,
    Theme,
)

SORTS = {
    "newest": ("-published_at", "-pk"),
    "support": ("-support_count", "-published_at", "-pk"),
    "discussed": ("-comment_count", "-published_at", "-pk"),
}
DEFAULT_SORT = "newest"
SEARCH_MAX = 100


@dataclass(frozen=True)
class IdeaFilters:
    """What a person filters the public list on. Unknown values are ignored, not errors."""

    theme: str = ""
    status: str = ""
    neighbourhood: str = ""  # slug
    q: str = ""
    sort: str = DEFAULT_SORT

    @classmethod
    def from_params(cls, params) -> "IdeaFilters":
        def pick(name, allowed):
            value = (params.get(name) or "").strip()
            return value if value in allowed else ""

        return cls(
            theme=pick("theme", Theme.values),
            status=pick("status", Status.values),
            neighbourhood=(params.get("neighbourhood") or "").strip()[:100],
            q=" ".join((params.get("q") or "").split())[:SEARCH_MAX],
            sort=pick("sort", SORTS) or DEFAULT_SORT,
        )


def ideas_public(filters: IdeaFilters | None = None) -> QuerySet:
    """Published ideas, filtered and sorted; author and neighbourhood joined in."""
    filters = filters or IdeaFilters()
    ideas = Idea.objects.public().select_related("author", "neighbourhood")
    if filters.theme:
        ideas = ideas.filter(theme=filters.theme)
    if filters.status:
        ideas = ideas.filter(status=filters.status)
    if filters.neighbourhood:
        ideas = ideas.filter(neighbourhood__slug=filters.neighbourhood)
    for word in filters.q.split():
        ideas = ideas.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return ideas.order_by(*SORTS[filters.sort])


def ideas_realised() -> QuerySet:
    """"You said, we did": realised ideas with what they led to."""
    return (
        Idea.objects.public().filter(status=Status.REALISED)
        .select_related("author", "neighbourhood")
        .prefetch_related("links__pilot", "links__algorithm")
        .order_by("-status_changed_at", "-pk")
    )


def ideas_map_points(filters: IdeaFilters | None = None):
    """Published ideas with a location, as light rows for the map data endpoint."""
    return ideas_public(filters).filter(latitude__isnull=False).values(
        "public_id", "title", "theme", "status", "latitude", "longitude", "support_count",
    )


def neighbourhoods() -> QuerySet:
    return Neighbourhood.objects.order_by("name")


def idea_visible_events(*, idea: Idea, full: bool) -> QuerySet:
    """The timeline. The public sees publication, status changes with official answers and
    links; the author and staff (`full`) also see moderation decisions and the appeal."""
    events = idea.events.select_related("comment", "duplicate_of").order_by("created_at", "pk")
    if full:
        return events
    return events.filter(
        Q(action__in=[IdeaEvent.Action.STATUS, IdeaEvent.Action.LINK])
        | Q(action__in=[IdeaEvent.Action.PUBLISH, IdeaEvent.Action.APPEAL_UPHELD],
            comment__isnull=True)
    )


def idea_official_answer(*, idea: Idea) -> IdeaEvent | None:
    """The latest status change: its text is the official answer shown on the idea."""
    return (
        idea.events.filter(action=IdeaEvent.Action.STATUS)
        .select_related(None).order_by("-created_at", "-pk").first()
    )


def idea_comments(*, idea: Idea, viewer=None) -> list[Comment]:
    """Top-level comments with their replies (one level), oldest first. Hidden or pending
    comments are shown only to their own author (who sees why)."""
    visible = Q(moderation=Moderation.PUBLISHED)
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        visible |= Q(author=viewer)
    replies = Comment.objects.filter(visible).select_related("author").order_by("created_at", "pk")
    return list(
        idea.comments.filter(visible, parent__isnull=True)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("created_at", "pk")
    )


def moderation_queue_ideas() -> QuerySet:
    """Ideas waiting for a moderator, oldest first: pending, appealed, or reported."""
    return (
        Idea.objects.filter(
            Q(moderation__in=[Moderation.PENDING, Moderation.APPEALED])
            | Q(open_report_count__gt=0, moderation=Moderation.PUBLISHED)
        )
        .select_related("author", "neighbourhood", "appeal")
        .order_by("submitted_at", "pk")
    )


def moderation_queue_comments() -> QuerySet:
    return (
        Comment.objects.filter(
            Q(moderation=Moderation.PENDING)
            | Q(open_report_count__gt=0, moderation=Moderation.PUBLISHED)
        )
        .select_related("idea", "author")
        .order_by("created_at", "pk")
    )
