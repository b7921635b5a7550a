"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import shared_task

from riskhub.webhooks import services


@shared_task(
    name="riskhub.webhooks.tasks.deliver",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def deliver(delivery_id: int) -> str:
    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="riskhub.webhooks.tasks.sweep", ignore_result=True)
def sweep() -> int:
    return services.deliveries_sweep()
