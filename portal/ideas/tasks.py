"""Celery tasks of ideas: thin, id-based wrappers around services, queued on commit."""

from celery import shared_task

from portal.ideas import services
from portal.ideas.models import IdeaEvent


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=30, max_retries=5)
def idea_status_notify_task(event_id: int) -> int:
    event = IdeaEvent.objects.select_related("idea").filter(pk=event_id).first()
    if event is None:
        return 0
    return services.idea_status_notify(event=event)
