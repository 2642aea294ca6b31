import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import Moderation, ReasonCode, Status
from tests.factories import user_for_role

pytestmark = pytest.mark.django_db


def test_the_whole_idea_flow_from_draft_to_accepted_with_e_mail_to_supporters(
    django_capture_on_commit_callbacks,
):
    author = user_for_role(roles.RESIDENT)
    first, second = user_for_role(roles.MODERATOR), user_for_role(roles.MODERATOR)
    supporter = user_for_role(roles.VERIFIED_RESIDENT, email="steun@example.org")
    civil_servant = user_for_role(roles.CIVIL_SERVANT)

    idea = services.idea_create(author=author, title="Meer bankjes in het park",
                                body="Oudere bewoners kunnen onderweg niet uitrusten.",
                                theme="living")
    idea = services.idea_submit(idea=idea, by=author)
    assert idea.moderation == Moderation.PENDING
    idea = services.idea_moderate(idea=idea, by=first, action="reject",
                                  reason_code=ReasonCode.OFF_TOPIC, statement="Geen stadszaak.")
    services.idea_appeal(idea=idea, by=author, text="Het park is van de gemeente.")
    with pytest.raises(PermissionDenied):
        services.idea_appeal_decide(idea=idea, by=first, uphold=True)
    idea = services.idea_appeal_decide(idea=idea, by=second, uphold=True)
    assert idea.moderation == Moderation.PUBLISHED

    services.idea_support(idea=idea, user=supporter)
    services.comment_create(idea=idea, author=supporter, body="Goed plan!")
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_status_change(idea=idea, by=civil_servant, status=Status.ACCEPTED,
                                    answer="We plaatsen tien bankjes.")

    idea.refresh_from_db()
    assert (idea.status, idea.support_count, idea.comment_count) == (Status.ACCEPTED, 1, 1)
    assert [m.to for m in mail.outbox] == [["steun@example.org"]]
    assert "We plaatsen tien bankjes." in mail.outbox[0].body
