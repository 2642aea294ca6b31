"""Mijn gegevens: the personal data registry and the overview page."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.accounts.models import Membership
from portal.consent import selectors, services
from portal.consent.personal_data import (
    PersonalDataSection,
    personal_data_sections,
    register_personal_data_section,
    unregister_personal_data_section,
)
from portal.core.services import notification_send
from tests.consent.conftest import make_purpose
from tests.factories import MembershipFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_consent_accounts_and_core_register_their_sections():
    codes = [section.code for section in personal_data_sections()]

    assert codes[:3] == ["account", "consent", "notifications"]


def test_the_document_holds_profile_consents_and_notifications_but_no_pseudonym(text):
    user = ResidentFactory(display_name="Fatima")
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
    notification_send(recipient=user, kind="test", title="Hallo Fatima")

    document = selectors.personal_data_document(user=user)

    sections = document["sections"]
    assert sections["account"]["data"]["profile"][0]["display_name"] == "Fatima"
    assert sections["account"]["data"]["profile"][0]["login_method"] == "DigiD"
    events = sections["consent"]["data"]["consent_events"]
    assert [(e["purpose"], e["action"], e["text_version"]) for e in events] == [
        (text.purpose.code, "grant", 1)
    ]
    assert sections["notifications"]["data"]["notifications"][0]["title"] == "Hallo Fatima"
    assert user.bsn_pseudonym not in str(document)
    assert ResidentFactory.bsn_for(user) not in str(document)


def test_memberships_are_in_the_account_section():
    membership = MembershipFactory(role=Membership.Role.ADMIN)

    document = selectors.personal_data_document(user=membership.user)

    rows = document["sections"]["account"]["data"]["memberships"]
    assert rows == [{"organisation": membership.organisation.name,
                     "kvk_number": membership.organisation.kvk_number, "role": "admin",
                     "since": membership.created_at.isoformat()}]


def test_an_app_registers_its_own_section():
    section = PersonalDataSection(
        code="ideas-test", title="Ideas", lists={"ideas": "Your ideas"},
        exporter=lambda user: {"ideas": [{"title": "Meer bankjes"}]},
        eraser=lambda user: "anonymised",
    )
    register_personal_data_section(section)
    try:
        document = selectors.personal_data_document(user=UserFactory())
    finally:
        unregister_personal_data_section("ideas-test")

    assert document["sections"]["ideas-test"]["data"] == {"ideas": [{"title": "Meer bankjes"}]}


def test_my_data_page_lists_sections_links_and_actions(client, text):
    user = ResidentFactory()
    services.consent_grant(user=user, text=text, method="web", assurance_level="midden")
    notification_send(recipient=user, kind="test", title="Je idee is gepubliceerd")
    client.force_login(user)

    response = client.get("/mijn-gegevens/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>My data</h1>" in html
    assert 'href="/mijn-gegevens/toestemmingen/"' in html
    assert 'href="/mijn-account/"' in html
    assert 'data-testid="count-consent-consent_events">1<' in html
    assert 'data-testid="count-notifications-notifications">1<' in html
    assert "Je idee is gepubliceerd" in html
    assert 'action="/mijn-gegevens/download/"' in html
    assert 'href="/mijn-gegevens/account-verwijderen/"' in html
    assert "Nobody from the municipality has looked at your data." in html
    assert user.bsn_pseudonym not in html


def test_my_data_escapes_what_a_person_wrote(client):
    user = UserFactory(display_name='<script>alert("x")</script>')
    client.force_login(user)

    html = client.get("/mijn-gegevens/").content.decode()

    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


def _queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/mijn-gegevens/").status_code == 200
    return len(queries)


def test_my_data_query_count_does_not_grow_with_rows(client):
    purposes = [make_purpose(code=f"purpose-{n}", title=f"Doel {n}") for n in range(10)]
    one, many = ResidentFactory(), ResidentFactory()
    services.consent_grant(user=one, text=purposes[0].texts.get(), method="web",
                           assurance_level="midden")
    notification_send(recipient=one, kind="test", title="Een")
    for purpose in purposes:
        services.consent_grant(user=many, text=purpose.texts.get(), method="web",
                               assurance_level="midden")
        services.consent_withdraw(user=many, purpose=purpose, method="web",
                                  assurance_level="midden")
    for n in range(20):
        notification_send(recipient=many, kind="test", title=f"Melding {n}")

    assert _queries(client, one) == _queries(Client(), many)
