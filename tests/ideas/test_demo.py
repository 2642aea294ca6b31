"""The demo ideas: every moderation state and status, built through the services, idempotent."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, Q

from portal.accounts.models import User
from portal.ideas.models import (
    Appeal,
    Comment,
    Follow,
    Idea,
    IdeaEvent,
    IdeaLink,
    Moderation,
    Neighbourhood,
    Report,
    Status,
    Support,
    ThemeSettings,
)

pytestmark = pytest.mark.django_db


def _counts():
    return {model.__name__: model.objects.count()
            for model in (Idea, Comment, Support, Follow, Report, Appeal, IdeaEvent, IdeaLink,
                          Neighbourhood, ThemeSettings, User)}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The demo accounts hash a password each; the slow production hasher is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def test_loading_the_demo_twice_changes_nothing(demo):
    before = _counts()
    ideas_before = list(Idea.objects.order_by("pk").values_list(
        "pk", "moderation", "status", "support_count", "comment_count", "published_at"))

    call_command("load_demo", verbosity=0)

    assert _counts() == before
    assert list(Idea.objects.order_by("pk").values_list(
        "pk", "moderation", "status", "support_count", "comment_count",
        "published_at")) == ideas_before
    assert before["Idea"] >= 14


def test_the_demo_has_every_moderation_state_and_every_status(demo):
    assert set(Idea.objects.values_list("moderation", flat=True)) == set(Moderation.values)
    assert set(Idea.objects.public().values_list("status", flat=True)) == set(Status.values)
    assert Neighbourhood.objects.filter(name__in=["Stadshagen", "Binnenstad", "Assendorp",
                                                  "Holtenbroek", "Aa-landen",
                                                  "Westenholte"]).count() == 6
    assert ThemeSettings.objects.get(theme="governance").idea_moderation == "post"
    assert ThemeSettings.objects.get(theme="mobility").idea_moderation == "pre"


def test_the_demo_counters_equal_the_rows(demo):
    ideas = Idea.objects.annotate(
        supports_counted=Count("supports", distinct=True),
        comments_counted=Count("comments", filter=Q(comments__moderation="published"),
                               distinct=True),
    )
    for idea in ideas:
        assert idea.support_count == idea.supports_counted, idea.title
        assert idea.comment_count == idea.comments_counted, idea.title


def test_the_demo_tells_the_whole_moderation_and_answer_story(demo):
    # A rejection with a reason and a statement of reasons; an appeal still waiting.
    commercial = Idea.objects.get(moderation=Moderation.REJECTED)
    rejection = commercial.events.get(action=IdeaEvent.Action.REJECT)
    assert rejection.reason_code == "commercial"
    assert rejection.text
    waiting = Idea.objects.get(moderation=Moderation.APPEALED)
    assert waiting.appeal.decided_at is None
    assert waiting.events.get(action=IdeaEvent.Action.REJECT).duplicate_of is not None
    # An upheld appeal, decided by a different moderator than the one who rejected.
    upheld = Appeal.objects.get(upheld=True)
    decision = upheld.idea.events.get(action=IdeaEvent.Action.APPEAL_UPHELD)
    assert decision.by_id != upheld.rejected_by_id
    assert decision.by.groups.filter(name="moderator").exists()
    assert upheld.idea.moderation == Moderation.PUBLISHED
    # Official answers on every status change.
    for event in IdeaEvent.objects.filter(action=IdeaEvent.Action.STATUS):
        assert event.text
        assert event.by_role == "civil_servant"
    # The realised idea led to the #SensHagen pilot; another one to an algorithm.
    realised = Idea.objects.get(status=Status.REALISED)
    assert realised.links.get().pilot.slug == "senshagen-zwolle-luchtkwaliteit"
    assert IdeaLink.objects.filter(algorithm__slug="ivri-verkeerslichten-voorrang").exists()
    # Discussion: replies, the municipality, a pending comment, an open report.
    assert Comment.objects.filter(parent__isnull=False).exists()
    assert Comment.objects.filter(by_municipality=True).exists()
    assert Comment.objects.filter(moderation=Moderation.PENDING).exists()
    assert Report.objects.filter(resolved_at__isnull=True, comment__isnull=False).exists()
    assert IdeaEvent.objects.filter(action=IdeaEvent.Action.REPORTS_DISMISSED).exists()
    # Names only with consent; the rest are anonymous residents.
    names = {idea.author_display_name for idea in Idea.objects.select_related("author")}
    assert {"Fatima el Amrani", "anonieme inwoner"} <= {str(name) for name in names}


def test_the_demo_steps_are_spread_over_time_and_locations_lie_in_the_municipality(demo):
    south, west, north, east = settings.MAP_BOUNDS
    located = Idea.objects.filter(latitude__isnull=False)
    assert located.count() >= 5
    for idea in located:
        assert south <= float(idea.latitude) <= north
        assert west <= float(idea.longitude) <= east
    realised = Idea.objects.get(status=Status.REALISED)
    events = list(realised.events.order_by("pk").values_list("created_at", flat=True))
    assert events == sorted(events)
    assert (events[-1] - events[0]).days > 100
    assert len({idea.published_at.date() for idea in Idea.objects.public()}) > 5


def test_a_demo_resident_logging_in_through_the_mock_finds_her_ideas(demo, client):
    acs = client.post("/digid/idp/", {"resident": "fatima", "level": "midden", "next": ""})
    client.get(acs["Location"])

    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert user.display_name == "Fatima el Amrani"
    assert user.ideas.filter(moderation=Moderation.PUBLISHED).count() == 2



def test_the_demo_links_the_heat_idea_to_a_published_challenge_once_there_is_one(demo):
    from challenges.models import Challenge
    from portal.ideas import demo as ideas_demo
    from tests.challenges.builders import draft_challenge, open_challenge

    heat = Idea.objects.get(title=ideas_demo.CHALLENGE_IDEA)
    # Start without public challenges, whatever another demo loaded (status is not frozen).
    IdeaLink.objects.filter(challenge__isnull=False).delete()
    heat.events.filter(action=IdeaEvent.Action.LINK, text=ideas_demo.CHALLENGE_NOTE).delete()
    Challenge.objects.update(status=Challenge.Status.DRAFT)
    draft = draft_challenge(title="Hitte in de binnenstad (concept)", slug="hitte-concept")

    assert "links to a challenge added: 0" in ideas_demo.load()
    assert not heat.links.filter(challenge__isnull=False).exists()

    unrelated = open_challenge(title="Minder verkeer bij scholen", slug="verkeer-scholen",
                               problem="Ouders brengen hun kinderen met de auto.")
    about_heat = open_challenge(title="Koele pleinen tegen hitte", slug="koele-pleinen")
    assert "links to a challenge added: 1" in ideas_demo.load()
    assert "links to a challenge added: 0" in ideas_demo.load()

    link = heat.links.get(challenge__isnull=False)
    assert link.challenge == about_heat
    assert not IdeaLink.objects.filter(challenge__in=[draft, unrelated]).exists()
    assert link.note == ideas_demo.CHALLENGE_NOTE
    assert heat.events.filter(action=IdeaEvent.Action.LINK, text=link.note).count() == 1
