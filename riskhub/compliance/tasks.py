"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="riskhub.compliance.tasks.recompute_coverage", ignore_result=True)
def recompute_coverage(asset_ids: list[int] | None = None) -> int:
    from riskhub.compliance.services import coverage_recompute

    return coverage_recompute(asset_ids=asset_ids)


@shared_task(name="riskhub.compliance.tasks.evidence_expiry", ignore_result=True)
def evidence_expiry() -> dict[str, int]:
    from riskhub.compliance.services import evidence_expiry_sweep

    return evidence_expiry_sweep()
