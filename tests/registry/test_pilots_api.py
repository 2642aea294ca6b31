"""/api/v1/pilots/: published pilots only, with KPIs and published evaluations nested."""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import services
from tests.registry.conftest import FINAL, make_evaluated, make_pilot, make_published

pytestmark = pytest.mark.django_db

LIST = "/api/v1/pilots/"


def test_published_pilot_with_kpis_and_evaluations(client, editor, approver):
    algorithm = make_published(editor, approver)
    pilot, _evaluation = make_evaluated(editor, approver, algorithms=[algorithm])
    services.evaluation_record(pilot=pilot, by=editor, **{**FINAL, "kind": "mid_term",
                                                          "council_summary": "Concept"})

    record = client.get(f"{LIST}{pilot.slug}/").json()

    assert record["id"] == str(pilot.public_id)
    assert record["status"] == "adjusted"
    assert record["algorithms"] == [algorithm.slug]
    assert record["kpis"][0]["result_value"] == "40.000"
    assert len(record["evaluations"]) == 1  # the draft is not published
    evaluation = record["evaluations"][0]
    assert evaluation["decision"] == "adjust"
    assert evaluation["kpi_results"] == [
        {"kpi": "KPI 1", "value": "40.000", "assessment": "not_met", "note": "Weinig"}
    ]


def test_drafts_and_withdrawn_pilots_are_not_in_the_api(client, editor, approver):
    draft = services.pilot_create(by=editor, title="Concept")
    withdrawn = make_pilot(editor, approver, title="Ingetrokken")
    services.pilot_withdraw(pilot=withdrawn, by=editor, reason="Weg")
    shown = make_pilot(editor, approver, title="Zichtbaar")

    listing = client.get(LIST).json()

    assert [item["slug"] for item in listing["results"]] == [shown.slug]
    assert client.get(f"{LIST}{draft.slug}/").status_code == 404
    assert client.get(f"{LIST}{withdrawn.slug}/").status_code == 404


def test_filters_and_bad_values(client, editor, approver):
    make_pilot(editor, approver)
    make_pilot(editor, approver, title="Wonen-pilot", theme="Wonen")

    assert client.get(LIST, {"theme": "Wonen"}).json()["count"] == 1
    response = client.get(LIST, {"theme": "<x>", "status": "??"})
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_list_query_count_is_constant(client, editor, approver):
    make_evaluated(editor, approver)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for number in range(5):
        make_evaluated(editor, approver, title=f"Pilot {number}")
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)

    assert len(many) == len(few)
