"""The jury's pages: the overview of submitted proposals, the conflict-of-interest declaration
before any content, the score sheet (0–10 and a motivation per criterion, changeable until the
ranking is final), the ranking with the jury's progress, and the chair's decisions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from challenges import services
from challenges.models import Challenge, ConflictDeclaration, Proposal, Score
from portal.accounts import roles
from registry.models import Pilot
from tests.challenges.proposal_helpers import (
    PROPOSAL_TEXT,
    appoint,
    bidder,
    civil_servant,
    draft_proposal,
    in_assessment,
    jury_url,
    open_challenge,
    past_deadline,
    score_all,
    submitted_proposal,
)
from tests.factories import user_for_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_private_media(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture
def challenge():
    return open_challenge()


@pytest.fixture
def chair(challenge):
    return appoint(challenge, chair=True)


@pytest.fixture
def juror(challenge):
    return appoint(challenge)


def text(response) -> str:
    return response.content.decode()


def score_data(challenge, *, score="7", motivation="Goed onderbouwd.", **overrides):
    data = {"action": "score"}
    for criterion in challenge.criteria.all():
        data[f"score_{criterion.pk}"] = score
        data[f"motivation_{criterion.pk}"] = motivation
    data.update(overrides)
    return data


def declare_none(client, challenge, proposal):
    return client.post(jury_url("jury_proposal", challenge, proposal),
                       {"action": "declare", "has_conflict": "no"})


# --- who may open the jury pages -------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [
    (roles.ORGANISATION_MEMBER, 404),
    (roles.JURY_MEMBER, 404),  # in the jury group, but not appointed to this challenge
    (roles.COUNCIL_MEMBER, 404),
    (roles.MODERATOR, 404),
])
def test_the_overview_is_for_appointed_jury_members_only(client, challenge, chair, role, status):
    client.force_login(user_for_role(role))

    assert client.get(jury_url("jury_overview", challenge)).status_code == status


@pytest.mark.parametrize("role", [roles.CIVIL_SERVANT, roles.ADMIN])
def test_staff_follow_the_jury_on_the_ranking_page(client, challenge, chair, role):
    """Staff neither declare nor score: the jury's overview sends them to the ranking."""
    client.force_login(user_for_role(role))

    response = client.get(jury_url("jury_overview", challenge))

    assert response.url == jury_url("jury_ranking", challenge)
    assert client.get(response.url).status_code == 200


def test_the_overview_asks_visitors_to_log_in(client, challenge):
    response = client.get(jury_url("jury_overview", challenge))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("who", "status"), [
    ("chair", 200), ("juror", 200), ("civil servant", 200), ("organisation member", 404),
    ("jury member not appointed", 404), ("council member", 404),
])
def test_the_ranking_is_for_the_jury_and_civil_servants(client, challenge, chair, juror, who,
                                                        status):
    users = {
        "chair": lambda: chair.user, "juror": lambda: juror.user,
        "civil servant": civil_servant,
        "organisation member": lambda: user_for_role(roles.ORGANISATION_MEMBER),
        "jury member not appointed": lambda: user_for_role(roles.JURY_MEMBER),
        "council member": lambda: user_for_role(roles.COUNCIL_MEMBER),
    }
    client.force_login(users[who]())

    assert client.get(jury_url("jury_ranking", challenge)).status_code == status


# --- the overview ----------------------------------------------------------------------------


def test_before_the_deadline_the_jury_sees_no_proposals(client, challenge, chair):
    proposal = submitted_proposal(challenge)
    client.force_login(chair.user)

    overview = client.get(jury_url("jury_overview", challenge))

    assert 'data-testid="not-yet"' in text(overview)
    assert proposal.organisation.name not in text(overview)
    assert client.get(jury_url("jury_proposal", challenge, proposal)).status_code == 404


def test_the_overview_lists_submitted_proposals_only(client, challenge, chair, monkeypatch):
    submitted = submitted_proposal(challenge)
    organisation, user = bidder(name="Nog Bezig BV")
    draft_proposal(challenge, organisation, user)
    past_deadline(monkeypatch, challenge)
    client.force_login(chair.user)

    body = text(client.get(jury_url("jury_overview", challenge)))

    assert submitted.organisation.name in body
    assert "Nog Bezig BV" not in body
    assert "Not declared yet" in body
    assert PROPOSAL_TEXT["approach"] not in body


