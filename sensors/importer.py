"""Pull importer for a SensorThings API v1.0/v1.1 source such as RIVM Samen Meten
(https://api-samenmeten.rivm.nl/v1.0), run by `manage.py sta_import` and the Celery task in
`sensors.import_tasks` (docs/sensors-mqtt-and-import.md).

One run of `source_import(source=...)`:
1. lists the source's Things (`Things?$filter=<thing_filter>&$expand=Locations,
   Datastreams/ObservedProperty`, following `@iot.nextLink`);
2. makes each Thing a Kit of the source's project: device id `sta:<host>:<thing id>`, no
   owner, active, its public location the remote Location snapped to our 100 m grid;
3. maps each remote Datastream to one of ours by its ObservedProperty name or definition
   (`pm25`, `pm10`, `no2`, `temp`, `rh`, `pres`, ...; `_kal` = calibrated by the source, stored
   as a calibrated datastream beside the raw one), converting units where needed (Pa -> hPa);
   datastreams with an unknown quantity or unit are skipped and listed;
4. asks per datastream only for what is new: `Observations?$filter=phenomenonTime gt <last>&
   $orderby=phenomenonTime asc&$top=...`, follows `@iot.nextLink`, and hands each page to
   `observations_store` (which ignores replays). The last time imported is saved after every
   page, so a run that stops half-way loses nothing and the next one goes on from there.

Running twice imports nothing new. HTTP has timeouts and retries; a source that is down gives
one clear error (`SourceUnavailable`) and changes nothing.
"""

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from sensors.models import (
    Datastream,
    ImportSource,
    Kit,
    KitLocation,
    ObservedProperty,
    Sensor,
)
from sensors.mqtt import MessageError, parse_result, parse_time
from sensors.services import FUTURE_TOLERANCE, Reading, observations_store, public_location

logger = logging.getLogger("sensors.importer")

# Remote observed property name (lower case) -> our ObservedProperty code. Samen Meten uses
# pm25, pm10, no2, nh3, temp, rh, pres, ws, wd; a "_kal" suffix marks RIVM's calibrated series.
DEFAULT_PROPERTY_MAP = {
    "pm25": "pm25", "pm2.5": "pm25", "pm2_5": "pm25",
    "pm10": "pm10", "pm1": "pm1", "pm1.0": "pm1",
    "no2": "no2", "nh3": "nh3", "o3": "o3", "co2": "co2",
    "temp": "temperature", "temperature": "temperature",
    "rh": "humidity", "humidity": "humidity", "relative_humidity": "humidity",
    "pres": "pressure", "pressure": "pressure",
    "noise": "noise_laeq", "laeq": "noise_laeq",
    "ws": "wind_speed", "wind_speed": "wind_speed",
    "wd": "wind_direction", "wind_direction": "wind_direction",
}
CALIBRATED_SUFFIX = "_kal"
# Our Sensor row for remote datastreams whose sensor model we do not know.
REMOTE_SENSOR_CODE = "sta-remote"

PAGE_SIZE = 200            # Samen Meten caps $top at 200
MAX_PAGES_PER_STREAM = 50  # per run; the next run continues where this one stopped
TIMEOUT_SECONDS = 30
RETRIES = 3
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
LOCK_SECONDS = 60 * 30


class SourceUnavailable(Exception):
    """The source could not be reached or kept failing (after retries)."""


class SourceError(Exception):
    """The source answered something we cannot use (an HTTP 4xx, not JSON, a link elsewhere)."""


class ImportBusy(Exception):
    """Another run of the same source is in progress."""


# --- units ---------------------------------------------------------------------------------------

_UNIT_ALIASES = {
    "ug/m3": "ug/m3", "ugm-3": "ug/m3", "ug.m-3": "ug/m3", "microgm-per-m3": "ug/m3",
    "mg/m3": "mg/m3", "milligm-per-m3": "mg/m3",
    "c": "degc", "degc": "degc", "cel": "degc", "deg_c": "degc", "celsius": "degc",
    "k": "k", "kelvin": "k", "f": "degf", "degf": "degf", "deg_f": "degf",
    "%": "%", "%rh": "%", "percent": "%", "pct": "%",
    "pa": "pa", "hpa": "hpa", "hectopa": "hpa", "mbar": "hpa", "millibar": "hpa",
    "kpa": "kpa", "kilopa": "kpa",
    "ppm": "ppm", "ppb": "ppb", "db": "db", "db(a)": "db", "dba": "db", "decibel": "db",
    "m/s": "m/s", "m-per-sec": "m/s",
}

