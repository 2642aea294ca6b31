"""The airrohr push under load: gunicorn (production settings) on this machine, driven by wrk.

Target (issue 5): >= 800 requests/s sustained (~4,000 observations/s) with p99 < 50 ms.

Many kits push, as in a real network: each of KITS kits (an SDS011 + a BME280, 5 values a push)
sends its own token, so the server authenticates and stores per kit, and no kit pushes twice
within the minimum interval (10 s). wrk (Debian package `wrk`) is the load generator; it keeps
few connections busy (CONNECTIONS) so the latency is the server's, not a queue in wrk. Without
wrk the script reports the figure as not measured.

    python bench/sensors_push.py [--quick]    -> one JSON document on stdout
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = "stadsmakers_bench_push"
BASE_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PUSH_PATH = "/api/v1/sensors/push/sensor-community/"
TARGET_RPS, TARGET_P99_MS = 800, 50
VALUES_PER_PUSH = 5
BODY = {
    "software_version": "NRZ-2024-135",
    "sensordatavalues": [
        {"value_type": "SDS_P1", "value": "12.30"},
        {"value_type": "SDS_P2", "value": "7.10"},
        {"value_type": "BME280_temperature", "value": "8.42"},
        {"value_type": "BME280_humidity", "value": "81.20"},
        {"value_type": "BME280_pressure", "value": "101325.00"},
        {"value_type": "samples", "value": "612345"},
        {"value_type": "signal", "value": "-71"},
    ],
}
# gthread workers keep a connection open between requests (wrk reuses its connections); on
# this 2-core machine 3 of them did best (sync x4: 425-545 req/s, gthread x3: 620-742).
WORKER_CLASS = os.environ.get("BENCH_GUNICORN_WORKER_CLASS", "gthread")
FULL = {"kits": 20_000, "seconds": 30, "warmup": 5, "connections": 8, "workers": 3}
QUICK = {"kits": 3000, "seconds": 2, "warmup": 1, "connections": 4, "workers": 2}

WRK_SCRIPT = r"""
local credentials = {}
for line in io.lines(os.getenv("BENCH_CREDENTIALS")) do credentials[#credentials + 1] = line end
local body = os.getenv("BENCH_BODY")
local counter = 0
local threads = 0
function setup(thread)
  -- a global of the thread's own Lua state (a top-level local would shadow it)
  thread:set("thread_index", threads)
  threads = threads + 1
end
function init(args)
  counter = tonumber(os.getenv("BENCH_START")) + thread_index * math.floor(#credentials / 2)
end
function request()
  counter = counter + 1
  local line = credentials[(counter % #credentials) + 1]
  local chip, auth = line:match("([^ ]+) ([^ ]+)")
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-Sensor"] = "esp8266-" .. chip,
    ["Authorization"] = "Basic " .. auth,
  }, body)
end
function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _database_url() -> str:
    return f"{BASE_URL}/{DATABASE}"


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{BASE_URL}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = _database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False, stdout=sys.stderr)


def _chip(index: int) -> str:
    return str(7_000_000 + index)


def _token(index: int) -> str:
    return f"bench-push-token-{index:06d}-0123456789abcdef"


def build_kits(count: int) -> None:
    """`count` active kits in one project, each with its five raw datastreams (steady state: a
    kit's first push makes its datastreams, later pushes find them)."""
    from django.utils import timezone

    from sensors import reference
    from sensors.models import Datastream, Kit, ObservedProperty, Project, Sensor
    from sensors.services import secret_hash

    reference.ensure()
    project, _ = Project.objects.get_or_create(
        slug="bench-push", defaults={
            "name": "Bench push", "summary": "bench", "description": "bench",
            "area": {"type": "Polygon", "coordinates": [[[6.0, 52.4], [6.2, 52.4], [6.2, 52.6],
                                                          [6.0, 52.6], [6.0, 52.4]]]}})
    now = timezone.now()
    kits = Kit.objects.bulk_create([
        Kit(project=project, name=f"bench kit {i}", device_id=f"esp8266-{_chip(i)}",
            token_hash=secret_hash(_token(i)), state=Kit.State.ACTIVE, token_created_at=now,
            latitude=52.52, longitude=6.08, public_latitude=52.52, public_longitude=6.08)
        for i in range(count)
    ], batch_size=2000)
    pairs = [("sds011", "pm10"), ("sds011", "pm25"), ("bme280", "temperature"),
             ("bme280", "humidity"), ("bme280", "pressure")]
    sensors = {s.code: s for s in Sensor.objects.filter(code__in={p[0] for p in pairs})}
    quantities = {
        q.code: q for q in ObservedProperty.objects.filter(code__in={p[1] for p in pairs})}
    Datastream.objects.bulk_create([
        Datastream(kit=kit, sensor=sensors[sensor], observed_property=quantities[quantity],
                   name=f"{quantity} {kit.name}")
        for kit in kits for sensor, quantity in pairs
    ], batch_size=5000)


def _credentials_file(count: int, folder: Path) -> Path:
    path = folder / "credentials.txt"
    lines = []
    for i in range(count):
        basic = base64.b64encode(f"esp8266-{_chip(i)}:{_token(i)}".encode()).decode()
        lines.append(f"{_chip(i)} {basic}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env() -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "600",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BSN_PSEUDONYM_SECRET": "bench-only-pseudonym-secret-0123456789",
        "DIGID_MODE": "mock",
        "DIGID_MOCK_ALLOWED_WITHOUT_DEBUG": "true",
    })
    return env


