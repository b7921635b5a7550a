"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import Task, shared_task
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


@shared_task(
    name="riskhub.reports.tasks.render_chunk",
    bind=True,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=services.MAX_ATTEMPTS - 1,
    soft_time_limit=services.SOFT_TIME_LIMIT,
    time_limit=services.HARD_TIME_LIMIT,
)
def render_chunk(self: Task, report_id: int, index: int) -> str:
    """One chunk of a report; a failed chunk is retried (the row counts its attempts)."""
    try:
        return services.run_chunk(report_id, index)
    except Exception as exc:
        if self.request.retries >= services.MAX_ATTEMPTS - 1:
            return "failed"
        raise self.retry(exc=exc, countdown=services.CHUNK_RETRY_SECONDS) from exc


@shared_task(
    name="riskhub.reports.tasks.merge_report",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=services.SOFT_TIME_LIMIT,
    time_limit=services.HARD_TIME_LIMIT,
)
def merge_report(report_id: int) -> str:
    try:
        return services.run_merge(report_id)
    except SoftTimeLimitExceeded:
        return "failed"


@shared_task(name="riskhub.reports.tasks.requeue_stale_reports", ignore_result=True)
def requeue_stale_reports() -> int:
    return len(services.requeue_stale()) + len(services.requeue_stale_chunks())


@shared_task(name="riskhub.reports.tasks.delete_expired_reports", ignore_result=True)
def delete_expired_reports() -> int:
    return services.delete_expired()


@shared_task(name="riskhub.reports.tasks.run_scheduled_reports", ignore_result=True)
def run_scheduled_reports() -> int:
    return len(services.run_due_schedules())
