"""Periodic tasks of the incidents app, merged into CELERY_BEAT_SCHEDULE by settings."""

from __future__ import annotations

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # The shortest window is 24 hours (a target) or 2 days (Art 73(3)); every five
    # minutes puts a 50%/90% alert at most five minutes late. Idempotent: each alert once.
    "incidents-send-clock-alerts": {
        "task": "riskhub.incidents.tasks.send_clock_alerts",
        "schedule": 300.0,
    },
}
