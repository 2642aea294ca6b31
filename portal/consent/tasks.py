"""Celery tasks of portal/consent: thin, id-based wrappers around services."""

from celery import shared_task

from portal.consent import services


@shared_task
def consent_withdrawal_effects_task(event_id: int) -> int:
    """Run the withdrawal effects of one consent event; returns the number of outcomes."""
    return len(services.consent_withdrawal_effects_run(event_id=event_id))
