from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
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
        if self.email:
            return self.email
        return str(_("Resident"))
