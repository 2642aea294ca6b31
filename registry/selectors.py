"""Reads of the algorithm register used by the pages and the API."""

import json
import uuid

from django.db.models import Q, QuerySet

from registry import standard
from registry.models import Algorithm, AlgorithmEvent, AlgorithmVersion

State = AlgorithmVersion.State


def algorithm_public_list(
    *,
    q: str = "",
    category: str = "",
    status: str = "",
    publication_category: str = "",
    include_withdrawn: bool = True,
) -> QuerySet[Algorithm]:
    """Algorithms with a public (published or withdrawn) version, filtered, by name.

    One query per page: the current version comes along with select_related.
    """
    queryset = Algorithm.objects.filter(current_version__isnull=False).select_related(
        "current_version"
    )
    if not include_withdrawn:
        queryset = queryset.filter(current_version__state=State.PUBLISHED)
    q = (q or "").strip()
    if q:
        queryset = queryset.filter(
            Q(current_version__name__icontains=q)
            | Q(current_version__description_short__icontains=q)
            | Q(current_version__tags__icontains=q)
        )
    if category in standard.THEME_VALUES:
        # JSON is stored unescaped (UnicodeJSONEncoder); match the quoted theme in the list.
        queryset = queryset.filter(
            current_version__category__icontains=json.dumps(category, ensure_ascii=False)
        )
    if status in standard.STATUS_VALUES:
        queryset = queryset.filter(current_version__status=status)
    if publication_category in standard.PUBLICATION_CATEGORY_VALUES:
        queryset = queryset.filter(current_version__publication_category=publication_category)
    return queryset.order_by("current_version__name", "pk")


def published_versions_for_api(**filters) -> QuerySet[AlgorithmVersion]:
    """The current published version of every algorithm (withdrawn ones are left out)."""
    ids = algorithm_public_list(include_withdrawn=False, **filters).values("current_version")
    return (
        AlgorithmVersion.objects.filter(pk__in=ids)
        .select_related("algorithm")
        .order_by("name", "pk")
    )


def algorithm_open_versions() -> QuerySet[AlgorithmVersion]:
    """Versions in progress (draft or awaiting approval), for civil servants."""
    return (
        AlgorithmVersion.objects.filter(state__in=AlgorithmVersion.OPEN_STATES)
        .select_related("algorithm", "submitted_by", "created_by")
        .order_by("-updated_at", "-pk")
    )


def algorithm_open_version(*, algorithm: Algorithm) -> AlgorithmVersion | None:
    return (
        algorithm.versions.filter(state__in=AlgorithmVersion.OPEN_STATES)
        .select_related("submitted_by", "created_by")
        .first()
    )


def algorithm_published_versions(*, algorithm: Algorithm) -> QuerySet[AlgorithmVersion]:
    """Every version that has been public, newest first."""
    return algorithm.versions.filter(state__in=AlgorithmVersion.FROZEN_STATES).order_by(
        "-number"
    )


def algorithm_events(*, algorithm: Algorithm, include_internal: bool) -> QuerySet:
    """The timeline. The public sees publications and withdrawals; civil servants see all."""
    events = algorithm.events.select_related("by", "version")
    if not include_internal:
        events = events.filter(
            action__in=[AlgorithmEvent.Action.PUBLISH, AlgorithmEvent.Action.WITHDRAW]
        )
    return events.order_by("-at", "-pk")


def version_diff(older: AlgorithmVersion, newer: AlgorithmVersion) -> list[dict]:
    """The content fields that differ between two versions: [{field, label, before, after}]."""
    rows = []
    for field in AlgorithmVersion.CONTENT_FIELDS:
        before, after = getattr(older, field), getattr(newer, field)
        if before != after:
            rows.append({
                "field": field,
                "label": AlgorithmVersion._meta.get_field(field).verbose_name,
                "before": _display(before),
                "after": _display(after),
            })
    return rows


def _display(value) -> str:
    """A field value as text for the before/after table."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(
            (f"{item.get('title', '')} ({item['link']})" if item.get("link")
             else item.get("title", "")) if isinstance(item, dict) else str(item)
            for item in value
        )
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def algorithm_by_public_key(key: str) -> QuerySet[Algorithm]:
    """An algorithm by slug or by public id (the `source_id` of the API)."""
    queryset = Algorithm.objects.filter(slug=key)
    try:
        public_id = uuid.UUID(key)
    except ValueError:
        return queryset
    return Algorithm.objects.filter(Q(slug=key) | Q(public_id=public_id))

