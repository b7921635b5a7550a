"""Periodic tasks of the inventory app, merged into CELERY_BEAT_SCHEDULE by settings."""

from __future__ import annotations

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # A running import job whose worker stopped beating is queued again (its transaction
    # died with the worker, so nothing was written).
    "inventory-requeue-stale-import-jobs": {
        "task": "riskhub.inventory.tasks.requeue_stale_import_jobs",
        "schedule": 60.0,
    },
}
