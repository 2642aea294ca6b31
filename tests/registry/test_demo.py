import pytest
from django.core.management import call_command

from registry.models import Algorithm, AlgorithmEvent, AlgorithmVersion

pytestmark = pytest.mark.django_db


def test_demo_loads_the_zoetermeer_examples_and_is_idempotent(client):
    call_command("load_demo", verbosity=0)
    state = (list(AlgorithmVersion.objects.values_list("pk", "state")),
             AlgorithmEvent.objects.count())
    call_command("load_demo", verbosity=0)

    assert (list(AlgorithmVersion.objects.values_list("pk", "state")),
            AlgorithmEvent.objects.count()) == state
    published = Algorithm.objects.filter(current_version__state="published")
    assert set(published.values_list("slug", flat=True)) == {
        "scanauto-parkeercontrole", "ophaalroutes-slimme-containers",
        "ivri-verkeerslichten-voorrang",
    }
    scan_car = Algorithm.objects.get(slug="scanauto-parkeercontrole")
    assert list(scan_car.versions.values_list("number", "state")) == [
        (2, "published"), (1, "published")]
    assert AlgorithmVersion.objects.filter(state="submitted").count() == 1
    # Four-eyes also in the demo: nobody published what they submitted themselves.
    for version in AlgorithmVersion.objects.filter(state="published"):
        assert version.published_by_id != version.submitted_by_id
    assert client.get(scan_car.get_absolute_url()).status_code == 200
    history = client.get(f"{scan_car.get_absolute_url()}geschiedenis/").content.decode()
    assert 'data-field="impacttoetsen_grouping"' in history


def test_demo_pilots_have_kpis_evaluations_a_decision_and_an_overdue_review(client):
    from registry.models import Evaluation, Pilot, PilotEvent

    call_command("load_demo", verbosity=0)
    state = (list(Pilot.objects.values_list("pk", "state", "status")),
             PilotEvent.objects.count(), Evaluation.objects.count())
    call_command("load_demo", verbosity=0)

    assert (list(Pilot.objects.values_list("pk", "state", "status")),
            PilotEvent.objects.count(), Evaluation.objects.count()) == state
    # The registry's own five (the challenges demo adds the pilot of its awarded challenge).
    assert Pilot.objects.filter(state="published", challenges__isnull=True).count() == 5
    bus = Pilot.objects.get(slug="zelfrijdende-bus-dutch-innovation-park")
    final = bus.evaluations.get(kind="final", state="published")
    assert final.decision == "adjust"
    assert final.decision_link.startswith("https://")
    assert final.kpi_results.count() == bus.kpis.count() == 3
    assert bus.status == "adjusted"
    assert bus.algorithms.filter(slug="ivri-verkeerslichten-voorrang").exists()
    assert Pilot.objects.get(slug="experimenteerhuis").review_overdue
    for evaluation in Evaluation.objects.all():
        assert evaluation.published_by_id != evaluation.submitted_by_id
    for pilot in Pilot.objects.all():
        assert client.get(pilot.get_absolute_url()).status_code == 200


def test_demo_council_member_follows_the_bus_and_the_dashboard_has_figures(client):
    from registry import selectors
    from registry.models import PilotSubscription

    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)

    follows = PilotSubscription.objects.filter(user__email="raad@demo.stadsmakers.nl")
    assert list(follows.values_list("pilot__slug", flat=True)) == [
        "zelfrijdende-bus-dutch-innovation-park"]
    figures = selectors.registry_dashboard()
    assert figures["pilot_total"] >= 5
    assert figures["overdue_count"] >= 1
    assert figures["decisions"]
    assert sum(row["count"] for row in figures["kpis"]) >= 3
    assert figures["algorithms"]["total"] >= 3
    assert client.get("/registers/raadsinformatie/").status_code == 200
