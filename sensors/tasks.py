"""Celery tasks of the sensors app: thin wrappers around the services, run by beat
(schedules in portal/settings.py `CELERY_BEAT_SCHEDULE`).

- `aggregates_update_task` (every minute): quality flags, calibrated series and hourly/daily
  aggregates for the buckets that received data (`sensors.aggregates`).
- `kits_offline_check_task` (every 15 minutes): tell owners once when their kit went quiet
  (`sensors.offline`).
- `map_feed_refresh_task` (every minute): the public map's GeoJSON feeds, rebuilt into the
  cache so that no visitor's request builds one (`sensors.feeds.map_feed_refresh`).
- `observation_partitions_task` (monthly): monthly partitions of the observation store ahead
  of time, PostgreSQL only (`sensors.partitions`).
"""

import smtplib

from celery import shared_task

RETRY_ON = (ConnectionError, TimeoutError)


@shared_task(autoretry_for=RETRY_ON, retry_backoff=10, max_retries=3)
def aggregates_update_task() -> int:
    """Returns the number of dirty buckets processed."""
    from sensors.aggregates import aggregates_update

    return aggregates_update().claimed


@shared_task(autoretry_for=(*RETRY_ON, smtplib.SMTPException), retry_backoff=60,
             max_retries=3)
def kits_offline_check_task() -> int:
    """Returns the number of owners notified."""
    from sensors.offline import kits_offline_notify

    return kits_offline_notify()


@shared_task(autoretry_for=RETRY_ON, retry_backoff=10, max_retries=1)
def map_feed_refresh_task() -> int:
    """Returns the number of feeds built."""
    from sensors.feeds import map_feed_refresh

    return map_feed_refresh()


@shared_task(autoretry_for=RETRY_ON, retry_backoff=60, max_retries=3)
def observation_partitions_task(months_ahead: int = 3) -> list[str]:
    """Returns the names of the partitions created."""
    from sensors.partitions import partitions_ensure

    return partitions_ensure(months_ahead=months_ahead)


@shared_task(autoretry_for=RETRY_ON, retry_backoff=60, max_retries=3)
def archive_day_task() -> int:
    """Yesterday's open data archive files, one per project (sensors/archive.py)."""
    from sensors.archive import archives_build

    return len(archives_build())


# Celery's autodiscovery imports only `tasks.py`: register the pull importer's tasks too.
from sensors.import_tasks import sta_import_all_task, sta_import_source_task  # noqa: E402, F401
