"""Sensors at scale on PostgreSQL (issue 5): the map feed of 10,000 kits and one kit's hourly
series for a year from a store of 50 million observations. Prints ONE JSON document.

    .venv/bin/python bench/sensors_store.py           # full sizes: stadsmakers_bench_series
    .venv/bin/python bench/sensors_store.py --quick    # small sizes, stadsmakers_bench_series_quick
    .venv/bin/python bench/sensors_store.py --part map|series

The database is PERSISTENT: the first run fills it (50 M observations and their aggregates,
~7.8 GB, ~15 minutes on 2 cores), later runs find the fill recorded in the table
`bench_store_state` and only measure (~30 s). Progress goes to stderr; stdout carries the JSON.
The server is BENCH_POSTGRES_URL (default the local one, user postgres).

Map part: 10,000 public kits (quick: 200) with six quantities each, their latest values in the
datastreams' summaries as the ingest keeps them. The feed view is requested through Django's
test client with `Accept-Encoding: gzip` (as browsers send it) and without: cold (the feed was
just invalidated, so the request builds it) and cached. Every timing also has its query count
and the CPU time per request of this process and of its PostgreSQL backend.

Series part: 100 kits x 6 datastreams (quick: 10 kits, 200,000 observations) get 50,000,400
observations spread evenly over the year before the fill, written with binary COPY by two
connections (one month per transaction, each recorded in `bench_store_state`, so an
interrupted fill resumes). Hourly and daily aggregates are built set-based per monthly
partition and compared, for one datastream (quick: one kit's six), with the app's own
`aggregates_rebuild`. Measured: `feeds.datastream_series` (the kit page's selector) for a year
of hourly averages, the kit page itself (`period=1y&interval=hour`), and the store's size.
See docs/sensors-speed.md.
"""

import argparse
import io
import json
import math
import os
import random
import statistics
import struct
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
YEAR = timedelta(days=365)
QUANTITIES = {  # code: (sensor, base, daily amplitude, noise)
    "pm25": ("sds011", 10.0, 5.0, 4.0),
    "pm10": ("sds011", 18.0, 8.0, 6.0),
    "temperature": ("bme280", 11.0, 5.0, 1.0),
    "humidity": ("bme280", 75.0, 12.0, 4.0),
    "pressure": ("bme280", 1013.0, 2.0, 0.5),
    "no2": ("external", 22.0, 10.0, 5.0),
}
FLAGGED_EVERY = 1000        # one value in 1,000 is out of range (quality 1)
FLAGGED_VALUE = -999.0
STATE_TABLE = "bench_store_state"
SERIES_PROJECT, MAP_PROJECT = "bench-series", "bench-map"
MAP_TARGET_MS, MAP_TARGET_QUERIES, SERIES_TARGET_MS = 30, 3, 50


@dataclass(frozen=True)
class Sizes:
    database: str
    observations: int
    series_kits: int
    map_kits: int
    rounds: int
    cold_rounds: int


FULL = Sizes("stadsmakers_bench_series", 50_000_000, 100, 10_000, rounds=20, cold_rounds=20)
QUICK = Sizes("stadsmakers_bench_series_quick", 200_000, 10, 200, rounds=5, cold_rounds=5)


def log(message: str) -> None:
    print(f"[sensors_store] {message}", file=sys.stderr, flush=True)


# --- database and Django ----------------------------------------------------------------------


def _database_ensure(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django(sizes: Sizes) -> None:
    _database_ensure(sizes.database)
    os.environ["DATABASE_URL"] = f"{SERVER}/{sizes.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False, stdout=io.StringIO())
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
                       "(key text PRIMARY KEY, value jsonb NOT NULL)")


def _state_get(key: str):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {STATE_TABLE} WHERE key = %s", [key])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]


