"""Celery tasks of portal/core: thin, id-based wrappers around services.

Queued with `transaction.on_commit` by the services. SMTP and network errors are retried with
backoff; the services are idempotent, so a retry or redelivery never e-mails twice.
"""

import smtplib

from celery import shared_task

from portal.core import services

RETRY_ON = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    autoretry_for=RETRY_ON, retry_backoff=30, retry_backoff_max=30 * 60, max_retries=8
)
def notification_email_send_task(notification_id: int) -> bool:
    return services.notification_email_send(notification_id=notification_id)


@shared_task(autoretry_for=RETRY_ON, retry_backoff=60, max_retries=5)
def notifications_send_daily_digests_task() -> int:
    return services.notifications_send_daily_digests()
