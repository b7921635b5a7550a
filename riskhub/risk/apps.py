from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def on_lineage_changed(sender: Any, asset_ids: list[int], **kwargs: Any) -> None:
    from riskhub.risk.services import enqueue_recompute

    enqueue_recompute(asset_ids)


def on_asset_archived(sender: Any, asset: Any, **kwargs: Any) -> None:
    from riskhub.risk.services import enqueue_recompute

    enqueue_recompute([asset.pk])


def assessed_assets() -> Any:
    from riskhub.risk.models import Assessment
    from riskhub.risk.selectors import assessed_asset_ids

    return assessed_asset_ids(Assessment.objects.all())


class RiskConfig(AppConfig):
    name = "riskhub.risk"
    label = "risk"
    verbose_name = "Risk"

    def ready(self) -> None:
        from riskhub.inventory import selectors as inventory_selectors
        from riskhub.inventory import signals

        inventory_selectors.assessed_asset_ids_source = assessed_assets

        signals.lineage_changed.connect(on_lineage_changed, dispatch_uid="risk.lineage_changed")
        signals.asset_archived.connect(on_asset_archived, dispatch_uid="risk.asset_archived")
