"""Ranking, finalising and the decision: outcome letters for every bidder, the winner's pilot in
the register (linked both ways), notifications."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from challenges import selectors, services
from challenges.models import Challenge, ChallengeEvent, Proposal
from portal.core.models import Notification
from registry.models import Pilot
from tests.challenges.builders import (
    appoint,
    bidder,
    civil_servant,
    declare_and_score,
    member_of,
    open_challenge,
    start_assessment,
    submitted_proposal,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def servant():
    return civil_servant(display_name="Anna de Vries")


@pytest.fixture
def assessed(monkeypatch, servant):
    """An open challenge with three submitted proposals, a chair and a member, in assessment."""
    challenge = open_challenge(by=servant)
    groen = submitted_proposal(challenge, *bidder("Groene Daken BV"))
    water = submitted_proposal(challenge, *bidder("Waterplein Lab"))
    koel = submitted_proposal(challenge, *bidder("Koele Wijk"))
    chair = appoint(challenge, chair=True, by=servant)
    member = appoint(challenge, by=servant)
    start_assessment(monkeypatch, challenge, by=servant)
    return challenge, {"groen": groen, "water": water, "koel": koel}, chair, member


def _score_everything(challenge, proposals, chair, member):
    # weights 50/30/20
    declare_and_score(chair, proposals["groen"], [9, 8, 6])   # 4.5+2.4+1.2 = 8.1
    declare_and_score(member, proposals["groen"], [7, 8, 8])  # 3.5+2.4+1.6 = 7.5
    declare_and_score(chair, proposals["water"], [5, 5, 5])
    declare_and_score(member, proposals["water"], [6, 6, 6])
    declare_and_score(chair, proposals["koel"], [8, 2, 2])
    services.conflict_declare(jury_member=member, proposal=proposals["koel"], has_conflict=True,
                              explanation="Mijn zwager werkt daar.")


def test_the_ranking_weights_the_mean_scores_and_leaves_out_conflicted_members(assessed):
    challenge, proposals, chair, member = assessed
    _score_everything(challenge, proposals, chair, member)

    rows = selectors.ranking(challenge)

    assert [row.proposal.pk for row in rows] == [
        proposals["groen"].pk, proposals["water"].pk, proposals["koel"].pk]
    assert [row.score for row in rows] == [Decimal("7.80"), Decimal("5.50"), Decimal("5.00")]
    assert [row.rank for row in rows] == [1, 2, 3]
    assert [result.mean for result in rows[0].criteria] == [
        Decimal("8.00"), Decimal("8.00"), Decimal("7.00")]
    # The member with a conflict is not counted for "koel": only the chair's scores.
    assert rows[2].scorers == 1


def test_equal_scores_share_a_place(assessed):
    challenge, proposals, chair, member = assessed
    for proposal in proposals.values():
        declare_and_score(chair, proposal, 6)

    rows = selectors.ranking(challenge)

    assert [row.rank for row in rows] == [1, 1, 1]


def test_the_chair_cannot_finalise_while_a_member_has_not_scored_everything(assessed):
    challenge, proposals, chair, member = assessed
    for proposal in proposals.values():
        declare_and_score(chair, proposal, 6)
    declare_and_score(member, proposals["groen"], 7)

    with pytest.raises(ValidationError) as error:
        services.ranking_finalise(challenge=challenge, by=chair.user)

    assert member.user.display_name in " ".join(error.value.messages)
    challenge.refresh_from_db()
    assert challenge.ranking_finalised_at is None


def test_only_the_chair_finalises_not_a_member_nor_an_admin(assessed):
    challenge, proposals, chair, member = assessed
    _score_everything(challenge, proposals, chair, member)
    admin = UserFactory(is_superuser=True, is_staff=True)

    for user in (member.user, admin, civil_servant()):
        with pytest.raises(PermissionDenied):
            services.ranking_finalise(challenge=challenge, by=user)


def test_finalising_freezes_the_scores_and_keeps_the_places(assessed):
    challenge, proposals, chair, member = assessed
    _score_everything(challenge, proposals, chair, member)

    services.ranking_finalise(challenge=challenge, by=chair.user)

    groen = Proposal.objects.get(pk=proposals["groen"].pk)
    assert (groen.final_rank, groen.final_score) == (1, Decimal("7.80"))
    criterion = challenge.criteria.first()
    with pytest.raises(PermissionDenied):
        services.score_save(jury_member=member, proposal=groen, criterion=criterion, score=1,
                            motivation="Toch niet.")
    assert ChallengeEvent.objects.filter(challenge=challenge,
                                         action=ChallengeEvent.Action.RANKING_FINALISE).exists()


def test_award_needs_a_final_ranking(assessed):
    challenge, proposals, chair, member = assessed

    with pytest.raises(ValidationError):
        services.challenge_award(challenge=challenge, by=chair.user, proposal=proposals["groen"],
                                 motivation="De beste.")


@pytest.fixture
def finalised(assessed):
    challenge, proposals, chair, member = assessed
    _score_everything(challenge, proposals, chair, member)
    services.ranking_finalise(challenge=challenge, by=chair.user)
    challenge.refresh_from_db()
    return assessed


def test_award_creates_the_pilot_in_the_register_linked_both_ways(finalised, servant):
    challenge, proposals, chair, member = finalised

    pilot = services.challenge_award(challenge=challenge, by=chair.user,
                                     proposal=proposals["groen"],
                                     motivation="Het grootste effect voor ouderen.")

    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.AWARDED
    assert challenge.awarded_proposal_id == proposals["groen"].pk
    assert challenge.pilot == pilot
    assert list(pilot.challenges.all()) == [challenge]  # the register reads the link back
    pilot = Pilot.objects.get(pk=pilot.pk)
    assert pilot.title == challenge.title
    assert pilot.summary == proposals["groen"].summary
    assert pilot.theme == challenge.theme
    assert pilot.department == challenge.department
    assert pilot.budget == Decimal("45000")
    assert "Groene Daken BV" in pilot.partners
    assert pilot.intervention == proposals["groen"].approach
    # The chair is a jury member, not a civil servant: the challenge's author creates it.
    assert pilot.created_by == servant
    assert pilot.state == Pilot.State.DRAFT  # to be completed, then published four-eyes


def test_award_by_a_chair_who_is_a_civil_servant_creates_the_pilot_as_the_chair(monkeypatch):
    author = civil_servant()
    challenge = open_challenge(by=author)
    proposal = submitted_proposal(challenge)
    chair_user = UserFactory(groups=["jury_member", "civil_servant"])
    chair = appoint(challenge, chair_user, chair=True, by=author)
    start_assessment(monkeypatch, challenge, by=author)
    declare_and_score(chair, proposal, 8)
    services.ranking_finalise(challenge=challenge, by=chair_user)

    pilot = services.challenge_award(challenge=challenge, by=chair_user, proposal=proposal,
                                     motivation="Goed plan.")

    assert pilot.created_by == chair_user


def test_every_bidder_gets_a_motivated_outcome_letter(finalised, settings):
    settings.LANGUAGE_CODE = "en"  # letters are written in the site's language
    challenge, proposals, chair, member = finalised
    koel_member = proposals["koel"].organisation.memberships.get().user
    colleague = member_of(proposals["koel"].organisation)

    services.challenge_award(challenge=challenge, by=chair.user, proposal=proposals["groen"],
                             motivation="Het grootste effect voor ouderen.")

    winner = Proposal.objects.get(pk=proposals["groen"].pk)
    loser = Proposal.objects.get(pk=proposals["koel"].pk)
    assert winner.outcome == Proposal.Outcome.AWARDED
    assert loser.outcome == Proposal.Outcome.NOT_AWARDED
    assert loser.outcome_sent_at is not None
    # rank, weighted score, per criterion the mean and the jury's motivations, the decision
    assert "3 of 3" in loser.outcome_letter
    assert "5.00 of 10" in loser.outcome_letter
    assert "Effect op hittestress" in loser.outcome_letter
    assert "Goed onderbouwd. (Haalbaarheid)" in loser.outcome_letter
    assert "Het grootste effect voor ouderen." in loser.outcome_letter
    assert "Groene Daken BV" not in loser.outcome_letter  # no other bidder's name
    # The member with a conflict never scored "koel": only the chair's motivations, once each.
    assert loser.outcome_letter.count("Goed onderbouwd. (Prijs)") == 1
    for user in (koel_member, colleague):
        notification = Notification.objects.get(recipient=user, kind="challenge_outcome")
        assert str(loser.public_id) in notification.url
    assert Notification.objects.filter(kind="challenge_outcome").count() == 4


def test_award_refuses_a_proposal_of_another_challenge_or_not_submitted(finalised, servant):
    challenge, proposals, chair, member = finalised
    other = submitted_proposal(open_challenge(by=servant))

    with pytest.raises(ValidationError):
        services.challenge_award(challenge=challenge, by=chair.user, proposal=other,
                                 motivation="x")
    with pytest.raises(ValidationError):
        services.challenge_award(challenge=challenge, by=chair.user,
                                 proposal=proposals["groen"], motivation="  ")
    assert not Pilot.objects.exists()


def test_only_the_chair_awards(finalised):
    challenge, proposals, chair, member = finalised

    for user in (member.user, civil_servant(), UserFactory(is_superuser=True, is_staff=True)):
        with pytest.raises(PermissionDenied):
            services.challenge_award(challenge=challenge, by=user, proposal=proposals["groen"],
                                     motivation="x")
    assert not Pilot.objects.exists()


def test_not_awarding_writes_letters_without_a_pilot(finalised):
    challenge, proposals, chair, member = finalised

    services.challenge_not_award(challenge=challenge, by=chair.user,
                                 motivation="Geen voorstel haalde de drempel.")

    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.NOT_AWARDED
    assert challenge.pilot is None
    assert not Pilot.objects.exists()
    letters = list(Proposal.objects.values_list("outcome", "outcome_letter"))
    assert {outcome for outcome, _letter in letters} == {Proposal.Outcome.NOT_AWARDED}
    assert all("Geen voorstel haalde de drempel." in letter for _outcome, letter in letters)


def test_a_civil_servant_closes_a_challenge_without_proposals_without_award(monkeypatch):
    author = civil_servant()
    challenge = open_challenge(by=author)
    from tests.challenges.builders import close

    close(monkeypatch, challenge)
    with pytest.raises(ValidationError):
        services.challenge_assessment_start(challenge=challenge, by=author)

    services.challenge_not_award(challenge=challenge, by=author, motivation="Niets ontvangen.")

    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.NOT_AWARDED
    assert challenge.events.filter(action=ChallengeEvent.Action.NOT_AWARD,
                                   reason="Niets ontvangen.").exists()
