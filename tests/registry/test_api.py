"""/api/v1/algorithms/: published records under exactly the standard's key names."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import services, standard
from tests.registry.conftest import COMPLETE, make_published

pytestmark = pytest.mark.django_db

LIST = "/api/v1/algorithms/"


def test_record_keys_are_exactly_the_standards_keys(client, published):
    record = client.get(f"{LIST}{published.slug}/").json()

    assert set(record) == set(standard.STANDARD_KEYS)
    assert set(record) == {
        "name", "description_short", "organization", "category", "status", "begin_date",
        "end_date", "contact_email", "website", "publication_category", "url", "goal",
        "proportionality", "human_intervention", "risks", "lawful_basis",
        "lawful_basis_grouping", "process_index_url", "impacttoetsen_grouping", "impacttoetsen",
        "source_data", "source_data_grouping", "methods_and_models", "provider", "publiccode",
        "lang", "standard_version", "source_id", "tags",
    }
    assert list(record) == list(standard.STANDARD_KEYS)


def test_record_values(client, editor, approver):
    algorithm = make_published(
        editor, approver,
        lawful_basis_grouping=[{"title": "Gemeentewet", "link": "https://wetten.overheid.nl/x"}],
        impacttoetsen_grouping=[{"title": "Pre-scan DPIA"}],
    )

    record = client.get(f"{LIST}{algorithm.slug}/").json()

    assert record["name"] == COMPLETE["name"]
    assert record["category"] == ["Verkeer"]
    assert record["status"] == "In gebruik"
    assert record["publication_category"] == "Impactvolle algoritmes"
    assert record["lang"] == "nld"
    assert record["standard_version"] == "1.0"
    assert record["source_id"] == str(algorithm.public_id)
    assert record["lawful_basis_grouping"] == [
        {"title": "Gemeentewet", "link": "https://wetten.overheid.nl/x"}]
    assert record["impacttoetsen_grouping"] == [{"title": "Pre-scan DPIA", "link": ""}]
    assert record["end_date"] == ""


def test_detail_by_source_id(client, published):
    response = client.get(f"{LIST}{published.public_id}/")

    assert response.status_code == 200
    assert response.json()["source_id"] == str(published.public_id)


def test_only_published_records(client, editor, approver):
    published = make_published(editor, approver)
    draft_only = services.algorithm_create(by=editor, **{**COMPLETE, "name": "Concept"})
    services.algorithm_new_draft(algorithm=published, by=editor, name="Nieuwe naam")
    withdrawn = make_published(editor, approver, name="Ingetrokken")
    services.algorithm_withdraw(algorithm=withdrawn, by=approver, reason="Gestopt.")

    data = client.get(LIST).json()

    assert data["count"] == 1
    assert [r["name"] for r in data["results"]] == [COMPLETE["name"]]
    for algorithm in (draft_only, withdrawn):
        response = client.get(f"{LIST}{algorithm.slug}/")
        assert response.status_code == 404


def test_unknown_slug_is_a_json_404(client):
    response = client.get(f"{LIST}bestaat-niet/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "In ontwikkeling"}, ["Bravo"]),
        ({"category": "Werk"}, ["Bravo"]),
        ({"publication_category": "Overige algoritmes"}, ["Alfa"]),
        ({"q": "alfa"}, ["Alfa"]),
        ({"status": "bestaat niet"}, ["Alfa", "Bravo"]),
    ],
)
def test_filters(client, editor, approver, query, expected):
    make_published(editor, approver, name="Alfa", publication_category="Overige algoritmes")
    make_published(editor, approver, name="Bravo", status="In ontwikkeling", category=["Werk"])

    data = client.get(LIST, query).json()

    assert [r["name"] for r in data["results"]] == expected


def test_read_only(client, published, approver):
    client.force_login(approver)

    assert client.post(LIST, {}, content_type="application/json").status_code == 405
    assert client.delete(f"{LIST}{published.slug}/").status_code == 405


def test_list_query_count_is_constant(client, editor, approver):
    for number in range(3):
        make_published(editor, approver, name=f"A{number}")
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for number in range(3, 30):
        make_published(editor, approver, name=f"A{number}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)

    assert len(response.json()["results"]) == 25
    assert len(many) == len(few)
