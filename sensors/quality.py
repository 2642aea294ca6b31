"""Quality flags and calibrated series of the observation store.

Flags are bits in `Observation.quality` (`Quality`); raw values are never changed.

- OUT_OF_RANGE is set by `observations_store` at insert (the quantity's plausible range).
- HUMID is set by the airrohr ingest when PM and humidity come in one payload, and here for
  PM values whose kit's humidity at (nearly) the same time is above 95 %.
- SPIKE: openSenseMap style, a value outside median ± 3·MAD of its neighbours. The window
  is centred (up to SPIKE_NEIGHBOURS values before and after, no further than SPIKE_MAX_GAP
  away), so the start of a real, lasting rise (fireworks at New Year) is not a spike, but one
  wild reading among calm ones is. A MAD of (nearly) zero is raised to a floor, so that one
  0.1 step among identical readings is not called a spike.
- FLATLINE: the same value at least FLATLINE_MIN_COUNT times in a row, over at least
  FLATLINE_MIN_DURATION (a stuck sensor, e.g. a DHT22 stuck at 99.9 %).

The checks run in the Celery task that maintains the aggregates (`sensors.aggregates`), over
the (datastream, hour) buckets in `AggregateDirty`, never per row at insert. For each bucket the
values up to SPIKE_MAX_GAP around it are (re)judged, with CONTEXT more on each side as
evidence; late data therefore also re-judges its neighbours. Flags are written set-based: one
UPDATE per datastream and flag kind, touching only the rows whose flag changes.

Calibration: a calibrated series is a separate datastream beside the raw one
(`Datastream.calibrated_from`), holding `slope · raw + offset` for every raw value, with the
raw value's quality flags. `datastream_calibrate` (re)computes it; the (sensor, quantity) pairs
listed in `settings.SENSORS_CALIBRATIONS` are kept current by the same Celery task.
See docs/sensors-quality.md.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, When
from django.utils.translation import gettext_lazy as _

from sensors.models import AggregateDirty, Datastream, Observation, Quality

HOUR = timedelta(hours=1)

SPIKE_NEIGHBOURS = 5                   # values on each side of the one judged
SPIKE_MAX_GAP = timedelta(hours=2)     # neighbours further away do not count
SPIKE_MIN_NEIGHBOURS = 4               # fewer: no judgement
SPIKE_FACTOR = 3.0                     # median ± 3·MAD
SPIKE_MIN_SPREAD_ABS = 1.0             # the MAD is at least this (in the quantity's unit) ...
SPIKE_MIN_SPREAD_REL = 0.1             # ... and at least 10 % of the median
# Sound really is spiky (a passing lorry): no spike flags for these quantities.
SPIKE_EXEMPT_PREFIXES = ("noise",)

FLATLINE_MIN_COUNT = 10
FLATLINE_MIN_DURATION = timedelta(hours=2)

HUMIDITY_CODE = "humidity"
PM_PREFIX = "pm"                       # pm1, pm25, pm10, pm4 ...
HUMIDITY_LIMIT = 95.0
HUMIDITY_MAX_OFFSET = timedelta(minutes=5)

# Evidence fetched beyond the values that are judged.
CONTEXT = max(SPIKE_MAX_GAP, FLATLINE_MIN_DURATION)
# Dirty hours of one datastream closer than this are judged in one go (one fetched range).
MERGE_GAP = 2 * (SPIKE_MAX_GAP + CONTEXT)
# Ranges per SELECT and times per UPDATE.
FETCH_CHUNK = 100
UPDATE_CHUNK = 500

Buckets = dict[int, set[datetime]]


# --- the checks on one series (pure functions) ---------------------------------------------


def spikes(times: list[datetime], values: list[float], usable: list[bool],
           targets: Iterable[int]) -> set[int]:
    """Indices among `targets` whose value lies outside median ± SPIKE_FACTOR·MAD of its
    usable neighbours. `times` ascending; unusable values (out of range) neither judge nor
    are judged."""
    positions = [i for i, ok in enumerate(usable) if ok]
    index_of = {i: pos for pos, i in enumerate(positions)}
    found = set()
    for i in targets:
        pos = index_of.get(i)
        if pos is None:
            continue
        moment = times[i]
        neighbours = []
        for j in positions[max(0, pos - SPIKE_NEIGHBOURS):pos]:
            if moment - times[j] <= SPIKE_MAX_GAP:
                neighbours.append(values[j])
        for j in positions[pos + 1:pos + 1 + SPIKE_NEIGHBOURS]:
            if times[j] - moment <= SPIKE_MAX_GAP:
                neighbours.append(values[j])
        if len(neighbours) < SPIKE_MIN_NEIGHBOURS:
            continue
        median = statistics.median(neighbours)
        mad = statistics.median(abs(value - median) for value in neighbours)
        spread = max(mad, SPIKE_MIN_SPREAD_ABS, SPIKE_MIN_SPREAD_REL * abs(median))
        if abs(values[i] - median) > SPIKE_FACTOR * spread:
            found.add(i)
    return found


def flatlines(times: list[datetime], values: list[float]) -> set[int]:
    """Indices of values in a run of identical values that is at least FLATLINE_MIN_COUNT
    long and lasts at least FLATLINE_MIN_DURATION."""
    found = set()
    start = 0
    for end in range(1, len(values) + 1):
        if end < len(values) and values[end] == values[start]:
            continue
        if (end - start >= FLATLINE_MIN_COUNT
                and times[end - 1] - times[start] >= FLATLINE_MIN_DURATION):
            found.update(range(start, end))
        start = end
    return found


def humid(times: list[datetime], targets: Iterable[int], humidity_times: list[datetime],
          humidity_values: list[float]) -> set[int]:
    """Indices among `targets` whose nearest humidity reading (at most HUMIDITY_MAX_OFFSET
    away) is above HUMIDITY_LIMIT. `humidity_times` ascending."""
    found = set()
    if not humidity_times:
        return found
    for i in targets:
        moment = times[i]
        at = bisect.bisect_left(humidity_times, moment)
        nearest = None
        for j in (at - 1, at):
            if 0 <= j < len(humidity_times):
                offset = abs(humidity_times[j] - moment)
                if offset <= HUMIDITY_MAX_OFFSET and (nearest is None or offset < nearest[0]):
                    nearest = (offset, humidity_values[j])
        if nearest is not None and nearest[1] > HUMIDITY_LIMIT:
            found.add(i)
    return found


# --- applying the checks to the store ------------------------------------------------------


def utc_hour(moment: datetime) -> datetime:
    """The start of the UTC hour holding `moment`."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _spans(hours: Iterable[datetime], gap: timedelta = MERGE_GAP
           ) -> list[tuple[datetime, datetime]]:
    """Hour starts -> [start, end) ranges of whole hours, merged when at most `gap` apart."""
    spans: list[list[datetime]] = []
    for hour in sorted(hours):
        if spans and hour - spans[-1][1] <= gap:
            spans[-1][1] = max(spans[-1][1], hour + HOUR)
        else:
            spans.append([hour, hour + HOUR])
    return [(start, end) for start, end in spans]


