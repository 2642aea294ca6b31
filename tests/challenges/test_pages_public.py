"""The public pages of challenges: the list (open first, countdown, filters, constant query
count), a challenge (problem, criteria, timeline, amendments, anonymous Q&A, the result), following
and asking a question; and who may see what (page × role)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from challenges import services
from challenges.models import ChallengeFollow, Question
from challenges.views import countdown
from portal.accounts import roles
from registry.models import Pilot
from tests.challenges.builders import (
    bidder,
    civil_servant,
    draft_challenge,
    member_of,
    open_challenge,
    timeline,
)
from tests.challenges.page_helpers import (
    ALL_ROLES,
    AWARD_MOTIVATION,
    WINNER_APPROACH,
    WINNER_SUMMARY,
    awarded_challenge,
    english,
    html,
    login,
    login_role,
)
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/uitdagingen/"


def titles_in(page: str) -> list[str]:
    return re.findall(r'<h2 class="card__title"><a href="[^"]+">([^<]+)</a></h2>', page)


def closed_challenge(servant, **fields):
    """A challenge that was open and passed its deadline (closed by the beat task)."""
    challenge = open_challenge(by=servant, **{**timeline(days_left=1), **fields})
    services.challenge_close_due(now=challenge.submission_deadline + dt.timedelta(seconds=1))
    challenge.refresh_from_db()
    return challenge


@pytest.fixture
def servant():
    return civil_servant(display_name="Anna de Vries")


# --- the list -------------------------------------------------------------------------------------


def test_the_list_is_the_challenges_area_page(client):
    assert reverse("area-challenges") == LIST_URL
    english(client)

    page = html(client.get(LIST_URL))

    assert '<a class="site-nav__link" href="/uitdagingen/" aria-current="page">' in page
    assert "<h1>Challenges</h1>" in page


def test_open_challenges_come_first_nearest_deadline_first_and_drafts_never(client, servant):
    closed = closed_challenge(servant, title="Afvalinzameling slimmer")
    later = open_challenge(by=servant, title="Veilige schoolroutes", **timeline(days_left=30))
    sooner = open_challenge(by=servant, title="Hittestress in Stadhagen",
                            **timeline(days_left=8))
    draft_challenge(by=servant, title="Geheim concept")

    page = html(client.get(LIST_URL))

    assert titles_in(page) == [sooner.title, later.title, closed.title]
    assert "Geheim concept" not in page


def test_open_challenges_show_a_countdown_and_closed_ones_do_not(client, servant):
    english(client)
    closed_challenge(servant, title="Afvalinzameling slimmer")
    open_challenge(by=servant, title="Hittestress in Stadhagen", **timeline(days_left=12))

    page = html(client.get(LIST_URL))

    cards = page.split('data-testid="challenge-card"')[1:]
    assert re.search(r'data-testid="countdown">1[12] days left<', cards[0])
    assert "countdown" not in cards[1]
    assert 'challenge-status--closed' in cards[1]


def test_countdown_says_days_then_hours_then_less_than_an_hour():
    now = timezone.now()

    assert countdown(now + dt.timedelta(days=12, hours=3), now) == "12 days left"
    assert countdown(now + dt.timedelta(days=1, minutes=5), now) == "1 day left"
    assert countdown(now + dt.timedelta(hours=5, minutes=30), now) == "5 hours left"
    assert countdown(now + dt.timedelta(minutes=10), now) == "less than an hour left"
    assert countdown(now - dt.timedelta(seconds=1), now) == ""
    assert countdown(None, now) == ""


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["Hittestress", "Schoolroutes", "Afval"]),
    ({"theme": "Verkeer"}, ["Schoolroutes"]),
    ({"status": "closed"}, ["Afval"]),
    ({"status": "open", "theme": "Natuur en milieu"}, ["Hittestress"]),
    ({"status": "awarded"}, []),
    # unknown values are ignored rather than breaking the page
    ({"status": "draft"}, ["Hittestress", "Schoolroutes", "Afval"]),
    ({"theme": "<script>"}, ["Hittestress", "Schoolroutes", "Afval"]),
])
def test_filters_by_theme_and_status(client, servant, params, expected):
    closed_challenge(servant, title="Afval", theme="Natuur en milieu")
    open_challenge(by=servant, title="Hittestress", theme="Natuur en milieu",
                   **timeline(days_left=5))
    open_challenge(by=servant, title="Schoolroutes", theme="Verkeer", **timeline(days_left=9))

    response = client.get(LIST_URL, params)

    assert response.status_code == 200
    assert titles_in(html(response)) == expected


def test_filter_form_has_labels_and_keeps_the_chosen_values(client, servant):
    english(client)
    open_challenge(by=servant)

    page = html(client.get(LIST_URL, {"theme": "Verkeer", "status": "open"}))

    assert '<label for="id_theme">Theme</label>' in page
    assert '<label for="id_status">Status</label>' in page
    assert '<option value="Verkeer" selected>Verkeer</option>' in page
    assert '<option value="open" selected>Open</option>' in page
    assert 'value="draft"' not in page
    assert 'data-testid="clear-filters"' in page


def test_empty_list_and_empty_filter_result_say_so(client, servant):
    english(client)
    assert "There are no challenges yet." in html(client.get(LIST_URL))

    open_challenge(by=servant, theme="Verkeer")

    page = html(client.get(LIST_URL, {"status": "awarded"}))
    assert "No challenges match these filters." in page


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", [roles.VISITOR, roles.CIVIL_SERVANT])
def test_the_list_costs_the_same_queries_for_3_or_30_challenges(client, servant,
                                                                django_assert_num_queries,
                                                                role):
    login_role(client, role)
    for number in range(3):
        open_challenge(by=servant, title=f"Uitdaging {number}")
    client.get(LIST_URL)  # sessions settle on the first request
    with CaptureQueriesContext(connection) as few:
        client.get(LIST_URL)

    for number in range(3, 30):
        open_challenge(by=servant, title=f"Uitdaging {number}")
    draft_challenge(by=servant, title="Concept")

    with django_assert_num_queries(len(few)):
        response = client.get(LIST_URL)
    assert len(titles_in(html(response))) == 20  # a page of twenty


def test_list_links_to_the_feeds_and_staff_get_new_challenge_and_drafts(client, servant):
    english(client)
    draft_challenge(by=servant, title="Concept over bruggen")

    public = html(client.get(LIST_URL))
    assert 'href="/uitdagingen/feed/rss/"' in public
    assert 'href="/uitdagingen/feed/atom/"' in public
    assert 'data-testid="new-challenge"' not in public
    assert "Concept over bruggen" not in public

    login(client, servant)
    staff = html(client.get(LIST_URL))
    assert 'href="/uitdagingen/nieuw/"' in staff
    assert 'data-testid="drafts"' in staff
    assert "Concept over bruggen" in staff


def test_list_and_detail_have_no_inline_script_or_style(client, servant):
    challenge = open_challenge(by=servant)
    for url in (LIST_URL, challenge.get_absolute_url()):
        page = html(client.get(url))
        assert "<script>" not in page
        assert "<style" not in page
        assert " style=" not in page
        assert "onclick" not in page


# --- one challenge --------------------------------------------------------------------------------


def test_the_page_shows_problem_offer_eligibility_criteria_and_data(client, servant):
    english(client)
    challenge = open_challenge(
        by=servant, budget=50000, eligible_kinds=["startup", "knowledge_institution"],
        problem="Op hete dagen wordt het **te warm**.\n\n<script>alert(1)</script>",
    )

    page = html(client.get(challenge.get_absolute_url()))

    assert "<h1>Hittestress in Stadhagen</h1>" in page
    assert "<strong>te warm</strong>" in page
    assert "<script>alert" not in page
    assert "Ouderen en jonge kinderen in Stadhagen." in page  # for whom
    assert "geen airco" in page  # what is not asked
    assert 'data-testid="budget">€ 50,000<' in page
    assert "Een betaalde pilot als launching customer" in page
    eligibility = page.split('data-testid="eligibility"')[1].split("</section>")[0]
    assert "Startup" in eligibility
    assert "Knowledge institution" in eligibility
    assert "SME" not in eligibility
    assert "Plan van aanpak (PDF)" in eligibility
    criteria = re.findall(r'<tr data-testid="criterion"><th scope="row">([^<]+)</th><td>[^<]*'
                          r'</td><td class="number">(\d+)%</td></tr>', page)
    assert criteria == [("Effect op hittestress", "50"), ("Haalbaarheid", "30"), ("Prijs", "20")]
    assert 'data-testid="weight-total">100%<' in page
    assert '<a href="https://data.stadhagen.example/hitte" rel="noopener">Hittekaart</a>' in page
    assert "Goal 13: Climate action" in page


def test_the_timeline_has_the_planned_dates_the_events_and_a_today_marker(client, servant):
    english(client)
    challenge = open_challenge(by=servant)

    page = html(client.get(challenge.get_absolute_url()))

    section = page.split('data-testid="timeline"')[1].split("</ol>")[0]
    order = re.findall(r'data-testid="timeline-(planned|event|today)"', section)
    # opened yesterday, published just now, today, then four dates ahead
    assert order == ["planned", "event", "today", "planned", "planned", "planned", "planned"]
    assert "Published" in section
    assert "Draft → Open" in section
    assert "Deadline for proposals" in section
    assert section.count("(planned)") == 4
    assert "Anna de Vries" not in section  # the public sees no names


def test_amendments_are_dated_with_their_reason_and_what_changed(client, servant):
    english(client)
    challenge = open_challenge(by=servant, budget=50000)
    services.challenge_amend(challenge=challenge, by=servant, reason="Meer budget beschikbaar.",
                             budget=60000)

    page = html(client.get(challenge.get_absolute_url()))

    amendment = page.split('id="wijziging-1"')[1].split("</article>")[0]
    assert "Amendment 1" in amendment
    assert "Meer budget beschikbaar." in amendment
    row = re.search(r'<tr data-field="budget">(.*?)</tr>', amendment, re.S).group(1)
    assert "€ 50,000" in row
    assert "€ 60,000" in row
    assert 'data-testid="timeline-event"' in page
    assert "Amended" in page


def test_questions_and_answers_are_public_without_the_asker(client, servant):
    english(client)
    challenge = open_challenge(by=servant)
    organisation, asker = bidder("Koelte Startup BV")
    asker.display_name = "Jan Vragensteller"
    asker.save()
    answered = services.question_ask(challenge=challenge, by=asker,
                                     text="Mag het ook zonder sensoren?")
    services.question_answer(question=answered, by=servant, answer="Ja, dat mag.")
    services.question_ask(challenge=challenge, by=asker, text="Nog niet beantwoord?")

    page = html(client.get(challenge.get_absolute_url()))

    qa = page.split('id="vragen"')[1].split("</section>")[0]
    assert f'id="vraag-{answered.public_id}"' in qa
    assert "Mag het ook zonder sensoren?" in qa
    assert "Ja, dat mag." in qa
    assert "A bidder asked on" in qa
    assert "Nog niet beantwoord?" not in page
    for secret in ("Jan Vragensteller", asker.email, "Koelte Startup BV"):
        assert secret not in page


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_draft_is_404_except_for_civil_servants_and_admins(client, servant, role):
    challenge = draft_challenge(by=servant)
    login_role(client, role)

    response = client.get(challenge.get_absolute_url())

    expected = 200 if role in (roles.CIVIL_SERVANT, roles.ADMIN) else 404
    assert response.status_code == expected
    if expected == 200:
        assert 'data-testid="draft-notice"' in html(response)
        assert '<meta name="robots" content="noindex">' in html(response)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_list_and_open_challenge_are_public_for_every_role(client, servant, role):
    challenge = open_challenge(by=servant)
    login_role(client, role)

    assert client.get(LIST_URL).status_code == 200
    assert client.get(challenge.get_absolute_url()).status_code == 200


def test_an_unknown_challenge_is_404(client):
    assert client.get("/uitdagingen/bestaat-niet/").status_code == 404


# --- taking part: the buttons ---------------------------------------------------------------------


@pytest.mark.parametrize(("role", "write", "ask"), [
    (roles.VISITOR, False, False),
    (roles.RESIDENT, False, False),
    (roles.VERIFIED_RESIDENT, False, False),
    (roles.ORGANISATION_MEMBER, True, True),
    (roles.ORGANISATION_ADMIN, True, True),
    (roles.MODERATOR, False, False),
    (roles.CIVIL_SERVANT, False, False),
    (roles.JURY_MEMBER, False, False),
    (roles.COUNCIL_MEMBER, False, False),
    (roles.ADMIN, False, False),
])
def test_write_a_proposal_and_ask_buttons_by_role(client, servant, role, write, ask):
    challenge = open_challenge(by=servant)
    login_role(client, role)

    page = html(client.get(challenge.get_absolute_url()))

    assert ('data-testid="write-proposal"' in page) is write
    assert ('data-testid="ask-question"' in page) is ask
    if write:
        assert f'href="{reverse("challenges:proposal_edit", args=[challenge.slug])}"' in page


def test_visitors_are_told_to_log_in_with_an_organisation_account(client, servant):
    english(client)
    challenge = open_challenge(by=servant)

    page = html(client.get(challenge.get_absolute_url()))

    assert 'data-testid="login-to-take-part"' in page
    assert "Log in to follow this challenge" in page


def test_an_organisation_of_another_kind_is_told_why_it_cannot_take_part(client, servant):
    english(client)
    challenge = open_challenge(by=servant, eligible_kinds=["knowledge_institution"])
    login(client, member_of(OrganisationFactory(kind="startup")))

    page = html(client.get(challenge.get_absolute_url()))

    assert 'data-testid="write-proposal"' not in page
    assert ("Your organisation cannot send in a proposal: this challenge is open to "
            "Knowledge institution.") in page
    assert 'data-testid="ask-question"' in page  # questions are for every organisation


def test_a_member_whose_organisation_started_a_proposal_is_sent_back_to_it(client, servant):
    english(client)
    challenge = open_challenge(by=servant)
    organisation, member = bidder()
    services.proposal_start(challenge=challenge, organisation=organisation, by=member)
    login(client, member_of(organisation))

    page = html(client.get(challenge.get_absolute_url()))

    assert "Go to your organisation's proposal" in page


# --- following ------------------------------------------------------------------------------------


def test_follow_and_unfollow(client, servant):
    english(client)
    challenge = open_challenge(by=servant)
    user = login_role(client, roles.RESIDENT)

    response = client.post(reverse("challenges:follow", args=[challenge.slug]))

    assert response.status_code == 302
    assert ChallengeFollow.objects.filter(challenge=challenge, user=user).exists()
    page = html(client.get(challenge.get_absolute_url()))
    assert 'data-testid="unfollow"' in page

    client.post(reverse("challenges:unfollow", args=[challenge.slug]))

    assert not ChallengeFollow.objects.filter(challenge=challenge, user=user).exists()


def test_following_needs_a_login_a_post_and_a_published_challenge(client, servant):
    challenge = open_challenge(by=servant)
    draft = draft_challenge(by=servant, title="Concept")

    response = client.post(reverse("challenges:follow", args=[challenge.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    login_role(client, roles.ORGANISATION_MEMBER)
    assert client.get(reverse("challenges:follow", args=[challenge.slug])).status_code == 405
    assert client.post(reverse("challenges:follow", args=[draft.slug])).status_code == 404
    assert not ChallengeFollow.objects.exists()


# --- asking a question ----------------------------------------------------------------------------


def ask_url(challenge) -> str:
    return reverse("challenges:ask", args=[challenge.slug])


def test_a_member_asks_a_question_and_sees_it_waiting(client, servant):
    english(client)
    challenge = open_challenge(by=servant)
    organisation, member = bidder()
    login(client, member)

    response = client.post(ask_url(challenge), {"text": "Mogen we de hittekaart gebruiken?"})

    assert response.status_code == 302
    question = Question.objects.get()
    assert (question.asked_by, question.organisation) == (member, organisation)
    page = html(client.get(ask_url(challenge)))
    mine = page.split('data-testid="my-questions"')[1]
    assert "Mogen we de hittekaart gebruiken?" in mine
    assert "Awaiting an answer" in mine


def test_an_empty_question_gets_a_clear_error(client, servant):
    english(client)
    challenge = open_challenge(by=servant)
    login_role(client, roles.ORGANISATION_MEMBER)

    response = client.post(ask_url(challenge), {"text": "  "})

    assert response.status_code == 400
    assert "Write your question first." in html(response)
    assert not Question.objects.exists()


def test_asking_is_rate_limited_in_dutch_and_keeps_the_text(client, servant, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "challenges.question": "2/h"}
    challenge = open_challenge(by=servant)
    login_role(client, roles.ORGANISATION_MEMBER)
    for number in range(2):
        assert client.post(ask_url(challenge), {"text": f"Vraag {number}"}).status_code == 302

    response = client.post(ask_url(challenge), {"text": "Mijn derde, lange vraag"})

    assert response.status_code == 429
    page = html(response)
    assert "Je kunt dit hoogstens 2 keer per uur doen." in page
    assert "Mijn derde, lange vraag</textarea>" in page
    assert Question.objects.count() == 2


@pytest.mark.parametrize(("role", "expected"), [
    (roles.VISITOR, 302),
    (roles.RESIDENT, 403),
    (roles.VERIFIED_RESIDENT, 403),
    (roles.ORGANISATION_MEMBER, 200),
    (roles.ORGANISATION_ADMIN, 200),
    (roles.MODERATOR, 403),
    (roles.CIVIL_SERVANT, 403),
    (roles.JURY_MEMBER, 403),
    (roles.COUNCIL_MEMBER, 403),
    (roles.ADMIN, 403),
])
def test_the_question_form_by_role(client, servant, role, expected):
    challenge = open_challenge(by=servant)
    login_role(client, role)

    response = client.get(ask_url(challenge))

    assert response.status_code == expected
    assert client.post(ask_url(challenge), {"text": "Een vraag"}).status_code in (
        (302,) if expected in (200, 302) else (403,))
    assert Question.objects.count() == (1 if expected == 200 else 0)


def questions_closed(servant):
    """Open for proposals, but the deadline for questions passed a second ago."""
    now = timezone.now()
    dates = {**timeline(now, days_left=10), "opens_at": now - dt.timedelta(days=5),
             "questions_deadline": now - dt.timedelta(seconds=1)}
    return open_challenge(by=servant, **dates)


def test_after_the_questions_deadline_the_form_says_so(client, servant):
    english(client)
    challenge = questions_closed(servant)
    login_role(client, roles.ORGANISATION_MEMBER)

    response = client.post(ask_url(challenge), {"text": "Te laat?"})

    assert response.status_code == 403
    assert "The deadline for questions has passed" in html(response)
    assert not Question.objects.exists()
    page = html(client.get(challenge.get_absolute_url()))
    assert 'data-testid="ask-question"' not in page
    assert "The deadline for questions has passed. Read the answers below." in page


def test_questions_about_a_draft_are_404(client, servant):
    challenge = draft_challenge(by=servant)
    login_role(client, roles.ORGANISATION_MEMBER)

    assert client.get(ask_url(challenge)).status_code == 404


# --- the result -----------------------------------------------------------------------------------


def test_after_award_the_page_shows_the_winner_summary_motivation_and_pilot(client,
                                                                             monkeypatch):
    english(client)
    challenge, winner, runner_up = awarded_challenge(monkeypatch)

    page = html(client.get(challenge.get_absolute_url()))

    result = page.split('data-testid="result"')[1].split("</section>")[0]
    assert 'data-testid="winner">Groene Daken BV<' in result
    assert WINNER_SUMMARY in result
    assert AWARD_MOTIVATION in result
    assert 'data-testid="pilot-pending"' in result  # the pilot is a draft in the register
    # Everything else of the proposals stays confidential.
    assert WINNER_APPROACH not in page
    assert "Waterplein Lab" not in page
    assert runner_up.summary not in page

    Pilot.objects.filter(pk=challenge.pilot_id).update(state=Pilot.State.PUBLISHED)
    page = html(client.get(challenge.get_absolute_url()))
    assert f'href="{challenge.pilot.get_absolute_url()}" data-testid="pilot-link"' in page


def test_not_awarded_shows_the_motivation(client, servant, monkeypatch):
    english(client)
    challenge = closed_challenge(servant)
    services.challenge_not_award(challenge=challenge, by=servant,
                                 motivation="Geen voorstel paste binnen het budget.")

    page = html(client.get(challenge.get_absolute_url()))

    result = page.split('data-testid="result"')[1].split("</section>")[0]
    assert "Result: not awarded" in result
    assert "Geen voorstel paste binnen het budget." in result


def test_the_page_costs_the_same_queries_however_many_questions_and_amendments(
        client, servant, django_assert_num_queries):
    challenge = open_challenge(by=servant)
    _organisation, asker = bidder()
    login(client, asker)

    def add(count, start):
        for number in range(start, start + count):
            question = services.question_ask(challenge=challenge, by=asker,
                                              text=f"Vraag {number}")
            services.question_answer(question=question, by=servant, answer="Ja.")
            services.challenge_amend(challenge=challenge, by=servant, reason=f"Wijziging {number}",
                                     budget=1000 + number)

    add(1, 0)
    client.get(challenge.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(challenge.get_absolute_url())
    add(9, 1)

    with django_assert_num_queries(len(few)):
        page = html(client.get(challenge.get_absolute_url()))
    assert page.count('data-testid="qa"') == 10
    assert page.count('data-testid="amendment"') == 10


# --- the home page --------------------------------------------------------------------------------


def test_the_home_page_shows_open_challenges_nearest_deadline_first(client, servant):
    english(client)
    closed_challenge(servant, title="Afvalinzameling slimmer")
    draft_challenge(by=servant, title="Geheim concept")
    for days, title in ((30, "Schoolroutes"), (6, "Hittestress"), (12, "Parkeren"),
                        (20, "Groen")):
        open_challenge(by=servant, title=title, **timeline(days_left=days))

    page = html(client.get("/"))

    section = page.split('id="section-challenges"')[1].split("</section>")[0]
    assert re.findall(r'<h3 class="card__title"><a href="[^"]+">([^<]+)</a>', section) == [
        "Hittestress", "Parkeren", "Groen"]
    assert "Op hete dagen wordt het in Stadhagen" in section  # the summary
