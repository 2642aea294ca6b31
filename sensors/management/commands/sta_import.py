"""manage.py sta_import <source> | --all | --list, or create/update a source with
--url/--filter/--project.

Imports what is new from a SensorThings source (an `ImportSource`, e.g. RIVM Samen Meten) with
the same code as the Celery task (`sensors.importer.source_import`). Exits with an error when
the source is down or answers something unusable; nothing already imported is lost.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sensors.importer import (
    MAX_PAGES_PER_STREAM,
    ImportBusy,
    SourceError,
    SourceUnavailable,
    source_import,
)
from sensors.models import ImportSource, Project


class Command(BaseCommand):
    help = "Import new observations from a SensorThings source (see --list)."

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="Name of the import source.")
        parser.add_argument("--all", action="store_true", help="Import every enabled source.")
        parser.add_argument("--list", action="store_true", help="List the sources.")
        parser.add_argument("--url", help="Create or update <source>: its service root, e.g. "
                                          "https://api-samenmeten.rivm.nl/v1.0")
        parser.add_argument("--filter", dest="thing_filter",
                            help="Create or update <source>: the $filter on Things, e.g. "
                                 "\"properties/project eq 'Zwolle'\".")
        parser.add_argument("--project", help="Create or update <source>: our project's slug.")
        parser.add_argument("--backfill-hours", type=int,
                            help="Create or update <source>: hours to fetch on the first run.")
        parser.add_argument("--max-pages", type=int, default=MAX_PAGES_PER_STREAM,
                            help="Pages per datastream in this run (default "
                                 f"{MAX_PAGES_PER_STREAM}); the next run continues.")

    def handle(self, *args, **options):
        if options["list"]:
            return self._list()
        configure = any(options[k] is not None for k in
                        ("url", "thing_filter", "project", "backfill_hours"))
        if options["all"]:
            if options["source"] or configure:
                raise CommandError("--all takes no source name or settings.")
            sources = list(ImportSource.objects.filter(enabled=True).select_related("project"))
            if not sources:
                self.stdout.write("No enabled import sources.")
        elif options["source"]:
            source = (self._configure(options) if configure else
                      ImportSource.objects.filter(name=options["source"]).first())
            if source is None:
                raise CommandError(f"No import source named {options['source']!r} "
                                   "(see --list, or create it with --url and --project).")
            sources = [source]
        else:
            raise CommandError("Name a source, or use --all or --list.")
        failed = 0
        for source in sources:
            try:
                result = source_import(source=source, max_pages=options["max_pages"])
            except (SourceUnavailable, SourceError, ImportBusy) as error:
                failed += 1
                self.stderr.write(self.style.ERROR(f"{source.name}: {error}"))
                continue
            for name, reason in result.skipped:
                self.stdout.write(f"{source.name}: skipped {name}: {reason}")
            self.stdout.write(self.style.SUCCESS(f"{source.name}: {result}"))
        if failed:
            raise CommandError(f"{failed} source(s) could not be imported.")

    def _list(self):
        for source in ImportSource.objects.select_related("project"):
            status = "enabled" if source.enabled else "disabled"
            last = f"{source.last_run_at:%Y-%m-%d %H:%M}" if source.last_run_at else "never"
            error = f"; last error: {source.last_error}" if source.last_error else ""
            self.stdout.write(f"{source.name} ({status}) {source.base_url} "
                              f"[{source.thing_filter}] -> {source.project.slug}; "
                              f"last run {last}{error}")

    def _configure(self, options) -> ImportSource:
        source = ImportSource.objects.filter(name=options["source"]).first() or \
            ImportSource(name=options["source"])
        if options["url"] is not None:
            source.base_url = options["url"].rstrip("/")
        if options["thing_filter"] is not None:
            source.thing_filter = options["thing_filter"]
        if options["backfill_hours"] is not None:
            source.backfill_hours = options["backfill_hours"]
        if options["project"] is not None:
            project = Project.objects.filter(slug=options["project"]).first()
            if project is None:
                raise CommandError(f"No project with slug {options['project']!r}.")
            source.project = project
        try:
            source.full_clean()
        except ValidationError as error:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            raise CommandError(problems) from error
        source.save()
        self.stdout.write(f"Source {source.name} saved.")
        return source
