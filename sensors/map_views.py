"""Public pages of the sensor networks: the map of all public kits (with its GeoJSON feed and
its list alternative), a kit's public page with its chart and data table, and the page that
describes the open data. Reads come from `sensors.feeds`, the chart layout from
`sensors.charts`; the views parse the query string, call them and render.
"""

import re
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from registry.models import Pilot
from sensors import archive, charts, feeds, selectors
from sensors.downloads import licence_of, public_data_view
from sensors.models import LICENCE_URLS, Licence, ObservedProperty, Project

MAP_LIST_PAGE_SIZE = 50
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
KIT_TABLE_PAGE_SIZE = 100


def _map_settings() -> dict:
    south, west, north, east = settings.MAP_BOUNDS
    return {
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "center": ",".join(str(value) for value in settings.MAP_CENTER),
        "bounds": ",".join(str(value) for value in (south, west, north, east)),
    }


def _number(value: float) -> str:
    decimals = 0 if float(value).is_integer() else (1 if abs(value) >= 10 else 2)
    return number_format(value, decimal_pos=decimals)


def legend_rows(quantity: ObservedProperty) -> list[dict]:
    """The colour classes of a quantity as text: the range with its unit, the class's name
    (translated) and its colour."""
    unit = quantity.unit_symbol
    rows = []
    classes = feeds.colour_classes(quantity.scale)
    for band in classes:
        below_all = band.index == 0 and (
            band.lower is None
            or (quantity.valid_min is not None and band.lower > quantity.valid_min))
        if band.upper is None:
            text = _("%(lower)s %(unit)s or more") % {"lower": _number(band.lower), "unit": unit}
        elif below_all:
            text = _("below %(upper)s %(unit)s") % {"upper": _number(band.upper), "unit": unit}
        else:
            text = _("%(lower)s to %(upper)s %(unit)s") % {
                "lower": _number(band.lower), "upper": _number(band.upper), "unit": unit}
        rows.append({"index": band.index, "range": text,
                     "label": _(band.label) if band.label else "", "colour": band.colour})
    return rows


def _with_labels(quantities):
    """Quantity names are English msgids (reference data): translate them for the page."""
    for quantity in quantities:
        quantity.label = _(quantity.name)
    return quantities


# --- the map ----------------------------------------------------------------------------------


SORT_COLUMNS = (
    ("name", "kit", "name"),
    ("project", "project", "project"),
    ("value", "value", "-value"),
    ("time", "time", "-time"),
)


def _sort_headers(base_query: dict, sort: str) -> dict:
    """Per column: the link that sorts by it (or reverses it) and its aria-sort state."""
    headers = {}
    for key, column, first in SORT_COLUMNS:
        if sort in (key, f"-{key}"):
            state = "descending" if sort.startswith("-") else "ascending"
            target = key if sort.startswith("-") else f"-{key}"
        else:
            state, target = "", first
        query = urlencode({**base_query, "sort": target})
        headers[column] = {"url": f"?{query}#map-list", "state": state}
    return headers


@public_data_view
def sensor_map(request):
    quantities = _with_labels(feeds.map_quantities())
    quantity = feeds.quantity_choose(quantities, request.GET.get("quantity"))
    projects = feeds.map_projects()
    project_slug = request.GET.get("project", "")
    project = next((item for item in projects if item.slug == project_slug), None)
    project_slug = project.slug if project else ""
    sort = request.GET.get("sort", "")
    if sort not in feeds.MAP_LIST_SORTS:
        sort = feeds.DEFAULT_MAP_LIST_SORT
    base_query = {}
    if quantity is not None:
        base_query["quantity"] = quantity.code
    if project_slug:
        base_query["project"] = project_slug
    context = {
        "quantities": quantities,
        "quantity": quantity,
        "projects": projects,
        "project": project,
        "sort": sort,
        "map": _map_settings(),
        "legend": legend_rows(quantity) if quantity else [],
        "query_string": urlencode({**base_query, "sort": sort}),
        "sort_headers": _sort_headers(base_query, sort),
    }
    if quantity is not None:
        paginator = Paginator(
            feeds.map_list_rows(quantity=quantity, project_slug=project_slug, sort=sort),
            MAP_LIST_PAGE_SIZE,
        )
        page_obj = paginator.get_page(request.GET.get("page"))
        context.update({
            "paginator": paginator,
            "page_obj": page_obj,
            "is_paginated": page_obj.has_other_pages(),
            "rows": feeds.map_list_decorate(page_obj.object_list, quantity=quantity),
            "data_url": reverse("sensors:map_data") + "?" + urlencode(base_query),
        })
    return render(request, "sensors/map.html", context)


