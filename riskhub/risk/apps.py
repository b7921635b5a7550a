from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db import transaction


def _enqueue(asset_ids: list[int]) -> None:
    from riskhub.risk.tasks import recompute_effective_risk

    ids = sorted(set(asset_ids))
    if ids and getattr(settings, "RISK_RECOMPUTE_ON_COMMIT", True):
        transaction.on_commit(lambda: recompute_effective_risk.delay(ids))


def on_lineage_changed(sender: Any, asset_ids: list[int], **kwargs: Any) -> None:
    _enqueue(list(asset_ids))


def on_asset_archived(sender: Any, asset: Any, **kwargs: Any) -> None:
    _enqueue([asset.pk])


class RiskConfig(AppConfig):
    name = "riskhub.risk"
    label = "risk"
    verbose_name = "Risk"

    def ready(self) -> None:
        from riskhub.inventory import signals

        signals.lineage_changed.connect(on_lineage_changed, dispatch_uid="risk.lineage_changed")
        signals.asset_archived.connect(on_asset_archived, dispatch_uid="risk.asset_archived")
