"""Writes for organisations, memberships and the own account. Every function is keyword-only."""

from datetime import timedelta
from urllib.parse import urlsplit

import rules
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
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


# --- a resident's e-mail address for notifications -------------------------------------------
#
# Residents log in with DigiD and have no e-mail address; they may add one so that
# notifications reach them by e-mail. The address waits, unconfirmed, in allauth's EmailAddress
# table (verified=False) until the resident opens the signed link we mail to it; only then is
# it copied to `User.email`, which is what `notification_send` mails. The EmailAddress rows are
# removed again at confirmation: a resident's address is for notifications only, so allauth
# (membership by e-mail, password reset) never treats it as a verified login address.

RESIDENT_EMAIL_PERMISSION = "accounts.set_notification_email"
RESIDENT_EMAIL_SALT = "portal.accounts.resident_email"
RESIDENT_EMAIL_MAX_AGE = timedelta(days=3)


def _require_resident(user) -> None:
    # rules.has_perm, not user.has_perm: an admin has a login address of their own.
    if not rules.has_perm(RESIDENT_EMAIL_PERMISSION, user):
        raise PermissionDenied(
            _("Only residents who log in with DigiD can add an e-mail address here.")
        )


def _normalise_email(email: str) -> str:
    # allauth stores addresses in lower case; so do we, so that uniqueness holds across both.
    return (email or "").strip().lower()


def _email_in_use_by_another(*, user: User, email: str) -> bool:
    return (
        User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
        or EmailAddress.objects.filter(email__iexact=email, verified=True)
        .exclude(user_id=user.pk)
        .exists()
    )


def _in_use_error() -> ValidationError:
    # Never say whose account it is.
    return ValidationError({"email": ValidationError(
        _("This e-mail address is already used by another account. Use a different address."),
        code="email_in_use",
    )})


def resident_email_pending(*, user: User) -> str | None:
    """The address waiting for confirmation, if any."""
    address = (
        EmailAddress.objects.filter(user_id=user.pk, verified=False)
        .exclude(email__iexact=user.email or "")
        .order_by("-pk")
        .first()
    )
    return address.email if address else None


def resident_email_token(*, user: User, email: str) -> str:
    """The signed token in the confirmation link: this user, this address, valid for 3 days."""
    return signing.TimestampSigner(salt=RESIDENT_EMAIL_SALT).sign_object(
        {"u": user.pk, "e": email}
    )


def _resident_email_send_link(*, user: User, email: str) -> None:
    token = resident_email_token(user=user, email=email)
    site_url = settings.SITE_URL.rstrip("/")
    link = site_url + reverse("accounts:resident_email_confirm", kwargs={"token": token})
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "accounts/email/resident_email_confirm.txt",
            {
                "link": link,
                "site_url": site_url,
                "site_domain": urlsplit(site_url).netloc,
                "days": RESIDENT_EMAIL_MAX_AGE.days,
            },
        )
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _(
            "Confirm your e-mail address for notifications"
        )
    EmailMessage(subject=subject, body=body, to=[email]).send(fail_silently=False)


def resident_email_request(*, user: User, email: str) -> str:
    """Ask for `email` as the resident's notification address: store it unconfirmed and mail
    it a confirmation link. `User.email` does not change until the link is opened.

    Raises ValidationError on `email` (invalid, already the resident's own, or in use by
    another account) and PermissionDenied for anyone but a resident. Returns the address.
    """
    _require_resident(user)
    email = _normalise_email(email)
    if not email:
        raise ValidationError(
            {"email": ValidationError(_("Enter an e-mail address."), code="required")}
        )
    try:
        User._meta.get_field("email").run_validators(email)  # format and length
    except ValidationError as error:
        raise ValidationError({"email": error.error_list}) from error
    if user.email and user.email.lower() == email:
        raise ValidationError({"email": ValidationError(
            _("This is already your confirmed e-mail address."), code="unchanged"
        )})
    if _email_in_use_by_another(user=user, email=email):
        raise _in_use_error()
    with transaction.atomic():
        # One request at a time: a new address replaces the one still waiting.
        EmailAddress.objects.filter(user_id=user.pk, verified=False).exclude(
            email=email
        ).delete()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": False, "primary": False}
        )
    _resident_email_send_link(user=user, email=email)
    return email


def resident_email_resend(*, user: User) -> str:
    """Mail a fresh confirmation link to the address waiting for confirmation."""
    _require_resident(user)
    email = resident_email_pending(user=user)
    if email is None:
        raise ValidationError(
            _("There is no e-mail address waiting for confirmation. Enter an address first."),
            code="nothing_pending",
        )
    _resident_email_send_link(user=user, email=email)
    return email


def resident_email_confirm(*, user: User, token: str) -> str:
    """Open the confirmation link: the address becomes `User.email`, so notifications are
    e-mailed to it from now on. Returns the address.

    ValidationError (code "expired", "invalid", "superseded" or "email_in_use") for a link that
    cannot be used; PermissionDenied when the link was sent for another account.
    """
    _require_resident(user)
    signer = signing.TimestampSigner(salt=RESIDENT_EMAIL_SALT)
    try:
        payload = signer.unsign_object(token, max_age=RESIDENT_EMAIL_MAX_AGE)
    except signing.SignatureExpired as error:
        raise ValidationError(
            _("This confirmation link has expired: a link works for %(days)s days. "
              "Send a new link from your account page."),
            params={"days": RESIDENT_EMAIL_MAX_AGE.days},
            code="expired",
        ) from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise ValidationError(
            _("This confirmation link is not valid. Check that you opened the whole link "
              "from the e-mail, or send a new link from your account page."),
            code="invalid",
        ) from error
    if not isinstance(payload, dict) or not isinstance(payload.get("e"), str):
        raise ValidationError(_("This confirmation link is not valid."), code="invalid")
    if payload.get("u") != user.pk:
        raise PermissionDenied(
            _("This confirmation link was sent for another account. Log in with the DigiD "
              "of the person who asked for it.")
        )
    email = payload["e"]
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.email and locked.email.lower() == email:
            return locked.email  # opened twice: nothing to do
        if not EmailAddress.objects.filter(user_id=user.pk, email=email).exists():
            raise ValidationError(
                _("This link is no longer valid: since it was sent you have asked for another "
                  "address or removed this one."),
                code="superseded",
            )
        if _email_in_use_by_another(user=user, email=email):
            raise _in_use_error()
        locked.email = email
        try:
            with transaction.atomic():
                locked.save(update_fields=["email"])
        except IntegrityError as error:  # taken by another account in the meantime
            raise _in_use_error() from error
        EmailAddress.objects.filter(user_id=user.pk).delete()
    user.email = email
    return email


@transaction.atomic
def resident_email_remove(*, user: User) -> None:
    """Remove the resident's notification address (confirmed or waiting): no more e-mail."""
    _require_resident(user)
    User.objects.filter(pk=user.pk).update(email=None)
    EmailAddress.objects.filter(user_id=user.pk).delete()
    user.email = None
