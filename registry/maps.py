"""The map of pilots: the page `/registers/pilots/kaart/` (a map with its list alternative),
the GeoJSON it loads, and the compact map of Raadsinformatie.

Only public pilots (published and withdrawn, as the pilot list shows them) with the list's
search and filters (`PilotFilterForm`, GET). A pilot with a location is a point on the map and a
row in the table after it; the others are counted and listed under "no location". Every page
and the GeoJSON run a fixed number of queries, however many pilots there are, and show at most
MAP_LIMIT points (the GeoJSON says `"truncated": true` beyond that).

Sensor projects are a second layer: their areas come from the sensors app's own GeoJSON
(`sensors:projects_geojson`, the map element's `data-sensor-url`), and the table of them is
read here through `django.apps` (`sensor_projects`): registry never imports the sensors app,
and without it installed the layer and the table are simply left out.

The URL patterns are at the end; registry/urls.py includes this module.
"""

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Q
from django.http import JsonResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import TemplateView

from registry import selectors
from registry.forms import PilotFilterForm
from registry.models import Pilot

# The map and its table show at most this many pilots.
MAP_LIMIT = 2000
# The compact map on Raadsinformatie lists at most this many of them below it.
DASHBOARD_LIST_LIMIT = 50
POINT_FIELDS = (
    "public_id", "slug", "title", "state", "status", "theme", "neighbourhood", "start_date",
    "latitude", "longitude",
)
_SLUG_PLACEHOLDER = "pilot-slug-placeholder"


def map_settings() -> dict:
    """The map element's data-* attributes: tiles (may be empty: no background), centre."""
    return {
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "center": ",".join(str(value) for value in settings.MAP_CENTER),
    }


def _with_location():
    return Q(latitude__isnull=False, longitude__isnull=False)


def _rows(queryset, limit: int) -> tuple[list[dict], bool]:
    """At most `limit` pilots as light rows (one query), with their URL and status label, and
    whether there were more."""
    rows = list(queryset.order_by("title", "pk").values(*POINT_FIELDS)[:limit + 1])
    pattern = reverse("registry:pilot_detail", kwargs={"slug": _SLUG_PLACEHOLDER})
    labels = dict(Pilot.Status.choices)
    for row in rows:
        row["url"] = pattern.replace(_SLUG_PLACEHOLDER, row["slug"])
        row["status_label"] = str(labels.get(row["status"], row["status"]))
        row["withdrawn"] = row["state"] == Pilot.State.WITHDRAWN
    return rows[:limit], len(rows) > limit


def map_points(filters: dict, *, limit: int | None = None) -> tuple[list[dict], bool]:
    """The filtered public pilots with a location, at most `limit` (default MAP_LIMIT), and
    whether there were more (one query)."""
    queryset = selectors.pilot_public_filtered(**filters).filter(_with_location())
    return _rows(queryset, limit or MAP_LIMIT)


def without_location(filters: dict, *, limit: int | None = None) -> tuple[list[dict], int]:
    """The filtered public pilots without a location: at most `limit` rows (default
    MAP_LIMIT), and how many there are (two queries)."""
    queryset = selectors.pilot_public_filtered(**filters).exclude(_with_location())
    rows, _more = _rows(queryset, limit or MAP_LIMIT)
    return rows, queryset.count()


def legend(points: list[dict]) -> list[dict]:
    """Each status on the map, in life-cycle order, with its label and number of points."""
    counts: dict[str, int] = {}
    for point in points:
        counts[point["status"]] = counts.get(point["status"], 0) + 1
    return [
        {"value": value, "label": label, "count": counts[value]}
        for value, label in Pilot.Status.choices if value in counts
    ]


def feature(point: dict) -> dict:
    """One pilot as a GeoJSON (RFC 7946) Feature: [longitude, latitude]."""
    return {
        "type": "Feature",
        "id": str(point["public_id"]),
        "geometry": {
            "type": "Point",
            "coordinates": [float(point["longitude"]), float(point["latitude"])],
        },
        "properties": {
            "title": point["title"],
            "url": point["url"],
            "status": point["status"],
            "status_label": point["status_label"],
            "theme": point["theme"],
            "neighbourhood": point["neighbourhood"],
            "withdrawn": point["withdrawn"],
        },
    }


def sensor_layer_url() -> str:
    """The GeoJSON of the sensor projects' areas, or "" when the sensors app is not there."""
    try:
        return reverse("sensors:projects_geojson")
    except NoReverseMatch:
        return ""


