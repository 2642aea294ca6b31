"""Who may open the moderation and answer pages: every view × every role. Visitors go to the login
page, logged-in people without the role get a 403, and a refused POST changes nothing."""

import pytest
from django.urls import reverse

from portal.accounts import roles
from portal.accounts.assurance import SESSION_KEY
from portal.ideas.models import IdeaEvent, Moderation, ReasonCode, Status
from tests.factories import CommentFactory, IdeaFactory, user_for_role

pytestmark = pytest.mark.django_db

ALL = set(roles.ALL_ROLES)
MODERATORS = {roles.MODERATOR, roles.ADMIN}
CIVIL_SERVANTS = {roles.CIVIL_SERVANT, roles.ADMIN}
TO_LOGIN = 302

PAGES = {
    "ideas:queue": MODERATORS,
    "ideas:moderate-idea": MODERATORS,
    "ideas:moderate-comment": MODERATORS,
    "ideas:statistics": ALL,
    "ideas:status": CIVIL_SERVANTS,
    "ideas:link": CIVIL_SERVANTS,
}


def login(client, user):
    """Log in as the role's user; a verified resident also gets its DigiD session level."""
    if user.is_authenticated:
        client.force_login(user)
        level = getattr(user, "assurance_level", None)
        if level:
            session = client.session
            session[SESSION_KEY] = level
            session.save()
    return user


def _url(name):
    if name == "ideas:moderate-idea":
        return reverse(name, kwargs={"public_id": IdeaFactory(moderation="pending").public_id})
    if name == "ideas:moderate-comment":
        return reverse(name, kwargs={"public_id": CommentFactory(
            moderation="pending").public_id})
    if name in ("ideas:status", "ideas:link"):
        return reverse(name, kwargs={"public_id": IdeaFactory().public_id})
    return reverse(name)


@pytest.mark.parametrize("role", roles.ALL_ROLES)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_matrix(client, name, role):
    login(client, user_for_role(role))
    url = _url(name)

    response = client.get(url)

    if role in PAGES[name]:
        assert response.status_code == 200
    elif role == roles.VISITOR:
        assert response.status_code == TO_LOGIN
        assert response.url.startswith(reverse("login"))
        assert "next=" in response.url
    else:
        assert response.status_code == 403


# --- refused decisions change nothing ---------------------------------------------------------

REFUSED_MODERATION = sorted(ALL - MODERATORS)
REFUSED_ANSWERS = sorted(ALL - CIVIL_SERVANTS)


@pytest.mark.parametrize("role", REFUSED_MODERATION)
def test_a_refused_idea_decision_changes_nothing(client, role):
    idea = IdeaFactory(moderation=Moderation.PENDING)
    login(client, user_for_role(role))

    response = client.post(reverse("ideas:moderate-idea", kwargs={"public_id": idea.public_id}),
                           {"decision": "publish"})

    assert response.status_code == (TO_LOGIN if role == roles.VISITOR else 403)
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PENDING
    assert not idea.events.exists()


@pytest.mark.parametrize("role", REFUSED_MODERATION)
def test_a_refused_comment_decision_changes_nothing(client, role):
    comment = CommentFactory()
    login(client, user_for_role(role))

    response = client.post(
        reverse("ideas:moderate-comment", kwargs={"public_id": comment.public_id}),
        {"decision": "reject", "reason_code": ReasonCode.INSULTING, "statement": "Weg."},
    )

    assert response.status_code == (TO_LOGIN if role == roles.VISITOR else 403)
    comment.refresh_from_db()
    assert comment.moderation == Moderation.PUBLISHED


@pytest.mark.parametrize("role", REFUSED_ANSWERS)
def test_a_refused_status_change_changes_nothing(client, role):
    idea = IdeaFactory()
    login(client, user_for_role(role))

    response = client.post(reverse("ideas:status", kwargs={"public_id": idea.public_id}),
                           {"status": Status.ACCEPTED, "answer": "Ja."})

    assert response.status_code == (TO_LOGIN if role == roles.VISITOR else 403)
    idea.refresh_from_db()
    assert idea.status == Status.PUBLISHED


