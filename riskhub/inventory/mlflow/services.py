"""What people (and the schedule) do with the MLflow connector: configure registries,
ask for a sync, and confirm that an asset whose model was deleted upstream is archived.
Every write is validated, transactional and audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.audit.services import record_event
from riskhub.common.updates import field_snapshot, guarded_update
from riskhub.inventory import jobs
from riskhub.inventory import services as inventory
from riskhub.inventory.mlflow.models import ModelRegistry, SyncedRecord
from riskhub.inventory.models import Asset, ImportJob

PERMISSION = "inventory.edit"
REGISTRY_FIELDS = ["name", "tracking_uri", "token_env", "enabled"]
ACTIVE = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


@transaction.atomic
def registry_create(*, actor: User, **fields: Any) -> ModelRegistry:
    require(actor, PERMISSION)
    registry = ModelRegistry(**{k: v for k, v in fields.items() if k in REGISTRY_FIELDS})
    registry.name = registry.name.strip()
    registry.full_clean()
    registry.save()
    record_event(
        actor=actor,
        action="model_registry.create",
        object_type="model_registry",
        object_id=registry.uuid,
        object_repr=registry.name,
        after=field_snapshot(REGISTRY_FIELDS)(registry),
    )
    return registry


@transaction.atomic
def registry_update(*, actor: User, registry: ModelRegistry, **fields: Any) -> ModelRegistry:
    require(actor, PERMISSION)

    def prepare(current: ModelRegistry) -> None:
        current.name = current.name.strip()

    return guarded_update(
        registry,
        actor=actor,
        changes={k: v for k, v in fields.items() if k in REGISTRY_FIELDS},
        allowed=REGISTRY_FIELDS,
        action="model_registry.update",
        version_field=None,
        prepare=prepare,
    ).instance


def sync_request(
    *,
    actor: User | None,
    registry: ModelRegistry,
    trigger: str = ImportJob.Trigger.MANUAL,
) -> ImportJob:
    """Queue a sync of the registry as a job of kind "sync" (the worker runs it), or
    return the one already queued or running: two syncs of one registry never run side
    by side."""
    if actor is not None:
        require(actor, PERMISSION)
    with transaction.atomic():
        ModelRegistry.objects.select_for_update().get(pk=registry.pk)
        active = registry.jobs.filter(status__in=ACTIVE).first()
        if active is not None:
            return active
        job = jobs.job_create(
            actor=actor,
            kind=ImportJob.Kind.SYNC,
            source=registry.name,
            registry=registry,
            trigger=trigger,
        )
        transaction.on_commit(lambda: jobs._enqueue(job.pk, ImportJob.Kind.SYNC))
    return job


def sync_due() -> list[ImportJob]:
    """The beat's job: re-send stale jobs, then queue a sync of every enabled registry."""
    jobs.requeue_stale()
    return [
        sync_request(actor=None, registry=registry, trigger=ImportJob.Trigger.SCHEDULE)
        for registry in ModelRegistry.objects.filter(enabled=True)
    ]


def flagged_records(asset: Asset) -> list[SyncedRecord]:
    return list(
        asset.synced_records.filter(deleted_upstream_at__isnull=False).select_related(
            "registry", "flagged_by_job"
        )
    )


@transaction.atomic
def confirm_archive(*, actor: User, asset: Asset) -> Asset:
    """A person confirms that an asset whose model was deleted upstream leaves the
    active inventory. Automation proposes, people decide: the sync never archives."""
    require(actor, PERMISSION)
    records = flagged_records(asset)
    if not records:
        raise ValidationError("Nothing upstream was deleted for this asset: nothing to confirm.")
    if asset.is_archived:
        raise ValidationError("This asset is already archived.")
    archived = inventory.asset_archive(actor=actor, asset=asset)
    flagged_by = {r.flagged_by_job_id for r in records if r.flagged_by_job_id}
    ImportJob.objects.filter(pk__in=flagged_by).update(archived=F("archived") + 1)
    record_event(
        actor=actor,
        action="mlflow_sync.confirm_archive",
        object_type="asset",
        object_id=asset.uuid,
        object_repr=asset.name,
        after={
            "upstream_records": [r.external_id for r in records],
            "registries": sorted({r.registry.name for r in records}),
        },
    )
    return archived
