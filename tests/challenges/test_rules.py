"""The object rules of challenges, beyond the role matrix: who sees a proposal, when one may ask
or bid, and that the jury's decisions are the chair's alone (also for an admin)."""

import datetime as dt

import pytest
import rules

from challenges import services
from challenges.models import Challenge, Proposal
from tests.challenges.builders import (
    appoint,
    bidder,
    civil_servant,
    declare_and_score,
    draft_challenge,
    jury_user,
    member_of,
    open_challenge,
    set_clock,
    start_assessment,
    submitted_proposal,
)
from tests.factories import UserFactory, user_for_role

pytestmark = pytest.mark.django_db

READ = ("challenges.view_proposal", "challenges.view_attachment")


@pytest.fixture
def servant():
    return civil_servant()


@pytest.fixture
def setting(servant, monkeypatch):
    """A challenge in assessment with two bidders; a chair who declared no conflict for both,
    a member with a conflict for "groen", and a jury member of another challenge."""
    challenge = open_challenge(by=servant)
    groen_org, groen_member = bidder("Groene Daken BV")
    groen = submitted_proposal(challenge, groen_org, groen_member)
    water = submitted_proposal(challenge, *bidder("Waterplein Lab"))
    chair = appoint(challenge, chair=True, by=servant)
    conflicted = appoint(challenge, by=servant)
    outsider = appoint(open_challenge(by=servant), by=servant)
    start_assessment(monkeypatch, challenge, by=servant)
    for proposal in (groen, water):
        services.conflict_declare(jury_member=chair, proposal=proposal, has_conflict=False)
    services.conflict_declare(jury_member=conflicted, proposal=groen, has_conflict=True,
                              explanation="Familie.")
    services.conflict_declare(jury_member=conflicted, proposal=water, has_conflict=False)
    return {"challenge": challenge, "groen": groen, "water": water, "groen_member": groen_member,
            "chair": chair, "conflicted": conflicted, "outsider": outsider}


def _reads(user, proposal) -> bool:
    results = {user.has_perm(perm, proposal) for perm in READ}
    for attachment in proposal.attachments.all():
        results.add(user.has_perm("challenges.view_attachment", attachment))
    assert len(results) == 1, "proposal and attachment rules differ"
    return results.pop()


def test_who_reads_a_proposal(setting, servant):
    groen = setting["groen"]

    assert _reads(setting["groen_member"], groen)
    assert _reads(member_of(groen.organisation), groen)  # every member of the organisation
    assert _reads(servant, groen)
    assert _reads(setting["chair"].user, groen)
    assert not _reads(setting["conflicted"].user, groen)
    assert _reads(setting["conflicted"].user, setting["water"])
    assert not _reads(setting["outsider"].user, groen)
    assert not _reads(setting["water"].organisation.memberships.get().user, groen)
    for role in ("visitor", "resident", "verified_resident", "organisation_member",
                 "moderator", "council_member", "jury_member"):
        assert not _reads(user_for_role(role), groen), role


def test_nobody_outside_the_organisation_reads_a_draft(servant):
    challenge = open_challenge(by=servant)
    organisation, member = bidder()
    proposal = services.proposal_start(challenge=challenge, organisation=organisation,
                                       by=member)

    assert _reads(member, proposal)
    assert not _reads(servant, proposal)
    assert not _reads(appoint(challenge, by=servant).user, proposal)


def test_outcome_letters_are_for_the_organisation_and_civil_servants(setting, servant):
    groen = setting["groen"]
    perm = "challenges.view_outcome_letter"

    assert setting["groen_member"].has_perm(perm, groen)
    assert servant.has_perm(perm, groen)
    assert not setting["chair"].user.has_perm(perm, groen)
    assert not setting["water"].organisation.memberships.get().user.has_perm(perm, groen)
    assert not user_for_role("visitor").has_perm(perm, groen)


def test_drafts_are_for_civil_servants_only(servant):
    draft = draft_challenge(by=servant)
    published = open_challenge(by=servant)

    assert servant.has_perm("challenges.view_challenge", draft)
    for role in ("visitor", "organisation_member", "jury_member", "council_member"):
        user = user_for_role(role)
        assert not user.has_perm("challenges.view_challenge", draft), role
        assert user.has_perm("challenges.view_challenge", published), role


def test_asking_and_bidding_stop_at_their_deadlines(servant, monkeypatch):
    challenge = open_challenge(by=servant)
    _organisation, member = bidder()

    assert member.has_perm("challenges.ask_question", challenge)
    assert member.has_perm("challenges.add_proposal", challenge)
    set_clock(monkeypatch, challenge.questions_deadline + dt.timedelta(seconds=1))
    assert not member.has_perm("challenges.ask_question", challenge)
    assert member.has_perm("challenges.add_proposal", challenge)
    set_clock(monkeypatch, challenge.submission_deadline + dt.timedelta(seconds=1))
    assert not member.has_perm("challenges.add_proposal", challenge)


def test_bidding_needs_an_eligible_organisation(servant):
    challenge = open_challenge(by=servant, eligible_kinds=["knowledge_institution", "ngo"])

    assert not bidder(kind="startup")[1].has_perm("challenges.add_proposal", challenge)
    assert bidder(kind="ngo")[1].has_perm("challenges.add_proposal", challenge)


def test_the_jury_area_of_a_challenge_is_for_its_jury_and_civil_servants(setting, servant):
    challenge = setting["challenge"]
    perm = "challenges.view_jury_area"

    assert setting["chair"].user.has_perm(perm, challenge)
    assert servant.has_perm(perm, challenge)
    assert not setting["outsider"].user.has_perm(perm, challenge)
    assert not jury_user().has_perm(perm, challenge)


@pytest.mark.parametrize("perm", ["challenges.finalise_ranking", "challenges.award"])
def test_the_chairs_decisions_are_the_chairs_alone(setting, servant, perm):
    challenge = setting["challenge"]
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert rules.has_perm(perm, setting["chair"].user, challenge)
    for user in (setting["conflicted"].user, setting["outsider"].user, servant, admin):
        assert not rules.has_perm(perm, user, challenge)


def test_scoring_stops_when_the_ranking_is_final(setting):
    challenge, chair = setting["challenge"], setting["chair"]
    for proposal in (setting["groen"], setting["water"]):
        declare_and_score(chair, proposal, 6)
    declare_and_score(setting["conflicted"], setting["water"], 7)
    assert chair.user.has_perm("challenges.score_proposal", setting["groen"])

    services.ranking_finalise(challenge=challenge, by=chair.user)

    groen = Proposal.objects.get(pk=setting["groen"].pk)
    assert not chair.user.has_perm("challenges.score_proposal", groen)
    assert not rules.has_perm("challenges.finalise_ranking", chair.user,
                              Challenge.objects.get(pk=challenge.pk))
