"""Thin Celery tasks of the MLflow connector: take ids, call the sync."""

from __future__ import annotations

from celery import shared_task

from riskhub.inventory.mlflow import services, sync


@shared_task(
    name="riskhub.inventory.mlflow.tasks.sync_registry",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def sync_registry(job_id: int) -> str:
    job = sync.run_sync(job_id)
    return job.status if job is not None else "skipped"


@shared_task(name="riskhub.inventory.mlflow.tasks.sync_due_registries", ignore_result=True)
def sync_due_registries() -> int:
    return len(services.sync_due())
