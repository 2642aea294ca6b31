"""`make bench`: the speed figures of the portal, as one JSON document on stdout.

Two parts:

* pages: server-side response times of the main pages, in-process with Django's test client
  against a fresh SQLite database filled with the demo data (or against DATABASE_URL when
  set), so the figures measure our code and queries, not the network. Each page is requested
  WARMUP times, then ROUNDS times measured.
* sensors: the issue-5 targets on PostgreSQL (BENCH_POSTGRES_URL, default the local server):
  the airrohr push under gunicorn + wrk, bulk ingest against plain COPY, the map feed at
  10,000 kits and a year's hourly series from >= 50 million observations. Each part is its own
  script (bench/sensors_*.py) run as a subprocess with its own database; every figure carries
  its target and whether it is met, and a table of them goes to stderr.

    python bench/run.py [pages] [sensors] [--quick]    (default: both, full size)
"""

import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WARMUP, ROUNDS = 5, 50
SCALE_WARMUP, SCALE_ROUNDS = 2, 20
SCALE_ALGORITHMS, SCALE_PILOTS, SCALE_EVALUATED = 2000, 5000, 500
SCALE_IDEAS = 10_000


def _setup_django():
    if "DATABASE_URL" not in os.environ:
        db_file = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{db_file}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # The bench sends thousands of requests a minute from one client: no API throttling.
    os.environ["API_THROTTLE_ANON"] = os.environ["API_THROTTLE_USER"] = "1000000/min"
    # Demo data sends e-mail (followers of a pilot); keep it off stdout, which is the JSON.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    from django.core.management import call_command

    quiet = io.StringIO()  # stdout carries only the JSON document
    call_command("migrate", verbosity=0, interactive=False, stdout=quiet)
    call_command("load_demo", verbosity=0, stdout=quiet)


