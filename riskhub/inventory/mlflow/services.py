"""What people (and the schedule) do with the MLflow connector: configure registries,
ask for a sync, and confirm that an asset whose model was deleted upstream is archived.
Every write is validated, transactional and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.audit.services import EventSpec, record_event, record_events
from riskhub.common.updates import field_snapshot, guarded_update
from riskhub.inventory import services as inventory
from riskhub.inventory.mlflow.models import ModelRegistry, SyncedRecord, SyncRun
from riskhub.inventory.models import Asset

PERMISSION = "inventory.edit"
REGISTRY_FIELDS = ["name", "tracking_uri", "token_env", "enabled"]
# A running sync whose heartbeat is older than this is presumed orphaned (worker lost);
# a queued one whose message never arrived is given the same time.
STALE_AFTER = dt.timedelta(minutes=15)
ACTIVE = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)


def _enqueue(run_id: int) -> None:
    from riskhub.inventory.mlflow import tasks

    options: dict[str, Any] = {}
    queue = getattr(settings, "MLFLOW_SYNC_QUEUE", None)
    if queue:
        options["queue"] = queue
    tasks.sync_registry.apply_async(args=[run_id], **options)


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
    *, actor: User | None, registry: ModelRegistry, trigger: str = SyncRun.Trigger.MANUAL
) -> SyncRun:
    """Queue a sync of the registry (the worker runs it), or return the one already
    queued or running: two syncs of one registry never run side by side."""
    if actor is not None:
        require(actor, PERMISSION)
    with transaction.atomic():
        ModelRegistry.objects.select_for_update().get(pk=registry.pk)
        active = registry.runs.filter(status__in=ACTIVE).first()
        if active is not None:
            return active
        run = SyncRun.objects.create(registry=registry, trigger=trigger, requested_by=actor)
        record_event(
            actor=actor,
            action="mlflow_sync.request",
            object_type="sync_run",
            object_id=run.uuid,
            object_repr=str(run),
            after={"registry": registry.name, "trigger": trigger},
        )
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def fail_stale(*, now: dt.datetime | None = None) -> list[SyncRun]:
    """Runs whose worker stopped (no heartbeat) or whose message was lost: failed, so
    the next request starts afresh. The database, not the broker, is the truth."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            SyncRun.objects.select_for_update()
            .select_related("registry")
            .filter(status=SyncRun.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
        ) + list(
            SyncRun.objects.select_for_update()
            .select_related("registry")
            .filter(status=SyncRun.Status.QUEUED, queued_at__lt=now - STALE_AFTER)
        )
        for run in stale:
            run.status = SyncRun.Status.FAILED
            run.finished_at = now
            run.errors = [
                *run.errors,
                {
                    "where": "worker",
                    "message": "The worker stopped answering during this sync; "
                    "the next sync starts again.",
                },
            ]
            run.save(update_fields=["status", "finished_at", "errors"])
        record_events(
            None,
            [
                EventSpec(
                    "mlflow_sync.fail_stale",
                    "sync_run",
                    str(run.uuid),
                    str(run),
                    after={"registry": run.registry.name},
                )
                for run in stale
            ],
        )
    return stale


def sync_due() -> list[SyncRun]:
    """The beat's job: clear stale runs, then queue a sync of every enabled registry."""
    fail_stale()
    return [
        sync_request(actor=None, registry=registry, trigger=SyncRun.Trigger.SCHEDULE)
        for registry in ModelRegistry.objects.filter(enabled=True)
    ]


def flagged_records(asset: Asset) -> list[SyncedRecord]:
    return list(
        asset.synced_records.filter(deleted_upstream_at__isnull=False).select_related(
            "registry", "flagged_by_run"
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
    runs = {r.flagged_by_run_id for r in records if r.flagged_by_run_id}
    for run in SyncRun.objects.select_for_update().filter(pk__in=runs):
        run.archived += 1
        run.save(update_fields=["archived"])
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
