"""Celery tasks of the SensorThings pull importer (`sensors.importer`). Beat runs
`sta_import_all_task` (e.g. hourly: Samen Meten publishes hourly values); it queues one
`sta_import_source_task` per enabled source."""

from celery import shared_task

from sensors.importer import ImportBusy, SourceError, SourceUnavailable, source_import
from sensors.models import ImportSource

# Stop asking for new pages well before Celery's soft time limit (CELERY_TASK_SOFT_TIME_LIMIT);
# the next run goes on where this one stopped.
TIME_BUDGET_SECONDS = 120


@shared_task(name="sensors.import_tasks.sta_import_source_task")
def sta_import_source_task(source_id: int) -> str:
    """Import what is new at one source. A source that is down is recorded on the source
    (`last_error`) and tried again at the next scheduled run, not retried here."""
    source = ImportSource.objects.filter(pk=source_id, enabled=True).select_related(
        "project").first()
    if source is None:
        return "no such enabled source"
    try:
        return str(source_import(source=source, time_budget=TIME_BUDGET_SECONDS))
    except (SourceUnavailable, SourceError, ImportBusy) as error:
        return f"not imported: {error}"


@shared_task(name="sensors.import_tasks.sta_import_all_task")
def sta_import_all_task() -> int:
    ids = list(ImportSource.objects.filter(enabled=True).values_list("pk", flat=True))
    for source_id in ids:
        sta_import_source_task.delay(source_id)
    return len(ids)
