"""Download all my data: a ZIP of JSON + CSV, built by a task, private, 7 days, one at a time."""

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from portal.consent import services
from portal.consent.models import DataExport
from portal.core.models import Notification
from portal.core.services import notification_send
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _client(user=None):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def resident(text):
    user = ResidentFactory(display_name="Fatima")
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
    notification_send(recipient=user, kind="test", title="Welkom")
    return user


def test_requesting_an_export_builds_a_zip_with_json_and_csv(
    resident, django_capture_on_commit_callbacks
):
    client = _client(resident)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/mijn-gegevens/download/")

    assert response.status_code == 302
    assert response["Location"] == "/mijn-gegevens/#export"
    export = DataExport.objects.get(user=resident)
    assert export.status == "ready"
    assert export.expires_at - export.finished_at == timedelta(days=7)
    # Stored under PRIVATE_MEDIA_ROOT, never under MEDIA_ROOT.
    path = Path(export.file.path)
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    assert not Path(settings.MEDIA_ROOT).exists()

    page = client.get("/mijn-gegevens/").content.decode()
    assert f'href="/mijn-gegevens/download/{export.public_id}/"' in page
    download = client.get(f"/mijn-gegevens/download/{export.public_id}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Cache-Control"] == "private, no-store"
    archive = _zip(download)
    names = set(archive.namelist())
    assert {"gegevens.json", "consent-consent_events.csv", "account-profile.csv",
            "notifications-notifications.csv"} <= names
    document = json.loads(archive.read("gegevens.json"))
    assert document["sections"]["consent"]["data"]["consent_events"][0]["action"] == "grant"
    assert document["sections"]["account"]["data"]["profile"][0]["display_name"] == "Fatima"
    assert document["sections"]["notifications"]["data"]["notifications"][-1]["title"] == "Welkom"
    rows = list(csv.DictReader(io.StringIO(archive.read("consent-consent_events.csv")
                                          .decode("utf-8-sig"))))
    assert rows[0]["action"] == "grant"
    assert rows[0]["purpose"] == "sensor-project-participation"
    raw = b"".join(archive.read(name) for name in names)
    assert resident.bsn_pseudonym.encode() not in raw
    assert ResidentFactory.bsn_for(resident).encode() not in raw
    # The person is told.
    notification = Notification.objects.get(recipient=resident, kind="data_export_ready")
    assert notification.url == "/mijn-gegevens/#export"


def test_csv_cells_cannot_become_spreadsheet_formulas():
    user = ResidentFactory(display_name="=HYPERLINK(\"http://evil\")")

    archive = zipfile.ZipFile(io.BytesIO(services.data_export_zip(user=user)))

    profile = archive.read("account-profile.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in profile
    assert json.loads(archive.read("gegevens.json"))["sections"]["account"]["data"][
        "profile"][0]["display_name"].startswith("=HYPERLINK")


def test_a_second_request_while_one_is_pending_makes_no_second_export(resident):
    client = _client(resident)
    # Queue without running the task (as when the worker is busy).
    DataExport.objects.create(user=resident, expires_at=timezone.now() + timedelta(days=7))

    response = client.post("/mijn-gegevens/download/", follow=True)

    assert DataExport.objects.filter(user=resident).count() == 1
    html = response.content.decode()
    assert "Your download is already being made." in html
    assert 'data-testid="export-pending"' in html


def test_a_pending_export_that_got_lost_does_not_block_forever(
    resident, django_capture_on_commit_callbacks
):
    old = DataExport.objects.create(user=resident, expires_at=timezone.now() + timedelta(days=7),
                                    created_at=timezone.now() - timedelta(hours=2))

    with django_capture_on_commit_callbacks(execute=True):
        export, created = services.data_export_request(user=resident)

    assert created is True
    old.refresh_from_db()
    assert old.status == "failed"
    export.refresh_from_db()
    assert export.status == "ready"


def test_someone_elses_export_is_a_404(resident):
    export, _created = services.data_export_request(user=resident)
    other = _client(ResidentFactory())

    assert other.get(f"/mijn-gegevens/download/{export.public_id}/").status_code == 404


def test_visitors_are_sent_to_the_login(resident):
    export, _created = services.data_export_request(user=resident)

    response = Client().get(f"/mijn-gegevens/download/{export.public_id}/")
    assert response.status_code == 302
    assert "/inloggen/" in response["Location"]
    assert Client().post("/mijn-gegevens/download/").status_code == 302


def test_an_expired_export_is_a_410_with_a_clear_message(
    resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export, _created = services.data_export_request(user=resident)
    export.refresh_from_db()
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _client(resident).get(f"/mijn-gegevens/download/{export.public_id}/")

    assert response.status_code == 410
    assert "This download has expired" in response.content.decode()


def test_the_periodic_task_deletes_expired_exports_and_their_files(
    resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export, _created = services.data_export_request(user=resident)
    export.refresh_from_db()
    path = Path(export.file.path)
    assert path.exists()
    from portal.consent.tasks import data_exports_delete_expired_task

    assert data_exports_delete_expired_task() == 0  # nothing has expired yet
    deleted = services.data_exports_delete_expired(now=export.expires_at + timedelta(seconds=1))

    assert deleted == 1
    assert not DataExport.objects.filter(pk=export.pk).exists()
    assert not path.exists()


def test_the_cleanup_is_scheduled():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "portal.consent.tasks.data_exports_delete_expired_task" in tasks


def test_get_on_the_request_url_is_refused(resident):
    assert _client(resident).get("/mijn-gegevens/download/").status_code == 405
