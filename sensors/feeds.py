"""Public reads of the sensor networks: the map feed (GeoJSON of the latest values), the map's
list alternative, a kit's public page and its chart series.

Privacy: everything here reads PUBLIC kits only (state active and a public grid point set), and
only their public point (`public_latitude/longitude`, snapped to the 100 m grid). The exact
`latitude/longitude` columns are never selected in this module, so they cannot leak into a
map, a list, a chart or a download.

The map feed (`map_feed`) is one SQL query: raw datastreams of one quantity joined with their
kit, project and sensor. The latest value comes from the datastream's summary
(`last_result`/`last_time`, kept by `observations_store`), so the observation table is not
touched. On PostgreSQL the query writes the features' JSON text itself; elsewhere Python writes
it from the rows (the same document). It is cached for `MAP_FEED_SECONDS` per (quantity,
project) in the shared cache (Redis in production), plain and gzip-compressed, like
openSenseMap caches its map for 5 minutes.
`map_feed_invalidate()` drops every cached feed at once (it bumps a generation number that is
part of each key): kit services call it when a kit stops, leaves, moves or is removed, so a
kit that must disappear from the map does so at once rather than within a minute. New values
simply appear with the next rebuild (at most `MAP_FEED_SECONDS` late). The feed's fields:
docs/sensors-open-data.md; speed: docs/sensors-speed.md.
"""

import gzip
import json
import math
import re
import secrets
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring as encode_json_string
from time import gmtime, strftime

from django.core.cache import cache
from django.db import connection
from django.db.models import BigIntegerField, CharField, F, FloatField, Func, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from sensors.db import server_bound_cursor
from sensors.models import Aggregate, Datastream, Kit, ObservedProperty, Project

MAP_FEED_SECONDS = 60
# Compressed once per rebuild. Level 1: 10,000 kits = 3.9 MB -> 0.52 MB in ~25 ms (level 5:
# 0.47 MB in ~40 ms).
GZIP_LEVEL = 1
_FEED_KEY = "sensors:mapfeed:v2:{generation}:{quantity}:{project}:{form}"
_GENERATION_KEY = "sensors:mapfeed:generation"

# The quantities the map offers first, in this order; others follow by name.
PREFERRED_QUANTITIES = ("pm25", "pm10", "no2", "temperature", "humidity", "pressure",
                        "noise_laeq", "co2", "pm1")
DEFAULT_QUANTITY = "pm25"

_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _public_kit_q(prefix: str = "") -> Q:
    return Q(**{
        f"{prefix}state": Kit.State.ACTIVE,
        f"{prefix}public_latitude__isnull": False,
        f"{prefix}public_longitude__isnull": False,
    })


def public_kits():
    """Kits anyone may see: active, with a public (grid) point."""
    return Kit.objects.filter(_public_kit_q())


def public_datastreams():
    """Datastreams of public kits (raw and calibrated)."""
    return Datastream.objects.filter(_public_kit_q("kit__"))


def kit_public_url_maker():
    """public_id -> the kit's public page, without a reverse() per kit."""
    template = reverse("sensors:kit_public", kwargs={"public_id": _PLACEHOLDER})
    return lambda public_id: template.replace(_PLACEHOLDER, str(public_id))


# --- colour classes ---------------------------------------------------------------------------


# Colours for bands whose scale gives none: the European Air Quality Index (EEA) colours, then
# darker. Scales from the reference data carry their own colours (Sensor.Community's for
# temperature, humidity, pressure and noise).
PALETTE = ("#50F0E6", "#50CCAA", "#F0E641", "#FF5050", "#960032", "#7D2181", "#561A5A",
           "#3D1240", "#2A0C2C", "#1A071B")
NO_VALUE_COLOUR = "#D1D5DB"  # no value, or an implausible one
PLAIN_COLOUR = "#0B4F8A"  # a quantity without colour classes
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