_CONVERSIONS = {
    ("pa", "hpa"): lambda v: v / 100, ("hpa", "pa"): lambda v: v * 100,
    ("kpa", "hpa"): lambda v: v * 10, ("kpa", "pa"): lambda v: v * 1000,
    ("k", "degc"): lambda v: v - 273.15, ("degf", "degc"): lambda v: (v - 32) * 5 / 9,
    ("mg/m3", "ug/m3"): lambda v: v * 1000, ("ppm", "ppb"): lambda v: v * 1000,
    ("ppb", "ppm"): lambda v: v / 1000,
}


def unit_key(symbol: str = "", definition: str = "") -> str:
    """A canonical key for a unit from its symbol, else from the last part of its definition
    URI (QUDT `.../MicroGM-PER-M3`, UCUM `ucum:Cel`); "" when unknown."""
    for text in (symbol or "", (definition or "").rstrip("/").rsplit("/", 1)[-1]):
        text = text.split(":", 1)[-1] if text.startswith("ucum:") else text
        key = (text.strip().lower().replace("μ", "u").replace("µ", "u").replace("³", "3")
               .replace("°", "").replace(" ", ""))
        if key in _UNIT_ALIASES:
            return _UNIT_ALIASES[key]
    return ""


def unit_converter(remote: dict, quantity: ObservedProperty):
    """A function turning remote values into our unit, or None when they cannot be turned.
    A remote unit we do not recognise (or none) is taken to be ours."""
    ours = unit_key(quantity.unit_symbol, quantity.unit_definition)
    theirs = unit_key(remote.get("symbol", ""), remote.get("definition", ""))
    if not theirs or not ours or theirs == ours:
        return lambda value: value
    return _CONVERSIONS.get((theirs, ours))


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Http:
    """GET JSON with a timeout and retries (connection errors, timeouts, 5xx, 429), only from
    the source's own host (its @iot.nextLinks and redirects included)."""

    base_url: str
    timeout: float | None = None   # default TIMEOUT_SECONDS
    retries: int | None = None     # default RETRIES
    backoff: float = 1.0
    sleep: object = None           # default time.sleep
    requests: int = 0

    def __post_init__(self):
        self.timeout = self.timeout or TIMEOUT_SECONDS
        self.retries = self.retries or RETRIES
        self.sleep = self.sleep or time.sleep
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError(f"not an http(s) URL: {self.base_url}")
        self._origin = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        http = self

        class SameSourceRedirects(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, req, fp, code, msg, headers, newurl):
                http._check_origin(newurl)
                return super().redirect_request(req, fp, code, msg, headers, newurl)

        self._opener = urllib.request.build_opener(SameSourceRedirects)

    def _check_origin(self, url: str) -> None:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if parts.scheme not in ("http", "https") or (parts.hostname, port) != self._origin:
            raise SourceError(f"the source links outside itself, refused: {url[:200]}")

    def get(self, url: str) -> dict:
        self._check_origin(url)
        user_agent = f"Stadsmakers-STA-import (+{settings.SITE_URL})"
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url, headers={"Accept": "application/json", "User-Agent": user_agent},
        )
        problem = ""
        for attempt in range(self.retries):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            self.requests += 1
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    body = response.read(MAX_RESPONSE_BYTES + 1)
            except urllib.error.HTTPError as error:
                if error.code >= 500 or error.code == 429:
                    problem = f"HTTP {error.code}"
                    continue
                detail = error.read(300).decode("utf-8", errors="replace")
                raise SourceError(f"HTTP {error.code} for {url}: {detail}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError,
                    http.client.HTTPException) as error:
                problem = str(getattr(error, "reason", error)) or error.__class__.__name__
                continue
            if len(body) > MAX_RESPONSE_BYTES:
                raise SourceError(f"answer larger than {MAX_RESPONSE_BYTES} bytes: {url}")
            try:
                data = json.loads(body)
            except ValueError:
                raise SourceError(f"the answer is not JSON: {url}") from None
            if not isinstance(data, dict):
                raise SourceError(f"the answer is not a JSON object: {url}")
            return data
        raise SourceUnavailable(
            f"SensorThings source {self.base_url} is unavailable ({problem}, "
            f"{self.retries} attempts)"
        )

    def collection(self, url: str, *, max_pages: int | None = None):
        """Yield the pages (lists of entities) of a collection, following @iot.nextLink."""
        pages = 0
        while url:
            data = self.get(url)
            value = data.get("value")
            if not isinstance(value, list):
                raise SourceError(f"no 'value' list in the answer: {url}")
            yield value
            pages += 1
            url = data.get("@iot.nextLink")
            if url and max_pages is not None and pages >= max_pages:
                raise _MorePages(url)


