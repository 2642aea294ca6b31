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