def _merged(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[list[datetime]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(start, end) for start, end in out]


@dataclass
class _Series:
    times: list[datetime]
    values: list[float]
    qualities: list[int]


def _fetch(ranges: dict[int, list[tuple[datetime, datetime]]]) -> dict[int, _Series]:
    """The observations of each datastream in its ranges, time-ordered, a few SELECTs."""
    wanted = [(ds, start, end) for ds, spans in ranges.items() for start, end in _merged(spans)]
    series: dict[int, _Series] = defaultdict(lambda: _Series([], [], []))
    for offset in range(0, len(wanted), FETCH_CHUNK):
        condition = Q()
        for ds, start, end in wanted[offset:offset + FETCH_CHUNK]:
            condition |= Q(datastream_id=ds, phenomenon_time__gte=start,
                           phenomenon_time__lt=end)
        rows = (Observation.objects.filter(condition)
                .order_by("datastream_id", "phenomenon_time")
                .values_list("datastream_id", "phenomenon_time", "result", "quality"))
        for ds, moment, value, quality in rows:
            target = series[ds]
            target.times.append(moment)
            target.values.append(value)
            target.qualities.append(quality)
    for target in series.values():  # ranges of one datastream may come from two chunks
        if any(a > b for a, b in zip(target.times, target.times[1:], strict=False)):
            rows = sorted(zip(target.times, target.values, target.qualities, strict=True))
            target.times[:], target.values[:], target.qualities[:] = map(list, zip(*rows,
                                                                               strict=True))
    return series


def _flag_update(datastream_id: int, flag: int, to_set: list[datetime],
                 to_clear: list[datetime]) -> None:
    """One UPDATE (per chunk) that sets `flag` on some rows and clears it on others."""
    new = F("quality").bitor(flag)
    cleared = F("quality").bitand(~flag)
    marked = set(to_set)
    times = sorted(marked | set(to_clear))
    for offset in range(0, len(times), UPDATE_CHUNK):
        chunk = times[offset:offset + UPDATE_CHUNK]
        setting = [t for t in chunk if t in marked]
        clearing = [t for t in chunk if t not in marked]
        if not clearing:
            value = new
        elif not setting:
            value = cleared
        else:
            value = Case(When(phenomenon_time__in=setting, then=new), default=cleared)
        Observation.objects.filter(datastream_id=datastream_id,
                                   phenomenon_time__in=chunk).update(quality=value)


def observations_check(buckets: Buckets) -> Buckets:
    """(Re)judge spike, flatline and humidity flags around the given (datastream, UTC hour)
    buckets of raw datastreams. Returns the buckets whose flags changed, so that their
    aggregates are recomputed too. Idempotent."""
    if not buckets:
        return {}
    streams = {
        row["pk"]: row
        for row in Datastream.objects.filter(pk__in=list(buckets), calibrated_from__isnull=True)
        .values("pk", "kit_id", "observed_property__code")
    }
    if not streams:
        return {}
    # PM and humidity datastreams of the kits involved: humidity that arrives (late) makes
    # the kit's PM values of those hours be judged again.
    related = list(
        Datastream.objects.filter(kit_id__in={row["kit_id"] for row in streams.values()},
                                  calibrated_from__isnull=True)
        .filter(Q(observed_property__code__startswith=PM_PREFIX)
                | Q(observed_property__code=HUMIDITY_CODE))
        .values("pk", "kit_id", "observed_property__code")
    )
    humidity_of_kit: dict[int, list[int]] = defaultdict(list)
    pm_of_kit: dict[int, list[int]] = defaultdict(list)
    for row in related:
        if row["observed_property__code"] == HUMIDITY_CODE:
            humidity_of_kit[row["kit_id"]].append(row["pk"])
        else:
            pm_of_kit[row["kit_id"]].append(row["pk"])
        streams.setdefault(row["pk"], row)

    work: dict[int, set[datetime]] = defaultdict(set)
    for ds, hours in buckets.items():
        if ds not in streams:
            continue  # a calibrated datastream: its flags come from the raw one
        work[ds].update(hours)
        if streams[ds]["observed_property__code"] == HUMIDITY_CODE:
            for pm in pm_of_kit[streams[ds]["kit_id"]]:
                work[pm].update(hours)

    # What is judged (targets) and what is fetched as evidence, per datastream.
    targets: dict[int, list[tuple[datetime, datetime]]] = {}
    fetch: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for ds, hours in work.items():
        targets[ds] = [(start - SPIKE_MAX_GAP, end + SPIKE_MAX_GAP)
                       for start, end in _spans(hours)]
        for start, end in targets[ds]:
            fetch[ds].append((start - CONTEXT, end + CONTEXT))
            if _is_pm(streams[ds]):
                for humidity in humidity_of_kit[streams[ds]["kit_id"]]:
                    fetch[humidity].append((start - HUMIDITY_MAX_OFFSET,
                                            end + HUMIDITY_MAX_OFFSET))
    series = _fetch(fetch)

    changed: Buckets = defaultdict(set)
    for ds, ranges in targets.items():
        data = series.get(ds)
        if data is None or not data.times:
            continue
        code = streams[ds]["observed_property__code"]
        humidity_series = _humidity_series(
            [series[h] for h in humidity_of_kit[streams[ds]["kit_id"]] if h in series]
        ) if _is_pm(streams[ds]) else None
        judged: list[int] = []
        for start, end in ranges:
            first = bisect.bisect_left(data.times, start)
            last = bisect.bisect_left(data.times, end)
            judged.extend(range(first, last))
        if not judged:
            continue
        wanted: dict[int, set[int]] = {}
        if not code.startswith(SPIKE_EXEMPT_PREFIXES):
            usable = [not q & Quality.OUT_OF_RANGE for q in data.qualities]
            wanted[Quality.SPIKE] = spikes(data.times, data.values, usable, judged)
        else:
            wanted[Quality.SPIKE] = set()
        wanted[Quality.FLATLINE] = flatlines(data.times, data.values)
        for flag, flagged in wanted.items():
            to_set = [data.times[i] for i in judged
                      if i in flagged and not data.qualities[i] & flag]
            to_clear = [data.times[i] for i in judged
                        if i not in flagged and data.qualities[i] & flag]
            if to_set or to_clear:
                _flag_update(ds, flag, to_set, to_clear)
                changed[ds].update(utc_hour(t) for t in to_set + to_clear)
        if humidity_series is not None:
            # Set only: the airrohr ingest may have set it from the same payload already.
            flagged = humid(data.times, judged, *humidity_series)
            to_set = [data.times[i] for i in sorted(flagged)
                      if not data.qualities[i] & Quality.HUMID]
            if to_set:
                _flag_update(ds, Quality.HUMID, to_set, [])
                changed[ds].update(utc_hour(t) for t in to_set)
    return dict(changed)


def _is_pm(stream: dict) -> bool:
    return stream["observed_property__code"].startswith(PM_PREFIX)


def _humidity_series(parts: list[_Series]) -> tuple[list[datetime], list[float]]:
    """One humidity series from the kit's humidity datastreams (the highest value per time),
    leaving out values that are themselves out of range."""
    best: dict[datetime, float] = {}
    for part in parts:
        for moment, value, quality in zip(part.times, part.values, part.qualities,
                                          strict=True):
            if quality & Quality.OUT_OF_RANGE:
                continue
            if moment not in best or value > best[moment]:
                best[moment] = value
    times = sorted(best)
    return times, [best[t] for t in times]


# --- calibration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """A linear correction `slope · raw + offset` for one sensor model and quantity."""

    sensor: str
    quantity: str
    slope: float
    offset: float
    label: str = ""

    def formula(self) -> str:
        return formula_text(self.slope, self.offset, self.label)


def formula_text(slope: float, offset: float, label: str = "") -> str:
    text = f"calibrated = {slope!r} × raw + {offset!r}"
    return f"{text} ({label})" if label else text


def calibrations() -> dict[tuple[str, str], Calibration]:
    """(sensor code, quantity code) -> Calibration, from settings.SENSORS_CALIBRATIONS: a list
    of {"sensor", "quantity", "slope", "offset", "label"} (empty by default)."""
    configured = getattr(settings, "SENSORS_CALIBRATIONS", []) or []
    table = {}
    for entry in configured:
        calibration = Calibration(sensor=entry["sensor"], quantity=entry["quantity"],
                                  slope=float(entry["slope"]), offset=float(entry["offset"]),
                                  label=str(entry.get("label", "")))
        table[(calibration.sensor, calibration.quantity)] = calibration
    return table


def _check_factors(slope, offset) -> tuple[float, float]:
    try:
        slope, offset = float(slope), float(offset)
    except (TypeError, ValueError):
        slope = offset = math.nan
    if not (math.isfinite(slope) and math.isfinite(offset)) or slope == 0:
        raise ValidationError(_("A calibration needs a finite, non-zero slope and a finite "
                                "offset."), code="invalid_calibration")
    return slope, offset


@transaction.atomic
def datastream_calibrate(*, raw: Datastream, slope: float, offset: float, label: str = "",
                         hours: Iterable[datetime] | None = None) -> Datastream:
    """The calibrated datastream beside `raw` (made on first use), holding
    `slope · raw + offset` with the raw flags; the raw values are never touched.

    With `hours` (UTC hour starts) only those hours are (re)computed: the incremental path of
    the Celery task. Without, or when the formula changed, the whole series is recomputed and
    all its hours are marked for the aggregates task."""
    if raw.calibrated_from_id is not None:
        raise ValidationError(_("Only a raw datastream can be calibrated."),
                              code="not_raw")
    slope, offset = _check_factors(slope, offset)
    formula = formula_text(slope, offset, label)
    calibrated = Datastream.objects.filter(calibrated_from=raw).order_by("pk").first()
    if calibrated is None:
        calibrated = Datastream.objects.create(
            kit_id=raw.kit_id, observed_property_id=raw.observed_property_id,
            sensor_id=raw.sensor_id, calibrated_from=raw,
            name=f"{raw.name} (gekalibreerd)"[:200], description=formula,
        )
        hours = None
    elif calibrated.description != formula:
        Datastream.objects.filter(pk=calibrated.pk).update(description=formula)
        calibrated.description = formula
        hours = None
    if hours is None:
        _calibrated_write([(raw.pk, calibrated.pk, slope, offset, None, None)])
        Observation.objects.filter(datastream=calibrated).exclude(
            Exists(Observation.objects.filter(datastream_id=raw.pk,
                                              phenomenon_time=OuterRef("phenomenon_time")))
        ).delete()
        _all_hours_mark(raw=raw, calibrated=calibrated)
    else:
        spans = _spans({utc_hour(h) for h in hours}, gap=timedelta(0))
        _calibrated_write([(raw.pk, calibrated.pk, slope, offset, start, end)
                           for start, end in spans])
    _calibrated_summaries(raw_id=raw.pk, calibrated_id=calibrated.pk, slope=slope,
                          offset=offset)
    return calibrated


def bucket_join(observations: str) -> str:
    """`FROM b`, a list of (ds, ..., start, stop) ranges, joined to the observations inside
    each range. PostgreSQL gets a LATERAL subquery, so that every range is one index range
    scan with partition pruning (left to itself the planner may hash-join a whole table);
    SQLite's planner does that by itself and has no LATERAL."""
    inside = ("o.datastream_id = b.ds AND o.phenomenon_time >= b.start "
              "AND o.phenomenon_time < b.stop")
    if connection.vendor == "postgresql":
        # OFFSET 0 keeps the planner from flattening the subquery back into a plain join.
        return (f"FROM b CROSS JOIN LATERAL (SELECT * FROM {observations} o "  # noqa: S608 - fixed names
                f"WHERE {inside} OFFSET 0) o")
    return f"FROM b JOIN {observations} o ON {inside}"


def _calibrated_write(rows: list[tuple]) -> None:
    """One INSERT ... SELECT ... ON CONFLICT DO UPDATE for all (raw, calibrated, slope,
    offset, start, end) ranges; start/end None = the whole series."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(Observation._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    whole = [row for row in rows if row[4] is None]
    ranged = [row for row in rows if row[4] is not None]
    statements = []
    for raw_id, calibrated_id, slope, offset, _start, _end in whole:
        statements.append((
            f"INSERT INTO {table} (datastream_id, phenomenon_time, result, quality) "  # noqa: S608 - fixed names
            f"SELECT %s, o.phenomenon_time, o.result * CAST(%s AS double precision) "
            f"+ CAST(%s AS double precision), o.quality FROM {table} o "
            f"WHERE o.datastream_id = %s",
            [calibrated_id, slope, offset, raw_id],
        ))
    if ranged:
        values = ", ".join(
            ["(%s, %s, CAST(%s AS double precision), CAST(%s AS double precision), %s, %s)"]
            * len(ranged))
        params = [value for raw_id, calibrated_id, slope, offset, start, end in ranged
                  for value in (raw_id, calibrated_id, slope, offset, adapt(start),
                                adapt(end))]
        statements.append((
            f"WITH b (ds, cal, slope, shift, start, stop) AS (VALUES {values}) "  # noqa: S608 - fixed names
            f"INSERT INTO {table} (datastream_id, phenomenon_time, result, quality) "
            f"SELECT b.cal, o.phenomenon_time, o.result * b.slope + b.shift, o.quality "
            f"{bucket_join(table)} WHERE true",
            params,
        ))
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(
                sql + " ON CONFLICT (datastream_id, phenomenon_time) DO UPDATE SET "
                "result = excluded.result, quality = excluded.quality",
                params,
            )


def _calibrated_summaries(*, raw_id: int, calibrated_id: int, slope: float,
                          offset: float) -> None:
    raw = Datastream.objects.filter(pk=raw_id).values(
        "first_time", "last_time", "last_result").first()
    if raw is None:
        return
    last = raw["last_result"]
    Datastream.objects.filter(pk=calibrated_id).update(
        first_time=raw["first_time"], last_time=raw["last_time"],
        last_result=None if last is None else last * slope + offset,
    )


def _all_hours_mark(*, raw: Datastream, calibrated: Datastream) -> None:
    """Mark every hour of the raw series (from its summaries) for the aggregates task."""
    bounds = Datastream.objects.filter(pk=raw.pk).values("first_time", "last_time").first()
    if not bounds or bounds["first_time"] is None:
        return
    hour, last = utc_hour(bounds["first_time"]), utc_hour(bounds["last_time"])
    rows = []
    while hour <= last:
        rows.append(AggregateDirty(datastream_id=calibrated.pk, hour=hour))
        hour += HOUR
    AggregateDirty.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


def calibrations_apply(buckets: Buckets) -> Buckets:
    """Keep the configured calibrated datastreams current for these raw buckets: one INSERT
    for all of them (a datastream calibrated for the first time, or whose formula changed, is
    recomputed whole). Returns the calibrated buckets to aggregate."""
    table = calibrations()
    if not buckets or not table:
        return {}
    raws = list(
        Datastream.objects.filter(pk__in=list(buckets), calibrated_from__isnull=True)
        .select_related("sensor", "observed_property")
    )
    existing: dict[int, Datastream] = {}
    for calibrated in Datastream.objects.filter(calibrated_from__in=raws).order_by("-pk"):
        existing[calibrated.calibrated_from_id] = calibrated
    rows = []
    result: Buckets = {}
    for raw in raws:
        calibration = table.get((raw.sensor.code, raw.observed_property.code))
        if calibration is None:
            continue
        calibrated = existing.get(raw.pk)
        hours = {utc_hour(h) for h in buckets[raw.pk]}
        if calibrated is None or calibrated.description != calibration.formula():
            calibrated = datastream_calibrate(raw=raw, slope=calibration.slope,
                                              offset=calibration.offset,
                                              label=calibration.label)
        else:
            rows.extend((raw.pk, calibrated.pk, calibration.slope, calibration.offset,
                         start, end) for start, end in _spans(hours, gap=timedelta(0)))
            _calibrated_summaries(raw_id=raw.pk, calibrated_id=calibrated.pk,
                                  slope=calibration.slope, offset=calibration.offset)
        result[calibrated.pk] = hours
    _calibrated_write(rows)
    return result
