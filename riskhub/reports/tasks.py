"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from riskhub.reports import services


@shared_task(
    name="riskhub.reports.tasks.render_report",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=services.SOFT_TIME_LIMIT,
    time_limit=services.HARD_TIME_LIMIT,
)
def render_report(report_id: int) -> str:
    try:
        return services.run(report_id)
    except SoftTimeLimitExceeded:  # raised outside the render's own handler
        return "failed"


@shared_task(name="riskhub.reports.tasks.requeue_stale_reports", ignore_result=True)
def requeue_stale_reports() -> int:
    return len(services.requeue_stale())


@shared_task(name="riskhub.reports.tasks.delete_expired_reports", ignore_result=True)
def delete_expired_reports() -> int:
    return services.delete_expired()


@shared_task(name="riskhub.reports.tasks.run_scheduled_reports", ignore_result=True)
def run_scheduled_reports() -> int:
    return len(services.run_due_schedules())
