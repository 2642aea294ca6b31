"""Bulk ingest into PostgreSQL (issue 5): >= 100,000 observations/s through the backlog upload
(CSV) and SensorThings CreateObservations, each reported beside a plain `COPY` of the same rows
in the same run.

Kits' backlogs of OBSERVATIONS observations per path (quick: 20,000), as 10,000-row bodies (the
APIs' limit): every body is one kit's 2,000 minutes of its five quantities. The same rows (same
times and values) go through four paths, each into its own kits' datastreams:

- (a) `POST /api/v1/sensors/kits/<device id>/observations/` with a CSV body,
- (b) `POST /sta/v1.1/CreateObservations` with a dataArray body,
  both in-process with Django's test client, authenticated as the kits are (HTTP Basic, device
  id and device token), production settings (DEBUG off);
- (c) `sensors.services.observations_store` called directly with ready `Reading`s (the store
  alone, without HTTP and parsing);
- (d) a plain `COPY sensors_observation (...) FROM STDIN` of the prepared rows, one 10,000-row
  COPY and commit per body, alternately in text and binary format; the faster format is the
  reference for the ratios (conservative). As a detail, the same binary COPY into a copy of
  the table without its foreign key to the datastreams: what checking that key costs.

The bodies of the four paths take turns, so all write to the same, equally grown table (same
partitions, indexes and foreign key). Each path is timed per body with `time.perf_counter`
(building the body is not timed); obs/s = rows / summed time. Then the CSV bodies are sent again
(a replay: nothing new may be stored) and timed the same way. The store starts empty every run
(the bench's own database, `stadsmakers_bench_bulk`, made if missing).

    python bench/sensors_bulk.py [--quick | --observations=N]    -> one JSON document on stdout
"""

import base64
import gc
import io
import json
import math
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = "stadsmakers_bench_bulk"
BASE_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PROJECT_SLUG = "bench-bulk"
TARGET_OBS_PER_S = 100_000
OBSERVATIONS, QUICK_OBSERVATIONS = 1_000_000, 20_000
BODY_ROWS = 10_000  # the APIs' limit per request
STREAMS = (("pm25", "sds011"), ("pm10", "sds011"), ("temperature", "bme280"),
           ("humidity", "bme280"), ("pressure", "bme280"))
MINUTES_PER_BODY = BODY_ROWS // len(STREAMS)
BODIES_PER_KIT = 5  # a kit's backlog: 5 bodies, 50,000 observations, ~7 days
PATHS = ("csv", "sta", "store", "copy", "server")
SERVER_CLIENTS = 2  # uploads at the same time, as a server gets them (one per core here)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _database_ensure() -> None:
    import psycopg

    with psycopg.connect(f"{BASE_URL}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               [DATABASE]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{DATABASE}"')


def _setup_django() -> None:
    os.environ.update({
        "DATABASE_URL": f"{BASE_URL}/{DATABASE}",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        # production behaviour: no query log, no debug pages
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "BSN_PSEUDONYM_SECRET": "bench-only-pseudonym-secret-0123456789",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DIGID_MODE": "mock",
        "DIGID_MOCK_ALLOWED_WITHOUT_DEBUG": "true",
        # one client sends hundreds of requests a minute: no API throttling
        "API_THROTTLE_ANON": "1000000/min",
        "API_THROTTLE_USER": "1000000/min",
    })
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False, stdout=sys.stderr)
    gc.collect()  # the migration run's garbage: a web worker never has it
    # Then start as a web worker does (what portal/wsgi.py does at start counts here too).
    import portal.wsgi  # noqa: F401


# --- the rows ------------------------------------------------------------------------------


