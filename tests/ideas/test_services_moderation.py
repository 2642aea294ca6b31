"""Service level: the moderation of ideas (transitions table, statements of reasons, the appeal
decided by a different moderator, the timeline events)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.accounts import roles
from portal.core.models import Notification
from portal.ideas import services
from portal.ideas.models import (
    Appeal,
    IdeaEvent,
    Moderation,
    ModerationMode,
    ReasonCode,
    Report,
    ThemeSettings,
)
from tests.factories import CommentFactory, IdeaFactory, user_for_role

pytestmark = pytest.mark.django_db

Action = IdeaEvent.Action
REASONS = {"reason_code": ReasonCode.OFF_TOPIC, "statement": "Dit gaat niet over de stad."}


@pytest.fixture
def moderator():
    return user_for_role(roles.MODERATOR)


@pytest.fixture
def other_moderator():
    return user_for_role(roles.MODERATOR)


def _submitted(theme="living"):
    author = user_for_role(roles.RESIDENT)
    idea = services.idea_create(author=author, title="Meer bankjes in het park",
                                body="Oudere bewoners kunnen onderweg nergens uitrusten.",
                                theme=theme)
    return services.idea_submit(idea=idea, by=author)


# --- the transitions table --------------------------------------------------------------------

ALL_STATES = list(Moderation.values)
ALLOWED = {
    Action.PUBLISH: {Moderation.PENDING},
    Action.REQUEST_CHANGES: {Moderation.PENDING},
    Action.REJECT: {Moderation.PENDING, Moderation.PUBLISHED},
}
EXPECTED_STATE = {
    Action.PUBLISH: Moderation.PUBLISHED,
    Action.REQUEST_CHANGES: Moderation.CHANGES_REQUESTED,
    Action.REJECT: Moderation.REJECTED,
}


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_moderation_transitions_table(moderator, action, state):
    idea = IdeaFactory(moderation=state)
    kwargs = REASONS if action != Action.PUBLISH else {}

    if state in ALLOWED[action]:
        result = services.idea_moderate(idea=idea, by=moderator, action=action, **kwargs)
        assert result.moderation == EXPECTED_STATE[action]
        event = idea.events.get()
        assert (event.action, event.from_state, event.to_state, event.by) == (
            action, state, EXPECTED_STATE[action], moderator,
        )
        assert event.by_role == "moderator"
    else:
        with pytest.raises(ValidationError) as error:
            services.idea_moderate(idea=idea, by=moderator, action=action, **kwargs)
        assert error.value.code == "invalid_transition"
        idea.refresh_from_db()
        assert idea.moderation == state
        assert not idea.events.exists()


def test_an_unknown_decision_is_a_programming_error(moderator):
    with pytest.raises(ValueError, match="not a moderation decision"):
        services.idea_moderate(idea=_submitted(), by=moderator, action=Action.APPEAL)


def test_publishing_sets_the_publication_date_and_tells_the_author(moderator):
    idea = _submitted()
    assert idea.published_at is None

    idea = services.idea_moderate(idea=idea, by=moderator, action=Action.PUBLISH)

    assert idea.published_at is not None
    notification = Notification.objects.get(recipient=idea.author)
    assert notification.kind == "idea_publish"
    assert idea.title in notification.title


@pytest.mark.parametrize("action", [Action.REJECT, Action.REQUEST_CHANGES])
def test_a_statement_of_reasons_is_required(moderator, action):
    idea = _submitted()

    with pytest.raises(ValidationError) as error:
        services.idea_moderate(idea=idea, by=moderator, action=action,
                               reason_code=ReasonCode.OFF_TOPIC, statement="   ")

    assert "statement" in error.value.message_dict
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PENDING


@pytest.mark.parametrize("reason_code", ["", "spam", None])
def test_rejecting_needs_a_reason_from_the_list(moderator, reason_code):
    idea = _submitted()

    with pytest.raises(ValidationError) as error:
        services.idea_moderate(idea=idea, by=moderator, action=Action.REJECT,
                               reason_code=reason_code, statement="Nee.")

    assert "reason_code" in error.value.message_dict


def test_rejecting_as_a_duplicate_names_the_other_idea(moderator):
    original = IdeaFactory()
    idea = _submitted()

    with pytest.raises(ValidationError) as error:
        services.idea_moderate(idea=idea, by=moderator, action=Action.REJECT,
                               reason_code=ReasonCode.DUPLICATE, statement="Bestaat al.")
    assert "duplicate_of" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.idea_moderate(idea=idea, by=moderator, action=Action.REJECT,
                               reason_code=ReasonCode.DUPLICATE, statement="Bestaat al.",
                               duplicate_of=idea)

    services.idea_moderate(idea=idea, by=moderator, action=Action.REJECT,
                           reason_code=ReasonCode.DUPLICATE, statement="Bestaat al.",
                           duplicate_of=original)

    event = idea.events.get(action=Action.REJECT)
    assert (event.reason_code, event.duplicate_of, event.text) == (
        ReasonCode.DUPLICATE, original, "Bestaat al.",
    )
    assert Notification.objects.get(recipient=idea.author).body == "Bestaat al."


def test_publishing_drops_a_reason_code_given_by_mistake(moderator):
    idea = services.idea_moderate(idea=_submitted(), by=moderator, action=Action.PUBLISH,
                                  reason_code=ReasonCode.ILLEGAL)

    assert idea.events.get(action=Action.PUBLISH).reason_code == ""


@pytest.mark.parametrize("role", [roles.VISITOR, roles.RESIDENT, roles.VERIFIED_RESIDENT,
                                  roles.ORGANISATION_MEMBER, roles.CIVIL_SERVANT])
def test_only_moderators_moderate(role):
    idea = _submitted()

    with pytest.raises(PermissionDenied):
        services.idea_moderate(idea=idea, by=user_for_role(role), action=Action.PUBLISH)

    idea.refresh_from_db()
    assert idea.moderation == Moderation.PENDING


def test_an_admin_moderates_in_the_admin_role():
    idea = services.idea_moderate(idea=_submitted(), by=user_for_role(roles.ADMIN),
                                  action=Action.PUBLISH)

    assert idea.events.get(action=Action.PUBLISH).by_role == "admin"


def test_a_post_moderated_theme_publishes_at_once():
    ThemeSettings.objects.create(theme="mobility", idea_moderation=ModerationMode.POST)

    idea = _submitted(theme="mobility")

    assert idea.moderation == Moderation.PUBLISHED
    assert list(idea.events.values_list("action", "by")) == [
        (Action.CREATE, idea.author_id), (Action.SUBMIT, idea.author_id), (Action.PUBLISH, None),
    ]


def test_the_author_resubmits_after_changes_were_requested(moderator):
    idea = services.idea_moderate(idea=_submitted(), by=moderator,
                                  action=Action.REQUEST_CHANGES, statement="Welk park?")
    services.idea_update(idea=idea, by=idea.author, body="In het Westerpark kunnen oudere "
                                                         "bewoners nergens uitrusten.")

    idea = services.idea_submit(idea=idea, by=idea.author)

    assert idea.moderation == Moderation.PENDING


def test_hiding_a_published_idea_resolves_its_reports(moderator):
    idea = IdeaFactory()
    reporter = user_for_role(roles.RESIDENT)
    services.report_create(reporter=reporter, idea=idea, reason_code=ReasonCode.INSULTING)

    services.idea_moderate(idea=idea, by=moderator, action=Action.REJECT,
                           reason_code=ReasonCode.INSULTING, statement="Beledigend.")

    idea.refresh_from_db()
    assert (idea.moderation, idea.open_report_count) == (Moderation.REJECTED, 0)
    assert Report.objects.get().resolved_at is not None


# --- the appeal -------------------------------------------------------------------------------


def _rejected(moderator):
    return services.idea_moderate(idea=_submitted(), by=moderator, action=Action.REJECT,
                                  **REASONS)


def test_the_author_appeals_once(moderator):
    idea = _rejected(moderator)

    appeal = services.idea_appeal(idea=idea, by=idea.author, text="Het park is van de stad.")

    assert appeal.rejected_by == moderator
    idea.refresh_from_db()
    assert idea.moderation == Moderation.APPEALED
    with pytest.raises(ValidationError):
        services.idea_appeal(idea=idea, by=idea.author, text="Nog een keer.")
    assert Appeal.objects.count() == 1


def test_only_the_author_appeals_and_with_a_text(moderator):
    idea = _rejected(moderator)

    with pytest.raises(PermissionDenied):
        services.idea_appeal(idea=idea, by=user_for_role(roles.RESIDENT), text="Ik ook.")
    with pytest.raises(ValidationError) as error:
        services.idea_appeal(idea=idea, by=idea.author, text="  ")
    assert "text" in error.value.message_dict


def test_a_published_idea_cannot_be_appealed():
    idea = IdeaFactory()

    with pytest.raises(ValidationError):
        services.idea_appeal(idea=idea, by=idea.author, text="Waarom?")


def test_the_moderator_who_rejected_does_not_decide_the_appeal(moderator, other_moderator):
    idea = _rejected(moderator)
    services.idea_appeal(idea=idea, by=idea.author, text="Het park is van de stad.")

    with pytest.raises(PermissionDenied):
        services.idea_appeal_decide(idea=idea, by=moderator, uphold=True)

    idea = services.idea_appeal_decide(idea=idea, by=other_moderator, uphold=True)
    assert idea.moderation == Moderation.PUBLISHED
    assert idea.published_at is not None
    appeal = Appeal.objects.get()
    assert (appeal.upheld, appeal.decided_at is not None) == (True, True)
    event = idea.events.get(action=Action.APPEAL_UPHELD)
    assert (event.from_state, event.to_state, event.by) == (
        Moderation.APPEALED, Moderation.PUBLISHED, other_moderator,
    )


def test_not_even_an_admin_decides_the_appeal_of_their_own_rejection():
    admin = user_for_role(roles.ADMIN)
    idea = _rejected(admin)
    services.idea_appeal(idea=idea, by=idea.author, text="Het park is van de stad.")

    with pytest.raises(PermissionDenied):
        services.idea_appeal_decide(idea=idea, by=admin, uphold=True)


def test_dismissing_an_appeal_needs_reasons_and_is_final(moderator, other_moderator):
    idea = _rejected(moderator)
    services.idea_appeal(idea=idea, by=idea.author, text="Het park is van de stad.")

    with pytest.raises(ValidationError) as error:
        services.idea_appeal_decide(idea=idea, by=other_moderator, uphold=False,
                                    reason_code=ReasonCode.OFF_TOPIC)
    assert "statement" in error.value.message_dict

    idea = services.idea_appeal_decide(idea=idea, by=other_moderator, uphold=False,
                                       reason_code=ReasonCode.OFF_TOPIC,
                                       statement="Het blijft buiten de gemeente.")
    assert idea.moderation == Moderation.REJECTED
    with pytest.raises(ValidationError):
        services.idea_appeal(idea=idea, by=idea.author, text="Nog eens.")
    with pytest.raises(ValidationError):
        services.idea_appeal_decide(idea=idea, by=other_moderator, uphold=True)
    kinds = list(Notification.objects.filter(recipient=idea.author)
                 .order_by("pk").values_list("kind", flat=True))
    assert kinds == ["idea_reject", "idea_appeal_dismissed"]


def test_an_appeal_against_a_duplicate_rejection_can_be_dismissed(moderator, other_moderator):
    original = IdeaFactory()
    idea = services.idea_moderate(idea=_submitted(), by=moderator, action=Action.REJECT,
                                  reason_code=ReasonCode.DUPLICATE, statement="Bestaat al.",
                                  duplicate_of=original)
    services.idea_appeal(idea=idea, by=idea.author, text="Het mijne is anders.")

    idea = services.idea_appeal_decide(idea=idea, by=other_moderator, uphold=False,
                                       reason_code=ReasonCode.DUPLICATE, duplicate_of=original,
                                       statement="Het is hetzelfde idee.")

    event = idea.events.get(action=Action.APPEAL_DISMISSED)
    assert (event.reason_code, event.duplicate_of) == (ReasonCode.DUPLICATE, original)


def test_deciding_an_idea_without_an_appeal_is_a_clear_error(other_moderator):
    idea = IdeaFactory(moderation=Moderation.APPEALED)

    with pytest.raises(ValidationError):
        services.idea_appeal_decide(idea=idea, by=other_moderator, uphold=True)


def test_the_appeal_goes_to_someone_else_than_the_one_who_rejected_the_idea_not_a_comment(
    moderator, other_moderator,
):
    """A comment hidden on the idea after the idea itself was rejected does not make its
    moderator the one who "rejected" the idea."""
    idea = IdeaFactory()
    comment = CommentFactory(idea=idea)
    services.idea_moderate(idea=idea, by=moderator, action=Action.REJECT, **REASONS)
    services.comment_moderate(comment=comment, by=other_moderator, action=Action.REJECT,
                              **REASONS)

    appeal = services.idea_appeal(idea=idea, by=idea.author, text="Waarom verborgen?")

    assert appeal.rejected_by == moderator
    with pytest.raises(PermissionDenied):
        services.idea_appeal_decide(idea=idea, by=moderator, uphold=True)
    services.idea_appeal_decide(idea=idea, by=other_moderator, uphold=True)
