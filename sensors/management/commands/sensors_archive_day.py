"""manage.py sensors_archive_day [--date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD]
[--project SLUG ...]

Build the daily open-data archive files (sensors/archive.py): one gzip-compressed CSV per
project per UTC day with every raw measurement of its open-data kits. Without dates:
yesterday (what the daily Celery task does). Rebuilding a day replaces its file.
"""

from datetime import UTC, date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError

from sensors.archive import archives_build
from sensors.models import Project


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from error


class Command(BaseCommand):
    help = "Build the daily open-data archive files of the sensor projects."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The UTC day to archive (default: yesterday).")
        parser.add_argument("--from", dest="first", help="First UTC day of a range.")
        parser.add_argument("--to", dest="last", help="Last UTC day of a range (inclusive).")
        parser.add_argument("--project", action="append", dest="projects",
                            help="Only this project (slug; repeatable).")

    def handle(self, *args, date=None, first=None, last=None, projects=None, **options):
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        if date and (first or last):
            raise CommandError("Give --date or --from/--to, not both.")
        if date:
            first = last = _day(date)
        else:
            first = _day(first) if first else yesterday
            last = _day(last) if last else first
        if last < first:
            raise CommandError("--to lies before --from.")
        chosen = Project.objects.order_by("slug")
        if projects:
            chosen = chosen.filter(slug__in=projects)
            missing = set(projects) - set(chosen.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"Unknown project: {', '.join(sorted(missing))}")
        chosen = list(chosen)
        day, written = first, 0
        while day <= last:
            names = archives_build(day=day, projects=chosen)
            written += len(names)
            day += timedelta(days=1)
        self.stdout.write(f"{written} archive file(s) written for {first} – {last}.")
