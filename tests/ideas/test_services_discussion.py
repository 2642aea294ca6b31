"""Service level: comment moderation with the comment counter, reports (once per person, resolved
by a decision), and the support counter."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import (
    MUNICIPALITY,
    Comment,
    IdeaEvent,
    Moderation,
    ModerationMode,
    ReasonCode,
    Report,
    Support,
    ThemeSettings,
)
from tests.factories import CommentFactory, IdeaFactory, user_for_role

pytestmark = pytest.mark.django_db

Action = IdeaEvent.Action
REASONS = {"reason_code": ReasonCode.INSULTING, "statement": "Dit is beledigend."}


@pytest.fixture
def moderator():
    return user_for_role(roles.MODERATOR)


def _count(idea):
    idea.refresh_from_db()
    return idea.comment_count


# --- comments and the comment counter ---------------------------------------------------------


def test_a_post_moderated_comment_counts_at_once():
    idea = IdeaFactory()

    comment = services.comment_create(idea=idea, author=user_for_role(roles.RESIDENT),
                                      body="Goed plan!")

    assert comment.moderation == Moderation.PUBLISHED
    assert _count(idea) == 1


def test_a_pre_moderated_comment_counts_once_published(moderator):
    ThemeSettings.objects.create(theme="living", comment_moderation=ModerationMode.PRE)
    idea = IdeaFactory(theme="living")
    comment = services.comment_create(idea=idea, author=user_for_role(roles.RESIDENT),
                                      body="Goed plan!")
    assert (comment.moderation, _count(idea)) == (Moderation.PENDING, 0)

    services.comment_moderate(comment=comment, by=moderator, action=Action.PUBLISH)

    assert _count(idea) == 1
    event = idea.events.get()
    assert (event.comment, event.action, event.to_state) == (
        comment, Action.PUBLISH, Moderation.PUBLISHED,
    )


def test_a_civil_servant_comments_as_the_municipality_without_waiting():
    ThemeSettings.objects.create(theme="living", comment_moderation=ModerationMode.PRE)
    idea = IdeaFactory(theme="living")

    comment = services.comment_create(idea=idea, author=user_for_role(roles.CIVIL_SERVANT),
                                      body="We kijken ernaar.")

    assert (comment.moderation, comment.by_municipality) == (Moderation.PUBLISHED, True)
    assert comment.author_display_name == str(MUNICIPALITY)


def test_hiding_a_published_comment_lowers_the_counter_once(moderator):
    idea = IdeaFactory(comment_count=1)
    comment = CommentFactory(idea=idea)

    services.comment_moderate(comment=comment, by=moderator, action=Action.REJECT, **REASONS)

    assert _count(idea) == 0
    comment.refresh_from_db()
    assert comment.moderation == Moderation.REJECTED
    with pytest.raises(ValidationError):
        services.comment_moderate(comment=comment, by=moderator, action=Action.REJECT, **REASONS)
    assert _count(idea) == 0


def test_hiding_a_pending_comment_leaves_the_counter_alone(moderator):
    idea = IdeaFactory(comment_count=2)
    comment = CommentFactory(idea=idea, moderation=Moderation.PENDING)

    services.comment_moderate(comment=comment, by=moderator, action=Action.REJECT, **REASONS)

    assert _count(idea) == 2


def test_the_counter_never_goes_below_zero(moderator):
    idea = IdeaFactory(comment_count=0)
    comment = CommentFactory(idea=idea)

    services.comment_moderate(comment=comment, by=moderator, action=Action.REJECT, **REASONS)

    assert _count(idea) == 0


def test_hiding_a_comment_needs_a_reason_and_a_statement(moderator):
    comment = CommentFactory()

    with pytest.raises(ValidationError) as error:
        services.comment_moderate(comment=comment, by=moderator, action=Action.REJECT)

    assert set(error.value.message_dict) == {"reason_code", "statement"}
    comment.refresh_from_db()
    assert comment.moderation == Moderation.PUBLISHED


def test_a_comment_cannot_be_asked_for_changes(moderator):
    with pytest.raises(ValueError, match="not a comment decision"):
        services.comment_moderate(comment=CommentFactory(moderation=Moderation.PENDING),
                                  by=moderator, action=Action.REQUEST_CHANGES, statement="x")


@pytest.mark.parametrize("role", [roles.RESIDENT, roles.ORGANISATION_MEMBER, roles.CIVIL_SERVANT])
def test_only_moderators_moderate_comments(role):
    comment = CommentFactory()

    with pytest.raises(PermissionDenied):
        services.comment_moderate(comment=comment, by=user_for_role(role), action=Action.REJECT,
                                  **REASONS)


def test_comments_on_an_unpublished_idea_are_refused():
    idea = IdeaFactory(moderation=Moderation.PENDING)

    with pytest.raises(ValidationError):
        services.comment_create(idea=idea, author=user_for_role(roles.RESIDENT), body="Hoi")
    assert not Comment.objects.exists()


# --- reports ----------------------------------------------------------------------------------


def test_a_person_reports_an_idea_once():
    idea = IdeaFactory()
    reporter = user_for_role(roles.RESIDENT)

    services.report_create(reporter=reporter, idea=idea, reason_code=ReasonCode.COMMERCIAL,
                           explanation=" Reclame. ")
    with pytest.raises(ValidationError) as error:
        services.report_create(reporter=reporter, idea=idea, reason_code=ReasonCode.ILLEGAL)

    assert error.value.code == "already_reported"
    idea.refresh_from_db()
    assert idea.open_report_count == 1
    assert Report.objects.get().explanation == "Reclame."


def test_reporting_an_idea_and_one_of_its_comments_are_two_reports():
    idea = IdeaFactory()
    comment = CommentFactory(idea=idea)
    reporter = user_for_role(roles.RESIDENT)

    services.report_create(reporter=reporter, idea=idea, reason_code=ReasonCode.COMMERCIAL)
    services.report_create(reporter=reporter, idea=idea, comment=comment,
                           reason_code=ReasonCode.INSULTING)
    with pytest.raises(ValidationError):
        services.report_create(reporter=reporter, idea=idea, comment=comment,
                               reason_code=ReasonCode.INSULTING)

    idea.refresh_from_db()
    comment.refresh_from_db()
    assert (idea.open_report_count, comment.open_report_count) == (1, 1)


def test_reports_need_a_reason_from_the_list_and_published_content():
    reporter = user_for_role(roles.RESIDENT)
    with pytest.raises(ValidationError):
        services.report_create(reporter=reporter, idea=IdeaFactory(), reason_code="boring")
    with pytest.raises(ValidationError):
        services.report_create(reporter=reporter, idea=IdeaFactory(moderation="pending"),
                               reason_code=ReasonCode.ILLEGAL)
    with pytest.raises(PermissionDenied):
        services.report_create(reporter=user_for_role(roles.VISITOR), idea=IdeaFactory(),
                               reason_code=ReasonCode.ILLEGAL)
    assert not Report.objects.exists()


def test_dismissing_reports_resolves_them_and_writes_one_event(moderator):
    idea = IdeaFactory()
    for _number in range(2):
        services.report_create(reporter=user_for_role(roles.RESIDENT), idea=idea,
                               reason_code=ReasonCode.OFF_TOPIC)

    assert services.reports_dismiss(idea=idea, by=moderator) == 2
    assert services.reports_dismiss(idea=idea, by=moderator) == 0

    idea.refresh_from_db()
    assert (idea.open_report_count, idea.moderation) == (0, Moderation.PUBLISHED)
    assert not Report.objects.filter(resolved_at__isnull=True).exists()
    assert idea.events.filter(action=Action.REPORTS_DISMISSED).count() == 1


def test_a_resolved_report_does_not_come_back_and_the_reporter_cannot_report_again(moderator):
    idea = IdeaFactory()
    reporter = user_for_role(roles.RESIDENT)
    services.report_create(reporter=reporter, idea=idea, reason_code=ReasonCode.OFF_TOPIC)
    services.reports_dismiss(idea=idea, by=moderator)

    with pytest.raises(ValidationError):
        services.report_create(reporter=reporter, idea=idea, reason_code=ReasonCode.OFF_TOPIC)
    services.report_create(reporter=user_for_role(roles.RESIDENT), idea=idea,
                           reason_code=ReasonCode.ILLEGAL)

    idea.refresh_from_db()
    assert idea.open_report_count == 1


def test_dismissing_the_reports_of_a_comment_leaves_those_of_the_idea(moderator):
    idea = IdeaFactory()
    comment = CommentFactory(idea=idea)
    services.report_create(reporter=user_for_role(roles.RESIDENT), idea=idea,
                           reason_code=ReasonCode.OFF_TOPIC)
    services.report_create(reporter=user_for_role(roles.RESIDENT), idea=idea, comment=comment,
                           reason_code=ReasonCode.OFF_TOPIC)

    assert services.reports_dismiss(idea=idea, comment=comment, by=moderator) == 1

    idea.refresh_from_db()
    comment.refresh_from_db()
    assert (idea.open_report_count, comment.open_report_count) == (1, 0)
    assert idea.events.get().comment == comment


def test_hiding_a_reported_comment_resolves_its_reports(moderator):
    comment = CommentFactory()
    services.report_create(reporter=user_for_role(roles.RESIDENT), idea=comment.idea,
                           comment=comment, reason_code=ReasonCode.INSULTING)

    services.comment_moderate(comment=comment, by=moderator, action=Action.REJECT, **REASONS)

    comment.refresh_from_db()
    assert comment.open_report_count == 0
    assert Report.objects.get().resolved_at is not None


def test_only_moderators_dismiss_reports():
    idea = IdeaFactory(open_report_count=1)

    with pytest.raises(PermissionDenied):
        services.reports_dismiss(idea=idea, by=user_for_role(roles.CIVIL_SERVANT))


# --- support ----------------------------------------------------------------------------------


def _supports(idea):
    idea.refresh_from_db()
    return idea.support_count


def test_support_counts_once_per_verified_resident_and_can_be_withdrawn():
    idea = IdeaFactory()
    first, second = user_for_role(roles.VERIFIED_RESIDENT), user_for_role(roles.VERIFIED_RESIDENT)

    services.idea_support(idea=idea, user=first)
    services.idea_support(idea=idea, user=first)
    services.idea_support(idea=idea, user=second)
    assert _supports(idea) == 2

    assert services.idea_support_withdraw(idea=idea, user=first) is True
    assert services.idea_support_withdraw(idea=idea, user=first) is False
    assert _supports(idea) == 1
    assert list(Support.objects.values_list("user", flat=True)) == [second.pk]


@pytest.mark.parametrize("role", [roles.RESIDENT, roles.ORGANISATION_MEMBER, roles.MODERATOR,
                                  roles.ADMIN])
def test_only_verified_residents_support(role):
    idea = IdeaFactory()

    with pytest.raises(PermissionDenied):
        services.idea_support(idea=idea, user=user_for_role(role))

    assert _supports(idea) == 0


def test_an_unpublished_idea_cannot_be_supported():
    idea = IdeaFactory(moderation=Moderation.PENDING)

    with pytest.raises(ValidationError):
        services.idea_support(idea=idea, user=user_for_role(roles.VERIFIED_RESIDENT))

    assert _supports(idea) == 0
