"""Each SyncRun is copied to an ImportJob of kind "sync" with the same UUID (so links to
a run's page still resolve), its counts and problems kept, and the synced records point
at the job. Data only: the schema changes are 0008's and 0010's."""

from django.db import migrations, models

STATUS = {"partial": "succeeded"}


def runs_to_jobs(apps, schema_editor):
    SyncRun = apps.get_model("inventory", "SyncRun")
    ImportJob = apps.get_model("inventory", "ImportJob")
    SyncedRecord = apps.get_model("inventory", "SyncedRecord")
    job_of = {}
    for run in SyncRun.objects.select_related("registry").order_by("pk").iterator():
        problems = run.errors if isinstance(run.errors, list) else []
        job = ImportJob.objects.create(
            uuid=run.uuid,
            kind="sync",
            source=run.registry.name[:300],
            registry_id=run.registry_id,
            trigger=run.trigger or "manual",
            requested_by_id=run.requested_by_id,
            status=STATUS.get(run.status, run.status),
            stage="Done" if run.status in ("succeeded", "partial") else "",
            rows_total=run.total,
            rows_done=run.done,
            created=run.created,
            updated=run.updated,
            unchanged=run.unchanged,
            archived=run.archived,
            errors=len(problems),
            summary={"flagged": run.flagged, "kept": run.kept, "problems": problems[:200]},
            error=(problems[0].get("message", "") if run.status == "failed" and problems else ""),
            attempt=1 if run.started_at else 0,
            started_at=run.started_at,
            finished_at=run.finished_at,
            heartbeat_at=run.heartbeat_at,
        )
        # created_at is auto_now_add: the run's own queue time is set afterwards.
        ImportJob.objects.filter(pk=job.pk).update(created_at=run.queued_at)
        job_of[run.pk] = job.pk
    for record in SyncedRecord.objects.filter(
        models.Q(last_run__isnull=False) | models.Q(flagged_by_run__isnull=False)
    ).iterator():
        record.last_job_id = job_of.get(record.last_run_id)
        record.flagged_by_job_id = job_of.get(record.flagged_by_run_id)
        record.save(update_fields=["last_job", "flagged_by_job"])


def jobs_to_runs(apps, schema_editor):
    SyncRun = apps.get_model("inventory", "SyncRun")
    ImportJob = apps.get_model("inventory", "ImportJob")
    SyncedRecord = apps.get_model("inventory", "SyncedRecord")
    run_of = {}
    for job in ImportJob.objects.filter(kind="sync").order_by("pk").iterator():
        summary = job.summary or {}
        run = SyncRun.objects.create(
            uuid=job.uuid,
            registry_id=job.registry_id,
            status=job.status,
            trigger=job.trigger,
            requested_by_id=job.requested_by_id,
            started_at=job.started_at,
            finished_at=job.finished_at,
            heartbeat_at=job.heartbeat_at,
            done=job.rows_done,
            total=job.rows_total or 0,
            created=job.created,
            updated=job.updated,
            unchanged=job.unchanged,
            flagged=summary.get("flagged", 0),
            archived=job.archived,
            kept=summary.get("kept", 0),
            errors=summary.get("problems", []),
        )
        SyncRun.objects.filter(pk=run.pk).update(queued_at=job.created_at)
        run_of[job.pk] = run.pk
    for record in SyncedRecord.objects.iterator():
        record.last_run_id = run_of.get(record.last_job_id)
        record.flagged_by_run_id = run_of.get(record.flagged_by_job_id)
        record.save(update_fields=["last_run", "flagged_by_run"])
    ImportJob.objects.filter(kind="sync").delete()




class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0008_syncs_are_import_jobs"),
    ]

    operations = [
        migrations.RunPython(runs_to_jobs, jobs_to_runs),
    ]
