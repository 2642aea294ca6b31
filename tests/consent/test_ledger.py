"""The ledger is append-only and published texts are immutable, at the ORM and service level."""

import hashlib

import pytest
from django.db import IntegrityError, transaction

from portal.consent import services
from portal.consent.models import AppendOnlyError, ConsentEvent, ConsentText
from tests.consent.conftest import make_purpose
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(text):
    return services.consent_grant(user=ResidentFactory(), text=text, method="web",
                                  assurance_level="midden")


def test_queryset_update_is_refused(event):
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.filter(pk=event.pk).update(action="withdraw")
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.all().update(method="api")
    event.refresh_from_db()
    assert event.action == "grant"
    assert event.method == "web"


def test_queryset_delete_is_refused(event):
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.all().delete()
    assert ConsentEvent.objects.filter(pk=event.pk).exists()


def test_saving_an_existing_event_is_refused(event):
    event.action = ConsentEvent.Action.WITHDRAW
    with pytest.raises(AppendOnlyError):
        event.save()
    fetched = ConsentEvent.objects.get(pk=event.pk)
    fetched.method = "api"
    with pytest.raises(AppendOnlyError):
        fetched.save(update_fields=["method"])
    assert ConsentEvent.objects.get(pk=event.pk).action == "grant"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert ConsentEvent.objects.filter(pk=event.pk).exists()


def test_bulk_update_is_refused(event):
    event.action = ConsentEvent.Action.WITHDRAW
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.bulk_update([event], ["action"])
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.update_or_create(pk=event.pk, defaults={"action": "withdraw"})
    assert ConsentEvent.objects.get(pk=event.pk).action == "grant"


def test_an_event_with_the_same_primary_key_cannot_overwrite(event):
    copy = ConsentEvent(pk=event.pk, purpose=event.purpose, text=event.text,
                        subject_pseudonym="x", action="withdraw", method="web")
    with pytest.raises((AppendOnlyError, IntegrityError)), transaction.atomic():
        copy.save()
    assert ConsentEvent.objects.get(pk=event.pk).action == "grant"


def test_the_ledger_survives_deleting_the_account(event):
    pseudonym = event.subject_pseudonym
    event.user.delete()

    event = ConsentEvent.objects.get(pk=event.pk)
    assert event.user is None
    assert event.subject_pseudonym == pseudonym


def test_publish_computes_the_sha256_of_the_body():
    purpose = make_purpose(text="")
    body = "Je meetgegevens worden openbaar getoond.\r\n\r\nJe kunt altijd stoppen.  "

    text = services.consent_text_publish(purpose=purpose, body=body, material_change=True,
                                         by=None)

    assert text.body == "Je meetgegevens worden openbaar getoond.\n\nJe kunt altijd stoppen."
    assert text.sha256 == hashlib.sha256(text.body.encode("utf-8")).hexdigest()
    assert text.version == 1
    assert text.published_at is not None


def test_publishing_again_makes_a_new_version_and_leaves_the_old_one_alone(text):
    before = ConsentText.objects.values().get(pk=text.pk)

    second = services.consent_text_publish(purpose=text.purpose, body="Nieuwe tekst.",
                                           material_change=False, by=None)

    assert second.version == 2
    assert second.material_change is False
    assert ConsentText.objects.values().get(pk=text.pk) == before


def test_the_first_version_is_always_a_material_change():
    purpose = make_purpose(text="")
    text = services.consent_text_publish(purpose=purpose, body="Tekst", material_change=False,
                                         by=None)
    assert text.material_change is True


def test_an_empty_text_is_not_published():
    from django.core.exceptions import ValidationError

    purpose = make_purpose(text="")
    with pytest.raises(ValidationError):
        services.consent_text_publish(purpose=purpose, body="  \n ", material_change=True,
                                      by=None)
    assert not purpose.texts.exists()


def test_a_published_text_cannot_be_changed_or_deleted(text):
    text.body = "Stiekem anders"
    with pytest.raises(AppendOnlyError):
        text.save()
    with pytest.raises(AppendOnlyError):
        ConsentText.objects.filter(pk=text.pk).update(body="Stiekem anders")
    with pytest.raises(AppendOnlyError):
        ConsentText.objects.bulk_update([text], ["body"])
    with pytest.raises(AppendOnlyError):
        text.delete()
    with pytest.raises(AppendOnlyError):
        ConsentText.objects.filter(pk=text.pk).delete()
    assert ConsentText.objects.get(pk=text.pk).body == "Je meetgegevens worden getoond."
