"""Demo data (portal/accounts/demo.py) and the admin pages for accounts and organisations."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from portal.accounts import demo, roles
from portal.accounts.models import Membership, Organisation, User
from tests.factories import MembershipFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The demo hashes a dozen passwords per load; PBKDF2 would make these tests slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _snapshot():
    return (
        list(User.objects.order_by("email").values_list("email", "display_name", "password",
                                                        "is_staff", "is_superuser")),
        list(Organisation.objects.order_by("slug").values()),
        list(Membership.objects.order_by("pk").values_list("organisation__slug",
                                                           "user__email", "role")),
        list(EmailAddress.objects.order_by("email").values_list("email", "verified", "primary")),
    )


def test_role_groups_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.GROUP_NAMES)


def test_demo_load_is_idempotent():
    summary = demo.load()
    first = _snapshot()
    demo.load()

    assert "3 organisations" in summary
    assert _snapshot() == first


def test_demo_refuses_to_run_on_a_real_site(settings):
    settings.DIGID_MODE = "saml"

    with pytest.raises(ImproperlyConfigured):
        demo.load()

    assert not User.objects.filter(email__endswith="@demo.stadsmakers.nl").exists()


def test_demo_accounts_have_their_roles_and_can_log_in(client):
    demo.load()

    moderator = User.objects.get(email="moderator@demo.stadsmakers.nl")
    admin = User.objects.get(email="admin@demo.stadsmakers.nl")
    assert moderator.has_perm("core.view_moderation_queue")
    assert not moderator.has_perm("core.edit_content")
    assert User.objects.get(email="ambtenaar@demo.stadsmakers.nl").has_perm("core.edit_content")
    assert User.objects.get(email="jury@demo.stadsmakers.nl").has_perm("core.view_jury_area")
    assert User.objects.get(email="raad@demo.stadsmakers.nl").has_perm("core.view_council_area")
    assert admin.is_superuser
    assert admin.is_staff
    for organisation in Organisation.objects.all():
        organisation.full_clean()
        assert organisation.memberships.filter(role=Membership.Role.ADMIN).exists()

    response = client.post(
        "/account/login/",
        {"login": "luchtpeil@demo.stadsmakers.nl", "password": demo.DEMO_PASSWORD},
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_load_demo_command_runs_twice(capsys):
    call_command("load_demo")
    call_command("load_demo")

    assert "portal.accounts.demo: 5 staff accounts" in capsys.readouterr().out


def test_admin_user_pages_never_show_the_full_pseudonym(client):
    resident = ResidentFactory(display_name="Bewoner Test")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    changelist = client.get("/beheer/accounts/user/")
    change = client.get(f"/beheer/accounts/user/{resident.pk}/change/")

    assert changelist.status_code == 200
    assert change.status_code == 200
    for response in (changelist, change):
        assert resident.bsn_pseudonym not in response.content.decode()
    assert resident.bsn_pseudonym[:8] + "…" in change.content.decode()
    assert 'name="bsn_pseudonym"' not in change.content.decode()


def test_admin_organisation_pages_load(client):
    membership = MembershipFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get("/beheer/accounts/organisation/").status_code == 200
    assert client.get(
        f"/beheer/accounts/organisation/{membership.organisation.pk}/change/"
    ).status_code == 200
    assert client.get("/beheer/accounts/membership/").status_code == 200
    assert client.get("/beheer/accounts/user/add/").status_code == 200
