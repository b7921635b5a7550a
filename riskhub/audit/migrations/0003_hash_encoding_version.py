from django.db import migrations, models

from riskhub.audit.triggers import SQLITE_SQL


def reinstall_sqlite_triggers(apps, schema_editor):
    # SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers;
    # put the append-only guard back. PostgreSQL keeps them (and adding a column with
    # a constant default rewrites no row, so the UPDATE trigger is not involved).
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        # Every event written so far was hashed with encoding 1.
        migrations.AddField(
            model_name="auditevent",
            name="encoding",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="encoding",
            field=models.PositiveSmallIntegerField(default=2),
        ),
        migrations.RunPython(reinstall_sqlite_triggers, migrations.RunPython.noop),
    ]
