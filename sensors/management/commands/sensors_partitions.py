"""manage.py sensors_partitions [--months-ahead N] [--since YYYY-MM]

Creates the monthly partitions `sensors_observation_yYYYYmMM` of the observation store for
the current UTC month and the next N months (default 3), and with --since also for earlier
months, moving their rows out of the DEFAULT partition (see sensors/partitions.py).
PostgreSQL only: on other databases it does nothing.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from sensors.partitions import partitions_ensure


def _month(value: str) -> date:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError as error:
        raise CommandError(f"Not a month (YYYY-MM): {value}") from error


class Command(BaseCommand):
    help = "Create monthly partitions of the sensor observation table (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--months-ahead", type=int, default=3,
                            help="Months after the current one (default 3).")
        parser.add_argument("--since", help="Also create partitions from this month (YYYY-MM).")

    def handle(self, *args, **options):
        if options["months_ahead"] < 0:
            raise CommandError("--months-ahead cannot be negative.")
        if connection.vendor != "postgresql":
            self.stdout.write(f"Nothing to do: partitions are a PostgreSQL feature "
                              f"(database: {connection.vendor}).")
            return
        created = partitions_ensure(
            months_ahead=options["months_ahead"],
            since=_month(options["since"]) if options["since"] else None,
        )
        for name in created:
            self.stdout.write(f"created {name}")
        self.stdout.write(self.style.SUCCESS(f"{len(created)} partition(s) created."))
