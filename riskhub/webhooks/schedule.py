"""Periodic tasks of the webhooks app, merged into CELERY_BEAT_SCHEDULE by settings."""

from __future__ import annotations

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Dispatches audit events whose commit hook was lost and queues again deliveries
    # that are due (retries whose message was lost); each is claimed under a row lock.
    "webhooks-sweep": {"task": "riskhub.webhooks.tasks.sweep", "schedule": 60.0},
}