class _MorePages(Exception):
    """The page cap or time budget of this run was reached; the rest is for the next run."""


# --- the import ----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    things: int = 0
    kits_created: int = 0
    datastreams: int = 0
    skipped: list = field(default_factory=list)   # (remote datastream name, reason)
    stored: int = 0
    replays: int = 0
    refused: int = 0
    requests: int = 0
    more: bool = False   # a page cap was reached: the next run imports the rest

    def __str__(self):
        text = (f"{self.things} thing(s), {self.kits_created} new kit(s), "
                f"{self.datastreams} datastream(s), {len(self.skipped)} skipped; "
                f"{self.stored} observation(s) stored, {self.replays} already stored, "
                f"{self.refused} refused; {self.requests} request(s)")
        return text + ("; more to import on the next run" if self.more else "")


def _entity_url(base: str, entity_set: str, remote_id) -> str:
    key = remote_id if isinstance(remote_id, int) else "'" + str(remote_id).replace("'", "''") + "'"
    return f"{base}/{entity_set}({quote(str(key), safe=chr(39))})"


def _query(params: dict) -> str:
    return urlencode({k: v for k, v in params.items() if v not in ("", None)}, quote_via=quote)


def _sta_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def _point(locations) -> tuple[Decimal, Decimal] | None:
    """(latitude, longitude) of the first GeoJSON Point among a Thing's Locations."""
    for location in locations or []:
        geometry = location.get("location") if isinstance(location, dict) else None
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            continue
        try:
            lon, lat = (float(c) for c in geometry["coordinates"][:2])
        except (KeyError, TypeError, ValueError):
            continue
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            six = Decimal("0.000001")
            return (Decimal(str(lat)).quantize(six, ROUND_HALF_UP),
                    Decimal(str(lon)).quantize(six, ROUND_HALF_UP))
    return None


@dataclass
class _Mapping:
    datastream: Datastream
    convert: object


