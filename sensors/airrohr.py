"""The Sensor.Community "airrohr" firmware as a data source: its value types, how its JSON is
parsed, and how one push becomes observations (`push_store`).

The firmware posts one of two forms (docs/sensors-ingest.md has both, byte for byte):

* "Send to own API" (custom API): ONE POST per measuring cycle with every sensor's values,
  value types PREFIXED with the sensor (`SDS_P1`, `BME280_pressure`, ...), no `X-PIN` header
  (older firmware sends `X-PIN: 0`). DHT22 values are the exception: un-prefixed
  `temperature` / `humidity`.
* The Sensor.Community API form: one POST PER SENSOR with an `X-PIN` header naming the sensor
  class (the pin table below) and the prefix stripped (`P1`, `temperature`, ...).

Values are strings ("12.30"), pressure is in pascal (stored in hPa), and there is no timestamp:
the server stamps the time of receipt, one time for the whole payload, to the whole second, so
a replay of the same push in the same second adds nothing (unique datastream + time).

Mapping decisions (current firmware NRZ-2024-135):
* SPS30 follows the current firmware: `SPS30_P0` PM1, `SPS30_P2` PM2.5, `SPS30_P4` PM4,
  `SPS30_P1` PM10 (firmware from 2020 and earlier numbered the SPS30 values P0..P3 differently;
  its `SPS30_P3` is therefore ignored rather than guessed).
* Particle NUMBER concentrations (`*_N05`, `*_N1`, ... - their unit differs per sensor and
  firmware version), typical particle size (`*_TS`), the PPD42NS (`PPD_*`, `durP1`, `ratioP1`:
  pulse counts, not µg/m³), GPS (`GPS_*`) and PM fractions below PM1 are not stored: they are
  answered as "ignored", as is every value type we do not know.
* `samples`, `min_micro`, `max_micro`, `interval` and `signal` are the device's health figures:
  understood and not stored as observations (the kit keeps its `software_version`).
"""

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection

from sensors.db import server_bound_cursor
from sensors.models import (
    AggregateDirty,
    Datastream,
    Kit,
    Observation,
    ObservedProperty,
    Quality,
    Sensor,
)
from sensors.services import Reading, datastream_for, observations_store

# Pa -> hPa
PASCAL = 0.01


@dataclass(frozen=True)
class ValueType:
    """Where a firmware value type goes: (sensor code, quantity code) and its unit factor."""

    sensor: str
    quantity: str
    factor: float = 1.0


def _types(sensor: str, prefix: str, mapping: dict[str, str], pressure: str = "") -> dict:
    table = {f"{prefix}{suffix}": ValueType(sensor, quantity) for suffix, quantity in
             mapping.items()}
    if pressure:
        table[f"{prefix}{pressure}"] = ValueType(sensor, "pressure", PASCAL)
    return table


PM_MASS = {"P0": "pm1", "P1": "pm10", "P2": "pm25"}
TEMP_HUM = {"temperature": "temperature", "humidity": "humidity"}

# The custom API form: prefixed value types.
VALUE_TYPES: dict[str, ValueType] = {
    **_types("sds011", "SDS_", {"P1": "pm10", "P2": "pm25"}),
    **_types("pms", "PMS_", PM_MASS),
    **_types("hpm", "HPM_", {"P1": "pm10", "P2": "pm25"}),
    **_types("npm", "NPM_", PM_MASS),
    **_types("ips", "IPS_", PM_MASS),
    **_types("sps30", "SPS30_", {**PM_MASS, "P4": "pm4"}),
    **_types("bme280", "BME280_", TEMP_HUM, pressure="pressure"),
    **_types("bmp280", "BMP280_", {"temperature": "temperature"}, pressure="pressure"),
    **_types("bmp180", "BMP_", {"temperature": "temperature"}, pressure="pressure"),
    **_types("dht22", "", TEMP_HUM),  # the firmware sends DHT22 values un-prefixed
    **_types("htu21d", "HTU21D_", TEMP_HUM),
    **_types("sht3x", "SHT3X_", TEMP_HUM),
    **_types("ds18b20", "DS18B20_", {"temperature": "temperature"}),
    **_types("dnms", "DNMS_", {"noise_LAeq": "noise_laeq", "noise_LA_min": "noise_la_min",
                               "noise_LA_max": "noise_la_max"}),
    **_types("scd30", "SCD30_", {**TEMP_HUM, "co2_ppm": "co2"}),
}

