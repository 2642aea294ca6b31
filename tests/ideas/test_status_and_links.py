"""The civil servants' pages: the next status with the official answer (and its e-mail), and
"you said, we did" links to published pilots and algorithms."""

import pytest
from django.core import mail
from django.urls import reverse

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import IdeaEvent, IdeaLink, Moderation, Status
from registry import services as registry_services
from tests.factories import IdeaFactory, UserFactory, user_for_role
from tests.registry.conftest import COMPLETE, PILOT_COMPLETE, make_pilot, make_published

pytestmark = pytest.mark.django_db

ANSWER = "We plaatsen tien bankjes in het Westerpark, dit najaar."


@pytest.fixture
def civil_servant(client, settings):
    user = user_for_role(roles.CIVIL_SERVANT)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return user


def _status_url(idea):
    return reverse("ideas:status", kwargs={"public_id": idea.public_id})


def _link_url(idea):
    return reverse("ideas:link", kwargs={"public_id": idea.public_id})


# --- status and official answer ---------------------------------------------------------------


@pytest.mark.parametrize(("current", "offered"), [
    (Status.PUBLISHED, [Status.UNDER_CONSIDERATION, Status.ACCEPTED, Status.NOT_FEASIBLE,
                        Status.ALREADY_PLANNED]),
    (Status.UNDER_CONSIDERATION, [Status.ACCEPTED, Status.NOT_FEASIBLE, Status.ALREADY_PLANNED]),
    (Status.ACCEPTED, [Status.NOT_FEASIBLE, Status.REALISED]),
    (Status.ALREADY_PLANNED, [Status.REALISED]),
])
def test_only_the_next_possible_statuses_are_offered(client, civil_servant, current, offered):
    idea = IdeaFactory(status=current)

    response = client.get(_status_url(idea))

    choices = [value for value, _label in response.context["form"].fields["status"].choices]
    assert choices == offered
    assert f'data-testid="current-state">{Status(current).label}<' in response.content.decode()


@pytest.mark.parametrize("final", [Status.REALISED, Status.NOT_FEASIBLE])
def test_a_final_status_offers_no_form(client, civil_servant, final):
    response = client.get(_status_url(IdeaFactory(status=final)))

    assert response.context["form"] is None
    assert 'data-testid="final-status"' in response.content.decode()


def test_changing_the_status_sends_the_official_answer(client, civil_servant,
                                                       django_capture_on_commit_callbacks):
    idea = IdeaFactory()
    follower = UserFactory(email="volger@example.org")
    services.idea_follow(idea=idea, user=follower)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_status_url(idea), {"status": Status.ACCEPTED,
                                                   "answer": ANSWER})

    assert response.status_code == 302
    assert response.url == idea.get_absolute_url()
    idea.refresh_from_db()
    assert idea.status == Status.ACCEPTED
    event = idea.events.get(action=IdeaEvent.Action.STATUS)
    assert (event.text, event.by) == (ANSWER, civil_servant)
    assert [m.to for m in mail.outbox] == [["volger@example.org"]]
    assert ANSWER in mail.outbox[0].body


def test_the_official_answer_is_required(client, civil_servant):
    idea = IdeaFactory()

    response = client.post(_status_url(idea), {"status": Status.ACCEPTED, "answer": "   "})

    assert response.status_code == 400
    assert "answer" in response.context["form"].errors
    content = response.content.decode()
    assert 'href="#id_answer"' in content
    idea.refresh_from_db()
    assert idea.status == Status.PUBLISHED


@pytest.mark.parametrize("status", [Status.REALISED, Status.PUBLISHED, "unknown", ""])
def test_a_status_that_is_not_offered_is_refused(client, civil_servant, status):
    idea = IdeaFactory()

    response = client.post(_status_url(idea), {"status": status, "answer": ANSWER})

    assert response.status_code == 400
    assert "status" in response.context["form"].errors
    content = response.content.decode()
    assert 'href="#id_status_0"' in content
    idea.refresh_from_db()
    assert idea.status == Status.PUBLISHED


def test_earlier_answers_are_shown_newest_first(client, civil_servant):
    idea = IdeaFactory()
    services.idea_status_change(idea=idea, by=civil_servant, status=Status.UNDER_CONSIDERATION,
                                answer="We kijken ernaar.")
    services.idea_status_change(idea=idea, by=civil_servant, status=Status.ACCEPTED,
                                answer=ANSWER)

    response = client.get(_status_url(idea))

    assert [row["event"].text for row in response.context["answers"]] == [
        ANSWER, "We kijken ernaar."]
    content = response.content.decode()
    assert content.index(ANSWER) < content.index("We kijken ernaar.")