class _Run:
    def __init__(self, source: ImportSource, http: Http, now: datetime, max_pages: int,
                 time_budget: float | None):
        self.deadline = None if time_budget is None else time.monotonic() + time_budget
        self.source = source
        self.http = http
        self.now = now
        self.max_pages = max_pages
        self.base = source.base_url.rstrip("/")
        self.host = urlsplit(self.base).hostname
        self.result = ImportResult()
        self.state = dict(source.state or {})
        self.state.setdefault("datastreams", {})
        self.quantities = {q.code: q for q in ObservedProperty.objects.all()}
        self.by_definition = {q.definition.rstrip("/").lower(): q.code
                              for q in self.quantities.values() if q.definition}
        self.property_map = {**DEFAULT_PROPERTY_MAP,
                             **{str(k).lower(): v for k, v in (source.property_map or {}).items()}}

    # things -> kits

    def run(self) -> ImportResult:
        query = _query({"$filter": self.source.thing_filter,
                        "$expand": "Locations,Datastreams/ObservedProperty", "$top": 100})
        things = []
        for page in self.http.collection(f"{self.base}/Things?{query}"):
            things.extend(thing for thing in page if isinstance(thing, dict))
        for thing in things:
            if "@iot.id" not in thing:
                continue
            self.result.things += 1
            kit = self._kit(thing)
            if kit is None or not kit.accepts_data:
                continue
            for remote in self._related(thing, "Datastreams"):
                if isinstance(remote, dict) and "@iot.id" in remote:
                    self._datastream(kit, remote)
        return self.result

    def _out_of_time(self) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.result.more = True
            return True
        return False

    def _related(self, thing: dict, name: str) -> list:
        """A Thing's expanded Locations/Datastreams, fetched when the source did not expand."""
        if isinstance(thing.get(name), list):
            return thing[name]
        link = thing.get(f"{name}@iot.navigationLink") or \
            _entity_url(self.base, "Things", thing["@iot.id"]) + f"/{name}"
        return [entity for page in self.http.collection(link) for entity in page]

    def _kit(self, thing: dict) -> Kit | None:
        device_id = f"sta:{self.host}:{thing['@iot.id']}"
        if len(device_id) > 64:
            logger.warning("thing id too long, skipped: %s", device_id[:80])
            return None
        name = str(thing.get("name") or thing["@iot.id"])[:100]
        point = _point(self._related(thing, "Locations"))
        with transaction.atomic():
            kit = Kit.objects.select_for_update().filter(device_id=device_id).first()
            changed = kit is None
            if kit is None:
                kit = Kit(project=self.source.project, owner=None, device_id=device_id,
                          name=name, state=Kit.State.ACTIVE)
                self.result.kits_created += 1
            elif kit.name != name:
                kit.name, changed = name, True
            moved = point is not None and (kit.latitude, kit.longitude) != point
            if moved:
                kit.latitude, kit.longitude = point
                kit.public_latitude, kit.public_longitude = public_location(*point)
            if changed or moved:
                kit.save()
            if moved:
                KitLocation.objects.create(kit=kit, time=self.now,
                                           public_latitude=kit.public_latitude,
                                           public_longitude=kit.public_longitude)
        return kit

    # remote datastreams -> ours

    def _quantity(self, remote: dict) -> tuple[str, bool] | str:
        """(our code, calibrated) or the reason to skip."""
        observed = remote.get("ObservedProperty")
        if not isinstance(observed, dict):
            link = remote.get("ObservedProperty@iot.navigationLink") or \
                _entity_url(self.base, "Datastreams", remote["@iot.id"]) + "/ObservedProperty"
            observed = self.http.get(link)
        name = str(observed.get("name") or "").strip().lower()
        if not name:  # fall back to the Samen Meten naming <kit>-<n>-<quantity>
            name = str(remote.get("name") or "").rsplit("-", 1)[-1].strip().lower()
        definition = str(observed.get("definition") or "").rstrip("/").lower()
        calibrated = name.endswith(CALIBRATED_SUFFIX)
        base = name[: -len(CALIBRATED_SUFFIX)] if calibrated else name
        for key in (name, base, definition):
            if key and key in self.property_map:
                code = self.property_map[key]
                return (code, calibrated) if code else "skipped by the mapping"
        if definition in self.by_definition:
            return self.by_definition[definition], calibrated
        if base in self.quantities:
            return base, calibrated
        return f"no quantity here for {name or definition or '?'}"

    def _skip(self, remote: dict, reason: str) -> None:
        label = str(remote.get("name") or remote["@iot.id"])
        self.result.skipped.append((label, reason))
        self.state["datastreams"][str(remote["@iot.id"])] = {
            **self.state["datastreams"].get(str(remote["@iot.id"]), {}), "skipped": reason,
        }

    def _datastream(self, kit: Kit, remote: dict) -> None:
        quantity = self._quantity(remote)
        if isinstance(quantity, str):
            self._skip(remote, quantity)
            return
        code, calibrated = quantity
        observed = self.quantities.get(code)
        if observed is None:
            self._skip(remote, f"no quantity {code!r} here")
            return
        unit = remote.get("unitOfMeasurement") or {}
        convert = unit_converter(unit if isinstance(unit, dict) else {}, observed)
        if convert is None:
            self._skip(remote, f"unit {unit.get('symbol') or unit.get('definition')!r} cannot "
                               f"be converted to {observed.unit_symbol}")
            return
        local = self._local_datastream(kit, observed, calibrated, remote)
        key = str(remote["@iot.id"])
        entry = self.state["datastreams"].get(key, {})
        if any(other.get("datastream") == local.pk for k, other in
               self.state["datastreams"].items() if k != key):
            self._skip(remote, "a second remote series of the same quantity on this kit")
            return
        entry.pop("skipped", None)
        entry["datastream"] = local.pk
        self.state["datastreams"][key] = entry
        self.result.datastreams += 1
        self._observations(remote, _Mapping(local, convert), entry)

    def _local_datastream(self, kit, observed, calibrated, remote) -> Datastream:
        sensor, _created = Sensor.objects.get_or_create(
            code=REMOTE_SENSOR_CODE,
            defaults={"name": "SensorThings source",
                      "description": "A sensor of an imported SensorThings source."},
        )
        raw, _created = Datastream.objects.get_or_create(
            kit=kit, observed_property=observed, sensor=sensor, calibrated_from=None,
            defaults={"name": f"{observed.name} – {kit.name}",
                      "description": f"{observed.name} van {kit.name}, uit {self.base}"},
        )
        if not calibrated:
            return raw
        series, _created = Datastream.objects.get_or_create(
            kit=kit, observed_property=observed, sensor=sensor, calibrated_from=raw,
            defaults={"name": f"{observed.name} (gekalibreerd) – {kit.name}",
                      "description": f"Gekalibreerd door de bron: {remote.get('name', '')} "
                                     f"uit {self.base}"},
        )
        return series

    # observations

    def _observations(self, remote: dict, mapping: _Mapping, entry: dict) -> None:
        if self._out_of_time():
            return
        since = (parse_time(entry["last"]) if entry.get("last") else
                 (self.now - timedelta(hours=self.source.backfill_hours)).replace(
                     minute=0, second=0, microsecond=0))
        query = _query({
            "$filter": f"phenomenonTime gt {_sta_time(since)}",
            "$orderby": "phenomenonTime asc", "$top": PAGE_SIZE,
            "$select": "phenomenonTime,result",
        })
        url = _entity_url(self.base, "Datastreams", remote["@iot.id"]) + f"/Observations?{query}"
        try:
            for page in self.http.collection(url, max_pages=self.max_pages):
                self._page(page, mapping, entry)
                if self._out_of_time():
                    return
        except _MorePages:
            self.result.more = True

    def _page(self, page: list, mapping: _Mapping, entry: dict) -> None:
        readings, latest = [], None
        limit = self.now + FUTURE_TOLERANCE
        for observation in page:
            try:
                moment = parse_time(observation.get("phenomenonTime"))
            except (MessageError, AttributeError):
                self.result.refused += 1
                continue
            if moment <= limit:
                latest = moment if latest is None else max(latest, moment)
            try:
                value = mapping.convert(parse_result(observation.get("result")))
            except MessageError:
                self.result.refused += 1
                continue
            readings.append(Reading(mapping.datastream.pk, moment, value))
        if readings:
            stored = observations_store(readings, now=self.now)
            self.result.stored += stored.stored
            self.result.replays += stored.received - stored.stored
            self.result.refused += len(stored.rejected)
        if latest is not None and (not entry.get("last") or latest > parse_time(entry["last"])):
            entry["last"] = latest.isoformat()
        self._save_state()

    def _save_state(self) -> None:
        ImportSource.objects.filter(pk=self.source.pk).update(state=self.state)


