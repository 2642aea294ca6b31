"""Sensors at scale (PostgreSQL): a year of observations for hundreds of datastreams, made FAST
with `INSERT ... SELECT generate_series`, then aggregated and queried.

Reusable pieces for `make bench` (bench/run.py):

- `fill_observations(...)`: kits, datastreams and `total` observations spread evenly over one
  year (default 50 million for 600 datastreams: one value every ~6.3 minutes per datastream),
  plausible values (daily cycle + noise, a few out-of-range ones flagged), monthly partitions
  made first. Inserted by several connections in parallel, one datastream block per statement.
- `aggregate_all(...)`: the hourly/daily aggregates of everything (`aggregates_rebuild`, the
  same SQL as the incremental Celery task; without the quality pass, which is measured apart
  by `incremental_update`).
- `incremental_update(...)`: one realistic minute of the Celery task: every datastream got a
  new value in the current hour; quality checks + calibrations + aggregates for all of them.
- `series_timings(...)`: "one kit's hourly series for a year", from `Aggregate` and from the raw
  observations, median/p95 of repeated runs (server-side: query + fetching the rows in Django).
- `database_size(...)`: bytes of the observation table (all partitions, indexes included) and
  per million observations.

`main()` runs everything against DATABASE_URL (which must be PostgreSQL and is migrated) and
prints one JSON document. It adds tens of GB-minutes of work: run it on a throwaway database.
"""

import json
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOTAL = 50_000_000
KITS = 100
QUANTITIES = ("pm10", "pm25", "temperature", "humidity", "pressure", "no2")  # 6 per kit
YEAR = timedelta(days=365)
PREFIX = "schaal"
# value expression per quantity: base + daily amplitude·sin(time of day) + noise
SHAPES = {
    "pm10": (18.0, 8.0, 6.0), "pm25": (10.0, 5.0, 4.0), "temperature": (11.0, 5.0, 1.0),
    "humidity": (75.0, 12.0, 4.0), "pressure": (1013.0, 2.0, 0.5), "no2": (22.0, 10.0, 5.0),
}


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def _fixtures(kits: int, end: datetime):
    """Project, quantities, sensor, kits and raw datastreams (bulk_create); returns the
    datastream ids."""
    from sensors.models import Datastream, Kit, ObservedProperty, Project, Sensor

    project, _ = Project.objects.get_or_create(
        slug=f"{PREFIX}-project", defaults={
            "name": "Schaalproef", "summary": "Benchmark", "description": "Benchmark",
            "area": {"type": "Polygon", "coordinates": [[[6.0, 52.5], [6.1, 52.5],
                                                         [6.1, 52.6], [6.0, 52.5]]]},
        })
    properties = {
        code: ObservedProperty.objects.get_or_create(code=code, defaults={
            "name": code, "definition": f"https://example.org/{code}", "unit_name": "unit",
            "unit_symbol": "u"})[0]
        for code in QUANTITIES
    }
    sensor, _ = Sensor.objects.get_or_create(code=f"{PREFIX}-sensor",
                                             defaults={"name": "Schaalsensor"})
    new_kits = Kit.objects.bulk_create([
        Kit(project=project, device_id=f"{PREFIX}-{end:%Y%m%d%H%M%S}-{n:05d}", name=f"Kit {n}",
            state=Kit.State.ACTIVE, last_seen_at=end)
        for n in range(kits)
    ], batch_size=1000)
    streams = Datastream.objects.bulk_create([
        Datastream(kit=kit, observed_property=properties[code], sensor=sensor,
                   name=f"{code} {kit.name}", first_time=end - YEAR, last_time=end)
        for kit in new_kits for code in QUANTITIES
    ], batch_size=1000)
    return [kit.pk for kit in new_kits], [(s.pk, s.observed_property.code) for s in streams]


