"""Every push updates its kit's row (last seen) and its datastreams' rows (last value). Let
PostgreSQL do those as HOT updates (no new index entries): no index on `last_seen_at`, and
free room on each page for the new row versions (fillfactor)."""

from django.db import migrations, models

TABLES = ("sensors_kit", "sensors_datastream")


def room_for_updates(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def default_fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("sensors", "0003_reference_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="kit",
            name="last_seen_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(room_for_updates, default_fill),
    ]
