"""The reference rows (quantities and sensor models), usable outside migrations.

Migration 0003 writes them once when the database is set up. A database that was flushed after
migrating (pytest's transactional tests, `manage.py flush`) has lost them, and the demo and the
ingest paths need them. `ensure()` writes the same rows again, from the same data: it runs the
migration's own `load` (idempotent, update-or-create by `code`) against the live models, so
the lists exist in one place only (sensors/migrations/0003_reference_data.py).
"""

from importlib import import_module

from django.apps import apps

MIGRATION = "sensors.migrations.0003_reference_data"


def _migration():
    return import_module(MIGRATION)


def quantity_codes() -> list[str]:
    return [row["code"] for row in _migration().QUANTITIES]


def sensor_codes() -> list[str]:
    return [row[0] for row in _migration().SENSORS]


def ensure() -> bool:
    """Create (or bring up to date) the reference rows when any is missing. Returns whether it
    wrote anything; with every row present it costs two COUNT queries."""
    from sensors.models import ObservedProperty, Sensor

    quantities, sensors = quantity_codes(), sensor_codes()
    if (ObservedProperty.objects.filter(code__in=quantities).count() == len(quantities)
            and Sensor.objects.filter(code__in=sensors).count() == len(sensors)):
        return False
    _migration().load(apps, None)
    return True