def _luminance(colour: str) -> float:
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    channels = []
    for i in (0, 2, 4):
        channel = int(digits[i:i + 2], 16) / 255
        channels.append(channel / 12.92 if channel <= 0.04045
                        else ((channel + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with the background (WCAG formula)."""
    luminance = _luminance(background)
    on_black = (luminance + 0.05) / 0.05
    on_white = 1.05 / (luminance + 0.05)
    return "#000000" if on_black >= on_white else "#ffffff"


@dataclass(frozen=True)
class ColourClass:
    """One band of an ObservedProperty's colour scale: lower <= value < upper (None = open).
    Values below the first band's lower bound get the first band too."""

    index: int
    lower: float | None
    upper: float | None
    label: str = ""
    colour: str = PALETTE[0]
    text: str = "#000000"


_UPPER_KEYS = ("max", "upto", "upper", "to", "below", "lt", "value", "limit")
_LOWER_KEYS = ("from", "min", "lower", "above", "ge")
_LABEL_KEYS = ("label", "name", "title")


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _label(entry) -> str:
    if not isinstance(entry, dict):
        return ""
    for key in _LABEL_KEYS:
        text = entry.get(key)
        if isinstance(text, dict):  # {"nl": "...", "en": "..."}
            language = (get_language() or "nl")[:2]
            text = text.get(language) or text.get("nl") or text.get("en") or ""
        if isinstance(text, str) and text:
            return text
    return ""


def _colour(entry) -> str:
    if not isinstance(entry, dict):
        return ""
    colour = entry.get("colour") or entry.get("color") or ""
    return colour if isinstance(colour, str) and _HEX.match(colour) else ""


def _first(entry: dict, keys) -> float | None:
    return next((_number(entry.get(key)) for key in keys
                 if _number(entry.get(key)) is not None), None)


def colour_classes(scale) -> list[ColourClass]:
    """The bands of a colour scale, read leniently. Accepted forms of `ObservedProperty.scale`:

    - objects with lower bounds (the reference data, migration 0003): ``[{"from": 0,
      "colour": "#50F0E6", "label": "Good"}, {"from": 10, ...}, ...]``: a value takes the band
      of the last `from` it reaches;
    - objects with upper bounds: ``[{"max": 5, "label": "good"}, ..., {"label": "bad"}]`` (a
      last object without a bound is the open top band);
    - ascending upper bounds: ``[5, 15, 25, 35, 50]`` -> 6 bands;
    - ``{"breakpoints": [...], "labels": [...]}`` or ``{"classes": [...]}``.
    Bands without a valid colour (#rgb or #rrggbb) take the PALETTE colour of their position.
    Labels are returned as given (English msgids in the reference data: translate on display).
    Anything unreadable gives no bands: the map then shows the values in one neutral colour.
    """
    labels: list = []
    if isinstance(scale, dict):
        labels = scale.get("labels") or []
        scale = scale.get("breakpoints") or scale.get("classes") or scale.get("bands") or []
    if not isinstance(scale, list) or not scale:
        return []
    lowers: list[float | None] = []
    uppers: list[float | None] = []
    names: list[str] = []
    colours: list[str] = []
    if all(_number(entry) is not None for entry in scale):
        uppers = [_number(entry) for entry in scale] + [None]
        lowers = [None, *uppers[:-1]]
        names = [text if isinstance(text, str) else _label(text) for text in labels]
    elif all(isinstance(entry, dict) for entry in scale):
        if any(_first(entry, _LOWER_KEYS) is not None for entry in scale):
            lowers = [_first(entry, _LOWER_KEYS) for entry in scale]
            if any(lower is None for lower in lowers[1:]):
                return []
            uppers = [*lowers[1:], None]
        elif any(_first(entry, _UPPER_KEYS) is not None for entry in scale):
            uppers = [_first(entry, _UPPER_KEYS) for entry in scale]
            if uppers[-1] is not None:
                uppers.append(None)
            lowers = [None, *uppers[:-1]]
        else:
            return []
        names = [_label(entry) for entry in scale]
        colours = [_colour(entry) for entry in scale]
    else:
        return []
    bounds = [upper for upper in uppers if upper is not None]
    if any(upper is None for upper in uppers[:-1]) or bounds != sorted(set(bounds)):
        return []
    if lowers[0] is not None and bounds and lowers[0] >= bounds[0]:
        return []
    classes = []
    for index, (lower, upper) in enumerate(zip(lowers, uppers, strict=True)):
        colour = (colours[index] if index < len(colours) else "") or PALETTE[
            min(index, len(PALETTE) - 1)]
        classes.append(ColourClass(
            index=index, lower=lower, upper=upper,
            label=names[index] if index < len(names) else "",
            colour=colour.upper() if len(colour) == 7 else colour, text=text_colour(colour),
        ))
    return classes


def colour_class(value: float | None, breakpoints: list[float]) -> int | None:
    """The band index of a value for the ascending upper bounds of its scale."""
    if value is None or not breakpoints:
        return None
    return bisect_right(breakpoints, value)


def _breakpoints(classes: list[ColourClass]) -> list[float]:
    return [band.upper for band in classes if band.upper is not None]


# --- quantities -------------------------------------------------------------------------------


def _quantity_order(quantity: ObservedProperty):
    code = quantity.code
    rank = PREFERRED_QUANTITIES.index(code) if code in PREFERRED_QUANTITIES else 99
    return (rank, quantity.name.lower())


def map_quantities() -> list[ObservedProperty]:
    """The quantities measured by at least one public kit (raw datastreams), best known first."""
    quantities = ObservedProperty.objects.filter(
        pk__in=public_datastreams().filter(calibrated_from__isnull=True)
        .values("observed_property_id")
    )
    return sorted(quantities, key=_quantity_order)


def map_projects() -> list[Project]:
    """Projects with at least one public kit (for the map's project filter)."""
    return list(Project.objects.filter(pk__in=public_kits().values("project_id")))


def quantity_choose(quantities: list[ObservedProperty],
                    code: str | None) -> ObservedProperty | None:
    """The quantity asked for, else PM2.5, else the first one measured."""
    by_code = {quantity.code: quantity for quantity in quantities}
    return by_code.get(code or "") or by_code.get(DEFAULT_QUANTITY) or (
        quantities[0] if quantities else None
    )


# --- the map feed -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MapFeed:
    body: bytes             # the GeoJSON document (UTF-8), or its gzip-compressed bytes
    compressed: bool        # body is gzip-compressed
    etag: str               # of this form (the gzip form's ends in "-gz")


class _Float(Func):
    """A numeric column as a float computed by the database, passed through as is (no
    per-row converter in Python)."""

    template = "CAST(%(expressions)s AS double precision)"
    output_field = FloatField()

    @property
    def convert_value(self):
        return self._convert_value_noop

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS REAL)",
                              **extra_context)


class EpochMicroseconds(Func):
    """Microseconds since 1970 of a datetime column, as an exact integer computed by the
    database: far cheaper to fetch than a datetime object (under Django, psycopg loads every
    timestamptz in Python code). PostgreSQL, and SQLite, where Django stores UTC text
    "YYYY-MM-DD HH:MM:SS[.ffffff]" (julianday() would lose the microseconds)."""

    template = "CAST(round(EXTRACT(EPOCH FROM %(expressions)s) * 1000000) AS bigint)"
    output_field = BigIntegerField()

    @property
    def convert_value(self):
        return self._convert_value_noop

    def as_sqlite(self, compiler, connection, **extra_context):
        return Func.as_sql(
            self, compiler, connection, **extra_context,
            template="(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) * 1000000 "
                     "+ CAST(substr(%(expressions)s || '.000000', 21, 6) AS INTEGER))",
        )


def _uuid_text(value: str) -> str:
    """A UUID read as text: SQLite stores 32 hex digits, PostgreSQL gives the dashed form."""
    if len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return value


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def map_streams(*, quantity: ObservedProperty, project_slug: str = ""):
    """Raw datastreams of this quantity on public kits (one row per kit and sensor)."""
    streams = public_datastreams().filter(
        observed_property=quantity, calibrated_from__isnull=True,
    )
    if project_slug:
        streams = streams.filter(kit__project__slug=project_slug)
    return streams


def _plausible(quantity: ObservedProperty, value: float) -> bool:
    low, high = quantity.valid_min, quantity.valid_max
    return not ((low is not None and value < low) or (high is not None and value > high))


def feed_round(value: float) -> float:
    """A value as the feed shows it: to 2 decimals, halves away from zero, computed the way the
    feed query computes it in PostgreSQL (`trunc(value * 100 + sign(value) * 0.5) / 100` in
    double precision), so that both builders give the same number to the bit: 12.345 -> 12.35,
    -4.125 -> -4.13, and 2.675 (stored as 2.67499999...) -> 2.68, as people expect (Python's
    round() gives 2.67 there). Values of 10^15 and beyond have no decimals to round."""
    if not abs(value) < 1e15:
        return value
    return math.trunc(value * 100 + math.copysign(0.5, value)) / 100


@dataclass(frozen=True)
class _FeedShape:
    """What every feature of one quantity's feed shares, worked out once per build."""

    classes: list[ColourClass]
    breakpoints: list[float]
    low: float | None
    high: float | None
    unit_json: str          # the unit symbol as a JSON string
    url_prefix: str         # a kit's public URL is url_prefix + public id + url_suffix
    url_suffix: str

    @classmethod
    def of(cls, quantity: ObservedProperty) -> "_FeedShape":
        classes = colour_classes(quantity.scale)
        url_prefix, url_suffix = reverse(
            "sensors:kit_public", kwargs={"public_id": _PLACEHOLDER}).split(_PLACEHOLDER)
        return cls(classes=classes, breakpoints=_breakpoints(classes), low=quantity.valid_min,
                   high=quantity.valid_max, unit_json=encode_json_string(quantity.unit_symbol),
                   url_prefix=url_prefix, url_suffix=url_suffix)


def _feed_rows(quantity: ObservedProperty, project_slug: str):
    """The Python builder's one query, in kit and datastream order. Ids, coordinates and times
    are cast in SQL to text, floats and integers: building UUID, Decimal and datetime objects
    for 10,000 rows would cost more than the query itself."""
    return map_streams(quantity=quantity, project_slug=project_slug).order_by(
        "kit_id", "pk").annotate(
        f_kit=Cast("kit__public_id", CharField()),
        f_lat=_Float("kit__public_latitude"),
        f_lon=_Float("kit__public_longitude"),
        f_time=EpochMicroseconds("last_time"),
    ).values_list(
        "f_kit", "kit__name", "f_lat", "f_lon", "kit__indoor", "kit__project__slug",
        "kit__project__name", "kit__project__offline_after_hours", "sensor__name",
        "last_result", "f_time",
    )


def _json_number(value: float | int | None) -> str:
    return "null" if value is None else repr(value)


def _features_in_python(quantity: ObservedProperty, project_slug: str, now: datetime,
                        shape: _FeedShape) -> tuple[bytes, dict]:
    """The features (UTF-8 JSON text, comma-separated) and {project slug: name}, written in
    Python: one f-string per kit, strings from people through the json module's C string
    encoder (about twice as fast as nested dicts + json.dumps). The embedded default
    (SQLite)."""
    now_us = (now - _UNIX_EPOCH) // _MICROSECOND
    low = -math.inf if shape.low is None else shape.low
    high = math.inf if shape.high is None else shape.high
    breakpoints = shape.breakpoints
    features = []
    projects = {}
    seen = set()
    for (kit_id, name, latitude, longitude, indoor, project, project_name, offline_hours,
         sensor, value, time_us) in _feed_rows(quantity, project_slug):
        kit_id = _uuid_text(kit_id)
        projects[project] = project_name
        if value is not None and time_us is not None:
            age = max((now_us - time_us) // 60_000_000, 0)
            plausible = low <= value <= high
            value = feed_round(value)
            stale = "true" if age >= offline_hours * 60 else "false"
            band = bisect_right(breakpoints, value) if plausible and breakpoints else None
            time = '"' + strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time_us // 1_000_000)) + '"'
            plausible = "true" if plausible else "false"
        else:
            value = age = band = None
            time, stale, plausible = "null", "true", "true"
        # One feature per kit and sensor: a second sensor of the same quantity on one kit
        # gets an id of its own.
        feature_id = kit_id if kit_id not in seen else f"{kit_id}/{sensor}"
        seen.add(kit_id)
        features.append(
            f'{{"type":"Feature","id":{encode_json_string(feature_id)},'
            f'"geometry":{{"type":"Point","coordinates":[{longitude!r},{latitude!r}]}},'
            f'"properties":{{"name":{encode_json_string(name)},'
            f'"url":{encode_json_string(shape.url_prefix + kit_id + shape.url_suffix)},'
            f'"project":{encode_json_string(project)},"sensor":{encode_json_string(sensor)},'
            f'"indoor":{"true" if indoor else "false"},"value":{_json_number(value)},'
            f'"unit":{shape.unit_json},"time":{time},"age_minutes":{_json_number(age)},'
            f'"stale":{stale},"plausible":{plausible},"class":{_json_number(band)}}}}}'
        )
    return ",".join(features).encode("utf-8"), projects


# The features written by PostgreSQL: the same text as _features_in_python writes, but for
# the spelling of numbers (6.050740 for 6.05074, 7 for 7.0), as UTF-8 bytes, in kit and
# datastream order; and the {slug: name} object of the projects. {rows} is the ORM query of the
# public datastreams (map_streams), so the privacy rule stays in one place. Project and sensor
# names are JSON-encoded once per distinct pair, not per kit. The features are aggregated from
# a sorted subquery (no join above it), which PostgreSQL's documentation gives as the way to
# order an aggregate's input; an ORDER BY inside string_agg would sort the 4 MB of text.
_FEATURES_SQL = """
WITH r AS ({rows}),
labels AS (
  SELECT f_project, f_sensor, to_json(f_project)::text AS project_json,
         to_json(f_sensor)::text AS sensor_json
  FROM r GROUP BY f_project, f_sensor),
f AS (
  SELECT r.*, project_json, sensor_json,
         row_number() OVER (PARTITION BY f_kit ORDER BY f_ds) = 1 AS first_of_kit,
         f_value IS NOT NULL AND f_time IS NOT NULL AS known,
         coalesce(f_value >= %s, true) AND coalesce(f_value <= %s, true) AS plausible,
         CASE WHEN abs(f_value) < 1e15 THEN trunc(f_value * 100 + sign(f_value) * 0.5) / 100
              ELSE f_value END AS shown,
         CAST(greatest(floor(date_part('epoch', %s - f_time) / 60), 0) AS integer) AS age
  FROM r JOIN labels USING (f_project, f_sensor))
SELECT convert_to(string_agg(
  '{{"type":"Feature","id":"' || f_public_id
  || CASE WHEN first_of_kit THEN '"' ELSE '/' || substr(to_json(f_sensor)::text, 2) END
  || ',"geometry":{{"type":"Point","coordinates":[' || f_lon || ',' || f_lat
  || ']}},"properties":{{"name":' || to_json(f_name)
  || ',"url":' || %s || f_public_id || %s
  || ',"project":' || project_json || ',"sensor":' || sensor_json
  || ',"indoor":' || CASE WHEN f_indoor THEN 'true' ELSE 'false' END
  || ',"value":' || CASE WHEN known THEN shown::text ELSE 'null' END
  || ',"unit":' || %s
  || ',"time":' || CASE WHEN known THEN to_char(f_time AT TIME ZONE 'UTC',
                                                '"\\""YYYY-MM-DD"T"HH24:MI:SS"Z\\""')
                   ELSE 'null' END
  || ',"age_minutes":' || CASE WHEN known THEN age::text ELSE 'null' END
  || ',"stale":' || CASE WHEN known AND age < f_offline * 60 THEN 'false' ELSE 'true' END
  || ',"plausible":' || CASE WHEN known AND NOT plausible THEN 'false' ELSE 'true' END
  || ',"class":' || CASE WHEN NOT (known AND plausible) THEN 'null'
                         ELSE coalesce(width_bucket(shown, %s::double precision[])::text,
                                       'null') END
  || '}}}}', ','), 'UTF8'),
  (SELECT json_object_agg(f_project, f_project_name)::text
   FROM (SELECT DISTINCT f_project, f_project_name FROM r) p)
FROM (SELECT * FROM f ORDER BY f_kit, f_ds) o
"""


def _features_in_database(quantity: ObservedProperty, project_slug: str, now: datetime,
                          shape: _FeedShape) -> tuple[bytes, dict]:
    """The features (UTF-8) and projects, written by PostgreSQL in ONE query and fetched in
    binary form (the 4 MB of 10,000 kits arrive as bytes: nothing to decode and encode
    again): several times faster than fetching 10,000 rows and writing them in Python."""
    rows = map_streams(quantity=quantity, project_slug=project_slug).order_by().values(
        f_ds=F("pk"), f_kit=F("kit_id"), f_public_id=F("kit__public_id"), f_name=F("kit__name"),
        f_lat=F("kit__public_latitude"), f_lon=F("kit__public_longitude"),
        f_indoor=F("kit__indoor"), f_project=F("kit__project__slug"),
        f_project_name=F("kit__project__name"),
        f_offline=F("kit__project__offline_after_hours"), f_sensor=F("sensor__name"),
        f_value=F("last_result"), f_time=F("last_time"),
    )
    rows_sql, rows_params = rows.query.sql_with_params()
    url_prefix = encode_json_string(shape.url_prefix)[:-1]  # '"/sensoren/kits/'
    url_suffix = encode_json_string(shape.url_suffix)[1:]   # '/"'
    params = [*rows_params, shape.low, shape.high, now, url_prefix, url_suffix,
              shape.unit_json, shape.breakpoints or None]
    with server_bound_cursor(binary=True) as cursor:
        cursor.execute(_FEATURES_SQL.format(rows=rows_sql), params)
        features, projects = cursor.fetchone()
    return features or b"", json.loads(projects) if projects else {}


def map_feed_build(*, quantity: ObservedProperty, project_slug: str = "",
                   now: datetime | None = None, in_database: bool | None = None) -> bytes:
    """The GeoJSON FeatureCollection (RFC 7946) of the latest value of `quantity` at every
    public kit measuring it, as UTF-8 bytes. One query; see docs/sensors-open-data.md.
    PostgreSQL writes the features itself (`in_database`, the default there); elsewhere
    Python writes them from the rows. Both give the same document."""
    now = now or timezone.now()
    shape = _FeedShape.of(quantity)
    if in_database is None:
        in_database = connection.vendor == "postgresql"
    build = _features_in_database if in_database else _features_in_python
    features, projects = build(quantity, project_slug, now, shape)
    head = json.dumps({
        "type": "FeatureCollection",
        "quantity": {"code": quantity.code, "name": quantity.name,
                     "unit": quantity.unit_symbol, "definition": quantity.definition},
        "classes": [{"class": band.index, "from": band.lower, "below": band.upper,
                     "colour": band.colour, "text": band.text} for band in shape.classes],
        "projects": projects,
        "generated": _iso(now),
        "max_age_seconds": MAP_FEED_SECONDS,
    }, ensure_ascii=False, separators=(",", ":"))
    return b"".join([head[:-1].encode("utf-8"), b',"features":[', features, b"]}"])


def _generation() -> int:
    return cache.get(_GENERATION_KEY) or 0


def map_feed(*, quantity: ObservedProperty, project_slug: str = "",
             compressed: bool = False) -> MapFeed:
    """The map feed, from the cache: `map_feed_refresh` (Celery beat, every minute) keeps the
    whole map's feed of every quantity there, so a visitor's request does not build it. A
    miss (a project's map, a cold start, just after `map_feed_invalidate`) builds it here.
    The plain and the gzip-compressed form are cached apart, each built when first asked for
    (a browser's request never pays for the plain form, nor a plain request for compressing):
    one cache round trip for the generation, one for ETag and body."""
    form = "gzip" if compressed else "plain"
    key = _FEED_KEY.format(generation=_generation(), quantity=quantity.code,
                           project=project_slug or "-", form=form)
    cached = cache.get(key)
    if cached is None:
        cached = _feed_store(key, quantity=quantity, project_slug=project_slug,
                             compressed=compressed, seconds=MAP_FEED_SECONDS)
    etag, body = cached
    return MapFeed(body=body, compressed=compressed, etag=etag)


def _feed_store(key: str, *, quantity, project_slug: str, compressed: bool,
                seconds: int) -> tuple[str, bytes]:
    """Build a feed into the cache. The ETag is a random token per build: every build has
    content of its own (its `generated` time), so hashing 4 MB would give nothing a token
    does not."""
    body = map_feed_build(quantity=quantity, project_slug=project_slug)
    if compressed:
        body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    cached = (f'"{secrets.token_hex(12)}{"-gz" if compressed else ""}"', body)
    cache.set(key, cached, seconds)
    return cached


def map_feed_refresh() -> int:
    """Rebuild the whole map's feed of every map quantity, plain and gzip, into the cache.
    Run every MAP_FEED_SECONDS by beat; kept twice as long, so a late run leaves no gap.
    Returns the number of feeds built."""
    generation = _generation()
    built = 0
    for quantity in map_quantities():
        for compressed in (False, True):
            key = _FEED_KEY.format(generation=generation, quantity=quantity.code, project="-",
                                   form="gzip" if compressed else "plain")
            _feed_store(key, quantity=quantity, project_slug="", compressed=compressed,
                        seconds=2 * MAP_FEED_SECONDS)
            built += 1
    return built


def map_feed_invalidate() -> None:
    """Forget every cached map feed (call after a kit stops, leaves, moves or is removed)."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): any new value makes new keys
        cache.set(_GENERATION_KEY, int(timezone.now().timestamp()), None)


# --- the list alternative ---------------------------------------------------------------------

MAP_LIST_SORTS = {
    "name": ("kit__name", "kit_id"),
    "-name": ("-kit__name", "-kit_id"),
    "project": ("kit__project__name", "kit__name", "kit_id"),
    "-project": ("-kit__project__name", "kit__name", "kit_id"),
    "value": (F("last_result").asc(nulls_last=True), "kit__name", "kit_id"),
    "-value": (F("last_result").desc(nulls_last=True), "kit__name", "kit_id"),
    "time": (F("last_time").asc(nulls_first=True), "kit__name", "kit_id"),
    "-time": (F("last_time").desc(nulls_last=True), "kit__name", "kit_id"),
}
DEFAULT_MAP_LIST_SORT = "name"


def map_list_rows(*, quantity: ObservedProperty, project_slug: str = "", sort: str = ""):
    """The map's list alternative: one row (a dict) per public kit and sensor measuring the
    quantity, sorted. A queryset of values: paginate it, then `map_list_decorate` the page."""
    order = MAP_LIST_SORTS.get(sort) or MAP_LIST_SORTS[DEFAULT_MAP_LIST_SORT]
    return map_streams(quantity=quantity, project_slug=project_slug).order_by(
        *order, "sensor_id",
    ).values(
        "kit__public_id", "kit__name", "kit__indoor", "kit__project__slug",
        "kit__project__name", "kit__project__offline_after_hours", "sensor__name",
        "last_result", "last_time",
    )


def map_list_decorate(rows, *, quantity: ObservedProperty, now: datetime | None = None) -> list:
    """Add url, colour class and stale flag to list rows (no queries)."""
    now = now or timezone.now()
    classes = colour_classes(quantity.scale)
    breakpoints = _breakpoints(classes)
    url = kit_public_url_maker()
    decorated = []
    for row in rows:
        value, time = row["last_result"], row["last_time"]
        has_value = value is not None and time is not None
        plausible = not has_value or _plausible(quantity, value)
        stale = not has_value or (
            now - time >= timedelta(hours=row["kit__project__offline_after_hours"])
        )
        band = colour_class(value, breakpoints) if has_value and plausible else None
        if not has_value or not plausible:
            colour = NO_VALUE_COLOUR
        elif band is None:
            colour = PLAIN_COLOUR
        else:
            colour = classes[band].colour
        decorated.append({
            "url": url(row["kit__public_id"]),
            "name": row["kit__name"],
            "indoor": row["kit__indoor"],
            "project": row["kit__project__name"],
            "project_slug": row["kit__project__slug"],
            "sensor": row["sensor__name"],
            "value": value if has_value else None,
            "time": time if has_value else None,
            "stale": stale,
            "plausible": plausible,
            "class": band,
            "colour": colour,
            "offline_after_hours": row["kit__project__offline_after_hours"],
        })
    return decorated


# --- a kit's public page ----------------------------------------------------------------------


def kit_public_get(public_id) -> Kit | None:
    """A public kit with its project, or None (unknown, unclaimed, stopped or not placed)."""
    return public_kits().select_related("project").filter(public_id=public_id).first()


def kit_public_datastreams(kit: Kit) -> list[Datastream]:
    """The kit's datastreams with quantity and sensor, raw first, best known quantities first."""
    streams = list(
        kit.datastreams.select_related("observed_property", "sensor")
        .order_by("calibrated_from_id", "pk")
    )
    return sorted(streams, key=lambda stream: (
        stream.calibrated_from_id is not None, _quantity_order(stream.observed_property),
        stream.sensor.name, stream.pk,
    ))


def datastream_series(*, datastream_id: int, interval: str, since: datetime,
                      until: datetime) -> list[tuple]:
    """(start, mean, minimum, maximum, count) of hourly or daily aggregates in [since, until),
    oldest first, `start` an aware UTC datetime. One query on the aggregate table (never the
    raw observations), by the (datastream, interval, start) index.

    Speed: a year of hours is 8,760 rows. Django's psycopg 3 backend binds parameters on the
    client, which can only fetch results as text: every float is parsed from text and every
    timestamptz goes through Django's timezone loader, Python code per value (~6 µs a row).
    On PostgreSQL the query (written by the ORM) therefore runs on a server-binding cursor
    that fetches the rows in binary form, loaded by psycopg's C code (~0.5 µs a row); it is
    still logged like any query (django.db.connection.queries, query counts in tests)."""
    rows = Aggregate.objects.filter(
        datastream_id=datastream_id, interval=interval, start__gte=since, start__lt=until,
    ).order_by("start").values_list("start", "mean", "minimum", "maximum", "count")
    if connection.vendor != "postgresql":
        return list(rows)
    sql, params = rows.query.sql_with_params()
    with server_bound_cursor(binary=True) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
