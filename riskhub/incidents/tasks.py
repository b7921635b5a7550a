"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import shared_task

from riskhub.incidents import services


@shared_task(name="riskhub.incidents.tasks.send_clock_alerts", ignore_result=True)
def send_clock_alerts() -> int:
    return services.clock_alerts_send()


@shared_task(name="riskhub.incidents.tasks.refresh_incidents", ignore_result=True)
def refresh_incidents() -> int:
    return services.incidents_refresh_open()
