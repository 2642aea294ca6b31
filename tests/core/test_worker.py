"""The real-worker test: a request queues a task in Redis and a separate Celery worker runs it.

Skipped unless CELERY_BROKER_URL is set (see tests/conftest.py). How CI runs it (.ci/run):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/stadsmakers
    export CELERY_BROKER_URL=redis://127.0.0.1:6379/0
    export EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend
    export EMAIL_FILE_PATH=/tmp/stadsmakers-mail
    # The worker talks to pytest-django's test database, "test_" + the NAME in DATABASE_URL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_stadsmakers \
        .venv/bin/celery -A portal worker -l info --concurrency 2 &
    .venv/bin/python -m pytest tests/core/test_worker.py
    kill %1

The worker may start before pytest creates the test database: it only connects when a task
arrives. EMAIL_BACKEND and EMAIL_FILE_PATH must be the same for the worker and for pytest, since
the test reads the e-mail the worker wrote.
"""

import os
import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.conf import settings

from portal.core.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
WAIT_SECONDS = 60
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def _messages_in(directory: Path):
    """Every message the file-based backend wrote (one file per connection, '-' * 79 between)."""
    for path in sorted(directory.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                yield message_from_bytes(chunk.lstrip(b"\n"), policy=policy.default)


@pytest.mark.worker
def test_worker_emails_the_test_notification(client):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    # pytest-django swaps the test process's own backend for locmem; the worker keeps this one.
    assert os.environ.get("EMAIL_BACKEND") == FILE_BACKEND, (
        "set EMAIL_BACKEND to the file-based backend for the worker and for pytest"
    )
    mail_dir = Path(settings.EMAIL_FILE_PATH)
    address = f"worker-{uuid.uuid4().hex[:12]}@example.org"
    user = UserFactory(email=address)
    client.force_login(user)

    response = client.post("/meldingen/test/")

    assert response.status_code == 302
    notification = Notification.objects.get(recipient=user, kind="test")

    # Waiting for the other process, not a timing assertion: only the outcome is checked.
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        notification.refresh_from_db()
        if notification.emailed_at is not None:
            break
        time.sleep(0.2)
    assert notification.emailed_at is not None, (
        f"no worker e-mailed the notification within {WAIT_SECONDS} s: is a Celery worker "
        "running against the test database and the same broker?"
    )

    mine = [m for m in _messages_in(mail_dir) if m["To"] == address]
    assert len(mine) == 1
    message = mine[0]
    assert message["Subject"] == f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{notification.title}"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert notification.title in body
    assert f"{settings.SITE_URL.rstrip('/')}/meldingen/" in body
