"""Public questions and answers: organisations ask until the questions deadline, the civil
servant answers publicly without the asker, followers are told."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from challenges import selectors, services
from challenges.models import ChallengeFollow, Question
from portal.core.models import Notification
from tests.challenges.builders import (
    bidder,
    civil_servant,
    draft_challenge,
    open_challenge,
    set_clock,
)
from tests.factories import UserFactory, user_for_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def servant():
    return civil_servant()


@pytest.fixture
def challenge(servant):
    return open_challenge(by=servant)


def test_an_organisation_member_asks_a_question(challenge):
    organisation, member = bidder("Groene Daken BV")

    question = services.question_ask(challenge=challenge, by=member,
                                     text="  Mag het ook een tijdelijke oplossing zijn?  ")

    assert question.text == "Mag het ook een tijdelijke oplossing zijn?"
    assert (question.asked_by, question.organisation) == (member, organisation)
    assert question.status == Question.Status.PENDING
    # The asker follows the challenge, so they hear of the answer and of amendments.
    assert ChallengeFollow.objects.filter(challenge=challenge, user=member).exists()


@pytest.mark.parametrize("role", ["visitor", "resident", "verified_resident", "civil_servant",
                                  "jury_member", "council_member", "moderator"])
def test_only_organisation_members_ask(challenge, role):
    with pytest.raises(PermissionDenied):
        services.question_ask(challenge=challenge, by=user_for_role(role), text="Vraag?")
    assert not Question.objects.exists()


def test_an_admin_who_is_not_in_an_organisation_cannot_ask(challenge):
    admin = UserFactory(is_superuser=True, is_staff=True)

    with pytest.raises(PermissionDenied):
        services.question_ask(challenge=challenge, by=admin, text="Vraag?")


def test_questions_close_at_the_questions_deadline_to_the_second(challenge, monkeypatch):
    _organisation, member = bidder()
    set_clock(monkeypatch, challenge.questions_deadline)
    services.question_ask(challenge=challenge, by=member, text="Net op tijd?")

    set_clock(monkeypatch, challenge.questions_deadline + dt.timedelta(seconds=1))
    with pytest.raises(ValidationError) as error:
        services.question_ask(challenge=challenge, by=member, text="Te laat?")
    assert error.value.code == "deadline_passed"

    assert list(Question.objects.values_list("text", flat=True)) == ["Net op tijd?"]


def test_no_questions_about_a_draft(servant):
    _organisation, member = bidder()

    with pytest.raises(PermissionDenied):
        services.question_ask(challenge=draft_challenge(by=servant), by=member, text="Vraag?")


@pytest.mark.parametrize("text", ["", "   ", "x" * (Question.TEXT_MAX + 1)])
def test_an_empty_or_too_long_question_is_refused(challenge, text):
    _organisation, member = bidder()

    with pytest.raises(ValidationError) as error:
        services.question_ask(challenge=challenge, by=member, text=text)

    assert "text" in error.value.message_dict


def test_a_member_of_two_organisations_asks_for_the_one_they_choose(challenge):
    first, member = bidder("Alfa")
    second, _other = bidder("Beta")
    from tests.factories import MembershipFactory

    MembershipFactory(organisation=second, user=member)

    question = services.question_ask(challenge=challenge, by=member, text="Vraag?",
                                     organisation=second)

    assert question.organisation == second
    with pytest.raises(PermissionDenied):
        services.question_ask(challenge=challenge, by=member, text="Vraag?",
                              organisation=bidder("Gamma")[0])


def test_the_answer_is_public_without_the_asker_and_reaches_followers_once(
    challenge, servant, django_capture_on_commit_callbacks
):
    _organisation, asker = bidder()
    follower = UserFactory()
    services.challenge_follow(challenge=challenge, user=follower)
    question = services.question_ask(challenge=challenge, by=asker, text="Mag een dak ook?")

    with django_capture_on_commit_callbacks(execute=True):
        services.question_answer(question=question, by=servant, answer="Ja, daken mogen.")

    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED
    assert question.answered_by == servant
    assert question.answered_at is not None
    recipients = sorted(Notification.objects.filter(kind="challenge_answer")
                        .values_list("recipient", flat=True))
    assert recipients == sorted([asker.pk, follower.pk])
    assert f"#vraag-{question.public_id}" in Notification.objects.first().url
    # Running the notification again (a redelivered task) notifies nobody twice.
    assert services.question_answer_notify(question=question) == 0

    public = selectors.questions_public(challenge)
    assert [q.pk for q in public] == [question.pk]
    # the public list does not even load who asked
    assert "asked_by_id" not in public[0].__dict__
    assert "organisation_id" not in public[0].__dict__


def test_pending_and_declined_questions_are_not_public(challenge, servant):
    _organisation, asker = bidder()
    services.question_ask(challenge=challenge, by=asker, text="Nog geen antwoord")
    declined = services.question_ask(challenge=challenge, by=asker, text="Over ons bedrijf")

    services.question_decline(question=declined, by=servant,
                              reason="Deze vraag gaat over één inschrijver.")

    assert list(selectors.questions_public(challenge)) == []
    notification = Notification.objects.get(kind="challenge_question_declined")
    assert notification.recipient == asker
    assert "één inschrijver" in notification.body


def test_only_civil_servants_answer(challenge):
    _organisation, asker = bidder()
    question = services.question_ask(challenge=challenge, by=asker, text="Vraag?")

    for role in ("organisation_member", "jury_member", "moderator", "council_member"):
        with pytest.raises(PermissionDenied):
            services.question_answer(question=question, by=user_for_role(role), answer="Nee")
    question.refresh_from_db()
    assert question.status == Question.Status.PENDING


def test_a_question_is_answered_or_declined_once(challenge, servant):
    _organisation, asker = bidder()
    question = services.question_ask(challenge=challenge, by=asker, text="Vraag?")
    services.question_answer(question=question, by=servant, answer="Ja.")

    with pytest.raises(ValidationError):
        services.question_answer(question=question, by=servant, answer="Toch nee.")
    with pytest.raises(ValidationError):
        services.question_decline(question=question, by=servant, reason="Nee")


@pytest.mark.parametrize(("service", "field"), [("question_answer", "answer"),
                                            ("question_decline", "reason")])
def test_an_answer_and_a_reason_are_required(challenge, servant, service, field):
    _organisation, asker = bidder()
    question = services.question_ask(challenge=challenge, by=asker, text="Vraag?")

    with pytest.raises(ValidationError) as error:
        getattr(services, service)(question=question, by=servant, **{field: "  "})

    assert field in error.value.message_dict
