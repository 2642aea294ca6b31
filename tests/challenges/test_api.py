"""/api/v1/challenges/: published challenges only, public data only. Proposals never appear
(except the winner's summary after award), nor who asked a question."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from challenges import services
from tests.challenges.builders import (
    bidder,
    civil_servant,
    draft_challenge,
    open_challenge,
    submitted_proposal,
    timeline,
)
from tests.challenges.page_helpers import (
    AWARD_MOTIVATION,
    WINNER_APPROACH,
    WINNER_SUMMARY,
    awarded_challenge,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/challenges/"


@pytest.fixture
def servant():
    return civil_servant(display_name="Bea Ambtenaar", email="bea@gemeente.example")


def detail_url(challenge) -> str:
    return reverse("api-challenge-detail", kwargs={"slug": challenge.slug})


def test_urls():
    assert reverse("api-challenge-list") == LIST
    assert reverse("api-challenge-detail", kwargs={"slug": "hitte"}) == LIST + "hitte/"


def test_the_list_has_published_challenges_open_first_and_no_drafts(client, servant):
    later = open_challenge(by=servant, title="Schoolroutes", **timeline(days_left=30))
    sooner = open_challenge(by=servant, title="Hittestress", **timeline(days_left=5))
    draft_challenge(by=servant, title="Concept")

    response = client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["title"] for item in body["results"]] == [sooner.title, later.title]
    item = body["results"][0]
    assert item["slug"] == sooner.slug
    assert item["url"] == f"http://testserver{sooner.get_absolute_url()}"
    assert item["api_url"] == f"http://testserver{detail_url(sooner)}"
    assert item["status"]["code"] == "open"
    assert item["status"]["label"]
    assert item["theme"] == "Natuur en milieu"
    assert item["budget"] == "50000.00"
    assert item["summary"].startswith("Op hete dagen")


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "open"}, ["Hittestress", "Schoolroutes"]),
    ({"theme": "Verkeer"}, ["Schoolroutes"]),
    ({"status": "awarded"}, []),
])
def test_the_list_filters(client, servant, params, expected):
    open_challenge(by=servant, title="Schoolroutes", theme="Verkeer", **timeline(days_left=30))
    open_challenge(by=servant, title="Hittestress", **timeline(days_left=5))

    body = client.get(LIST, params).json()

    assert [item["title"] for item in body["results"]] == expected


@pytest.mark.parametrize("params", [{"status": "draft"}, {"status": "nope"},
                                    {"theme": "Onbekend"}])
def test_an_unknown_filter_value_is_a_clear_400(client, params):
    response = client.get(LIST, params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "Onbekende waarde" in json.dumps(body["errors"])  # the site speaks Dutch


def test_the_detail_has_what_a_bidder_reads(client, servant):
    challenge = open_challenge(by=servant, eligible_kinds=["startup"])
    services.challenge_amend(challenge=challenge, by=servant, reason="Meer budget.",
                             budget=60000)

    response = client.get(detail_url(challenge))

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == challenge.title
    assert body["not_asked"] == challenge.not_asked
    assert body["sdg_goals"] == [3, 11, 13]
    assert body["eligible_kinds"] == ["startup"]
    assert body["required_attachments"] == ["Plan van aanpak (PDF)"]
    assert body["data_sources"] == [{"title": "Hittekaart",
                                     "url": "https://data.stadhagen.example/hitte"}]
    assert [(c["title"], c["weight"]) for c in body["criteria"]] == [
        ("Effect op hittestress", 50), ("Haalbaarheid", 30), ("Prijs", 20)]
    assert [event["action"] for event in body["timeline"]] == ["publish", "amend"]
    assert body["timeline"][1]["reason"] == "Meer budget."
    amendment = body["amendments"][0]
    assert (amendment["number"], amendment["reason"]) == (1, "Meer budget.")
    assert amendment["changes"] == {"budget": {"old": "50000.00", "new": "60000"}}
    assert body["result"] is None


def test_a_draft_and_an_unknown_slug_are_404_in_json(client, servant):
    draft = draft_challenge(by=servant)

    for url in (detail_url(draft), LIST + "bestaat-niet/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_answered_questions_without_the_asker(client, servant):
    challenge = open_challenge(by=servant)
    organisation, asker = bidder("Vragende Startup BV")
    question = services.question_ask(challenge=challenge, by=asker, text="Mag dat?")
    services.question_answer(question=question, by=servant, answer="Ja.")
    services.question_ask(challenge=challenge, by=asker, text="Nog open?")

    response = client.get(detail_url(challenge))

    body = response.json()
    assert body["questions"] == [{
        "id": str(question.public_id), "question": "Mag dat?", "answer": "Ja.",
        "asked_at": body["questions"][0]["asked_at"],
        "answered_at": body["questions"][0]["answered_at"],
    }]
    text = response.content.decode()
    for secret in ("Nog open?", "Vragende Startup BV", asker.email, str(asker.display_name),
                   "Bea Ambtenaar", servant.email):
        assert secret not in text


def test_proposals_never_appear_before_award(client, servant):
    challenge = open_challenge(by=servant)
    proposal = submitted_proposal(challenge, *bidder("Geheime Inzender BV"),
                                  summary="Geheime samenvatting")

    texts = [client.get(LIST).content.decode(), client.get(detail_url(challenge)).content.decode()]

    for text in texts:
        for secret in ("Geheime Inzender BV", "Geheime samenvatting", proposal.approach,
                       str(proposal.public_id), proposal.receipt_code):
            assert secret not in text


def test_after_award_only_the_winner_summary_is_public(client, monkeypatch):
    challenge, winner, runner_up = awarded_challenge(monkeypatch)
    winner.refresh_from_db()
    assert winner.outcome_letter  # the letters exist, and stay private

    response = client.get(detail_url(challenge))

    body = response.json()
    assert body["status"]["code"] == "awarded"
    assert body["result"]["outcome"] == "awarded"
    assert body["result"]["winner_organisation"] == "Groene Daken BV"
    assert body["result"]["winner_summary"] == WINNER_SUMMARY
    assert body["result"]["motivation"] == AWARD_MOTIVATION
    assert body["result"]["pilot"] is None  # the pilot is not published yet
    text = response.content.decode()
    for secret in (WINNER_APPROACH, winner.team, winner.planning, winner.outcome_letter,
                   "Waterplein Lab", runner_up.summary, str(winner.public_id)):
        assert secret not in text


def test_not_awarded_has_the_motivation_and_no_winner(client, servant):
    challenge = open_challenge(by=servant, **timeline(days_left=1))
    services.challenge_close_due(now=challenge.submission_deadline + dt.timedelta(seconds=1))
    challenge.refresh_from_db()
    services.challenge_not_award(challenge=challenge, by=servant, motivation="Niets passends.")

    result = client.get(detail_url(challenge)).json()["result"]

    assert result["outcome"] == "not_awarded"
    assert result["motivation"] == "Niets passends."
    assert result["winner_organisation"] is None
    assert result["winner_summary"] is None


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_3_or_30_challenges(client, servant,
                                                                django_assert_num_queries):
    for number in range(3):
        open_challenge(by=servant, title=f"Uitdaging {number}")
    few = _queries(client, LIST)
    for number in range(3, 30):
        open_challenge(by=servant, title=f"Uitdaging {number}")

    with django_assert_num_queries(few):
        body = client.get(LIST).json()
    assert body["count"] == 30
    assert len(body["results"]) == 25


def test_the_detail_costs_the_same_queries_however_many_questions(client, servant,
                                                                  django_assert_num_queries):
    challenge = open_challenge(by=servant)
    _organisation, asker = bidder()

    def answer(count):
        for number in range(count):
            question = services.question_ask(challenge=challenge, by=asker,
                                              text=f"Vraag {number}")
            services.question_answer(question=question, by=servant, answer="Ja.")

    answer(1)
    few = _queries(client, detail_url(challenge))
    answer(9)
    services.challenge_amend(challenge=challenge, by=servant, reason="Meer", budget=1)

    with django_assert_num_queries(few):
        body = client.get(detail_url(challenge)).json()
    assert len(body["questions"]) == 10
    assert len(body["amendments"]) == 1


def test_the_schema_documents_the_challenges_api(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schema = response.json()
    assert "/api/v1/challenges/" in schema["paths"]
    assert "/api/v1/challenges/{slug}/" in schema["paths"]
    assert "ChallengeDetail" in schema["components"]["schemas"]
