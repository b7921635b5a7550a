"""Periodic tasks of the dashboard app, merged into CELERY_BEAT_SCHEDULE by settings."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Late in the day so the snapshot holds the day's work; retaken if run again.
    "dashboard-daily-snapshot": {
        "task": "riskhub.dashboard.tasks.take_daily_snapshot",
        "schedule": crontab(hour=23, minute=45),
    },
}