def fill_observations(*, total: int = TOTAL, kits: int = KITS, end: datetime | None = None,
                      workers: int = 2) -> dict:
    """Make `kits` kits with len(QUANTITIES) datastreams each and `total` observations over
    the year before `end`. Returns what was made and how long it took."""
    from django.db import connection

    from sensors.partitions import partitions_ensure

    end = (end or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    start = end - YEAR
    partitions_ensure(months_ahead=1, today=end.date(), since=start.date())
    kit_ids, streams = _fixtures(kits, end)
    per_stream = total // len(streams)
    step = YEAR.total_seconds() / per_stream

    settings = connection.settings_dict
    dsn = {"dbname": settings["NAME"], "user": settings["USER"],
           "password": settings["PASSWORD"], "host": settings["HOST"],
           "port": settings["PORT"] or 5432}
    sql = (
        "INSERT INTO sensors_observation (datastream_id, phenomenon_time, result, quality) "
        "SELECT %(ds)s, t, v, q FROM ("
        "  SELECT CASE WHEN g %% 1000 = 0 THEN 1 ELSE 0 END AS q,"  # 0.1 % flagged
        "         %(start)s::timestamptz + make_interval(secs => g * %(step)s) AS t,"
        "         %(base)s + %(amp)s * sin(2 * pi() * (g * %(step)s / 86400.0))"
        "         + %(noise)s * (random() - 0.5) * 2 AS v"
        "  FROM generate_series(0, %(n)s - 1) g) s"
    )
    queue = list(streams)
    lock = threading.Lock()
    errors = []

    def work():
        import psycopg

        try:
            with psycopg.connect(**{k: v for k, v in dsn.items() if v}) as conn:
                conn.execute("SET synchronous_commit = off")
                while True:
                    with lock:
                        if not queue:
                            return
                        ds, code = queue.pop()
                    base, amp, noise = SHAPES[code]
                    conn.execute(sql, {"ds": ds, "start": start, "step": step, "n": per_stream,
                                       "base": base, "amp": amp, "noise": noise})
                    conn.commit()
        except Exception as error:  # surfaced below
            errors.append(error)

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sensors_observation")
    return {"kits": kit_ids, "datastreams": [ds for ds, _code in streams],
            "observations": per_stream * len(streams), "start": start, "end": end,
            "fill_seconds": round(seconds, 1),
            "fill_rows_per_second": round(per_stream * len(streams) / seconds)}


def aggregate_all(datastreams, *, batch_hours: int = 20_000) -> dict:
    from django.db import connection

    from sensors.aggregates import aggregates_rebuild

    started = time.perf_counter()
    result = aggregates_rebuild(datastreams=datastreams, check_quality=False,
                                batch_hours=batch_hours)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sensors_aggregate")
    return {"aggregate_seconds": round(seconds, 1), "aggregate_buckets": result.hours
            + result.days}


def incremental_update(datastreams, *, at: datetime) -> dict:
    """Every datastream got one new value in the hour of `at`: time one run of the task."""
    from sensors.aggregates import aggregates_update
    from sensors.services import Reading, observations_store

    readings = [Reading(ds, at, 12.5) for ds in datastreams]
    started = time.perf_counter()
    stored = observations_store(readings, now=at).stored
    store_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    result = aggregates_update(time_budget=None)
    return {"datastreams": len(datastreams), "stored": stored,
            "store_ms": round(store_ms, 1),
            "task_ms": round((time.perf_counter() - started) * 1000, 1),
            "buckets": result.claimed}


def _timed(fn, rounds):
    fn()  # warm
    durations = []
    for _ in range(rounds):
        started = time.perf_counter()
        rows = fn()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return {"median_ms": round(statistics.median(durations), 2),
            "p95_ms": round(durations[int(len(durations) * 0.95) - 1], 2), "rows": rows}


def series_timings(kit_id: int, *, end: datetime, rounds: int = 20) -> dict:
    """One kit's hourly series for a year: all its datastreams and one of them (PM2.5)."""
    from django.db import connection

    from sensors.models import Aggregate, Datastream

    start = end - YEAR
    streams = list(Datastream.objects.filter(kit_id=kit_id, calibrated_from__isnull=True)
                   .values_list("pk", "observed_property__code"))
    pm25 = next(pk for pk, code in streams if code == "pm25")

    def from_aggregates(ids):
        def query():
            return len(list(Aggregate.objects.filter(
                datastream_id__in=ids, interval=Aggregate.Interval.HOUR, start__gte=start,
                start__lt=end).order_by("datastream_id", "start")
                .values_list("datastream_id", "start", "mean", "minimum", "maximum")))
        return query

    def from_raw(ids):
        def query():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT datastream_id, date_trunc('hour', phenomenon_time, 'UTC') AS h, "
                    "avg(result), min(result), max(result) FROM sensors_observation "
                    "WHERE datastream_id = ANY(%s) AND phenomenon_time >= %s "
                    "AND phenomenon_time < %s AND quality = 0 GROUP BY 1, 2 ORDER BY 1, 2",
                    [ids, start, end])
                return len(cursor.fetchall())
        return query

    def from_aggregates_sql(ids):
        def query():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT datastream_id, start, mean, minimum, maximum FROM sensors_aggregate "
                    "WHERE datastream_id = ANY(%s) AND interval = 'hour' AND start >= %s "
                    "AND start < %s ORDER BY datastream_id, start", [ids, start, end])
                return len(cursor.fetchall())
        return query

    def server_ms(sql, params):
        """Execution time inside PostgreSQL (EXPLAIN ANALYZE), median of a few runs."""
        times = []
        with connection.cursor() as cursor:
            for _ in range(5):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                times.append(plan[0]["Execution Time"])
        return round(statistics.median(times), 2)

    hourly = ("SELECT datastream_id, start, mean, minimum, maximum FROM sensors_aggregate "
              "WHERE datastream_id = ANY(%s) AND interval = 'hour' AND start >= %s "
              "AND start < %s ORDER BY datastream_id, start")
    all_ids = [pk for pk, _code in streams]
    return {
        "server_ms_aggregate_one_quantity": server_ms(hourly, [[pm25], start, end]),
        "server_ms_aggregate_whole_kit": server_ms(hourly, [all_ids, start, end]),
        # the ORM (values_list: Django builds a tuple with an aware datetime per row) ...
        "aggregate_one_quantity": _timed(from_aggregates([pm25]), rounds),
        "aggregate_whole_kit": _timed(from_aggregates(all_ids), rounds),
        # ... and the same query on a plain cursor (database + driver only)
        "aggregate_one_quantity_sql": _timed(from_aggregates_sql([pm25]), rounds),
        "aggregate_whole_kit_sql": _timed(from_aggregates_sql(all_ids), rounds),
        "raw_one_quantity": _timed(from_raw([pm25]), max(3, rounds // 4)),
        "raw_whole_kit": _timed(from_raw(all_ids), max(3, rounds // 4)),
    }


def database_size(observations: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'sensors_observation'")
        observation_bytes = int(cursor.fetchone()[0])
        cursor.execute("SELECT pg_total_relation_size('sensors_aggregate'), "
                       "pg_database_size(current_database())")
        aggregate_bytes, database_bytes = (int(v) for v in cursor.fetchone())
    mb = 1024 * 1024
    return {
        "observation_table_mb": round(observation_bytes / mb),
        "observation_mb_per_million": round(observation_bytes / mb / (observations / 1e6), 1),
        "aggregate_table_mb": round(aggregate_bytes / mb),
        "database_mb": round(database_bytes / mb),
    }


def main(total: int = TOTAL, kits: int = KITS) -> dict:
    from django.db import connection

    _setup_django()
    if connection.vendor != "postgresql":
        raise SystemExit("sensors_scale needs PostgreSQL (DATABASE_URL)")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    made = fill_observations(total=total, kits=kits)
    figures = {"observations": made["observations"], "datastreams": len(made["datastreams"]),
               "fill_seconds": made["fill_seconds"],
               "fill_rows_per_second": made["fill_rows_per_second"]}
    figures.update(aggregate_all(made["datastreams"]))
    figures["aggregate_observations_per_second"] = round(
        made["observations"] / max(figures["aggregate_seconds"], 0.001))
    figures["series"] = series_timings(made["kits"][len(made["kits"]) // 2], end=made["end"])
    figures["series_target_ms"] = 50
    figures["incremental_minute"] = incremental_update(
        made["datastreams"], at=made["end"] - timedelta(minutes=1))
    figures.update(database_size(made["observations"]))
    return figures


if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else TOTAL
    kits = int(sys.argv[2]) if len(sys.argv) > 2 else KITS
    print(json.dumps(main(total=total, kits=kits), indent=2, default=str))
