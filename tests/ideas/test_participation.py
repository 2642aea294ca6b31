"""Taking part in a published idea: comments and replies, support, following, reports, and the
author's appeal. Every view × role, then the behaviour a person notices."""

import pytest
from django.urls import reverse

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import (
    Appeal,
    Comment,
    Follow,
    Idea,
    Moderation,
    Report,
    Support,
    ThemeSettings,
)
from tests.factories import CommentFactory, IdeaFactory, ResidentFactory, user_for_role
from tests.ideas.participation_helpers import ROLES, login, login_role

pytestmark = pytest.mark.django_db

LOGGED_IN = set(ROLES) - {roles.VISITOR}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def idea():
    return IdeaFactory(title="Een moestuin op het dak van de bibliotheek")


def url(name, idea, **kwargs):
    return reverse(f"ideas:{name}", kwargs={"public_id": idea.public_id, **kwargs})


def rejected_idea(author, moderator=None):
    moderator = moderator or user_for_role(roles.MODERATOR)
    idea = services.idea_create(author=author, title="Een skatebaan in het park",
                                body="Jongeren hebben nu geen plek om te skaten.",
                                theme="people")
    idea = services.idea_submit(idea=idea, by=author)
    return services.idea_moderate(idea=idea, by=moderator, action="reject",
                                  reason_code="duplicate", duplicate_of=IdeaFactory(),
                                  statement="Er is al een idee voor een skatebaan.")


# --- permissions: every view × role ------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_comment_permission(client, role, idea):
    login_role(client, role)

    response = client.post(url("comment", idea), {"body": "Ik help graag mee."})

    if role == roles.VISITOR:
        assert response.status_code == 302
        assert reverse("login") in response.url
        assert not Comment.objects.exists()
    else:
        comment = Comment.objects.get()
        assert response.url == f"{idea.get_absolute_url()}#comment-{comment.public_id}"


@pytest.mark.parametrize("role", ROLES)
def test_support_permission(client, role, idea):
    login_role(client, role)

    response = client.post(url("support", idea))

    if role in (roles.VISITOR, roles.RESIDENT):
        assert response.status_code == 302
        assert response.url.startswith(reverse("digid:login"))
        assert not Support.objects.exists()
    elif role == roles.VERIFIED_RESIDENT:
        assert response.url == f"{idea.get_absolute_url()}#support"
        assert Support.objects.count() == 1
    else:
        assert response.status_code == 403
        assert "Only residents can support ideas" in response.content.decode()
        assert not Support.objects.exists()


def test_an_admin_without_digid_cannot_support(client, idea):
    login_role(client, roles.ADMIN)

    response = client.post(url("support", idea))

    assert response.status_code == 403
    assert not Support.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_follow_permission(client, role, idea):
    login_role(client, role)

    response = client.post(url("follow", idea))

    assert response.status_code == 302
    if role == roles.VISITOR:
        assert reverse("login") in response.url
        assert not Follow.objects.exists()
    else:
        assert Follow.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_report_permission(client, role, idea):
    login_role(client, role)

    response = client.get(url("report", idea))

    if role == roles.VISITOR:
        assert response.status_code == 302
        assert reverse("login") in response.url
    else:
        assert response.status_code == 200
        assert "Off-topic" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_only_the_author_appeals(client, role):
    idea = rejected_idea(ResidentFactory())
    login_role(client, role)

    get = client.get(url("appeal", idea))
    post = client.post(url("appeal", idea), {"text": "Niet waar."})

    expected = 302 if role == roles.VISITOR else 404
    assert (get.status_code, post.status_code) == (expected, expected)
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("name", ["comment", "support", "follow", "report"])
def test_a_hidden_idea_cannot_be_taken_part_in(client, name):
    hidden = IdeaFactory(moderation=Moderation.PENDING)
    login_role(client, roles.VERIFIED_RESIDENT)

    response = client.post(url(name, hidden), {"body": "Hallo daar", "reason_code": "illegal"})

    assert response.status_code == 404
    assert not Comment.objects.exists()
    assert not Support.objects.exists()
    assert not Follow.objects.exists()
    assert not Report.objects.exists()


