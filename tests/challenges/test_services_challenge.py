"""The challenge itself: drafting, publishing (everything checked, weights sum to 100), the
public amendment as the only way to change a published challenge, closing at the deadline."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from challenges import services
from challenges.models import Amendment, Challenge, ChallengeEvent, ContentFrozen, Criterion
from portal.core.models import Notification
from tests.challenges.builders import (
    CONTENT,
    CRITERIA,
    bidder,
    civil_servant,
    draft_challenge,
    draft_proposal,
    open_challenge,
    timeline,
)
from tests.factories import UserFactory, user_for_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def servant():
    return civil_servant()


def _errors(error: ValidationError) -> dict:
    return error.message_dict


# --- drafting ----------------------------------------------------------------------------------


def test_a_civil_servant_creates_a_draft_with_only_a_title(servant):
    challenge = services.challenge_create(by=servant, title="Slimmer afval ophalen")

    assert challenge.status == Challenge.Status.DRAFT
    assert challenge.slug == "slimmer-afval-ophalen"
    assert challenge.created_by == servant
    assert challenge.events.get().action == ChallengeEvent.Action.CREATE


@pytest.mark.parametrize("role", ["visitor", "resident", "organisation_member", "jury_member",
                                  "council_member", "moderator"])
def test_only_civil_servants_create_challenges(role):
    with pytest.raises(PermissionDenied):
        services.challenge_create(by=user_for_role(role), title="Mag niet")
    assert not Challenge.objects.exists()


def test_slugs_are_unique_and_avoid_the_sections_paths(servant):
    first = services.challenge_create(by=servant, title="Veilige schoolroutes")
    second = services.challenge_create(by=servant, title="Veilige schoolroutes")
    reserved = services.challenge_create(by=servant, title="Nieuw")

    assert (first.slug, second.slug) == ("veilige-schoolroutes", "veilige-schoolroutes-2")
    assert reserved.slug == "nieuw-2"


@pytest.mark.parametrize(("field", "value"), [
    ("sdg_goals", [0]),
    ("sdg_goals", [18]),
    ("sdg_goals", [3, 3]),
    ("sdg_goals", ["3"]),
    ("eligible_kinds", ["multinational"]),
    ("data_sources", [{"title": "Kaart", "url": "javascript:alert(1)"}]),
    ("data_sources", [{"title": "", "url": "https://example.org"}]),
    ("data_sources", [{"url": "https://example.org"}]),
    ("required_attachments", ["Plan", "plan"]),
    ("required_attachments", ["other"]),
    ("required_attachments", [""]),
    ("theme", "Geen thema"),
    ("contact_email", "geen-adres"),
    ("budget", -1),
])
def test_invalid_content_is_refused_with_a_message_on_the_field(servant, field, value):
    with pytest.raises(ValidationError) as error:
        services.challenge_create(by=servant, title="Test", **{field: value})

    assert field in _errors(error.value)


def test_dates_must_be_in_order(servant):
    dates = timeline()
    dates["questions_deadline"] = dates["submission_deadline"] + dt.timedelta(seconds=1)

    with pytest.raises(ValidationError) as error:
        services.challenge_create(by=servant, title="Test", **dates)

    assert "submission_deadline" in _errors(error.value)


def test_a_draft_is_updated_and_its_criteria_replaced(servant):
    challenge = draft_challenge(by=servant)

    services.challenge_update(challenge=challenge, by=servant, title="Koelte in Stadhagen")
    services.criteria_set(challenge=challenge, by=servant, criteria=[
        {"title": "Effect", "description": "", "weight": 70},
        {"title": "Kosten", "description": "", "weight": 30},
    ])

    challenge.refresh_from_db()
    assert challenge.title == "Koelte in Stadhagen"
    assert challenge.slug == "hittestress-in-stadhagen"  # the slug never changes
    assert list(challenge.criteria.values_list("position", "title", "weight")) == [
        (1, "Effect", 70), (2, "Kosten", 30)]


@pytest.mark.parametrize("weight", [0, 101, None])
def test_a_criterion_weighs_1_to_100_percent(servant, weight):
    challenge = draft_challenge(by=servant)

    with pytest.raises(ValidationError) as error:
        services.criteria_set(challenge=challenge, by=servant,
                              criteria=[{"title": "Effect", "description": "", "weight": weight}])

    assert "criteria" in _errors(error.value)
    assert challenge.criteria.count() == len(CRITERIA)  # nothing lost


# --- publishing --------------------------------------------------------------------------------


def test_publishing_opens_a_complete_challenge(servant):
    challenge = draft_challenge(by=servant)

    services.challenge_publish(challenge=challenge, by=servant)

    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.OPEN
    assert challenge.published_at is not None
    assert challenge.accepts_questions()
    assert challenge.accepts_proposals()
    event = challenge.events.get(action=ChallengeEvent.Action.PUBLISH)
    assert (event.from_status, event.to_status, event.by) == ("draft", "open", servant)


@pytest.mark.parametrize("weights", [[50, 30, 10], [50, 30, 30], [100, 1, 1]])
def test_the_weights_must_add_up_to_exactly_100_percent(servant, weights):
    criteria = [{**criterion, "weight": weight} for criterion, weight in zip(CRITERIA, weights,
                                                                             strict=True)]
    challenge = draft_challenge(by=servant, criteria=criteria)

    with pytest.raises(ValidationError) as error:
        services.challenge_publish(challenge=challenge, by=servant)

    assert str(sum(weights)) in " ".join(_errors(error.value)["criteria"])
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.DRAFT


def test_publishing_names_every_problem_at_once(servant):
    challenge = services.challenge_create(by=servant, title="Bijna leeg")

    with pytest.raises(ValidationError) as error:
        services.challenge_publish(challenge=challenge, by=servant)

    errors = _errors(error.value)
    for field in ("problem", "for_whom", "not_asked", "theme", "contact_email", "opens_at",
                  "submission_deadline", "award_date", "criteria"):
        assert field in errors, field


def test_a_challenge_whose_deadline_has_passed_cannot_be_published(servant):
    challenge = draft_challenge(by=servant, **timeline(timezone.now() - dt.timedelta(days=30)))

    with pytest.raises(ValidationError) as error:
        services.challenge_publish(challenge=challenge, by=servant)

    assert "submission_deadline" in _errors(error.value)


def test_publishing_twice_is_refused(servant):
    challenge = open_challenge(by=servant)

    with pytest.raises(ValidationError):
        services.challenge_publish(challenge=challenge, by=servant)


def test_a_challenge_announced_in_advance_takes_nothing_before_it_opens(servant):
    dates = timeline()
    dates["opens_at"] = timezone.now() + dt.timedelta(days=1)
    challenge = open_challenge(by=servant, **dates)

    assert challenge.is_public
    assert not challenge.accepts_questions()
    assert not challenge.accepts_proposals()


# --- published content is frozen, except by amendment --------------------------------------------


def test_a_published_challenge_is_not_changed_by_update(servant):
    challenge = open_challenge(by=servant)

    with pytest.raises(ValidationError):
        services.challenge_update(challenge=challenge, by=servant, title="Stiekem anders")
    with pytest.raises(ValidationError):
        services.criteria_set(challenge=challenge, by=servant,
                              criteria=[{"title": "Alles", "description": "", "weight": 100}])

    challenge.refresh_from_db()
    assert challenge.title == CONTENT["title"]
    assert challenge.criteria.count() == len(CRITERIA)


def test_direct_writes_to_published_content_are_refused(servant):
    challenge = open_challenge(by=servant)

    challenge.title = "Via de ORM"
    with pytest.raises(ContentFrozen):
        challenge.save()
    with pytest.raises(ContentFrozen):
        Challenge.objects.filter(pk=challenge.pk).update(problem="Anders")
    criterion = challenge.criteria.first()
    criterion.weight = 99
    with pytest.raises(ContentFrozen):
        criterion.save()
    with pytest.raises(ContentFrozen):
        criterion.delete()
    # Bookkeeping may still change.
    Challenge.objects.filter(pk=challenge.pk).update(updated_at=timezone.now())


def test_an_amendment_changes_the_challenge_publicly_with_what_changed(servant):
    challenge = open_challenge(by=servant)
    later = challenge.submission_deadline + dt.timedelta(days=7)

    amendment = services.challenge_amend(
        challenge=challenge, by=servant, reason="Meer tijd door de zomervakantie.",
        submission_deadline=later, jury_date=later + dt.timedelta(days=7),
        award_date=later + dt.timedelta(days=14),
    )

    challenge.refresh_from_db()
    assert challenge.submission_deadline == later
    assert amendment.number == 1
    assert amendment.by == servant
    assert amendment.reason == "Meer tijd door de zomervakantie."
    assert set(amendment.changes) == {"submission_deadline", "jury_date", "award_date"}
    assert amendment.changes["submission_deadline"]["new"].startswith(later.date().isoformat())
    event = challenge.events.get(action=ChallengeEvent.Action.AMEND)
    assert event.reason == amendment.reason


def test_an_amendment_may_change_the_criteria_but_keeps_the_sum_at_100(servant):
    challenge = open_challenge(by=servant)
    new = [{"title": "Effect", "description": "", "weight": 60},
           {"title": "Prijs", "description": "", "weight": 40}]

    with pytest.raises(ValidationError):
        services.challenge_amend(challenge=challenge, by=servant, reason="Eenvoudiger.",
                                 criteria=[{**new[0], "weight": 70}, new[1]])
    assert challenge.criteria.count() == len(CRITERIA)  # rolled back

    amendment = services.challenge_amend(challenge=challenge, by=servant, reason="Eenvoudiger.",
                                         criteria=new)

    assert list(challenge.criteria.values_list("title", "weight")) == [("Effect", 60),
                                                                        ("Prijs", 40)]
    assert amendment.changes["criteria"]["new"] == new
    assert len(amendment.changes["criteria"]["old"]) == len(CRITERIA)


def test_amendments_are_numbered(servant):
    challenge = open_challenge(by=servant)

    services.challenge_amend(challenge=challenge, by=servant, reason="Een", budget=60000)
    second = services.challenge_amend(challenge=challenge, by=servant, reason="Twee",
                                      budget=70000)

    assert second.number == 2
    assert list(Amendment.objects.values_list("number", flat=True)) == [1, 2]


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_amendment_needs_a_reason(servant, reason):
    challenge = open_challenge(by=servant)

    with pytest.raises(ValidationError) as error:
        services.challenge_amend(challenge=challenge, by=servant, reason=reason, budget=1)

    assert "reason" in _errors(error.value)


def test_an_amendment_that_changes_nothing_is_refused(servant):
    challenge = open_challenge(by=servant)

    with pytest.raises(ValidationError):
        services.challenge_amend(challenge=challenge, by=servant, reason="Niets",
                                 title=challenge.title)
    assert not Amendment.objects.exists()


def test_an_amendment_cannot_break_the_timeline(servant):
    challenge = open_challenge(by=servant)

    with pytest.raises(ValidationError) as error:
        services.challenge_amend(challenge=challenge, by=servant, reason="Oeps",
                                 submission_deadline=timezone.now() - dt.timedelta(hours=1))

    assert "submission_deadline" in _errors(error.value)
    challenge.refresh_from_db()
    assert challenge.submission_deadline > timezone.now()


def test_a_draft_is_not_amended_but_updated(servant):
    challenge = draft_challenge(by=servant)

    with pytest.raises(ValidationError):
        services.challenge_amend(challenge=challenge, by=servant, reason="x", budget=1)


def test_followers_and_bidders_hear_of_an_amendment(servant, django_capture_on_commit_callbacks):
    challenge = open_challenge(by=servant)
    follower = UserFactory()
    services.challenge_follow(challenge=challenge, user=follower)
    organisation, writer = bidder()
    draft_proposal(challenge, organisation, writer)

    with django_capture_on_commit_callbacks(execute=True):
        amendment = services.challenge_amend(challenge=challenge, by=servant,
                                             reason="Hoger budget.", budget=80000)

    notified = set(Notification.objects.filter(kind="challenge_amendment")
                   .values_list("recipient", flat=True))
    assert notified == {follower.pk, writer.pk}
    assert f"#wijziging-{amendment.number}" in Notification.objects.first().url


# --- closing -------------------------------------------------------------------------------------


def test_close_due_closes_only_open_challenges_past_their_deadline(servant):
    due = open_challenge(by=servant)
    running = open_challenge(by=servant, **timeline(days_left=20))
    draft = draft_challenge(by=servant, **timeline(days_left=1))
    moment = due.submission_deadline + dt.timedelta(seconds=1)

    assert services.challenge_close_due(now=moment) == 1

    due.refresh_from_db()
    running.refresh_from_db()
    draft.refresh_from_db()
    assert due.status == Challenge.Status.CLOSED
    assert due.closed_at == moment
    assert running.status == Challenge.Status.OPEN
    assert draft.status == Challenge.Status.DRAFT
    assert due.events.get(action=ChallengeEvent.Action.CLOSE).by is None
    assert services.challenge_close_due(now=moment) == 0  # idempotent


def test_close_due_leaves_a_challenge_open_at_its_deadline_to_the_second(servant):
    challenge = open_challenge(by=servant)

    assert services.challenge_close_due(now=challenge.submission_deadline) == 0


def test_the_beat_task_closes_due_challenges(servant, monkeypatch):
    from challenges.tasks import challenge_close_due_task
    from tests.challenges.builders import set_clock

    challenge = open_challenge(by=servant)
    set_clock(monkeypatch, challenge.submission_deadline + dt.timedelta(minutes=1))

    assert challenge_close_due_task.delay().get() == 1


def test_the_beat_schedule_runs_close_due(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "challenges.tasks.challenge_close_due_task" in tasks


def test_the_assessment_starts_when_closed_with_a_chair_and_a_proposal(servant, monkeypatch):
    from tests.challenges.builders import appoint, close, submitted_proposal

    challenge = open_challenge(by=servant)
    submitted_proposal(challenge)
    with pytest.raises(ValidationError):  # still open
        services.challenge_assessment_start(challenge=challenge, by=servant)
    close(monkeypatch, challenge)
    with pytest.raises(ValidationError):  # no chair
        services.challenge_assessment_start(challenge=challenge, by=servant)
    appoint(challenge, chair=True, by=servant)

    services.challenge_assessment_start(challenge=challenge, by=servant)

    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.IN_ASSESSMENT


# --- following ---------------------------------------------------------------------------------


def test_following_is_idempotent_and_only_for_published_challenges(servant):
    user = UserFactory()
    challenge = open_challenge(by=servant)

    services.challenge_follow(challenge=challenge, user=user)
    services.challenge_follow(challenge=challenge, user=user)
    assert challenge.follows.count() == 1
    assert services.challenge_unfollow(challenge=challenge, user=user) is True
    assert services.challenge_unfollow(challenge=challenge, user=user) is False

    with pytest.raises(PermissionDenied):
        services.challenge_follow(challenge=draft_challenge(by=servant), user=user)


def test_criteria_keep_their_order(servant):
    challenge = draft_challenge(by=servant)

    assert [c.title for c in Criterion.objects.filter(challenge=challenge)] == [
        c["title"] for c in CRITERIA]
