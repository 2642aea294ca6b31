import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from portal.accounts import services
from portal.accounts.models import Membership, Organisation
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ResidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def english(client):
    """Assert the English msgids, whatever the Dutch catalogue says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


KVK_MESSAGE = "A KvK number consists of exactly 8 digits, for example 12345678."


# --- model and services ------------------------------------------------------------------


@pytest.mark.parametrize("kvk", ["1234567", "123456789", "1234567a", "1234 5678", "", "١٢٣٤٥٦٧٨"])
def test_kvk_number_must_be_exactly_8_digits(kvk):
    organisation = OrganisationFactory.build(kvk_number=kvk)

    with pytest.raises(ValidationError) as excinfo:
        organisation.full_clean()

    assert "kvk_number" in excinfo.value.message_dict


def test_kvk_validator_message_is_clear():
    organisation = OrganisationFactory.build(kvk_number="123")

    with pytest.raises(ValidationError) as excinfo:
        organisation.full_clean()

    assert KVK_MESSAGE in excinfo.value.message_dict["kvk_number"]


def test_organisation_create_makes_the_creator_admin():
    creator = UserFactory()

    organisation = services.organisation_create(
        creator=creator, name="Luchtmeters Zwolle", kind="startup", kvk_number="12345678"
    )

    assert organisation.slug == "luchtmeters-zwolle"
    assert list(organisation.memberships.values_list("user", "role")) == [
        (creator.pk, Membership.Role.ADMIN)
    ]


def test_organisation_create_gives_each_organisation_its_own_slug():
    creator = UserFactory()
    first = services.organisation_create(
        creator=creator, name="Groen Lab", kind="ngo", kvk_number="11111111"
    )
    second = services.organisation_create(
        creator=creator, name="Groen Lab", kind="ngo", kvk_number="22222222"
    )

    assert (first.slug, second.slug) == ("groen-lab", "groen-lab-2")


def test_organisation_create_refuses_a_duplicate_kvk_number():
    OrganisationFactory(kvk_number="12345678")

    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(
            creator=UserFactory(), name="Kopie", kind="mkb", kvk_number="12345678"
        )

    assert "kvk_number" in excinfo.value.message_dict
    assert not Organisation.objects.filter(name="Kopie").exists()


def test_a_resident_cannot_create_an_organisation():
    with pytest.raises(PermissionDenied):
        services.organisation_create(
            creator=ResidentFactory(), name="Buurtclub", kind="ngo", kvk_number="12345678"
        )

    assert Organisation.objects.count() == 0


def test_organisation_update_keeps_the_slug():
    membership = MembershipFactory(role=Membership.Role.ADMIN)
    organisation = membership.organisation
    slug = organisation.slug

    services.organisation_update(organisation=organisation, by=membership.user, name="Nieuw")

    organisation.refresh_from_db()
    assert (organisation.name, organisation.slug) == ("Nieuw", slug)


def test_organisation_update_by_a_plain_member_is_refused():
    membership = MembershipFactory(role=Membership.Role.MEMBER)

    with pytest.raises(PermissionDenied):
        services.organisation_update(
            organisation=membership.organisation, by=membership.user, name="Nieuw"
        )

    membership.organisation.refresh_from_db()
    assert membership.organisation.name != "Nieuw"


def test_membership_add_adds_a_verified_user():
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    colleague = UserFactory(email="collega@example.org")

    membership = services.membership_add(
        organisation=admin.organisation, by=admin.user, email="Collega@Example.org",
        role="member",
    )

    assert (membership.user, membership.role) == (colleague, "member")


def test_membership_add_refuses_an_unknown_address():
    admin = MembershipFactory(role=Membership.Role.ADMIN)

    with pytest.raises(ValidationError) as excinfo:
        services.membership_add(
            organisation=admin.organisation, by=admin.user, email="niemand@example.org"
        )

    assert excinfo.value.messages == [
        "There is no account with a confirmed e-mail address niemand@example.org. Ask this "
        "person to sign up and confirm their e-mail address first."
    ]
    assert admin.organisation.memberships.count() == 1


def test_membership_add_refuses_an_unverified_address():
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    UserFactory(email="nog-niet@example.org", email_verified=False)

    with pytest.raises(ValidationError):
        services.membership_add(
            organisation=admin.organisation, by=admin.user, email="nog-niet@example.org"
        )

    assert admin.organisation.memberships.count() == 1


def test_membership_add_refuses_someone_already_a_member():
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    member = MembershipFactory(organisation=admin.organisation)

    with pytest.raises(ValidationError) as excinfo:
        services.membership_add(
            organisation=admin.organisation, by=admin.user, email=member.user.email
        )

    assert excinfo.value.messages == [
        f"{member.user.email} is already a member of this organisation."
    ]


def test_membership_remove_cannot_remove_the_last_admin():
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    MembershipFactory(organisation=admin.organisation, role=Membership.Role.MEMBER)

    with pytest.raises(ValidationError) as excinfo:
        services.membership_remove(membership=admin, by=admin.user)

    assert excinfo.value.code == "last_admin"
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_membership_remove_removes_an_admin_when_another_remains():
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    other_admin = MembershipFactory(organisation=admin.organisation, role=Membership.Role.ADMIN)

    services.membership_remove(membership=other_admin, by=admin.user)

    assert list(admin.organisation.memberships.all()) == [admin]


def test_membership_change_role_keeps_the_last_admin():
    admin = MembershipFactory(role=Membership.Role.ADMIN)

    with pytest.raises(ValidationError):
        services.membership_change_role(membership=admin, by=admin.user, role="member")

    admin.refresh_from_db()
    assert admin.role == Membership.Role.ADMIN


# --- views --------------------------------------------------------------------------------


def test_create_organisation_page(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("accounts:organisation_create"),
        {"name": "Lectoraat Slimme Stad", "kind": "knowledge_institution",
         "kvk_number": "4123 4567", "website": "https://hogeschool.example",
         "description": "Onderzoek naar sensoren."},
    )

    organisation = Organisation.objects.get()
    assert response.status_code == 302
    assert response.url == "/organisaties/lectoraat-slimme-stad/"
    assert organisation.kvk_number == "41234567"
    assert organisation.memberships.get().user == user


def test_create_organisation_with_a_bad_kvk_number_shows_the_error(client):
    client.force_login(UserFactory())

    response = client.post(
        reverse("accounts:organisation_create"),
        {"name": "Fout BV", "kind": "mkb", "kvk_number": "1234"},
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert 'role="alert"' in content
    assert KVK_MESSAGE in content
    assert 'aria-invalid="true"' in content
    assert Organisation.objects.count() == 0


def test_create_organisation_with_a_taken_kvk_number_shows_the_error(client):
    OrganisationFactory(kvk_number="12345678")
    client.force_login(UserFactory())

    response = client.post(
        reverse("accounts:organisation_create"),
        {"name": "Dubbel BV", "kind": "mkb", "kvk_number": "12345678"},
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "An organisation with this KvK number is already registered." in content
    assert Organisation.objects.count() == 1


def test_profile_page_shows_members_to_members_only(client):
    organisation = OrganisationFactory(name="Luchtmeters", description="Wij meten fijnstof.")
    member = MembershipFactory(organisation=organisation, user__display_name="Mila Visser")
    url = organisation.get_absolute_url()

    public = client.get(url).content.decode()
    client.force_login(member.user)
    as_member = client.get(url).content.decode()

    assert "Luchtmeters" in public
    assert "Wij meten fijnstof." in public
    assert "Mila Visser" not in public
    assert "Mila Visser" in as_member
    assert member.user.email not in as_member


def test_profile_page_escapes_what_users_write(client):
    organisation = OrganisationFactory(
        name="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>"
    )

    content = client.get(organisation.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<img src=x" not in content


def test_unknown_organisation_is_404(client):
    assert client.get("/organisaties/bestaat-niet/").status_code == 404


def test_edit_page_saves_changes(client):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    client.force_login(admin.user)
    organisation = admin.organisation

    response = client.post(
        reverse("accounts:organisation_update", kwargs={"slug": organisation.slug}),
        {"name": "Nieuwe naam", "kind": "ngo", "kvk_number": organisation.kvk_number,
         "website": "", "description": "Nieuw"},
    )

    organisation.refresh_from_db()
    assert response.status_code == 302
    assert (organisation.name, organisation.kind, organisation.description) == (
        "Nieuwe naam", "ngo", "Nieuw",
    )


def test_edit_page_with_bad_input_changes_nothing(client):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    client.force_login(admin.user)
    organisation = admin.organisation
    before = Organisation.objects.values().get(pk=organisation.pk)

    response = client.post(
        reverse("accounts:organisation_update", kwargs={"slug": organisation.slug}),
        {"name": "Nieuwe naam", "kind": "ngo", "kvk_number": "abc", "website": "geen url"},
    )

    assert response.status_code == 200
    assert KVK_MESSAGE in response.content.decode()
    assert Organisation.objects.values().get(pk=organisation.pk) == before


def test_members_page_adds_a_member(client):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    UserFactory(email="nieuw@example.org", display_name="Nieuw Lid")
    client.force_login(admin.user)
    url = reverse("accounts:organisation_members", kwargs={"slug": admin.organisation.slug})

    response = client.post(url, {"action": "add", "email": "nieuw@example.org",
                                 "role": "member"}, follow=True)

    assert response.status_code == 200
    assert "Nieuw Lid has been added." in response.content.decode()
    assert admin.organisation.memberships.filter(user__email="nieuw@example.org").exists()


def test_members_page_unknown_address_is_a_clear_400(client):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    client.force_login(admin.user)
    url = reverse("accounts:organisation_members", kwargs={"slug": admin.organisation.slug})

    response = client.post(url, {"action": "add", "email": "onbekend@example.org",
                                 "role": "member"})

    assert response.status_code == 400
    assert "There is no account with a confirmed e-mail address onbekend@example.org" in (
        response.content.decode()
    )
    assert admin.organisation.memberships.count() == 1


def test_members_page_refuses_to_remove_the_last_admin(client):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    client.force_login(admin.user)
    url = reverse("accounts:organisation_members", kwargs={"slug": admin.organisation.slug})

    response = client.post(url, {"action": "remove", "membership": admin.pk})

    assert response.status_code == 400
    assert "This is the last administrator of the organisation." in response.content.decode()
    assert Membership.objects.filter(pk=admin.pk).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "remove", "membership": "abc"},
        {"action": "remove", "membership": "999999"},
        {"action": "role", "membership": "", "role": "admin"},
        {"action": "explode"},
        {},
    ],
)
def test_members_page_bad_input_is_400_not_500(client, data):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    client.force_login(admin.user)
    url = reverse("accounts:organisation_members", kwargs={"slug": admin.organisation.slug})

    response = client.post(url, data)

    assert response.status_code == 400
    assert admin.organisation.memberships.count() == 1


def test_members_page_cannot_touch_a_membership_of_another_organisation(client):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    elsewhere = MembershipFactory(role=Membership.Role.MEMBER)
    client.force_login(admin.user)
    url = reverse("accounts:organisation_members", kwargs={"slug": admin.organisation.slug})

    response = client.post(url, {"action": "remove", "membership": elsewhere.pk})

    assert response.status_code == 400
    assert Membership.objects.filter(pk=elsewhere.pk).exists()


def test_members_page_changes_a_role(client):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    member = MembershipFactory(organisation=admin.organisation)
    client.force_login(admin.user)
    url = reverse("accounts:organisation_members", kwargs={"slug": admin.organisation.slug})

    response = client.post(url, {"action": "role", "membership": member.pk, "role": "admin"})

    member.refresh_from_db()
    assert response.status_code == 302
    assert member.role == Membership.Role.ADMIN


def test_organisation_list_is_public(client):
    OrganisationFactory(name="Alpha Sensors")
    OrganisationFactory(name="Beta Advies")

    content = client.get("/organisaties/").content.decode()

    assert content.index("Alpha Sensors") < content.index("Beta Advies")


def test_a_kvk_number_taken_at_the_last_moment_is_a_validation_error(monkeypatch):
    creator = UserFactory()
    OrganisationFactory(kvk_number="12345678")
    # Simulate the race: validation saw no clash, the database constraint does.
    monkeypatch.setattr(Organisation, "validate_unique", lambda self, exclude=None: None)

    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(
            creator=creator, name="Tegelijk", kind="mkb", kvk_number="12345678"
        )

    assert excinfo.value.message_dict == {
        "kvk_number": ["An organisation with this KvK number is already registered."]
    }
    assert not Organisation.objects.filter(name="Tegelijk").exists()
    assert not Membership.objects.filter(user=creator).exists()


def test_profile_page_queries_do_not_grow_with_the_number_of_members(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = MembershipFactory(role=Membership.Role.ADMIN)
    client.force_login(admin.user)
    url = admin.organisation.get_absolute_url()
    client.get(url)  # the first request of a session writes session bookkeeping

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    MembershipFactory.create_batch(8, organisation=admin.organisation)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert response.content.decode().count("<li>") >= 9
    assert len(many.captured_queries) == len(few.captured_queries)


def test_signup_form_asks_the_name_first(client):
    content = client.get("/account/signup/").content.decode()

    assert content.index('id="id_display_name"') < content.index('id="id_email"')


def test_members_page_refuses_an_unknown_role(client):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    member = MembershipFactory(organisation=admin.organisation)
    client.force_login(admin.user)
    url = reverse("accounts:organisation_members", kwargs={"slug": admin.organisation.slug})

    response = client.post(url, {"action": "role", "membership": member.pk, "role": "koning"})

    member.refresh_from_db()
    assert response.status_code == 400
    assert "Choose a valid role." in response.content.decode()
    assert member.role == Membership.Role.MEMBER


def test_an_admin_who_steps_down_goes_back_to_the_profile(client):
    admin = MembershipFactory(role=Membership.Role.ADMIN)
    MembershipFactory(organisation=admin.organisation, role=Membership.Role.ADMIN)
    client.force_login(admin.user)
    url = reverse("accounts:organisation_members", kwargs={"slug": admin.organisation.slug})

    response = client.post(url, {"action": "role", "membership": admin.pk, "role": "member"})

    admin.refresh_from_db()
    assert admin.role == Membership.Role.MEMBER
    assert response.status_code == 302
    assert response.url == admin.organisation.get_absolute_url()
    assert client.get(url).status_code == 403
