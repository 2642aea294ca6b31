"""Proposals are confidential: only the organisation, the civil servants (after the deadline)
and the challenge's jury members who declared no conflict see them. Everyone else gets the
same 404 as for a proposal that does not exist, on the proposal page, the attachment URL and
the outcome letter, also when they type the URL themselves. After the award the public sees
the winner's summary, and nothing else."""

import re

import pytest
from django.urls import reverse

from challenges import services
from challenges.models import Proposal
from portal.accounts import roles
from tests.challenges.proposal_helpers import (
    appoint,
    attachment_url,
    bidder,
    civil_servant,
    detail_url,
    draft_proposal,
    in_assessment,
    jury_url,
    jury_user,
    letter_url,
    open_challenge,
    past_deadline,
    score_all,
    submitted_proposal,
)
from tests.factories import user_for_role

pytestmark = pytest.mark.django_db

SECRET_APPROACH = "Geheime aanpak met sensoren op elk dak"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(monkeypatch):
    """A closed challenge with one submitted proposal (and its attachment), a jury member who
    declared no conflict, one who declared a conflict, one who has not declared, and one
    jury member who is not appointed to this challenge."""
    challenge = open_challenge()
    organisation, member = bidder(name="Koele Wijk BV")
    proposal = submitted_proposal(challenge, organisation, member, approach=SECRET_APPROACH)
    reader, conflicted, undeclared = appoint(challenge, chair=True), appoint(challenge), \
        appoint(challenge)
    past_deadline(monkeypatch, challenge)
    services.conflict_declare(jury_member=reader, proposal=proposal, has_conflict=False)
    services.conflict_declare(jury_member=conflicted, proposal=proposal, has_conflict=True,
                              explanation="Mijn zus werkt daar.")
    return {
        "challenge": challenge, "proposal": proposal, "attachment": proposal.attachments.get(),
        "member": member, "reader": reader.user, "conflicted": conflicted.user,
        "undeclared": undeclared.user,
    }


OUTSIDERS = {
    "visitor": lambda w: user_for_role(roles.VISITOR),
    "resident": lambda w: user_for_role(roles.RESIDENT),
    "verified resident": lambda w: user_for_role(roles.VERIFIED_RESIDENT),
    "other organisation": lambda w: user_for_role(roles.ORGANISATION_ADMIN),
    "moderator": lambda w: user_for_role(roles.MODERATOR),
    "council member": lambda w: user_for_role(roles.COUNCIL_MEMBER),
    "jury member not appointed": lambda w: jury_user(),
    "jury member with a conflict": lambda w: w["conflicted"],
    "jury member who has not declared": lambda w: w["undeclared"],
}
READERS = {
    "organisation member": lambda w: w["member"],
    "civil servant": lambda w: civil_servant(),
    "jury member without a conflict": lambda w: w["reader"],
}


def _login(client, user):
    if user.is_authenticated:
        client.force_login(user)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_on_every_proposal_url(client, world, who):
    _login(client, OUTSIDERS[who](world))

    for url in (detail_url(world["proposal"]), attachment_url(world["attachment"]),
                letter_url(world["proposal"])):
        response = client.get(url)

        assert response.status_code == 404, url
        assert SECRET_APPROACH.encode() not in response.content
        assert b"Koele Wijk" not in response.content


@pytest.mark.parametrize("who", READERS)
def test_allowed_roles_read_the_proposal_and_download_its_attachment(client, world, who):
    _login(client, READERS[who](world))

    page = client.get(detail_url(world["proposal"]))
    download = client.get(attachment_url(world["attachment"]))

    assert page.status_code == 200
    assert SECRET_APPROACH in page.content.decode()
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_the_download_is_an_attachment_never_sniffed_nor_cached(client, world):
    client.force_login(world["member"])

    response = client.get(attachment_url(world["attachment"]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "plan-van-aanpak.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_forbidden_proposal_looks_exactly_like_one_that_does_not_exist(client, world):
    missing_url = reverse("challenges:proposal_detail",
                          kwargs={"public_id": "0f0e0d0c-0b0a-4998-8776-655443322110"})
    pages = {url: client.get(url) for url in (
        detail_url(world["proposal"]), missing_url, attachment_url(world["attachment"]))}

    assert {response.status_code for response in pages.values()} == {404}
    # The same page, apart from the address itself (in the "log in" and language links) and
    # the CSRF token, which is masked differently on every response.
    bodies = {CSRF_TOKEN.sub("TOKEN", response.content.decode().replace(url, "URL"))
              for url, response in pages.items()}
    assert len(bodies) == 1


def test_an_attachment_under_another_proposals_url_is_not_found(client, world):
    """A member of organisation B cannot fetch A's attachment by putting it under B's URL."""
    other_organisation, other_member = bidder()
    other = Proposal.objects.create(challenge=world["challenge"], organisation=other_organisation)
    client.force_login(other_member)

    response = client.get(reverse("challenges:attachment_download", kwargs={
        "public_id": other.public_id, "attachment_id": world["attachment"].public_id}))

    assert response.status_code == 404


def test_the_jury_page_of_a_proposal_hides_it_after_a_declared_conflict(client, world):
    client.force_login(world["conflicted"])

    response = client.get(jury_url("jury_proposal", world["challenge"], world["proposal"]))

    assert response.status_code == 200
    assert "declared a conflict of interest" in response.content.decode()
    assert SECRET_APPROACH not in response.content.decode()


def test_the_jury_page_asks_for_the_declaration_before_showing_anything(client, world):
    client.force_login(world["undeclared"])

    response = client.get(jury_url("jury_proposal", world["challenge"], world["proposal"]))

    assert response.status_code == 200
    assert 'data-testid="declare-form"' in response.content.decode()
    assert SECRET_APPROACH not in response.content.decode()
    assert attachment_url(world["attachment"]) not in response.content.decode()


@pytest.mark.parametrize("who", ["visitor", "other organisation", "council member",
                                 "jury member not appointed"])
def test_jury_pages_are_not_found_for_people_outside_the_jury(client, world, who):
    user = OUTSIDERS[who](world)
    _login(client, user)

    for url in (jury_url("jury_overview", world["challenge"]),
                jury_url("jury_proposal", world["challenge"], world["proposal"]),
                jury_url("jury_ranking", world["challenge"])):
        response = client.get(url)

        if user.is_authenticated:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))


