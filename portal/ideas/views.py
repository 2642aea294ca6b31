"""Reading pages of ideas: the list, the map (+ its GeoJSON), an idea, its images, and the
"you said, we did" page. Feeds are in feeds.py; taking part and moderation have their own
modules (see urls.py).

Every page costs the same number of SQL queries however many ideas, comments or events there
are: lists use the counters on the idea and join author and neighbourhood; the detail page
prefetches its images, links, events and comments in one query each.
"""

import uuid
from dataclasses import replace

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from portal.core.text import plain_excerpt, render_simple_text
from portal.ideas import selectors
from portal.ideas.models import (
    Follow,
    Idea,
    IdeaEvent,
    IdeaImage,
    IdeaLink,
    Status,
    Support,
    Theme,
)

PAGE_SIZE = 20
# The map shows at most this many ideas; the GeoJSON says `"truncated": true` beyond it.
MAP_LIMIT = 2000
SORT_LABELS = {
    "newest": gettext_lazy("Newest first"),
    "support": gettext_lazy("Most supported"),
    "discussed": gettext_lazy("Most discussed"),
}
# Shown on the timeline instead of the name of the person who acted.
ROLE_LABELS = {
    "resident": gettext_lazy("Resident"),
    "moderator": gettext_lazy("Moderator"),
    "civil_servant": gettext_lazy("Municipality"),
    "admin": gettext_lazy("Administrator"),
}
# Decisions whose statement of reasons the author reads at the top of a hidden idea.
STATEMENT_ACTIONS = (
    IdeaEvent.Action.REJECT, IdeaEvent.Action.REQUEST_CHANGES, IdeaEvent.Action.APPEAL_DISMISSED,
)
_UUID_PLACEHOLDER = str(uuid.UUID(int=0))


# --- shared helpers ---------------------------------------------------------------------------


def _filter_context(request, filters: selectors.IdeaFilters, *, with_sort: bool) -> dict:
    """What the filter form and the page links need: choices, current values, query strings."""
    query = request.GET.copy()
    query.pop("page", None)
    filter_query = query.copy()
    filter_query.pop("sort", None)
    return {
        "filters": filters,
        "theme_choices": Theme.choices,
        "status_choices": Status.choices,
        "neighbourhoods": list(selectors.neighbourhoods()),
        "sort_choices": list(SORT_LABELS.items()) if with_sort else [],
        "is_filtered": bool(filters.theme or filters.status or filters.neighbourhood
                            or filters.q),
        # Keeps everything but the page (pagination links).
        "query_string": query.urlencode(),
        # Keeps the filters, not the sort order or page (map, feeds: they have their own order).
        "filter_query_string": _filter_query(filters),
    }


def _filter_query(filters: selectors.IdeaFilters) -> str:
    query = QueryDict(mutable=True)
    for name in ("theme", "status", "neighbourhood", "q"):
        value = getattr(filters, name)
        if value:
            query[name] = value
    return query.urlencode()


def _with_excerpts(ideas) -> list[Idea]:
    ideas = list(ideas)
    for idea in ideas:
        idea.excerpt = plain_excerpt(idea.body)
    return ideas


def _detail_url_maker():
    """Turn a public id into the detail URL without calling reverse() per idea."""
    template = reverse("ideas:detail", kwargs={"public_id": _UUID_PLACEHOLDER})
    return lambda public_id: template.replace(_UUID_PLACEHOLDER, str(public_id))


# --- the list ---------------------------------------------------------------------------------