def _value(quantity: str, minute: int) -> float:
    """Plausible, deterministic values: a daily cycle plus a little wobble."""
    day = math.sin(2 * math.pi * minute / 1440)
    wobble = (minute * 7919 % 101) / 100
    base = {"pm25": 9 + 4 * day, "pm10": 16 + 6 * day, "temperature": 11 + 5 * day,
            "humidity": 75 - 12 * day, "pressure": 1013 + 2 * day}[quantity]
    return round(base + wobble, 2)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Body:
    """One body's rows, the same for every path: (quantity, sensor, time, value) for the
    MINUTES_PER_BODY minutes of body `part` of a kit's backlog, starting at `start`."""

    def __init__(self, start: datetime, part: int):
        first = part * MINUTES_PER_BODY
        self.rows = [(quantity, sensor, start + timedelta(minutes=minute),
                      _value(quantity, minute))
                     for minute in range(first, first + MINUTES_PER_BODY)
                     for quantity, sensor in STREAMS]

    def csv(self) -> bytes:
        lines = ["quantity,sensor,value,time"]
        lines += [f"{quantity},{sensor},{value},{_iso(moment)}"
                  for quantity, sensor, moment, value in self.rows]
        return ("\n".join(lines) + "\n").encode()

    def create_observations(self, streams: dict[str, int]) -> bytes:
        arrays: dict[str, list] = {quantity: [] for quantity, _sensor in STREAMS}
        for quantity, _sensor, moment, value in self.rows:
            arrays[quantity].append([_iso(moment), value])
        return json.dumps([
            {"Datastream": {"@iot.id": streams[quantity]},
             "components": ["phenomenonTime", "result"],
             "dataArray@iot.count": len(rows), "dataArray": rows}
            for quantity, rows in arrays.items()]).encode()

    def readings(self, streams: dict[str, int]) -> list:
        from sensors.services import Reading

        return [Reading(streams[quantity], moment, value)
                for quantity, _sensor, moment, value in self.rows]

    def copy_rows(self, streams: dict[str, int]) -> list[tuple]:
        return [(streams[quantity], moment, value, 0)
                for quantity, _sensor, moment, value in self.rows]


# --- kits -------------------------------------------------------------------------------------


class Kit:
    """A bench kit: its device id, Basic credentials and datastreams (quantity -> id)."""

    def __init__(self, kit, token: str, streams: dict[str, int]):
        self.kit = kit
        self.device_id = kit.device_id
        self.authorization = "Basic " + base64.b64encode(
            f"{kit.device_id}:{token}".encode()).decode()
        self.streams = streams


# The observation table of migration 0002 without its foreign key to the datastreams, for
# a COPY that shows what checking that key costs (a detail of the COPY figure).
NO_FK_TABLE = "bench_observation_no_fk"
NO_FK_DDL = f"""
DROP TABLE IF EXISTS {NO_FK_TABLE};
CREATE TABLE {NO_FK_TABLE} (
    id bigint GENERATED BY DEFAULT AS IDENTITY,
    datastream_id bigint NOT NULL,
    phenomenon_time timestamp with time zone NOT NULL,
    result double precision NOT NULL,
    result_time timestamp with time zone NULL,
    quality smallint NOT NULL CHECK (quality >= 0),
    PRIMARY KEY (id, phenomenon_time),
    UNIQUE (datastream_id, phenomenon_time)
) PARTITION BY RANGE (phenomenon_time);
CREATE TABLE {NO_FK_TABLE}_default PARTITION OF {NO_FK_TABLE} DEFAULT;
CREATE INDEX ON {NO_FK_TABLE} USING brin (phenomenon_time);
"""


def _store_reset() -> None:
    """Every run starts from an empty observation store and without the earlier runs' kits."""
    from django.db import connection

    from sensors.models import Kit as KitModel

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE sensors_observation, sensors_aggregatedirty, sensors_aggregate")
        cursor.execute(NO_FK_DDL)
    KitModel.objects.filter(project__slug=PROJECT_SLUG).delete()


def _project():
    from sensors.models import Project

    project, _created = Project.objects.get_or_create(slug=PROJECT_SLUG, defaults={
        "name": "Bulk ingest bench", "summary": "Benchmark", "description": "Benchmark",
        "area": {"type": "Polygon", "coordinates": [[[6.0, 52.5], [6.1, 52.5], [6.1, 52.6],
                                                     [6.0, 52.5]]]}})
    return project


def make_kits(path: str, count: int) -> list[Kit]:
    """`count` active kits of the bench project with device tokens and their five raw
    datastreams (a kit with a backlog has sent data before)."""
    from sensors.models import Kit as KitModel
    from sensors.services import datastream_for, secret_hash

    project = _project()
    kits = []
    for number in range(count):
        token = f"bench-bulk-{path}-{number:04d}-0123456789abcdef"
        kit = KitModel.objects.create(
            project=project, device_id=f"esp8266-{_chip(path, number)}",
            name=f"Bulk {path} {number}", state=KitModel.State.ACTIVE,
            token_hash=secret_hash(token))
        streams = {quantity: datastream_for(kit=kit, property_code=quantity,
                                            sensor_code=sensor).pk
                   for quantity, sensor in STREAMS}
        kits.append(Kit(kit, token, streams))
    return kits


