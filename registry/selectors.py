"""Reads of the registers (algorithms, pilots) used by the pages and the API."""

import json
import uuid

from django.db.models import Count, Prefetch, Q, QuerySet

from registry import standard
from registry.models import (
    Algorithm,
    AlgorithmEvent,
    AlgorithmVersion,
    Evaluation,
    KpiResult,
    Pilot,
    PilotEvent,
)

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



# --- the pilot register ----------------------------------------------------------------------


def pilot_public_list(
    *, q: str = "", theme: str = "", status: str = "", department: str = ""
) -> QuerySet[Pilot]:
    """Published (and withdrawn) pilots, filtered, by title, with their number of KPIs and of
    published evaluations: one query per page."""
    queryset = Pilot.objects.filter(state__in=Pilot.PUBLIC_STATES).annotate(
        kpi_count=Count("kpis", distinct=True),
        evaluation_count=Count(
            "evaluations", filter=Q(evaluations__state=Evaluation.State.PUBLISHED), distinct=True
        ),
    )
    q = (q or "").strip()
    if q:
        queryset = queryset.filter(
            Q(title__icontains=q) | Q(summary__icontains=q) | Q(neighbourhood__icontains=q)
        )
    if theme in standard.THEME_VALUES:
        queryset = queryset.filter(theme=theme)
    if status in Pilot.Status.values:
        queryset = queryset.filter(status=status)
    department = (department or "").strip()
    if department:
        queryset = queryset.filter(department__iexact=department)
    return queryset.order_by("title", "pk")


def pilot_departments() -> list[str]:
    """The departments of public pilots, for the filter."""
    return list(
        Pilot.objects.filter(state__in=Pilot.PUBLIC_STATES).exclude(department="")
        .order_by("department").values_list("department", flat=True).distinct()
    )


def pilot_open_list() -> QuerySet[Pilot]:
    """Pilots in progress (draft or awaiting approval), for civil servants."""
    return Pilot.objects.filter(state__in=AlgorithmVersion.OPEN_STATES).order_by(
        "-updated_at", "-pk"
    )


def pilot_evaluations(*, pilot: Pilot, include_drafts: bool) -> QuerySet[Evaluation]:
    evaluations = pilot.evaluations.select_related("submitted_by", "published_by")
    if not include_drafts:
        evaluations = evaluations.filter(state=Evaluation.State.PUBLISHED)
    return evaluations.prefetch_related(
        Prefetch("kpi_results", queryset=KpiResult.objects.select_related("kpi"))
    ).order_by("-evaluated_on", "-pk")


def pilot_events(*, pilot: Pilot, include_internal: bool) -> QuerySet[PilotEvent]:
    """The timeline. The public sees publication, status and published evaluations."""
    events = pilot.events.select_related("by")
    if not include_internal:
        events = events.filter(action__in=PilotEvent.PUBLIC_ACTIONS)
    return events.order_by("-at", "-pk")


def published_pilots_for_api(**filters) -> QuerySet[Pilot]:
    """Published pilots (not withdrawn) with KPIs, published algorithms and published
    evaluations with their KPI results: a fixed number of queries per page."""
    return (
        pilot_public_list(**filters).filter(state=Pilot.State.PUBLISHED)
        .prefetch_related(
            "kpis",
            Prefetch("algorithms", queryset=Algorithm.objects.filter(
                current_version__state=State.PUBLISHED)),
            Prefetch(
                "evaluations",
                queryset=Evaluation.objects.filter(state=Evaluation.State.PUBLISHED)
                .prefetch_related(
                    Prefetch("kpi_results", queryset=KpiResult.objects.select_related("kpi"))
                ),
            ),
        )
        .order_by("title", "pk")
    )
