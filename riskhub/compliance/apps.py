from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "riskhub.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from riskhub.inventory import signals

        signals.classification_changed.connect(_on_classification, dispatch_uid="compliance-cls")
        signals.lineage_changed.connect(_on_lineage, dispatch_uid="compliance-lineage")
        signals.organisation_changed.connect(_on_organisation, dispatch_uid="compliance-org")


def _on_classification(sender: Any, asset: Any, **kwargs: Any) -> None:
    from riskhub.compliance.services import recompute_after_classification

    recompute_after_classification(asset)


def _on_lineage(sender: Any, asset_ids: Any, detached: Any = (), **kwargs: Any) -> None:
    from riskhub.compliance.services import recompute_after_lineage

    recompute_after_lineage(asset_ids, detached=detached)


def _on_organisation(sender: Any, **kwargs: Any) -> None:
    from riskhub.compliance.services import schedule_recompute

    schedule_recompute(None)