def _json_error(detail: str, code: str, status: int = 400):
    return JsonResponse({"detail": detail, "code": code}, status=status)


@public_data_view
def sensor_map_data(request):
    """GeoJSON of the latest value of one quantity at every public kit (see feeds.map_feed).
    At most three queries (quantity, project, feed); the feed's query only when it is not
    cached."""
    code = request.GET.get("quantity") or feeds.DEFAULT_QUANTITY
    quantity = ObservedProperty.objects.filter(code=code[:40]).first()
    if quantity is None:
        return _json_error(_("Unknown quantity “%(code)s”.") % {"code": code[:40]},
                           "unknown_quantity")
    project_slug = request.GET.get("project", "")
    if project_slug and not Project.objects.filter(slug=project_slug[:100]).exists():
        return _json_error(_("Unknown project “%(slug)s”.") % {"slug": project_slug[:100]},
                           "unknown_project")
    # Compressed once when the feed is built, not per request (10,000 kits: 3.9 MB of JSON,
    # 0.5 MB compressed).
    compressed = bool(_ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))
    feed = feeds.map_feed(quantity=quantity, project_slug=project_slug, compressed=compressed)
    if request.headers.get("If-None-Match") == feed.etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(feed.body, content_type="application/geo+json; charset=utf-8")
        if feed.compressed:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = feed.etag
    response["Cache-Control"] = f"public, max-age={feeds.MAP_FEED_SECONDS}"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


_SLUG_PLACEHOLDER = "slug-placeholder"


def _url_pattern(name: str):
    """A function slug -> URL that reverses `name` only once."""
    pattern = reverse(name, kwargs={"slug": _SLUG_PLACEHOLDER})
    return lambda slug: pattern.replace(_SLUG_PLACEHOLDER, slug, 1)


@public_data_view
def projects_geojson(request):
    """GeoJSON (RFC 7946) of every sensor project's area: one Feature per project, its area
    polygon as geometry; properties name, url, active_kits, pilot_url (only when the linked
    pilot is public, else null) and licence. One query. The map of pilots in the register
    draws these as its second layer."""
    project_url = _url_pattern("sensors:project_detail")
    pilot_url = _url_pattern("registry:pilot_detail")
    labels = dict(Licence.choices)
    features = []
    for row in selectors.project_areas():
        area = row["area"]
        if not isinstance(area, dict) or area.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        public_pilot = row["pilot__slug"] and row["pilot__state"] in Pilot.PUBLIC_STATES
        features.append({
            "type": "Feature",
            "id": row["slug"],
            "geometry": {"type": area["type"], "coordinates": area.get("coordinates", [])},
            "properties": {
                "name": row["name"],
                "url": project_url(row["slug"]),
                "active_kits": row["active_kits"],
                "pilot_url": pilot_url(row["pilot__slug"]) if public_pilot else None,
                "licence": {
                    "id": row["licence"],
                    "name": str(labels.get(row["licence"], row["licence"])),
                    "url": LICENCE_URLS.get(row["licence"], ""),
                },
            },
        })
    return JsonResponse(
        {"type": "FeatureCollection", "features": features},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )


# --- a kit's public page ----------------------------------------------------------------------


def _choice(value, choices, default):
    return value if value in choices else default


