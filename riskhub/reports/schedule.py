"""Periodic tasks of the reports app, merged into CELERY_BEAT_SCHEDULE by settings."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # The database is the source of truth: a running report whose heartbeat stopped
    # (worker killed, message lost by the broker) is re-queued.
    "reports-requeue-stale": {
        "task": "riskhub.reports.tasks.requeue_stale_reports",
        "schedule": 60.0,
    },
    "reports-delete-expired": {
        "task": "riskhub.reports.tasks.delete_expired_reports",
        "schedule": crontab(hour=2, minute=30),
    },
    "reports-run-schedules": {
        "task": "riskhub.reports.tasks.run_scheduled_reports",
        "schedule": crontab(hour=5, minute=0),
    },
}