def sensor_projects() -> list[dict]:
    """Every sensor project for the table after the map (one query; none without the sensors
    app): name and URL, the number of active kits, and the linked pilot when it is public.

    Read through `django.apps` and `values()`, not by importing the sensors app (registry must
    not import it); projects without a pilot are listed too."""
    if not apps.is_installed("sensors"):
        return []
    try:
        project_model = apps.get_model("sensors", "Project")
        kit_model = apps.get_model("sensors", "Kit")
        project_pattern = reverse("sensors:project_detail", kwargs={"slug": _SLUG_PLACEHOLDER})
    except (LookupError, NoReverseMatch):
        return []
    pilot_pattern = reverse("registry:pilot_detail", kwargs={"slug": _SLUG_PLACEHOLDER})
    rows = list(
        project_model.objects.order_by("name", "pk")
        .annotate(active_kits=Count("kits", filter=Q(kits__state=kit_model.State.ACTIVE)))
        .values("slug", "name", "active_kits", "pilot__slug", "pilot__title", "pilot__state")
    )
    for row in rows:
        row["url"] = project_pattern.replace(_SLUG_PLACEHOLDER, row["slug"])
        public = row["pilot__slug"] and row["pilot__state"] in Pilot.PUBLIC_STATES
        row["pilot"] = {
            "title": row["pilot__title"],
            "url": pilot_pattern.replace(_SLUG_PLACEHOLDER, row["pilot__slug"]),
        } if public else None
    return rows


class MapFilterMixin:
    @cached_property
    def filter_form(self) -> PilotFilterForm:
        return PilotFilterForm(self.request.GET or None, departments=selectors.pilot_departments())

    @cached_property
    def filters(self) -> dict:
        return self.filter_form.filters()

    def query_string(self) -> str:
        query = self.request.GET.copy()
        query.pop("page", None)
        return query.urlencode()


class PilotMapView(MapFilterMixin, TemplateView):
    """The map of pilots with the list alternative (a table of the same pilots right after
    the map) and the pilots without a location."""

    template_name = "registry/pilot_map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        points, truncated = map_points(self.filters)
        unplaced, unplaced_count = without_location(self.filters)
        query_string = self.query_string()
        map_url = reverse("registry:pilot_map_data")
        context.update({
            "filter_form": self.filter_form,
            "query_string": query_string,
            "map_url": f"{map_url}?{query_string}" if query_string else map_url,
            "is_filtered": any(self.filters.values()),
            "points": points,
            "truncated": truncated,
            "map_limit": len(points),
            "legend": legend(points),
            "without_location": unplaced,
            "without_location_count": unplaced_count,
            "map": map_settings(),
            "sensor_url": sensor_layer_url(),
            "sensor_projects": sensor_projects(),
        })
        return context


class PilotMapDataView(MapFilterMixin, View):
    """GeoJSON FeatureCollection of the filtered public pilots with a location; at most
    MAP_LIMIT features, the foreign member `truncated` says whether there were more."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        points, truncated = map_points(self.filters)
        return JsonResponse(
            {
                "type": "FeatureCollection",
                "features": [feature(point) for point in points],
                "truncated": truncated,
            },
            content_type="application/geo+json",
            json_dumps_params={"ensure_ascii": False},
        )


def dashboard_map() -> dict:
    """The compact map of Raadsinformatie (three queries): the number of public pilots with
    and without a location, the legend, the first DASHBOARD_LIST_LIMIT pilots on the map as
    the list alternative, and the sensor projects (second layer and their table)."""
    rows = (
        Pilot.objects.filter(state__in=Pilot.PUBLIC_STATES).order_by().values("status")
        .annotate(placed=Count("pk", filter=_with_location()),
                  unplaced=Count("pk", filter=~_with_location()))
    )
    placed, unplaced = {}, 0
    for row in rows:
        if row["placed"]:
            placed[row["status"]] = row["placed"]
        unplaced += row["unplaced"]
    points, more = map_points({}, limit=DASHBOARD_LIST_LIMIT)
    return {
        "count": sum(placed.values()),
        "without_location_count": unplaced,
        "legend": [
            {"value": value, "label": label, "count": placed[value]}
            for value, label in Pilot.Status.choices if value in placed
        ],
        "points": points,
        "more": more,
        "list_limit": DASHBOARD_LIST_LIMIT,
        "map": map_settings(),
        "url": reverse("registry:pilot_map_data"),
        "sensor_url": sensor_layer_url(),
        "sensor_projects": sensor_projects(),
    }


# Included by registry/urls.py in the pilot patterns, before `<slug:slug>/` ("kaart" is also a
# reserved slug: services.RESERVED_SLUGS).
urlpatterns = [
    path("kaart/", PilotMapView.as_view(), name="pilot_map"),
    path("kaart.geojson", PilotMapDataView.as_view(), name="pilot_map_data"),
]