def build_registers(algorithms, pilots, evaluated, prefix="schaal"):
    """Fill both registers FAST with published records, for the bench and the scale tests.

    `bulk_create` inserts rows directly (no services, no save()): every row is inserted in its
    final, published state, so nothing published is ever changed afterwards, which is what the
    immutability guards protect. Only `Algorithm.current_version` and `Pilot.current_version`
    are set after the insert (bulk_update on models that are not frozen). Each pilot gets two
    KPIs and its published version 1; the first `evaluated` pilots get a published final
    evaluation with a result per KPI.
    """
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from registry import standard
    from registry.models import (
        Algorithm,
        AlgorithmVersion,
        Evaluation,
        Kpi,
        KpiResult,
        Pilot,
        PilotVersion,
        kpi_definition,
    )

    now = timezone.now()
    themes = standard.THEME_VALUES
    new_algorithms = Algorithm.objects.bulk_create(
        [Algorithm(slug=f"{prefix}-algoritme-{n:05d}") for n in range(algorithms)],
        batch_size=500,
    )
    versions = AlgorithmVersion.objects.bulk_create(
        [
            AlgorithmVersion(
                algorithm=algorithm, number=1, state=AlgorithmVersion.State.PUBLISHED,
                published_at=now, submitted_at=now,
                name=f"Algoritme {n}", description_short=f"Korte omschrijving van algoritme {n}.",
                organization="Gemeente Zoetermeer", category=[themes[n % len(themes)]],
                status=standard.STATUS_VALUES[n % len(standard.STATUS_VALUES)],
                begin_date="2020-01", contact_email="algoritmes@zoetermeer.example",
                publication_category=standard.PUBLICATION_CATEGORY_VALUES[
                    n % len(standard.PUBLICATION_CATEGORY_VALUES)
                ],
                goal="Doel.", methods_and_models="Vaste regels. Niet zelflerend.",
                lang=standard.LANGUAGE, standard_version=standard.STANDARD_VERSION,
                department=f"Afdeling {n % 7}",
            )
            for n, algorithm in enumerate(new_algorithms)
        ],
        batch_size=500,
    )
    for algorithm, version in zip(new_algorithms, versions, strict=True):
        algorithm.current_version = version
    Algorithm.objects.bulk_update(new_algorithms, ["current_version"], batch_size=500)

    statuses = [Pilot.Status.RUNNING, Pilot.Status.EVALUATING, Pilot.Status.PREPARATION]
    new_pilots = Pilot.objects.bulk_create(
        [
            Pilot(
                slug=f"{prefix}-pilot-{n:05d}", state=Pilot.State.PUBLISHED,
                status=Pilot.Status.ADJUSTED if n < evaluated else statuses[n % len(statuses)],
                published_at=now, submitted_at=now,
                title=f"Pilot {n}", summary=f"Samenvatting van pilot {n}.",
                theme=themes[n % len(themes)], start_date=dt.date(2024, 1, 1),
                planned_end_date=dt.date(2025, 12, 31), neighbourhood=f"Wijk {n % 12}",
                latitude=Decimal("52.05") + Decimal(n % 100) / 1000,
                longitude=Decimal("4.49") + Decimal(n % 97) / 1000,
                department=f"Afdeling {n % 7}", alderman="Wethouder Jansen",
                problem="Probleem.", goal="Doel.", hypothesis="Als …, dan …",
                intervention="Interventie.", evaluation_design="Voor- en nameting.",
                data_collected="Tellingen.",
                next_review_date=dt.date(2024, 6, 1) if n % 3 == 0 else dt.date(2030, 1, 1),
            )
            for n in range(pilots)
        ],
        batch_size=500,
    )
    kpis = Kpi.objects.bulk_create(
        [
            Kpi(pilot=pilot, name=f"KPI {k} van {pilot.title}", unit="%",
                baseline_value=Decimal("10"), target_value=Decimal("20"))
            for pilot in new_pilots
            for k in (1, 2)
        ],
        batch_size=1000,
    )
    # Version 1 of every pilot: the frozen snapshot pilot_publish() keeps, inserted published.
    pilot_versions = PilotVersion.objects.bulk_create(
        [
            PilotVersion(
                pilot=pilot, number=1, state=PilotVersion.State.PUBLISHED, published_at=now,
                submitted_at=now, algorithms=[],
                kpis=[kpi_definition(kpi) for kpi in kpis[2 * index:2 * index + 2]],
                **{field: getattr(pilot, field) for field in Pilot.CONTENT_FIELDS},
            )
            for index, pilot in enumerate(new_pilots)
        ],
        batch_size=500,
    )
    for pilot, version in zip(new_pilots, pilot_versions, strict=True):
        pilot.current_version = version
    Pilot.objects.bulk_update(new_pilots, ["current_version"], batch_size=500)
    evaluations = Evaluation.objects.bulk_create(
        [
            Evaluation(
                pilot=pilot, state=Evaluation.State.PUBLISHED, published_at=now,
                kind=Evaluation.Kind.FINAL, evaluated_on=dt.date(2025, 4, 1), evaluator="TNO",
                method="Tellingen.", council_summary="Samenvatting voor de raad.",
                lessons_learned="Lessen.", recommendation="adjust", decision="adjust",
                decision_by="College van B en W", decision_date=dt.date(2025, 5, 1),
            )
            for pilot in new_pilots[:evaluated]
        ],
        batch_size=500,
    )
    KpiResult.objects.bulk_create(
        [
            KpiResult(evaluation=evaluation, kpi=kpi, value=Decimal("15"),
                      assessment="met" if kpi.pk % 2 else "not_met")
            for index, evaluation in enumerate(evaluations)  # evaluation i is of pilot i
            for kpi in kpis[2 * index:2 * index + 2]
        ],
        batch_size=1000,
    )


def build_ideas(count, prefix="schaal"):
    """Fill the idea list FAST with published ideas (bulk_create, final state, counters set as
    the services would leave them), spread over themes, statuses and neighbourhoods; two in
    three have a location inside the map bounds. Returns the ideas."""
    from decimal import Decimal

    from django.conf import settings
    from django.utils import timezone

    from portal.ideas.models import Idea, Neighbourhood, Status, Theme

    now = timezone.now()
    neighbourhoods = [
        Neighbourhood.objects.get_or_create(slug=f"{prefix}-wijk-{n}",
                                            defaults={"name": f"{prefix} wijk {n}"})[0]
        for n in range(8)
    ]
    south, west, north, east = settings.MAP_BOUNDS
    themes, statuses = Theme.values, Status.values
    return Idea.objects.bulk_create(
        [
            Idea(
                title=f"{prefix} idee {n} voor een groenere buurt",
                body=f"Beschrijving van idee {n}: meer bomen, bankjes en veilige fietspaden.",
                theme=themes[n % len(themes)], status=statuses[n % len(statuses)],
                moderation="published", neighbourhood=neighbourhoods[n % len(neighbourhoods)],
                latitude=None if n % 3 == 0 else Decimal(str(round(
                    south + (north - south) * ((n * 37) % 1000) / 1000, 5))),
                longitude=None if n % 3 == 0 else Decimal(str(round(
                    west + (east - west) * ((n * 91) % 1000) / 1000, 5))),
                support_count=(n * 7) % 250, comment_count=(n * 3) % 40,
                submitted_at=now - timezone.timedelta(minutes=n),
                published_at=now - timezone.timedelta(minutes=n),
            )
            for n in range(count)
        ],
        batch_size=1000,
    )


