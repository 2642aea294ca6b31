"""The "My account" page: how you are logged in, the name others see, your organisations."""

import pytest
from django.urls import reverse

from portal.accounts.models import User
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PROFILE = "/mijn-account/"


def _digid_login(client, *, resident="jan", level="midden"):
    client.post("/digid/idp/", {"resident": resident, "level": level}, follow=True)


def test_resident_sees_digid_level_and_no_bsn(client):
    _digid_login(client, resident="fatima", level="substantieel")

    response = client.get(PROFILE)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<dd data-testid="assurance-level">Substantieel</dd>' in html
    assert "999991772" not in html
    assert 'value="Fatima el Amrani"' in html


def test_resident_changes_the_name_others_see(client):
    _digid_login(client, resident="jan")

    response = client.post(PROFILE, {"display_name": "  Jan   uit Assendorp "}, follow=True)

    assert response.redirect_chain == [(PROFILE, 302)]
    assert "Je naam is opgeslagen." in response.content.decode()
    user = User.objects.get(pk=response.context["user"].pk)
    assert user.display_name == "Jan uit Assendorp"
    assert 'href="/mijn-account/" data-testid="user-name">Jan uit Assendorp</a>' \
        in response.content.decode()


def test_empty_name_shows_the_resident_as_inwoner(client):
    _digid_login(client, resident="jan")

    response = client.post(PROFILE, {"display_name": ""}, follow=True)

    assert 'href="/mijn-account/" data-testid="user-name">Inwoner</a>' in response.content.decode()


def test_too_long_name_is_refused_and_the_old_name_kept(client):
    user = UserFactory(display_name="Noor Bakker")
    client.force_login(user)

    response = client.post(PROFILE, {"display_name": "x" * 101})

    assert response.status_code == 400
    assert (
        "Zorg dat deze waarde niet meer dan 100 tekens bevat (het zijn er nu 101)."
        in response.content.decode()
    )
    user.refresh_from_db()
    assert user.display_name == "Noor Bakker"


def test_script_in_the_name_is_shown_as_text(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(PROFILE, {"display_name": "<script>alert(1)</script>"}, follow=True)

    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_email_user_sees_address_and_organisations(client):
    membership = MembershipFactory(organisation__name="Luchtpeil Zwolle B.V.")
    client.force_login(membership.user)

    response = client.get(PROFILE)

    html = response.content.decode()
    assert membership.user.email in html
    assert f'<a href="{membership.organisation.get_absolute_url()}">Luchtpeil Zwolle B.V.</a>' \
        in html
    assert reverse("accounts:organisation_create") in html


def test_visitor_is_sent_to_the_login_choice(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response.url.startswith("/inloggen/?next=/mijn-account/")
