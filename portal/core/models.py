"""Shared models: notifications (in-site, with optional e-mail) and their preferences."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one user, shown in the site and (depending on preference) e-mailed.

    `public_id` is the id used in URLs and the API; the sequential pk never leaves the server.
    """

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.SlugField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(
        _("link"), max_length=500, blank=True, help_text=_("An internal path, such as /ideeen/1/.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    digest_sent_at = models.DateTimeField(_("sent in digest at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="core_notif_recipient_created"),
            models.Index(fields=["recipient", "read_at"], name="core_notif_recipient_read"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    class EmailFrequency(models.TextChoices):
        IMMEDIATELY = "immediately", _("Immediately, one e-mail per notification")
        DAILY = "daily", _("Once a day, in one summary e-mail")
        OFF = "off", _("Never: only show them on the site")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    email_frequency = models.CharField(
        _("e-mail frequency"),
        max_length=16,
        choices=EmailFrequency.choices,
        default=EmailFrequency.IMMEDIATELY,
    )
    # Daily digests list only notifications created after this moment, so switching from "off"
    # to "daily" does not suddenly e-mail a backlog.
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    last_digest_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"{self.user}: {self.get_email_frequency_display()}"
