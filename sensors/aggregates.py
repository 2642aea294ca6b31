"""Hourly and daily aggregates (count, mean, min, max, flagged) per datastream, maintained
incrementally from the (datastream, hour) buckets that `observations_store` marks in
`AggregateDirty`.

One run (`aggregates_update`, Celery beat every minute, or `manage.py sensors_aggregate`)
takes the dirty buckets in batches. Per batch:

1. claim the buckets: delete their `AggregateDirty` rows in a short transaction of its own, so
   that a value arriving meanwhile marks its hour again (a new row, kept for the next run);
2. judge the quality flags around them (`quality.observations_check`), which may flag values
   in neighbouring hours: those hours join the batch;
3. bring the configured calibrated datastreams up to date (`quality.calibrations_apply`);
4. recompute every hour bucket and the UTC day holding it: one DELETE of their rows, then ONE
   grouped INSERT ... SELECT ... ON CONFLICT DO UPDATE from the observations (consecutive
   buckets of a datastream travel as one range, so a rebuild scans each datastream once).

Aggregates count unflagged values only (quality 0): `count`, `mean`, `minimum` and `maximum`
describe the values without remarks, `flagged` counts the others. A bucket without any unflagged
value has no row. Hours and days are UTC; a day is recomputed from its raw values (not from
its hours), so every figure is exact. Re-running changes nothing (idempotent).

The SQL is the same on PostgreSQL and SQLite (>= 3.24, upsert) but for two expressions: the
ranges travel as a `WITH b (...) AS (VALUES ...)` list computed in Python; the bucket of a
value is `date_trunc(kind, time, 'UTC')` on PostgreSQL and `strftime(...)` on SQLite (which
stores UTC text); PostgreSQL joins through a LATERAL subquery so that each range is an index
range scan on the right partitions.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction

from sensors import quality
from sensors.models import Aggregate, AggregateDirty, Datastream, Observation

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000                       # dirty buckets claimed at a time
TIME_BUDGET = timedelta(seconds=45)     # a run stops claiming after this (beat: every minute)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

Buckets = quality.Buckets


@dataclass
class UpdateResult:
    batches: int = 0
    claimed: int = 0          # dirty rows taken
    hours: int = 0            # hour buckets recomputed (incl. neighbours and calibrated ones)
    days: int = 0             # day buckets recomputed
    flags_changed: int = 0    # buckets whose quality flags changed


def aggregates_update(*, batch_size: int = BATCH_SIZE, max_batches: int | None = None,
                      time_budget: timedelta | None = TIME_BUDGET,
                      check_quality: bool = True) -> UpdateResult:
    """Process dirty buckets until none are left (or the budget is spent)."""
    result = UpdateResult()
    started = time.monotonic()
    while max_batches is None or result.batches < max_batches:
        if time_budget is not None and time.monotonic() - started > time_budget.total_seconds():
            break
        claimed = _dirty_claim(batch_size)
        if not claimed:
            break
        result.batches += 1
        result.claimed += len(claimed)
        buckets: Buckets = defaultdict(set)
        for datastream_id, hour in claimed:
            buckets[datastream_id].add(hour)
        try:
            done = buckets_process(buckets, check_quality=check_quality)
        except Exception:
            # Put the claim back, so that nothing is lost; the next run tries again.
            _dirty_restore(claimed)
            raise
        result.hours += done.hours
        result.days += done.days
        result.flags_changed += done.flags_changed
    return result


def _hours_of(hour: datetime) -> list[datetime]:
    """A dirty hour is normally a UTC hour start. One marked from a time in a zone with a
    half-hour offset (e.g. +05:30: the store truncates in the reading's own zone) covers
    parts of two UTC hours: recompute both."""
    start = quality.utc_hour(hour)
    return [start] if start == hour else [start, start + HOUR]


def buckets_process(buckets: Buckets, *, check_quality: bool = True) -> UpdateResult:
    """Quality, calibration and aggregates for these (datastream, hour start) buckets, in one
    transaction. Hour starts in any zone are taken as the UTC hours they cover."""
    result = UpdateResult()
    hours: Buckets = defaultdict(set)
    for datastream_id, starts in buckets.items():
        for start in starts:
            hours[datastream_id].update(_hours_of(start))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The planner overestimates these range joins a hundredfold and would spend
            # hundreds of milliseconds JIT-compiling a query that runs in tens.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        if check_quality:
            changed = quality.observations_check(hours)
            result.flags_changed = sum(len(v) for v in changed.values())
            for datastream_id, starts in changed.items():
                hours[datastream_id].update(starts)
        for datastream_id, starts in quality.calibrations_apply(hours).items():
            hours[datastream_id].update(starts)
        result.hours, result.days = _aggregate(hours)
    return result


def _aggregate(hours: Buckets) -> tuple[int, int]:
    """Recompute these hour buckets and the days holding them: per run of consecutive
    buckets one range, then one DELETE and one grouped upsert for all ranges."""
    ranges = []
    day_count = 0
    for datastream_id, starts in hours.items():
        days = {start.replace(hour=0) for start in starts}
        day_count += len(days)
        ranges.extend((datastream_id, Aggregate.Interval.HOUR, start, stop)
                      for start, stop in _runs(starts, HOUR))
        ranges.extend((datastream_id, Aggregate.Interval.DAY, start, stop)
                      for start, stop in _runs(days, DAY))
    for offset in range(0, len(ranges), _RANGES_PER_STATEMENT):
        _aggregate_ranges(ranges[offset:offset + _RANGES_PER_STATEMENT])
    return sum(len(v) for v in hours.values()), day_count


def _runs(starts, step: timedelta) -> list[tuple[datetime, datetime]]:
    """Bucket starts -> [start, stop) ranges of consecutive buckets."""
    runs: list[list[datetime]] = []
    for start in sorted(starts):
        if runs and runs[-1][1] == start:
            runs[-1][1] = start + step
        else:
            runs.append([start, start + step])
    return [(start, stop) for start, stop in runs]


# SQLite allows 32,766 parameters per statement: 4 per range.
_RANGES_PER_STATEMENT = 5000


def _bucket_start() -> str:
    """The start of the hour or UTC day (b.kind) holding o.phenomenon_time, in the form the
    database stores datetimes in."""
    if connection.vendor == "postgresql":
        return "date_trunc(b.kind, o.phenomenon_time, 'UTC')"
    return ("strftime(CASE b.kind WHEN 'hour' THEN '%%Y-%%m-%%d %%H:00:00' "
            "ELSE '%%Y-%%m-%%d 00:00:00' END, o.phenomenon_time)")


def _aggregate_ranges(ranges: list[tuple]) -> None:
    """Delete the aggregates inside the ranges, then insert them anew from the unflagged
    observations with ONE grouped INSERT ... SELECT ... ON CONFLICT DO UPDATE (the conflict
    clause covers a concurrent worker that recomputed the same day a moment earlier). A bucket
    without any unflagged value gets no row."""
    quote = connection.ops.quote_name
    aggregates = quote(Aggregate._meta.db_table)
    observations = quote(Observation._meta.db_table)
    interval = quote("interval")
    adapt = connection.ops.adapt_datetimefield_value
    values = ", ".join(["(%s, %s, %s, %s)"] * len(ranges))
    params = [value for ds, kind, start, stop in ranges
              for value in (ds, str(kind), adapt(start), adapt(stop))]
    buckets = f"WITH b (ds, kind, start, stop) AS (VALUES {values}) "
    good = "CASE WHEN o.quality = 0 THEN 1 ELSE 0 END"
    good_result = "CASE WHEN o.quality = 0 THEN o.result END"
    bucket = _bucket_start()
    inside = (f"a.datastream_id = b.ds AND a.{interval} = b.kind AND a.start >= b.start "
              f"AND a.start < b.stop")
    if connection.vendor == "postgresql":  # an index range scan per range (see bucket_join)
        rows = (f"SELECT a.id FROM b CROSS JOIN LATERAL (SELECT a.id FROM {aggregates} a "  # noqa: S608 - fixed names
                f"WHERE {inside} OFFSET 0) a")
    else:
        rows = f"SELECT a.id FROM b JOIN {aggregates} a ON {inside}"  # noqa: S608 - fixed names
    delete = f"{buckets}DELETE FROM {aggregates} WHERE id IN ({rows})"  # noqa: S608 - fixed names
    upsert = (
        f"{buckets}"  # noqa: S608 - fixed table and column names; values are parameters
        f"INSERT INTO {aggregates} (datastream_id, {interval}, start, count, mean, minimum, "
        f"maximum, flagged) "
        f"SELECT b.ds, b.kind, {bucket}, SUM({good}), AVG({good_result}), "
        f"MIN({good_result}), MAX({good_result}), SUM(1 - {good}) "
        f"{quality.bucket_join(observations)} "
        f"WHERE true GROUP BY b.ds, b.kind, {bucket} HAVING SUM({good}) > 0 "
        f"ON CONFLICT (datastream_id, {interval}, start) DO UPDATE SET "
        f"count = excluded.count, mean = excluded.mean, minimum = excluded.minimum, "
        f"maximum = excluded.maximum, flagged = excluded.flagged"
    )
    with connection.cursor() as cursor:
        cursor.execute(delete, params)
        cursor.execute(upsert, params)


# --- claiming dirty buckets ----------------------------------------------------------------


def _dirty_claim(limit: int) -> list[tuple[int, datetime]]:
    """Take up to `limit` dirty buckets: their rows are deleted (and committed) before the
    aggregates are computed, so a value that arrives meanwhile inserts a fresh row."""
    if connection.vendor == "postgresql":
        return _dirty_claim_postgresql(limit)
    with transaction.atomic():
        rows = list(AggregateDirty.objects.order_by("pk")
                    .values_list("pk", "datastream_id", "hour")[:limit])
        AggregateDirty.objects.filter(pk__in=[pk for pk, _ds, _hour in rows]).delete()
    # SQLite has one writer at a time: a store transaction either committed before the
    # DELETE (its values are visible to the computation) or marks its hour afterwards.
    return [(ds, hour) for _pk, ds, hour in rows]


def _dirty_claim_postgresql(limit: int) -> list[tuple[int, datetime]]:
    """PostgreSQL: several workers may run at once (SKIP LOCKED gives each its own rows).

    A store transaction that is still open may have found a bucket's row already present
    (ON CONFLICT DO NOTHING) and would then be lost with the claim if its values became
    visible only after the computation started. Every store transaction updates its kits'
    `last_seen_at` before marking buckets, holding those Kit rows until it commits; so the
    buckets of kits that are locked right now are left for the next run (FOR SHARE SKIP
    LOCKED), and stores that come later wait the few milliseconds until the claim commits.
    """
    dirty = connection.ops.quote_name(AggregateDirty._meta.db_table)
    streams = connection.ops.quote_name(Datastream._meta.db_table)
    kits = connection.ops.quote_name(Datastream._meta.get_field("kit").related_model._meta
                                     .db_table)
    sql = (
        f"WITH candidates AS (SELECT d.id, s.kit_id FROM {dirty} d "  # noqa: S608 - fixed names
        f"JOIN {streams} s ON s.id = d.datastream_id ORDER BY d.id LIMIT %s "
        f"FOR UPDATE OF d SKIP LOCKED), "
        f"free_kits AS (SELECT k.id FROM {kits} k WHERE k.id IN "
        f"(SELECT kit_id FROM candidates) FOR SHARE OF k SKIP LOCKED) "
        f"DELETE FROM {dirty} d USING candidates c WHERE d.id = c.id "
        f"AND c.kit_id IN (SELECT id FROM free_kits) RETURNING d.datastream_id, d.hour"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return list(cursor.fetchall())


def _dirty_restore(claimed: list[tuple[int, datetime]]) -> None:
    existing = set(Datastream.objects.filter(pk__in={ds for ds, _h in claimed})
                   .values_list("pk", flat=True))
    AggregateDirty.objects.bulk_create(
        [AggregateDirty(datastream_id=ds, hour=hour) for ds, hour in claimed if ds in existing],
        ignore_conflicts=True, batch_size=1000,
    )


# --- rebuilding ------------------------------------------------------------------------------


def aggregates_rebuild(*, datastreams=None, since: datetime | None = None,
                       until: datetime | None = None, check_quality: bool = True,
                       batch_hours: int = BATCH_SIZE) -> UpdateResult:
    """Recompute quality flags and aggregates of whole datastreams (all, or the given ones)
    over [since, until), e.g. after changing the rules. Hours come from each datastream's
    first/last time; empty hours cost one cheap probe each."""
    result = UpdateResult()
    queryset = Datastream.objects.filter(first_time__isnull=False)
    if datastreams is not None:
        queryset = queryset.filter(pk__in=[getattr(d, "pk", d) for d in datastreams])
    batch: Buckets = defaultdict(set)
    size = 0
    for pk, first, last in queryset.order_by("pk").values_list("pk", "first_time", "last_time"):
        hour = quality.utc_hour(max(first, since) if since else first)
        end = min(last, until) if until else last
        while hour <= end:
            batch[pk].add(hour)
            size += 1
            hour += HOUR
            if size >= batch_hours:
                _add(result, buckets_process(batch, check_quality=check_quality))
                batch, size = defaultdict(set), 0
    if size:
        _add(result, buckets_process(batch, check_quality=check_quality))
    return result


def _add(total: UpdateResult, part: UpdateResult) -> None:
    total.batches += 1
    total.hours += part.hours
    total.days += part.days
    total.flags_changed += part.flags_changed
