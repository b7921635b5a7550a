"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import shared_task

from riskhub.risk import notifications, services, totals


@shared_task(name="riskhub.risk.tasks.recompute_effective_risk", ignore_result=True)
def recompute_effective_risk(asset_ids: list[int] | None = None) -> int:
    """Recompute effective risk of `asset_ids` and everything downstream (None: all)."""
    return services.effective_risk_recompute(asset_ids=asset_ids)


@shared_task(name="riskhub.risk.tasks.expire_acceptances", ignore_result=True)
def expire_acceptances() -> int:
    return services.acceptances_expire()


@shared_task(name="riskhub.risk.tasks.notify_overdue_treatments", ignore_result=True)
def notify_overdue_treatments() -> int:
    return notifications.overdue_treatments()


@shared_task(name="riskhub.risk.tasks.notify_expiring_acceptances", ignore_result=True)
def notify_expiring_acceptances() -> int:
    return notifications.expiring_acceptances()


@shared_task(name="riskhub.risk.tasks.compact_register_totals", ignore_result=True)
def compact_register_totals() -> int:
    return totals.compact()