def test_an_unpublished_idea_gets_no_status(client, civil_servant):
    idea = IdeaFactory(moderation=Moderation.PENDING)

    response = client.get(_status_url(idea))
    assert response.context["form"] is None
    assert 'data-testid="not-public"' in response.content.decode()

    response = client.post(_status_url(idea), {"status": Status.ACCEPTED, "answer": ANSWER})
    assert response.status_code == 400
    idea.refresh_from_db()
    assert idea.status == Status.PUBLISHED


# --- links ------------------------------------------------------------------------------------


@pytest.fixture
def approver():
    return UserFactory(groups=[roles.CIVIL_SERVANT])


@pytest.fixture
def pilot(civil_servant, approver):
    return make_pilot(civil_servant, approver)


@pytest.fixture
def algorithm(civil_servant, approver):
    return make_published(civil_servant, approver)


def test_only_published_pilots_and_algorithms_are_offered(client, civil_servant, pilot,
                                                          algorithm):
    registry_services.pilot_create(by=civil_servant, **{**PILOT_COMPLETE,
                                                        "title": "Geheime proef"})
    registry_services.algorithm_create(by=civil_servant, **{**COMPLETE, "name": "Concept"})

    response = client.get(_link_url(IdeaFactory()))

    values = [value for group in response.context["form"].fields["target"].choices[1:]
              for value, _label in group[1]]
    assert values == [f"pilot:{pilot.pk}", f"algorithm:{algorithm.pk}"]
    content = response.content.decode()
    assert pilot.title in content
    assert "Geheime proef" not in content
    assert "Concept" not in content


def test_linking_an_idea_to_a_pilot(client, civil_servant, pilot):
    idea = IdeaFactory()

    response = client.post(_link_url(idea), {"target": f"pilot:{pilot.pk}",
                                             "note": "Dit idee werd de proef met de bus."})

    assert response.status_code == 302
    assert response.url == idea.get_absolute_url()
    link = IdeaLink.objects.get()
    assert (link.idea, link.pilot, link.note, link.created_by) == (
        idea, pilot, "Dit idee werd de proef met de bus.", civil_servant)


def test_linking_an_idea_to_an_algorithm(client, civil_servant, algorithm):
    idea = IdeaFactory()

    response = client.post(_link_url(idea), {"target": f"algorithm:{algorithm.pk}"})

    assert response.status_code == 302
    assert IdeaLink.objects.get().algorithm == algorithm


def test_a_linked_target_is_listed_and_not_offered_again(client, civil_servant, pilot,
                                                         algorithm):
    idea = IdeaFactory()
    services.idea_link_add(idea=idea, by=civil_servant, pilot=pilot, note="De bus.")

    response = client.get(_link_url(idea))

    values = [value for group in response.context["form"].fields["target"].choices[1:]
              for value, _label in group[1]]
    assert values == [f"algorithm:{algorithm.pk}"]
    assert "De bus." in response.content.decode()
    response = client.post(_link_url(idea), {"target": f"pilot:{pilot.pk}"})
    assert response.status_code == 400
    assert IdeaLink.objects.count() == 1


@pytest.mark.parametrize("target", ["", "pilot:999999", "registry:1", "pilot:abc"])
def test_a_bad_target_is_a_clear_error(client, civil_servant, pilot, target):
    response = client.post(_link_url(IdeaFactory()), {"target": target})

    assert response.status_code == 400
    assert "target" in response.context["form"].errors
    assert not IdeaLink.objects.exists()


def test_nothing_to_link_to_says_so(client, civil_servant):
    response = client.get(_link_url(IdeaFactory()))

    assert response.context["form"] is None
    assert 'data-testid="nothing-to-link"' in response.content.decode()


def test_an_unpublished_idea_cannot_be_linked(client, civil_servant, pilot):
    idea = IdeaFactory(moderation=Moderation.REJECTED)

    response = client.get(_link_url(idea))
    assert 'data-testid="not-public"' in response.content.decode()
    response = client.post(_link_url(idea), {"target": f"pilot:{pilot.pk}"})
    assert response.status_code == 400
    assert not IdeaLink.objects.exists()


def test_the_trail_shows_on_the_idea_page(client, civil_servant, pilot):
    idea = IdeaFactory()
    client.post(_link_url(idea), {"target": f"pilot:{pilot.pk}", "note": "De bus rijdt."})

    content = client.get(idea.get_absolute_url()).content.decode()

    assert pilot.title in content
    assert "De bus rijdt." in content