# Device health, sent by every cycle of the custom API: understood, not stored as observations.
HEALTH_TYPES = frozenset({"samples", "min_micro", "max_micro", "interval", "signal"})


@dataclass(frozen=True)
class Pin:
    """A Sensor.Community X-PIN: a sensor class. `default` is the sensor assumed when the kit
    has no datastream yet from one of the `family`; un-prefixed types map to quantities."""

    default: str
    family: frozenset
    types: dict


PINS: dict[str, Pin] = {
    "1": Pin("sds011", frozenset({"sds011", "pms", "hpm", "npm", "ips", "sps30"}),
             {"P0": ("pm1", 1.0), "P1": ("pm10", 1.0), "P2": ("pm25", 1.0), "P4": ("pm4", 1.0)}),
    "3": Pin("bmp280", frozenset({"bmp180", "bmp280"}),
             {"temperature": ("temperature", 1.0), "pressure": ("pressure", PASCAL)}),
    "7": Pin("dht22", frozenset({"dht22", "htu21d", "sht3x"}),
             {"temperature": ("temperature", 1.0), "humidity": ("humidity", 1.0)}),
    "9": Pin("", frozenset(), {}),  # GPS: lat, lon, height, timestamp - not stored
    "11": Pin("bme280", frozenset({"bme280"}),
              {"temperature": ("temperature", 1.0), "humidity": ("humidity", 1.0),
               "pressure": ("pressure", PASCAL)}),
    "13": Pin("ds18b20", frozenset({"ds18b20"}), {"temperature": ("temperature", 1.0)}),
    "15": Pin("dnms", frozenset({"dnms"}),
              {"noise_LAeq": ("noise_laeq", 1.0), "noise_LA_min": ("noise_la_min", 1.0),
               "noise_LA_max": ("noise_la_max", 1.0)}),
    "17": Pin("scd30", frozenset({"scd30"}),
              {"temperature": ("temperature", 1.0), "humidity": ("humidity", 1.0),
               "co2_ppm": ("co2", 1.0)}),
}

PM_QUANTITIES = frozenset({"pm1", "pm25", "pm4", "pm10"})
# Above this relative humidity, optical PM sensors read too high (water on the particles).
HUMID_ABOVE = 95.0
# A humidity value of the kit's own (per-pin form: it comes in a separate POST) counts for this
# long when the payload itself carries none.
HUMIDITY_FRESH = timedelta(minutes=10)

# Codes of quantities and sensors are slugs; anything else is unknown without asking the database.
CODE = re.compile(r"[a-z0-9_-]{1,40}")
_NUMBER = re.compile(r"\s*([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)")


class PayloadError(ValueError):
    """The body as a whole is unusable (400): `code` is stable, the message is for people."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def number_parse(value) -> float | None:
    """A finite number from a firmware value: "12.30", 12.3, "-59 dBm", "21,5"; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = _NUMBER.match(value)
        if match is None:
            return None
        number = float(match.group(1).replace(",", "."))
    else:
        return None
    return number if math.isfinite(number) else None


@dataclass
class Value:
    value_type: str
    sensor: str
    quantity: str
    result: float
    # pin form: other sensors of the pin's family the value may belong to
    family: frozenset = frozenset()


@dataclass
class Push:
    """A parsed payload: values to store, what was ignored, what was refused and why."""

    values: list[Value] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    software_version: str = ""
    health: dict[str, float] = field(default_factory=dict)


