"""A withdrawal POSTed in a request is processed by a real Celery worker (CI's second pass).

Skipped unless CELERY_BROKER_URL is set; see tests/core/test_worker.py for how the worker is
started. The worker is a separate process: it runs the effects that the apps registered in their
AppConfig.ready (none yet for this test purpose), records the outcome and tells the person.
"""

import time
import uuid

import pytest
from django.conf import settings

from portal.consent import selectors, services
from portal.consent.models import ConsentEvent, WithdrawalEffectRun
from portal.core.models import Notification
from tests.consent.conftest import make_purpose
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 60


@pytest.mark.worker
def test_the_worker_processes_a_withdrawal_and_tells_the_person(client):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    purpose = make_purpose(code=f"worker-{uuid.uuid4().hex[:8]}", title="Werkertest")
    user = ResidentFactory()
    services.consent_grant(user=user, text=purpose.texts.get(), method="web",
                           assurance_level="midden")
    client.force_login(user)

    response = client.post(f"/mijn-gegevens/toestemmingen/{purpose.code}/intrekken/")

    assert response.status_code == 302
    event = ConsentEvent.objects.get(user=user, action="withdraw")
    # Waiting for the other process, not a timing assertion: only the outcome is checked.
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if WithdrawalEffectRun.objects.filter(event=event,
                                              effect_name=selectors.NOTIFY_STEP).exists():
            break
        time.sleep(0.2)
    run = WithdrawalEffectRun.objects.filter(event=event,
                                             effect_name=selectors.NOTIFY_STEP).first()
    assert run is not None, (
        f"no worker processed the withdrawal within {WAIT_SECONDS} s: is a Celery worker "
        "running against the test database and the same broker?"
    )
    assert run.status == "done"
    notification = Notification.objects.get(recipient=user, kind="consent_withdrawn")
    assert "Werkertest" in notification.title
    page = client.get("/mijn-gegevens/toestemmingen/")
    assert "Verwerkt op" in page.content.decode()


@pytest.mark.worker
def test_the_worker_builds_a_requested_export(client):
    """Both processes must share PRIVATE_MEDIA_ROOT (the default, BASE_DIR/private_media)."""
    import io
    import json
    import zipfile

    from portal.consent.models import DataExport

    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    purpose = make_purpose(code=f"worker-{uuid.uuid4().hex[:8]}", title="Exporttest")
    user = ResidentFactory()
    services.consent_grant(user=user, text=purpose.texts.get(), method="web",
                           assurance_level="midden")
    client.force_login(user)

    response = client.post("/mijn-gegevens/download/")

    assert response.status_code == 302
    export = DataExport.objects.get(user=user)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if export.status != "pending":
            break
        time.sleep(0.2)
    assert export.status == "ready", (
        f"no worker built the export within {WAIT_SECONDS} s (status {export.status})"
    )
    assert Notification.objects.filter(recipient=user, kind="data_export_ready").exists()
    download = client.get(f"/mijn-gegevens/download/{export.public_id}/")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    document = json.loads(archive.read("gegevens.json"))
    events = document["sections"]["consent"]["data"]["consent_events"]
    assert [event["purpose"] for event in events] == [purpose.code]
    export.file.delete(save=False)