def _overview_queries(client, challenge, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(jury_url("jury_overview", challenge))
    assert response.status_code == 200
    return len(queries)


def test_the_overview_costs_the_same_queries_for_one_or_many_proposals(client, monkeypatch):
    small, large = open_challenge(title="Klein"), open_challenge(title="Groot")
    members = {small: appoint(small, chair=True), large: appoint(large, chair=True)}
    submitted_proposal(small)
    for _number in range(6):
        submitted_proposal(large)
    past_deadline(monkeypatch, large)  # created last, so the small one is closed too
    small.refresh_from_db()
    assert small.status == large.status == Challenge.Status.CLOSED
    for challenge, member in members.items():
        for proposal in challenge.proposals.all()[:2]:
            services.conflict_declare(jury_member=member, proposal=proposal,
                                      has_conflict=False)

    assert (_overview_queries(client, small, members[small].user)
            == _overview_queries(client, large, members[large].user))


# --- declaring, reading, scoring -------------------------------------------------------------


@pytest.fixture
def assessing(challenge, chair, juror, monkeypatch):
    """The challenge in assessment with one submitted proposal."""
    proposal = submitted_proposal(challenge)
    in_assessment(monkeypatch, challenge)
    return proposal


def test_the_declaration_comes_before_any_content(client, challenge, juror, assessing):
    client.force_login(juror.user)

    before = client.get(jury_url("jury_proposal", challenge, assessing))
    declared = declare_none(client, challenge, assessing)
    after = client.get(jury_url("jury_proposal", challenge, assessing))

    assert PROPOSAL_TEXT["approach"] not in text(before)
    assert 'data-testid="score-form"' not in text(before)
    assert declared.url == jury_url("jury_proposal", challenge, assessing)
    assert PROPOSAL_TEXT["approach"] in text(after)
    assert 'data-testid="score-form"' in text(after)
    assert assessing.attachments.get().get_absolute_url() in text(after)


def test_a_declaration_needs_an_answer(client, challenge, juror, assessing):
    client.force_login(juror.user)

    response = client.post(jury_url("jury_proposal", challenge, assessing),
                           {"action": "declare"})

    assert response.status_code == 400
    assert "Choose whether you have a conflict of interest" in text(response)
    assert not ConflictDeclaration.objects.exists()


def test_a_declared_conflict_hides_the_proposal(client, challenge, juror, assessing):
    client.force_login(juror.user)

    response = client.post(jury_url("jury_proposal", challenge, assessing),
                           {"action": "declare", "has_conflict": "yes",
                            "explanation": "Ik adviseer dit bedrijf."})

    assert response.url == jury_url("jury_overview", challenge)
    page = client.get(jury_url("jury_proposal", challenge, assessing))
    assert 'data-testid="conflict-declared"' in text(page)
    assert PROPOSAL_TEXT["approach"] not in text(page)
    assert client.post(jury_url("jury_proposal", challenge, assessing),
                       score_data(challenge)).status_code == 200  # the conflict page again
    assert not Score.objects.exists()
    assert "Conflict declared" in text(client.get(jury_url("jury_overview", challenge)))


def test_scores_are_saved_with_their_motivation(client, challenge, juror, assessing):
    client.force_login(juror.user)
    declare_none(client, challenge, assessing)

    response = client.post(jury_url("jury_proposal", challenge, assessing),
                           score_data(challenge, score="8"))

    assert response.url == jury_url("jury_overview", challenge)
    scores = Score.objects.filter(jury_member=juror)
    assert scores.count() == challenge.criteria.count()
    assert {score.score for score in scores} == {8}
    assert {score.motivation for score in scores} == {"Goed onderbouwd."}
    overview = text(client.get(jury_url("jury_overview", challenge)))
    assert "2 of 2 criteria" in overview


@pytest.mark.parametrize(("field", "value", "message"), [
    ("score", "11", "Choose a score from 0 to 10."),
    ("score", "-1", "Choose a score from 0 to 10."),
    ("score", "zeven", "Choose a score from 0 to 10."),
    ("score", "", "Choose a score from 0 to 10."),
    ("motivation", "", "Write why you give this score."),
    ("motivation", "   ", "Write why you give this score."),
])
def test_an_invalid_score_sheet_saves_nothing(client, challenge, juror, assessing, field, value,
                                              message):
    client.force_login(juror.user)
    declare_none(client, challenge, assessing)
    last = challenge.criteria.last()

    response = client.post(jury_url("jury_proposal", challenge, assessing),
                           score_data(challenge, **{f"{field}_{last.pk}": value}))

    assert response.status_code == 400
    assert message in text(response)
    assert not Score.objects.exists()  # not even the valid criteria


def test_scores_can_be_changed_until_the_ranking_is_final(client, challenge, chair, juror,
                                                          assessing):
    client.force_login(juror.user)
    declare_none(client, challenge, assessing)
    client.post(jury_url("jury_proposal", challenge, assessing), score_data(challenge, score="5"))
    page = text(client.get(jury_url("jury_proposal", challenge, assessing)))
    assert 'value="5" selected' in page  # the sheet shows the saved scores

    client.post(jury_url("jury_proposal", challenge, assessing), score_data(challenge, score="9"))
    assert {score.score for score in Score.objects.filter(jury_member=juror)} == {9}

    services.conflict_declare(jury_member=chair, proposal=assessing, has_conflict=False)
    score_all(chair, assessing)
    services.ranking_finalise(challenge=challenge, by=chair.user)
    response = client.post(jury_url("jury_proposal", challenge, assessing),
                           score_data(challenge, score="1"), follow=True)

    assert {score.score for score in Score.objects.filter(jury_member=juror)} == {9}
    assert "Scores can be given only during the assessment" in text(response)
    assert 'data-testid="my-scores"' in text(response)


def test_scoring_waits_for_the_start_of_the_assessment(client, challenge, juror, monkeypatch):
    proposal = submitted_proposal(challenge)
    past_deadline(monkeypatch, challenge)  # closed, not yet in assessment
    client.force_login(juror.user)
    declare_none(client, challenge, proposal)

    page = client.get(jury_url("jury_proposal", challenge, proposal))
    client.post(jury_url("jury_proposal", challenge, proposal), score_data(challenge))

    assert PROPOSAL_TEXT["approach"] in text(page)  # reading may start
    assert 'data-testid="scoring-closed"' in text(page)
    assert not Score.objects.exists()


def test_a_late_conflict_removes_the_scores_and_hides_the_proposal(client, challenge, juror,
                                                                   assessing):
    client.force_login(juror.user)
    declare_none(client, challenge, assessing)
    client.post(jury_url("jury_proposal", challenge, assessing), score_data(challenge))

    client.post(jury_url("jury_proposal", challenge, assessing),
                {"action": "declare", "has_conflict": "yes", "explanation": "Net ontdekt."})

    assert not Score.objects.filter(jury_member=juror).exists()
    assert PROPOSAL_TEXT["approach"] not in text(
        client.get(jury_url("jury_proposal", challenge, assessing)))


def test_a_proposal_of_another_challenge_is_not_found(client, challenge, juror, assessing):
    other = open_challenge(title="Veilige schoolroutes")
    client.force_login(juror.user)

    response = client.get(reverse("challenges:jury_proposal", kwargs={
        "slug": other.slug, "public_id": assessing.public_id}))

    assert response.status_code == 404


# --- the ranking and the chair's decisions ---------------------------------------------------


@pytest.fixture
def two_proposals(challenge, chair, juror, monkeypatch):
    strong = submitted_proposal(challenge, summary="Sterk voorstel.")
    weak = submitted_proposal(challenge, summary="Zwak voorstel.")
    in_assessment(monkeypatch, challenge)
    for member in (chair, juror):
        for proposal in (strong, weak):
            services.conflict_declare(jury_member=member, proposal=proposal,
                                      has_conflict=False)
    return strong, weak


def _score(member, proposal, impact, feasibility):
    first, second = proposal.challenge.criteria.all()
    services.score_save(jury_member=member, proposal=proposal, criterion=first, score=impact,
                        motivation="Motivatie.")
    services.score_save(jury_member=member, proposal=proposal, criterion=second,
                        score=feasibility, motivation="Motivatie.")


def test_the_ranking_shows_weighted_scores_per_criterion_and_progress(client, challenge, chair,
                                                                      juror, two_proposals):
    strong, weak = two_proposals
    _score(chair, strong, 8, 6)
    _score(juror, strong, 10, 6)  # impact mean 9, feasibility 6: 0.6 × 9 + 0.4 × 6 = 7.80
    _score(chair, weak, 4, 5)
    client.force_login(chair.user)

    body = text(client.get(jury_url("jury_ranking", challenge)))

    ranking = body.split('data-testid="ranking"')[1].split("</table>")[0]
    assert ranking.index(strong.organisation.name) < ranking.index(weak.organisation.name)
    assert "7.80" in ranking
    assert "9.00" in ranking
    assert "4.40" in ranking  # 0.6 × 4 + 0.4 × 5
    progress = body.split('data-testid="jury-progress"')[1].split("</table>")[0]
    assert "2 / 2" in progress
    assert "1 / 2" in progress  # the juror scored one of the two
    assert 'data-testid="finalise"' in body


def test_only_the_chair_sees_and_uses_the_finalise_button(client, challenge, chair, juror,
                                                          two_proposals):
    for member in (chair, juror):
        for proposal in two_proposals:
            score_all(member, proposal)
    client.force_login(juror.user)

    page = client.get(jury_url("jury_ranking", challenge))
    client.post(jury_url("jury_ranking", challenge), {"action": "finalise"})

    assert 'data-testid="finalise"' not in text(page)
    challenge.refresh_from_db()
    assert not challenge.ranking_is_final


def test_finalising_an_incomplete_ranking_says_what_is_missing(client, challenge, chair, juror,
                                                               two_proposals):
    for proposal in two_proposals:
        score_all(chair, proposal)
    client.force_login(chair.user)

    response = client.post(jury_url("jury_ranking", challenge), {"action": "finalise"},
                           follow=True)

    challenge.refresh_from_db()
    assert not challenge.ranking_is_final
    assert "The ranking cannot be finalised yet" in text(response)
    assert str(juror.user) in text(response)


@pytest.fixture
def finalised(client, challenge, chair, juror, two_proposals):
    strong, weak = two_proposals
    for member in (chair, juror):
        score_all(member, strong, score=9)
        score_all(member, weak, score=5)
    client.force_login(chair.user)
    client.post(jury_url("jury_ranking", challenge), {"action": "finalise"})
    challenge.refresh_from_db()
    assert challenge.ranking_is_final
    return strong, weak


def test_the_chair_awards_with_a_motivation(client, challenge, chair, finalised):
    strong, weak = finalised
    page = client.get(jury_url("jury_ranking", challenge))
    assert 'data-testid="award"' in text(page)

    response = client.post(jury_url("jury_ranking", challenge), {
        "action": "award", "award-proposal": str(strong.public_id),
        "award-motivation": "De meeste verkoeling voor het geld.",
    })

    assert response.url == challenge.get_absolute_url()
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.AWARDED
    assert challenge.awarded_proposal == strong
    assert challenge.pilot == Pilot.objects.get()
    assert set(Proposal.objects.values_list("outcome", flat=True)) == {"awarded", "not_awarded"}


def test_an_award_without_motivation_or_winner_is_refused(client, challenge, finalised):
    without_motivation = client.post(jury_url("jury_ranking", challenge), {
        "action": "award", "award-proposal": str(finalised[0].public_id),
        "award-motivation": " "})
    without_winner = client.post(jury_url("jury_ranking", challenge), {
        "action": "award", "award-motivation": "Goed."})

    assert without_motivation.status_code == without_winner.status_code == 400
    assert "Explain why this proposal wins." in text(without_motivation)
    assert "Choose the winning proposal." in text(without_winner)
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.IN_ASSESSMENT


def test_a_juror_cannot_award(client, challenge, juror, finalised):
    client.force_login(juror.user)

    page = client.get(jury_url("jury_ranking", challenge))
    client.post(jury_url("jury_ranking", challenge), {
        "action": "award", "award-proposal": str(finalised[0].public_id),
        "award-motivation": "Ik beslis."})

    assert 'data-testid="award"' not in text(page)
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.IN_ASSESSMENT


def test_the_chair_can_decide_not_to_award(client, challenge, finalised):
    response = client.post(jury_url("jury_ranking", challenge), {
        "action": "not_award", "not_award-motivation": "Geen voorstel past binnen het budget."})

    assert response.url == challenge.get_absolute_url()
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.NOT_AWARDED
    assert not Pilot.objects.exists()
    assert set(Proposal.objects.values_list("outcome", flat=True)) == {"not_awarded"}
