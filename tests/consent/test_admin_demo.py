"""Admin: publishing a text goes through the service, published texts and the ledger are
read-only. Demo data: two purposes with texts, idempotent."""

import hashlib

import pytest
from django.core.management import call_command

from portal.consent import demo, selectors, services
from portal.consent.models import ConsentEvent, ConsentText, Purpose
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_publishing_in_the_admin_uses_the_service(admin_client, text):
    editor_response = admin_client.get("/beheer/consent/consenttext/add/")
    assert editor_response.status_code == 200

    response = admin_client.post(
        "/beheer/consent/consenttext/add/",
        {"purpose": text.purpose.pk, "body": "Versie twee.\r\nMet een nieuwe regel.",
         "material_change": "on"},
    )

    assert response.status_code == 302
    new = ConsentText.objects.get(purpose=text.purpose, version=2)
    assert new.body == "Versie twee.\nMet een nieuwe regel."
    assert new.sha256 == hashlib.sha256(new.body.encode()).hexdigest()
    assert new.material_change is True
    assert new.published_by is not None


def test_a_published_text_is_read_only_in_the_admin(admin_client, text):
    url = f"/beheer/consent/consenttext/{text.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="body"' not in page.content.decode()

    admin_client.post(url, {"purpose": text.purpose.pk, "body": "Stiekem", "material_change": ""})
    assert ConsentText.objects.get(pk=text.pk).body == "Je meetgegevens worden getoond."
    assert admin_client.get(f"/beheer/consent/consenttext/{text.pk}/delete/").status_code == 403


def test_the_ledger_is_read_only_in_the_admin(admin_client, text):
    event = services.consent_grant(user=ResidentFactory(), text=text, method="web",
                                   assurance_level="midden")

    assert admin_client.get("/beheer/consent/consentevent/").status_code == 200
    change = admin_client.get(f"/beheer/consent/consentevent/{event.pk}/change/")
    assert change.status_code == 200
    assert 'name="action"' not in change.content.decode()
    assert admin_client.get("/beheer/consent/consentevent/add/").status_code == 403
    assert admin_client.get(f"/beheer/consent/consentevent/{event.pk}/delete/").status_code == 403
    admin_client.post(f"/beheer/consent/consentevent/{event.pk}/change/", {"action": "withdraw"})
    admin_client.post("/beheer/consent/consentevent/",
                      {"action": "delete_selected", "_selected_action": [event.pk]})
    assert ConsentEvent.objects.get(pk=event.pk).action == "grant"


def test_purpose_pages_load(admin_client, purpose):
    assert admin_client.get("/beheer/consent/purpose/").status_code == 200
    page = admin_client.get(f"/beheer/consent/purpose/{purpose.pk}/change/")
    assert page.status_code == 200
    assert 'name="code"' not in page.content.decode()


def test_demo_loads_two_purposes_with_texts_and_is_idempotent():
    demo.load()
    demo.load()

    assert Purpose.objects.count() == 2
    for purpose in Purpose.objects.all():
        assert purpose.texts.count() == 1
        assert selectors.current_text(purpose=purpose).body
    sensors = Purpose.objects.get(code="sensor-project-participation")
    assert sensors.owner_app == "sensors"
    assert "grove locatie" in sensors.texts.get().body
    assert Purpose.objects.get(code="idea-author-name").owner_app == "ideas"


def test_load_demo_includes_consent(capsys, settings):
    settings.DIGID_MODE = "mock"
    call_command("load_demo")
    assert "portal.consent.demo: 2 purposes" in capsys.readouterr().out
