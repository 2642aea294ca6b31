"""Reads of the registers (algorithms, pilots) used by the pages and the API."""

import json
import uuid
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from registry import standard
from registry.models import (
    KPI_DEFINITION_FIELDS,
    Algorithm,
    AlgorithmEvent,
    AlgorithmVersion,
    Evaluation,
    Kpi,
    KpiResult,
    Pilot,
    PilotEvent,
    PilotSubscription,
    PilotVersion,
)
from registry.templatetags.registry_extras import number

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


def published_versions(record) -> QuerySet:
    """Every version of an algorithm or pilot that has been public, newest first."""
    return record.versions.filter(state__in=record.versions.model.FROZEN_STATES).order_by(
        "-number"
    )


def version_history(versions) -> list[dict]:
    """The history page's entries, newest first: each published version with what changed
    since the one before it (`changes` is None for the first)."""
    versions = list(versions)
    return [
        {
            "version": version,
            "previous": previous,
            "changes": version_diff(previous, version) if previous else None,
        }
        for version, previous in zip(versions, [*versions[1:], None], strict=False)
    ]


def algorithm_events(*, algorithm: Algorithm, include_internal: bool) -> QuerySet:
    """The timeline. The public sees publications and withdrawals; civil servants see all."""
    events = algorithm.events.select_related("by", "version")
    if not include_internal:
        events = events.filter(
            action__in=[AlgorithmEvent.Action.PUBLISH, AlgorithmEvent.Action.WITHDRAW]
        )
    return events.order_by("-at", "-pk")


def version_diff(older, newer) -> list[dict]:
    """What differs between two versions of a record (algorithm or pilot versions, or a pilot
    version and the pilot's current version): [{field, label, before, after}] as text, in the
    newer version's order. A pilot version's KPIs are compared per KPI and per field."""
    before = {key: (label, text) for key, label, text in _diff_items(older)}
    rows = []
    for key, label, after in _diff_items(newer, known=before):
        _label, text = before.pop(key, (label, ""))
        if text != after:
            rows.append({"field": key, "label": label, "before": text, "after": after})
    rows += [{"field": key, "label": label, "before": text, "after": ""}
             for key, (label, text) in before.items() if text]
    return rows


def _diff_items(version, known=None):
    """(key, label, text) of every content field of a version, KPI fields one by one. A KPI
    that is not among the `known` keys (the older version's) is one item: it was added."""
    model = type(version)
    for field in model.CONTENT_FIELDS:
        value = getattr(version, field)
        if field == "kpis":
            yield from _kpi_diff_items(value, known)
        else:
            yield field, model._meta.get_field(field).verbose_name, _display(value)


def _kpi_diff_items(definitions: list[dict], known=None):
    for position, entry in enumerate(definitions, start=1):
        key = f"kpi-{entry['id'] if entry.get('id') is not None else f'new-{position}'}"
        name = entry.get("name", "")
        texts = [
            (field, Kpi._meta.get_field(field).verbose_name, _display(_kpi_value(entry, field)))
            for field in KPI_DEFINITION_FIELDS
        ]
        if known is not None and f"{key}-name" not in known:
            label = gettext("KPI “%(name)s” (added)") % {"name": name}
            yield key, label, "\n".join(f"{capfirst(label)}: {text}"
                                         for _field, label, text in texts if text)
            continue
        for field, field_label, text in texts:
            label = gettext("KPI “%(name)s”: %(field)s") % {"name": name, "field": field_label}
            yield f"{key}-{field}", label, text


def _kpi_value(entry: dict, field: str):
    """A KPI definition's value as stored in a version, ready for _display."""
    value = entry.get(field)
    if field in ("baseline_value", "target_value") and value not in (None, ""):
        return Decimal(value)
    if field == "direction" and value in Kpi.Direction.values:
        return Kpi.Direction(value).label
    return value