def _state_set(key: str, value, cursor=None) -> None:
    sql = (f"INSERT INTO {STATE_TABLE} (key, value) VALUES (%s, %s) "  # noqa: S608
           "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    if cursor is not None:
        cursor.execute(sql, [key, json.dumps(value)])
        return
    from django.db import connection

    with connection.cursor() as django_cursor:
        django_cursor.execute(sql, [key, json.dumps(value)])


def _dsn() -> str:
    from django.db import connection

    return f"{SERVER}/{connection.settings_dict['NAME']}"


def _backend_cpu_seconds(pid: int | None) -> float | None:
    """CPU time used so far by a PostgreSQL backend process (a local server whose /proc we
    may read), else None. With the client's own CPU time it tells what a request costs when
    other processes compete for the cores (wall-clock times then mostly measure waiting)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _timed(fn, rounds: int, *, before=None) -> dict:
    """Median and p95 (ms) of `rounds` calls of fn, each with its SQL queries counted;
    `before` runs ahead of each call, untimed (e.g. to invalidate a cache). Also the CPU
    time per call of this process and of its PostgreSQL backend (means)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pid = _backend_pid()
    durations, queries = [], []
    client_cpu = server_cpu = 0.0
    result = None
    for _ in range(rounds):
        if before is not None:
            before()
        server_before = _backend_cpu_seconds(pid)
        with CaptureQueriesContext(connection) as captured:
            cpu_started = time.process_time()
            started = time.perf_counter()
            result = fn()
            durations.append((time.perf_counter() - started) * 1000)
            client_cpu += time.process_time() - cpu_started
        server_after = _backend_cpu_seconds(pid)
        if server_before is not None and server_after is not None:
            server_cpu += server_after - server_before
        queries.append(len(captured.captured_queries))
    durations.sort()
    return {
        "median_ms": round(statistics.median(durations), 2),
        "p95_ms": round(durations[max(math.ceil(len(durations) * 0.95) - 1, 0)], 2),
        "best_ms": round(durations[0], 2),
        "rounds": rounds,
        "queries": max(queries),
        "client_cpu_ms": round(client_cpu / rounds * 1000, 2),
        "database_cpu_ms": (round(server_cpu / rounds * 1000, 1)
                            if _backend_cpu_seconds(pid) is not None else None),
        "result": result,
    }


def _figure(name, value, unit, target=None, comparison=None, met=None, **details) -> dict:
    return {"figure": name, "value": value, "unit": unit, "target": target,
            "comparison": comparison, "met": met, "details": details}


# --- series: fixtures -------------------------------------------------------------------------


def _quantities():
    from sensors.models import ObservedProperty, Sensor

    properties = {q.code: q for q in ObservedProperty.objects.filter(code__in=QUANTITIES)}
    sensors = {s.code: s for s in Sensor.objects.filter(
        code__in={sensor for sensor, *_shape in QUANTITIES.values()})}
    return properties, sensors


def _project(slug: str, name: str):
    from sensors.models import Project

    return Project.objects.get_or_create(slug=slug, defaults={
        "name": name, "summary": "Benchmark", "description": "Benchmark",
        "area": {"type": "Polygon", "coordinates": [[[5.9, 52.4], [6.3, 52.4], [6.3, 52.7],
                                                     [5.9, 52.7], [5.9, 52.4]]]},
    })[0]


def _kits_with_streams(*, project, prefix: str, count: int, placed) -> list:
    """`count` active kits of `project` with one raw datastream per quantity; made once.
    `placed(n)` gives kit n's exact (lat, lon), or None for a kit without a location."""
    from sensors.models import Kit

    existing = Kit.objects.filter(project=project).count()
    if existing < count:
        _kits_make(project=project, prefix=prefix, first=existing, count=count, placed=placed)
    return list(Kit.objects.filter(project=project).order_by("device_id")[:count])


def _kits_make(*, project, prefix: str, first: int, count: int, placed) -> None:
    from django.db import connection, transaction

    from sensors.models import Datastream, Kit
    from sensors.services import public_location

    with transaction.atomic():
        kits = []
        for n in range(first, count):
            spot = placed(n)
            kit = Kit(project=project, device_id=f"{prefix}-{n:05d}", name=_kit_name(prefix, n),
                      state=Kit.State.ACTIVE)
            if spot is not None:
                kit.latitude, kit.longitude = spot
                kit.public_latitude, kit.public_longitude = public_location(*spot)
            kits.append(kit)
        new = Kit.objects.bulk_create(kits, batch_size=2000)
        properties, sensors = _quantities()
        Datastream.objects.bulk_create([
            Datastream(kit=kit, observed_property=properties[code],
                       sensor=sensors[QUANTITIES[code][0]], name=f"{code} {kit.name}")
            for kit in new for code in QUANTITIES
        ], batch_size=5000)
    log(f"{project.slug}: made {len(new)} kits")
    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would make them
        cursor.execute("ANALYZE sensors_kit; ANALYZE sensors_datastream")


def _kit_name(prefix: str, n: int) -> str:
    # Now and then a name with quotes, a backslash and non-ASCII letters (escaping costs too).
    return f'Kit {n} "Zonnebloem" \\ Zwolle–Süd' if n % 97 == 0 else f"{prefix} kit {n}"


def series_fixtures(sizes: Sizes):
    """The series kits (the middle one is public: its page is measured) and their streams."""
    from sensors.models import Datastream

    project = _project(SERIES_PROJECT, "Benchmark series")
    middle = sizes.series_kits // 2
    kits = _kits_with_streams(
        project=project, prefix="bench-series", count=sizes.series_kits,
        placed=lambda n: (52.5312, 6.0623) if n == middle else None,
    )
    streams = list(Datastream.objects.filter(kit__in=kits, calibrated_from__isnull=True)
                   .order_by("pk").values_list("pk", "observed_property__code", "kit_id"))
    return kits, kits[middle], streams


# --- series: the fill (binary COPY) -----------------------------------------------------------

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
ROW = struct.Struct(">hiqiqidih")  # 4 fields: datastream_id, phenomenon_time, result, quality
TICKS_PER_CHUNK = 200


@dataclass(frozen=True)
class Grid:
    """Every datastream gets a value at start + k * step for k in [0, per_stream)."""

    start: datetime
    end: datetime
    per_stream: int
    step_us: int

    def tick_range(self, since: datetime, until: datetime) -> range:
        first = max(math.ceil(_us(since - self.start) / self.step_us), 0)
        last = min(math.ceil(_us(until - self.start) / self.step_us), self.per_stream)
        return range(first, max(first, last))


def _us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _grid(sizes: Sizes, streams: int) -> Grid:
    saved = _state_get("grid")
    if saved is None:
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        per_stream = math.ceil(sizes.observations / streams)
        saved = {"end": end.isoformat(), "per_stream": per_stream,
                 "step_us": _us(YEAR) // per_stream}
        _state_set("grid", saved)
    end = datetime.fromisoformat(saved["end"])
    return Grid(start=end - YEAR, end=end, per_stream=saved["per_stream"],
                step_us=saved["step_us"])


def _months(grid: Grid) -> list[tuple[datetime, datetime]]:
    months = []
    moment = grid.start.replace(day=1, hour=0)
    while moment < grid.end:
        following = (moment.replace(year=moment.year + 1, month=1) if moment.month == 12
                     else moment.replace(month=moment.month + 1))
        months.append((moment, following))
        moment = following
    return months


def _month_rows(grid: Grid, streams, ticks: range, rng: random.Random):
    """Binary COPY rows (bytes) for these ticks: every datastream at every tick, time-major
    (the order in which a network's values arrive). Values: base + a daily cycle + noise."""
    shapes = [(ds, *QUANTITIES[code][1:]) for ds, code, _kit in streams]
    count = len(shapes)
    pack, random_ = ROW.pack, rng.random
    start_us = _us(grid.start - PG_EPOCH)
    start_unix = grid.start.timestamp()
    for offset in range(ticks.start, ticks.stop, TICKS_PER_CHUNK):
        parts = []
        for tick in range(offset, min(offset + TICKS_PER_CHUNK, ticks.stop)):
            moment = start_us + tick * grid.step_us
            seconds = start_unix + tick * grid.step_us / 1e6
            cycle = math.sin(2 * math.pi * ((seconds % 86_400) / 86_400 - 0.375))
            first_row = tick * count
            for index, (ds, base, amplitude, noise) in enumerate(shapes):
                if (first_row + index) % FLAGGED_EVERY == 0:
                    parts.append(pack(4, 8, ds, 8, moment, 8, FLAGGED_VALUE, 2, 1))
                else:
                    value = base + amplitude * cycle + noise * (random_() * 2 - 1)
                    parts.append(pack(4, 8, ds, 8, moment, 8, value, 2, 0))
        yield b"".join(parts)


def _fill_month(dsn: str, grid: Grid, streams, month: tuple[datetime, datetime]) -> int:
    import psycopg

    ticks = grid.tick_range(*month)
    key = f"fill:{month[0]:%Y-%m}"
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        _bulk_session(conn)
        with conn.cursor() as cursor:
            with cursor.copy("COPY sensors_observation (datastream_id, phenomenon_time, result, "
                             "quality) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(COPY_HEADER)
                for chunk in _month_rows(grid, streams, ticks, random.Random(key)):
                    copy.write(chunk)
                copy.write(COPY_TRAILER)
            rows = len(ticks) * len(streams)
            _state_set(key, {"rows": rows, "seconds": round(time.perf_counter() - started, 1)},
                       cursor)
    return rows


def _bulk_session(conn) -> None:
    """A bulk-loading session. The foreign key to the datastream is checked per row at commit
    (a deferred trigger: ~30,000 rows/s on this machine); the generated rows all reference
    datastreams made just before, so the load skips those checks (as pg_restore
    --disable-triggers does; needs a superuser, which the local bench server has)."""
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET session_replication_role = replica")


def fill_observations(sizes: Sizes, streams) -> dict:
    """The observations of the series datastreams, once: months already recorded in the state
    table are skipped, so a second run costs nothing and an interrupted one resumes."""
    from sensors.partitions import partitions_ensure

    grid = _grid(sizes, len(streams))
    partitions_ensure(months_ahead=1, today=grid.end.date(), since=grid.start.date())
    todo = [month for month in _months(grid) if _state_get(f"fill:{month[0]:%Y-%m}") is None]
    total = grid.per_stream * len(streams)
    if todo:
        rows = sum(len(grid.tick_range(*month)) for month in todo) * len(streams)
        log(f"filling {len(todo)} months: {rows:,} of {total:,} observations, binary COPY")
        started = time.perf_counter()
        _run_parallel(lambda month: _fill_month(_dsn(), grid, streams, month), todo,
                      lambda month, rows, done: log(
                          f"  {month[0]:%Y-%m}: {rows:,} rows; {done:,} rows in "
                          f"{time.perf_counter() - started:.0f} s "
                          f"({done / (time.perf_counter() - started):,.0f} rows/s)"))
        seconds = time.perf_counter() - started
        _state_set("fill", {"seconds": round(seconds, 1), "months": len(todo), "rows": rows,
                            "rows_per_second": round(rows / seconds),
                            "finished": datetime.now(UTC).isoformat(timespec="seconds")})
    if todo or _state_get("summaries") is None:
        _summaries_update(grid, streams)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE sensors_observation")
        _state_set("summaries", {"done": True})
    return {"grid": grid, "observations_planned": total, "fill_ran_now": bool(todo),
            **(_state_get("fill") or {})}


def _run_parallel(work, items, report, workers: int = 2) -> None:
    queue = list(items)
    lock = threading.Lock()
    errors: list[Exception] = []
    done = [0]

    def worker():
        while True:
            with lock:
                if not queue or errors:
                    return
                item = queue.pop(0)
            try:
                rows = work(item)
            except Exception as error:  # re-raised below, in the main thread
                errors.append(error)
                return
            with lock:
                done[0] += rows
                report(item, rows, done[0])

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _summaries_update(grid: Grid, streams) -> None:
    """first/last time and last value of each series datastream (as the ingest keeps them)."""
    from django.db import connection

    ids = [ds for ds, _code, _kit in streams]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sensors_datastream d SET first_time = f.phenomenon_time, "
            "last_time = l.phenomenon_time, last_result = l.result FROM unnest(%s::bigint[]) i "
            "CROSS JOIN LATERAL (SELECT phenomenon_time FROM sensors_observation o "
            "  WHERE o.datastream_id = i ORDER BY phenomenon_time LIMIT 1) f "
            "CROSS JOIN LATERAL (SELECT phenomenon_time, result FROM sensors_observation o "
            "  WHERE o.datastream_id = i ORDER BY phenomenon_time DESC LIMIT 1) l "
            "WHERE d.id = i", [ids])
        cursor.execute("UPDATE sensors_kit SET last_seen_at = %s WHERE id = ANY(%s)",
                       [grid.end, list({kit for _ds, _code, kit in streams})])


# --- series: the aggregates -------------------------------------------------------------------

# The hour and the UTC day of every value in one scan (GROUPING SETS), with the same figures
# as sensors.aggregates: unflagged values only, flagged ones counted, no row without any.
AGGREGATE_SQL = """
INSERT INTO sensors_aggregate (datastream_id, "interval", start, count, mean, minimum, maximum,
                               flagged)
SELECT datastream_id, CASE WHEN GROUPING(hour) = 0 THEN 'hour' ELSE 'day' END,
       coalesce(hour, day), SUM(good), AVG(good_result), MIN(good_result), MAX(good_result),
       SUM(1 - good)
FROM (SELECT datastream_id, date_trunc('hour', phenomenon_time, 'UTC') AS hour,
             date_trunc('day', phenomenon_time, 'UTC') AS day,
             CASE WHEN quality = 0 THEN 1 ELSE 0 END AS good,
             CASE WHEN quality = 0 THEN result END AS good_result
      FROM sensors_observation
      WHERE phenomenon_time >= %(since)s AND phenomenon_time < %(until)s
        AND datastream_id = ANY(%(ids)s)) o
GROUP BY GROUPING SETS ((datastream_id, hour), (datastream_id, day))
HAVING SUM(good) > 0
ORDER BY 1, 2, 3
ON CONFLICT (datastream_id, "interval", start) DO UPDATE SET count = excluded.count,
  mean = excluded.mean, minimum = excluded.minimum, maximum = excluded.maximum,
  flagged = excluded.flagged
"""


def _aggregate_month(dsn: str, ids: list[int], month: tuple[datetime, datetime]) -> int:
    import psycopg

    key = f"aggregate:{month[0]:%Y-%m}"
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        _bulk_session(conn)
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET jit = off")
        with conn.cursor() as cursor:
            cursor.execute(AGGREGATE_SQL, {"since": month[0], "until": month[1], "ids": ids})
            rows = cursor.rowcount
            _state_set(key, {"rows": rows, "seconds": round(time.perf_counter() - started, 1)},
                       cursor)
    return rows


def build_aggregates(grid: Grid, streams) -> dict:
    """Hourly and daily aggregates of the series, once (per month, resumable)."""
    from django.db import connection

    ids = [ds for ds, _code, _kit in streams]
    todo = [month for month in _months(grid)
            if _state_get(f"aggregate:{month[0]:%Y-%m}") is None]
    ran_now = bool(todo)
    if todo:
        log(f"aggregating {len(todo)} months (hours and days, set-based)")
        started = time.perf_counter()
        _run_parallel(lambda month: _aggregate_month(_dsn(), ids, month), todo,
                      lambda month, rows, done: log(
                          f"  {month[0]:%Y-%m}: {rows:,} aggregate rows "
                          f"({time.perf_counter() - started:.0f} s)"))
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE sensors_aggregate")
        _state_set("aggregate", {"seconds": round(seconds, 1), "months": len(todo)})
    return {"aggregate_ran_now": ran_now, **(_state_get("aggregate") or {})}


def _aggregate_rows(ids: list[int]) -> dict:
    from sensors.models import Aggregate

    return {(ds, interval, start): (count, mean, low, high, flagged)
            for ds, interval, start, count, mean, low, high, flagged in
            Aggregate.objects.filter(datastream_id__in=ids).values_list(
                "datastream_id", "interval", "start", "count", "mean", "minimum", "maximum",
                "flagged")}


def _same(ours: dict, theirs: dict) -> bool:
    """Equal rows; means may differ in the last bits (a sum in another order)."""
    if ours.keys() != theirs.keys():
        return False
    return all(
        a[0] == b[0] and a[2:] == b[2:] and math.isclose(a[1], b[1], rel_tol=1e-12)
        for key, a in ours.items() for b in [theirs[key]]
    )


def check_aggregates(ids: list[int]) -> dict:
    """Rebuild these datastreams' aggregates with the app's own code (`aggregates_rebuild`,
    as the Celery task computes them) and compare with the set-based rows."""
    from sensors.aggregates import aggregates_rebuild

    before = _aggregate_rows(ids)
    started = time.perf_counter()
    aggregates_rebuild(datastreams=ids, check_quality=False, batch_hours=20_000)
    seconds = time.perf_counter() - started
    return {"datastreams": len(ids), "rows": len(before),
            "same_rows_as_aggregates_rebuild": _same(before, _aggregate_rows(ids)),
            "app_rebuild_seconds": round(seconds, 2)}


# --- series: measuring ------------------------------------------------------------------------


def series_timings(kit, streams, rounds: int) -> dict:
    """The kit page's year of hourly averages: the selector, its SQL alone, the page."""
    from django.db import connection
    from django.test import Client

    from sensors import charts, feeds

    pm25 = next(ds for ds, code, kit_id in streams if kit_id == kit.pk and code == "pm25")
    since, until = charts.chart_window(period="1y", interval="hour")

    def selector():
        return len(feeds.datastream_series(datastream_id=pm25, interval="hour", since=since,
                                           until=until))

    client = Client()
    url = kit.get_absolute_url()
    params = {"datastream": pm25, "period": "1y", "interval": "hour"}

    def page():
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        return len(response.content)

    selector(), page()  # warm: connection, templates, caches of the database
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT start, mean, minimum, maximum, count "
            "FROM sensors_aggregate WHERE datastream_id = %s AND interval = 'hour' "
            "AND start >= %s AND start < %s ORDER BY start", [pm25, since, until])
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    selected = _timed(selector, rounds)
    shown = _timed(page, rounds)
    return {"datastream": pm25, "since": since.isoformat(), "until": until.isoformat(),
            "selector": selected, "page": shown, "url": f"{url}?datastream={pm25}&period=1y"
            "&interval=hour", "sql_execution_ms": round(plan[0]["Execution Time"], 2)}


def store_sizes() -> dict:
    """Bytes of the observation partitions and of the aggregates (tables + indexes) and rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_table_size(c.oid)), 0), "
            "coalesce(sum(pg_indexes_size(c.oid)), 0) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = 'sensors_observation'")
        observation_table, observation_indexes = (int(v) for v in cursor.fetchone())
        cursor.execute("SELECT pg_table_size('sensors_aggregate'), "
                       "pg_indexes_size('sensors_aggregate'), "
                       "pg_database_size(current_database())")
        aggregate_table, aggregate_indexes, database = (int(v) for v in cursor.fetchone())
        cursor.execute("SELECT count(*) FROM sensors_observation")
        observations = cursor.fetchone()[0]
        cursor.execute("SELECT interval, count(*) FROM sensors_aggregate GROUP BY interval")
        aggregates = dict(cursor.fetchall())
    mb = 1024 * 1024
    millions = max(observations / 1e6, 1e-9)
    return {
        "observations": observations,
        "aggregate_rows": aggregates,
        "observation_table_mb": round(observation_table / mb, 1),
        "observation_indexes_mb": round(observation_indexes / mb, 1),
        "observation_mb_per_million": round((observation_table + observation_indexes)
                                            / mb / millions, 1),
        "aggregate_table_mb": round(aggregate_table / mb, 1),
        "aggregate_indexes_mb": round(aggregate_indexes / mb, 1),
        "aggregate_mb_per_million_observations": round((aggregate_table + aggregate_indexes)
                                                       / mb / millions, 1),
        "database_mb": round(database / mb),
    }


def series_part(sizes: Sizes) -> list[dict]:
    kits, measured, streams = series_fixtures(sizes)
    fill = fill_observations(sizes, streams)
    grid = fill.pop("grid")
    aggregated = build_aggregates(grid, streams)
    check = _state_get("aggregate_check")
    if check is None:
        # Not the measured kit (the rebuild rewrites its rows elsewhere in the table). Quick:
        # every datastream of the first kit; full: its pm25 (~10 s for a year of hours).
        ids = [ds for ds, code, kit in streams
               if kit == kits[0].pk and (sizes is QUICK or code == "pm25")]
        check = check_aggregates(ids)
        _state_set("aggregate_check", check)
    sizes_now = store_sizes()
    timings = series_timings(measured, streams, sizes.rounds)
    selector, page = timings.pop("selector"), timings.pop("page")
    rows = selector.pop("result")
    page.pop("result")
    common = {"observations": sizes_now["observations"], "series_kits": len(kits),
              "datastreams": len(streams), "hourly_rows_returned": rows,
              "data_from": grid.start.isoformat(), "data_until": grid.end.isoformat()}
    met = lambda value: value <= SERIES_TARGET_MS  # noqa: E731
    return [
        _figure("kit's hourly series for a year: selector",
                selector["median_ms"], "ms", SERIES_TARGET_MS, "<=", met(selector["median_ms"]),
                **selector, **common, sql_execution_ms=timings["sql_execution_ms"]),
        _figure("kit page with a year of hourly averages", page["median_ms"], "ms",
                SERIES_TARGET_MS, "<=", met(page["median_ms"]), **page, url=timings["url"],
                **common),
        _figure("observation store per million observations",
                sizes_now["observation_mb_per_million"], "MB", None, None, None, **sizes_now),
        _figure("hourly + daily aggregates per million observations",
                sizes_now["aggregate_mb_per_million_observations"], "MB", None, None, None,
                aggregate_rows=sizes_now["aggregate_rows"], check=check, **aggregated),
        _figure("observation fill (binary COPY, 2 connections)",
                fill.get("rows_per_second"), "obs/s", None, None, None, **fill),
    ]


# --- the map feed -----------------------------------------------------------------------------


def map_fixtures(sizes: Sizes) -> int:
    """`map_kits` public kits around Zwolle with six quantities each, and fresh latest values
    (times within the last hour, so the feed shows live kits whenever the bench runs)."""
    from django.db import connection

    project = _project(MAP_PROJECT, "Benchmark map")
    spots = random.Random(7)
    kits = _kits_with_streams(
        project=project, prefix="bench-map", count=sizes.map_kits,
        placed=lambda n: (round(52.45 + spots.random() * 0.2, 6),
                          round(5.95 + spots.random() * 0.35, 6)),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sensors_datastream SET last_time = now() - (id %% 3600) * interval '1 second'"
            ", last_result = round((5 + (id * 7919 %% 6000) / 100.0)::numeric, 3) "
            "WHERE kit_id = ANY(%s)", [[kit.pk for kit in kits]])
    return len(kits)


def map_part(sizes: Sizes) -> list[dict]:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from sensors import feeds
    from sensors.models import ObservedProperty

    kits = map_fixtures(sizes)
    client = Client()
    url = reverse("sensors:map_data") + "?quantity=pm25"
    forms = {"gzip": {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}, "plain": {}}

    def request(form):
        def get():
            response = client.get(url, **forms[form])
            assert response.status_code == 200, response.status_code
            return len(response.content)
        return get

    feeds.map_feed_invalidate()
    request("gzip")()  # warm the connection and the code paths
    measured = {}
    for form in forms:
        measured[f"cold_{form}"] = _timed(request(form), sizes.cold_rounds,
                                          before=feeds.map_feed_invalidate)
    # What visitors get: the feeds as the beat task (map_feed_refresh) keeps them.
    refresh = _timed(feeds.map_feed_refresh, 3)
    for form in forms:
        measured[f"warm_{form}"] = _timed(request(form), sizes.rounds * 2)
    pm25 = ObservedProperty.objects.get(code="pm25")
    build = _timed(lambda: len(feeds.map_feed_build(quantity=pm25)), sizes.cold_rounds)
    document = json.loads(feeds.map_feed_build(quantity=pm25))
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    common = {"kits": kits, "features": len(document["features"]), "quantities_per_kit": 6,
              "cache": cache, "url": url}
    figures = []
    for form in forms:
        for state in ("cold", "warm"):
            timing = measured[f"{state}_{form}"]
            size = timing.pop("result")
            met = timing["median_ms"] <= MAP_TARGET_MS and timing["queries"] <= MAP_TARGET_QUERIES
            if state == "warm":
                figures.append(_figure(
                    f"map feed, {kits:,} kits, {form}, as kept by the refresh task",
                    timing["median_ms"], "ms", MAP_TARGET_MS, "<=", met, **timing,
                    body_bytes=size, target_queries=MAP_TARGET_QUERIES, **common))
            else:  # the rare path: a request right after a kit joined, left or moved
                figures.append(_figure(
                    f"map feed, {kits:,} kits, {form}, built by the request (after a change)",
                    timing["median_ms"], "ms", None, None, None, **timing, body_bytes=size,
                    note="until the next refresh (<= 60 s) after map_feed_invalidate",
                    **common))
    build.pop("result")
    feeds_built = refresh.pop("result")
    figures.append(_figure("map feed refresh task (every minute, all quantities, both forms)",
                           refresh["median_ms"], "ms", None, None, None, **refresh,
                           feeds_built=feeds_built, **common))
    figures.append(_figure("map feed build alone (feeds.map_feed_build)",
                           build["median_ms"], "ms", None, None, None, **build, **common))
    return figures


# --- main -------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, its own database")
    parser.add_argument("--part", choices=("map", "series", "all"), default="all")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    _setup_django(sizes)
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("sensors_store needs PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    figures = []
    if args.part in ("map", "all"):
        figures += map_part(sizes)
    if args.part in ("series", "all"):
        figures += series_part(sizes)
    from django.conf import settings

    part = {"all": "store"}.get(args.part, args.part)
    print(json.dumps({"part": part, "database": f"PostgreSQL {version}",
                      "quick": args.quick, "debug": settings.DEBUG, "figures": figures},
                     indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