def payload_parse(data, *, pin: str | None = None) -> Push:
    """Parse the decoded JSON body of a push. `pin` is the X-PIN header (None, "" or "0" for
    the custom API form). Raises PayloadError when the body as a whole is unusable."""
    if not isinstance(data, dict):
        raise PayloadError("The body must be a JSON object.", "invalid_payload")
    entries = data.get("sensordatavalues")
    if not isinstance(entries, list):
        raise PayloadError('The body has no "sensordatavalues" list.', "missing_sensordatavalues")
    pin = (pin or "").strip()
    if pin in ("", "0"):
        pin_spec = None
    elif pin in PINS:
        pin_spec = PINS[pin]
    else:
        raise PayloadError(f"Unknown X-PIN {pin[:10]!r}.", "unknown_pin")
    version = "".join(ch for ch in str(data.get("software_version") or "") if ch.isprintable())
    push = Push(software_version=version[:40])
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("value_type"), str):
            push.rejected.append({"value_type": None, "reason": "not a {value_type, value} pair"})
            continue
        value_type = entry["value_type"][:60]
        if pin_spec is None:
            mapped = VALUE_TYPES.get(value_type)
            target = (mapped.sensor, mapped.quantity, mapped.factor) if mapped else None
            family = frozenset()
        else:
            spec = pin_spec.types.get(value_type)
            target = (pin_spec.default, *spec) if spec else None
            family = pin_spec.family
        if target is None:
            if value_type in HEALTH_TYPES:
                health = number_parse(entry.get("value"))
                if health is not None:
                    push.health[value_type] = health
            else:
                push.ignored.append(value_type)
            continue
        number = number_parse(entry.get("value"))
        if number is None:
            push.rejected.append({"value_type": value_type, "reason": "not a number"})
            continue
        sensor, quantity, factor = target
        push.values.append(Value(value_type, sensor, quantity, round(number * factor, 6),
                                 family))
    return push


@dataclass
class PushResult:
    stored: int = 0
    duplicates: int = 0
    ignored: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"stored": self.stored, "duplicates": self.duplicates, "ignored": self.ignored,
                "rejected": self.rejected}


@dataclass(frozen=True)
class KitStream:
    id: int
    sensor: str
    quantity: str
    last_time: datetime | None
    last_result: float | None
    valid_min: float | None = None
    valid_max: float | None = None
    bounds_known: bool = False


def kit_streams(kit: Kit) -> dict[tuple[str, str], KitStream]:
    """The kit's raw datastreams by (sensor code, quantity code), in one query."""
    rows = Datastream.objects.filter(kit=kit, calibrated_from__isnull=True).order_by().values_list(
        "pk", "sensor__code", "observed_property__code", "last_time", "last_result",
        "observed_property__valid_min", "observed_property__valid_max",
    )  # order_by(): the model's ordering would join the kit and its project for nothing
    return {(sensor, quantity): KitStream(pk, sensor, quantity, last_time, last_result, low,
                                          high, True)
            for pk, sensor, quantity, last_time, last_result, low, high in rows}


@dataclass
class PushKit:
    """What a push needs of its kit, read together with its raw datastreams in ONE query
    (`kit_for_push`): a push is the most frequent request the site gets."""

    id: int
    state: str
    token_hash: str
    software_version: str
    streams: dict[tuple[str, str], KitStream]

    @property
    def accepts_data(self) -> bool:
        return self.state == Kit.State.ACTIVE

    def model(self) -> Kit:
        return Kit.objects.get(pk=self.id)


def _push_kit_sql() -> str:
    names = {"kit": Kit._meta.db_table, "ds": Datastream._meta.db_table,
             "sensor": Sensor._meta.db_table, "quantity": ObservedProperty._meta.db_table}
    return (
        "SELECT k.id, k.state, k.token_hash, k.software_version, "  # noqa: S608 - fixed names
        "d.id, s.code, q.code, d.last_time, d.last_result, q.valid_min, q.valid_max "
        f"FROM {names['kit']} k "
        f"LEFT JOIN {names['ds']} d ON d.kit_id = k.id AND d.calibrated_from_id IS NULL "
        f"LEFT JOIN {names['sensor']} s ON s.id = d.sensor_id "
        f"LEFT JOIN {names['quantity']} q ON q.id = d.observed_property_id "
        "WHERE k.device_id = %s"
    )


