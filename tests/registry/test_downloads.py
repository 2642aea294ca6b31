"""CSV and JSON downloads of both registers: published records only, the list's filters,
the standard's keys, formula injection neutralised, a constant number of queries."""

import csv
import io
import json

import pytest

from bench.run import build_registers
from registry import services
from registry.api import AlgorithmRecordSerializer, PilotSerializer
from registry.downloads import csv_cell
from tests.registry.conftest import count_queries, make_evaluated, make_pilot, make_published

pytestmark = pytest.mark.django_db

ALGORITHMS = "/registers/algoritmes/download"
PILOTS = "/registers/pilots/download"


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


@pytest.mark.parametrize(("url", "name"), [
    (f"{ALGORITHMS}.csv", "algoritmeregister.csv"),
    (f"{ALGORITHMS}.json", "algoritmeregister.json"),
    (f"{PILOTS}.csv", "pilotregister.csv"), (f"{PILOTS}.json", "pilotregister.json"),
])
def test_headers(client, url, name):
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Content-Type"].startswith(
        "text/csv" if name.endswith("csv") else "application/json"
    )
    assert response["Content-Type"].endswith("charset=utf-8")


def test_algorithms_with_the_standards_keys_published_only(client, editor, approver):
    published = make_published(editor, approver, category=["Verkeer", "Economie"],
                               impacttoetsen_grouping=[{"title": "DPIA", "link": ""}])
    withdrawn = make_published(editor, approver, name="Ingetrokken algoritme")
    services.algorithm_withdraw(algorithm=withdrawn, by=editor, reason="Gestopt")
    services.algorithm_create(by=editor, name="Concept-algoritme")

    rows = _csv(client.get(f"{ALGORITHMS}.csv"))
    records = client.get(f"{ALGORITHMS}.json").json()

    keys = list(AlgorithmRecordSerializer().fields)
    assert [row["name"] for row in rows] == [published.current_version.name]
    assert list(rows[0]) == keys
    assert json.loads(rows[0]["category"]) == ["Verkeer", "Economie"]
    assert json.loads(rows[0]["impacttoetsen_grouping"]) == [{"title": "DPIA", "link": ""}]
    assert rows[0]["source_id"] == str(published.public_id)
    assert [record["name"] for record in records] == [published.current_version.name]
    assert list(records[0]) == keys
    assert records[0]["category"] == ["Verkeer", "Economie"]


def test_pilots_with_kpis_published_only(client, editor, approver):
    pilot, _evaluation = make_evaluated(editor, approver)
    withdrawn = make_pilot(editor, approver, title="Ingetrokken pilot")
    services.pilot_withdraw(pilot=withdrawn, by=editor, reason="Gestopt")
    services.pilot_create(by=editor, title="Concept-pilot")

    rows = _csv(client.get(f"{PILOTS}.csv"))
    records = client.get(f"{PILOTS}.json").json()

    assert [row["slug"] for row in rows] == [pilot.slug]
    assert list(rows[0]) == list(PilotSerializer().fields)
    assert json.loads(rows[0]["kpis"])[0]["name"] == "KPI 1"
    assert json.loads(rows[0]["evaluations"])[0]["decision"] == "adjust"
    assert rows[0]["personal_data"] == "false"
    assert [record["slug"] for record in records] == [pilot.slug]
    assert records[0]["kpis"][0]["target_value"] == "150.000"


def test_the_list_filters_apply(client, editor, approver):
    make_published(editor, approver, name="Verkeersalgoritme", category=["Verkeer"])
    make_published(editor, approver, name="Woonalgoritme", category=["Wonen"])
    make_pilot(editor, approver, title="Verkeerspilot")
    make_pilot(editor, approver, title="Woonpilot", theme="Wonen")

    algorithms = client.get(f"{ALGORITHMS}.json", {"category": "Wonen"}).json()
    pilots = _csv(client.get(f"{PILOTS}.csv", {"theme": "Wonen"}))
    searched = client.get(f"{PILOTS}.json", {"q": "verkeer", "status": "??"}).json()

    assert [record["name"] for record in algorithms] == ["Woonalgoritme"]
    assert [row["title"] for row in pilots] == ["Woonpilot"]
    assert [record["title"] for record in searched] == ["Verkeerspilot"]


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"https://kwaad.example\")", "'=HYPERLINK(\"https://kwaad.example\")"),
    ("+31 79 000", "'+31 79 000"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("Gewoon", "Gewoon"), (None, ""), (True, "true"),
    (["Wonen"], '["Wonen"]'),
])
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_formula_injection_is_neutralised(client, editor, approver):
    make_published(editor, approver, name="=1+1 algoritme", provider="@leverancier")
    make_pilot(editor, approver, title="+pilot", neighbourhood="-wijk")

    algorithm = _csv(client.get(f"{ALGORITHMS}.csv"))[0]
    pilot = _csv(client.get(f"{PILOTS}.csv"))[0]

    assert algorithm["name"] == "'=1+1 algoritme"
    assert algorithm["provider"] == "'@leverancier"
    assert pilot["title"] == "'+pilot"
    assert pilot["neighbourhood"] == "'-wijk"
    # JSON is data, not a spreadsheet: unchanged.
    assert client.get(f"{ALGORITHMS}.json").json()[0]["name"] == "=1+1 algoritme"


@pytest.mark.parametrize("url", [f"{ALGORITHMS}.csv", f"{ALGORITHMS}.json",
                                 f"{PILOTS}.csv", f"{PILOTS}.json"])
def test_query_count_is_constant(client, url):
    build_registers(3, 3, 1, prefix="klein")
    few = count_queries(client, url)
    build_registers(100, 100, 40, prefix="groot")

    assert count_queries(client, url) == few


def test_both_lists_link_to_the_downloads_with_their_filters(client):
    page = client.get("/registers/algoritmes/", {"status": "In gebruik"}).content.decode()
    assert f'href="{ALGORITHMS}.csv?status=In+gebruik"' in page
    assert f'href="{ALGORITHMS}.json?status=In+gebruik"' in page
    page = client.get("/registers/pilots/").content.decode()
    assert f'href="{PILOTS}.csv"' in page
    assert f'href="{PILOTS}.json"' in page
