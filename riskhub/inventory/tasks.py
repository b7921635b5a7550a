"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="riskhub.inventory.tasks.run_import_job",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def run_import_job(job_id: int) -> str:
    from riskhub.inventory import jobs

    return jobs.run_import(job_id)


@shared_task(name="riskhub.inventory.tasks.requeue_stale_import_jobs", ignore_result=True)
def requeue_stale_import_jobs() -> int:
    from riskhub.inventory import jobs

    return len(jobs.requeue_stale())