def _measure(client, url, warmup=WARMUP, rounds=ROUNDS):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    durations = []
    reset_queries()  # each request resets the log; start the capture from an empty one
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    durations.sort()
    return {
        "url": url,
        "median_ms": round(statistics.median(durations), 2),
        "p95_ms": round(durations[int(len(durations) * 0.95) - 1], 2),
        "queries": len(queries.captured_queries),
    }


def pages_main():
    _setup_django()
    from django.conf import settings
    from django.test import Client

    from portal.accounts.models import User
    from registry.models import Algorithm, Pilot

    anonymous = Client()
    resident = Client()
    resident.post("/digid/idp/", {"resident": "fatima", "level": "midden"}, follow=True)
    algorithm = Algorithm.objects.get(slug="scanauto-parkeercontrole")
    pilot = Pilot.objects.filter(evaluations__isnull=False).order_by("slug").first()
    member = Client()
    member.force_login(User.objects.get(email="moderator@demo.stadsmakers.nl"))
    pages = {
        "home_anonymous": (anonymous, "/"),
        "home_logged_in": (member, "/"),
        "login_choice": (anonymous, "/inloggen/"),
        "healthz": (anonymous, "/healthz"),
        "notifications": (member, "/meldingen/"),
        "api_me": (member, "/api/v1/me/"),
        "api_schema": (anonymous, "/api/v1/schema/"),
        "my_consents": (resident, "/mijn-gegevens/toestemmingen/"),
        "api_my_consents": (resident, "/api/v1/me/consents/"),
        "algorithm_list": (anonymous, "/registers/algoritmes/"),
        "algorithm_detail": (anonymous, f"/registers/algoritmes/{algorithm.slug}/"),
        "api_algorithms": (anonymous, "/api/v1/algorithms/"),
        "my_data": (resident, "/mijn-gegevens/"),
        "pilot_list": (anonymous, "/registers/pilots/"),
        "pilot_detail": (anonymous, f"/registers/pilots/{pilot.slug}/"),
        "api_pilots": (anonymous, "/api/v1/pilots/"),
        "council_dashboard": (anonymous, "/registers/raadsinformatie/"),
    }
    figures = {name: _measure(client, url) for name, (client, url) in pages.items()}

    # Registers at scale (issue 6): the list, dashboard and API pages with thousands of records.
    started = time.perf_counter()
    build_registers(SCALE_ALGORITHMS, SCALE_PILOTS, SCALE_EVALUATED)
    fill_seconds = round(time.perf_counter() - started, 1)
    scale_pages = {
        "algorithm_list": "/registers/algoritmes/",
        "pilot_list": "/registers/pilots/",
        "council_dashboard": "/registers/raadsinformatie/",
        "api_algorithms": "/api/v1/algorithms/",
        "api_pilots": "/api/v1/pilots/",
    }
    at_scale = {
        name: _measure(anonymous, url, SCALE_WARMUP, SCALE_ROUNDS)
        for name, url in scale_pages.items()
    }
    # Ideas at scale (issue 4): list, detail, map data and API with 10,000 published ideas.
    from portal.ideas.models import Idea

    started = time.perf_counter()
    build_ideas(SCALE_IDEAS)
    ideas_fill_seconds = round(time.perf_counter() - started, 1)
    busiest = Idea.objects.public().order_by("-support_count", "pk").first()
    ideas_pages = {
        "idea_list": "/ideeen/",
        "idea_list_most_supported": "/ideeen/?sort=support",
        "idea_list_theme_and_search": "/ideeen/?theme=mobility&q=fietspaden",
        "idea_list_page_100": "/ideeen/?page=100",
        "idea_detail": busiest.get_absolute_url(),
        "idea_map_data": "/ideeen/kaart/ideeen.geojson",
        "idea_feed_rss": "/ideeen/feed.rss",
        "api_ideas": "/api/v1/ideas/",
    }
    ideas_at_scale = {
        name: _measure(anonymous, url, SCALE_WARMUP, SCALE_ROUNDS)
        for name, url in ideas_pages.items()
    }
    return (
            {
                "benchmark": "pages",
                "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
                "debug": settings.DEBUG,
                "rounds": ROUNDS,
                "pages": figures,
                "registers_at_scale": {
                    "algorithms": Algorithm.objects.filter(current_version__isnull=False).count(),
                    "pilots": Pilot.objects.filter(state=Pilot.State.PUBLISHED).count(),
                    "added_algorithms": SCALE_ALGORITHMS,
                    "added_pilots": SCALE_PILOTS,
                    "added_final_evaluations": SCALE_EVALUATED,
                    "fill_seconds": fill_seconds,
                    "rounds": SCALE_ROUNDS,
                    "pages": at_scale,
                },
                "ideas_at_scale": {
                    "published_ideas": Idea.objects.public().count(),
                    "added_ideas": SCALE_IDEAS,
                    "fill_seconds": ideas_fill_seconds,
                    "rounds": SCALE_ROUNDS,
                    "pages": ideas_at_scale,
                },
            }
    )