def source_import(*, source: ImportSource, http: Http | None = None,
                  max_pages: int = MAX_PAGES_PER_STREAM, time_budget: float | None = None,
                  now: datetime | None = None) -> ImportResult:
    """Import what is new at `source` (see the module docstring). At most `max_pages` pages per
    datastream, and no new page after `time_budget` seconds: the next run goes on from there
    (`ImportResult.more`). Records `last_run_at` and `last_error`; raises SourceUnavailable /
    SourceError (after recording them) and ImportBusy when another run of this source is going
    on."""
    http = http or Http(source.base_url)
    lock = f"sensors:sta-import:{source.pk}"
    if not cache.add(lock, 1, LOCK_SECONDS):
        raise ImportBusy(f"an import of {source.name} is already running")
    run = None
    try:
        run = _Run(source, http, now or timezone.now(), max_pages, time_budget)
        result = run.run()
    except (SourceUnavailable, SourceError) as error:
        logger.warning("import from %s failed: %s", source.name, error)
        ImportSource.objects.filter(pk=source.pk).update(last_run_at=timezone.now(),
                                                         last_error=str(error)[:2000])
        raise
    finally:
        cache.delete(lock)
        if run is not None:
            run.result.requests = http.requests
    ImportSource.objects.filter(pk=source.pk).update(last_run_at=timezone.now(), last_error="")
    source.refresh_from_db()
    logger.info("import from %s: %s", source.name, result)
    return result