# --- the participation block on the idea page ---------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [
    (roles.VISITOR, "Log in with DigiD (level midden) to support this idea"),
    (roles.RESIDENT, "Log in with DigiD (level midden) to support this idea"),
    (roles.VERIFIED_RESIDENT, "Support this idea"),
    (roles.ORGANISATION_MEMBER, "You are logged in with an e-mail account"),
    (roles.MODERATOR, "You are logged in with an e-mail account"),
    (roles.CIVIL_SERVANT, "You are logged in with an e-mail account"),
    (roles.ADMIN, "You are logged in with an e-mail account"),
])
def test_the_idea_page_says_who_can_support(client, role, expected, idea):
    login_role(client, role)

    html = client.get(idea.get_absolute_url()).content.decode()

    assert expected in html
    has_button = 'data-testid="support"' in html
    assert has_button == (role == roles.VERIFIED_RESIDENT)
    assert ('data-testid="follow"' in html) == (role != roles.VISITOR)
    assert url("report", idea) in html


def test_support_once_and_withdraw(client, idea):
    supporter = login_role(client, roles.VERIFIED_RESIDENT)

    client.post(url("support", idea))
    second = client.post(url("support", idea), follow=True)

    idea.refresh_from_db()
    assert second.status_code == 200
    assert idea.support_count == 1
    assert Support.objects.filter(user=supporter).count() == 1
    html = second.content.decode()
    assert "Thank you for supporting this idea." in html
    assert "You support this idea." in html
    assert 'data-testid="unsupport"' in html

    withdrawn = client.post(url("unsupport", idea), follow=True)

    idea.refresh_from_db()
    assert idea.support_count == 0
    assert not Support.objects.exists()
    assert "Your support has been withdrawn." in withdrawn.content.decode()


def test_a_resident_who_logged_in_at_basis_level_keeps_the_way_back(client, idea):
    login_role(client, roles.RESIDENT)

    response = client.post(url("support", idea))

    assert response.url.startswith(reverse("digid:login"))
    assert "next=" in response.url
    assert str(idea.public_id) in response.url


def test_follow_and_unfollow(client, idea):
    login_role(client, roles.ORGANISATION_MEMBER)

    followed = client.post(url("follow", idea), follow=True)
    assert "You now follow this idea" in followed.content.decode()
    assert 'data-testid="unfollow"' in followed.content.decode()
    client.post(url("follow", idea))
    assert Follow.objects.count() == 1

    unfollowed = client.post(url("unfollow", idea), follow=True)

    assert "You no longer follow this idea." in unfollowed.content.decode()
    assert not Follow.objects.exists()


def test_get_on_an_action_url_goes_back_to_the_idea(client, idea):
    login_role(client, roles.VERIFIED_RESIDENT)

    for name in ("support", "unsupport", "follow", "unfollow", "comment"):
        response = client.get(url(name, idea))
        assert response.status_code == 302
        assert response.url.startswith(idea.get_absolute_url())
    assert not Support.objects.exists()
    assert not Follow.objects.exists()


# --- comments and replies ----------------------------------------------------------------------


def test_a_comment_is_placed_and_shown_with_its_author_and_date(client, idea):
    login_role(client, roles.RESIDENT, display_name="Fatima")

    response = client.post(url("comment", idea), {"body": "Goed plan, ik **help** mee."},
                           follow=True)

    html = response.content.decode()
    comment = Comment.objects.get()
    assert "Your comment has been placed." in html
    assert f'id="comment-{comment.public_id}"' in html
    assert "<strong>help</strong>" in html
    assert "anonymous resident" in html  # no consent to show the name
    idea.refresh_from_db()
    assert idea.comment_count == 1


def test_a_visitor_is_asked_to_log_in_to_respond(client, idea):
    html = client.get(idea.get_absolute_url()).content.decode()

    assert 'data-testid="login-to-respond"' in html
    assert 'data-testid="comment-form"' not in html