# (name, script and arguments): each prints {"part", "database", "figures": [...]}.
SENSOR_PARTS = [
    ("push", ["bench/sensors_push.py"]),
    ("bulk", ["bench/sensors_bulk.py"]),
    ("map", ["bench/sensors_store.py", "--part", "map"]),
    ("series", ["bench/sensors_store.py", "--part", "series"]),
]


def _postgres_reachable(url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(f"{url}/postgres", connect_timeout=3):
            return ""
    except Exception as problem:  # noqa: BLE001 - any failure means: no PostgreSQL here
        return str(problem).strip().splitlines()[0] if str(problem).strip() else repr(problem)


def sensors_main(quick: bool) -> dict:
    import subprocess

    url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    problem = _postgres_reachable(url)
    if problem:
        return {"benchmark": "sensors", "skipped": f"PostgreSQL not reachable at {url}: {problem}"}
    parts, figures = {}, []
    for name, command in SENSOR_PARTS:
        started = time.perf_counter()
        finished = subprocess.run(
            [sys.executable, *command, *(["--quick"] if quick else [])], cwd=ROOT,
            capture_output=True, text=True, env={**os.environ, "BENCH_POSTGRES_URL": url},
        )
        seconds = round(time.perf_counter() - started, 1)
        if finished.returncode != 0:
            parts[name] = {"error": finished.stderr.strip().splitlines()[-5:], "seconds": seconds}
            continue
        document = json.loads(finished.stdout)
        document["seconds"] = seconds
        parts[name] = document
        figures.extend({"part": name, **figure} for figure in document.get("figures", []))
    return {"benchmark": "sensors", "quick": quick, "parts": parts, "figures": figures,
            "targets_met": all(figure.get("met") for figure in figures
                               if figure.get("target") is not None)}


def _print_table(figures: list[dict]) -> None:
    """Each figure beside its target, for a reader of the terminal (stdout is the JSON)."""
    print(f"{'figure':<58} {'value':>12} {'target':>14}  met", file=sys.stderr)
    for figure in figures:
        value = figure.get("value")
        target = figure.get("target")
        shown = "-" if value is None else f"{value:,} {figure.get('unit', '')}"
        wanted = "-" if target is None else f"{figure.get('comparison', '')} {target:,}"
        met = {True: "yes", False: "NO", None: "-"}[figure.get("met")]
        print(f"{figure['figure'][:58]:<58} {shown:>12} {wanted:>14}  {met}", file=sys.stderr)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    wanted = [arg for arg in argv if not arg.startswith("--")] or ["pages", "sensors"]
    report = {}
    if "pages" in wanted:
        report["pages"] = pages_main()
    if "sensors" in wanted:
        report["sensors"] = sensors_main(quick)
        _print_table(report["sensors"].get("figures", []))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
