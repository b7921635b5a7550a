"""Periodic tasks of the risk app, merged into CELERY_BEAT_SCHEDULE by settings."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "risk-expire-acceptances": {
        "task": "riskhub.risk.tasks.expire_acceptances",
        "schedule": crontab(hour=0, minute=15),
    },
    "risk-notify-overdue-treatments": {
        "task": "riskhub.risk.tasks.notify_overdue_treatments",
        "schedule": crontab(hour=6, minute=0),
    },
    "risk-notify-expiring-acceptances": {
        "task": "riskhub.risk.tasks.notify_expiring_acceptances",
        "schedule": crontab(hour=6, minute=5),
    },
    # The register's totals are a log of changes (risk/totals.py): folded into one row
    # per combination, so the dashboard sums a few thousand rows, not a day's edits.
    "risk-compact-register-totals": {
        "task": "riskhub.risk.tasks.compact_register_totals",
        "schedule": crontab(minute="*/15"),
    },
    # A safety net: effective risk is recomputed on every event that changes it; a
    # nightly full pass repairs anything a lost message left stale.
    "risk-recompute-effective-risk": {
        "task": "riskhub.risk.tasks.recompute_effective_risk",
        "schedule": crontab(hour=1, minute=0),
    },
}