@pytest.mark.parametrize("role", REFUSED_ANSWERS)
def test_a_refused_link_changes_nothing(client, role):
    idea = IdeaFactory()
    login(client, user_for_role(role))

    response = client.post(reverse("ideas:link", kwargs={"public_id": idea.public_id}),
                           {"target": "pilot:1", "note": ""})

    assert response.status_code == (TO_LOGIN if role == roles.VISITOR else 403)
    assert not idea.links.exists()


def test_an_unknown_idea_is_a_404_for_a_moderator_but_a_403_for_others(client):
    missing = "00000000-0000-4000-8000-000000000000"
    url = reverse("ideas:moderate-idea", kwargs={"public_id": missing})

    login(client, user_for_role(roles.RESIDENT))
    assert client.get(url).status_code == 403
    login(client, user_for_role(roles.MODERATOR))
    assert client.get(url).status_code == 404


# --- the staff links on the idea page ---------------------------------------------------------

STAFF_LINKS = {
    roles.MODERATOR: {"staff-moderate"},
    roles.CIVIL_SERVANT: {"staff-status", "staff-link"},
    roles.ADMIN: {"staff-moderate", "staff-status", "staff-link"},
}


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_the_idea_page_links_staff_to_their_actions_and_nobody_else(client, role):
    idea = IdeaFactory()
    login(client, user_for_role(role))

    content = client.get(idea.get_absolute_url()).content.decode()

    expected = STAFF_LINKS.get(role, set())
    for testid in ("staff-moderate", "staff-status", "staff-link"):
        assert (f'data-testid="{testid}"' in content) is (testid in expected), testid
    assert ('data-testid="staff-actions"' in content) is bool(expected)
    if "staff-status" in expected:
        assert reverse("ideas:status", kwargs={"public_id": idea.public_id}) in content


# --- the admin --------------------------------------------------------------------------------

ADMIN_MODELS = ["themesettings", "neighbourhood", "idea", "comment", "report", "ideaevent",
                "appeal", "idealink"]


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_the_admin_lists_open_for_an_administrator(client, model):
    idea = IdeaFactory()
    CommentFactory(idea=idea)
    client.force_login(user_for_role(roles.ADMIN))

    response = client.get(reverse(f"admin:ideas_{model}_changelist"))

    assert response.status_code == 200


def test_theme_settings_and_neighbourhoods_are_editable_in_the_admin(client):
    from portal.ideas.models import Neighbourhood, ThemeSettings

    client.force_login(user_for_role(roles.ADMIN))

    response = client.post(reverse("admin:ideas_themesettings_add"), {
        "theme": "mobility", "idea_moderation": "post", "comment_moderation": "pre",
    })
    assert response.status_code == 302
    assert ThemeSettings.objects.get().idea_moderation == "post"
    response = client.post(reverse("admin:ideas_neighbourhood_add"),
                           {"name": "Assendorp", "slug": "assendorp"})
    assert response.status_code == 302
    assert Neighbourhood.objects.filter(slug="assendorp").exists()


@pytest.mark.parametrize("model", ["idea", "comment", "report", "ideaevent"])
def test_ideas_and_their_history_are_read_only_in_the_admin(client, model):
    from portal.ideas.models import Comment, Idea, Report

    idea = IdeaFactory()
    comment = CommentFactory(idea=idea)
    report = Report.objects.create(idea=idea, reason_code=ReasonCode.ILLEGAL)
    event = IdeaEvent.objects.create(idea=idea, action=IdeaEvent.Action.PUBLISH)
    obj = {"idea": idea, "comment": comment, "report": report, "ideaevent": event}[model]
    client.force_login(user_for_role(roles.ADMIN))

    assert client.get(reverse(f"admin:ideas_{model}_add")).status_code == 403
    change = client.get(reverse(f"admin:ideas_{model}_change", args=[obj.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert client.post(reverse(f"admin:ideas_{model}_delete", args=[obj.pk]),
                       {"post": "yes"}).status_code == 403
    assert {Idea: Idea.objects, Comment: Comment.objects, Report: Report.objects,
            IdeaEvent: IdeaEvent.objects}[type(obj)].filter(pk=obj.pk).exists()
