"""Award -> pilot, seen from the register: the pilot page names the challenge it came from, and
the pilot goes through the register's own four-eyes publication."""

import pytest
from django.urls import reverse

from challenges import services
from registry import services as registry_services
from registry.models import Pilot
from tests.challenges.builders import (
    appoint,
    bidder,
    civil_servant,
    declare_and_score,
    open_challenge,
    start_assessment,
    submitted_proposal,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(monkeypatch):
    author = civil_servant()
    challenge = open_challenge(by=author)
    proposal = submitted_proposal(challenge, *bidder("Groene Daken BV"))
    chair = appoint(challenge, chair=True, by=author)
    start_assessment(monkeypatch, challenge, by=author)
    declare_and_score(chair, proposal, 8)
    services.ranking_finalise(challenge=challenge, by=chair.user)
    pilot = services.challenge_award(challenge=challenge, by=chair.user, proposal=proposal,
                                     motivation="Het beste plan.")
    challenge.refresh_from_db()
    return challenge, pilot, author


def test_the_pilot_page_links_back_to_the_challenge(client, awarded):
    challenge, pilot, author = awarded
    client.force_login(author)  # a draft pilot: civil servants see it

    response = client.get(reverse("registry:pilot_detail", kwargs={"slug": pilot.slug}))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="from-challenge"' in content
    assert f'href="{challenge.get_absolute_url()}"' in content


def test_a_completed_pilot_is_published_four_eyes_and_then_public_with_its_link(client,
                                                                               awarded):
    challenge, pilot, author = awarded
    registry_services.pilot_update(
        pilot=pilot, by=author, start_date="2031-01-01", planned_end_date="2031-12-31",
        neighbourhood="Stadhagen", alderman="Wethouder Jansen",
        hypothesis="Als we daken vergroenen, wordt het koeler.", goal="Koeler wonen.",
        data_collected="Temperatuur", next_review_date="2031-06-30",
    )
    registry_services.pilot_submit(pilot=pilot, by=author)
    registry_services.pilot_publish(pilot=pilot, by=civil_servant())

    response = client.get(reverse("registry:pilot_detail", kwargs={"slug": pilot.slug}))

    assert Pilot.objects.get(pk=pilot.pk).state == Pilot.State.PUBLISHED
    assert response.status_code == 200
    assert challenge.title in response.content.decode()
