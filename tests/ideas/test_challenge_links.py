""""You said, we did" to a challenge: a civil servant links a published idea to the public
challenge it led to; the idea's page, the realised-ideas page and the API show it, and the
challenge page's include lists the ideas (read through `challenge.idea_links`)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import IdeaEvent, IdeaLink, Moderation, Status
from tests.challenges.builders import draft_challenge, open_challenge
from tests.factories import IdeaFactory, user_for_role
from tests.registry.conftest import make_pilot

pytestmark = pytest.mark.django_db

NOTE = "Dit idee werd de uitdaging over hitte."


@pytest.fixture
def civil_servant():
    return user_for_role(roles.CIVIL_SERVANT)


@pytest.fixture
def challenge(civil_servant):
    return open_challenge(by=civil_servant, title="Koelere pleinen in de binnenstad",
                          slug="koelere-pleinen")


@pytest.fixture
def staff_client(client, civil_servant, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(civil_servant)
    return client


def _link_url(idea):
    return reverse("ideas:link", kwargs={"public_id": idea.public_id})


def _offered(response):
    return {label: [value for value, _text in options]
            for label, options in response.context["form"].fields["target"].choices[1:]}


# --- the service --------------------------------------------------------------------------------


def test_an_idea_is_linked_to_the_challenge_it_led_to(civil_servant, challenge):
    idea = IdeaFactory()

    link = services.idea_link_add(idea=idea, by=civil_servant, challenge=challenge,
                                  note=f" {NOTE} ")

    assert (link.challenge, link.pilot, link.algorithm, link.note) == (
        challenge, None, None, NOTE)
    assert link.target == challenge
    assert list(challenge.idea_links.all()) == [link]
    event = idea.events.get(action=IdeaEvent.Action.LINK)
    assert (event.text, event.by) == (NOTE, civil_servant)


def test_without_a_note_the_timeline_names_the_challenge(civil_servant, challenge):
    idea = IdeaFactory()

    services.idea_link_add(idea=idea, by=civil_servant, challenge=challenge)

    assert idea.events.get(action=IdeaEvent.Action.LINK).text == challenge.title


def test_a_draft_challenge_cannot_be_linked(civil_servant):
    draft = draft_challenge(by=civil_servant)

    with pytest.raises(ValidationError) as error:
        services.idea_link_add(idea=IdeaFactory(), by=civil_servant, challenge=draft)

    assert error.value.code == "challenge_not_public"
    assert not IdeaLink.objects.exists()
    assert not IdeaEvent.objects.filter(action=IdeaEvent.Action.LINK).exists()


def test_an_idea_links_to_a_challenge_only_once(civil_servant, challenge):
    idea = IdeaFactory()
    services.idea_link_add(idea=idea, by=civil_servant, challenge=challenge)

    with pytest.raises(ValidationError) as error:
        services.idea_link_add(idea=idea, by=civil_servant, challenge=challenge, note="Nog eens")

    assert error.value.code == "already_linked"
    assert IdeaLink.objects.count() == 1
    assert idea.events.filter(action=IdeaEvent.Action.LINK).count() == 1


def test_two_ideas_may_lead_to_the_same_challenge(civil_servant, challenge):
    services.idea_link_add(idea=IdeaFactory(), by=civil_servant, challenge=challenge)
    services.idea_link_add(idea=IdeaFactory(), by=civil_servant, challenge=challenge)

    assert challenge.idea_links.count() == 2


def test_a_link_to_a_pilot_and_a_challenge_at_once_is_refused(civil_servant, challenge):
    pilot = make_pilot(civil_servant, user_for_role(roles.CIVIL_SERVANT))

    with pytest.raises(ValidationError) as error:
        services.idea_link_add(idea=IdeaFactory(), by=civil_servant, pilot=pilot,
                               challenge=challenge)

    assert error.value.code == "one_target"
    assert not IdeaLink.objects.exists()


def test_the_database_allows_exactly_one_target(civil_servant, challenge):
    pilot = make_pilot(civil_servant, user_for_role(roles.CIVIL_SERVANT))
    idea = IdeaFactory()

    for targets in ({"pilot": pilot, "challenge": challenge}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            IdeaLink.objects.create(idea=idea, **targets)
    IdeaLink.objects.create(idea=idea, challenge=challenge)
    with pytest.raises(IntegrityError), transaction.atomic():
        IdeaLink.objects.create(idea=idea, challenge=challenge)


def test_an_unpublished_idea_is_not_linked_to_a_challenge(civil_servant, challenge):
    with pytest.raises(ValidationError):
        services.idea_link_add(idea=IdeaFactory(moderation=Moderation.PENDING),
                               by=civil_servant, challenge=challenge)
    assert not IdeaLink.objects.exists()


@pytest.mark.parametrize("role", [roles.RESIDENT, roles.VERIFIED_RESIDENT, roles.MODERATOR,
                                  roles.ORGANISATION_MEMBER, roles.JURY_MEMBER,
                                  roles.COUNCIL_MEMBER])
def test_only_civil_servants_link_an_idea_to_a_challenge(role, challenge):
    with pytest.raises(PermissionDenied):
        services.idea_link_add(idea=IdeaFactory(), by=user_for_role(role), challenge=challenge)
    assert not IdeaLink.objects.exists()


# --- the staff page -----------------------------------------------------------------------------


def test_public_challenges_are_offered_as_a_third_group(staff_client, civil_servant, challenge):
    draft_challenge(by=civil_servant, title="Geheime uitdaging", slug="geheim")

    response = staff_client.get(_link_url(IdeaFactory()))

    assert _offered(response) == {"Challenges": [f"challenge:{challenge.pk}"]}
    content = response.content.decode()
    assert "Koelere pleinen in de binnenstad" in content
    assert "Geheime uitdaging" not in content


def test_a_civil_servant_links_an_idea_to_a_challenge_on_the_page(staff_client, civil_servant,
                                                                  challenge):
    idea = IdeaFactory()

    response = staff_client.post(_link_url(idea), {"target": f"challenge:{challenge.pk}",
                                                   "note": NOTE})

    assert response.status_code == 302
    assert response.url == idea.get_absolute_url()
    link = IdeaLink.objects.get()
    assert (link.idea, link.challenge, link.note, link.created_by) == (
        idea, challenge, NOTE, civil_servant)


def test_a_linked_challenge_is_listed_and_not_offered_again(staff_client, civil_servant,
                                                            challenge):
    idea = IdeaFactory()
    services.idea_link_add(idea=idea, by=civil_servant, challenge=challenge, note=NOTE)
    other = open_challenge(by=civil_servant, title="Minder verkeer bij scholen",
                           slug="minder-verkeer")

    response = staff_client.get(_link_url(idea))

    assert _offered(response) == {"Challenges": [f"challenge:{other.pk}"]}
    existing = response.content.decode().split('data-testid="existing-links"')[1]
    assert (f'Challenge: <a href="{challenge.get_absolute_url()}">'
            "Koelere pleinen in de binnenstad</a>") in existing
    assert NOTE in existing
    response = staff_client.post(_link_url(idea), {"target": f"challenge:{challenge.pk}"})
    assert response.status_code == 400
    assert "target" in response.context["form"].errors
    assert IdeaLink.objects.count() == 1


@pytest.mark.parametrize("target", ["challenge:999999", "challenge:abc", "challenge:"])
def test_a_bad_challenge_target_is_a_clear_error(staff_client, challenge, target):
    response = staff_client.post(_link_url(IdeaFactory()), {"target": target})

    assert response.status_code == 400
    assert "target" in response.context["form"].errors
    assert not IdeaLink.objects.exists()


def test_a_draft_challenge_cannot_be_posted(staff_client, civil_servant, challenge):
    draft = draft_challenge(by=civil_servant, title="Geheime uitdaging", slug="geheim")

    response = staff_client.post(_link_url(IdeaFactory()), {"target": f"challenge:{draft.pk}"})

    assert response.status_code == 400
    assert not IdeaLink.objects.exists()


@pytest.mark.parametrize("role", [roles.RESIDENT, roles.MODERATOR, roles.JURY_MEMBER,
                                  roles.COUNCIL_MEMBER])
def test_others_cannot_link_a_challenge_on_the_page(client, role, challenge):
    client.force_login(user_for_role(role))
    idea = IdeaFactory()

    response = client.post(_link_url(idea), {"target": f"challenge:{challenge.pk}"})

    assert response.status_code == 403
    assert not IdeaLink.objects.exists()


# --- what the public sees -----------------------------------------------------------------------


def test_the_idea_page_shows_the_challenge_it_led_to(client, civil_servant, challenge):
    idea = IdeaFactory()
    services.idea_link_add(idea=idea, by=civil_servant, challenge=challenge, note=NOTE)

    with translation.override("en"):
        client.cookies["django_language"] = "en"
        content = client.get(idea.get_absolute_url()).content.decode()

    trail = content.split('data-testid="idea-trail"')[1].split("</section>")[0]
    assert (f'<span class="idea-trail__kind">Challenge:</span> '
            f'<a href="{challenge.get_absolute_url()}">Koelere pleinen in de binnenstad</a>'
            ) in trail
    assert NOTE in trail


def test_the_realised_page_shows_the_challenge(client, civil_servant, challenge):
    idea = IdeaFactory(status=Status.REALISED, title="Schaduw op de Grote Markt")
    services.idea_link_add(idea=idea, by=civil_servant, challenge=challenge, note=NOTE)

    content = client.get(reverse("ideas:realised")).content.decode()

    assert "Schaduw op de Grote Markt" in content
    assert (f'<a href="{challenge.get_absolute_url()}">Koelere pleinen in de binnenstad</a> '
            f"– {NOTE}") in content


def test_the_api_shows_a_challenge_link(civil_servant, challenge):
    idea = IdeaFactory()
    services.idea_link_add(idea=idea, by=civil_servant, challenge=challenge, note=NOTE)

    response = APIClient().get(f"/api/v1/ideas/{idea.public_id}/")

    assert response.status_code == 200
    assert response.json()["links"] == [{
        "kind": "challenge", "title": "Koelere pleinen in de binnenstad", "note": NOTE,
        "url": f"http://testserver{challenge.get_absolute_url()}",
    }]


def test_the_schema_names_challenge_as_a_link_kind():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    enum = response.json()["components"]["schemas"]["IdeaLinkKindEnum"]["enum"]
    assert enum == ["pilot", "algorithm", "challenge"]


# --- the include for the challenge page ---------------------------------------------------------


def test_the_challenge_include_lists_the_ideas_that_led_to_it(civil_servant, challenge):
    idea = IdeaFactory(title="Schaduw op de Grote Markt")
    services.idea_link_add(idea=idea, by=civil_servant, challenge=challenge, note=NOTE)
    hidden = IdeaFactory(title="Verborgen idee")
    services.idea_link_add(idea=hidden, by=civil_servant, challenge=challenge)
    hidden.moderation = Moderation.REJECTED
    hidden.save()

    with translation.override("en"):
        html = render_to_string("ideas/_challenge_idea_links.html",
                                {"idea_links": list(challenge.idea_links.select_related("idea"))})

    assert '<h2 id="ideas-heading">Ideas from residents that led to this challenge</h2>' in html
    assert f'<a href="{idea.get_absolute_url()}">Schaduw op de Grote Markt</a>: {NOTE}' in html
    assert "Verborgen idee" not in html


def test_the_challenge_include_is_empty_without_ideas():
    assert render_to_string("ideas/_challenge_idea_links.html", {"idea_links": []}).strip() == ""
