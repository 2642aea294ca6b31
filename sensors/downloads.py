"""Open data: the measurements of a project or a kit as CSV, and a project's kits with their
latest values as GeoJSON, always with the project's data licence (docs/sensors-open-data.md).

- Which kits: kits on the map (active, with a public grid point) and kits whose owner left
  while keeping the data as anonymised open data (stopped, no owner, exact location erased).
  Unclaimed kits, kits without a location and stopped kits still linked to a person never
  appear. Locations: the public 100 m grid point only; the exact spot is never read here.
- CSV: one tidy "long" table, one row per value, the same 18 columns for every interval
  (`COLUMNS`), comma-separated, UTF-8 without a byte order mark, times in UTC (ISO 8601, "Z").
  Rows come per series (kit, quantity, sensor), in time order within a series. Streamed with
  StreamingHttpResponse: one query per series, read in chunks, so memory stays flat however
  long the period. Text cells people typed (kit and project names) that start with = + - @
  get a leading ' so a spreadsheet does not run them as a formula; numbers are written as
  numbers.
- Licence: a `licence` column (SPDX id) in the CSV, `licence` members in the GeoJSON, and an
  HTTP `Link: <licence url>; rel="license"` header on every download.
- Query parameters: `interval` raw|hour|day (default hour), `from` and `to` (a date
  2026-11-01 or a date-time with zone; a date-time without zone is UTC; a date as `to`
  includes that whole day). Defaults and limits per interval in `INTERVAL_RULES`. Bad input
  gets a 400 with a message saying what to change, never a 500.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import wraps

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from registry.downloads import FORMULA_STARTS
from sensors.feeds import kit_public_url_maker
from sensors.models import (
    LICENCE_URLS,
    Aggregate,
    Datastream,
    Kit,
    Licence,
    Observation,
    Project,
    Quality,
)

COLUMNS = (
    "kit_id", "kit_name", "project", "lat", "lon", "quantity", "unit", "sensor", "series",
    "interval", "time", "value", "min", "max", "count", "flagged", "quality", "licence",
)


@dataclass(frozen=True)
class IntervalRule:
    default_span: timedelta
    max_span: timedelta


INTERVAL_RULES = {
    "raw": IntervalRule(default_span=timedelta(days=1), max_span=timedelta(days=31)),
    "hour": IntervalRule(default_span=timedelta(days=7), max_span=timedelta(days=366)),
    "day": IntervalRule(default_span=timedelta(days=365), max_span=timedelta(days=3660)),
}
DEFAULT_INTERVAL = "hour"
CHUNK_ROWS = 2000

_QUALITY_NAMES = [(flag.value, flag.name.lower()) for flag in Quality]


def open_data_kits():
    """Kits whose measurements are open data: on the map now, or left anonymised."""
    on_map = Q(state=Kit.State.ACTIVE)
    anonymised = Q(state=Kit.State.STOPPED, owner__isnull=True, latitude__isnull=True)
    return Kit.objects.filter(on_map | anonymised, public_latitude__isnull=False,
                              public_longitude__isnull=False)


def licence_of(project: Project) -> dict:
    code = project.licence
    try:
        name = Licence(code).label
    except ValueError:
        name = code
    return {"id": code, "name": name, "url": LICENCE_URLS.get(code, "")}


def public_data_view(view):
    """GET only, and the permission to see sensor data (`sensors.view_sensor_data`: everyone
    today; one place to change if a municipality ever restricts it)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not rules.has_perm("sensors.view_sensor_data", request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return require_GET(checked)


# --- parameters -------------------------------------------------------------------------------


class BadRequest(ValueError):
    """Input the download cannot use; the message says what to change."""


def _moment(text: str, *, end: bool):
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = parse_date(text)
        moment = None if day else parse_datetime(text)
    except ValueError:
        moment = day = None
    if day is not None:
        start = datetime.combine(day, time.min, tzinfo=UTC)
        return start + timedelta(days=1) if end else start
    if moment is not None:
        return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)
    raise BadRequest(_("“%(value)s” is not a date or time. Use for example 2026-11-01 or "
                       "2026-11-01T12:00:00Z.") % {"value": text[:40]})


@dataclass(frozen=True)
class Range:
    interval: str
    since: datetime
    until: datetime


