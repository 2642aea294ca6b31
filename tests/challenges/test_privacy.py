"""Challenges and the person's rights: the "Mijn gegevens" export, and account deletion that
keeps the organisation's proposal and the jury's record, without the person."""

import pytest

from challenges import privacy, services
from challenges.models import ChallengeFollow, JuryMember, Proposal, Question, Score
from portal.consent import services as consent_services
from portal.consent.personal_data import personal_data_sections
from portal.consent.selectors import personal_data_document
from tests.challenges.builders import (
    appoint,
    bidder,
    civil_servant,
    declare_and_score,
    draft_proposal,
    open_challenge,
    start_assessment,
    submitted_proposal,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def servant():
    return civil_servant()


def test_the_section_is_registered_with_consent():
    assert "challenges" in [section.code for section in personal_data_sections()]


def test_the_export_holds_the_persons_questions_proposals_follows_and_jury_work(servant):
    challenge = open_challenge(by=servant)
    organisation, member = bidder("Groene Daken BV")
    services.question_ask(challenge=challenge, by=member, text="Mag een dak ook?")
    submitted_proposal(challenge, organisation, member)
    jury = appoint(challenge, by=servant)

    data = privacy.export_challenges(member)

    assert [q["text"] for q in data["questions"]] == ["Mag een dak ook?"]
    assert data["proposals"][0]["organisation"] == "Groene Daken BV"
    assert data["proposals"][0]["submitted_by_you"] is True
    assert data["proposals"][0]["receipt_code"]
    assert [f["challenge_title"] for f in data["follows"]] == [challenge.title]
    assert data["jury"] == []
    assert privacy.export_challenges(jury.user)["jury"][0]["challenge_title"] == challenge.title


def test_the_export_never_holds_other_peoples_proposals_or_the_askers_of_answers(servant):
    challenge = open_challenge(by=servant)
    submitted_proposal(challenge)
    _organisation, other = bidder()
    services.question_ask(challenge=challenge, by=other, text="Vraag van een ander")
    _organisation, me = bidder()

    data = privacy.export_challenges(me)

    assert data == {"questions": [], "proposals": [], "follows": [], "jury": []}


def test_the_export_runs_a_fixed_number_of_queries(servant, django_assert_num_queries):
    _organisation, member = bidder()
    for _ in range(3):
        challenge = open_challenge(by=servant)
        services.question_ask(challenge=challenge, by=member, text="Vraag?")
        draft_proposal(challenge, _organisation, member)

    with django_assert_num_queries(4):
        data = privacy.export_challenges(member)

    assert len(data["questions"]) == 3
    assert len(data["proposals"]) == 3


def test_the_export_is_part_of_the_personal_data_document(servant):
    challenge = open_challenge(by=servant)
    _organisation, member = bidder()
    services.question_ask(challenge=challenge, by=member, text="Vraag?")

    document = personal_data_document(user=member)

    questions = document["sections"]["challenges"]["data"]["questions"]
    assert [q["text"] for q in questions] == ["Vraag?"]


def test_deleting_an_account_keeps_the_organisations_proposal_without_the_person(servant):
    challenge = open_challenge(by=servant)
    organisation, member = bidder()
    proposal = submitted_proposal(challenge, organisation, member)
    answered = services.question_ask(challenge=challenge, by=member, text="Beantwoord")
    services.question_answer(question=answered, by=servant, answer="Ja.")
    services.question_ask(challenge=challenge, by=member, text="Nog open")

    consent_services.account_delete(user=member)

    proposal = Proposal.objects.get(pk=proposal.pk)
    assert proposal.organisation == organisation
    assert proposal.status == Proposal.Status.SUBMITTED
    assert (proposal.created_by, proposal.submitted_by) == (None, None)
    assert proposal.attachments.get().uploaded_by is None
    # The answered question stays public (it always was anonymous); the open one is gone.
    assert list(Question.objects.values_list("text", "asked_by")) == [("Beantwoord", None)]
    assert not ChallengeFollow.objects.exists()


def test_deleting_a_jury_members_account_keeps_the_scores_of_the_decision(servant,
                                                                          monkeypatch):
    challenge = open_challenge(by=servant)
    proposal = submitted_proposal(challenge)
    chair = appoint(challenge, chair=True, by=servant)
    start_assessment(monkeypatch, challenge, by=servant)
    declare_and_score(chair, proposal, 8)

    consent_services.account_delete(user=chair.user)

    member = JuryMember.objects.get(pk=chair.pk)
    assert member.user is None
    assert member.is_chair
    assert Score.objects.filter(jury_member=member).count() == challenge.criteria.count()
