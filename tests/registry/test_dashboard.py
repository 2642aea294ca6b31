"""Raadsinformatie: the registers in figures, each linking to the records behind it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from registry import selectors, services
from tests.registry.conftest import (
    FINAL,
    count_queries,
    make_evaluated,
    make_pilot,
    make_published,
)

pytestmark = pytest.mark.django_db

URL = reverse("registry:dashboard")
PILOTS = reverse("registry:pilot_list")
ALGORITHMS = reverse("registry:algorithm_list")
PAST = dt.date(2020, 1, 1)

MID_TERM = {
    **FINAL, "kind": "mid_term", "evaluated_on": dt.date(2024, 9, 1), "decision": "",
    "decision_by": "", "decision_date": None, "decision_link": "", "recommendation": "continue",
}


def _titles(client, url):
    return [pilot.title for pilot in client.get(url).context["pilots"]]


@pytest.fixture
def data(editor, approver):
    """A known data set:

    - "Bus" (Verkeer): running, review date passed → overdue
    - "Lantaarns" (Verkeer): idea, review in 2030
    - "Warmte" (Wonen): running, review passed, then withdrawn → not overdue (not published)
    - "Drempels" (Verkeer): stopped, review passed → not overdue (closed)
    - "Evaluated" (Economie): final evaluation, 1 KPI not met, decision "adjust"
    - "Mixed" (Economie): 2 KPIs; a mid-term evaluation (met, met), then a final one (partly, not
      assessed) with decision "stop": the final results count, so 1 partly, 1 without assessment
    - a draft pilot, which counts nowhere
    - algorithms: 2 × Impactvolle/In gebruik, 1 × Overige/In ontwikkeling
    """
    make_pilot(editor, approver, title="Bus", status=["preparation", "running"],
               next_review_date=PAST)
    make_pilot(editor, approver, title="Lantaarns")
    warmte = make_pilot(editor, approver, title="Warmte", theme="Wonen",
                        status=["preparation", "running"], next_review_date=PAST)
    services.pilot_withdraw(pilot=warmte, by=editor, reason="Fout")
    make_pilot(editor, approver, title="Drempels", status=["stopped"], next_review_date=PAST)
    pilot, final = make_evaluated(editor, approver, title="Evaluated", theme="Economie")
    mixed = make_pilot(editor, approver, title="Mixed", theme="Economie", kpis=2,
                       status=["preparation", "running"])
    first, second = mixed.kpis.all()
    mid = services.evaluation_record(
        pilot=mixed, by=editor, **MID_TERM,
        kpi_results={first.pk: {"value": Decimal(1), "assessment": "met"},
                     second.pk: {"value": Decimal(1), "assessment": "met"}},
    )
    services.evaluation_publish(evaluation=mid, by=approver)
    end = services.evaluation_record(
        pilot=mixed, by=editor, **{**FINAL, "decision": "stop",
                                   "decision_date": dt.date(2025, 6, 1)},
        kpi_results={first.pk: {"value": Decimal(2), "assessment": "partly"},
                     second.pk: {"value": Decimal(2), "assessment": ""}},
    )
    services.evaluation_publish(evaluation=end, by=approver)
    services.pilot_create(by=editor, title="Concept", theme="Verkeer", next_review_date=PAST)
    make_published(editor, approver, name="A")
    make_published(editor, approver, name="B")
    make_published(editor, approver, name="C", status="In ontwikkeling",
                   publication_category="Overige algoritmes")
    return {"evaluated": pilot, "final": final, "mixed": mixed, "mixed_final": end}


def test_figures_on_a_known_data_set(client, data):
    figures = selectors.registry_dashboard()

    by_status = {row["value"]: row["count"] for row in figures["pilots_by_status"]}
    assert by_status == {
        "idea": 1, "preparation": 0, "running": 2, "evaluating": 0, "scaled_up": 0,
        "continued": 0, "adjusted": 1, "stopped": 2, "prohibited": 0,
    }
    assert figures["pilot_total"] == 6
    assert {row["value"]: row["count"] for row in figures["pilots_by_theme"]} == {
        "Verkeer": 3, "Wonen": 1, "Economie": 2,
    }
    assert figures["overdue_count"] == 1
    assert [p.title for p in figures["overdue"]] == ["Bus"]
    assert {row["value"]: row["count"] for row in figures["kpis"]} == {
        "met": 0, "partly": 1, "not_met": 1,
    }
    assert figures["kpis_without_assessment"] == 1
    assert [(e.pilot.title, e.decision) for e in figures["decisions"]] == [
        ("Mixed", "stop"), ("Evaluated", "adjust"),
    ]
    table = figures["algorithms"]
    assert table["statuses"] == ["In ontwikkeling", "In gebruik"]
    assert [(row["category"], [c["count"] for c in row["cells"]], row["total"])
            for row in table["rows"]] == [
        ("Impactvolle algoritmes", [0, 2], 2), ("Overige algoritmes", [1, 0], 1),
    ]
    assert table["status_totals"] == [("In ontwikkeling", 1), ("In gebruik", 2)]
    assert table["total"] == 3


def test_the_page_shows_the_figures_with_links_that_carry_the_filters(client, data):
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{PILOTS}?status=running">2</a>' in html
    assert f'<a href="{PILOTS}?theme=Verkeer">3</a>' in html
    assert f'href="{PILOTS}?overdue=1"' in html
    assert f'href="{PILOTS}?kpi=not_met"' in html
    evaluation = data["final"]
    detail = reverse("registry:evaluation_detail", args=[evaluation.pilot.slug, evaluation.pk])
    assert detail in html
    assert escape(
        f"{ALGORITHMS}?publication_category=Impactvolle%20algoritmes&status=In%20gebruik"
    ) in html
    assert f'{ALGORITHMS}?status=In%20ontwikkeling">1</a>' in html
    assert "1 januari 2020" in html  # the overdue review date
    assert "Concept" not in html


def test_each_link_leads_to_exactly_the_records_counted(client, data):
    assert _titles(client, f"{PILOTS}?status=running") == ["Bus", "Warmte"]
    assert _titles(client, f"{PILOTS}?status=stopped") == ["Drempels", "Mixed"]
    assert sorted(_titles(client, f"{PILOTS}?theme=Verkeer")) == ["Bus", "Drempels", "Lantaarns"]
    assert _titles(client, f"{PILOTS}?overdue=1") == ["Bus"]
    assert _titles(client, f"{PILOTS}?kpi=not_met") == ["Evaluated"]
    assert _titles(client, f"{PILOTS}?kpi=partly") == ["Mixed"]
    assert _titles(client, f"{PILOTS}?kpi=met") == []  # the mid-term "met" was superseded
    names = [a.current_version.name for a in client.get(
        f"{ALGORITHMS}?publication_category=Impactvolle+algoritmes&status=In+gebruik"
    ).context["algorithms"]]
    assert names == ["A", "B"]


def test_overdue_ignores_future_reviews_closed_and_unpublished_pilots(editor, approver):
    make_pilot(editor, approver, title="Future", next_review_date=dt.date(2100, 1, 1))
    make_pilot(editor, approver, title="Scaled", status=["preparation", "running", "evaluating",
                                                         "scaled_up"], next_review_date=PAST)
    make_pilot(editor, approver, title="Prohibited", status=["preparation", "prohibited"],
               next_review_date=PAST)
    make_pilot(editor, approver, title="Continued", status=[
        "preparation", "running", "evaluating", "continued"], next_review_date=PAST)
    services.pilot_create(by=editor, title="Draft", next_review_date=PAST)

    assert [p.title for p in selectors.pilot_overdue_list()] == ["Continued"]


def test_an_empty_register_shows_zeros_and_empty_states(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["pilot_total"] == 0
    assert response.context["overdue_count"] == 0
    assert response.context["decisions"] == []
    assert response.context["algorithms"]["rows"] == []


def test_query_count_does_not_grow_with_the_data(client, editor, approver):
    for number in range(3):
        make_pilot(editor, approver, title=f"Pilot {number}", next_review_date=PAST)
    make_evaluated(editor, approver, title="Evaluated 0")
    make_published(editor, approver, name="Algo 0")
    few = count_queries(client, URL)

    for number in range(3, 40):
        make_pilot(editor, approver, title=f"Pilot {number}", next_review_date=PAST,
                   theme="Economie" if number % 2 else "Verkeer")
    for number in range(1, 5):
        make_evaluated(editor, approver, title=f"Evaluated {number}")
    for number in range(1, 5):
        make_published(editor, approver, name=f"Algo {number}",
                       publication_category="Overige algoritmes")

    assert count_queries(client, URL) == few


def test_the_landing_page_and_both_lists_link_to_the_dashboard(client):
    for url in (reverse("area-registers"), PILOTS, ALGORITHMS):
        assert f'href="{URL}"' in client.get(url).content.decode(), url