def range_from_params(params, *, now: datetime | None = None) -> Range:
    """The interval and [from, to) of a download, checked against the limits."""
    now = now or timezone.now()
    interval = (params.get("interval") or DEFAULT_INTERVAL).strip().lower()
    rule = INTERVAL_RULES.get(interval)
    if rule is None:
        raise BadRequest(_("The interval must be raw, hour or day."))
    try:
        since = _moment(params.get("from", ""), end=False)
        until = _moment(params.get("to", ""), end=True)
        if until is None:
            until = now if since is None else min(now, since + rule.default_span)
        if since is None:
            since = until - rule.default_span
    except OverflowError:
        raise BadRequest(_("This date lies too far in the past or the future.")) from None
    if since >= until:
        raise BadRequest(_("“from” must lie before “to”."))
    if until - since > rule.max_span:
        raise BadRequest(
            _("This period is too long for the interval “%(interval)s”: at most %(days)s days "
              "per download. Ask for a shorter period, or for hourly or daily values.")
            % {"interval": interval, "days": rule.max_span.days})
    return Range(interval=interval, since=since, until=until)


# --- CSV --------------------------------------------------------------------------------------


def text_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quality_text(quality: int) -> str:
    return "|".join(name for bit, name in _QUALITY_NAMES if quality & bit)


def _number(value: float, digits: int | None = None) -> str:
    if value is None:
        return ""
    return repr(round(value, digits) if digits is not None else value)


def series_of(kits) -> list[Datastream]:
    """Datastreams of these kits with everything a CSV row repeats: one query."""
    return list(
        Datastream.objects.filter(kit__in=kits)
        .select_related("kit__project", "observed_property", "sensor")
        .only("pk", "calibrated_from_id", "kit__public_id", "kit__name",
              "kit__public_latitude", "kit__public_longitude", "kit__project__slug",
              "kit__project__licence", "observed_property__code",
              "observed_property__unit_symbol", "sensor__code")
        .order_by("kit__project__slug", "kit__name", "kit_id", "observed_property__code",
                  "sensor__code", "calibrated_from_id", "pk")
    )


def _prefix(stream: Datastream, interval: str) -> str:
    """The cells a series repeats on every row (kit_id .. interval), as CSV text."""
    kit = stream.kit
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([
        str(kit.public_id), text_cell(kit.name), text_cell(kit.project.slug),
        str(kit.public_latitude), str(kit.public_longitude), stream.observed_property.code,
        stream.observed_property.unit_symbol, stream.sensor.code,
        "calibrated" if stream.calibrated_from_id else "raw", interval,
    ])
    return buffer.getvalue()


def _series_lines(stream: Datastream, span: Range):
    prefix = _prefix(stream, span.interval)
    licence = stream.kit.project.licence
    if span.interval == "raw":
        rows = (
            Observation.objects.filter(datastream_id=stream.pk,
                                       phenomenon_time__gte=span.since,
                                       phenomenon_time__lt=span.until)
            .order_by("phenomenon_time")
            .values_list("phenomenon_time", "result", "quality")
            .iterator(chunk_size=CHUNK_ROWS)
        )
        for moment, value, quality in rows:
            yield (f"{prefix},{_iso(moment)},{_number(value)},,,,,"
                   f"{_quality_text(quality)},{licence}\r\n")
    else:
        rows = (
            Aggregate.objects.filter(datastream_id=stream.pk, interval=span.interval,
                                     start__gte=span.since, start__lt=span.until)
            .order_by("start")
            .values_list("start", "mean", "minimum", "maximum", "count", "flagged")
            .iterator(chunk_size=CHUNK_ROWS)
        )
        for moment, mean, minimum, maximum, count, flagged in rows:
            yield (f"{prefix},{_iso(moment)},{_number(mean, 3)},{_number(minimum)},"
                   f"{_number(maximum)},{count},{flagged},,{licence}\r\n")


def csv_stream(series: list[Datastream], span: Range):
    """The CSV text in pieces of up to CHUNK_ROWS lines."""
    yield ",".join(COLUMNS) + "\r\n"
    batch = []
    for stream in series:
        for line in _series_lines(stream, span):
            batch.append(line)
            if len(batch) >= CHUNK_ROWS:
                yield "".join(batch)
                batch = []
    if batch:
        yield "".join(batch)


