"""MLflow syncs become ImportJobs of kind "sync" (one job model): the job gains its
registry and trigger, the synced records their job and the links they made. The rows
are copied by 0009 and SyncRun removed by 0010: on PostgreSQL a table is never altered
in the transaction that wrote its rows, in either direction."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_import_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="registry",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="jobs",
                to="inventory.modelregistry",
            ),
        ),
        migrations.AddField(
            model_name="importjob",
            name="trigger",
            field=models.CharField(
                choices=[("manual", "Requested"), ("schedule", "Schedule")],
                default="manual",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="syncedrecord",
            name="last_job",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="inventory.importjob",
            ),
        ),
        migrations.AddField(
            model_name="syncedrecord",
            name="flagged_by_job",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="flagged_records",
                to="inventory.importjob",
            ),
        ),
        migrations.AddField(
            model_name="syncedrecord",
            name="links",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
