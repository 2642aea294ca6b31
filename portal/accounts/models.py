from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.managers import DigidManager, UserManager


class User(AbstractBaseUser, PermissionsMixin):
    """One account type for everyone.

    Residents log in with DigiD and are keyed on `bsn_pseudonym` (HMAC of the BSN; the BSN is
    never stored). Organisation members and staff log in with a verified e-mail address.
    """

    email = models.EmailField(_("e-mail address"), unique=True, null=True, blank=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    bsn_pseudonym = models.CharField(
        _("DigiD pseudonym"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()
    digid_objects = DigidManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_short_name()

    @property
    def is_resident(self) -> bool:
        return self.bsn_pseudonym is not None

    def get_full_name(self):
        return self.get_short_name()

    def get_short_name(self):
        if self.display_name:
            return self.display_name
        # A resident's e-mail address is for notifications only, never a name others see.
        if self.email and not self.is_resident:
            return self.email
        return str(_("Resident"))


kvk_number_validator = RegexValidator(
    regex=r"^[0-9]{8}\Z",
    message=_("A KvK number consists of exactly 8 digits, for example 12345678."),
    code="invalid_kvk_number",
)


class Organisation(models.Model):
    """A startup, SME, knowledge institution or NGO taking part in the portal."""

    class Kind(models.TextChoices):
        STARTUP = "startup", _("Startup")
        SME = "mkb", _("SME (mkb)")
        KNOWLEDGE_INSTITUTION = "knowledge_institution", _("Knowledge institution")
        NGO = "ngo", _("Non-profit organisation")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    kvk_number = models.CharField(
        _("KvK number"),
        max_length=8,
        unique=True,
        validators=[kvk_number_validator],
        error_messages={"unique": _("An organisation with this KvK number is already registered.")},
        help_text=_("The 8-digit number in the Dutch Chamber of Commerce (KvK) register."),
    )
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    members = models.ManyToManyField(
        User, through="Membership", related_name="organisations", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:organisation_detail", kwargs={"slug": self.slug})


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        MEMBER = "member", _("Member")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation", "user__display_name", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="accounts_membership_unique_user"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"
