from digid_eherkenning.managers import BaseDigidManager
from django.contrib.auth.base_user import BaseUserManager

from portal.accounts.pseudonyms import bsn_pseudonym


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        email = self.normalize_email(email) if email else None
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class DigidManager(BaseDigidManager):
    """What django-digid-eherkenning's backends call; the BSN becomes a pseudonym at once."""

    def get_by_bsn(self, bsn):
        return self.get(bsn_pseudonym=bsn_pseudonym(bsn))

    def digid_create(self, bsn, **kwargs):
        user = self.model(bsn_pseudonym=bsn_pseudonym(bsn), **kwargs)
        user.set_unusable_password()
        user.save(using=self._db)
        return user
