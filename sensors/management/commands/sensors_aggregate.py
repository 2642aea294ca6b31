"""manage.py sensors_aggregate [--rebuild [--datastream ID ...] [--since YYYY-MM-DD]
[--until YYYY-MM-DD] [--no-quality]] [--batch-size N] [--max-batches N]

Without --rebuild: what the Celery beat task does every minute, until no dirty bucket is
left: quality flags, calibrated series and hourly/daily aggregates of the (datastream, hour)
buckets that received data. With --rebuild: recompute whole datastreams (all, or the given
ones) over a period, e.g. after changing the quality rules or SENSORS_CALIBRATIONS.
"""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from sensors.aggregates import BATCH_SIZE, aggregates_rebuild, aggregates_update


def _day(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as error:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from error


class Command(BaseCommand):
    help = "Update quality flags and hourly/daily aggregates of the sensor observations."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true",
                            help="Recompute whole datastreams instead of the dirty buckets.")
        parser.add_argument("--datastream", type=int, action="append", dest="datastreams",
                            help="With --rebuild: only this datastream id (repeatable).")
        parser.add_argument("--since", help="With --rebuild: from this UTC day (YYYY-MM-DD).")
        parser.add_argument("--until", help="With --rebuild: until this UTC day (exclusive).")
        parser.add_argument("--no-quality", action="store_true",
                            help="Skip the spike/flatline/humidity checks (aggregates only).")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                            help=f"Buckets per batch (default {BATCH_SIZE}).")
        parser.add_argument("--max-batches", type=int, default=None,
                            help="Stop after this many batches (default: until done).")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        check_quality = not options["no_quality"]
        if options["rebuild"]:
            result = aggregates_rebuild(
                datastreams=options["datastreams"],
                since=_day(options["since"]) if options["since"] else None,
                until=_day(options["until"]) if options["until"] else None,
                check_quality=check_quality, batch_hours=options["batch_size"],
            )
        else:
            if options["datastreams"] or options["since"] or options["until"]:
                raise CommandError("--datastream, --since and --until need --rebuild.")
            result = aggregates_update(batch_size=options["batch_size"],
                                       max_batches=options["max_batches"], time_budget=None,
                                       check_quality=check_quality)
        self.stdout.write(self.style.SUCCESS(
            f"{result.batches} batch(es): {result.claimed} dirty bucket(s) taken, "
            f"{result.hours} hour and {result.days} day aggregate(s) recomputed, "
            f"quality flags changed in {result.flags_changed} hour(s)."
        ))
