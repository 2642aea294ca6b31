"""manage.py import_algorithms <file> --as <email> [--dry-run] [--format csv|json]

Imports algorithm records from a JSON or CSV file in the national publication standard's format
as drafts, with the same checks and the same service as the import page
(`registry.imports.algorithms_import`): all or nothing. Exits with an error (status 1) and one
line per problem when the file has any problem.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from registry.imports import FORMATS, MAX_BYTES, algorithms_import


class Command(BaseCommand):
    help = "Import algorithm records (national publication standard, JSON or CSV) as drafts."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a .json or .csv file.")
        parser.add_argument("--as", dest="email", required=True,
                            help="E-mail address of the civil servant who imports.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Only check the file; import nothing.")
        parser.add_argument("--format", choices=FORMATS, default=None,
                            help="csv or json (default: from the file name).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = get_user_model().objects.filter(email__iexact=options["email"],
                                               is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with e-mail address {options['email']}")
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        try:
            result = algorithms_import(by=user, file=data, fmt=options["format"],
                                       filename=path.name, dry_run=options["dry_run"])
        except PermissionDenied as error:
            raise CommandError(f"{options['email']} may not add algorithms.") from error
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(result.problems)} problem(s) in {path.name}; nothing was imported."
            )
        if result.dry_run:
            self.stdout.write(self.style.SUCCESS(
                f"{len(result.rows)} record(s) ready to import; nothing was imported (dry run)."
            ))
            return
        for created in result.created:
            self.stdout.write(f"row {created.row}: {created.algorithm.slug} ({created.name})")
        self.stdout.write(self.style.SUCCESS(f"{len(result.created)} draft(s) created."))
