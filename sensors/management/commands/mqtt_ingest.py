"""manage.py mqtt_ingest [--url mqtt://host:1883] [--once | --max-messages N] ...

Subscribes to the SensorThings v1.1 MQTT topics on the broker (settings.MQTT_URL) and stores
the Observations that arrive (`sensors.mqtt`, docs/sensors-mqtt-and-import.md). Runs until
stopped (SIGTERM or Ctrl-C end it cleanly after the batch in hand is stored), or with --once
until the broker has nothing more, or after --max-messages / --timeout.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sensors.mqtt import Ingester


class Command(BaseCommand):
    help = "Store SensorThings Observations published on the MQTT broker (MQTT_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=None,
                            help="Broker URL (default: settings.MQTT_URL), e.g. "
                                 "mqtt://user:password@127.0.0.1:1883 or mqtts://host:8883.")
        parser.add_argument("--topic-prefix", default=None,
                            help="Only read topics under this prefix (default: "
                                 "settings.MQTT_TOPIC_PREFIX).")
        parser.add_argument("--client-id", default="stadsmakers-mqtt-ingest",
                            help="MQTT client id; give every running ingester its own.")
        parser.add_argument("--clean-session", action="store_true",
                            help="Start without a persistent session: messages published "
                                 "while the ingester was down are not delivered.")
        parser.add_argument("--shared", default="", metavar="GROUP",
                            help="Use the shared subscription $share/GROUP/... so several "
                                 "ingesters split the messages.")
        parser.add_argument("--batch-size", type=int, default=500,
                            help="Store at most this many messages at a time (default 500).")
        parser.add_argument("--batch-ms", type=int, default=200,
                            help="Collect a batch for at most this long (default 200 ms).")
        parser.add_argument("--max-messages", type=int, default=None,
                            help="Stop after this many messages (good or bad).")
        parser.add_argument("--once", action="store_true",
                            help="Stop when no message came for --idle seconds (drains what "
                                 "the broker kept for this client).")
        parser.add_argument("--idle", type=float, default=5.0,
                            help="Seconds without messages that end --once (default 5).")
        parser.add_argument("--timeout", type=float, default=None,
                            help="Stop after this many seconds in any case.")

    def handle(self, *args, **options):
        url = options["url"] if options["url"] is not None else settings.MQTT_URL
        if not url:
            raise CommandError("MQTT ingest is off: set MQTT_URL (e.g. mqtt://127.0.0.1:1883) "
                               "or pass --url.")
        prefix = options["topic_prefix"]
        if prefix is None:
            prefix = settings.MQTT_TOPIC_PREFIX
        if options["batch_size"] < 1 or options["batch_ms"] < 1:
            raise CommandError("--batch-size and --batch-ms must be at least 1.")
        try:
            ingester = Ingester(
                url=url, topic_prefix=prefix, client_id=options["client_id"],
                clean_session=options["clean_session"], share_group=options["shared"],
                batch_size=options["batch_size"], batch_ms=options["batch_ms"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Listening on {ingester.address} for {ingester.topic_filter}")
        previous = self._stop_on_signals(ingester)
        try:
            stats = ingester.run(
                max_messages=options["max_messages"],
                idle_exit=options["idle"] if options["once"] else None,
                timeout=options["timeout"],
            )
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write(self.style.SUCCESS(str(stats)))

    @staticmethod
    def _stop_on_signals(ingester) -> dict:
        """SIGTERM and Ctrl-C stop the ingester after the batch in hand; returns the handlers
        they replaced."""
        if threading.current_thread() is not threading.main_thread():
            return {}  # handlers can only be set in the main thread

        def stop(signum, frame):
            ingester.stop()

        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, stop)
        return previous
