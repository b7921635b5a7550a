"""Periodic tasks of the compliance app (merged into CELERY_BEAT_SCHEDULE by settings)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "compliance-evidence-expiry": {
        "task": "riskhub.compliance.tasks.evidence_expiry",
        "schedule": crontab(hour=6, minute=15),
    },
}
