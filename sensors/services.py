"""Every write of the sensors app. The heart is `observations_store`: every ingest path
(airrohr push, SensorThings POST / CreateObservations, bulk upload, MQTT, pull importer) turns
its input into `Reading`s for known datastreams and hands them here.

`observations_store` inserts in bulk (on PostgreSQL large batches by COPY), ignores replays
(unique datastream + time), flags values outside the plausible range, refuses times in the
future, and then updates the summaries set-based: one UPDATE for the datastreams (last value),
one for the kits (last seen) and one bulk insert of the (datastream, hour) buckets whose
aggregates the Celery task must recompute.
"""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from sensors.models import AggregateDirty, Datastream, Kit, Observation, Quality

# A device clock may run a little ahead; anything later than this is refused.
FUTURE_TOLERANCE = timedelta(minutes=1)
# The public location grid: 0.001° of latitude is 111 m; longitude cells are scaled so that
# cells are ~100 m wide at the project's latitude as well (see `public_location`).
GRID_METRES = 100


class Reading(NamedTuple):
    """One incoming value for a known datastream, in the datastream's unit. A named tuple
    rather than a dataclass: a bulk upload makes 10,000 of them per request."""

    datastream_id: int
    phenomenon_time: datetime
    result: float
    quality: int = 0


@dataclass
class StoreResult:
    stored: int = 0          # new rows (replays are not counted)
    received: int = 0        # valid readings handed to the store
    rejected: list = field(default_factory=list)  # (index, reason) of refused readings


class _Stream(NamedTuple):
    """What the store needs to know of a datastream: its quantity's plausible range (open
    ends as infinities) and the time of its latest stored observation."""

    low: float
    high: float
    last_time: datetime | None


def _streams_known(ids: set[int]) -> dict[int, _Stream]:
    """The datastreams among `ids` that exist, in one query."""
    rows = Datastream.objects.filter(pk__in=ids).order_by().values_list(
        "pk", "observed_property__valid_min", "observed_property__valid_max", "last_time"
    )
    return {pk: _Stream(-math.inf if low is None else low, math.inf if high is None else high,
                        last_time)
            for pk, low, high, last_time in rows}


def _reading_problem(reading: Reading, latest: datetime, streams: dict[int, _Stream]) -> str:
    result = reading.result
    if not isinstance(result, int | float) or isinstance(result, bool):
        return "result is not a number"
    if not math.isfinite(result):
        return "result is not a finite number"
    if reading.phenomenon_time.utcoffset() is None:
        return "time has no time zone"
    if reading.phenomenon_time > latest:
        return "time is in the future"
    if reading.datastream_id not in streams:
        return "unknown datastream"
    return ""


def observations_store(readings: list[Reading], *, now: datetime | None = None) -> StoreResult:
    """Store readings of existing datastreams. Valid readings are stored even when others in
    the same batch are refused; a replayed (datastream, time) is ignored, and of a (datastream,
    time) repeated within the batch the first reading counts."""
    now = now or timezone.now()
    latest = now + FUTURE_TOLERANCE
    streams = _streams_known({reading.datastream_id for reading in readings}) \
        if readings else {}
    result = StoreResult()
    rows: list[tuple] = []  # (datastream, time, result, quality)
    out_of_range = int(Quality.OUT_OF_RANGE)
    for index, reading in enumerate(readings):
        ds, moment, value, quality = reading
        stream = streams.get(ds)
        # The usual reading is checked here, inline: a bulk upload hands over 10,000 of them.
        if not (value.__class__ is float and math.isfinite(value) and moment.tzinfo is UTC
                and moment <= latest and stream is not None):
            problem = _reading_problem(reading, latest, streams)
            if problem:
                result.rejected.append((index, problem))
                continue
            value = float(value)
        if not stream.low <= value <= stream.high:
            quality |= out_of_range
        rows.append((ds, moment, value, quality))
    result.received = len(rows)
    if not rows:
        return result
    summary = _Summary(rows)
    with transaction.atomic():
        result.stored = _rows_write(rows, summary.first, streams)
        _summaries_update(summary, now=now)
    return result


