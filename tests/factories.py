"""factory_boy factories shared by the whole test suite, plus one helper per role.

    user = user_for_role("moderator")          # a saved user that has that role
    client.force_login(user_for_role("organisation_admin", organisation=org))

Residents never carry a BSN: `ResidentFactory` generates a valid test BSN (11-proef) and stores
only its pseudonym. The plain BSN is available as `ResidentFactory.bsn_for(user)` if a test needs
to log the same resident in through DigiD.
"""

import functools

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from portal.accounts import roles
from portal.accounts.assurance import AssuranceLevel
from portal.accounts.models import Membership, Organisation, User
from portal.accounts.pseudonyms import bsn_pseudonym

TEST_PASSWORD = "Stadsmakers!2026-test"


@functools.cache
def _hashed(password: str | None) -> str:
    # Hash once per test run: PBKDF2 per user would make the role matrix slow.
    return make_password(password)


def valid_bsn(n: int) -> str:
    """The n-th valid BSN (passes the 11-proef) in DigiD's test range 9999xxxxx; unique per n."""
    for prefix in (99990000 + 2 * n, 99990000 + 2 * n + 1):
        digits = [int(c) for c in f"{prefix:08d}"]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check != 10:
            return f"{prefix:08d}{check}"
    raise AssertionError("unreachable: one of two neighbouring prefixes always works")


def valid_kvk(n: int) -> str:
    return f"{(10000000 + n * 7919) % 100000000:08d}"


class UserFactory(factory.django.DjangoModelFactory):
    """An e-mail account (organisation member or staff) with a verified primary address."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"gebruiker{n}@example.org")
    display_name = factory.Faker("name", locale="nl_NL")
    password = factory.LazyFunction(lambda: _hashed(TEST_PASSWORD))

    @factory.post_generation
    def email_verified(obj, create, extracted, **kwargs):
        if not create or not obj.email:
            return
        verified = True if extracted is None else bool(extracted)
        EmailAddress.objects.update_or_create(
            user=obj, email=obj.email, defaults={"verified": verified, "primary": True}
        )

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for name in extracted:
            obj.groups.add(Group.objects.get_or_create(name=name)[0])


_pseudonym_to_bsn: dict[str, str] = {}


def _resident_pseudonym(n: int) -> str:
    bsn = valid_bsn(n)
    pseudonym = bsn_pseudonym(bsn)
    # Only in test memory, never in the database: lets a test log this resident in again.
    _pseudonym_to_bsn[pseudonym] = bsn
    return pseudonym


class ResidentFactory(factory.django.DjangoModelFactory):
    """A DigiD resident: no e-mail, no usable password, keyed on the pseudonym of a test BSN."""

    class Meta:
        model = User

    email = None
    display_name = factory.Faker("name", locale="nl_NL")
    bsn_pseudonym = factory.Sequence(_resident_pseudonym)
    password = factory.LazyFunction(lambda: make_password(None))

    @staticmethod
    def bsn_for(user) -> str:
        return _pseudonym_to_bsn[user.bsn_pseudonym]


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisatie {n}")
    slug = factory.Sequence(lambda n: f"organisatie-{n}")
    kind = Organisation.Kind.STARTUP
    kvk_number = factory.Sequence(valid_kvk)
    website = "https://example.org"
    description = "Wij meten de luchtkwaliteit in de wijk."


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


def user_for_role(role: str, *, organisation: Organisation | None = None, **kwargs):
    """A saved user with exactly the given role (see portal.accounts.roles.ALL_ROLES).

    Returns AnonymousUser for "visitor". A verified resident carries
    `assurance_level = "midden"` in memory, as the DigiD middleware sets it for a request.
    """
    from django.contrib.auth.models import AnonymousUser

    if role == roles.VISITOR:
        return AnonymousUser()
    if role == roles.RESIDENT:
        user = ResidentFactory(**kwargs)
        user.assurance_level = AssuranceLevel.BASIS
        return user
    if role == roles.VERIFIED_RESIDENT:
        user = ResidentFactory(**kwargs)
        user.assurance_level = AssuranceLevel.MIDDEN
        return user
    if role in (roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN):
        membership = MembershipFactory(
            organisation=organisation or OrganisationFactory(),
            user=UserFactory(**kwargs),
            role=Membership.Role.ADMIN
            if role == roles.ORGANISATION_ADMIN
            else Membership.Role.MEMBER,
        )
        return membership.user
    if role in roles.GROUP_NAMES:
        return UserFactory(groups=[role], **kwargs)
    if role == roles.ADMIN:
        return UserFactory(is_staff=True, is_superuser=True, **kwargs)
    raise ValueError(f"unknown role: {role}")


# --- ideas -----------------------------------------------------------------------------------


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ideas.Neighbourhood"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Wijk {n}")
    slug = factory.Sequence(lambda n: f"wijk-{n}")


class IdeaFactory(factory.django.DjangoModelFactory):
    """A published idea by a resident (moderation and counters set directly: for tests that
    need an idea as it stands, not the way it got there; services are tested separately)."""

    class Meta:
        model = "ideas.Idea"

    author = factory.SubFactory(ResidentFactory)
    title = factory.Sequence(lambda n: f"Idee nummer {n} voor de stad")
    body = "Een idee om de buurt groener en veiliger te maken, met bankjes en bomen."
    theme = "living"
    moderation = "published"
    status = "published"
    submitted_at = factory.LazyFunction(timezone.now)
    published_at = factory.LazyAttribute(
        lambda idea: idea.submitted_at if idea.moderation == "published" else None
    )


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ideas.Comment"

    idea = factory.SubFactory(IdeaFactory)
    author = factory.SubFactory(ResidentFactory)
    body = "Goed idee, ik doe mee."
    moderation = "published"
