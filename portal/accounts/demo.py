"""Demo accounts: one e-mail user per staff role and three organisations with members.

Idempotent: natural keys (e-mail address, organisation slug) and update_or_create; a password is
only re-hashed when it no longer matches. Residents come from the DigiD mock, not from here.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured

from portal.accounts import roles
from portal.accounts.models import Membership, Organisation, User

# Public on purpose: the demo runs only with the DigiD mock, i.e. never in production.
DEMO_PASSWORD = "Stadsmakers!2026"  # noqa: S105
DOMAIN = "demo.stadsmakers.nl"

STAFF = [
    # e-mail local part, display name, group (None for the superuser)
    ("moderator", "Mirjam Smit (moderator)", roles.MODERATOR),
    ("ambtenaar", "Daan Hendriks (gemeente)", roles.CIVIL_SERVANT),
    ("jury", "Prof. Ingrid Kok (jury)", roles.JURY_MEMBER),
    ("raad", "Yusuf Demir (gemeenteraad)", roles.COUNCIL_MEMBER),
    ("admin", "Beheerder Stadsmakers", None),
]

ORGANISATIONS = [
    {
        "slug": "luchtpeil-zwolle",
        "name": "Luchtpeil Zwolle B.V.",
        "kind": Organisation.Kind.STARTUP,
        "kvk_number": "84219563",
        "website": "https://luchtpeil.example",
        "description": (
            "Startup uit Zwolle die goedkope fijnstof- en stikstofsensoren ontwikkelt voor "
            "bewoners, scholen en de gemeente. Wij maken meetdata open en begrijpelijk."
        ),
        "members": [
            ("luchtpeil", "Eva Mulder", Membership.Role.ADMIN),
            ("luchtpeil.data", "Sem Verhoeven", Membership.Role.MEMBER),
        ],
    },
    {
        "slug": "lectoraat-sensordata-leefomgeving",
        "name": "Hogeschool IJsselland – lectoraat Sensordata en Leefomgeving",
        "kind": Organisation.Kind.KNOWLEDGE_INSTITUTION,
        "kvk_number": "41029837",
        "website": "https://hogeschool-ijsselland.example/lectoraat-sensordata",
        "description": (
            "Het lectoraat onderzoekt met studenten en bewoners hoe burgermetingen betrouwbaar "
            "worden, en hoe de gemeente er beleid op kan maken."
        ),
        "members": [
            ("lectoraat", "Dr. Noor Bakker", Membership.Role.ADMIN),
            ("lectoraat.student", "Jesse de Graaf", Membership.Role.MEMBER),
        ],
    },
    {
        "slug": "van-dijk-installatietechniek",
        "name": "Van Dijk Installatietechniek",
        "kind": Organisation.Kind.SME,
        "kvk_number": "05083921",
        "website": "https://vandijk-installatie.example",
        "description": (
            "Familiebedrijf (mkb) dat sensoren, zonnepanelen en ventilatie installeert bij "
            "woningen en buurthuizen in de regio."
        ),
        "members": [
            ("vandijk", "Gert van Dijk", Membership.Role.ADMIN),
        ],
    },
]


def _demo_user(local_part: str, display_name: str, **flags) -> User:
    email = f"{local_part}@{DOMAIN}"
    user, _ = User.objects.update_or_create(
        email=email, defaults={"display_name": display_name, "is_active": True, **flags}
    )
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def load() -> str:
    if settings.DIGID_MODE != "mock":
        # The demo accounts share a published password: never on a real site.
        raise ImproperlyConfigured("Demo accounts are only loaded with DIGID_MODE=mock.")
    for local_part, name, group_name in STAFF:
        if group_name is None:
            _demo_user(local_part, name, is_staff=True, is_superuser=True)
        else:
            user = _demo_user(local_part, name, is_staff=False, is_superuser=False)
            user.groups.add(Group.objects.get_or_create(name=group_name)[0])

    member_count = 0
    for data in ORGANISATIONS:
        data = dict(data)
        members = data.pop("members")
        organisation, _ = Organisation.objects.update_or_create(
            slug=data.pop("slug"), defaults=data
        )
        for local_part, name, role in members:
            user = _demo_user(local_part, name, is_staff=False, is_superuser=False)
            Membership.objects.update_or_create(
                organisation=organisation, user=user, defaults={"role": role}
            )
            member_count += 1

    return (
        f"{len(STAFF)} staff accounts, {len(ORGANISATIONS)} organisations with {member_count} "
        f"members; e-mail login …@{DOMAIN}, password {DEMO_PASSWORD}"
    )
