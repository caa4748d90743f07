"""The rollup marks are appended by every write and deleted by the next read, and the rollups are
updated in place: queue-like tables whose dead rows slow every read of the figures until they are
vacuumed. PostgreSQL's autovacuum (on by default) is told to vacuum them after a few hundred
dead rows rather than after a fifth of the table (docs/figures.md)."""

from django.db import migrations

TABLES = ("brigade_rollupmark", "brigade_monthlyrollup")


def tune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200,"
            " autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 200)"
        )


def untune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,"
            " autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)"
        )


class Migration(migrations.Migration):
    dependencies = [("brigade", "0007_output_job")]

    operations = [migrations.RunPython(tune, untune)]