def _start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", WORKER_CLASS, "--threads", "1",
         "--keep-alive", "5", "--backlog", "2048",
         "--log-level", "warning",
         *(["--config", os.environ["BENCH_GUNICORN_CONFIG"]]
           if os.environ.get("BENCH_GUNICORN_CONFIG") else [])],
        cwd=ROOT, env=_server_env(), stdout=subprocess.DEVNULL, stderr=sys.stderr,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def _stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def _wrk(port: int, seconds: int, connections: int, script: Path, credentials: Path,
         start: int) -> dict:
    """wrk's two threads each walk through half of the kits from `start` on, so a kit pushes
    again only after (kits / requests per second) seconds, as in a real network."""
    env = dict(os.environ, BENCH_CREDENTIALS=str(credentials), BENCH_BODY=json.dumps(BODY),
               BENCH_START=str(start))
    output = subprocess.run(
        ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s",
         "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}{PUSH_PATH}"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _check_one_push(port: int) -> None:
    """One push by hand first: the load must measure stored pushes, not error answers."""
    import urllib.request

    basic = base64.b64encode(f"esp8266-{_chip(0)}:{_token(0)}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{PUSH_PATH}", data=json.dumps(BODY).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Sensor": f"esp8266-{_chip(0)}",
                 "Authorization": f"Basic {basic}"})
    # The workers may still be importing Django when the master already listens.
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - localhost
        answer = json.loads(response.read())
    if response.status != 201 or answer.get("stored") != VALUES_PER_PUSH:
        raise RuntimeError(f"the push did not store its values: {response.status} {answer}")


def _stored_since(start_count: int) -> int:
    from sensors.models import Observation

    return Observation.objects.count() - start_count


def run(quick: bool) -> dict:
    size = dict(QUICK if quick else FULL)
    for key in ("connections", "workers", "seconds"):  # to explore, e.g. BENCH_PUSH_WORKERS=3
        size[key] = int(os.environ.get(f"BENCH_PUSH_{key.upper()}", size[key]))
    figures = []
    if shutil.which("wrk") is None:
        figures.append({"figure": "airrohr push throughput", "value": None, "unit": "req/s",
                        "target": TARGET_RPS, "comparison": ">=", "met": None,
                        "details": {"skipped": "wrk is not installed (apt install wrk)"}})
        return {"part": "push", "figures": figures}
    _recreate_database()
    _setup_django()
    from django.db import connection

    _log(f"push bench: {size['kits']} kits")
    build_kits(size["kits"])
    folder = Path(tempfile.mkdtemp())
    script = folder / "push.lua"
    script.write_text(WRK_SCRIPT)
    credentials = _credentials_file(size["kits"], folder)
    port = _free_port()
    server = _start_gunicorn(port, size["workers"])
    try:
        _check_one_push(port)
        _wrk(port, size["warmup"], size["connections"], script, credentials, start=0)
        before = _stored_since(0)
        result = _wrk(port, size["seconds"], size["connections"], script, credentials,
                      start=size["kits"] // 4)
        stored = _stored_since(before)
    finally:
        _stop(server)
    seconds = result["duration_us"] / 1e6
    rps = result["requests"] / seconds
    p99_ms = result["p99_us"] / 1000
    errors = result["status_errors"] + result["connect_errors"] + result["read_errors"] \
        + result["timeouts"]
    details = {
        "kits": size["kits"], "seconds": round(seconds, 1), "requests": result["requests"],
        "errors": errors, "gunicorn_workers": size["workers"], "worker_class": WORKER_CLASS,
        "wrk_connections": size["connections"], "cpu_cores": os.cpu_count(),
        "observations_stored": stored,
        "observations_per_second": round(stored / seconds),
        "values_per_push": VALUES_PER_PUSH,
    }
    figures.append({"figure": "airrohr push throughput (gunicorn)", "value": round(rps, 1),
                    "unit": "req/s", "target": TARGET_RPS, "comparison": ">=",
                    "met": rps >= TARGET_RPS and errors == 0, "details": details})
    figures.append({"figure": "airrohr push latency p99 (gunicorn)", "value": round(p99_ms, 2),
                    "unit": "ms", "target": TARGET_P99_MS, "comparison": "<=",
                    "met": p99_ms < TARGET_P99_MS,
                    "details": {"p50_ms": result["p50_us"] / 1000,
                                "p90_ms": result["p90_us"] / 1000,
                                "max_ms": result["max_us"] / 1000}})
    return {"part": "push", "database": f"PostgreSQL {connection.pg_version}", "figures": figures}


def main(argv: list[str]) -> int:
    print(json.dumps(run(quick="--quick" in argv), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