def _chip(path: str, number: int) -> int:
    return 9_000_000 + PATHS.index(path) * 100_000 + number


# --- the paths ----------------------------------------------------------------------------------


class Stopwatch:
    """Wall time (`time.perf_counter`) and this process's CPU time of a block: the difference is
    mostly PostgreSQL's share (and, on a busy machine, waiting for a core)."""

    def __enter__(self):
        self.seconds, self.cpu_seconds = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.seconds
        self.cpu_seconds = time.process_time() - self.cpu_seconds


class Paths:
    """Each method sends one body one way and returns (Stopwatch, observations stored)."""

    def __init__(self):
        from django.test import Client

        self.client = Client()

    def csv(self, body: Body, kit: Kit, *, replay: bool = False) -> tuple[Stopwatch, int]:
        data = body.csv()
        with Stopwatch() as watch:
            response = self.client.post(
                f"/api/v1/sensors/kits/{kit.device_id}/observations/", data=data,
                content_type="text/csv", HTTP_AUTHORIZATION=kit.authorization)
        answer = response.json()
        expected = (200, 0) if replay else (201, BODY_ROWS)
        if (response.status_code, answer.get("stored")) != expected or answer["rejected"]:
            raise RuntimeError(f"CSV upload: {response.status_code} {str(answer)[:300]}")
        return watch, answer["stored"]

    def sta(self, body: Body, kit: Kit) -> tuple[Stopwatch, int]:
        data = body.create_observations(kit.streams)
        with Stopwatch() as watch:
            response = self.client.post("/sta/v1.1/CreateObservations", data=data,
                                        content_type="application/json",
                                        HTTP_AUTHORIZATION=kit.authorization)
        links = response.json()
        if response.status_code != 201 or len(links) != BODY_ROWS or "error" in links:
            raise RuntimeError(f"CreateObservations: {response.status_code} {str(links)[:300]}")
        return watch, len(links)

    def store(self, body: Body, kit: Kit) -> tuple[Stopwatch, int]:
        from sensors.services import observations_store

        readings = body.readings(kit.streams)
        with Stopwatch() as watch:
            result = observations_store(readings)
        if result.stored != BODY_ROWS:
            raise RuntimeError(f"observations_store stored {result.stored}, rejected "
                               f"{result.rejected[:3]}")
        return watch, result.stored

    def copy(self, body: Body, kit: Kit, *, binary: bool,
             table: str = "sensors_observation") -> tuple[Stopwatch, int]:
        from django.db import connection, transaction

        rows = body.copy_rows(kit.streams)
        columns = f"{table} (datastream_id, phenomenon_time, result, quality)"
        if binary:
            payload = None
            statement = f"COPY {columns} FROM STDIN (FORMAT BINARY)"
        else:
            payload = "".join(f"{ds}\t{moment.isoformat()}\t{value!r}\t{quality}\n"
                              for ds, moment, value, quality in rows).encode()
            statement = f"COPY {columns} FROM STDIN"
        with Stopwatch() as watch, transaction.atomic(), connection.cursor() as cursor, \
                cursor.copy(statement) as copy:
            if binary:
                copy.set_types(["int8", "timestamptz", "float8", "int2"])
                for row in rows:
                    copy.write_row(row)
            else:
                copy.write(payload)
        return watch, len(rows)