def _headers(response, *, project: Project, filename: str) -> None:
    licence = licence_of(project)
    links = []
    if licence["url"]:
        links.append(f'<{licence["url"]}>; rel="license"; title="{licence["name"]}"')
    links.append(f'<{reverse("sensors:open_data_help")}>; rel="describedby"')
    response["Link"] = ", ".join(links)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"


def _csv_response(series, span: Range, *, project: Project, name: str):
    response = StreamingHttpResponse(csv_stream(series, span),
                                     content_type="text/csv; charset=utf-8; header=present")
    filename = (f"{name}_{span.since:%Y%m%dT%H%M}_{span.until:%Y%m%dT%H%M}_"
                f"{span.interval}.csv")
    _headers(response, project=project, filename=filename)
    return response


def _bad_request(error: BadRequest):
    return HttpResponseBadRequest(str(error) + "\n", content_type="text/plain; charset=utf-8")


# --- views ------------------------------------------------------------------------------------


@public_data_view
def project_data_csv(request, slug):
    project = get_object_or_404(Project, slug=slug)
    try:
        span = range_from_params(request.GET)
    except BadRequest as error:
        return _bad_request(error)
    series = series_of(open_data_kits().filter(project=project))
    return _csv_response(series, span, project=project, name=project.slug)


@public_data_view
def kit_data_csv(request, public_id):
    kit = open_data_kits().select_related("project").filter(public_id=public_id).first()
    if kit is None:
        raise Http404
    try:
        span = range_from_params(request.GET)
    except BadRequest as error:
        return _bad_request(error)
    return _csv_response(series_of([kit.pk]), span, project=kit.project,
                         name=f"{kit.project.slug}_{kit.public_id.hex[:8]}")


def project_geojson(project: Project) -> dict:
    """The project's open-data kits at their public points with their latest values: two
    queries (kits, then their datastreams)."""
    kits = list(
        open_data_kits().filter(project=project)
        .only("pk", "public_id", "name", "state", "indoor", "public_latitude",
              "public_longitude")
        .order_by("name", "pk")
    )
    streams = (
        Datastream.objects.filter(kit__in=[kit.pk for kit in kits])
        .order_by("observed_property__code", "sensor__code", "calibrated_from_id", "pk")
        .values_list("kit_id", "observed_property__code", "observed_property__unit_symbol",
                     "sensor__code", "calibrated_from_id", "last_result", "last_time")
    )
    latest: dict[int, list] = {}
    for kit_id, quantity, unit, sensor, calibrated_from, value, moment in streams:
        latest.setdefault(kit_id, []).append({
            "quantity": quantity, "unit": unit, "sensor": sensor,
            "series": "calibrated" if calibrated_from else "raw",
            "value": value, "time": _iso(moment) if moment else None,
        })
    url = kit_public_url_maker()
    features = [
        {
            "type": "Feature",
            "id": str(kit.public_id),
            "geometry": {"type": "Point", "coordinates": [float(kit.public_longitude),
                                                          float(kit.public_latitude)]},
            "properties": {
                "kit_id": str(kit.public_id),
                "name": kit.name,
                "project": project.slug,
                "on_map": kit.state == Kit.State.ACTIVE,
                "url": url(kit.public_id) if kit.state == Kit.State.ACTIVE else None,
                "indoor": kit.indoor,
                "latest": latest.get(kit.pk, []),
            },
        }
        for kit in kits
    ]
    return {
        "type": "FeatureCollection",
        "project": {"slug": project.slug, "name": project.name},
        "licence": licence_of(project),
        "generated": _iso(timezone.now()),
        "features": features,
    }


@public_data_view
def project_data_geojson(request, slug):
    project = get_object_or_404(Project, slug=slug)
    content = json.dumps(project_geojson(project), ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(content.encode("utf-8"),
                            content_type="application/geo+json; charset=utf-8")
    _headers(response, project=project,
             filename=f"{project.slug}_{timezone.localdate():%Y%m%d}.geojson")
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "attachment", "inline")
    response["Cache-Control"] = "public, max-age=60"
    return response
