"""The civil servants' pages: writing a draft with its criteria (weights must add up to 100),
publishing, amending (reason required, the changes shown first), answering or declining
questions, and the dashboard per challenge (questions, proposals in, jury, assessment, closing
without an award); and who may open them (page × role)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from challenges import services
from challenges.models import Amendment, Challenge, ChallengeEvent, JuryMember, Question
from portal.accounts import roles
from tests.challenges.builders import (
    CONTENT,
    appoint,
    bidder,
    civil_servant,
    close,
    draft_challenge,
    jury_user,
    open_challenge,
    submitted_proposal,
    timeline,
)
from tests.challenges.page_helpers import ALL_ROLES, english, html, login, login_role

pytestmark = pytest.mark.django_db

Status = Challenge.Status
STAFF = (roles.CIVIL_SERVANT, roles.ADMIN)


@pytest.fixture
def servant(client):
    user = civil_servant(display_name="Anna de Vries")
    english(client)
    login(client, user)
    return user


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


DEFAULT_CRITERIA = [("Effect", "Koeler?", 60), ("Prijs", "", 40)]


def form_data(*, criteria=DEFAULT_CRITERIA, **overrides):
    """A complete challenge form as a browser posts it."""
    dates = timeline(days_left=20)
    data = {
        **{key: value for key, value in CONTENT.items()
           if key not in ("sdg_goals", "required_attachments", "data_sources")},
        "sdg_goals": ["3", "13"],
        "eligible_kinds": ["startup", "mkb"],
        "required_attachments": "Plan van aanpak (PDF)\nBegroting",
        "data_sources": "Hittekaart | https://data.stadhagen.example/hitte",
        **{name: local(value) for name, value in dates.items()},
    }
    data.update(criteria_data(criteria))
    data.update(overrides)
    return data


def criteria_data(criteria, *, extra=2) -> dict:
    rows = list(criteria) + [("", "", "")] * extra
    data = {"criteria-TOTAL_FORMS": str(len(rows)), "criteria-INITIAL_FORMS": "0",
            "criteria-MIN_NUM_FORMS": "0", "criteria-MAX_NUM_FORMS": "12"}
    for index, (title, description, weight) in enumerate(rows):
        data[f"criteria-{index}-title"] = title
        data[f"criteria-{index}-description"] = description
        data[f"criteria-{index}-weight"] = str(weight)
    return data


def url(name, challenge, **kwargs) -> str:
    return reverse(f"challenges:{name}", kwargs={"slug": challenge.slug, **kwargs})


# --- writing a draft ------------------------------------------------------------------------------


def test_a_civil_servant_writes_a_draft_with_criteria(client, servant):
    page = html(client.get(reverse("challenges:create")))
    assert 'data-testid="challenge-form"' in page
    assert "data-criteria-formset" in page
    assert "challenges-criteria.js" in page

    response = client.post(reverse("challenges:create"), form_data())

    challenge = Challenge.objects.get()
    assert response.status_code == 302
    assert response["Location"] == challenge.get_absolute_url()
    assert challenge.status == Status.DRAFT
    assert challenge.created_by == servant
    assert challenge.sdg_goals == [3, 13]
    assert challenge.eligible_kinds == ["startup", "mkb"]
    assert challenge.required_attachments == ["Plan van aanpak (PDF)", "Begroting"]
    assert challenge.data_sources == [{"title": "Hittekaart",
                                       "url": "https://data.stadhagen.example/hitte"}]
    assert [(c.title, c.weight) for c in challenge.criteria.all()] == [("Effect", 60),
                                                                       ("Prijs", 40)]
    # typed in Dutch time, stored in UTC
    assert local(challenge.submission_deadline) == form_data()["submission_deadline"]


def test_weights_not_adding_up_to_100_name_the_current_sum_and_keep_the_text(client, servant):
    response = client.post(reverse("challenges:create"), form_data(
        criteria=[("Effect", "", 50), ("Prijs", "", 30), ("Team", "", 15)],
        title="Mijn getypte titel"))

    page = html(response)
    assert response.status_code == 400
    assert "The weights add up to 95%. They must add up to exactly 100%." in page
    assert 'data-testid="error-summary"' in page
    assert 'value="Mijn getypte titel"' in page
    assert re.search(r'data-criteria-sum>95<', page)
    assert not Challenge.objects.exists()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"title": ""}, "title", "Give the challenge a title."),
    ({"criteria-0-weight": ""}, "criteria-0-weight", "Give this criterion a weight."),
    ({"criteria-0-weight": "0"}, "criteria-0-weight", "A weight is at least 1%."),
    ({"criteria-0-title": ""}, "criteria-0-title", "Give this criterion a name"),
    ({"data_sources": "Kaart | ftp://example.org/x"}, "data_sources", "is not a web address"),
    ({"data_sources": "zonder adres"}, "data_sources", "Line 1: write a title"),
    ({"contact_email": "geen-adres"}, "contact_email", "Enter an e-mail address"),
    ({"budget": "veel"}, "budget", "Enter a number."),
])
def test_bad_input_gets_a_clear_error_on_its_field(client, servant, overrides, field, message):
    response = client.post(reverse("challenges:create"), form_data(**overrides))

    page = html(response)
    assert response.status_code == 400
    assert message in page
    assert f'href="#id_{field}' in page  # the error summary links to the field
    assert not Challenge.objects.exists()


def test_dates_out_of_order_are_refused(client, servant):
    data = form_data()
    data["jury_date"] = data["opens_at"]

    response = client.post(reverse("challenges:create"), data)

    assert response.status_code == 400
    assert "This date must not be before “Deadline for proposals”." in html(response)


def test_a_draft_may_be_saved_incomplete_and_without_criteria(client, servant):
    data = {"title": "Alleen een titel", **criteria_data([], extra=3)}

    response = client.post(reverse("challenges:create"), data)

    assert response.status_code == 302
    challenge = Challenge.objects.get()
    assert challenge.title == "Alleen een titel"
    assert not challenge.criteria.exists()


def test_editing_a_draft_replaces_its_content_and_criteria(client, servant):
    challenge = draft_challenge(by=servant)
    page = html(client.get(url("edit", challenge)))
    assert 'value="Effect op hittestress"' in page  # the criteria are in the form

    response = client.post(url("edit", challenge), form_data(
        title="Koele straten", criteria=[("Effect", "", 100)]))

    assert response.status_code == 302
    challenge.refresh_from_db()
    assert challenge.title == "Koele straten"
    assert [(c.title, c.weight) for c in challenge.criteria.all()] == [("Effect", 100)]


def test_a_published_challenge_is_not_edited_but_amended(client, servant):
    challenge = open_challenge(by=servant)

    response = client.post(url("edit", challenge), form_data(title="Stiekem anders"))

    page = html(response)
    assert response.status_code == 200
    assert "A published challenge is not edited" in page
    assert f'href="{url("amend", challenge)}"' in page
    challenge.refresh_from_db()
    assert challenge.title == CONTENT["title"]


# --- publishing -----------------------------------------------------------------------------------


def test_publishing_lists_what_is_missing_and_refuses(client, servant):
    challenge = services.challenge_create(by=servant, title="Half af",
                                          criteria=[{"title": "A", "weight": 90}])

    page = html(client.get(url("publish", challenge)))
    assert 'data-testid="publish-problems"' in page
    assert "now they add up to 90%" in page
    assert "The problem: Fill in this field" in page

    response = client.post(url("publish", challenge))

    assert response.status_code == 400
    assert 'data-testid="publish-problems"' in html(response)
    challenge.refresh_from_db()
    assert challenge.status == Status.DRAFT


def test_publishing_a_complete_draft_opens_it(client, servant):
    challenge = draft_challenge(by=servant)
    page = html(client.get(url("publish", challenge)))
    assert 'data-testid="publish-ready"' in page

    response = client.post(url("publish", challenge))

    assert response.status_code == 302
    challenge.refresh_from_db()
    assert challenge.status == Status.OPEN
    assert challenge.published_at is not None
    assert ChallengeEvent.objects.filter(challenge=challenge, action="publish").exists()


# --- amending -------------------------------------------------------------------------------------


def amend_data(challenge, **overrides) -> dict:
    criteria = [(c.title, c.description, c.weight) for c in challenge.criteria.all()]
    data = form_data(criteria=criteria, **{
        name: local(getattr(challenge, name)) for name in Challenge.TIMELINE_FIELDS})
    data["eligible_kinds"] = challenge.eligible_kinds
    data["required_attachments"] = "\n".join(challenge.required_attachments)
    data["sdg_goals"] = [str(goal) for goal in challenge.sdg_goals]
    data["budget"] = str(challenge.budget)
    data.update(overrides)
    return data


def test_an_amendment_needs_a_reason(client, servant):
    challenge = open_challenge(by=servant)

    response = client.post(url("amend", challenge), amend_data(challenge, budget="60000"))

    assert response.status_code == 400
    assert "Explain why the challenge changes." in html(response)
    assert not Amendment.objects.exists()


def test_an_amendment_shows_the_changes_first_then_publishes_them(client, servant):
    challenge = open_challenge(by=servant)
    data = amend_data(challenge, budget="60000", reason="Extra geld van de provincie.")
    page = html(client.get(url("amend", challenge)))
    assert 'value="Hittestress in Stadhagen"' in page  # the form shows what is published

    preview = client.post(url("amend", challenge), {**data, "action": "preview"})

    page = html(preview)
    assert preview.status_code == 200
    assert 'data-testid="amend-preview"' in page
    rows = re.findall(r'<tr data-field="([a-z_]+)">', page)
    assert rows == ["budget"]  # only what changed; unchanged dates are not a change
    assert "€ 50,000" in page
    assert "€ 60,000" in page
    assert not Amendment.objects.exists()

    response = client.post(url("amend", challenge), {**data, "action": "confirm"})

    amendment = Amendment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == challenge.get_absolute_url() + "#wijziging-1"
    assert amendment.reason == "Extra geld van de provincie."
    assert set(amendment.changes) == {"budget"}
    challenge.refresh_from_db()
    assert challenge.budget == 60000


def test_an_amendment_may_change_the_criteria_but_the_weights_still_add_up(client, servant):
    challenge = open_challenge(by=servant)
    data = amend_data(challenge, reason="Prijs telt minder.")
    data.update(criteria_data([("Effect op hittestress", "", 60), ("Haalbaarheid", "", 30),
                               ("Prijs", "", 20)]))

    wrong = client.post(url("amend", challenge), {**data, "action": "confirm"})
    assert wrong.status_code == 400
    assert "The weights add up to 110%." in html(wrong)

    data.update(criteria_data([("Effect op hittestress", "", 60), ("Haalbaarheid", "", 30),
                               ("Prijs", "", 10)]))
    response = client.post(url("amend", challenge), {**data, "action": "confirm"})

    assert response.status_code == 302
    assert set(Amendment.objects.get().changes) == {"criteria"}
    assert [c.weight for c in challenge.criteria.all()] == [60, 30, 10]


def test_an_amendment_without_changes_is_refused(client, servant):
    challenge = open_challenge(by=servant)

    response = client.post(url("amend", challenge), {
        **amend_data(challenge, reason="Niets"), "action": "confirm"})

    assert response.status_code == 400
    assert "Nothing was changed." in html(response)


def test_a_closed_challenge_cannot_be_amended(client, monkeypatch):
    owner = civil_servant()
    challenge = open_challenge(by=owner)
    close(monkeypatch, challenge)
    english(client)
    login(client, owner)

    response = client.get(url("amend", challenge))

    assert "This challenge can no longer be amended" in html(response)


# --- questions ------------------------------------------------------------------------------------


def pending_question(challenge, text="Mag het ook zonder sensoren?"):
    _organisation, asker = bidder()
    return services.question_ask(challenge=challenge, by=asker, text=text)


def test_the_dashboard_lists_questions_to_answer_and_the_answer_is_published(client, servant):
    challenge = open_challenge(by=servant)
    question = pending_question(challenge)
    answer_url = url("question_answer", challenge, public_id=question.public_id)

    page = html(client.get(url("manage", challenge)))
    assert 'data-testid="pending-question"' in page
    assert f'href="{answer_url}"' in page

    response = client.post(answer_url, {"action": "answer", "answer": "Ja, dat mag."})

    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED
    assert question.answer == "Ja, dat mag."
    assert "Ja, dat mag." in html(client.get(challenge.get_absolute_url()))
    assert 'data-testid="pending-question"' not in html(client.get(url("manage", challenge)))


def test_a_question_may_be_declined_with_a_reason(client, servant):
    challenge = open_challenge(by=servant)
    question = pending_question(challenge)
    answer_url = url("question_answer", challenge, public_id=question.public_id)

    empty = client.post(answer_url, {"action": "decline", "reason": ""})
    assert empty.status_code == 400
    assert "Give the reason." in html(empty)

    client.post(answer_url, {"action": "decline", "reason": "Al beantwoord hierboven."})

    question.refresh_from_db()
    assert question.status == Question.Status.DECLINED
    assert question.decline_reason == "Al beantwoord hierboven."
    assert "Mag het ook zonder sensoren?" not in html(client.get(challenge.get_absolute_url()))


def test_an_empty_answer_is_refused_and_a_dealt_question_is_not_answered_twice(client,
                                                                                 servant):
    challenge = open_challenge(by=servant)
    question = pending_question(challenge)
    answer_url = url("question_answer", challenge, public_id=question.public_id)

    assert client.post(answer_url, {"action": "answer", "answer": ""}).status_code == 400
    services.question_answer(question=question, by=servant, answer="Eerste antwoord.")
    response = client.post(answer_url, {"action": "answer", "answer": "Tweede antwoord."})

    assert response.status_code == 302
    question.refresh_from_db()
    assert question.answer == "Eerste antwoord."


# --- the dashboard: proposals and jury ------------------------------------------------------------


def test_before_the_deadline_the_dashboard_shows_only_who_submitted(client, servant):
    challenge = open_challenge(by=servant)
    proposal = submitted_proposal(challenge, *bidder("Groene Daken BV"))
    organisation, member = bidder("Nog Bezig BV")
    services.proposal_start(challenge=challenge, organisation=organisation, by=member)

    page = html(client.get(url("manage", challenge)))

    section = page.split('data-testid="proposals-in"')[1].split("</section>")[0]
    assert "1 proposal submitted; 1 draft or withdrawn." in section
    assert "Groene Daken BV" in section
    assert "Nog Bezig BV" not in section
    assert reverse("challenges:proposal_detail", args=[proposal.public_id]) not in page
    assert proposal.summary not in page


def test_after_the_deadline_the_dashboard_links_to_the_proposals(client, monkeypatch):
    owner = civil_servant()
    challenge = open_challenge(by=owner)
    proposal = submitted_proposal(challenge, *bidder("Groene Daken BV"))
    close(monkeypatch, challenge)
    english(client)
    login(client, owner)

    page = html(client.get(url("manage", challenge)))

    assert f'href="{reverse("challenges:proposal_detail", args=[proposal.public_id])}"' in page


def test_appointing_a_chair_and_a_member_making_chair_and_removing(client, servant):
    challenge = open_challenge(by=servant)
    chair_user, member_user = jury_user(display_name="Voorzitter"), jury_user(display_name="Lid")

    page = html(client.get(url("manage", challenge)))
    assert 'data-testid="appoint-form"' in page
    assert "Voorzitter" in page

    client.post(url("jury_appoint", challenge), {"user": chair_user.pk, "is_chair": "on"})
    client.post(url("jury_appoint", challenge), {"user": member_user.pk})

    jury = {m.user: m.is_chair for m in JuryMember.objects.filter(challenge=challenge)}
    assert jury == {chair_user: True, member_user: False}
    page = html(client.get(url("manage", challenge)))
    assert len(re.findall(r'data-testid="jury-member"', page)) == 2
    assert 'data-testid="no-chair"' not in page

    member = JuryMember.objects.get(user=member_user)
    client.post(url("jury_chair", challenge), {"member": member.pk})
    assert JuryMember.objects.get(user=member_user).is_chair
    assert not JuryMember.objects.get(user=chair_user).is_chair

    client.post(url("jury_remove", challenge), {"member": member.pk})
    assert list(JuryMember.objects.values_list("user", flat=True)) == [chair_user.pk]


def test_only_people_with_the_jury_role_can_be_appointed(client, servant):
    challenge = open_challenge(by=servant)
    _organisation, bidder_user = bidder()

    response = client.post(url("jury_appoint", challenge), {"user": bidder_user.pk})

    assert response.status_code == 400
    assert "Choose a person from the list." in html(response)
    assert not JuryMember.objects.exists()


def test_removing_a_jury_member_of_another_challenge_is_404(client, servant):
    challenge, other = open_challenge(by=servant), open_challenge(by=servant, title="Ander")
    member = appoint(other, by=servant)

    response = client.post(url("jury_remove", challenge), {"member": member.pk})

    assert response.status_code == 404
    assert JuryMember.objects.filter(pk=member.pk).exists()


def test_starting_the_assessment_needs_a_closed_challenge_proposals_and_a_chair(client,
                                                                              monkeypatch):
    owner = civil_servant()
    challenge = open_challenge(by=owner)
    submitted_proposal(challenge)
    close(monkeypatch, challenge)
    english(client)
    login(client, owner)

    page = html(client.get(url("manage", challenge)))
    assert 'data-testid="cannot-start"' in page  # no chair yet

    appoint(challenge, chair=True, by=owner)
    page = html(client.get(url("manage", challenge)))
    assert 'data-testid="start-assessment"' in page

    client.post(url("assessment_start", challenge))

    challenge.refresh_from_db()
    assert challenge.status == Status.IN_ASSESSMENT


def test_closing_without_an_award_needs_a_motivation(client, monkeypatch):
    owner = civil_servant()
    challenge = open_challenge(by=owner)
    close(monkeypatch, challenge)
    english(client)
    login(client, owner)
    assert 'data-testid="not-award-link"' in html(client.get(url("manage", challenge)))

    empty = client.post(url("not_award", challenge), {"motivation": " "})
    assert empty.status_code == 400
    assert "Give the motivation." in html(empty)

    response = client.post(url("not_award", challenge),
                           {"motivation": "Er kwam niets binnen."})

    assert response.status_code == 302
    challenge.refresh_from_db()
    assert challenge.status == Status.NOT_AWARDED
    assert challenge.award_motivation == "Er kwam niets binnen."


def test_an_open_challenge_cannot_be_closed_without_award(client, servant):
    challenge = open_challenge(by=servant)

    response = client.post(url("not_award", challenge), {"motivation": "Nee"})

    assert response.status_code == 302
    challenge.refresh_from_db()
    assert challenge.status == Status.OPEN


# --- who may open what ----------------------------------------------------------------------------


def _expected(role, *, draft=False):
    if role == roles.VISITOR:
        return 302
    if role in STAFF:
        return 200
    return 404 if draft else 403


@pytest.mark.parametrize("role", ALL_ROLES)
def test_new_challenge_page_by_role(client, role):
    login_role(client, role)

    response = client.get(reverse("challenges:create"))

    assert response.status_code == _expected(role)
    if role not in STAFF:
        client.post(reverse("challenges:create"), {"title": "Ongewenst",
                                                   **criteria_data([], extra=1)})
        assert not Challenge.objects.exists()


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("page", ["edit", "publish", "manage"])
def test_staff_pages_of_a_draft_by_role(client, role, page):
    challenge = draft_challenge()
    login_role(client, role)

    response = client.get(url(page, challenge))

    assert response.status_code == _expected(role, draft=True)


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("page", ["amend", "manage"])
def test_staff_pages_of_an_open_challenge_by_role(client, role, page):
    challenge = open_challenge()
    login_role(client, role)

    response = client.get(url(page, challenge))

    assert response.status_code == _expected(role)


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r not in STAFF])
def test_staff_actions_are_refused_to_everyone_else(client, role):
    challenge = open_challenge()
    question = pending_question(challenge)
    candidate = jury_user()
    login_role(client, role)
    expected = 302 if role == roles.VISITOR else 403

    posts = [
        (url("jury_appoint", challenge), {"user": candidate.pk}),
        (url("question_answer", challenge, public_id=question.public_id),
         {"action": "answer", "answer": "Ja"}),
        (url("amend", challenge), {"reason": "x", "action": "confirm"}),
        (url("assessment_start", challenge), {}),
        (url("not_award", challenge), {"motivation": "x"}),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == expected, target
    assert not JuryMember.objects.exists()
    question.refresh_from_db()
    assert question.status == Question.Status.PENDING
    assert not Amendment.objects.exists()


def test_dates_are_shown_and_typed_in_dutch_time(client, servant):
    moment = dt.datetime(2026, 7, 1, 15, 0, tzinfo=dt.UTC)  # 17:00 in Amsterdam (summer)
    challenge = draft_challenge(by=servant, **{
        "opens_at": moment - dt.timedelta(days=30), "questions_deadline": moment,
        "submission_deadline": moment + dt.timedelta(days=10),
        "jury_date": moment + dt.timedelta(days=20), "award_date": moment + dt.timedelta(days=30)})

    page = html(client.get(url("edit", challenge)))

    assert 'name="questions_deadline" value="2026-07-01T17:00"' in page
    assert "1 July 2026 17:00" in html(client.get(challenge.get_absolute_url()))


def test_the_dashboard_costs_the_same_queries_however_many_questions_proposals_and_jury(
        client, servant, django_assert_num_queries):
    challenge = open_challenge(by=servant)

    def add(count):
        for _number in range(count):
            pending_question(challenge)
            submitted_proposal(challenge)
            appoint(challenge, by=servant)

    add(1)
    client.get(url("manage", challenge))
    with CaptureQueriesContext(connection) as few:
        client.get(url("manage", challenge))
    add(6)

    with django_assert_num_queries(len(few)):
        page = html(client.get(url("manage", challenge)))
    assert page.count('data-testid="pending-question"') == 7
    assert page.count('data-testid="submitted-proposal"') == 7
    assert page.count('data-testid="jury-member"') == 7