class _Summary:
    """Per datastream of a batch: its first time, its last (time, result), and the UTC hours
    it has readings in (whatever offset a reading carries, e.g. +05:30). A replay is never
    later than what is stored, so counting replays in changes no summary."""

    def __init__(self, rows: list[tuple]):
        self.first: dict[int, datetime] = {}
        self.last: dict[int, tuple[datetime, float]] = {}
        first, last = self.first, self.last
        for ds, moment, value, _quality in rows:
            latest = last.get(ds)
            if latest is None:
                first[ds] = moment
                last[ds] = (moment, value)
            elif moment > latest[0]:
                last[ds] = (moment, value)
            elif moment < first[ds]:
                first[ds] = moment
        # Hours as numbers first: four times faster than truncating 10,000 datetimes.
        hours = {(ds, moment.timestamp() // 3600) for ds, moment, _value, _quality in rows}
        self.hours = {(ds, datetime.fromtimestamp(hour * 3600, UTC)) for ds, hour in hours}


# From this many rows on, PostgreSQL gets the rows by COPY; below it one multi-row INSERT,
# which takes fewer round trips (a push is a handful of values) but costs more per row: in
# bench/sensors_bulk.py's machine the two cross between 20 and 50 rows.
COPY_THRESHOLD = 50
INSERT_CHUNK = 1000
_OBSERVATION_COLUMNS = "(datastream_id, phenomenon_time, result, quality)"
# Binary COPY: PostgreSQL does not have to parse the times and numbers as text.
_COPY_TYPES = ("int8", "timestamptz", "float8", "int2")
_STAGING = "sensors_observation_staging"


def _rows_write(rows: list[tuple], first: dict[int, datetime],
                streams: dict[int, _Stream]) -> int:
    """Write (datastream, time, result, quality) rows, skipping replays of stored ones and
    repeats within the batch; returns how many were new. SQLite and small batches:
    `_insert_ignoring_replays`. Large batches on PostgreSQL: COPY, straight into the table
    when every datastream's first time in the batch is later than its last stored time (a
    backlog arriving in order: nothing stored can be replayed), else through a staging table
    (`_copy_ignoring_replays`)."""
    if connection.vendor != "postgresql" or len(rows) < COPY_THRESHOLD:
        return _insert_ignoring_replays(rows)
    if all(streams[ds].last_time is None or moment > streams[ds].last_time
           for ds, moment in first.items()):
        try:
            with transaction.atomic(), connection.wrap_database_errors:
                return _copy_into(Observation._meta.db_table, rows)
        except IntegrityError:
            # A row twice in the batch, or stored after all (a concurrent upload of the same
            # rows): the savepoint undid the COPY; take the way that skips them.
            pass
    return _copy_ignoring_replays(rows)


def _copy_into(table: str, rows: list[tuple]) -> int:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor, cursor.copy(
        f"COPY {quote(table)} {_OBSERVATION_COLUMNS} FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(_COPY_TYPES)
        for row in rows:
            copy.write_row(row)
    return len(rows)


def _copy_ignoring_replays(rows: list[tuple]) -> int:
    """COPY into a temporary staging table (emptied at commit), then one INSERT ... SELECT
    ... ON CONFLICT DO NOTHING into the observation table: replays and repeats are skipped by
    the unique key (the first of a repeat is inserted first) and the row count says how many
    were new. The INSERT empties the staging table as it reads it, so a second batch in the
    same transaction starts from nothing."""
    table = connection.ops.quote_name(Observation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (datastream_id bigint, "
            f"phenomenon_time timestamptz, result double precision, quality smallint) "
            f"ON COMMIT DELETE ROWS"
        )
        _copy_into(_STAGING, rows)
        cursor.execute(
            f"WITH batch AS (DELETE FROM {_STAGING} RETURNING *) "  # noqa: S608 - fixed names
            f"INSERT INTO {table} {_OBSERVATION_COLUMNS} "
            f"SELECT datastream_id, phenomenon_time, result, quality FROM batch "
            f"ON CONFLICT (datastream_id, phenomenon_time) DO NOTHING"
        )
        return max(cursor.rowcount, 0)


def _insert_ignoring_replays(rows: list[tuple]) -> int:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite >= 3.24): a replayed
    (datastream, time) is skipped by the unique key, and the row count says how many were new."""
    table = connection.ops.quote_name(Observation._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    inserted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start:start + INSERT_CHUNK]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params = [value for ds, time, result, quality in chunk
                      for value in (ds, adapt(time), result, quality)]
            cursor.execute(
                f"INSERT INTO {table} {_OBSERVATION_COLUMNS} "  # noqa: S608 - fixed names
                f"VALUES {values} ON CONFLICT (datastream_id, phenomenon_time) DO NOTHING",
                params,
            )
            inserted += max(cursor.rowcount, 0)
    return inserted


def _summaries_update(summary: _Summary, *, now: datetime) -> None:
    """Datastream first/last summaries in ONE statement (UPDATE ... FROM VALUES; PostgreSQL and
    SQLite >= 3.33), the kits' last_seen_at in one, and the dirty hours in one insert."""
    table = connection.ops.quote_name(Datastream._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "postgresql":
        row = "(%s::bigint, %s::timestamptz, %s::timestamptz, %s::double precision)"
    else:
        row = "(%s, %s, %s, %s)"
    params = [value for ds, (moment, result) in summary.last.items()
              for value in (ds, adapt(summary.first[ds]), adapt(moment), result)]
    newer = f"{table}.last_time IS NULL OR {table}.last_time < v.last_time"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v (id, first_time, last_time, last_result) AS (VALUES "  # noqa: S608
            f"{', '.join([row] * len(summary.last))}) "
            f"UPDATE {table} SET "
            f"first_time = CASE WHEN {table}.first_time IS NULL "
            f"OR {table}.first_time > v.first_time THEN v.first_time "
            f"ELSE {table}.first_time END, "
            f"last_result = CASE WHEN {newer} THEN v.last_result ELSE {table}.last_result END, "
            f"last_time = CASE WHEN {newer} THEN v.last_time ELSE {table}.last_time END "
            f"FROM v WHERE {table}.id = v.id",
            params,
        )
    Kit.objects.filter(
        pk__in=Datastream.objects.filter(pk__in=list(summary.last)).values("kit_id")
    ).update(last_seen_at=now, offline_notified_at=None)
    AggregateDirty.objects.bulk_create(
        [AggregateDirty(datastream_id=ds, hour=hour) for ds, hour in sorted(summary.hours)],
        ignore_conflicts=True,
    )


# --- kit secrets ------------------------------------------------------------------------------


def secret_hash(secret: str) -> str:
    """Device tokens and claim codes are random and long, so one SHA-256 is enough (a slow
    password hash would cost every one of thousands of pushes an hour)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(secret_hash(secret), stored_hash)


def new_device_token() -> str:
    return secrets.token_urlsafe(32)


def new_claim_code() -> str:
    """Short enough to type from a sticker: 12 characters in groups of 4."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    code = "".join(secrets.choice(alphabet) for _ in range(12))
    return "-".join(code[i:i + 4] for i in range(0, 12, 4))


# --- public locations -------------------------------------------------------------------------


def public_location(latitude, longitude) -> tuple[Decimal, Decimal]:
    """Snap an exact spot to the centre of its cell on a fixed ~100 m grid: the same home always
    gives the same public point (nothing to average away, unlike random jitter), and the point
    says nothing more precise than "somewhere in this 100 by 100 m square"."""
    lat, lon = float(latitude), float(longitude)
    lat_step = GRID_METRES / 111_320
    lon_step = GRID_METRES / (111_320 * math.cos(math.radians(round(lat))))
    snapped_lat = (math.floor(lat / lat_step) + 0.5) * lat_step
    snapped_lon = (math.floor(lon / lon_step) + 0.5) * lon_step
    six = Decimal("0.000001")
    return (Decimal(str(snapped_lat)).quantize(six, ROUND_HALF_UP),
            Decimal(str(snapped_lon)).quantize(six, ROUND_HALF_UP))


# --- shared by the ingest paths -----------------------------------------------------------------


def kit_authenticate(*, device_id: str, token: str) -> Kit | None:
    """The kit with this device id and token, if it may send data now; else None. The same
    answer (None) for an unknown kit, a wrong token and a stopped kit, so a caller cannot tell
    which device ids exist."""
    if not device_id or "\x00" in device_id:  # PostgreSQL refuses NUL in a query: an error
        return None
    # No project join and no ordering: this runs on every push.
    kit = Kit.objects.filter(device_id=device_id).order_by().first()
    if kit is None or not secret_matches(token or "", kit.token_hash):
        return None
    return kit if kit.accepts_data else None


def datastream_for(*, kit: Kit, property_code: str, sensor_code: str) -> Datastream:
    """The raw datastream of this quantity by this sensor on this kit, made on first use."""
    from sensors.models import ObservedProperty, Sensor

    existing = Datastream.objects.filter(
        kit=kit, observed_property__code=property_code, sensor__code=sensor_code,
        calibrated_from__isnull=True,
    ).first()
    if existing is not None:
        return existing
    quantity = ObservedProperty.objects.get(code=property_code)
    sensor = Sensor.objects.get(code=sensor_code)
    datastream, _created = Datastream.objects.get_or_create(
        kit=kit, observed_property=quantity, sensor=sensor, calibrated_from=None,
        defaults={"name": f"{quantity.name} – {kit.name}",
                  "description": f"{quantity.name} ({sensor.name}) van {kit.name}"},
    )
    return datastream


# --- projects and kits: joining, registering, claiming, leaving ---------------------------------
# Written by the pages helper (S3). A kit's life: unclaimed (handed out by the municipality) ->
# active (owned by a resident, on the map, data accepted) -> stopped (left, consent withdrawn or
# account deleted: not on the map, data refused). A stopped kit is either deleted with its data
# or kept anonymised: no owner, no exact location, no name, no device id; its measurements stay
# as open data at the public 100 m grid point.

import re  # noqa: E402 - appended section
from decimal import Decimal as _Decimal  # noqa: E402

import rules  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from sensors.areas import point_in_area  # noqa: E402
from sensors.models import KitLocation, Membership  # noqa: E402

KIT_TRANSITIONS = {
    Kit.State.UNCLAIMED: {Kit.State.ACTIVE},
    Kit.State.ACTIVE: {Kit.State.STOPPED},
    Kit.State.STOPPED: set(),
}

_ESP8266_ID = re.compile(r"^(?:esp8266-?)?(\d{1,10})$")
_ESP32_ID = re.compile(r"^esp32-?([0-9a-f]{4,16})$")
_CLAIM_CODE_LENGTH = 12


def device_id_normalise(value: str) -> str:
    """The device id as the airrohr firmware sends it in `X-Sensor`: "esp8266-<chip id in
    decimal>" or "esp32-<hex>". Accepts the bare chip id ("12345678"), any case and spaces."""
    text = re.sub(r"\s+", "", value or "").lower()
    match = _ESP8266_ID.match(text)
    if match:
        return f"esp8266-{int(match.group(1))}"
    match = _ESP32_ID.match(text)
    if match:
        return f"esp32-{match.group(1)}"
    raise ValidationError(
        {"device_id": _("This is not a device id we know. Type the chip id of your sensor, for "
                        "example 12345678 or esp8266-12345678 (ESP32: esp32-followed by "
                        "letters and digits).")},
        code="device_id_invalid",
    )


def claim_code_normalise(value: str) -> str:
    """XXXX-XXXX-XXXX in capitals, however it was typed (spaces, dashes, small letters)."""
    text = re.sub(r"[^0-9A-Za-z]", "", value or "").upper()
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def _kit_transition(kit: Kit, to: str) -> None:
    if to not in KIT_TRANSITIONS[kit.state]:
        raise ValidationError(
            _("This sensor cannot go from “%(from)s” to “%(to)s”.") % {
                "from": Kit.State(kit.state).label, "to": Kit.State(to).label},
            code="kit_transition",
        )
    kit.state = to


def _require_join(project, user) -> None:
    """The checks every step of taking part repeats: verified resident, open project, consent."""
    from portal.consent.selectors import consent_has

    if not rules.has_perm("sensors.join_project", user):
        raise ValidationError(
            _("Only residents logged in with DigiD (level midden or higher) can take part."),
            code="not_allowed")
    if not project.open_for_joining:
        raise ValidationError(_("This project is not taking new participants."),
                              code="not_open")
    if not consent_has(user=user, purpose_code=project.consent_purpose_code):
        raise ValidationError(_("Taking part needs your consent first."),
                              code="consent_needed")


def _require_owner(kit: Kit, by) -> None:
    if not rules.has_perm("sensors.manage_own_kit", by, kit):
        raise ValidationError(_("Only the owner of this sensor can do this."),
                              code="not_owner")


def project_join(*, project, user) -> Membership:
    """Take part in a project (after consent). Joining twice is fine: the same membership."""
    _require_join(project, user)
    membership, _created = Membership.objects.get_or_create(project=project, user=user)
    return membership


def _location_checked(project, latitude, longitude) -> tuple[_Decimal, _Decimal]:
    if latitude is None or longitude is None:
        raise ValidationError({"latitude": _("Give the location of your home: choose it on "
                                             "the map or type both coordinates.")},
                              code="location_missing")
    try:
        lat, lon = _Decimal(str(latitude)), _Decimal(str(longitude))
    except ArithmeticError:
        lat = lon = _Decimal("NaN")
    if not (lat.is_finite() and lon.is_finite() and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError({"latitude": _("These are not coordinates on earth.")},
                              code="location_invalid")
    if not point_in_area(project.area, lat, lon):
        raise ValidationError(
            {"latitude": _("This location lies outside the area of %(project)s. Only homes "
                           "inside the area on the map can take part.") % {
                "project": project.name}},
            code="outside_area",
        )
    six = _Decimal("0.000001")
    return lat.quantize(six, ROUND_HALF_UP), lon.quantize(six, ROUND_HALF_UP)


def _location_apply(kit: Kit, lat, lon, *, now) -> bool:
    """Set the exact and the public location; a new public point is a new KitLocation
    (SensorThings HistoricalLocation). Returns whether the public point changed."""
    public_lat, public_lon = public_location(lat, lon)
    changed = (kit.public_latitude, kit.public_longitude) != (public_lat, public_lon)
    kit.latitude, kit.longitude = lat, lon
    kit.public_latitude, kit.public_longitude = public_lat, public_lon
    kit.save(update_fields=["latitude", "longitude", "public_latitude", "public_longitude"])
    if changed:
        KitLocation.objects.create(kit=kit, time=now, public_latitude=public_lat,
                                   public_longitude=public_lon)
    return changed


def _token_issue(kit: Kit, *, now) -> str:
    token = new_device_token()
    kit.token_hash = secret_hash(token)
    kit.token_created_at = now
    return token


def _device_free(device_id: str, *, exclude_pk=None) -> None:
    taken = Kit.objects.filter(device_id=device_id)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError(
            {"device_id": _("This device is already registered. If it is yours and you "
                            "registered it before, find it under “My sensors”; otherwise "
                            "contact the project.")},
            code="device_taken",
        )


def _name_checked(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give your sensor a name.")}, code="name_missing")
    if len(name) > Kit._meta.get_field("name").max_length:
        raise ValidationError({"name": _("The name is too long.")}, code="name_too_long")
    return name


def kit_register(*, project, user, device_id: str, name: str, latitude, longitude,
                 indoor: bool = False, now=None) -> tuple[Kit, str]:
    """Register the resident's own kit by its device id. Returns (kit, device token): the
    token is shown once and only its hash is kept."""
    now = now or timezone.now()
    _require_join(project, user)
    if not Membership.objects.filter(project=project, user=user).exists():
        raise ValidationError(_("Join the project first."), code="not_member")
    device_id = device_id_normalise(device_id)
    name = _name_checked(name)
    lat, lon = _location_checked(project, latitude, longitude)
    _device_free(device_id)
    kit = Kit(project=project, owner=user, device_id=device_id, name=name,
              state=Kit.State.ACTIVE, indoor=bool(indoor))
    token = _token_issue(kit, now=now)
    try:
        with transaction.atomic():
            kit.save()
            _location_apply(kit, lat, lon, now=now)
    except IntegrityError:
        # Two registrations of the same device at the same moment: the unique key decides.
        _device_free(device_id)
        raise
    return kit, token


def kit_claim(*, project, user, claim_code: str, name: str, latitude, longitude,
              indoor: bool = False, now=None) -> tuple[Kit, str]:
    """Claim a kit handed out by the municipality with its one-time claim code. Returns
    (kit, device token). The code works once: claiming clears it."""
    now = now or timezone.now()
    _require_join(project, user)
    if not Membership.objects.filter(project=project, user=user).exists():
        raise ValidationError(_("Join the project first."), code="not_member")
    code = claim_code_normalise(claim_code)
    wrong = ValidationError(
        {"claim_code": _("This claim code is not right, or it has been used already. Check "
                         "the code on the card that came with your sensor (12 letters and "
                         "digits).")},
        code="claim_code_wrong",
    )
    if len(code.replace("-", "")) != _CLAIM_CODE_LENGTH:
        raise wrong
    name = (name or "").strip()
    lat, lon = _location_checked(project, latitude, longitude)
    with transaction.atomic():
        kit = (Kit.objects.select_for_update().select_related("project")
               .filter(claim_code_hash=secret_hash(code), state=Kit.State.UNCLAIMED).first())
        if kit is None or not secret_matches(code, kit.claim_code_hash):
            raise wrong
        if kit.project_id != project.pk:
            raise ValidationError(
                {"claim_code": _("This sensor belongs to the project %(project)s. Join that "
                                 "project to claim it.") % {"project": kit.project.name}},
                code="claim_other_project",
            )
        _kit_transition(kit, Kit.State.ACTIVE)
        kit.owner = user
        kit.claim_code_hash = ""
        kit.indoor = bool(indoor)
        if name:
            kit.name = _name_checked(name)
        token = _token_issue(kit, now=now)
        kit.save()
        _location_apply(kit, lat, lon, now=now)
    return kit, token


def kit_token_rotate(*, kit: Kit, by, now=None) -> str:
    """A new device token; the old one stops working at once. Returns the new token."""
    _require_owner(kit, by)
    if not kit.accepts_data:
        raise ValidationError(_("This sensor has stopped: it does not need a token."),
                              code="kit_stopped")
    token = _token_issue(kit, now=now or timezone.now())
    kit.save(update_fields=["token_hash", "token_created_at"])
    return token


def kit_location_set(*, kit: Kit, by, latitude, longitude, now=None) -> Kit:
    """Move a kit: the exact spot (private) and its public 100 m grid point; a new public
    point is recorded as a KitLocation (HistoricalLocation)."""
    _require_owner(kit, by)
    if not kit.accepts_data:
        raise ValidationError(_("This sensor has stopped."), code="kit_stopped")
    lat, lon = _location_checked(kit.project, latitude, longitude)
    with transaction.atomic():
        _location_apply(kit, lat, lon, now=now or timezone.now())
        _map_changed()
    return kit


def _anonymous_name(kit: Kit) -> str:
    return f"Sensor {kit.public_id.hex[:8]}"


def _kit_anonymise(kit: Kit) -> None:
    """Unlink a kit from its person for good: stopped, no owner, no exact location, no name,
    no token, and its device id freed (the device can be registered again). The public grid
    point, the KitLocation history and the measurements stay as open data."""
    if kit.state != Kit.State.STOPPED:
        _kit_transition(kit, Kit.State.STOPPED)
    kit.owner = None
    kit.latitude = kit.longitude = None
    kit.name = _anonymous_name(kit)
    kit.device_id = f"removed-{kit.public_id.hex}"
    kit.token_hash = ""
    kit.claim_code_hash = ""
    kit.software_version = ""
    kit.offline_notified_at = None
    kit.save()
    streams = list(kit.datastreams.select_related("observed_property", "sensor"))
    for stream in streams:
        stream.name = f"{stream.observed_property.name} – {kit.name}"
        stream.description = f"{stream.observed_property.name} ({stream.sensor.name}) – {kit.name}"
    Datastream.objects.bulk_update(streams, ["name", "description"])


def _map_changed() -> None:
    """The cached map feeds must not show a kit that stopped, left or moved (after commit)."""
    from sensors.feeds import map_feed_invalidate

    transaction.on_commit(map_feed_invalidate)


def _kits_remove(kits: list[Kit], *, delete_data: bool) -> None:
    _map_changed()
    if delete_data:
        # Cascades to datastreams, observations, aggregates and the location history.
        Kit.objects.filter(pk__in=[kit.pk for kit in kits]).delete()
    else:
        for kit in kits:
            _kit_anonymise(kit)


def kit_leave(*, kit: Kit, by, delete_data: bool) -> dict:
    """The owner stops with a kit and chooses: delete its data, or keep the data anonymised
    (see `_kit_anonymise`). With their last kit in the project the person leaves the project
    too (their membership ends; joining again is possible)."""
    _require_owner(kit, by)
    project = kit.project
    with transaction.atomic():
        kit = Kit.objects.select_for_update().get(pk=kit.pk)
        _kits_remove([kit], delete_data=delete_data)
        left = not Kit.objects.filter(project=project, owner=by).exists()
        if left:
            Membership.objects.filter(project=project, user=by).delete()
    return {"deleted": delete_data, "left_project": left}


def kits_of_user_stop(*, user_id, delete_data: bool = False, purpose_code: str | None = None
                      ) -> int:
    """Stop every kit of a person (for one consent purpose, or all) and end their memberships
    of those projects. Used by the consent withdrawal effect and the account eraser; the
    default keeps the measurements anonymised. Idempotent. Returns the number of kits."""
    if user_id is None:
        return 0
    kits = Kit.objects.filter(owner_id=user_id)
    memberships = Membership.objects.filter(user_id=user_id)
    if purpose_code is not None:
        kits = kits.filter(project__consent_purpose_code=purpose_code)
        memberships = memberships.filter(project__consent_purpose_code=purpose_code)
    with transaction.atomic():
        found = list(kits.select_for_update())
        _kits_remove(found, delete_data=delete_data)
        memberships.delete()
    return len(found)


def kit_unclaimed_create(*, project, device_id: str, name: str, by) -> tuple[Kit, str]:
    """Staff: register a kit the municipality hands out. Returns (kit, claim code); the code is
    shown once (print it on the card) and only its hash is kept."""
    if not rules.has_perm("sensors.manage_projects", by):
        raise ValidationError(_("Only staff of the municipality can do this."),
                              code="not_allowed")
    device_id = device_id_normalise(device_id)
    name = _name_checked(name)
    _device_free(device_id)
    code = new_claim_code()
    kit = Kit.objects.create(project=project, owner=None, device_id=device_id, name=name,
                             state=Kit.State.UNCLAIMED, claim_code_hash=secret_hash(code))
    return kit, code
