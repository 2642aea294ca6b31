import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.accounts import roles
from registry import services
from tests.factories import UserFactory

# A record with every field the standard requires for publication (and a few more).
COMPLETE = {
    "name": "Parkeercontrole met een scanauto",
    "description_short": "Een auto met camera's leest kentekens en kijkt of er betaald is.",
    "organization": "Gemeente Zoetermeer",
    "category": ["Verkeer"],
    "status": "In gebruik",
    "begin_date": "2019-04",
    "contact_email": "algoritmes@zoetermeer.example",
    "publication_category": "Impactvolle algoritmes",
    "goal": "Parkeerplekken beschikbaar houden.",
    "methods_and_models": "Kentekenherkenning met vaste regels. Niet zelflerend.",
}


@pytest.fixture
def editor():
    return UserFactory(display_name="Daan Hendriks", groups=[roles.CIVIL_SERVANT])


@pytest.fixture
def approver():
    return UserFactory(display_name="Sanne de Vries", groups=[roles.CIVIL_SERVANT])


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_published(editor, approver, **fields):
    """An algorithm whose first version has been submitted by `editor`, published by `approver`."""
    algorithm = services.algorithm_create(by=editor, **{**COMPLETE, **fields})
    version = algorithm.versions.get()
    services.algorithm_version_submit(version=version, by=editor)
    services.algorithm_version_publish(version=version, by=approver)
    algorithm.refresh_from_db()
    return algorithm


@pytest.fixture
def published(editor, approver):
    return make_published(editor, approver)


# --- pilots ----------------------------------------------------------------------------------

# A pilot with every field needed for publication.
PILOT_COMPLETE = {
    "title": "Zelfrijdende bus op het Dutch Innovation Park",
    "summary": "Een bus zonder chauffeur rijdt een vaste route over het bedrijventerrein.",
    "theme": "Verkeer",
    "start_date": dt.date(2024, 3, 1),
    "planned_end_date": dt.date(2025, 3, 1),
    "neighbourhood": "Dutch Innovation Park",
    "department": "Economie",
    "alderman": "Wethouder Economie",
    "problem": "Het park is slecht bereikbaar vanaf het station.",
    "goal": "Betere bereikbaarheid zonder extra parkeerplaatsen.",
    "hypothesis": "Als er een zelfrijdende bus rijdt, nemen meer mensen de trein.",
    "intervention": "Een elektrische bus rijdt elk kwartier.",
    "evaluation_design": "Tellingen voor en na de start, en een enquête.",
    "data_collected": "Aantal reizigers per rit, zonder namen.",
    "next_review_date": dt.date(2030, 1, 1),
}

KPI = {
    "name": "Reizigers per dag", "unit": "reizigers", "direction": "higher",
    "baseline_value": Decimal("0"), "target_value": Decimal("150"),
}


def make_pilot(editor, approver, *, status=None, kpis=1, **fields):
    """A published pilot (submitted by `editor`, published by `approver`) with `kpis` KPIs."""
    pilot = services.pilot_create(by=editor, **{**PILOT_COMPLETE, **fields})
    for number in range(kpis):
        services.kpi_add(pilot=pilot, by=editor, **{**KPI, "name": f"KPI {number + 1}"})
    services.pilot_submit(pilot=pilot, by=editor)
    services.pilot_publish(pilot=pilot, by=approver)
    for step in status or ():
        services.pilot_status_change(pilot=pilot, by=editor, to_status=step)
    pilot.refresh_from_db()
    return pilot


FINAL = {
    "kind": "final", "evaluated_on": dt.date(2025, 4, 1), "evaluator": "TNO",
    "method": "Tellingen en een enquête onder 200 reizigers.",
    "council_summary": "De bus reed betrouwbaar, maar te weinig mensen gebruikten hem.",
    "lessons_learned": "Begin met een kortere route.", "recommendation": "adjust",
    "decision": "adjust", "decision_by": "College van B en W",
    "decision_date": dt.date(2025, 5, 1),
    "decision_link": "https://raad.zoetermeer.example/raadsinformatiebrief-2025-12",
}


def make_evaluated(editor, approver, **fields):
    """A running pilot with one KPI and a published final evaluation (decision: adjust)."""
    pilot = make_pilot(editor, approver, status=["preparation", "running"], **fields)
    kpi = pilot.kpis.get()
    evaluation = services.evaluation_record(
        pilot=pilot, by=editor, **FINAL,
        kpi_results={kpi.pk: {"value": Decimal("40"), "assessment": "not_met", "note": "Weinig"}},
    )
    services.evaluation_publish(evaluation=evaluation, by=approver)
    return pilot, evaluation


def count_queries(client, url):
    """The number of queries of one successful GET."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)
