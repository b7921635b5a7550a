"""SyncRun's rows are ImportJobs now (0009): the old table and its links go."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0009_sync_runs_to_jobs"),
    ]

    operations = [
        migrations.RemoveField(model_name="syncedrecord", name="last_run"),
        migrations.RemoveField(model_name="syncedrecord", name="flagged_by_run"),
        migrations.DeleteModel(name="SyncRun"),
        migrations.AddConstraint(
            model_name="importjob",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind", "sync"), ("registry__isnull", False))
                | models.Q(("kind", "import"), ("registry__isnull", True)),
                name="import_job_sync_has_registry",
            ),
        ),
        migrations.AddIndex(
            model_name="importjob",
            index=models.Index(
                fields=["registry", "-created_at"], name="import_job_registry_recent"
            ),
        ),
    ]