def _display(value) -> str:
    """A field value as text for the before/after table."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, Decimal):
        return number(value, "", grouping=True)
    if isinstance(value, list):
        return "\n".join(
            (f"{item.get('title', '')} ({item['link']})" if item.get("link")
             else item.get("title") or item.get("name", "")) if isinstance(item, dict)
            else str(item)
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


def pilot_public_list(**filters) -> QuerySet[Pilot]:
    """Published (and withdrawn) pilots, filtered (`pilot_public_filtered`), by title, with their
    number of KPIs and of published evaluations: one query per page."""
    return pilot_public_filtered(**filters).annotate(
        kpi_count=Count("kpis", distinct=True),
        evaluation_count=Count(
            "evaluations", filter=Q(evaluations__state=Evaluation.State.PUBLISHED), distinct=True
        ),
    ).order_by("title", "pk")


def pilot_public_filtered(
    *, q: str = "", theme: str = "", status: str = "", department: str = "",
    overdue: bool = False, kpi: str = "",
) -> QuerySet[Pilot]:
    """Published (and withdrawn) pilots with the list's search and filters, unordered and
    without counts (the list and the map of pilots share it).

    `overdue`: only published pilots whose review is overdue (`pilot_overdue_list`). `kpi` (an
    assessment: met, partly, not_met): only pilots with a KPI whose latest published result has
    that assessment (`latest_kpi_results`)."""
    queryset = Pilot.objects.filter(state__in=Pilot.PUBLIC_STATES)
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
    if overdue:
        queryset = queryset.filter(pk__in=pilot_overdue_list().values("pk"))
    if kpi in Kpi.Assessment.values:
        queryset = queryset.filter(
            pk__in=latest_kpi_results().filter(assessment=kpi).values("kpi__pilot")
        )
    return queryset


def pilot_overdue_list() -> QuerySet[Pilot]:
    """Published pilots whose next review date has passed and that are not closed (scaled up,
    stopped, prohibited): their evaluation is overdue. Oldest review date first."""
    return (
        Pilot.objects.filter(
            state=Pilot.State.PUBLISHED, next_review_date__lt=timezone.localdate()
        )
        .exclude(status__in=Pilot.CLOSED_STATUSES)
        .order_by("next_review_date", "title", "pk")
    )


def latest_kpi_results() -> QuerySet[KpiResult]:
    """Per KPI of a public pilot, its result in the latest published evaluation (one row per
    KPI that has been evaluated): what the council sees as "met / partly / not met"."""
    latest = (
        KpiResult.objects.filter(kpi=OuterRef("kpi"), evaluation__state=Evaluation.State.PUBLISHED)
        .order_by("-evaluation__evaluated_on", "-evaluation__pk")
        .values("pk")[:1]
    )
    return KpiResult.objects.filter(
        evaluation__state=Evaluation.State.PUBLISHED,
        evaluation__pilot__state__in=Pilot.PUBLIC_STATES,
        pk=Subquery(latest),
    )


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


def pilot_open_versions() -> QuerySet[PilotVersion]:
    """Changes in progress to published pilots (draft or awaiting approval), for civil
    servants."""
    return (
        PilotVersion.objects.filter(state__in=PilotVersion.OPEN_STATES)
        .select_related("pilot", "submitted_by")
        .only("pk", "number", "state", "title", "updated_at", "submitted_by", "pilot__slug",
              "pilot__title")
        .order_by("-updated_at", "-pk")
    )


def pilot_open_version(*, pilot: Pilot) -> PilotVersion | None:
    """The change in progress to a published pilot, if any."""
    return (
        pilot.versions.filter(state__in=PilotVersion.OPEN_STATES)
        .select_related("submitted_by", "created_by")
        .first()
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
    events = pilot.events.select_related("by").annotate(version_number=F("version__number"))
    if not include_internal:
        events = events.filter(action__in=PilotEvent.PUBLIC_ACTIONS)
    return events.order_by("-at", "-pk")


def published_pilots_for_api(**filters) -> QuerySet[Pilot]:
    """Published pilots (not withdrawn) with KPIs, published algorithms and published
    evaluations with their KPI results: a fixed number of queries per page."""
    return (
        pilot_public_list(**filters).filter(state=Pilot.State.PUBLISHED)
        .annotate(version=F("current_version__number"))
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


# --- Raadsinformatie (the council dashboard) -------------------------------------------------

DASHBOARD_LIST_LIMIT = 50
DASHBOARD_DECISIONS = 10


def _counts(queryset, field: str) -> dict:
    return {
        row[field]: row["n"]
        for row in queryset.order_by().values(field).annotate(n=Count("pk", distinct=True))
    }


def registry_dashboard() -> dict:
    """The figures of Raadsinformatie, each aggregated in the database: a fixed number of
    queries (eight), however many pilots, evaluations and algorithms there are.

    Pilots are counted as the pilot list shows them (published and withdrawn), so each figure
    equals the number of records behind its link.
    """
    pilots = Pilot.objects.filter(state__in=Pilot.PUBLIC_STATES)
    by_status = _counts(pilots, "status")
    by_theme = _counts(pilots.exclude(theme=""), "theme")
    overdue = pilot_overdue_list()
    kpis = _counts(latest_kpi_results(), "assessment")
    decisions = list(
        Evaluation.objects.filter(
            state=Evaluation.State.PUBLISHED, kind=Evaluation.Kind.FINAL,
            pilot__state__in=Pilot.PUBLIC_STATES,
        )
        .exclude(decision="")
        .select_related("pilot")
        .order_by("-decision_date", "-published_at", "-pk")[:DASHBOARD_DECISIONS]
    )
    algorithm_rows = (
        Algorithm.objects.filter(current_version__isnull=False)
        .order_by()
        .values("current_version__publication_category", "current_version__status")
        .annotate(n=Count("pk"))
    )
    algorithms: dict[tuple[str, str], int] = {
        (row["current_version__publication_category"], row["current_version__status"]): row["n"]
        for row in algorithm_rows
    }
    return {
        "pilots_by_status": [
            {"value": value, "label": label, "count": by_status.get(value, 0)}
            for value, label in Pilot.Status.choices
        ],
        "pilots_by_theme": [
            {"value": theme, "count": by_theme[theme]}
            for theme in standard.THEME_VALUES if theme in by_theme
        ],
        "pilot_total": sum(by_status.values()),
        "overdue_count": overdue.count(),
        "overdue": list(overdue[:DASHBOARD_LIST_LIMIT]),
        "kpis": [
            {"value": value, "label": label, "count": kpis.get(value, 0)}
            for value, label in Kpi.Assessment.choices
        ],
        "kpis_without_assessment": kpis.get("", 0),
        "decisions": decisions,
        "algorithms": _algorithm_table(algorithms),
    }


def _algorithm_table(counts: dict[tuple[str, str], int]) -> dict:
    """A cross table: one row per publication category, one column per status, with totals.

    Empty category or status values (allowed in a withdrawn record) get a row or column of
    their own, labelled "not given", without a filter link."""
    categories = [c for c in standard.PUBLICATION_CATEGORY_VALUES if any(
        key[0] == c for key in counts)]
    statuses = [s for s in standard.STATUS_VALUES if any(key[1] == s for key in counts)]
    if any(key[0] not in standard.PUBLICATION_CATEGORY_VALUES for key in counts):
        categories.append("")
    if any(key[1] not in standard.STATUS_VALUES for key in counts):
        statuses.append("")

    def bucket(value, known):
        return value if value in known else ""

    cells: dict[tuple[str, str], int] = {}
    for (category, status), n in counts.items():
        key = (bucket(category, standard.PUBLICATION_CATEGORY_VALUES),
               bucket(status, standard.STATUS_VALUES))
        cells[key] = cells.get(key, 0) + n
    return {
        "statuses": statuses,
        "rows": [
            {
                "category": category,
                "cells": [{"status": status, "count": cells.get((category, status), 0)}
                          for status in statuses],
                "total": sum(cells.get((category, status), 0) for status in statuses),
            }
            for category in categories
        ],
        "status_totals": [
            (status, sum(cells.get((c, status), 0) for c in categories)) for status in statuses
        ],
        "total": sum(cells.values()),
    }


def pilot_subscriptions_of(*, user) -> dict:
    """What `user` follows: {"pilots": {pilot ids}, "themes": {themes}} (one query)."""
    follows = {"pilots": set(), "themes": set()}
    if not getattr(user, "is_authenticated", False):
        return follows
    for pilot_id, theme in PilotSubscription.objects.filter(user=user).values_list(
        "pilot_id", "theme"
    ):
        if pilot_id:
            follows["pilots"].add(pilot_id)
        else:
            follows["themes"].add(theme)
    return follows
