"""Service level: the municipality's answer (status transitions table, the notification task,
idempotent on redelivery) and "you said, we did" links (once per target)."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from portal.accounts import roles
from portal.core.models import Notification
from portal.ideas import services
from portal.ideas.models import IdeaEvent, IdeaLink, Moderation, Status
from tests.factories import IdeaFactory, user_for_role
from tests.registry.conftest import make_pilot, make_published

pytestmark = pytest.mark.django_db

Action = IdeaEvent.Action
ANSWER = "We plaatsen tien bankjes in het Westerpark."


@pytest.fixture
def civil_servant():
    return user_for_role(roles.CIVIL_SERVANT)


# --- status transitions -----------------------------------------------------------------------

ALLOWED = {
    Status.UNDER_CONSIDERATION: {Status.PUBLISHED},
    Status.ACCEPTED: {Status.PUBLISHED, Status.UNDER_CONSIDERATION},
    Status.NOT_FEASIBLE: {Status.PUBLISHED, Status.UNDER_CONSIDERATION, Status.ACCEPTED},
    Status.ALREADY_PLANNED: {Status.PUBLISHED, Status.UNDER_CONSIDERATION},
    Status.REALISED: {Status.ACCEPTED, Status.ALREADY_PLANNED},
}


def test_the_table_in_the_service_is_the_one_the_issue_describes():
    assert services.STATUS_TRANSITIONS == ALLOWED


@pytest.mark.parametrize("current", list(Status.values))
@pytest.mark.parametrize("target", list(Status.values))
def test_status_transitions_table(civil_servant, current, target):
    idea = IdeaFactory(status=current)

    if current in ALLOWED.get(target, set()):
        event = services.idea_status_change(idea=idea, by=civil_servant, status=target,
                                            answer=ANSWER)
        idea.refresh_from_db()
        assert idea.status == target
        assert idea.status_changed_at is not None
        assert (event.action, event.from_state, event.to_state, event.text, event.by_role) == (
            Action.STATUS, current, target, ANSWER, roles.CIVIL_SERVANT,
        )
    else:
        with pytest.raises(ValidationError):
            services.idea_status_change(idea=idea, by=civil_servant, status=target, answer=ANSWER)
        idea.refresh_from_db()
        assert idea.status == current
        assert not idea.events.exists()


def test_an_official_answer_is_required(civil_servant):
    idea = IdeaFactory()

    with pytest.raises(ValidationError) as error:
        services.idea_status_change(idea=idea, by=civil_servant, status=Status.ACCEPTED,
                                    answer="  ")

    assert "answer" in error.value.message_dict


def test_only_a_published_idea_gets_a_status(civil_servant):
    idea = IdeaFactory(moderation=Moderation.PENDING)

    with pytest.raises(ValidationError):
        services.idea_status_change(idea=idea, by=civil_servant, status=Status.ACCEPTED,
                                    answer=ANSWER)


@pytest.mark.parametrize("role", [roles.RESIDENT, roles.ORGANISATION_MEMBER, roles.MODERATOR,
                                  roles.COUNCIL_MEMBER])
def test_only_civil_servants_give_the_answer(role):
    idea = IdeaFactory()

    with pytest.raises(PermissionDenied):
        services.idea_status_change(idea=idea, by=user_for_role(role), status=Status.ACCEPTED,
                                    answer=ANSWER)


# --- notifying author, supporters and followers -----------------------------------------------


def test_the_author_supporters_and_followers_are_notified_once_each(
    civil_servant, django_capture_on_commit_callbacks,
):
    idea = IdeaFactory()
    supporter = user_for_role(roles.VERIFIED_RESIDENT)
    follower = user_for_role(roles.ORGANISATION_MEMBER, email="volger@example.org")
    both = user_for_role(roles.VERIFIED_RESIDENT)
    services.idea_support(idea=idea, user=supporter)
    services.idea_support(idea=idea, user=both)
    services.idea_follow(idea=idea, user=both)
    services.idea_follow(idea=idea, user=follower)

    with django_capture_on_commit_callbacks(execute=True):
        event = services.idea_status_change(idea=idea, by=civil_servant, status=Status.ACCEPTED,
                                            answer=ANSWER)

    recipients = sorted(Notification.objects.filter(kind=services.STATUS_NOTIFY_KIND)
                        .values_list("recipient", flat=True))
    assert recipients == sorted([idea.author_id, supporter.pk, follower.pk, both.pk])
    assert all(f"#event-{event.pk}" in url for url in
               Notification.objects.values_list("url", flat=True))
    # Residents have no e-mail address: only the organisation member gets a mail.
    assert [m.to for m in mail.outbox] == [["volger@example.org"]]
    assert ANSWER in mail.outbox[0].body


def test_a_redelivered_task_notifies_nobody_twice(civil_servant):
    idea = IdeaFactory()
    services.idea_follow(idea=idea, user=user_for_role(roles.RESIDENT))
    event = services.idea_status_change(idea=idea, by=civil_servant,
                                        status=Status.UNDER_CONSIDERATION, answer=ANSWER)

    assert services.idea_status_notify(event=event) == 2
    assert services.idea_status_notify(event=event) == 0
    assert Notification.objects.filter(kind=services.STATUS_NOTIFY_KIND).count() == 2


def test_a_new_status_is_a_new_notification(civil_servant):
    idea = IdeaFactory()
    first = services.idea_status_change(idea=idea, by=civil_servant,
                                        status=Status.UNDER_CONSIDERATION, answer=ANSWER)
    second = services.idea_status_change(idea=idea, by=civil_servant, status=Status.ACCEPTED,
                                         answer=ANSWER)

    services.idea_status_notify(event=first)
    services.idea_status_notify(event=second)

    assert Notification.objects.filter(recipient=idea.author).count() == 2


def test_an_idea_without_author_notifies_only_its_followers(civil_servant):
    idea = IdeaFactory(author=None)
    follower = user_for_role(roles.RESIDENT)
    services.idea_follow(idea=idea, user=follower)
    event = services.idea_status_change(idea=idea, by=civil_servant,
                                        status=Status.UNDER_CONSIDERATION, answer=ANSWER)

    assert services.idea_status_notify(event=event) == 1
    assert Notification.objects.get().recipient == follower


# --- links ------------------------------------------------------------------------------------


@pytest.fixture
def pilot(civil_servant):
    return make_pilot(civil_servant, user_for_role(roles.CIVIL_SERVANT))


@pytest.fixture
def algorithm(civil_servant):
    return make_published(civil_servant, user_for_role(roles.CIVIL_SERVANT))


def test_an_idea_links_once_to_a_pilot_and_once_to_an_algorithm(civil_servant, pilot,
                                                                 algorithm):
    idea = IdeaFactory()

    link = services.idea_link_add(idea=idea, by=civil_servant, pilot=pilot, note=" De bus. ")
    services.idea_link_add(idea=idea, by=civil_servant, algorithm=algorithm)
    with pytest.raises(ValidationError) as error:
        services.idea_link_add(idea=idea, by=civil_servant, pilot=pilot)

    assert error.value.code == "already_linked"
    assert link.note == "De bus."
    assert IdeaLink.objects.filter(idea=idea).count() == 2
    texts = list(idea.events.filter(action=Action.LINK).values_list("text", flat=True))
    assert texts == ["De bus.", str(algorithm)]


def test_a_link_has_exactly_one_target(civil_servant, pilot, algorithm):
    idea = IdeaFactory()

    with pytest.raises(ValidationError):
        services.idea_link_add(idea=idea, by=civil_servant)
    with pytest.raises(ValidationError):
        services.idea_link_add(idea=idea, by=civil_servant, pilot=pilot, algorithm=algorithm)
    assert not IdeaLink.objects.exists()


def test_two_ideas_may_lead_to_the_same_pilot(civil_servant, pilot):
    services.idea_link_add(idea=IdeaFactory(), by=civil_servant, pilot=pilot)
    services.idea_link_add(idea=IdeaFactory(), by=civil_servant, pilot=pilot)

    assert pilot.idea_links.count() == 2


@pytest.mark.parametrize("role", [roles.RESIDENT, roles.MODERATOR])
def test_only_civil_servants_link(role, pilot):
    with pytest.raises(PermissionDenied):
        services.idea_link_add(idea=IdeaFactory(), by=user_for_role(role), pilot=pilot)


def test_only_a_published_idea_is_linked(civil_servant, pilot):
    with pytest.raises(ValidationError):
        services.idea_link_add(idea=IdeaFactory(moderation=Moderation.REJECTED),
                               by=civil_servant, pilot=pilot)
