"""Every write of the sensors app. The heart is `observations_store`: every ingest path
(airrohr push, SensorThings POST / CreateObservations, bulk upload, MQTT, pull importer) turns
its input into `Reading`s for known datastreams and hands them here.

`observations_store` inserts in bulk, ignores replays (unique datastream + time), flags values
outside the plausible range, refuses times in the future, and then updates the summaries
set-based: one UPDATE per datastream (last value), one per kit (last seen) and one bulk insert
of the (datastream, hour) buckets whose aggregates the Celery task must recompute.
"""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sensors.models import AggregateDirty, Datastream, Kit, Observation, Quality

# A device clock may run a little ahead; anything later than this is refused.
FUTURE_TOLERANCE = timedelta(minutes=1)
# The public location grid: 0.001° of latitude is 111 m; longitude cells are scaled so that
# cells are ~100 m wide at the project's latitude as well (see `public_location`).
GRID_METRES = 100


@dataclass(frozen=True)
class Reading:
    """One incoming value for a known datastream, in the datastream's unit."""

    datastream_id: int
    phenomenon_time: datetime
    result: float
    quality: int = 0


@dataclass
class StoreResult:
    stored: int = 0          # new rows (replays are not counted)
    received: int = 0        # valid readings handed to the store
    rejected: list = field(default_factory=list)  # (index, reason) of refused readings


def _reading_problem(reading: Reading, now: datetime) -> str:
    if not isinstance(reading.result, int | float) or isinstance(reading.result, bool):
        return "result is not a number"
    if not math.isfinite(reading.result):
        return "result is not a finite number"
    if timezone.is_naive(reading.phenomenon_time):
        return "time has no time zone"
    if reading.phenomenon_time > now + FUTURE_TOLERANCE:
        return "time is in the future"
    return ""


def _range_flags(readings: list[Reading]) -> dict[int, tuple[float | None, float | None]]:
    """datastream id -> (valid_min, valid_max) of its quantity, in one query."""
    ids = {reading.datastream_id for reading in readings}
    rows = Datastream.objects.filter(pk__in=ids).values_list(
        "pk", "observed_property__valid_min", "observed_property__valid_max"
    )
    return {pk: (low, high) for pk, low, high in rows}


def _flags(reading: Reading, bounds) -> int:
    low, high = bounds
    quality = reading.quality
    if (low is not None and reading.result < low) or (high is not None and reading.result > high):
        quality |= Quality.OUT_OF_RANGE
    return quality


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def observations_store(readings: list[Reading], *, now: datetime | None = None) -> StoreResult:
    """Store readings of existing datastreams. Valid readings are stored even when others in
    the same batch are refused; a replayed (datastream, time) is ignored."""
    now = now or timezone.now()
    result = StoreResult()
    valid: list[Reading] = []
    for index, reading in enumerate(readings):
        problem = _reading_problem(reading, now)
        if problem:
            result.rejected.append((index, problem))
        else:
            valid.append(reading)
    if not valid:
        return result
    bounds = _range_flags(valid)
    unknown = [r for r in valid if r.datastream_id not in bounds]
    for reading in unknown:
        result.rejected.append((readings.index(reading), "unknown datastream"))
    valid = [r for r in valid if r.datastream_id in bounds]
    result.received = len(valid)
    with transaction.atomic():
        result.stored = _insert_ignoring_replays(
            [(r.datastream_id, r.phenomenon_time, float(r.result),
              _flags(r, bounds[r.datastream_id])) for r in valid]
        )
        _summaries_update(valid, now=now)
    return result


INSERT_CHUNK = 1000


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
                f"INSERT INTO {table} (datastream_id, phenomenon_time, result, quality) "  # noqa: S608 - fixed names
                f"VALUES {values} ON CONFLICT (datastream_id, phenomenon_time) DO NOTHING",
                params,
            )
            inserted += max(cursor.rowcount, 0)
    return inserted


def _summaries_update(readings: list[Reading], *, now: datetime) -> None:
    latest: dict[int, Reading] = {}
    earliest: dict[int, datetime] = {}
    hours: set[tuple[int, datetime]] = set()
    for reading in readings:
        current = latest.get(reading.datastream_id)
        if current is None or reading.phenomenon_time > current.phenomenon_time:
            latest[reading.datastream_id] = reading
        first = earliest.get(reading.datastream_id)
        if first is None or reading.phenomenon_time < first:
            earliest[reading.datastream_id] = reading.phenomenon_time
        hours.add((reading.datastream_id, _hour(reading.phenomenon_time)))
    for datastream_id, reading in latest.items():
        Datastream.objects.filter(
            Q(last_time__isnull=True) | Q(last_time__lt=reading.phenomenon_time),
            pk=datastream_id,
        ).update(last_time=reading.phenomenon_time, last_result=float(reading.result))
        Datastream.objects.filter(
            Q(first_time__isnull=True) | Q(first_time__gt=earliest[datastream_id]),
            pk=datastream_id,
        ).update(first_time=earliest[datastream_id])
    kit_ids = set(
        Datastream.objects.filter(pk__in=latest).values_list("kit_id", flat=True)
    )
    Kit.objects.filter(pk__in=kit_ids).update(last_seen_at=now, offline_notified_at=None)
    AggregateDirty.objects.bulk_create(
        [AggregateDirty(datastream_id=ds, hour=hour) for ds, hour in hours],
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
    kit = Kit.objects.filter(device_id=device_id).select_related("project").first()
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
