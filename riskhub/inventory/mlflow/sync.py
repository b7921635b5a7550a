"""One sync of one MLflow registry: model versions in, assets, datasets and lineage out.

Every registered model version becomes a model asset named "<model> v<version>" with
the version, its aliases and stage, the model's and the version's tags, the description,
the source run's metrics (model card metrics) and parameters (model card architecture
text). The run's dataset inputs become dataset assets, linked "trained on" (training
inputs) or "depends on" (evaluation and other inputs) through the lineage rules every
link obeys (`services.validate_link`: kinds, no duplicates, no cycles).

Incremental and idempotent: what the connector would write is fingerprinted per record,
so a second run over an unchanged registry writes nothing but "last synced". A field
whose last writer is a person is never overwritten (riskhub.inventory.provenance).
A version that disappeared upstream is flagged; a person confirms the archive.
The database is the source of truth: the run row carries status, counts, progress and
errors, committed after every chunk so the page can show live progress.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from riskhub.audit.services import EventSpec, record_events
from riskhub.inventory import model_card, provenance, services, signals
from riskhub.inventory.mlflow.client import MlflowClient, MlflowError, NotFound, tags
from riskhub.inventory.mlflow.models import ModelRegistry, SyncedRecord, SyncRun
from riskhub.inventory.models import Asset, AssetLink

log = logging.getLogger(__name__)

CHUNK = 100
MAX_ERRORS = 200
STAGE_LIFECYCLE = {
    "Staging": Asset.Lifecycle.VALIDATION,
    "Production": Asset.Lifecycle.PRODUCTION,
    "Archived": Asset.Lifecycle.RETIRED,
}
TRAINING_CONTEXTS = {"", "train", "training"}
PROMPT_TAG = "mlflow.prompt.is_prompt"
SKIPPED_STATUSES = {"FAILED_REGISTRATION"}
# Fields the connector keeps current on a model version's asset (model card parts are
# tracked separately, see provenance).
MODEL_FIELDS = ("name", "model_version", "description", "tags", "lifecycle")
CARD_PARTS = ("metrics", "model_architecture")
DATASET_FIELDS = ("name", "description", "data_origin", "record_count", "tags")


@dataclass
class _Dataset:
    external_id: str
    values: dict[str, Any]
    relation: str


@dataclass
class _Version:
    external_id: str
    values: dict[str, Any]
    card: dict[str, Any]
    datasets: list[_Dataset] = field(default_factory=list)

    def fingerprint(self) -> str:
        body = {
            "values": self.values,
            "card": self.card,
            "datasets": [(d.external_id, d.values, d.relation) for d in self.datasets],
        }
        text = json.dumps(body, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def client_for(registry: ModelRegistry) -> MlflowClient:
    token = ""
    if registry.token_env:
        token = os.environ.get(registry.token_env, "")
        if not token:
            raise MlflowError(
                f"The environment variable {registry.token_env} (the registry's token) is "
                "not set for the worker."
            )
    return MlflowClient(
        registry.tracking_uri,
        token=token,
        timeout=settings.MLFLOW_TIMEOUT_SECONDS,
        page_size=settings.MLFLOW_PAGE_SIZE,
    )


# --- reading MLflow -------------------------------------------------------------------------


def _text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _json(value: Any) -> dict[str, Any]:
    try:
        loaded = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _dataset(entry: dict[str, Any]) -> _Dataset | None:
    data = entry.get("dataset")
    if not isinstance(data, dict) or not data.get("name"):
        return None
    name, digest = _text(data.get("name"), 150), _text(data.get("digest"), 40)
    source = _json(data.get("source"))
    origin = source.get("uri") or source.get("url") or source.get("path") or ""
    if not origin and data.get("source_type"):
        origin = f"{data['source_type']} source"
    rows = _json(data.get("profile")).get("num_rows")
    context = tags(entry.get("tags")).get("mlflow.data.context", "").strip().lower()
    values = {
        "name": f"{name} ({digest})" if digest else name,
        "description": f"Dataset “{name}” logged to MLflow"
        + (f" with digest {digest}" if digest else "")
        + ".",
        "data_origin": _text(origin, 200),
        "record_count": rows if isinstance(rows, int) and rows >= 0 else None,
        "tags": ["mlflow", *([f"digest:{digest}"] if digest else [])],
    }
    relation = (
        AssetLink.Relation.TRAINED_ON
        if context in TRAINING_CONTEXTS
        else AssetLink.Relation.DEPENDS_ON
    )
    return _Dataset(f"{name}@{digest}", values, relation)


def _version(
    registry: ModelRegistry,
    model: dict[str, Any],
    version: dict[str, Any],
    run: dict[str, Any] | None,
) -> _Version:
    name, number = str(version["name"]), str(version["version"])
    aliases = sorted(
        str(a.get("alias"))
        for a in model.get("aliases") or []
        if isinstance(a, dict) and str(a.get("version")) == number and a.get("alias")
    )
    stage = str(version.get("current_stage") or "None")
    labels = ["mlflow", *(f"alias:{a}" for a in aliases)]
    if stage != "None":
        labels.append(f"stage:{stage}")
    for key, value in sorted({**tags(model.get("tags")), **tags(version.get("tags"))}.items()):
        if not key.startswith("mlflow."):
            labels.append(f"{key}={value}"[:100])
    values: dict[str, Any] = {
        "name": f"{name} v{number}"[:200],
        "model_version": number[:50],
        "description": _text(version.get("description") or model.get("description"), 20000),
        "tags": labels,
    }
    if stage in STAGE_LIFECYCLE:
        values["lifecycle"] = STAGE_LIFECYCLE[stage]
    card: dict[str, Any] = {}
    datasets: list[_Dataset] = []
    if run is not None:
        data = run.get("data") or {}
        metrics = sorted(
            (m for m in data.get("metrics") or [] if isinstance(m, dict) and m.get("key")),
            key=lambda m: str(m["key"]),
        )
        card["metrics"] = [
            {"type": str(m["key"])[:200], "value": _number(m.get("value"))}
            for m in metrics[: model_card.MAX_ITEMS]
        ]
        params = tags(data.get("params"))
        if params:
            run_id = (run.get("info") or {}).get("run_id", "")
            shown = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
            card["model_architecture"] = _text(
                f"Training parameters (MLflow run {run_id}): {shown}", model_card.MAX_TEXT
            )
        for entry in (run.get("inputs") or {}).get("dataset_inputs") or []:
            found = _dataset(entry) if isinstance(entry, dict) else None
            if found is not None and found.external_id not in {d.external_id for d in datasets}:
                datasets.append(found)
    return _Version(f"{name}/{number}", values, card, datasets)


# --- writing the register ---------------------------------------------------------------------


@dataclass
class _Chunk:
    """What one chunk wrote, flushed to the audit trail and the run row together."""

    run: SyncRun
    source: str
    now: Any
    specs: list[EventSpec] = field(default_factory=list)
    affected: set[int] = field(default_factory=set)
    touched: list[int] = field(default_factory=list)  # unchanged records: "last synced"


def _event(chunk: _Chunk, created: bool, asset: Asset, **after: Any) -> None:
    chunk.specs.append(
        EventSpec(
            "asset.sync_create" if created else "asset.sync_update",
            "asset",
            str(asset.uuid),
            asset.name,
            before=after.pop("before", None),
            after={**after, "source": chunk.source, "sync_run": str(chunk.run.uuid)},
        )
    )


def _free_name(kind: str, name: str, registry: ModelRegistry, me: Asset | None) -> str:
    """The name, or "<name> (<registry>)" when another asset already carries it."""
    taken = Asset.objects.filter(kind=kind, name__iexact=name)
    if me is not None and me.pk:
        taken = taken.exclude(pk=me.pk)
    if not taken.exists():
        return name
    return f"{name} ({registry.name})"[:200]


def _apply(
    chunk: _Chunk,
    record: SyncedRecord | None,
    registry: ModelRegistry,
    kind: str,
    external_id: str,
    values: dict[str, Any],
    card: dict[str, Any] | None = None,
) -> tuple[Asset, str]:
    """Create or update the asset of one upstream record; returns it and "created",
    "updated" or "unchanged". Fields a person edited last are kept (counted)."""
    asset = record.asset if record is not None else None
    if asset is None:
        # An asset a person registered under the same name is adopted, not duplicated.
        asset = Asset.objects.filter(
            kind=kind, name__iexact=values["name"], synced_records__isnull=True
        ).first()
    if asset is None:
        asset = Asset(
            kind=kind,
            source=Asset.Source.IN_HOUSE,
            lifecycle=Asset.Lifecycle.DEVELOPMENT,
            model_type=Asset.ModelType.OTHER if kind == Asset.Kind.MODEL else "",
        )
        before: dict[str, Any] = {}
    else:
        before = services.asset_snapshot(asset)
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in values.items():
        if name == "name":
            value = _free_name(kind, value, registry, asset)
        current = getattr(asset, name)
        if current == value:
            continue
        if not provenance.connector_may_write(asset, name):
            chunk.run.kept += 1
            continue
        changed[name] = (current, value)
        setattr(asset, name, value)
    if card is not None:
        new_card = dict(asset.model_card or {})
        for part in CARD_PARTS:
            wanted = card.get(part)
            if new_card.get(part) == wanted or (not wanted and part not in new_card):
                continue
            if not provenance.connector_may_write(asset, provenance.CARD_PREFIX + part):
                chunk.run.kept += 1
                continue
            if wanted:
                new_card[part] = wanted
            else:
                new_card.pop(part, None)
        if new_card != (asset.model_card or {}):
            changed["model_card"] = (asset.model_card, new_card)
            asset.model_card = new_card
    is_new = asset.pk is None
    if not changed and not is_new:
        return asset, "unchanged"
    # Field rules only: the name was made free above (as the importer does, no per-row
    # uniqueness queries), and the connector never sets an owner or business unit.
    asset.clean_fields(exclude=["owner", "business_unit", "uuid"])
    services._clean_kind_fields(asset)
    model_card.check_links(asset)
    provenance.mark(
        asset, changed, by=provenance.CONNECTOR, source=registry.source_label, at=chunk.now
    )
    if not is_new:
        asset.version += 1
    asset.save()
    after = services.asset_snapshot(asset)
    if is_new:
        _event(chunk, True, asset, upstream_record=external_id, **after)
        return asset, "created"
    old, new = services._changes(before, after)
    _event(chunk, False, asset, upstream_record=external_id, before=old, **new)
    return asset, "updated"


def _link(chunk: _Chunk, upstream: Asset, downstream: Asset, relation: str) -> None:
    """Add the link unless it exists; the lineage rules decide (no cycle)."""
    if AssetLink.objects.filter(
        upstream=upstream, downstream=downstream, relation=relation
    ).exists():
        return
    services.validate_link(upstream, downstream, relation)
    link = AssetLink.objects.create(upstream=upstream, downstream=downstream, relation=relation)
    chunk.specs.append(
        EventSpec(
            "asset_link.create",
            "asset_link",
            str(link.uuid),
            str(link),
            after={
                "upstream": upstream.uuid,
                "downstream": downstream.uuid,
                "relation": relation,
                "source": chunk.source,
                "sync_run": str(chunk.run.uuid),
            },
        )
    )
    chunk.affected.add(downstream.pk)


def _error(run: SyncRun, where: str, message: str) -> None:
    if len(run.errors) < MAX_ERRORS:
        run.errors.append({"where": where, "message": message})


def _sync_version(
    chunk: _Chunk,
    registry: ModelRegistry,
    item: _Version,
    records: dict[tuple[str, str], SyncedRecord],
) -> None:
    run = chunk.run
    key = (SyncedRecord.Kind.MODEL_VERSION, item.external_id)
    record = records.get(key)
    fingerprint = item.fingerprint()
    if record is not None and record.fingerprint == fingerprint:
        run.unchanged += 1
        chunk.touched.append(record.pk)
        return
    datasets: list[tuple[Asset, str]] = []
    for found in item.datasets:
        ds_key = (SyncedRecord.Kind.DATASET, found.external_id)
        ds_record = records.get(ds_key)
        dataset, _ = _apply(
            chunk, ds_record, registry, Asset.Kind.DATASET, found.external_id, found.values
        )
        records[ds_key] = _remember(ds_record, registry, ds_key, dataset, run, chunk.now)
        datasets.append((dataset, found.relation))
    asset, outcome = _apply(
        chunk, record, registry, Asset.Kind.MODEL, item.external_id, item.values, item.card
    )
    for dataset, relation in datasets:
        try:
            with transaction.atomic():
                _link(chunk, dataset, asset, relation)
        except ValidationError as exc:
            _error(
                run,
                item.external_id,
                f"Lineage to “{dataset.name}” not added: " + " ".join(exc.messages),
            )
    records[key] = _remember(record, registry, key, asset, run, chunk.now, fingerprint)
    if outcome == "created":
        run.created += 1
        chunk.affected.add(asset.pk)
    elif outcome == "updated":
        run.updated += 1
    else:
        run.unchanged += 1


def _remember(
    record: SyncedRecord | None,
    registry: ModelRegistry,
    key: tuple[str, str],
    asset: Asset,
    run: SyncRun,
    now: Any,
    fingerprint: str = "",
) -> SyncedRecord:
    if record is None:
        record = SyncedRecord(registry=registry, kind=key[0], external_id=key[1])
    record.asset = asset
    record.fingerprint = fingerprint
    record.last_synced_at = now
    record.last_run = run
    record.deleted_upstream_at = None
    record.flagged_by_run = None
    record.save()
    return record


# --- the run --------------------------------------------------------------------------------


def _claim(run_id: int) -> SyncRun | None:
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().select_related("registry").get(pk=run_id)
        if run.status != SyncRun.Status.QUEUED:
            return None  # another worker has it, or it is finished: a duplicate message
        run.status = SyncRun.Status.RUNNING
        run.started_at = run.heartbeat_at = timezone.now()
        run.save(update_fields=["status", "started_at", "heartbeat_at"])
    return run


def _save_progress(run: SyncRun) -> None:
    run.heartbeat_at = timezone.now()
    run.save(
        update_fields=[
            "done",
            "total",
            "created",
            "updated",
            "unchanged",
            "kept",
            "flagged",
            "errors",
            "heartbeat_at",
        ]
    )


def _finish(run: SyncRun, status: str) -> SyncRun:
    run.status = status
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save()
        record_events(
            None,
            [
                EventSpec(
                    "mlflow_sync.finish",
                    "sync_run",
                    str(run.uuid),
                    str(run),
                    after={
                        "registry": run.registry.name,
                        "status": status,
                        **run.summary(),
                        "kept": run.kept,
                        "errors": len(run.errors),
                    },
                )
            ],
        )
    return run


def _listing(client: MlflowClient) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (registered model, version) pair to sync, prompts and failed registrations
    left out, in a stable order."""
    models = {
        str(m.get("name")): m
        for m in client.registered_models()
        if tags(m.get("tags")).get(PROMPT_TAG) != "true"
    }
    pairs = [
        (models[str(v.get("name"))], v)
        for v in client.model_versions()
        if str(v.get("name")) in models
        and v.get("version") is not None
        and v.get("status") not in SKIPPED_STATUSES
        and tags(v.get("tags")).get(PROMPT_TAG) != "true"
    ]
    pairs.sort(
        key=lambda p: (
            str(p[1]["name"]),
            int(str(p[1]["version"])) if str(p[1]["version"]).isdigit() else 0,
        )
    )
    return pairs


