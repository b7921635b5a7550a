"""Reads of the MLflow connector for its pages and the asset page."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from riskhub.inventory import model_card, provenance
from riskhub.inventory.mlflow.models import ModelRegistry, SyncedRecord
from riskhub.inventory.models import Asset, ImportJob


def registries() -> QuerySet[ModelRegistry]:
    """The registries with their last sync job and their record counts (one query)."""
    latest = ImportJob.objects.filter(registry=OuterRef("pk")).order_by("-created_at", "-id")
    return ModelRegistry.objects.annotate(
        last_run_uuid=Subquery(latest.values("uuid")[:1]),
        last_run_status=Subquery(latest.values("status")[:1]),
        last_run_finished=Subquery(latest.values("finished_at")[:1]),
        last_run_errors=Subquery(latest.values("errors")[:1]),
        synced=Count("records", filter=Q(records__kind=SyncedRecord.Kind.MODEL_VERSION)),
        flagged=Count(
            "records",
            filter=Q(
                records__deleted_upstream_at__isnull=False,
                records__asset__archived_at__isnull=True,
            ),
        ),
    )


def runs(registry: ModelRegistry | None = None) -> QuerySet[ImportJob]:
    """Sync jobs, newest first (of one registry, or of all)."""
    jobs = ImportJob.objects.filter(kind=ImportJob.Kind.SYNC).select_related(
        "registry", "requested_by"
    )
    return jobs.filter(registry=registry) if registry is not None else jobs


def flagged() -> QuerySet[SyncedRecord]:
    """Records deleted upstream whose asset a person has not archived yet."""
    return (
        SyncedRecord.objects.filter(
            deleted_upstream_at__isnull=False, asset__archived_at__isnull=True
        )
        .select_related("asset", "registry", "flagged_by_job")
        .order_by("-deleted_upstream_at", "external_id")
    )


def asset_panel(asset: Asset) -> dict[str, Any] | None:
    """What the asset page shows about the asset's registry records (None: none)."""
    records = list(
        asset.synced_records.select_related("registry", "last_job").order_by("registry__name")
    )
    if not records:
        return None
    from_connector = provenance.from_connector(asset, "MLflow")
    return {
        "records": records,
        "flagged": [r for r in records if r.deleted_upstream_at is not None],
        "fields": [field_label(key) for key in sorted(from_connector)],
    }


def field_label(key: str) -> str:
    """ "Version", "Model card: performance metrics": a provenance key as people read it."""
    if key.startswith(provenance.CARD_PREFIX):
        part = key[len(provenance.CARD_PREFIX) :]
        return "Model card: " + model_card.LABELS.get(part, part).lower()
    try:
        name = str(Asset._meta.get_field(key).verbose_name)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - a key written by an older version
        name = key.replace("_", " ")
    return name[:1].upper() + name[1:]
