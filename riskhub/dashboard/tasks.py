"""Thin Celery tasks of the dashboard app."""

from __future__ import annotations

from celery import shared_task

from riskhub.dashboard import services


@shared_task(name="riskhub.dashboard.tasks.take_daily_snapshot")
def take_daily_snapshot() -> int:
    """Today's snapshot (idempotent), after filling any missing day of the trend
    window from the history tables (a no-op once the window is complete)."""
    services.snapshot_backfill()
    return services.snapshot_take()
