"""Abuse limits on submitting, commenting, reporting and supporting: the attempt over the limit
gets HTTP 429 with a clear message, nothing is stored, and nothing typed is lost."""

import pytest
from django.urls import reverse
from django.utils import translation

from portal.accounts import roles
from portal.core.ratelimit import rate_limit_message
from portal.ideas import services
from portal.ideas.models import Comment, Idea, Moderation, Report, Support
from tests.factories import CommentFactory, IdeaFactory
from tests.ideas.participation_helpers import IDEA_DATA, login_role

pytestmark = pytest.mark.django_db

LIMIT_MESSAGE = "You have reached the limit of 2 times per minute for this."


@pytest.fixture(autouse=True)
def _tight_limits(settings):
    settings.LANGUAGE_CODE = "en"
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ideas.submit": "2/m",
                            "ideas.comment": "2/m", "ideas.report": "2/m",
                            "ideas.support": "2/m"}


def url(name, idea, **kwargs):
    return reverse(f"ideas:{name}", kwargs={"public_id": idea.public_id, **kwargs})


def test_the_third_new_idea_in_a_minute_is_refused_and_the_text_is_kept(client):
    login_role(client, roles.RESIDENT)
    for number in range(2):
        client.post(reverse("ideas:create"),
                    {**IDEA_DATA, "title": f"Idee nummer {number}", "action": "save"})

    response = client.post(reverse("ideas:create"), {
        **IDEA_DATA, "title": "Het derde idee, net te vroeg", "action": "save"})

    html = response.content.decode()
    assert response.status_code == 429
    assert LIMIT_MESSAGE in html
    assert 'value="Het derde idee, net te vroeg"' in html
    assert IDEA_DATA["body"] in html
    assert Idea.objects.count() == 2


def test_submitting_counts_too_but_saving_a_draft_does_not(client):
    author = login_role(client, roles.RESIDENT)
    drafts = [
        services.idea_create(author=author, title=f"Concept nummer {n}", theme="economy",
                             body="Een markt voor lokale makers op zaterdag.")
        for n in range(3)
    ]
    edit = url("edit", drafts[0])
    for _ in range(3):  # saving an existing draft is not limited
        assert client.post(edit, {**IDEA_DATA, "action": "save"}).status_code == 302

    first = client.post(url("submit", drafts[0]))
    second = client.post(edit.replace(str(drafts[0].public_id), str(drafts[1].public_id)),
                         {**IDEA_DATA, "action": "submit"})
    third = client.post(url("submit", drafts[2]))

    assert (first.status_code, second.status_code, third.status_code) == (302, 302, 429)
    assert LIMIT_MESSAGE in third.content.decode()
    drafts[2].refresh_from_db()
    assert drafts[2].moderation == Moderation.DRAFT


def test_the_third_comment_in_a_minute_is_refused_with_the_text_kept(client):
    idea = IdeaFactory()
    login_role(client, roles.RESIDENT)
    for number in range(2):
        client.post(url("comment", idea), {"body": f"Reactie {number}"})

    response = client.post(url("comment", idea), {"body": "Mijn derde reactie"})

    html = response.content.decode()
    assert response.status_code == 429
    assert LIMIT_MESSAGE in html
    assert "Mijn derde reactie" in html
    assert Comment.objects.count() == 2


def test_the_third_report_in_a_minute_is_refused(client):
    idea = IdeaFactory()
    comments = [CommentFactory(idea=idea) for _ in range(3)]
    login_role(client, roles.RESIDENT)
    for comment in comments[:2]:
        client.post(url("report", idea) + f"?reactie={comment.public_id}",
                    {"reason_code": "off_topic"})

    response = client.post(url("report", idea) + f"?reactie={comments[2].public_id}",
                           {"reason_code": "insulting", "explanation": "Grof taalgebruik"})

    html = response.content.decode()
    assert response.status_code == 429
    assert LIMIT_MESSAGE in html
    assert "Grof taalgebruik" in html
    assert Report.objects.count() == 2


def test_the_third_support_in_a_minute_is_refused(client):
    ideas = [IdeaFactory() for _ in range(3)]
    login_role(client, roles.VERIFIED_RESIDENT)
    for idea in ideas[:2]:
        client.post(url("support", idea))

    response = client.post(url("support", ideas[2]))

    assert response.status_code == 429
    assert LIMIT_MESSAGE in response.content.decode()
    assert Support.objects.count() == 2


def test_the_message_follows_the_language_of_the_page(client, settings):
    settings.LANGUAGE_CODE = "nl"
    idea = IdeaFactory()
    login_role(client, roles.RESIDENT)
    for number in range(2):
        client.post(url("comment", idea), {"body": f"Reactie {number}"})

    response = client.post(url("comment", idea), {"body": "Nog een"}, HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 429
    with translation.override("nl"):
        assert rate_limit_message("ideas.comment") in response.content.decode()
