"""Periodic tasks of the inventory app, merged into CELERY_BEAT_SCHEDULE by settings."""

from __future__ import annotations

from riskhub.env import env_int

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Every enabled MLflow registry is synced this often (MLFLOW_SYNC_INTERVAL_MINUTES).
    "inventory-mlflow-sync": {
        "task": "riskhub.inventory.mlflow.tasks.sync_due_registries",
        "schedule": 60.0 * env_int("MLFLOW_SYNC_INTERVAL_MINUTES", 60, minimum=5),
    },
    # A running import job whose worker stopped beating is queued again (its transaction
    # died with the worker, so nothing was written).
    "inventory-requeue-stale-import-jobs": {
        "task": "riskhub.inventory.tasks.requeue_stale_import_jobs",
        "schedule": 60.0,
    },
}