def run_sync(
    run_id: int, *, make_client: Callable[[ModelRegistry], MlflowClient] = client_for
) -> SyncRun | None:
    """Carry out a queued run (the Celery task's body). Returns None when the run was
    not queued (a duplicate message)."""
    run = _claim(run_id)
    if run is None:
        return None
    registry = run.registry
    source = registry.source_label
    try:
        client = make_client(registry)
        pairs = _listing(client)
    except MlflowError as exc:
        _error(run, "registry", str(exc))
        return _finish(run, SyncRun.Status.FAILED)
    run.total = len(pairs)
    _save_progress(run)
    runs: dict[str, dict[str, Any] | None] = {}
    seen: set[str] = set()
    for start in range(0, len(pairs), CHUNK):
        chunk = _Chunk(run, source, timezone.now())
        batch = pairs[start : start + CHUNK]
        items: list[_Version] = []
        for model, version in batch:
            run_id_up = str(version.get("run_id") or "")
            if run_id_up and run_id_up not in runs:
                try:
                    runs[run_id_up] = client.run(run_id_up)
                except NotFound:
                    runs[run_id_up] = None
                    _error(
                        run,
                        f"{version['name']}/{version['version']}",
                        f"Its source run {run_id_up} no longer exists in MLflow; "
                        "metrics and datasets were not read.",
                    )
                except MlflowError as exc:
                    runs[run_id_up] = None
                    _error(run, f"{version['name']}/{version['version']}", str(exc))
            items.append(_version(registry, model, version, runs.get(run_id_up)))
        ids = [item.external_id for item in items] + [
            d.external_id for item in items for d in item.datasets
        ]
        with transaction.atomic():
            records = {
                (r.kind, r.external_id): r
                for r in SyncedRecord.objects.select_related("asset")
                .select_for_update(of=("self",))
                .filter(registry=registry, external_id__in=ids)
            }
            for item in items:
                seen.add(item.external_id)
                try:
                    with transaction.atomic():
                        _sync_version(chunk, registry, item, records)
                except ValidationError as exc:
                    _error(
                        run,
                        item.external_id,
                        "Not synced: "
                        + "; ".join(
                            f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                            for k, v in exc.message_dict.items()
                        ),
                    )
                    records.pop((SyncedRecord.Kind.MODEL_VERSION, item.external_id), None)
                run.done += 1
            SyncedRecord.objects.filter(pk__in=chunk.touched).update(
                last_synced_at=chunk.now,
                last_run=run,
                deleted_upstream_at=None,
                flagged_by_run=None,
            )
            record_events(None, chunk.specs)
            _save_progress(run)
        if chunk.affected:
            signals.lineage_changed.send(sender=AssetLink, asset_ids=sorted(chunk.affected))
    _flag_deleted(run, seen)
    return _finish(run, SyncRun.Status.PARTIAL if run.errors else SyncRun.Status.SUCCEEDED)


def _flag_deleted(run: SyncRun, seen: set[str]) -> None:
    """Versions this registry no longer lists: flag their assets for a person."""
    now = timezone.now()
    with transaction.atomic():
        gone = list(
            SyncedRecord.objects.select_for_update(of=("self",))
            .select_related("asset")
            .filter(
                registry=run.registry,
                kind=SyncedRecord.Kind.MODEL_VERSION,
                deleted_upstream_at__isnull=True,
            )
            .exclude(external_id__in=seen)
        )
        specs = []
        for record in gone:
            record.deleted_upstream_at = now
            record.flagged_by_run = run
            record.save(update_fields=["deleted_upstream_at", "flagged_by_run"])
            specs.append(
                EventSpec(
                    "asset.sync_flag_deleted",
                    "asset",
                    str(record.asset.uuid),
                    record.asset.name,
                    after={
                        "upstream_record": record.external_id,
                        "source": run.registry.source_label,
                        "sync_run": str(run.uuid),
                    },
                )
            )
        run.flagged = len(gone)
        record_events(None, specs)
        _save_progress(run)
