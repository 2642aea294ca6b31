"""Deleting an account: confirmation step, erasers, last-admin refusal, ledger kept."""

from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import models
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from portal.accounts.models import Membership, User
from portal.consent import services
from portal.consent.models import ConsentEvent, DataExport, PersonalDataAccess
from portal.consent.personal_data import (
    PersonalDataSection,
    register_personal_data_section,
    unregister_personal_data_section,
)
from portal.consent.pseudonyms import consent_subject_pseudonym
from portal.core.models import Notification
from portal.core.services import notification_send
from tests.factories import TEST_PASSWORD, MembershipFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def _client(user=None):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def digid_login(client, *, resident="fatima", level="midden"):
    acs = client.post("/digid/idp/", {"resident": resident, "level": level, "next": ""})
    response = client.get(acs["Location"])
    assert response.status_code == 302
    return response


def _rows_referencing(pk) -> dict[str, int]:
    """Every row in every table with a foreign key (or m2m) to this user pk."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if (isinstance(field, models.ForeignKey | models.OneToOneField)
                    and field.related_model is User):
                count = model._base_manager.filter(**{field.attname: pk}).count()
                if count:
                    found[f"{model._meta.label}.{field.name}"] = count
    return found


def _full_resident(text, django_capture_on_commit_callbacks):
    client = _client()
    digid_login(client)
    user = User.objects.get(bsn_pseudonym__isnull=False)
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
    services.consent_withdraw(user=user, purpose=text.purpose, method="web",
                              assurance_level="midden")
    notification_send(recipient=user, kind="test", title="Hallo")
    with django_capture_on_commit_callbacks(execute=True):
        services.data_export_request(user=user)
    MembershipFactory(user=user)
    Token.objects.create(user=user)
    PersonalDataAccess.objects.create(subject=user, viewer=UserFactory(is_staff=True),
                                      viewer_role="moderator", what="admin.user")
    return client, user


def test_the_confirmation_page_explains_what_happens(text):
    user = ResidentFactory()

    html = _client(user).get("/mijn-gegevens/account-verwijderen/").content.decode()

    assert "<h1>Delete my account</h1>" in html
    assert "anonymous resident" in html
    assert "GDPR article 7" in html
    assert "new, empty account" in html
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.parametrize("data", [{}, {"confirmation": ""}, {"confirmation": "verwijder"},
                                  {"confirmation": "DELETE"}, {"confirmation": "VERWIJDER" * 5},
                                  {"confirmation": "<script>x</script>"}])
def test_without_the_exact_word_nothing_is_deleted(data):
    user = ResidentFactory()
    client = _client(user)

    response = client.post("/mijn-gegevens/account-verwijderen/", data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Your account was not deleted" in html
    assert "<script>x</script>" not in html
    assert User.objects.filter(pk=user.pk).exists()
    assert client.get("/mijn-gegevens/").status_code == 200


def test_deleting_removes_everything_but_the_ledger_and_a_new_login_starts_fresh(
    text, django_capture_on_commit_callbacks
):
    client, user = _full_resident(text, django_capture_on_commit_callbacks)
    pk, pseudonym = user.pk, consent_subject_pseudonym(user)
    export_file = Path(DataExport.objects.get(user=user).file.path)
    assert export_file.exists()
    other_session = _client(user)  # a second device
    assert other_session.get("/mijn-gegevens/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/mijn-gegevens/account-verwijderen/",
                               {"confirmation": " VERWIJDER "})

    assert response.status_code == 302
    assert response["Location"] == "/account-verwijderd/"
    goodbye = client.get("/account-verwijderd/")
    assert "Your account has been deleted" in goodbye.content.decode()
    assert not User.objects.filter(pk=pk).exists()
    assert _rows_referencing(pk) == {}
    assert not export_file.exists()
    # The proof of consent stays, under the pseudonym, without the user.
    ledger = list(ConsentEvent.objects.filter(subject_pseudonym=pseudonym))
    assert len(ledger) == 2
    assert all(event.user_id is None for event in ledger)
    # Logged out everywhere.
    assert client.get("/mijn-gegevens/").status_code == 302
    assert other_session.get("/mijn-gegevens/").status_code == 302
    # The same resident logs in again: a new, empty account.
    digid_login(client)
    new = User.objects.get(bsn_pseudonym__isnull=False)
    assert new.pk != pk
    assert consent_subject_pseudonym(new) == pseudonym
    assert not ConsentEvent.objects.filter(user=new).exists()
    assert not Notification.objects.filter(recipient=new).exists()
    page = client.get("/mijn-gegevens/toestemmingen/").content.decode()
    assert "You have not given consent" in page


def test_an_e_mail_account_cannot_log_in_after_deletion():
    user = UserFactory(email="weg@example.org")
    client = _client(user)

    response = client.post("/mijn-gegevens/account-verwijderen/", {"confirmation": "VERWIJDER"})

    assert response.status_code == 302
    assert not EmailAddress.objects.filter(email="weg@example.org").exists()
    fresh = _client()
    assert fresh.login(email="weg@example.org", password=TEST_PASSWORD) is False
    login = fresh.post("/account/login/", {"login": "weg@example.org",
                                           "password": TEST_PASSWORD})
    assert login.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in fresh.session


def test_the_last_admin_of_an_organisation_must_hand_over_first():
    membership = MembershipFactory(role=Membership.Role.ADMIN)
    MembershipFactory(organisation=membership.organisation, role=Membership.Role.MEMBER)
    client = _client(membership.user)

    response = client.post("/mijn-gegevens/account-verwijderen/", {"confirmation": "VERWIJDER"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "You are the last administrator of" in html
    assert membership.organisation.name in html
    assert User.objects.filter(pk=membership.user_id).exists()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_admin_with_a_fellow_admin_can_leave():
    membership = MembershipFactory(role=Membership.Role.ADMIN)
    MembershipFactory(organisation=membership.organisation, role=Membership.Role.ADMIN)

    services.account_delete(user=membership.user)

    assert Membership.objects.filter(organisation=membership.organisation).count() == 1


def test_registered_erasers_run_and_a_refusal_rolls_everything_back():
    calls = []
    register_personal_data_section(PersonalDataSection(
        code="ideas-test", title="Ideas", exporter=lambda user: {},
        eraser=lambda user: calls.append(user.pk) or "anonymised",
    ))
    try:
        user = ResidentFactory()
        notification_send(recipient=user, kind="test", title="Blijf")
        summary = services.account_delete(user=user)
    finally:
        unregister_personal_data_section("ideas-test")

    assert calls == [user.pk]
    assert summary["ideas-test"] == "anonymised"

    def refuse(user):
        from django.core.exceptions import ValidationError

        raise ValidationError("Eerst je lopende pilot afronden.")

    register_personal_data_section(PersonalDataSection(
        code="refuse-test", title="Refuse", exporter=lambda user: {}, eraser=refuse, order=999,
    ))
    try:
        user = ResidentFactory()
        notification_send(recipient=user, kind="test", title="Blijf")
        response = _client(user).post("/mijn-gegevens/account-verwijderen/",
                                      {"confirmation": "VERWIJDER"})
    finally:
        unregister_personal_data_section("refuse-test")

    assert response.status_code == 400
    assert "Eerst je lopende pilot afronden." in response.content.decode()
    assert Notification.objects.filter(recipient=user).count() == 1


def test_visitors_cannot_delete_anything():
    response = Client().post("/mijn-gegevens/account-verwijderen/", {"confirmation": "VERWIJDER"})

    assert response.status_code == 302
    assert "/inloggen/" in response["Location"]


def test_sessions_of_other_people_stay():
    stays, goes = ResidentFactory(), ResidentFactory()
    _client(stays)
    _client(goes)
    before = Session.objects.filter(expire_date__gt=timezone.now() - timedelta(0)).count()

    services.account_delete(user=goes)

    assert Session.objects.count() == before - 1
