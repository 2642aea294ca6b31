"""Writes of portal/core: notifications and notification preferences.

Every app notifies people through `notification_send`; e-mail goes out through Celery tasks
(`portal.core.tasks`) that call back into the services below.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from portal.core.models import Notification, NotificationPreference

logger = logging.getLogger(__name__)

Frequency = NotificationPreference.EmailFrequency


def _validate_internal_url(url: str) -> None:
    if not url:
        return
    if not url.startswith("/") or url.startswith("//") or not url_has_allowed_host_and_scheme(
        url, allowed_hosts=None
    ):
        raise ValidationError(
            _("A notification link must be a path on this site, starting with /."),
            code="external_url",
        )


def _email_frequency(user) -> str:
    preference = NotificationPreference.objects.filter(user=user).only("email_frequency").first()
    return preference.email_frequency if preference else Frequency.IMMEDIATELY


def notification_send(*, recipient, kind: str, title: str, body: str = "", url: str = ""):
    """Create an in-site notification; e-mail it at once if the recipient wants that.

    The e-mail is queued after the surrounding transaction commits, so the worker always finds
    the row. Residents logged in with DigiD usually have no e-mail address: they only get the
    in-site notification.
    """
    _validate_internal_url(url)
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=str(title)[:200], body=str(body), url=url
    )
    if recipient.email and _email_frequency(recipient) == Frequency.IMMEDIATELY:
        from portal.core.tasks import notification_email_send_task

        transaction.on_commit(lambda: notification_email_send_task.delay(notification.pk))
    return notification


def notification_mark_read(*, notification: Notification, user, now: datetime | None = None):
    """Mark one of `user`'s notifications read. Someone else's notification is refused."""
    if notification.recipient_id != user.pk:
        raise PermissionError("A notification can only be marked read by its recipient.")
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user, now: datetime | None = None) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


def notification_preference_set(*, user, email_frequency: str) -> NotificationPreference:
    if email_frequency not in Frequency.values:
        raise ValidationError(
            _("Choose one of the offered e-mail options."), code="invalid_choice"
        )
    preference, created = NotificationPreference.objects.get_or_create(
        user=user, defaults={"email_frequency": email_frequency}
    )
    if not created and preference.email_frequency != email_frequency:
        preference.email_frequency = email_frequency
        preference.changed_at = timezone.now()
        preference.save(update_fields=["email_frequency", "changed_at"])
    return preference


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send_plain_email(*, to: str, subject: str, template: str, context: dict) -> None:
    """Render a plain-text e-mail in the site language (Dutch) and send it."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            **context,
            "site_url": settings.SITE_URL.rstrip("/"),
            "preferences_url": _absolute(reverse("notification-preferences")),
        }
        body = render_to_string(template, context)
        subject = " ".join(str(subject).split())  # no newlines in a header
        subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}"
    EmailMessage(subject=subject, body=body, to=[to]).send(fail_silently=False)


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification to its recipient. Idempotent: True only when an e-mail was sent.

    Runs in a worker. The row lock makes a duplicate task (acks_late redelivery) wait and then
    see `emailed_at`, so one notification is e-mailed at most once per successful send.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        recipient = notification.recipient
        # The preference may have changed between queueing and sending.
        if not recipient.email or _email_frequency(recipient) != Frequency.IMMEDIATELY:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            subject = notification.title
        _send_plain_email(
            to=recipient.email,
            subject=subject,
            template="core/email/notification.txt",
            context={
                "notification": notification,
                "link": _absolute(notification.url) if notification.url else "",
            },
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def notifications_send_daily_digests(*, now: datetime | None = None) -> int:
    """One e-mail per user with preference "daily", listing notifications not yet e-mailed.

    Idempotent: each notification is marked `digest_sent_at`, so a second run sends nothing new.
    Returns the number of e-mails sent.
    """
    now = now or timezone.now()
    preference_ids = list(
        NotificationPreference.objects.filter(
            email_frequency=Frequency.DAILY, user__is_active=True, user__email__isnull=False
        )
        .exclude(user__email="")
        .values_list("pk", flat=True)
    )
    sent = 0
    first_error = None
    for preference_id in preference_ids:
        try:
            if _digest_send_one(preference_id=preference_id, now=now):
                sent += 1
        except Exception as error:
            # One failing address must not stop everyone else's digest.
            logger.exception("daily digest failed for preference %s", preference_id)
            first_error = first_error or error
    if first_error is not None:
        # Let the task retry: the digests already sent are marked, so only failed ones go again.
        raise first_error
    return sent


def _digest_send_one(*, preference_id: int, now: datetime) -> bool:
    with transaction.atomic():
        preference = (
            NotificationPreference.objects.select_for_update()
            .select_related("user")
            .get(pk=preference_id)
        )
        if preference.email_frequency != Frequency.DAILY or not preference.user.email:
            return False
        notifications = list(
            Notification.objects.filter(
                recipient=preference.user,
                emailed_at__isnull=True,
                digest_sent_at__isnull=True,
                created_at__gte=preference.changed_at,
                created_at__lte=now,
            ).order_by("created_at", "id")
        )
        if not notifications:
            return False
        _send_plain_email(
            to=preference.user.email,
            subject=_("Your notifications of today"),
            template="core/email/digest.txt",
            context={
                "notifications": [
                    {"notification": n, "link": _absolute(n.url) if n.url else ""}
                    for n in notifications
                ],
                "count": len(notifications),
            },
        )
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
            digest_sent_at=now
        )
        preference.last_digest_at = now
        preference.save(update_fields=["last_digest_at"])
    return True