@require_GET
def idea_list(request):
    filters = selectors.IdeaFilters.from_params(request.GET)
    paginator = Paginator(selectors.ideas_public(filters), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = _filter_context(request, filters, with_sort=True)
    context.update({
        "page_obj": page_obj,
        "paginator": paginator,
        "is_paginated": page_obj.has_other_pages(),
        "ideas": _with_excerpts(page_obj.object_list),
    })
    return render(request, "ideas/idea_list.html", context)


# --- the map ----------------------------------------------------------------------------------


def _map_filters(request) -> selectors.IdeaFilters:
    """The list's filters; the map always takes the newest ideas first (they fill the cap)."""
    return replace(selectors.IdeaFilters.from_params(request.GET), sort=selectors.DEFAULT_SORT)


def _map_settings() -> dict:
    south, west, north, east = settings.MAP_BOUNDS
    return {
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "center": ",".join(str(value) for value in settings.MAP_CENTER),
        "bounds": ",".join(str(value) for value in (south, west, north, east)),
    }


@require_GET
def idea_map(request):
    filters = _map_filters(request)
    points = list(selectors.ideas_map_points(filters)[:MAP_LIMIT + 1])
    truncated = len(points) > MAP_LIMIT
    points = points[:MAP_LIMIT]
    detail_url = _detail_url_maker()
    themes, statuses = dict(Theme.choices), dict(Status.choices)
    for point in points:
        point["url"] = detail_url(point["public_id"])
        point["theme_label"] = themes.get(point["theme"], point["theme"])
        point["status_label"] = statuses.get(point["status"], point["status"])
    without_location = selectors.ideas_public(filters).filter(latitude__isnull=True).count()
    context = _filter_context(request, filters, with_sort=False)
    context.update({
        "points": points,
        "truncated": truncated,
        "map_limit": MAP_LIMIT,
        "without_location": without_location,
        "map": _map_settings(),
    })
    return render(request, "ideas/idea_map.html", context)


@require_GET
def idea_map_data(request):
    """GeoJSON (RFC 7946) of the published ideas with a location, with the list's filters.
    At most MAP_LIMIT features; the foreign member `truncated` says whether there were more."""
    filters = _map_filters(request)
    points = list(selectors.ideas_map_points(filters)[:MAP_LIMIT + 1])
    truncated = len(points) > MAP_LIMIT
    detail_url = _detail_url_maker()
    themes = {value: str(label) for value, label in Theme.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    features = [
        {
            "type": "Feature",
            "id": str(point["public_id"]),
            "geometry": {
                "type": "Point",
                "coordinates": [float(point["longitude"]), float(point["latitude"])],
            },
            "properties": {
                "title": point["title"],
                "url": detail_url(point["public_id"]),
                "theme": themes.get(point["theme"], point["theme"]),
                "state": statuses.get(point["status"], point["status"]),
                "supports": point["support_count"],
            },
        }
        for point in points[:MAP_LIMIT]
    ]
    response = JsonResponse(
        {"type": "FeatureCollection", "features": features, "truncated": truncated},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )
    patch_cache_control(response, public=True, max_age=60)
    return response


# --- one idea ---------------------------------------------------------------------------------


def _idea_for_viewer(request, public_id) -> Idea:
    """The idea if this person may see it; 404 otherwise, so drafts and hidden ideas do not
    reveal that they exist."""
    idea = get_object_or_404(
        Idea.objects.select_related("author", "neighbourhood"), public_id=public_id,
    )
    if not request.user.has_perm("ideas.view_idea", idea):
        raise Http404
    return idea


def _links_queryset():
    return IdeaLink.objects.select_related("pilot", "algorithm__current_version", "challenge")


def _trail_step(link) -> dict | None:
    """One link as the public sees it; None while its target is not public."""
    if link.pilot_id and link.pilot.is_public:
        kind, title = _("Pilot"), link.pilot.title
        url = reverse("registry:pilot_detail", kwargs={"slug": link.pilot.slug})
    elif link.algorithm_id and link.algorithm.current_version_id:
        kind, title = _("Algorithm"), link.algorithm.current_version.name
        url = reverse("registry:algorithm_detail", kwargs={"slug": link.algorithm.slug})
    elif link.challenge_id and link.challenge.is_public:
        kind, title = _("Challenge"), link.challenge.title
        url = link.challenge.get_absolute_url()
    else:
        return None
    return {"kind": kind, "title": title, "url": url, "note": link.note,
            "date": link.created_at}


def _trail(links) -> list[dict]:
    """"You said, we did": the public pilots, algorithms and challenges an idea led to."""
    return [step for step in map(_trail_step, links) if step is not None]


def _timeline(events, idea: Idea) -> list[dict]:
    statuses = dict(Status.choices)
    rows = []
    for event in events:
        role = ROLE_LABELS.get(event.by_role, "")
        if event.by_role == "resident" and event.by_id and event.by_id == idea.author_id:
            role = _("Author")
        duplicate = event.duplicate_of
        rows.append({
            "pk": event.pk,
            "label": event.get_action_display(),
            "created_at": event.created_at,
            "role": role,
            "reason": event.get_reason_code_display() if event.reason_code else "",
            "text": event.text,
            "new_status": statuses.get(event.to_state, "")
            if event.action == IdeaEvent.Action.STATUS else "",
            "on_comment": event.comment_id is not None,
            "duplicate_of": duplicate if duplicate is not None and duplicate.is_public
            else None,
        })
    return rows


def _hidden_notice(idea: Idea, events) -> dict | None:
    """For an idea the public cannot see: its state and the latest statement of reasons."""
    if idea.is_public:
        return None
    decision = None
    for event in events:
        if event.comment_id is None and event.action in STATEMENT_ACTIONS:
            decision = event
    return {
        "state": idea.get_moderation_display(),
        "moderation": idea.moderation,
        "reason": decision.get_reason_code_display() if decision and decision.reason_code
        else "",
        "statement": decision.text if decision else "",
        "date": decision.created_at if decision else None,
    }


@require_GET
def idea_detail(request, public_id):
    idea = _idea_for_viewer(request, public_id)
    user = request.user
    is_author = bool(user.is_authenticated and idea.author_id == user.pk)
    full = is_author or user.has_perm("ideas.moderate") or user.has_perm("ideas.change_idea_status")

    images = list(idea.images.all())
    links = list(_links_queryset().filter(idea=idea).order_by("created_at", "pk"))
    events = list(selectors.idea_visible_events(idea=idea, full=full))
    answer = None
    for event in events:  # the latest status change is the official answer (on every timeline)
        if event.action == IdeaEvent.Action.STATUS:
            answer = event
    supported = following = False
    if user.is_authenticated:
        supported = Support.objects.filter(idea=idea, user=user).exists()
        following = Follow.objects.filter(idea=idea, user=user).exists()

    context = {
        "idea": idea,
        "body_html": render_simple_text(idea.body),
        "images": [
            {"image": image, "url": reverse("ideas:image", kwargs={
                "public_id": idea.public_id, "pk": image.pk})}
            for image in images
        ],
        "answer": answer,
        "answer_status": dict(Status.choices).get(answer.to_state, "") if answer else "",
        "trail": _trail(links),
        "timeline": _timeline(events, idea),
        "hidden_notice": _hidden_notice(idea, events),
        "is_author": is_author,
        "supported": supported,
        "following": following,
        "comments": selectors.idea_comments(idea=idea, viewer=user),
        "map": _map_settings() if idea.has_location else None,
    }
    return render(request, "ideas/idea_detail.html", context)


@require_GET
def idea_image(request, public_id, pk):
    """An image of an idea, for those who may see the idea; never sniffed, shown inline."""
    image = get_object_or_404(
        IdeaImage.objects.select_related("idea"), idea__public_id=public_id, pk=pk,
    )
    if not request.user.has_perm("ideas.view_idea", image.idea):
        raise Http404
    try:
        handle = image.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(
        handle, content_type=image.content_type,
        filename=f"idea-image-{image.pk}.{image.extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    if image.idea.is_public:
        patch_cache_control(response, public=True, max_age=3600)
    else:
        patch_cache_control(response, private=True, no_store=True)
    return response


# --- "you said, we did" -----------------------------------------------------------------------


@require_GET
def ideas_realised(request):
    status_events = IdeaEvent.objects.filter(
        action=IdeaEvent.Action.STATUS, comment__isnull=True,
    ).order_by("-created_at", "-pk")
    ideas = selectors.ideas_realised().prefetch_related(
        Prefetch("links", queryset=_links_queryset().order_by("created_at", "pk"),
                 to_attr="link_list"),
        Prefetch("events", queryset=status_events, to_attr="status_events"),
    )
    paginator = Paginator(ideas, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    rows = []
    for idea in page_obj.object_list:
        answer = idea.status_events[0] if idea.status_events else None
        rows.append({
            "idea": idea,
            "answer": answer,
            "answer_excerpt": plain_excerpt(answer.text, 300) if answer else "",
            "trail": _trail(idea.link_list),
        })
    return render(request, "ideas/realised.html", {
        "rows": rows,
        "page_obj": page_obj,
        "paginator": paginator,
        "is_paginated": page_obj.has_other_pages(),
        "query_string": "",
    })
