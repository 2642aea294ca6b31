"""Ideas with the real Celery worker (CI's second pass; skipped without CELERY_BROKER_URL):
a civil servant's official answer is e-mailed to a supporter by the worker, and withdrawing the
consent to show one's name runs the ideas app's effect in the worker. See
tests/core/test_worker.py for how the worker is started and why the e-mail backend is a file."""

import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from portal.accounts import roles
from portal.consent import selectors as consent_selectors
from portal.consent import services as consent_services
from portal.consent.models import ConsentEvent, WithdrawalEffectRun
from portal.ideas import services
from portal.ideas.models import Idea, Status
from tests.core.test_worker import _messages_in
from tests.factories import IdeaFactory, user_for_role
from tests.ideas.participation_helpers import author_name_purpose

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 60


def _wait_for(condition):
    """Waiting for the other process, not a timing assertion: only the outcome is checked."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
def test_the_worker_e_mails_the_official_answer_to_a_supporter():
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    address = f"steun-{uuid.uuid4().hex[:12]}@example.org"
    supporter = user_for_role(roles.VERIFIED_RESIDENT, email=address)
    idea = IdeaFactory(title=f"Meer groen {uuid.uuid4().hex[:6]}")
    services.idea_support(idea=idea, user=supporter)

    services.idea_status_change(idea=idea, by=user_for_role(roles.CIVIL_SERVANT),
                                status=Status.ACCEPTED, answer="We doen het in het voorjaar.")

    def e_mailed():
        return [m for m in _messages_in(Path(settings.EMAIL_FILE_PATH)) if m["To"] == address]

    assert _wait_for(e_mailed), f"no worker e-mailed the supporter within {WAIT_SECONDS} s"
    body = e_mailed()[0].get_body(preferencelist=("plain",)).get_content()
    assert "We doen het in het voorjaar." in body
    assert idea.title in e_mailed()[0]["Subject"]


@pytest.mark.worker
def test_the_worker_removes_the_name_from_the_ideas_after_withdrawal(client):
    purpose = author_name_purpose()
    author = user_for_role(roles.RESIDENT, display_name="Fatima")
    consent_services.consent_grant(user=author, text=consent_selectors.current_text(
        purpose=purpose), method="web", assurance_level="midden")
    idea = IdeaFactory(author=author, show_author_name=True)
    assert idea.author_display_name == "Fatima"
    client.force_login(author)

    response = client.post(f"/mijn-gegevens/toestemmingen/{purpose.code}/intrekken/")

    assert response.status_code == 302
    event = ConsentEvent.objects.get(user=author, action="withdraw")
    assert _wait_for(lambda: WithdrawalEffectRun.objects.filter(
        event=event, effect_name=consent_selectors.NOTIFY_STEP).exists()
    ), f"no worker processed the withdrawal within {WAIT_SECONDS} s"
    runs = {run.effect_name: run.status for run in WithdrawalEffectRun.objects.filter(event=event)}
    assert set(runs.values()) == {"done"}
    assert len(runs) == 2  # the ideas effect and the notification step
    assert Idea.objects.get(pk=idea.pk).show_author_name is False
