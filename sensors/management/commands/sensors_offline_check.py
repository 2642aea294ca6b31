"""manage.py sensors_offline_check

What the Celery beat task does every 15 minutes: tell the owners of kits that went quiet,
once per silence (see sensors/offline.py).
"""

from django.core.management.base import BaseCommand

from sensors.offline import kits_offline_notify


class Command(BaseCommand):
    help = "Notify owners of sensor kits that stopped sending data (once per silence)."

    def handle(self, *args, **options):
        sent = kits_offline_notify()
        self.stdout.write(self.style.SUCCESS(f"{sent} owner notification(s) sent."))
