"""Consent: purposes, versioned consent texts, and the append-only consent ledger.

The ledger (`ConsentEvent`) is never updated or deleted: its QuerySet refuses `update()`,
`delete()` and `bulk_update()`, and the model refuses to save an existing row or delete one.
The current state of a purpose for a person is the latest event (see selectors.py); it is never
stored a second time. A published `ConsentText` is immutable in the same way.
"""

import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a row of an append-only table."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: update refused")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: delete refused")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: bulk_update refused")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: update refused")


class Purpose(models.Model):
    """An optional purpose that people may give consent for, owned by one app."""

    code = models.SlugField(_("code"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("description"), help_text=_("In plain language (B1): what this is about.")
    )
    owner_app = models.CharField(
        _("owning app"),
        max_length=50,
        help_text=_("The app label that uses this consent, for example sensors or ideas."),
    )
    what_is_processed = models.TextField(_("what is processed"))
    retention = models.CharField(_("how long it is kept"), max_length=300)
    legal_basis = models.CharField(
        _("legal basis"), max_length=200, default="Toestemming (AVG artikel 6 lid 1a)"
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        ordering = ["title"]

    def __str__(self):
        return self.title


class ConsentTextQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(published_at__isnull=False).exists():
            raise AppendOnlyError("a published consent text cannot be changed")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(published_at__isnull=False).exists():
            raise AppendOnlyError("a published consent text cannot be deleted")
        return super().delete()

    def bulk_update(self, objs, fields, batch_size=None):
        if self.filter(pk__in=[o.pk for o in objs], published_at__isnull=False).exists():
            raise AppendOnlyError("a published consent text cannot be changed")
        return super().bulk_update(objs, fields, batch_size=batch_size)


class ConsentText(models.Model):
    """One version of the text people agree to. Published by `consent_text_publish` only."""

    purpose = models.ForeignKey(
        Purpose, on_delete=models.PROTECT, related_name="texts", verbose_name=_("purpose")
    )
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("text"))
    sha256 = models.CharField(_("SHA-256 of the text"), max_length=64, editable=False)
    material_change = models.BooleanField(
        _("material change"),
        default=True,
        help_text=_("People who agreed to an older version are asked again."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
        editable=False,
    )

    objects = ConsentTextQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "version"], name="consent_text_unique_version"
            )
        ]

    def __str__(self):
        return f"{self.purpose} v{self.version}"

    def save(self, *args, **kwargs):
        # Invariant, not business logic: a published text never changes.
        if self.pk is not None and type(self).objects.filter(
            pk=self.pk, published_at__isnull=False
        ).exists():
            raise AppendOnlyError("a published consent text cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.published_at is not None:
            raise AppendOnlyError("a published consent text cannot be deleted")
        return super().delete(*args, **kwargs)


class ConsentEvent(models.Model):
    """One grant or withdrawal: the proof of consent (GDPR art. 7(1)). Append-only."""

    class Action(models.TextChoices):
        GRANT = "grant", _("Consent given")
        WITHDRAW = "withdraw", _("Consent withdrawn")

    class Method(models.TextChoices):
        WEB = "web", _("Web form")
        API = "api", _("API")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    purpose = models.ForeignKey(
        Purpose, on_delete=models.PROTECT, related_name="events", verbose_name=_("purpose")
    )
    text = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, related_name="events", verbose_name=_("text")
    )
    subject_pseudonym = models.CharField(_("pseudonym of the person"), max_length=64,
                                         db_index=True)
    # SET_NULL: the ledger survives the deletion of the account (the pseudonym stays).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_events",
        verbose_name=_("user"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    assurance_level = models.CharField(
        _("DigiD level of assurance"), max_length=20, null=True, blank=True
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "purpose", "-created_at"],
                         name="consent_event_user_purpose"),
        ]

    def __str__(self):
        return f"{self.get_action_display()}: {self.purpose_id} ({self.created_at:%Y-%m-%d})"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("consent events are append-only: an event cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("consent events are append-only: an event cannot be deleted")


class WithdrawalEffectRun(models.Model):
    """The outcome of one withdrawal effect (registered by the owning app) for one withdrawal."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(
        ConsentEvent, on_delete=models.PROTECT, related_name="effect_runs",
        verbose_name=_("withdrawal"),
    )
    effect_name = models.CharField(_("effect"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    message = models.TextField(_("message"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), default=timezone.now)

    class Meta:
        verbose_name = _("withdrawal effect run")
        verbose_name_plural = _("withdrawal effect runs")
        ordering = ["finished_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "effect_name"],
                                    name="consent_effect_run_unique"),
        ]

    def __str__(self):
        return f"{self.effect_name}: {self.get_status_display()}"


class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT (read when used, so tests can point it elsewhere): never
    under MEDIA_ROOT or static files, served only through views that check ownership."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateStorage()


def export_upload_to(instance, filename):
    # One flat file per export (no directories left behind when it is deleted).
    return f"exports/{instance.public_id}.zip"


class DataExport(models.Model):
    """One "download all my data" request: a ZIP built by a Celery task, valid for 7 days."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being made")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports",
        verbose_name=_("user"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    file = models.FileField(_("file"), storage=private_storage, upload_to=export_upload_to,
                            blank=True, max_length=300)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="pending"),
                name="consent_one_pending_export_per_user",
            ),
        ]

    def __str__(self):
        return f"{self.public_id} ({self.get_status_display()})"

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class PersonalDataAccess(models.Model):
    """Staff looked at a person's personal data. The person sees the role, never the name."""

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("viewer"),
    )
    viewer_role = models.CharField(_("role of the viewer"), max_length=50)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_data_accesses",
        verbose_name=_("person"),
    )
    what = models.CharField(_("what"), max_length=100)
    at = models.DateTimeField(_("time"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "-at"], name="consent_access_subject_at")]

    def __str__(self):
        return f"{self.viewer_role}: {self.what} ({self.at:%Y-%m-%d %H:%M})"