def test_replies_are_one_level_deep(client, idea):
    top = CommentFactory(idea=idea, body="Waar komt de moestuin precies?")
    login_role(client, roles.RESIDENT)

    client.post(url("comment", idea), {"body": "Op het dak, boven de leeszaal.",
                                       "parent": str(top.public_id)})
    reply = Comment.objects.get(parent=top)
    response = client.post(url("comment", idea), {"body": "En wie geeft de planten water?",
                                                  "parent": str(reply.public_id)})

    html = response.content.decode()
    assert response.status_code == 400
    assert "You can only reply to a comment, not to a reply." in html
    assert "En wie geeft de planten water?" in html  # the text is kept
    assert 'name="parent"' in html
    assert str(reply.public_id) not in html.split("<form")[-1]
    assert Comment.objects.count() == 2
    page = client.get(idea.get_absolute_url()).content.decode()
    assert "Op het dak, boven de leeszaal." in page
    assert f'value="{top.public_id}"' in page  # a reply form under the top-level comment
    assert f'value="{reply.public_id}"' not in page  # none under the reply


def test_a_reply_to_a_comment_that_does_not_exist_keeps_the_text(client, idea):
    login_role(client, roles.RESIDENT)

    response = client.post(url("comment", idea), {
        "body": "Mijn antwoord", "parent": "00000000-0000-0000-0000-000000000000"})

    assert response.status_code == 400
    assert "no longer there" in response.content.decode()
    assert "Mijn antwoord" in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_an_empty_or_huge_comment_is_refused_with_the_text_kept(client, idea, body):
    login_role(client, roles.RESIDENT)

    response = client.post(url("comment", idea), {"body": body})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Write a comment first." in html or "at most 2000 characters" in html
    if body.strip():
        assert body in html
    assert not Comment.objects.exists()


def test_in_a_pre_moderated_theme_a_comment_waits_and_its_author_sees_that(client, idea):
    ThemeSettings.objects.create(theme=idea.theme, comment_moderation="pre")
    author = login_role(client, roles.RESIDENT)

    response = client.post(url("comment", idea), {"body": "Wanneer begint de aanleg?"},
                           follow=True)

    html = response.content.decode()
    assert "will be shown after a moderator has looked at it" in html
    assert 'data-testid="comment-pending"' in html
    client.logout()
    other = client.get(idea.get_absolute_url()).content.decode()
    assert "Wanneer begint de aanleg?" not in other
    assert Comment.objects.get().author == author


def test_a_hidden_comment_shows_its_author_the_reason(client, idea):
    author = ResidentFactory()
    comment = CommentFactory(idea=idea, author=author, body="Koop mijn tuinspullen!")
    services.comment_moderate(comment=comment, by=user_for_role(roles.MODERATOR),
                              action="reject", reason_code="commercial",
                              statement="Reclame hoort hier niet.")

    login(client, author)
    own = client.get(idea.get_absolute_url()).content.decode()
    login_role(client, roles.RESIDENT)
    others = client.get(idea.get_absolute_url()).content.decode()

    assert "Hidden by a moderator: Commercial." in own
    assert "Reclame hoort hier niet." in own
    assert "Koop mijn tuinspullen!" in own
    assert "Koop mijn tuinspullen!" not in others