def kit_for_push(device_id: str) -> PushKit | None:
    """The kit with this device id and its raw datastreams, in one query; None if unknown.
    The caller checks the token (`secret_matches`) and `accepts_data`."""
    with server_bound_cursor() as cursor:
        cursor.execute(_push_kit_sql(), [device_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    kit_id, state, token_hash, software_version = rows[0][:4]
    streams = {}
    for *_kit, pk, sensor, quantity, last_time, last_result, low, high in rows:
        if pk is not None:
            if connection.vendor != "postgresql":
                last_time = _aware(last_time)
            streams[(sensor, quantity)] = KitStream(pk, sensor, quantity, last_time,
                                                    last_result, low, high, True)
    return PushKit(kit_id, state, token_hash, software_version, streams)


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def stream_resolve(kit: Kit | PushKit, streams: dict, *, sensor: str, quantity: str,
                   family: frozenset = frozenset()) -> KitStream | None:
    """The kit's datastream for this value: an existing one (for the pin form, of any sensor
    of the pin's family, so a kit with a PMS keeps its PMS datastream), else a new one, made
    on first use. None when the quantity or sensor is not known on this server."""
    if not (CODE.fullmatch(sensor) and CODE.fullmatch(quantity)):
        return None
    existing = streams.get((sensor, quantity))
    if existing is None and family:
        existing = next((s for (code, qty), s in sorted(streams.items())
                         if qty == quantity and code in family), None)
    if existing is not None:
        return existing
    try:
        made = datastream_for(kit=kit.model() if isinstance(kit, PushKit) else kit,
                              property_code=quantity, sensor_code=sensor)
    except ObjectDoesNotExist:
        return None
    bounds = made.observed_property
    stream = KitStream(made.pk, sensor, quantity, made.last_time, made.last_result,
                       bounds.valid_min, bounds.valid_max, True)
    streams[(sensor, quantity)] = stream
    return stream


class TooSoon(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def push_store(*, kit: Kit | PushKit, push: Push, now: datetime,
               min_interval: int = 0) -> PushResult:
    """Store one parsed push of `kit`, stamped `now` (to the second). Raises TooSoon when a
    datastream of this push received a push less than `min_interval` seconds ago (a replay in
    the same second is not "too soon": it is answered as duplicates)."""
    stamp = now.replace(microsecond=0)
    result = PushResult(ignored=push.ignored, rejected=list(push.rejected))
    streams = kit.streams if isinstance(kit, PushKit) else kit_streams(kit)
    targets: list[tuple[Value, KitStream]] = []
    for value in push.values:
        stream = stream_resolve(kit, streams, sensor=value.sensor, quantity=value.quantity,
                                family=value.family)
        if stream is None:
            result.rejected.append({"value_type": value.value_type,
                                    "reason": "quantity or sensor not known on this server"})
        else:
            targets.append((value, stream))
    if min_interval:
        _interval_check({stream for _value, stream in targets}, stamp, min_interval)
    new_version = push.software_version if push.software_version \
        and push.software_version != kit.software_version else ""
    humid = _humid(targets, streams, stamp)
    readings = [
        Reading(stream.id, stamp, value.result,
                Quality.HUMID if humid and value.quantity in PM_QUANTITIES else 0)
        for value, stream in targets
    ]
    if connection.vendor == "postgresql" and isinstance(kit, PushKit):
        result.stored = _push_write(kit.id, targets, readings, stamp=stamp, now=now,
                                    software_version=new_version)
        result.duplicates = len(readings) - result.stored
        return result
    if new_version:
        Kit.objects.filter(pk=kit.id).update(software_version=new_version)
    stored = observations_store(readings, now=now)
    for index, reason in stored.rejected:
        result.rejected.append({"value_type": targets[index][0].value_type, "reason": reason})
    result.stored = stored.stored
    result.duplicates = stored.received - stored.stored
    return result


def _range_flag(stream: KitStream, result: float) -> int:
    low, high = stream.valid_min, stream.valid_max
    if (low is not None and result < low) or (high is not None and result > high):
        return Quality.OUT_OF_RANGE
    return 0


def _push_write_sql() -> str:
    observation, datastream = Observation._meta.db_table, Datastream._meta.db_table
    kit, dirty = Kit._meta.db_table, AggregateDirty._meta.db_table
    return (
        "WITH v (ds, result, quality) AS ("  # noqa: S608 - fixed names, values are parameters
        "SELECT * FROM unnest(%(ds)s::text::bigint[], %(results)s::text::float8[], "
        "%(qualities)s::text::int[])), "
        f"stored AS (INSERT INTO {observation} (datastream_id, phenomenon_time, result, quality) "
        "SELECT ds, %(stamp)s, result, quality FROM v "
        "ON CONFLICT (datastream_id, phenomenon_time) DO NOTHING RETURNING 1), "
        f"streams AS (UPDATE {datastream} d SET "
        "first_time = LEAST(COALESCE(d.first_time, %(stamp)s), %(stamp)s), "
        "last_result = CASE WHEN d.last_time IS NULL OR d.last_time < %(stamp)s "
        "THEN v.result ELSE d.last_result END, "
        "last_time = GREATEST(COALESCE(d.last_time, %(stamp)s), %(stamp)s) "
        "FROM v WHERE d.id = v.ds RETURNING 1), "
        f"seen AS (UPDATE {kit} SET last_seen_at = %(now)s, offline_notified_at = NULL, "
        "software_version = CASE WHEN %(version)s = '' THEN software_version "
        "ELSE %(version)s END WHERE id = %(kit)s RETURNING 1), "
        f"dirty AS (INSERT INTO {dirty} (datastream_id, hour) "
        "SELECT ds, date_trunc('hour', %(stamp)s AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FROM v "
        "ON CONFLICT (datastream_id, hour) DO NOTHING RETURNING 1) "
        "SELECT (SELECT count(*) FROM stored), (SELECT count(*) FROM streams), "
        "(SELECT count(*) FROM seen), (SELECT count(*) FROM dirty)"
    )


def _array(values) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def _push_write(kit_id: int, targets, readings: list[Reading], *, stamp: datetime,
                now: datetime, software_version: str) -> int:
    """The whole write of a push on PostgreSQL in ONE statement (atomic on its own): the
    observations (a replay adds nothing), the datastreams' last values, the kit's last seen
    time and version, and the dirty hours for the aggregates. Same effect as
    `observations_store` with the range flags taken from the streams read with the kit."""
    if not readings:
        return 0
    qualities = [reading.quality | _range_flag(stream, reading.result)
                 for reading, (_value, stream) in zip(readings, targets, strict=True)]
    with server_bound_cursor() as cursor:
        cursor.execute(_push_write_sql(), {
            # array literals as text: cheaper to send than psycopg's list dumping
            "ds": _array(reading.datastream_id for reading in readings),
            "results": _array(repr(float(reading.result)) for reading in readings),
            "qualities": _array(qualities), "stamp": stamp, "now": now, "kit": kit_id,
            "version": software_version,
        })
        return cursor.fetchone()[0]


def _interval_check(streams: set, stamp: datetime, min_interval: int) -> None:
    waits = [
        min_interval - (stamp - stream.last_time).total_seconds()
        for stream in streams
        if stream.last_time is not None and stream.last_time != stamp
        and timedelta(0) < stamp - stream.last_time < timedelta(seconds=min_interval)
    ]
    if waits:
        raise TooSoon(max(1, math.ceil(max(waits))))


def _humid(targets, streams, stamp) -> bool:
    """Relative humidity above 95 %: in this payload, or else the kit's own latest value of
    the last few minutes (the per-pin form sends humidity and PM in separate POSTs)."""
    in_payload = [value.result for value, _stream in targets
                  if value.quantity == "humidity" and value.result <= 100]
    if in_payload:
        return max(in_payload) > HUMID_ABOVE
    recent = [s.last_result for s in streams.values()
              if s.quantity == "humidity" and s.last_result is not None
              and s.last_result <= 100 and s.last_time is not None
              and stamp - s.last_time <= HUMIDITY_FRESH]
    return bool(recent) and max(recent) > HUMID_ABOVE

