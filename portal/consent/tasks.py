"""Celery tasks of portal/consent: thin, id-based wrappers around services."""

from celery import shared_task

from portal.consent import services


@shared_task
def consent_withdrawal_effects_task(event_id: int) -> int:
    """Run the withdrawal effects of one consent event; returns the number of outcomes."""
    return len(services.consent_withdrawal_effects_run(event_id=event_id))


@shared_task
def data_export_build_task(export_id: int) -> str | None:
    """Build the ZIP of one data export; returns its status."""
    export = services.data_export_build(export_id=export_id)
    return export.status if export else None


@shared_task
def data_exports_delete_expired_task() -> int:
    """Delete expired data exports and their files (beat, hourly)."""
    return services.data_exports_delete_expired()