def test_comments_on_the_idea_page_cost_a_constant_number_of_queries(
    client, idea, django_assert_max_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login_role(client, roles.VERIFIED_RESIDENT)
    for _ in range(2):
        CommentFactory(idea=idea, parent=CommentFactory(idea=idea))
    client.get(idea.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(idea.get_absolute_url())
    for _ in range(15):
        CommentFactory(idea=idea, parent=CommentFactory(idea=idea))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(idea.get_absolute_url())
    assert response.content.decode().count('data-testid="comment"') == 34


# --- reports -----------------------------------------------------------------------------------


def test_report_an_idea_once(client, idea):
    reporter = login_role(client, roles.RESIDENT)

    response = client.post(url("report", idea), {"reason_code": "insulting",
                                                 "explanation": "Scheldwoorden."})

    assert response.url == idea.get_absolute_url()
    report = Report.objects.get()
    assert (report.reporter, report.comment, report.reason_code) == (reporter, None,
                                                                     "insulting")
    idea.refresh_from_db()
    assert idea.open_report_count == 1
    again = client.get(url("report", idea))
    posted_again = client.post(url("report", idea), {"reason_code": "illegal"})
    for page in (again, posted_again):
        assert page.status_code == 200
        assert "You have already reported this" in page.content.decode()
    assert Report.objects.count() == 1


def test_report_a_comment(client, idea):
    comment = CommentFactory(idea=idea, body="Een vervelende reactie")
    login_role(client, roles.ORGANISATION_MEMBER)
    report_url = url("report", idea) + f"?reactie={comment.public_id}"

    page = client.get(report_url)
    response = client.post(report_url, {"reason_code": "off_topic"})

    assert "Report a comment" in page.content.decode()
    assert "Een vervelende reactie" in page.content.decode()
    assert response.url == f"{idea.get_absolute_url()}#comment-{comment.public_id}"
    assert Report.objects.get().comment == comment
    comment.refresh_from_db()
    assert comment.open_report_count == 1


def test_the_idea_page_links_a_report_per_comment(client, idea):
    comment = CommentFactory(idea=idea)

    html = client.get(idea.get_absolute_url()).content.decode()

    assert f"{url('report', idea)}?reactie={comment.public_id}" in html


def test_a_report_needs_a_reason(client, idea):
    login_role(client, roles.RESIDENT)

    response = client.post(url("report", idea), {"reason_code": "", "explanation": "Hm"})
    unknown = client.post(url("report", idea), {"reason_code": "ugly"})

    assert response.status_code == unknown.status_code == 400
    assert "Choose a reason from the list." in response.content.decode()
    assert 'href="#id_reason_code_0"' in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize("reference", ["geen-uuid", "00000000-0000-0000-0000-000000000000"])
def test_reporting_an_unknown_comment_is_not_found(client, idea, reference):
    login_role(client, roles.RESIDENT)

    response = client.get(url("report", idea) + f"?reactie={reference}")

    assert response.status_code == 404


def test_a_comment_of_another_idea_cannot_be_reported_here(client, idea):
    elsewhere = CommentFactory()
    login_role(client, roles.RESIDENT)

    response = client.post(url("report", idea) + f"?reactie={elsewhere.public_id}",
                           {"reason_code": "illegal"})

    assert response.status_code == 404
    assert not Report.objects.exists()


# --- appeals -----------------------------------------------------------------------------------


def test_the_author_appeals_a_rejection_once(client):
    author = ResidentFactory()
    idea = rejected_idea(author)
    login(client, author)

    page = client.get(url("appeal", idea))
    response = client.post(url("appeal", idea), {"text": "Mijn idee gaat over een ander park."})

    html = page.content.decode()
    assert "Duplicate of another idea" in html
    assert "Er is al een idee voor een skatebaan." in html
    assert response.url == reverse("ideas:mine")
    idea.refresh_from_db()
    assert idea.moderation == Moderation.APPEALED
    assert Appeal.objects.get().text == "Mijn idee gaat over een ander park."

    again = client.get(url("appeal", idea))
    posted_again = client.post(url("appeal", idea), {"text": "Nog een keer"})
    for later in (again, posted_again):
        assert "You have already appealed" in later.content.decode()
    assert Appeal.objects.count() == 1


def test_after_a_dismissed_appeal_there_is_no_second_one(client):
    author = ResidentFactory()
    first, second = user_for_role(roles.MODERATOR), user_for_role(roles.MODERATOR)
    idea = rejected_idea(author, first)
    services.idea_appeal(idea=idea, by=author, text="Graag opnieuw bekijken.")
    services.idea_appeal_decide(idea=idea, by=second, uphold=False, reason_code="duplicate",
                                duplicate_of=IdeaFactory(), statement="Het blijft een dubbel idee.")
    login(client, author)

    page = client.get(url("appeal", idea))
    mine = client.get(reverse("ideas:mine")).content.decode()

    assert "You have already appealed" in page.content.decode()
    assert "has been decided" in page.content.decode()
    assert "Het blijft een dubbel idee." in mine
    assert "This decision is final." in mine
    assert url("appeal", idea) not in mine


def test_an_appeal_needs_a_text(client):
    author = ResidentFactory()
    idea = rejected_idea(author)
    login(client, author)

    response = client.post(url("appeal", idea), {"text": "  "})

    assert response.status_code == 400
    assert "Explain why the decision should change." in response.content.decode()
    assert not Appeal.objects.exists()


def test_a_published_idea_has_nothing_to_appeal(client):
    author = ResidentFactory()
    idea = IdeaFactory(author=author)
    login(client, author)

    response = client.get(url("appeal", idea))

    assert "There is nothing to appeal" in response.content.decode()
    assert Idea.objects.get(pk=idea.pk).moderation == Moderation.PUBLISHED