def _queries(fn) -> int:
    """SQL statements one call of `fn` runs (COPY is not among them: it is no cursor.execute)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def _summary(watches: list[Stopwatch], stored: int) -> dict:
    seconds = sorted(watch.seconds for watch in watches)
    total, rows = sum(seconds), len(watches) * BODY_ROWS
    return {"obs_per_s": round(rows / total) if total else None, "rows": rows,
            "stored": stored, "bodies": len(watches), "seconds": round(total, 2),
            "median_ms_per_body": round(statistics.median(seconds) * 1000, 1),
            "p95_ms_per_body": round(seconds[max(math.ceil(len(seconds) * 0.95) - 1, 0)]
                                     * 1000, 1),
            "python_cpu_ms_per_body": round(statistics.median(
                watch.cpu_seconds for watch in watches) * 1000, 1)}


def server_uploads(kits: list[Kit], start: datetime, bodies: int) -> dict:
    """The CSV upload through gunicorn (production settings, as bench/sensors_push.py runs
    it) with SERVER_CLIENTS clients uploading at the same time: what the server ingests
    when several kits send their backlog, both cores busy."""
    import http.client
    import threading

    import sensors_push

    sensors_push.DATABASE = DATABASE  # the same server settings, on this bench's database
    port = sensors_push._free_port()
    server = sensors_push._start_gunicorn(port, SERVER_CLIENTS)
    jobs = [(kits[number // BODIES_PER_KIT], Body(start, number % BODIES_PER_KIT).csv())
            for number in range(bodies)]
    failures, stored = [], [0]
    lock = threading.Lock()

    def client(share):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for kit, data in share:
            connection.request("POST", f"/api/v1/sensors/kits/{kit.device_id}/observations/",
                               body=data, headers={"Content-Type": "text/csv",
                                                   "Authorization": kit.authorization})
            response = connection.getresponse()
            answer = json.loads(response.read())
            with lock:
                if response.status != 201:
                    failures.append((response.status, str(answer)[:200]))
                stored[0] += answer.get("stored", 0)
        connection.close()

    try:
        client(jobs[:SERVER_CLIENTS])  # warm: workers import, connect, plan
        jobs = jobs[SERVER_CLIENTS:]
        threads = [threading.Thread(target=client, args=(jobs[i::SERVER_CLIENTS],))
                   for i in range(SERVER_CLIENTS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        sensors_push._stop(server)
    if failures:
        raise RuntimeError(f"server uploads failed: {failures[:3]}")
    measured = stored[0] - SERVER_CLIENTS * BODY_ROWS
    return {"obs_per_s": round(measured / seconds), "seconds": round(seconds, 2),
            "bodies": len(jobs), "observations": measured, "clients": SERVER_CLIENTS,
            "gunicorn_workers": SERVER_CLIENTS}


def run(observations: int) -> dict:
    from django.db import connection

    from sensors.partitions import partitions_ensure

    bodies = math.ceil(observations / BODY_ROWS)
    kit_count = math.ceil(bodies / BODIES_PER_KIT)
    minutes = BODIES_PER_KIT * MINUTES_PER_BODY
    # every kit's backlog: the same minutes, ending at least a day ago
    start = (datetime.now(UTC) - timedelta(minutes=minutes) - timedelta(days=1)).replace(
        second=0, microsecond=0)
    _store_reset()
    partitions_ensure(months_ahead=1, since=start.date())
    _log(f"bulk: {bodies} bodies of {BODY_ROWS} rows per path, {kit_count} kits per path")
    server_bodies = max(bodies, 4 * SERVER_CLIENTS)  # quick mode too: some after the warm-up
    kits = {path: make_kits(path, kit_count + 1) for path in PATHS if path != "server"}
    kits["server"] = make_kits("server", math.ceil(server_bodies / BODIES_PER_KIT))
    server = server_uploads(kits["server"], start, server_bodies)
    paths = Paths()

    # Two warm-up bodies per path on a kit of its own (the last), not timed: the first warms
    # code and plans, the second counts the SQL statements.
    warm = {path: kits[path][-1] for path in PATHS}
    first, second = Body(start, 0), Body(start, 1)
    paths.csv(first, warm["csv"])
    paths.sta(first, warm["sta"])
    paths.store(first, warm["store"])
    paths.copy(first, warm["copy"], binary=True)
    queries = {"csv": _queries(lambda: paths.csv(second, warm["csv"])),
               "sta": _queries(lambda: paths.sta(second, warm["sta"])),
               "store": _queries(lambda: paths.store(second, warm["store"]))}
    csv_replay_queries = _queries(lambda: paths.csv(second, warm["csv"], replay=True))

    timings: dict[str, list[Stopwatch]] = {name: [] for name in (
        "csv", "sta", "store", "copy_text", "copy_binary", "copy_no_fk")}
    stored = dict.fromkeys(timings, 0)
    for number in range(bodies):
        kit, part = divmod(number, BODIES_PER_KIT)
        body = Body(start, part)
        copy_format = "copy_binary" if number % 2 else "copy_text"
        for name, measure in (
            (copy_format, lambda b=body, k=kit, f=copy_format: paths.copy(
                b, kits["copy"][k], binary=f == "copy_binary")),
            ("csv", lambda b=body, k=kit: paths.csv(b, kits["csv"][k])),
            ("sta", lambda b=body, k=kit: paths.sta(b, kits["sta"][k])),
            ("store", lambda b=body, k=kit: paths.store(b, kits["store"][k])),
            ("copy_no_fk", lambda b=body, k=kit: paths.copy(
                b, kits["copy"][k], binary=True, table=NO_FK_TABLE)),
        ):
            watch, count = measure()
            timings[name].append(watch)
            stored[name] += count
        if (number + 1) % 10 == 0:
            _log(f"bulk: {number + 1}/{bodies} bodies")

    replay: list[Stopwatch] = []
    for number in range(bodies):
        kit, part = divmod(number, BODIES_PER_KIT)
        replay.append(paths.csv(Body(start, part), kits["csv"][kit], replay=True)[0])

    summaries = {name: _summary(watches, stored[name]) for name, watches in timings.items()}
    copy_rate = max(summaries["copy_text"]["obs_per_s"] or 0,
                    summaries["copy_binary"]["obs_per_s"] or 0)
    copy_format = "binary" if copy_rate == summaries["copy_binary"]["obs_per_s"] else "text"

    def path_figure(name: str, figure: str, target) -> dict:
        details = dict(summaries[name], queries_per_body=queries[name])
        value = details.pop("obs_per_s")
        return {"figure": figure, "value": value, "unit": "obs/s", "target": target,
                "comparison": ">=" if target else None,
                "met": value >= target if target else None, "details": details}

    def ratio(name: str, figure: str) -> dict:
        rate = summaries[name]["obs_per_s"]
        return {"figure": figure, "value": round(rate / copy_rate, 3), "unit": "ratio",
                "target": None, "comparison": None, "met": None,
                "details": {"path_obs_per_s": rate, "copy_obs_per_s": copy_rate,
                            "copy_format": copy_format}}

    server_rate = server.pop("obs_per_s")
    figures = [
        {"figure": f"bulk upload, CSV, gunicorn, {SERVER_CLIENTS} uploads at a time",
         "value": server_rate, "unit": "obs/s", "target": TARGET_OBS_PER_S, "comparison": ">=",
         "met": server_rate >= TARGET_OBS_PER_S, "details": server},
        {"figure": "bulk upload, CSV, gunicorn / plain COPY",
         "value": round(server_rate / copy_rate, 3), "unit": "ratio", "target": None,
         "comparison": None, "met": None,
         "details": {"path_obs_per_s": server_rate, "copy_obs_per_s": copy_rate}},
        # one request at a time, in-process (the test client): where the time goes
        path_figure("csv", "bulk upload, CSV, one at a time (10,000-row bodies)", None),
        path_figure("sta", "CreateObservations, one at a time (10,000-row bodies)", None),
        path_figure("store", "observations_store, direct (10,000 readings a call)", None),
        {"figure": "plain COPY of the same rows (10,000 a COPY)", "value": copy_rate,
         "unit": "obs/s", "target": None, "comparison": None, "met": None,
         "details": {"reference_format": copy_format, "text": summaries["copy_text"],
                     "binary": summaries["copy_binary"],
                     # the same table without its foreign key to the datastreams
                     "binary_without_foreign_key": summaries["copy_no_fk"]}},
        ratio("csv", "bulk upload, CSV / plain COPY"),
        ratio("sta", "CreateObservations / plain COPY"),
        ratio("store", "observations_store / plain COPY"),
    ]
    replay_summary = _summary(replay, 0)
    replay_rate = replay_summary.pop("obs_per_s")
    figures.append({"figure": "bulk upload, CSV, replayed (nothing new stored)",
                    "value": replay_rate, "unit": "obs/s", "target": None,
                    "comparison": None, "met": None,
                    "details": dict(replay_summary, queries_per_body=csv_replay_queries)})
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    return {"part": "bulk", "database": f"PostgreSQL {version}", "figures": figures}


def _observations(argv: list[str]) -> int:
    for argument in argv:
        if argument.startswith("--observations="):
            return int(argument.split("=", 1)[1])
    return QUICK_OBSERVATIONS if "--quick" in argv else OBSERVATIONS


def main(argv: list[str]) -> int:
    _database_ensure()
    quiet = io.StringIO()
    stdout, sys.stdout = sys.stdout, quiet  # stdout carries only the JSON document
    try:
        _setup_django()
        document = run(_observations(argv))
    finally:
        sys.stdout = stdout
    if quiet.getvalue().strip():
        _log(quiet.getvalue())
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
