"""The jury: appointed by civil servants, declares conflicts before seeing a proposal (a
conflict hides it), scores 0–10 with a motivation per criterion until the chair finalises."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from challenges import selectors, services
from challenges.models import ConflictDeclaration, JuryMember, Score
from portal.core.models import Notification
from tests.challenges.builders import (
    appoint,
    bidder,
    civil_servant,
    declare_and_score,
    jury_user,
    open_challenge,
    start_assessment,
    submitted_proposal,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def servant():
    return civil_servant()


@pytest.fixture
def challenge(servant):
    return open_challenge(by=servant)


# --- appointing --------------------------------------------------------------------------------


def test_a_civil_servant_appoints_jury_members_and_one_chair(challenge, servant):
    first, second = jury_user(), jury_user()

    appoint(challenge, first, chair=True, by=servant)
    appoint(challenge, second, by=servant)
    appoint(challenge, second, chair=True, by=servant)  # the chair moves

    assert dict(challenge.jury.values_list("user", "is_chair")) == {first.pk: False,
                                                                   second.pk: True}
    notified = Notification.objects.filter(kind="challenge_jury_appointed")
    assert set(notified.values_list("recipient", flat=True)) == {first.pk, second.pk}


def test_only_people_with_the_jury_role_are_appointed(challenge, servant):
    with pytest.raises(ValidationError) as error:
        services.jury_appoint(challenge=challenge, by=servant, user=UserFactory())

    assert "user" in error.value.message_dict
    assert not JuryMember.objects.exists()


def test_a_member_of_a_bidding_organisation_is_not_appointed(challenge, servant):
    organisation, member = bidder()
    member.groups.add(*jury_user().groups.all())
    submitted_proposal(challenge, organisation, member)

    with pytest.raises(ValidationError):
        services.jury_appoint(challenge=challenge, by=servant, user=member)


@pytest.mark.parametrize("role", ["jury_member", "organisation_member", "council_member"])
def test_only_civil_servants_appoint(challenge, role):
    from tests.factories import user_for_role

    with pytest.raises(PermissionDenied):
        services.jury_appoint(challenge=challenge, by=user_for_role(role), user=jury_user())


def test_a_jury_member_is_removed_with_their_scores(challenge, servant, monkeypatch):
    proposal = submitted_proposal(challenge)
    chair = appoint(challenge, chair=True, by=servant)
    member = appoint(challenge, by=servant)
    start_assessment(monkeypatch, challenge, by=servant)
    declare_and_score(member, proposal, 5)

    services.jury_remove(jury_member=member, by=servant)

    assert list(challenge.jury.all()) == [chair]
    assert not Score.objects.exists()


# --- conflicts of interest ---------------------------------------------------------------------


@pytest.fixture
def assessing(challenge, servant, monkeypatch):
    proposal = submitted_proposal(challenge, *bidder("Groene Daken BV"))
    chair = appoint(challenge, chair=True, by=servant)
    member = appoint(challenge, by=servant)
    start_assessment(monkeypatch, challenge, by=servant)
    return challenge, proposal, chair, member


def test_before_declaring_a_jury_member_sees_no_proposal(assessing):
    challenge, proposal, _chair, member = assessing

    assert not member.user.has_perm("challenges.view_proposal", proposal)
    assert list(selectors.proposals_visible_to(member.user, challenge)) == []
    # …but the overview lists it by organisation, to declare on.
    row = selectors.jury_overview(member)[0]
    assert row.proposal == proposal
    assert row.declaration is None
    assert not row.may_see


def test_declaring_no_conflict_shows_the_proposal(assessing):
    challenge, proposal, _chair, member = assessing

    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)

    assert member.user.has_perm("challenges.view_proposal", proposal)
    assert member.user.has_perm("challenges.view_attachment", proposal.attachments.first())
    assert list(selectors.proposals_visible_to(member.user, challenge)) == [proposal]


def test_a_declared_conflict_hides_the_proposal_for_good(assessing):
    challenge, proposal, _chair, member = assessing

    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=True,
                              explanation="Mijn broer werkt bij Groene Daken.")

    assert not member.user.has_perm("challenges.view_proposal", proposal)
    assert not member.user.has_perm("challenges.view_attachment",
                                    proposal.attachments.first())
    assert list(selectors.proposals_visible_to(member.user, challenge)) == []
    with pytest.raises(ValidationError):
        services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)
    assert ConflictDeclaration.objects.get().has_conflict is True
    with pytest.raises(PermissionDenied):
        services.score_save(jury_member=member, proposal=proposal,
                            criterion=challenge.criteria.first(), score=9, motivation="Top")


def test_a_conflict_found_later_removes_the_scores_given(assessing):
    challenge, proposal, chair, member = assessing
    declare_and_score(member, proposal, 9)
    declare_and_score(chair, proposal, 5)

    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=True,
                              explanation="Later ontdekt.")

    assert not Score.objects.filter(jury_member=member).exists()
    assert selectors.ranking(challenge)[0].score == 5


def test_someone_else_cannot_declare_for_a_jury_member(assessing):
    challenge, proposal, _chair, member = assessing
    other_challenge_member = appoint(open_challenge())

    with pytest.raises(PermissionDenied):
        services.conflict_declare(jury_member=other_challenge_member, proposal=proposal,
                                  has_conflict=False)


def test_conflicts_are_declared_only_after_the_deadline(challenge, servant):
    proposal = submitted_proposal(challenge)
    member = appoint(challenge, by=servant)

    with pytest.raises(ValidationError):
        services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)


def test_a_jury_member_whose_role_was_taken_away_can_no_longer_act(assessing):
    challenge, proposal, _chair, member = assessing
    member.user.groups.clear()

    with pytest.raises(PermissionDenied):
        services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)


# --- scores ------------------------------------------------------------------------------------


def test_a_score_is_saved_and_changed_until_finalised(assessing):
    challenge, proposal, _chair, member = assessing
    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)
    criterion = challenge.criteria.first()

    services.score_save(jury_member=member, proposal=proposal, criterion=criterion, score=6,
                        motivation="Redelijk.")
    services.score_save(jury_member=member, proposal=proposal, criterion=criterion, score="8",
                        motivation="Bij nader inzien sterk.")

    score = Score.objects.get()
    assert (score.score, score.motivation) == (8, "Bij nader inzien sterk.")


@pytest.mark.parametrize(("score", "motivation", "field"), [
    (11, "Goed", "score"),
    (-1, "Goed", "score"),
    ("7.5", "Goed", "score"),
    ("zeven", "Goed", "score"),
    (None, "Goed", "score"),
    (True, "Goed", "score"),
    (7, "", "motivation"),
    (7, "   ", "motivation"),
])
def test_scores_are_whole_numbers_0_to_10_with_a_motivation(assessing, score, motivation,
                                                            field):
    challenge, proposal, _chair, member = assessing
    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)

    with pytest.raises(ValidationError) as error:
        services.score_save(jury_member=member, proposal=proposal,
                            criterion=challenge.criteria.first(), score=score,
                            motivation=motivation)

    assert field in error.value.message_dict
    assert not Score.objects.exists()


def test_scores_of_0_and_10_are_allowed(assessing):
    challenge, proposal, _chair, member = assessing
    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)
    first, second = list(challenge.criteria.all())[:2]

    services.score_save(jury_member=member, proposal=proposal, criterion=first, score=0,
                        motivation="Geen effect.")
    services.score_save(jury_member=member, proposal=proposal, criterion=second, score=10,
                        motivation="Perfect.")

    assert sorted(Score.objects.values_list("score", flat=True)) == [0, 10]


def test_a_criterion_of_another_challenge_is_refused(assessing):
    challenge, proposal, _chair, member = assessing
    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)
    foreign = open_challenge().criteria.first()

    with pytest.raises(ValidationError):
        services.score_save(jury_member=member, proposal=proposal, criterion=foreign, score=5,
                            motivation="x")


def test_scoring_waits_for_the_assessment_to_start(challenge, servant, monkeypatch):
    from tests.challenges.builders import close

    proposal = submitted_proposal(challenge)
    member = appoint(challenge, by=servant)
    appoint(challenge, chair=True, by=servant)
    close(monkeypatch, challenge)
    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)

    with pytest.raises(ValidationError):
        services.score_save(jury_member=member, proposal=proposal,
                            criterion=challenge.criteria.first(), score=5, motivation="x")


def test_the_jury_progress_counts_declarations_and_complete_scores(assessing, servant):
    challenge, proposal, chair, member = assessing
    declare_and_score(chair, proposal, 7)
    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)

    progress = {row.member.pk: row for row in selectors.jury_progress(challenge)}

    assert progress[chair.pk].is_complete
    assert progress[chair.pk].scored == 1
    assert not progress[member.pk].is_complete
    assert (progress[member.pk].declared, progress[member.pk].scored) == (1, 0)

