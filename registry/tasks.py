"""Celery tasks of the registers: thin, id-based wrappers around services.

Queued with `transaction.on_commit` by the services.
"""

from celery import shared_task

from registry import services
from registry.models import Evaluation


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=30, max_retries=5)
def pilot_followers_notify_task(evaluation_id: int) -> int:
    evaluation = Evaluation.objects.filter(pk=evaluation_id).first()
    if evaluation is None:
        return 0
    return services.pilot_followers_notify(evaluation=evaluation)