# --- before the deadline and drafts ----------------------------------------------------------


def test_drafts_are_for_the_organisation_only(client):
    challenge = open_challenge()
    organisation, member = bidder()
    proposal = draft_proposal(challenge, organisation, member, approach=SECRET_APPROACH)

    client.force_login(civil_servant())
    assert client.get(detail_url(proposal)).status_code == 404
    client.force_login(user_for_role(roles.ADMIN))
    assert client.get(detail_url(proposal)).status_code == 404
    client.force_login(member)
    assert SECRET_APPROACH in client.get(detail_url(proposal)).content.decode()


def test_civil_servants_do_not_read_submitted_proposals_before_the_deadline(client):
    challenge = open_challenge()
    proposal = submitted_proposal(challenge, approach=SECRET_APPROACH)
    client.force_login(civil_servant())

    assert client.get(detail_url(proposal)).status_code == 404
    assert client.get(attachment_url(proposal.attachments.get())).status_code == 404


# --- after the award -------------------------------------------------------------------------


@pytest.fixture
def awarded(monkeypatch):
    challenge = open_challenge()
    winner = submitted_proposal(challenge, summary="Groene daken voor iedereen.",
                                approach=SECRET_APPROACH)
    loser = submitted_proposal(challenge, summary="Witte daken.", approach="Verf.")
    chair = appoint(challenge, chair=True)
    in_assessment(monkeypatch, challenge)
    for proposal in (winner, loser):
        services.conflict_declare(jury_member=chair, proposal=proposal, has_conflict=False)
    score_all(chair, winner, score=9)
    score_all(chair, loser, score=4)
    services.ranking_finalise(challenge=challenge, by=chair.user)
    services.challenge_award(challenge=challenge, by=chair.user, proposal=winner,
                             motivation="De meeste verkoeling per euro.")
    winner.refresh_from_db()
    loser.refresh_from_db()
    return {"challenge": challenge, "winner": winner, "loser": loser}


@pytest.mark.parametrize("role", [roles.VISITOR, roles.RESIDENT, roles.ORGANISATION_MEMBER,
                                  roles.COUNCIL_MEMBER])
def test_after_the_award_the_public_sees_only_the_winners_summary(client, awarded, role):
    _login(client, user_for_role(role))

    page = client.get(detail_url(awarded["winner"]))
    body = page.content.decode()

    assert page.status_code == 200
    assert "Groene daken voor iedereen." in body
    assert "De meeste verkoeling per euro." in body
    assert SECRET_APPROACH not in body
    assert "Twee ecologen" not in body  # the team
    assert "45,000" not in body  # the budget
    assert "45.000" not in body
    assert client.get(attachment_url(awarded["winner"].attachments.get())).status_code == 404
    assert client.get(letter_url(awarded["winner"])).status_code == 404
    assert client.get(detail_url(awarded["loser"])).status_code == 404
    assert client.get(attachment_url(awarded["loser"].attachments.get())).status_code == 404


def test_after_the_award_each_organisation_reads_only_its_own_letter(client, awarded):
    winner_member = awarded["winner"].organisation.memberships.get().user
    client.force_login(winner_member)

    own = client.get(letter_url(awarded["winner"]))
    other = client.get(letter_url(awarded["loser"]))

    assert own.status_code == 200
    assert "De meeste verkoeling per euro." in own.content.decode()
    assert other.status_code == 404
