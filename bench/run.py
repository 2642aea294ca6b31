"""`make bench`: server-side response times of the main pages, as one JSON document.

Runs in-process with Django's test client against a fresh SQLite database filled with the
demo data (or against DATABASE_URL when set), so the figures measure our code and queries,
not the network. Each page is requested WARMUP times, then ROUNDS times measured.
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


def _measure(client, url):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    durations = []
    reset_queries()  # each request resets the log; start the capture from an empty one
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for _ in range(ROUNDS):
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


def main():
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
    print(
        json.dumps(
            {
                "benchmark": "pages",
                "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
                "debug": settings.DEBUG,
                "rounds": ROUNDS,
                "pages": figures,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