@public_data_view
def kit_public(request, public_id):
    kit = feeds.kit_public_get(public_id)
    if kit is None:
        raise Http404
    streams = feeds.kit_public_datastreams(kit)
    _with_labels([item.observed_property for item in streams])
    stream = None
    wanted = request.GET.get("datastream", "")
    if wanted.isdigit():
        stream = next((item for item in streams if item.pk == int(wanted)), None)
    if stream is None and streams:
        stream = streams[0]
    period = _choice(request.GET.get("period"), charts.PERIODS, charts.DEFAULT_PERIOD)
    interval = _choice(request.GET.get("interval"), charts.INTERVALS,
                       charts.default_interval(period))
    context = {
        "kit": kit,
        "project": kit.project,
        "streams": streams,
        "stream": stream,
        "period": period,
        "interval": interval,
        "periods": [("24h", _("last 24 hours")), ("7d", _("last 7 days")),
                    ("30d", _("last 30 days")), ("1y", _("last year"))],
        "intervals": [("hour", _("hourly averages")), ("day", _("daily averages"))],
        "map": _map_settings(),
        "licence": licence_of(kit.project),
    }
    if stream is not None:
        since, until = charts.chart_window(period=period, interval=interval)
        rows = feeds.datastream_series(datastream_id=stream.pk, interval=interval,
                                       since=since, until=until)
        quantity = stream.observed_property
        chart = charts.chart_build(
            rows, since=since, until=until, step=charts.INTERVALS[interval],
            non_negative=quantity.valid_min is None or quantity.valid_min >= 0,
        )
        table = Paginator(rows[::-1], KIT_TABLE_PAGE_SIZE)
        table_page = table.get_page(request.GET.get("page"))
        query = {"datastream": stream.pk, "period": period, "interval": interval}
        context.update({
            "since": since,
            "until": until,
            "chart": chart,
            "downsampled": chart.bucket is not None
            and chart.bucket != charts.INTERVALS[interval],
            "bucket_hours": int(chart.bucket.total_seconds() // 3600) if chart.bucket else 0,
            "table_page": table_page,
            "query_string": urlencode(query),
            "download_url": reverse("sensors:kit_data_csv", kwargs={"public_id": kit.public_id})
            + "?" + urlencode({"interval": interval, "from": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "to": until.strftime("%Y-%m-%dT%H:%M:%SZ")}),
        })
    return render(request, "sensors/kit_public.html", context)


# --- the daily archive ----------------------------------------------------------------------


ARCHIVE_PAGE_SIZE = 100


@public_data_view
def project_archive(request, slug):
    project = get_object_or_404(Project, slug=slug)
    paginator = Paginator(archive.project_archives(project), ARCHIVE_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(request, "sensors/map_archive.html", {
        "project": project,
        "files": page_obj.object_list,
        "page_obj": page_obj,
        "is_paginated": page_obj.has_other_pages(),
        "licence": licence_of(project),
    })


@public_data_view
def project_archive_file(request, slug, day):
    project = get_object_or_404(Project, slug=slug)
    try:
        moment = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    handle = archive.archive_open(project, moment)
    if handle is None:
        raise Http404
    response = FileResponse(handle, as_attachment=True,
                            filename=f"{project.slug}_{moment:%Y-%m-%d}.csv.gz",
                            content_type="application/gzip")
    licence = licence_of(project)
    if licence["url"]:
        response["Link"] = f'<{licence["url"]}>; rel="license"; title="{licence["name"]}"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- about the open data ----------------------------------------------------------------------


@public_data_view
def open_data_help(request):
    from sensors.downloads import COLUMNS, INTERVAL_RULES

    context = {
        "columns": COLUMNS,
        "rules": [(name, rule.default_span.days, rule.max_span.days)
                  for name, rule in INTERVAL_RULES.items()],
        "projects": Project.objects.order_by("name").only("slug", "name", "licence"),
    }
    return render(request, "sensors/map_open_data.html", context)
