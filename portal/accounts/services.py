"""Writes for organisations and memberships. Every function is keyword-only."""

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from portal.accounts.models import Membership, Organisation, User

ORGANISATION_EDITABLE_FIELDS = ("name", "kind", "kvk_number", "website", "description")


def _unique_slug(name: str, *, exclude_pk=None) -> str:
    base = slugify(name)[:200] or "organisatie"
    slug, counter = base, 2
    existing = Organisation.objects.all()
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    while existing.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


def _save_organisation(organisation: Organisation) -> None:
    """full_clean, then save; a KvK number taken in the meantime becomes a ValidationError."""
    organisation.full_clean()
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError as error:
        raise ValidationError(
            {"kvk_number": Organisation._meta.get_field("kvk_number").error_messages["unique"]}
        ) from error


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


@transaction.atomic
def organisation_create(
    *,
    creator: User,
    name: str,
    kind: str,
    kvk_number: str,
    website: str = "",
    description: str = "",
) -> Organisation:
    """Create an organisation; its creator becomes its first administrator."""
    _require(creator, "accounts.add_organisation")
    organisation = Organisation(
        name=name.strip(),
        slug=_unique_slug(name),
        kind=kind,
        kvk_number=kvk_number.strip(),
        website=website,
        description=description,
    )
    _save_organisation(organisation)
    Membership.objects.create(
        organisation=organisation, user=creator, role=Membership.Role.ADMIN
    )
    return organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, by: User, **changes) -> Organisation:
    """Change the profile fields of an organisation. The slug stays stable."""
    _require(by, "accounts.change_organisation", organisation)
    unknown = set(changes) - set(ORGANISATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(organisation, field, value.strip() if field in {"name", "kvk_number"} else value)
    _save_organisation(organisation)
    return organisation


def _verified_email_user(email: str) -> User:
    address = (
        EmailAddress.objects.filter(email__iexact=email.strip(), verified=True)
        .select_related("user")
        .first()
    )
    if address is None or not address.user.is_active:
        raise ValidationError(
            _(
                "There is no account with a confirmed e-mail address %(email)s. Ask this person "
                "to sign up and confirm their e-mail address first."
            ),
            params={"email": email},
            code="unknown_email",
        )
    return address.user


@transaction.atomic
def membership_add(
    *, organisation: Organisation, by: User, email: str, role: str = Membership.Role.MEMBER
) -> Membership:
    """Add an existing account with a verified e-mail address to an organisation."""
    _require(by, "accounts.manage_organisation_members", organisation)
    if role not in Membership.Role.values:
        raise ValidationError(_("Choose a valid role."), code="invalid_role")
    user = _verified_email_user(email)
    if organisation.memberships.filter(user=user).exists():
        raise ValidationError(
            _("%(email)s is already a member of this organisation."),
            params={"email": email},
            code="already_member",
        )
    return Membership.objects.create(organisation=organisation, user=user, role=role)


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    """Remove a member. The last administrator of an organisation cannot be removed."""
    organisation = membership.organisation
    _require(by, "accounts.manage_organisation_members", organisation)
    # Lock the organisation's memberships so two admins cannot remove each other at once.
    admins = list(
        Membership.objects.select_for_update()
        .filter(organisation=organisation, role=Membership.Role.ADMIN)
        .values_list("pk", flat=True)
    )
    if membership.role == Membership.Role.ADMIN and admins == [membership.pk]:
        raise ValidationError(
            _(
                "This is the last administrator of the organisation. Make another member "
                "administrator first."
            ),
            code="last_admin",
        )
    membership.delete()


@transaction.atomic
def membership_change_role(*, membership: Membership, by: User, role: str) -> Membership:
    """Make a member administrator or the reverse; the last administrator stays one."""
    organisation = membership.organisation
    _require(by, "accounts.manage_organisation_members", organisation)
    if role not in Membership.Role.values:
        raise ValidationError(_("Choose a valid role."), code="invalid_role")
    admins = list(
        Membership.objects.select_for_update()
        .filter(organisation=organisation, role=Membership.Role.ADMIN)
        .values_list("pk", flat=True)
    )
    if role != Membership.Role.ADMIN and admins == [membership.pk]:
        raise ValidationError(
            _(
                "This is the last administrator of the organisation. Make another member "
                "administrator first."
            ),
            code="last_admin",
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def user_display_name_set(*, user: User, display_name: str) -> User:
    """Change the name others see. Empty is allowed: the account then shows as "Resident"."""
    display_name = " ".join(display_name.split())
    try:
        User._meta.get_field("display_name").clean(display_name, user)
    except ValidationError as error:
        raise ValidationError({"display_name": error.messages}) from error
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user
