"""Monthly partitions of the observation store (PostgreSQL only; a no-op elsewhere).

Migration 0002 makes `sensors_observation` a table partitioned by range on `phenomenon_time`
with a DEFAULT partition, so no value is ever refused for want of a partition.
`partitions_ensure` creates `sensors_observation_yYYYYmMM` for the current UTC month and the
next N (and, with `since`, for earlier months too), run monthly by Celery beat
(`sensors.tasks.observation_partitions_task`) or `manage.py sensors_partitions`.

PostgreSQL refuses to create a partition for a range that already has rows in the DEFAULT
partition. When that happens (the job did not run in time, or a backlog for an old month was
uploaded), the rows are moved in one transaction: detach the default partition, create the
month's partition, move the month's rows into it, re-attach the default. This holds an
exclusive lock on the observation table while it runs (ingest waits), which is short when
there are few rows to move; a month without rows in the default needs no move (only a quick
check). The new partition gets the table's indexes (unique key, BRIN on time) and foreign key
automatically.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone

TABLE = "sensors_observation"
DEFAULT = f"{TABLE}_default"


def partition_name(year: int, month: int) -> str:
    return f"{TABLE}_y{year:04d}m{month:02d}"


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _months(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = _next(*current)
    return months


def partitions_existing() -> set[str]:
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        return {row[0] for row in cursor.fetchall()}


def partitions_ensure(*, months_ahead: int = 3, today: date | None = None,
                      since: date | None = None) -> list[str]:
    """Create the missing monthly partitions from `since` (default: this month) up to
    `months_ahead` months after this month; returns the names created. PostgreSQL only."""
    if connection.vendor != "postgresql":
        return []
    today = today or timezone.now().astimezone(UTC).date()
    last = (today.year, today.month)
    for _ in range(max(months_ahead, 0)):
        last = _next(*last)
    first = (since.year, since.month) if since else (today.year, today.month)
    existing = partitions_existing()
    created = []
    for year, month in _months(first, last):
        name = partition_name(year, month)
        if name in existing:
            continue
        _partition_create(year, month)
        created.append(name)
    return created


def _partition_create(year: int, month: int) -> None:
    name = partition_name(year, month)
    start, end = _month_start(year, month), _month_start(*_next(year, month))
    quote = connection.ops.quote_name
    create = (f"CREATE TABLE {quote(name)} PARTITION OF {quote(TABLE)} "
              f"FOR VALUES FROM (%s) TO (%s)")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {quote(DEFAULT)} "  # noqa: S608 - fixed names
            f"WHERE phenomenon_time >= %s AND phenomenon_time < %s)",
            [start, end],
        )
        if not cursor.fetchone()[0]:
            cursor.execute(create, [start, end])
            return
        # Rows for this month sit in the default partition: move them.
        cursor.execute(f"LOCK TABLE {quote(TABLE)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"ALTER TABLE {quote(TABLE)} DETACH PARTITION {quote(DEFAULT)}")
        cursor.execute(create, [start, end])
        cursor.execute(
            f"WITH moved AS (DELETE FROM {quote(DEFAULT)} "  # noqa: S608 - fixed names
            f"WHERE phenomenon_time >= %s AND phenomenon_time < %s RETURNING *) "
            f"INSERT INTO {quote(name)} SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(f"ALTER TABLE {quote(TABLE)} ATTACH PARTITION {quote(DEFAULT)} DEFAULT")
