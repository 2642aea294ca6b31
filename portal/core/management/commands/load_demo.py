"""Load realistic Dutch demo content. Idempotent: running it twice changes nothing.

Each app contributes a `demo.py` module with a `load()` function; they run in dependency order.
"""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_MODULES = [
    "portal.accounts.demo",
    "portal.consent.demo",
    "registry.demo",
    # Before the ideas: the ideas demo links an idea to the heat challenge.
    "challenges.demo",
    "portal.ideas.demo",
    "sensors.demo",
]


class Command(BaseCommand):
    help = "Load (or refresh) the demo data. Safe to run repeatedly."

    def handle(self, *args, **options):
        with transaction.atomic():
            for module_name in DEMO_MODULES:
                summary = import_module(module_name).load()
                self.stdout.write(f"{module_name}: {summary}")
        self.stdout.write(self.style.SUCCESS("demo data loaded"))
