"""Celery tasks of the registers: thin, id-based wrappers around services.

Queued with `transaction.on_commit` by the services.
"""

from celery import shared_task

from registry import services
from registry.models import Evaluation, PilotEvent


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=30, max_retries=5)
def pilot_followers_notify_task(evaluation_id: int) -> int:
    evaluation = Evaluation.objects.filter(pk=evaluation_id).first()
    if evaluation is None:
        return 0
    return services.pilot_followers_notify(evaluation=evaluation)


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=30, max_retries=5)
def pilot_status_notify_task(event_id: int) -> int:
    event = PilotEvent.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    return services.pilot_status_followers_notify(event=event)
