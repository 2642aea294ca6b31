"""Reads shared by the pages: the public list order, the dashboards, and fixed query counts for
the ranking and the jury's progress."""

import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse

from challenges import selectors, services
from challenges.models import Challenge, JuryMember, Proposal, Question
from tests.challenges.builders import (
    appoint,
    bidder,
    civil_servant,
    declare_and_score,
    draft_challenge,
    draft_proposal,
    open_challenge,
    start_assessment,
    submitted_proposal,
    timeline,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def servant():
    return civil_servant()


def test_the_public_list_shows_open_challenges_first_by_nearest_deadline(servant, monkeypatch):
    later = open_challenge(by=servant, title="Later", **timeline(days_left=30))
    soon = open_challenge(by=servant, title="Binnenkort", **timeline(days_left=5))
    closed = open_challenge(by=servant, title="Gesloten", **timeline(days_left=1))
    draft_challenge(by=servant, title="Concept")
    services.challenge_close_due(now=closed.submission_deadline + dt.timedelta(seconds=1))

    titles = [challenge.title for challenge in selectors.challenges_public()]

    assert titles == [soon.title, later.title, closed.title]


def test_the_organisation_dashboard_lists_my_proposals_and_what_i_can_still_join(servant):
    organisation, member = bidder()
    joined = open_challenge(by=servant, title="Meegedaan")
    available = open_challenge(by=servant, title="Nog open")
    open_challenge(by=servant, title="Niet voor ons", eligible_kinds=["ngo"])
    proposal = draft_proposal(joined, organisation, member)
    submitted_proposal(available)  # another organisation's: not mine

    dashboard = selectors.organisation_dashboard(member)

    assert dashboard["organisations"] == [organisation]
    assert dashboard["proposals"] == [proposal]
    assert [c.title for c in dashboard["open_challenges"]] == ["Nog open"]


def test_the_civil_servant_dashboard(servant, monkeypatch):
    challenge = open_challenge(by=servant)
    _organisation, asker = bidder()
    pending = services.question_ask(challenge=challenge, by=asker, text="Open vraag")
    answered = services.question_ask(challenge=challenge, by=asker, text="Beantwoord")
    services.question_answer(question=answered, by=servant, answer="Ja")
    proposal = submitted_proposal(challenge)
    draft_proposal(challenge)

    dashboard = selectors.civil_servant_dashboard(challenge)

    assert dashboard["questions_pending"] == [pending]
    assert dashboard["questions_answered"] == 1
    assert dashboard["proposals_submitted"] == [proposal]
    assert dashboard["proposals_in_progress"] == 1
    assert dashboard["jury"] == []
    assert not dashboard["has_chair"]
    assert not dashboard["can_start_assessment"]

    appoint(challenge, chair=True, by=servant)
    from tests.challenges.builders import close

    close(monkeypatch, challenge)
    assert selectors.civil_servant_dashboard(challenge)["can_start_assessment"]


def _assessed(monkeypatch, servant, *, proposals, members):
    challenge = open_challenge(by=servant)
    submitted = [submitted_proposal(challenge) for _ in range(proposals)]
    jury = [appoint(challenge, chair=index == 0, by=servant) for index in range(members)]
    start_assessment(monkeypatch, challenge, by=servant)
    for member in jury:
        for proposal in submitted:
            declare_and_score(member, proposal, 6)
    return challenge, jury


@pytest.mark.parametrize(("proposals", "members"), [(1, 1), (4, 3)])
def test_ranking_and_progress_take_a_fixed_number_of_queries(
    servant, monkeypatch, django_assert_num_queries, proposals, members
):
    challenge, jury = _assessed(monkeypatch, servant, proposals=proposals, members=members)
    challenge = Challenge.objects.get(pk=challenge.pk)

    with django_assert_num_queries(4):
        rows = selectors.ranking(challenge)
    with django_assert_num_queries(5):
        progress = selectors.jury_progress(challenge)
    member = JuryMember.objects.select_related("challenge").get(pk=jury[0].pk)
    with django_assert_num_queries(4):
        overview = selectors.jury_overview(member)

    assert len(rows) == proposals
    assert all(row.score == 6 for row in rows)
    assert all(row.is_complete for row in progress)
    assert all(row.is_scored for row in overview)


def test_proposals_visible_to_follows_the_rules(servant, monkeypatch):
    challenge = open_challenge(by=servant)
    organisation, member = bidder()
    mine = submitted_proposal(challenge, organisation, member)
    theirs = submitted_proposal(challenge)
    draft = draft_proposal(challenge)

    assert list(selectors.proposals_visible_to(member, challenge)) == [mine]
    assert set(selectors.proposals_visible_to(servant, challenge)) == {mine, theirs}
    assert draft not in selectors.proposals_visible_to(servant, challenge)
    assert not selectors.proposals_visible_to(UserFactory(), challenge).exists()
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.proposals_visible_to(AnonymousUser(), challenge).exists()


def test_the_admin_lists_challenges_questions_and_proposals_read_only(client, servant):
    challenge = open_challenge(by=servant)
    _organisation, asker = bidder()
    services.question_ask(challenge=challenge, by=asker, text="Vraag?")
    proposal = submitted_proposal(challenge)
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)

    for model in (Challenge, Question, Proposal):
        assert model in site._registry
        changelist = reverse(f"admin:challenges_{model._meta.model_name}_changelist")
        assert client.get(changelist).status_code == 200
    response = client.get(reverse("admin:challenges_proposal_change", args=[proposal.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert proposal.receipt_code in content
    assert proposal.approach not in content  # the content stays out of the admin
    assert not site._registry[Proposal].has_change_permission(None)
